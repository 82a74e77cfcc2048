/*
 * out_jsonl.c: one JSON object a line per exchange (docs/jsonl.md is the
 * reference for every field; keep the two in step).
 */
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "json.h"
#include "jsonw.h"
#include "output.h"
#include "view.h"

#define R(ctx)  ((ctx)->redact)

static void
version(struct cx_buf *b, int v)
{
	char buf[32];

	if (v == 0) {
		cx_jw_raw(b, "null");
		return;
	}
	cx_fmt_version(buf, sizeof(buf), v);
	cx_jw_cstr(b, 0, buf);
}

/* A JSON value if the bytes are a JSON object or array, else a string. */
static void
data_value(struct cx_buf *b, const struct cx_out_ctx *ctx, const char *p,
    size_t n, int scalar)
{
	int flags = (R(ctx) ? CX_JSON_REDACT : 0) |
	    (scalar ? CX_JSON_SCALAR : 0);

	if (cx_json_emit(b, p, n, flags, NULL) < 0)
		cx_jw_str(b, R(ctx), p, n);
}

/* body, body_bytes, body_encoding and the decoding members. */
static void
body(struct cx_buf *b, const struct cx_out_ctx *ctx, const struct cx_msg *m)
{
	const char *enc = cx_fields_get(&m->fields, "content-encoding");
	const char *kind = "null";
	struct cx_view v;

	if (enc != NULL && (*enc == '\0' || strcasecmp(enc, "identity") == 0))
		enc = NULL;
	if (m->sse) {
		cx_jw_raw(b, ",\"body\":null,\"body_bytes\":");
		cx_jw_u64(b, m->body_bytes);
		cx_jw_raw(b, ",\"body_encoding\":null");
		if (m->sse_encoding != NULL) {
			cx_jw_raw(b, ",\"content_encoding\":");
			cx_jw_cstr(b, 0, m->sse_encoding);
			cx_jw_raw(b, ",\"decoded_bytes\":");
			cx_jw_u64(b, m->sse_decoded);
		}
		if (m->sse_decoded_cut)
			cx_jw_raw(b, ",\"decoded_truncated\":true");
		if (m->sse_error != NULL) {
			cx_jw_raw(b, ",\"body_error\":");
			cx_jw_cstr(b, 0, m->sse_error);
		}
		return;
	}
	cx_view_decode(&v, m);
	cx_jw_raw(b, ",\"body\":");
	if (v.kind == CX_VIEW_UNSET) {
		/* JSON written as it is checked; if it is not, what it is. */
		if (cx_json_emit(b, (const char *)v.p, v.n, (R(ctx) ?
		    CX_JSON_REDACT : 0) | (v.json_scalar ? CX_JSON_SCALAR : 0),
		    NULL) >= 0) {
			v.kind = CX_VIEW_JSON;
			kind = "\"json\"";
		} else
			v.kind = cx_view_classify_text(v.p, v.n);
	}
	switch (v.kind) {
	case CX_VIEW_UNSET:
	case CX_VIEW_NONE:
		cx_jw_raw(b, "null");
		break;
	case CX_VIEW_JSON:
		break;          /* written above */
	case CX_VIEW_TEXT:
		cx_jw_red(b, R(ctx), v.form ? CX_AS_FORM : CX_AS_TEXT,
		    (const char *)v.p, v.n);
		kind = "\"text\"";
		break;
	case CX_VIEW_BINARY:
		cx_json_base64_buf(b, v.p, v.n);
		kind = "\"base64\"";
		break;
	}
	cx_jw_raw(b, ",\"body_bytes\":");
	cx_jw_u64(b, m->body_bytes);
	cx_jw_raw(b, ",\"body_encoding\":");
	cx_jw_raw(b, kind);
	if (enc != NULL) {
		cx_jw_raw(b, ",\"content_encoding\":");
		cx_jw_cstr(b, 0, enc);
		if (v.encoding != NULL) {
			cx_jw_raw(b, ",\"decoded_bytes\":");
			cx_jw_u64(b, v.decoded_bytes);
		}
	}
	if (v.decoded_truncated)
		cx_jw_raw(b, ",\"decoded_truncated\":true");
	if (v.raw_truncated)
		cx_jw_raw(b, ",\"body_truncated\":true");
	if (v.error != NULL) {
		cx_jw_raw(b, ",\"body_error\":");
		cx_jw_cstr(b, 0, v.error);
	}
	cx_view_free(&v);
}

static void
request(struct cx_buf *b, const struct cx_out_ctx *ctx,
    const struct cx_exchange *ex)
{
	const struct cx_msg *m = &ex->req;

	cx_jw_raw(b, "{\"method\":");
	cx_jw_cstr(b, 0, m->method);
	cx_jw_raw(b, ",\"url\":");
	cx_jw_url(b, R(ctx), m->target);
	cx_jw_raw(b, ",\"version\":");
	version(b, m->version);
	cx_jw_raw(b, ",\"upstream\":");
	cx_jw_url(b, R(ctx), ex->upstream);
	cx_jw_raw(b, ",\"route\":");
	cx_jw_cstr(b, 0, ex->route);
	cx_jw_raw(b, ",\"headers\":");
	cx_jw_fields(b, R(ctx), &m->fields);
	if (m->trailers.n > 0) {
		cx_jw_raw(b, ",\"trailers\":");
		cx_jw_fields(b, R(ctx), &m->trailers);
	}
	body(b, ctx, m);
	cx_jw_raw(b, m->complete ? ",\"complete\":true}" :
	    ",\"complete\":false}");
}

static void
events(struct cx_buf *b, FILE *f, const struct cx_out_ctx *ctx,
    const struct cx_exchange *ex)
{
	const struct cx_msg *m = &ex->resp;

	cx_buf_addc(b, '[');
	for (size_t i = 0; i < m->nevents; i++) {
		const struct cx_event *e = &m->events[i];

		cx_jw_raw(b, i > 0 ? ",{\"t_ms\":" : "{\"t_ms\":");
		cx_jw_ms(b, e->ts - ex->start);
		cx_jw_raw(b, ",\"event\":");
		cx_jw_cstr(b, R(ctx), e->event);
		cx_jw_raw(b, ",\"id\":");
		cx_jw_cstr(b, R(ctx), e->id);
		cx_jw_raw(b, ",\"data\":");
		data_value(b, ctx, e->data, e->data_len, 0);
		if (e->partial)
			cx_jw_raw(b, ",\"partial\":true");
		if (e->truncated)
			cx_jw_raw(b, ",\"truncated\":true");
		cx_buf_addc(b, '}');
		cx_jw_flush(b, f, 0);
	}
	cx_buf_addc(b, ']');
}

static void
response(struct cx_buf *b, FILE *f, const struct cx_out_ctx *ctx,
    const struct cx_exchange *ex)
{
	const struct cx_msg *m = &ex->resp;

	cx_jw_raw(b, "{\"status\":");
	if (m->head_done)
		cx_jw_u64(b, (uint64_t)(m->status >= 0 ? m->status : 0));
	else
		cx_jw_raw(b, "null");
	cx_jw_raw(b, ",\"reason\":");
	cx_jw_cstr(b, R(ctx), m->head_done ? m->reason : NULL);
	cx_jw_raw(b, ",\"version\":");
	version(b, m->version);
	cx_jw_raw(b, ",\"headers\":");
	cx_jw_fields(b, R(ctx), &m->fields);
	if (m->trailers.n > 0) {
		cx_jw_raw(b, ",\"trailers\":");
		cx_jw_fields(b, R(ctx), &m->trailers);
	}
	if (m->ninterim > 0) {
		cx_jw_raw(b, ",\"interim\":[");
		for (size_t i = 0; i < m->ninterim; i++) {
			if (i > 0)
				cx_buf_addc(b, ',');
			cx_jw_raw(b, "{\"status\":");
			cx_jw_u64(b, (uint64_t)(m->interim[i].status >= 0 ?
			    m->interim[i].status : 0));
			cx_jw_raw(b, ",\"reason\":");
			cx_jw_cstr(b, R(ctx), m->interim[i].reason);
			cx_jw_raw(b, ",\"t_ms\":");
			cx_jw_ms(b, m->interim[i].ts - ex->start);
			cx_jw_raw(b, ",\"headers\":");
			cx_jw_fields(b, R(ctx), &m->interim[i].fields);
			cx_buf_addc(b, '}');
		}
		cx_buf_addc(b, ']');
	}
	body(b, ctx, m);
	cx_jw_raw(b, ",\"sse\":");
	if (m->sse)
		events(b, f, ctx, ex);
	else
		cx_jw_raw(b, "null");
	if (m->events_cut)
		cx_jw_raw(b, ",\"sse_truncated\":true");
	cx_jw_raw(b, m->complete ? ",\"complete\":true}" :
	    ",\"complete\":false}");
}

/* The messages after a switch to WebSocket (docs/jsonl.md). */
static void
websocket(struct cx_buf *b, FILE *f, const struct cx_out_ctx *ctx,
    const struct cx_exchange *ex)
{
	cx_jw_raw(b, ",\"websocket\":[");
	for (size_t i = 0; i < ex->nws; i++) {
		const struct cx_wsmsg *m = &ex->ws[i];

		cx_jw_raw(b, i > 0 ? ",{\"t_ms\":" : "{\"t_ms\":");
		cx_jw_ms(b, m->ts - ex->start);
		cx_jw_raw(b, m->dir == 0 ? ",\"dir\":\"send\"" :
		    ",\"dir\":\"receive\"");
		cx_jw_raw(b, ",\"opcode\":\"");
		cx_jw_raw(b, cx_jw_ws_opcode(m->opcode));
		cx_jw_raw(b, "\"");
		if (m->opcode == 0x8) {
			cx_jw_raw(b, ",\"code\":");
			if (m->close_code != 0)
				cx_jw_u64(b, (uint64_t)m->close_code);
			else
				cx_jw_raw(b, "null");
		}
		cx_jw_raw(b, ",\"data\":");
		if (m->opcode == 0x2 || !cx_utf8_valid((const uint8_t *)m->data,
		    m->len)) {
			cx_json_base64_buf(b, (const uint8_t *)m->data, m->len);
			cx_jw_raw(b, ",\"encoding\":\"base64\"");
		} else if (m->opcode == 0x1)
			data_value(b, ctx, m->data, m->len, 0);
		else
			cx_jw_str(b, R(ctx), m->data, m->len);
		if (m->compressed)
			cx_jw_raw(b, ",\"compressed\":true");
		if (m->truncated)
			cx_jw_raw(b, ",\"truncated\":true");
		if (m->partial)
			cx_jw_raw(b, ",\"partial\":true");
		if (m->note != NULL) {
			cx_jw_raw(b, ",\"note\":");
			cx_jw_cstr(b, 0, m->note);
		}
		cx_buf_addc(b, '}');
		cx_jw_flush(b, f, 0);
	}
	cx_buf_addc(b, ']');
	if (ex->ws_deflate)
		cx_jw_raw(b, ",\"websocket_deflate\":true");
	if (ex->ws_cut)
		cx_jw_raw(b, ",\"websocket_truncated\":true");
}

static void
exchange(struct cx_buf *b, FILE *f, const struct cx_out_ctx *ctx,
    const struct cx_exchange *ex)
{
	char when[64];

	cx_jw_raw(b, "{\"id\":");
	cx_jw_u64(b, ex->id);
	cx_jw_raw(b, ",\"conn\":");
	cx_jw_u64(b, ex->conn);
	cx_jw_raw(b, ",\"seq\":");
	if (ex->seq == CX_NO_SEQ)
		cx_jw_raw(b, "null");
	else
		cx_jw_u64(b, ex->seq);
	cx_jw_raw(b, ",\"source\":");
	cx_jw_cstr(b, 0, cx_source_name(ex->source));
	cx_jw_raw(b, ",\"pid\":");
	if (ex->pid != 0)
		cx_jw_u64(b, ex->pid);
	else
		cx_jw_raw(b, "null");
	cx_jw_raw(b, ",\"tid\":");
	if (ex->tid != 0)
		cx_jw_u64(b, ex->tid);
	else
		cx_jw_raw(b, "null");
	cx_jw_raw(b, ",\"comm\":");
	cx_jw_cstr(b, 0, ex->comm);
	cx_jw_raw(b, ",\"process\":");
	cx_jw_process(b, R(ctx), ex->proc);
	cx_fmt_time(when, sizeof(when), ctx->info, ex->start, 1);
	cx_jw_raw(b, ",\"start\":\"");
	cx_jw_raw(b, when);
	cx_jw_raw(b, "\",\"ttfb_ms\":");
	if (ex->has_req && ex->has_resp)
		cx_jw_ms(b, ex->resp.t_first - ex->req.t_last);
	else
		cx_jw_raw(b, "null");
	cx_jw_raw(b, ",\"duration_ms\":");
	if (ex->has_resp)
		cx_jw_ms(b, ex->resp.t_last - ex->start);
	else
		cx_jw_raw(b, "null");
	cx_jw_raw(b, ",\"request\":");
	if (ex->has_req)
		request(b, ctx, ex);
	else
		cx_jw_raw(b, "null");
	cx_jw_raw(b, ",\"response\":");
	if (ex->has_resp)
		response(b, f, ctx, ex);
	else
		cx_jw_raw(b, "null");
	if (ex->tunnel_req > 0 || ex->tunnel_resp > 0) {
		cx_jw_raw(b, ",\"tunnel\":{\"request_bytes\":");
		cx_jw_u64(b, ex->tunnel_req);
		cx_jw_raw(b, ",\"response_bytes\":");
		cx_jw_u64(b, ex->tunnel_resp);
		cx_buf_addc(b, '}');
	}
	if (ex->nws > 0 || ex->ws_deflate)
		websocket(b, f, ctx, ex);
	cx_jw_raw(b, ",\"error\":");
	cx_jw_cstr(b, R(ctx), ex->error);
	if (ex->note != NULL) {
		cx_jw_raw(b, ",\"note\":");
		cx_jw_cstr(b, R(ctx), ex->note);
	}
	cx_jw_raw(b, "}\n");
}

struct jsonl {
	FILE                    *f;
	const struct cx_out_ctx *ctx;
	struct cx_buf            b;
};

static void *
jsonl_open(FILE *f, const struct cx_out_ctx *ctx)
{
	struct jsonl *j = xcalloc(1, sizeof(*j));

	j->f = f;
	j->ctx = ctx;
	cx_buf_init(&j->b, 0);
	return j;
}

static void
jsonl_exchange(void *st, int pass, const struct cx_exchange *ex)
{
	struct jsonl *j = st;

	(void)pass;
	exchange(&j->b, j->f, j->ctx, ex);
	cx_jw_flush(&j->b, j->f, j->ctx->follow);
}

static void
jsonl_pass_done(void *st, int pass)
{
	struct jsonl *j = st;

	(void)pass;
	cx_jw_flush(&j->b, j->f, 1);
}

static void
jsonl_close(void *st)
{
	struct jsonl *j = st;

	cx_buf_free(&j->b);
	free(j);
}

const struct cx_out_format cx_out_jsonl_format = {
	.name = "jsonl",
	.summary = "one JSON object per exchange (docs/jsonl.md)",
	.passes = 1,
	.open = jsonl_open,
	.exchange = jsonl_exchange,
	.pass_done = jsonl_pass_done,
	.close = jsonl_close,
};
