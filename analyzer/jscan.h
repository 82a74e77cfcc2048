/*
 * jscan.h: a JSON object's members found by a scan, without a cJSON tree,
 * for the stream events the conversation model reads by the thousand.
 *
 * cx_jscan_object takes only a plain object: blanks are spaces, tabs and
 * line ends; strings hold no NUL byte and no \u escape; numbers are
 * RFC 8259's, at most 30 characters; nesting at most CX_JSCAN_DEPTH.
 * What it takes, cJSON_ParseWithLength takes too, as an object, and it
 * finds the members cJSON_GetObjectItemCaseSensitive would (the first of
 * a key); anything else it leaves (returns 0) for cJSON to parse.  Like
 * cJSON, it reads no further than the object's end.
 */
#ifndef CX_JSCAN_H
#define CX_JSCAN_H

#include <stddef.h>

#include "bytebuf.h"

#define CX_JSCAN_DEPTH  64

enum cx_jscan_type {
	CX_JS_NONE,             /* no such member */
	CX_JS_STRING,
	CX_JS_NUMBER,
	CX_JS_OTHER,            /* true, false, null, an object, an array */
};

struct cx_jscan_member {
	const char      *key;           /* in: the member's key */
	enum cx_jscan_type type;        /* out */
	const char      *raw;           /* out: its value's text (a string's
					 * without its quotes) */
	size_t           len;
};

/* p[0..n) scanned for m[0..nm)'s keys: 1, or 0 when it is not a plain
 * object. */
int      cx_jscan_object(const char *p, size_t n, struct cx_jscan_member *m,
    size_t nm);
/* A string member's value decoded into b (reset first; NUL-terminated,
 * not counted in b->len). */
void     cx_jscan_string(struct cx_buf *b, const struct cx_jscan_member *m);
/* A number member's value when it is an integer of at most 9 digits
 * without sign, fraction or exponent: 1 and *v; else 0. */
int      cx_jscan_uint(const struct cx_jscan_member *m, long *v);

#endif
