/* out_conv.c: placeholder until the format is written. */
#include <stdio.h>

#include "output.h"

void
cx_out_conversation(FILE *f, const struct cx_out_ctx *ctx, int markdown)
{
	(void)ctx;
	(void)markdown;
	fprintf(f, "not written yet\n");
}
