/*
 * fuzz_cursor.c: an export cursor file (analyzer/export_cursor.c,
 * docs/fleet.md) from any bytes: it parses or gives one line naming the
 * file; what parses is written out again and reads back the same (no
 * crash, no leak, no read past the text).
 *
 * Input: the file's text.
 */
#include <stdlib.h>
#include <string.h>

#include "export_cursor.h"
#include "fuzz.h"

#define TRACE   "0123456789abcdef"

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct cx_xcursor *c, *d;
	struct cx_buf a, b;
	char err[256];
	int other;

	err[0] = '\0';
	c = cx_xcursor_parse((const char *)data, size, TRACE, &other, "f",
	    err, sizeof(err));
	if (c == NULL) {
		if (err[0] == '\0' || strchr(err, '\n') != NULL)
			abort();        /* one line, always */
		return 0;
	}
	cx_buf_init(&a, 0);
	cx_buf_init(&b, 0);
	cx_xcursor_text(c, &a);
	d = cx_xcursor_parse((const char *)cx_buf_head(&a), cx_buf_used(&a),
	    TRACE, &other, "f", err, sizeof(err));
	if (d == NULL || other)
		abort();
	cx_xcursor_text(d, &b);
	if (cx_buf_used(&a) != cx_buf_used(&b) || memcmp(cx_buf_head(&a),
	    cx_buf_head(&b), cx_buf_used(&a)) != 0 ||
	    cx_xcursor_count(c) != cx_xcursor_count(d))
		abort();
	/* adding what it holds changes nothing */
	if (cx_xcursor_count(c) > 0 && cx_xcursor_add(d, 1) == 0 &&
	    !cx_xcursor_has(d, 1))
		abort();
	cx_buf_free(&a);
	cx_buf_free(&b);
	cx_xcursor_free(c);
	cx_xcursor_free(d);
	return 0;
}
