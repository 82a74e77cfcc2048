/* view.c: decode and classify a body for output (see view.h). */
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "body.h"
#include "json.h"
#include "view.h"

/* application/json, text/json, anything/anything+json */
static int
is_json_type(const char *ct)
{
	const char *semi, *plus;
	size_t n;

	if (ct == NULL)
		return 0;
	while (*ct == ' ')
		ct++;
	semi = strchr(ct, ';');
	n = semi ? (size_t)(semi - ct) : strlen(ct);
	while (n > 0 && ct[n - 1] == ' ')
		n--;
	if ((n == 16 && strncasecmp(ct, "application/json", 16) == 0) ||
	    (n == 9 && strncasecmp(ct, "text/json", 9) == 0))
		return 1;
	plus = memchr(ct, '+', n);
	return plus != NULL && (size_t)(ct + n - plus) == 5 &&
	    strncasecmp(plus, "+json", 5) == 0;
}

static int
is_form_type(const char *ct)
{
	const char *t = "application/x-www-form-urlencoded";

	if (ct == NULL)
		return 0;
	while (*ct == ' ')
		ct++;
	return strncasecmp(ct, t, strlen(t)) == 0;
}

enum cx_view_kind
cx_view_classify(const uint8_t *p, size_t n, const char *content_type,
    int *json_scalar)
{
	int scalar = is_json_type(content_type);

	*json_scalar = 0;
	if (n == 0)
		return CX_VIEW_NONE;
	/* JSON is valid UTF-8 without NUL bytes: check it first. */
	if (cx_json_check((const char *)p, n, scalar ? CX_JSON_SCALAR : 0)) {
		*json_scalar = scalar;
		return CX_VIEW_JSON;
	}
	return cx_view_classify_text(p, n);
}

enum cx_view_kind
cx_view_classify_text(const uint8_t *p, size_t n)
{
	if (memchr(p, '\0', n) != NULL || !cx_utf8_valid(p, n))
		return CX_VIEW_BINARY;
	return CX_VIEW_TEXT;
}

void
cx_view_decode(struct cx_view *v, const struct cx_msg *m)
{
	const char *enc = cx_fields_get(&m->fields, "content-encoding");
	const char *ct = cx_fields_get(&m->fields, "content-type");
	char err[256];

	memset(v, 0, sizeof(*v));
	cx_buf_init(&v->dec, 0);
	v->p = m->body.p;
	v->n = m->body.len;
	v->raw_truncated = m->body.cut;
	v->form = is_form_type(ct);
	if (v->n == 0) {
		v->kind = CX_VIEW_NONE;
		return;
	}
	if (enc != NULL && *enc != '\0' && strcasecmp(enc, "identity") != 0) {
		if (cx_decode_all(enc, m->body.p, m->body.len,
		    CX_BODY_MAX_DECODED, &v->dec, &v->decoded_truncated, err,
		    sizeof(err)) == -1) {
			v->error = xstrdup(err);
			v->kind = CX_VIEW_BINARY;
			return;
		}
		v->encoding = enc;
		v->decoded_bytes = v->dec.len;
		v->p = v->dec.p;
		v->n = v->dec.len;
		if (v->n == 0) {
			v->kind = CX_VIEW_NONE;
			return;
		}
	}
	v->kind = CX_VIEW_UNSET;
	v->json_scalar = is_json_type(ct);
}

void
cx_view_body(struct cx_view *v, const struct cx_msg *m)
{
	cx_view_decode(v, m);
	if (v->kind == CX_VIEW_UNSET)
		v->kind = cx_view_classify(v->p, v->n, cx_fields_get(
		    &m->fields, "content-type"), &v->json_scalar);
}

void
cx_view_free(struct cx_view *v)
{
	if (v == NULL)
		return;
	cx_buf_free(&v->dec);
	free(v->error);
	v->error = NULL;
}
