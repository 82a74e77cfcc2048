/*
 * fuzz_protocol.c: a protocol's JSON read back (analyzer/protocol.c's
 * cx_protocol_parse, what cxrec diff reads from a file) from any bytes:
 * it is refused with one line, or what is accepted renders as Markdown
 * (protocol_md.c) and is compared (protocol_diff.c) with itself and
 * with an empty model, both ways, rendered as text and
 * Markdown, whatever shape its members have (no crash, no leak).
 *
 * Input: the file's text.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fuzz.h"
#include "protocol.h"
#include "protocol_diff.h"

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char err[256] = "";
	cJSON *empty, *m = cx_protocol_parse((const char *)data, size, err,
	    sizeof(err));
	FILE *f;

	if (m == NULL) {
		if (err[0] == '\0' || strchr(err, '\n') != NULL)
			abort();        /* one line, always */
		return 0;
	}
	empty = cx_protocol_parse("{\"cxrec_protocol\":1}", 19, err,
	    sizeof(err));
	if ((f = fopen("/dev/null", "w")) != NULL) {
		cJSON *d;

		cx_protocol_md(f, m);
		/* Against itself (a model with names twice, which cxrec
		 * never writes, may differ from itself: not checked). */
		d = cx_protocol_diff(m, m);
		cx_protocol_diff_write(f, d, 0);
		cJSON_Delete(d);
		for (int side = 0; side < 2; side++) {
			d = side == 0 ? cx_protocol_diff(m, empty) :
			    cx_protocol_diff(empty, m);
			cx_protocol_diff_write(f, d, side);
			cJSON_Delete(d);
		}
		fclose(f);
	}
	cJSON_Delete(empty);
	cJSON_Delete(m);
	return 0;
}
