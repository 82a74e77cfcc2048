/*
 * out_jsonl.c: one JSON object a line per exchange (docs/jsonl.md is the
 * reference for every field; keep the two in step).
 */
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "json.h"
#include "output.h"
#include "redact.h"
#include "view.h"

/* A string, redacted as text if asked. */
static void
rstr(FILE *f, const struct cx_out_ctx *ctx, const char *s, size_t n)
{
	struct cx_buf b;

	if (!ctx->redact) {
		cx_json_str(f, s, n);
		return;
	}
	cx_buf_init(&b, 0);
	cx_redact_text(&b, s, n);
	cx_json_str(f, (const char *)b.p, b.len);
	cx_buf_free(&b);
}

static void
rcstr(FILE *f, const struct cx_out_ctx *ctx, const char *s)
{
	if (s == NULL)
		fputs("null", f);
	else
		rstr(f, ctx, s, strlen(s));
}

/* A URL or request target: secret query parameters too. */
static void
rurl(FILE *f, const struct cx_out_ctx *ctx, const char *s)
{
	struct cx_buf b;

	if (s == NULL || !ctx->redact) {
		cx_json_cstr(f, s);
		return;
	}
	cx_buf_init(&b, 0);
	cx_redact_query(&b, s, strlen(s), 0);
	cx_json_str(f, (const char *)b.p, b.len);
	cx_buf_free(&b);
}

static void
fields(FILE *f, const struct cx_out_ctx *ctx, const struct cx_fields *fl)
{
	struct cx_buf b;

	cx_buf_init(&b, 0);
	putc('[', f);
	for (size_t i = 0; i < fl->n; i++) {
		if (i > 0)
			putc(',', f);
		putc('[', f);
		cx_json_cstr(f, fl->v[i].name);
		putc(',', f);
		if (ctx->redact) {
			cx_buf_reset(&b);
			cx_redact_header(&b, fl->v[i].name, fl->v[i].value);
			cx_json_str(f, (const char *)b.p, b.len);
		} else
			cx_json_cstr(f, fl->v[i].value);
		putc(']', f);
	}
	putc(']', f);
	cx_buf_free(&b);
}

static void
version(FILE *f, int v)
{
	char buf[32];

	if (v == 0) {
		fputs("null", f);
		return;
	}
	cx_fmt_version(buf, sizeof(buf), v);
	cx_json_cstr(f, buf);
}

static void
ms(FILE *f, int64_t ns)
{
	fprintf(f, "%.3f", cx_ms(ns));
}

/* A JSON value if the bytes are a JSON object or array, else a string. */
static void
data_value(FILE *f, const struct cx_out_ctx *ctx, const char *p, size_t n,
    int scalar)
{
	int flags = (ctx->redact ? CX_JSON_REDACT : 0) |
	    (scalar ? CX_JSON_SCALAR : 0);

	if (cx_json_check(p, n, flags))
		cx_json_write(f, p, n, flags, NULL);
	else
		rstr(f, ctx, p, n);
}

/* body, body_bytes, body_encoding and the decoding members. */
static void
body(FILE *f, const struct cx_out_ctx *ctx, const struct cx_msg *m)
{
	const char *enc = cx_fields_get(&m->fields, "content-encoding");
	const char *kind = "null";
	struct cx_view v;
	struct cx_buf b;

	if (enc != NULL && (*enc == '\0' || strcasecmp(enc, "identity") == 0))
		enc = NULL;
	if (m->sse) {
		fprintf(f, ",\"body\":null,\"body_bytes\":%" PRIu64
		    ",\"body_encoding\":null", m->body_bytes);
		if (m->sse_encoding != NULL) {
			fputs(",\"content_encoding\":", f);
			cx_json_cstr(f, m->sse_encoding);
			fprintf(f, ",\"decoded_bytes\":%" PRIu64, m->sse_decoded);
		}
		if (m->sse_decoded_cut)
			fputs(",\"decoded_truncated\":true", f);
		if (m->sse_error != NULL) {
			fputs(",\"body_error\":", f);
			cx_json_cstr(f, m->sse_error);
		}
		return;
	}
	cx_view_body(&v, m);
	fputs(",\"body\":", f);
	switch (v.kind) {
	case CX_VIEW_NONE:
		fputs("null", f);
		break;
	case CX_VIEW_JSON:
		cx_json_write(f, (const char *)v.p, v.n, (ctx->redact ?
		    CX_JSON_REDACT : 0) | (v.json_scalar ? CX_JSON_SCALAR : 0),
		    NULL);
		kind = "\"json\"";
		break;
	case CX_VIEW_TEXT:
		if (ctx->redact && v.form) {
			cx_buf_init(&b, 0);
			cx_redact_query(&b, (const char *)v.p, v.n, 1);
			cx_json_str(f, (const char *)b.p, b.len);
			cx_buf_free(&b);
		} else
			rstr(f, ctx, (const char *)v.p, v.n);
		kind = "\"text\"";
		break;
	case CX_VIEW_BINARY:
		cx_json_base64(f, v.p, v.n);
		kind = "\"base64\"";
		break;
	}
	fprintf(f, ",\"body_bytes\":%" PRIu64 ",\"body_encoding\":%s",
	    m->body_bytes, kind);
	if (enc != NULL) {
		fputs(",\"content_encoding\":", f);
		cx_json_cstr(f, enc);
		if (v.encoding != NULL)
			fprintf(f, ",\"decoded_bytes\":%" PRIu64,
			    v.decoded_bytes);
	}
	if (v.decoded_truncated)
		fputs(",\"decoded_truncated\":true", f);
	if (v.raw_truncated)
		fputs(",\"body_truncated\":true", f);
	if (v.error != NULL) {
		fputs(",\"body_error\":", f);
		cx_json_cstr(f, v.error);
	}
	cx_view_free(&v);
}

static void
request(FILE *f, const struct cx_out_ctx *ctx, const struct cx_exchange *ex)
{
	const struct cx_msg *m = &ex->req;

	fputs("{\"method\":", f);
	cx_json_cstr(f, m->method);
	fputs(",\"url\":", f);
	rurl(f, ctx, m->target);
	fputs(",\"version\":", f);
	version(f, m->version);
	fputs(",\"upstream\":", f);
	rurl(f, ctx, ex->upstream);
	fputs(",\"route\":", f);
	cx_json_cstr(f, ex->route);
	fputs(",\"headers\":", f);
	fields(f, ctx, &m->fields);
	if (m->trailers.n > 0) {
		fputs(",\"trailers\":", f);
		fields(f, ctx, &m->trailers);
	}
	body(f, ctx, m);
	fprintf(f, ",\"complete\":%s}", m->complete ? "true" : "false");
}

static void
events(FILE *f, const struct cx_out_ctx *ctx, const struct cx_exchange *ex)
{
	const struct cx_msg *m = &ex->resp;

	putc('[', f);
	for (size_t i = 0; i < m->nevents; i++) {
		const struct cx_event *e = &m->events[i];

		if (i > 0)
			putc(',', f);
		fputs("{\"t_ms\":", f);
		ms(f, e->ts - ex->start);
		fputs(",\"event\":", f);
		rcstr(f, ctx, e->event);
		fputs(",\"id\":", f);
		rcstr(f, ctx, e->id);
		fputs(",\"data\":", f);
		data_value(f, ctx, e->data, e->data_len, 0);
		if (e->partial)
			fputs(",\"partial\":true", f);
		if (e->truncated)
			fputs(",\"truncated\":true", f);
		putc('}', f);
	}
	putc(']', f);
}

static void
response(FILE *f, const struct cx_out_ctx *ctx, const struct cx_exchange *ex)
{
	const struct cx_msg *m = &ex->resp;

	fputs("{\"status\":", f);
	if (m->head_done)
		fprintf(f, "%d", m->status);
	else
		fputs("null", f);
	fputs(",\"reason\":", f);
	rcstr(f, ctx, m->head_done ? m->reason : NULL);
	fputs(",\"version\":", f);
	version(f, m->version);
	fputs(",\"headers\":", f);
	fields(f, ctx, &m->fields);
	if (m->trailers.n > 0) {
		fputs(",\"trailers\":", f);
		fields(f, ctx, &m->trailers);
	}
	if (m->ninterim > 0) {
		fputs(",\"interim\":[", f);
		for (size_t i = 0; i < m->ninterim; i++) {
			if (i > 0)
				putc(',', f);
			fprintf(f, "{\"status\":%d,\"reason\":",
			    m->interim[i].status);
			rcstr(f, ctx, m->interim[i].reason);
			fputs(",\"t_ms\":", f);
			ms(f, m->interim[i].ts - ex->start);
			fputs(",\"headers\":", f);
			fields(f, ctx, &m->interim[i].fields);
			putc('}', f);
		}
		putc(']', f);
	}
	body(f, ctx, m);
	fputs(",\"sse\":", f);
	if (m->sse)
		events(f, ctx, ex);
	else
		fputs("null", f);
	if (m->events_cut)
		fputs(",\"sse_truncated\":true", f);
	fprintf(f, ",\"complete\":%s}", m->complete ? "true" : "false");
}

static void
exchange(FILE *f, const struct cx_out_ctx *ctx, const struct cx_exchange *ex)
{
	char when[64];

	fprintf(f, "{\"id\":%" PRIu64 ",\"conn\":%" PRIu64 ",\"seq\":", ex->id,
	    ex->conn);
	if (ex->seq == CX_NO_SEQ)
		fputs("null", f);
	else
		fprintf(f, "%" PRIu64, ex->seq);
	fputs(",\"source\":", f);
	cx_json_cstr(f, cx_source_name(ex->source));
	if (ex->pid != 0)
		fprintf(f, ",\"pid\":%" PRIu32, ex->pid);
	else
		fputs(",\"pid\":null", f);
	if (ex->tid != 0)
		fprintf(f, ",\"tid\":%" PRIu32, ex->tid);
	else
		fputs(",\"tid\":null", f);
	fputs(",\"comm\":", f);
	cx_json_cstr(f, ex->comm);
	cx_fmt_time(when, sizeof(when), ctx->info, ex->start, 1);
	fprintf(f, ",\"start\":\"%s\",\"ttfb_ms\":", when);
	if (ex->has_req && ex->has_resp)
		ms(f, ex->resp.t_first - ex->req.t_last);
	else
		fputs("null", f);
	fputs(",\"duration_ms\":", f);
	if (ex->has_resp)
		ms(f, ex->resp.t_last - ex->start);
	else
		fputs("null", f);
	fputs(",\"request\":", f);
	if (ex->has_req)
		request(f, ctx, ex);
	else
		fputs("null", f);
	fputs(",\"response\":", f);
	if (ex->has_resp)
		response(f, ctx, ex);
	else
		fputs("null", f);
	if (ex->tunnel_req > 0 || ex->tunnel_resp > 0)
		fprintf(f, ",\"tunnel\":{\"request_bytes\":%" PRIu64
		    ",\"response_bytes\":%" PRIu64 "}", ex->tunnel_req,
		    ex->tunnel_resp);
	fputs(",\"error\":", f);
	rcstr(f, ctx, ex->error);
	if (ex->note != NULL) {
		fputs(",\"note\":", f);
		rcstr(f, ctx, ex->note);
	}
	fputs("}\n", f);
}

void
cx_out_jsonl_exchange(FILE *f, const struct cx_out_ctx *ctx,
    const struct cx_exchange *ex)
{
	exchange(f, ctx, ex);
}

void
cx_out_jsonl(FILE *f, const struct cx_out_ctx *ctx)
{
	for (size_t i = 0; i < ctx->r->nex; i++)
		exchange(f, ctx, ctx->r->ex[i]);
}
