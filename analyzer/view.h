/*
 * view.h: how a message body is shown.
 *
 * A body is content-decoded (body.h) when it has a Content-Encoding, then
 * classified: JSON (by Content-Type, or because it parses as an object or
 * array), text (valid UTF-8 without NUL bytes), or binary.  A body that
 * cannot be decoded is shown raw, as binary, with the error.
 */
#ifndef CX_VIEW_H
#define CX_VIEW_H

#include <stddef.h>
#include <stdint.h>

#include "bytebuf.h"
#include "exchange.h"

enum cx_view_kind {
	CX_VIEW_NONE,           /* no body */
	CX_VIEW_JSON,
	CX_VIEW_TEXT,
	CX_VIEW_BINARY,
	CX_VIEW_UNSET,          /* cx_view_decode: not yet classified */
};

struct cx_view {
	enum cx_view_kind kind;
	const uint8_t   *p;             /* the bytes to show */
	size_t           n;
	const char      *encoding;      /* Content-Encoding decoded, or NULL */
	uint64_t         decoded_bytes;
	int              decoded_truncated;     /* the decoded size cap */
	int              raw_truncated;         /* the body size cap */
	char            *error;         /* decoding failed: why */
	int              json_scalar;   /* JSON by Content-Type: any value */
	int              form;          /* application/x-www-form-urlencoded */
	struct cx_buf    dec;
};

/* Fill v for m's body; v is only valid while m is. */
void     cx_view_body(struct cx_view *v, const struct cx_msg *m);
/*
 * The same but for the classification: v->kind is CX_VIEW_NONE (no body),
 * CX_VIEW_BINARY (decoding failed) or CX_VIEW_UNSET, and v->json_scalar
 * says whether the Content-Type is JSON's.  For a writer that tries JSON
 * first (cx_json_emit) and calls cx_view_classify_text if it is not.
 */
void     cx_view_decode(struct cx_view *v, const struct cx_msg *m);
/* What p[0..n), known not to be JSON, is: CX_VIEW_TEXT or _BINARY. */
enum cx_view_kind cx_view_classify_text(const uint8_t *p, size_t n);
void     cx_view_free(struct cx_view *v);       /* NULL is fine */
/* What p[0..n) is, given its Content-Type (NULL: unknown). */
enum cx_view_kind cx_view_classify(const uint8_t *p, size_t n,
    const char *content_type, int *json_scalar);

#endif
