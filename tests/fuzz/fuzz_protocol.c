/*
 * fuzz_protocol.c: a protocol's JSON read back (analyzer/protocol.c's
 * cx_protocol_parse, what cxrec diff reads from a file) from any bytes:
 * it is refused with one line, or what is accepted renders as Markdown
 * (protocol_md.c) whatever shape its members have (no crash, no leak).
 *
 * Input: the file's text.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fuzz.h"
#include "protocol.h"

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char err[256] = "";
	cJSON *m = cx_protocol_parse((const char *)data, size, err,
	    sizeof(err));
	FILE *f;

	if (m == NULL) {
		if (err[0] == '\0' || strchr(err, '\n') != NULL)
			abort();        /* one line, always */
		return 0;
	}
	if ((f = fopen("/dev/null", "w")) != NULL) {
		cx_protocol_md(f, m);
		fclose(f);
	}
	cJSON_Delete(m);
	return 0;
}
