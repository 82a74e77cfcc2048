/* out_har.c: placeholder until the format is written. */
#include <stdio.h>

#include "output.h"

void
cx_out_har(FILE *f, const struct cx_out_ctx *ctx)
{
	(void)ctx;
	fprintf(f, "not written yet\n");
}
