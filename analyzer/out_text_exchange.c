/*
 * out_text_exchange.c: one exchange in the text listing (out_text.c): its
 * summary line, where it went, its errors and notes, the start lines,
 * header fields and bodies (JSON indented, binary as a hex dump), its
 * events and WebSocket messages one a line.
 */
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "escape.h"
#include "json.h"
#include "jsonw.h"
#include "out_text_int.h"
#include "output.h"
#include "view.h"

#define IND             "   "       /* detail lines under a summary */
#define HEXDUMP_MAX     256

/* "text/event-stream" from "text/event-stream; charset=utf-8". */
static void
media_type(FILE *f, const char *ct)
{
	size_t n = strcspn(ct, "; \t");

	fputc(' ', f);
	cx_out_term(f, ct, n, 0, "");
}

static void
sizes(FILE *f, const char *what, const struct cx_msg *m,
    const struct cx_view *v)
{
	char a[32], b[32];

	text_size(a, sizeof(a), m->body_bytes);
	fprintf(f, "  %s %s", what, a);
	if (v != NULL && v->encoding != NULL) {
		text_size(b, sizeof(b), v->decoded_bytes);
		fputc('(', f);
		text_tputs(f, v->encoding);
		fprintf(f, "\xe2\x86\x92%s)", b);
	} else if (m->sse_encoding != NULL) {
		text_size(b, sizeof(b), m->sse_decoded);
		fputc('(', f);
		text_tputs(f, m->sse_encoding);
		fprintf(f, "\xe2\x86\x92%s)", b);
	}
}

static void
summary(FILE *f, const struct cx_out_ctx *ctx, const struct cx_exchange *ex,
    const struct cx_view *rqv, const struct cx_view *rsv)
{
	const struct cx_msg *rq = &ex->req, *rs = &ex->resp;
	const char *ct;
	char when[32];

	cx_fmt_time(when, sizeof(when), ctx->info, ex->start, 0);
	fprintf(f, "#%" PRIu64 " %s ", ex->id, when);
	/* The process as perf shows it: "comm pid/tid". */
	if (ex->pid != 0) {
		if (ex->comm != NULL) {
			text_tputs(f, ex->comm);
			fputc(' ', f);
		}
		fprintf(f, "%" PRIu32, ex->pid);
		if (ex->tid != 0)
			fprintf(f, "/%" PRIu32, ex->tid);
		fputs("  ", f);
	}
	if (ex->has_req && rq->head_done) {
		text_tputs(f, rq->method);
		fputc(' ', f);
		text_rurl(f, ctx, rq->target);
	} else if (ex->has_req)
		fputs("(request not decoded)", f);
	else
		fputs("(no request)", f);
	fputs(" -> ", f);
	if (ex->has_resp && rs->head_done) {
		fprintf(f, "%d", rs->status);
		if ((ct = cx_fields_get(&rs->fields, "content-type")) != NULL)
			media_type(f, ct);
	} else if (ex->has_resp)
		fputs("(response not decoded)", f);
	else
		fputs("(no response)", f);
	if (ex->has_req && ex->has_resp)
		fprintf(f, "  ttfb %.1fms", cx_ms(rs->t_first - rq->t_last));
	if (ex->has_resp)
		fprintf(f, "  total %.1fms", cx_ms(rs->t_last - ex->start));
	if (ex->has_req)
		sizes(f, "req", rq, rqv);
	if (ex->has_resp)
		sizes(f, "resp", rs, rsv);
	if (rs->sse)
		fprintf(f, "  %zu event%s", rs->nevents,
		    rs->nevents == 1 ? "" : "s");
	if (ex->error != NULL)
		fputs("  [ERROR]", f);
	fputc('\n', f);
}

static void
fields(FILE *f, const struct cx_out_ctx *ctx, const struct cx_fields *fl,
    const char *mark)
{
	struct cx_buf b;

	cx_buf_init(&b, 0);
	for (size_t i = 0; i < fl->n; i++) {
		fprintf(f, IND "%s ", mark);
		text_tputs(f, fl->v[i].name);
		fputs(": ", f);
		cx_buf_reset(&b);
		cx_out_redact_header(&b, ctx->redact, fl->v[i].name,
		    fl->v[i].value);
		cx_out_term(f, (const char *)b.p, b.len, 0, "");
		fputc('\n', f);
	}
	cx_buf_free(&b);
}

static void
hexdump(FILE *f, const uint8_t *p, size_t n)
{
	for (size_t off = 0; off < n; off += 16) {
		fprintf(f, IND "%04zx ", off);
		for (size_t i = off; i < off + 16; i++) {
			if (i < n)
				fprintf(f, " %02x", p[i]);
			else
				fputs("   ", f);
		}
		fputs("  ", f);
		for (size_t i = off; i < off + 16 && i < n; i++)
			fputc(p[i] >= 0x20 && p[i] < 0x7f ? p[i] : '.', f);
		fputc('\n', f);
	}
}

/* b on one line, at most --max-body bytes of it, then what was left out. */
static void
term_capped(FILE *f, const struct cx_out_ctx *ctx, const struct cx_buf *b)
{
	size_t show = ctx->max_body && b->len > ctx->max_body ?
	    (size_t)ctx->max_body : b->len;

	cx_out_term(f, (const char *)b->p, show, 0, "");
	if (show < b->len)
		fprintf(f, " ... (%zu more bytes)", b->len - show);
}

/* Print at most max bytes of s (0: all), then say what was left out. */
static void
limited(FILE *f, const struct cx_out_ctx *ctx, const char *s, size_t n)
{
	size_t show;

	if (n > 0 && s[n - 1] == '\n')         /* the last line's end */
		n -= n > 1 && s[n - 2] == '\r' ? 2 : 1;
	show = ctx->max_body && n > ctx->max_body ? (size_t)ctx->max_body : n;
	fputs(IND, f);
	cx_out_term(f, s, show, 1, IND);
	fputc('\n', f);
	if (show < n)
		fprintf(f, IND "... %zu more bytes not shown (--max-body)\n",
		    n - show);
}

static void
body(FILE *f, const struct cx_out_ctx *ctx, const struct cx_view *v,
    const char *what)
{
	char *mem = NULL;
	size_t memlen = 0;
	FILE *ms;
	struct cx_buf b;

	if (v->error != NULL)
		fprintf(f, IND "!! %s body could not be decoded (%s): raw "
		    "bytes below\n", what, v->error);
	if (v->raw_truncated)
		fprintf(f, IND "!! %s body longer than %u MiB: only the first "
		    "%u MiB were kept\n", what, CX_EXCHANGE_MAX_BODY >> 20,
		    CX_EXCHANGE_MAX_BODY >> 20);
	if (v->decoded_truncated)
		fprintf(f, IND "!! %s body decodes to more than %u MiB: cut "
		    "there\n", what, (unsigned)(CX_EXCHANGE_MAX_BODY >> 20));
	switch (v->kind) {
	case CX_VIEW_UNSET:          /* not from cx_view_body */
	case CX_VIEW_NONE:
		return;
	case CX_VIEW_JSON:
		cx_buf_init(&b, 0);
		if (cx_json_emit(&b, (const char *)v->p, v->n, (ctx->redact ?
		    CX_JSON_REDACT : 0) | CX_JSON_PRETTY | (v->json_scalar ?
		    CX_JSON_SCALAR : 0), "") >= 0) {
			/* limited() indents every line. */
			limited(f, ctx, (const char *)b.p, b.len);
			cx_buf_free(&b);
			return;
		}
		cx_buf_free(&b);
		if ((ms = open_memstream(&mem, &memlen)) == NULL)
			return;
		/* limited() indents every line. */
		text_json_out(ms, ctx, (const char *)v->p, v->n, 1,
		    v->json_scalar, "");
		fclose(ms);
		limited(f, ctx, mem, memlen);
		free(mem);
		return;
	case CX_VIEW_TEXT:
		cx_buf_init(&b, 0);
		cx_out_redact(&b, ctx->redact, v->form ? CX_AS_FORM :
		    CX_AS_TEXT, (const char *)v->p, v->n);
		limited(f, ctx, (const char *)b.p, b.len);
		cx_buf_free(&b);
		return;
	case CX_VIEW_BINARY:
		fprintf(f, IND "(%zu bytes of binary data%s)\n", v->n,
		    v->n > HEXDUMP_MAX ? ", the first 256 below" : "");
		hexdump(f, v->p, v->n > HEXDUMP_MAX ? HEXDUMP_MAX : v->n);
		return;
	}
}

/* What became of an event or message: the stream ended inside it, cut. */
static void
cut_notes(FILE *f, int partial, int truncated)
{
	if (partial)
		fputs("  (incomplete: the stream ended inside it)", f);
	if (truncated)
		fputs("  (data cut: too long)", f);
}

static void
event(FILE *f, const struct cx_out_ctx *ctx, const struct cx_exchange *ex,
    const struct cx_event *e)
{
	struct cx_buf b;

	fprintf(f, IND "+%.1fms ", cx_ms(e->ts - ex->start));
	if (e->id != NULL) {
		fputs("[id ", f);
		text_rputs(f, ctx, e->id);
		fputs("] ", f);
	}
	text_rputs(f, ctx, e->event);
	fputc(' ', f);
	cx_buf_init(&b, 0);
	/* JSON is checked as it is written: one pass. */
	if (cx_json_emit(&b, e->data, e->data_len, ctx->redact ?
	    CX_JSON_REDACT : 0, NULL) < 0)
		cx_out_redact(&b, ctx->redact, CX_AS_TEXT, e->data,
		    e->data_len);
	term_capped(f, ctx, &b);
	cx_buf_free(&b);
	cut_notes(f, e->partial, e->truncated);
	fputc('\n', f);
}

static void hexdump_line(struct cx_buf *b, const uint8_t *p, size_t n);

/* A WebSocket message: "+12.3ms ws send text {...}". */
static void
ws_message(FILE *f, const struct cx_out_ctx *ctx, const struct cx_exchange *ex,
    const struct cx_wsmsg *m)
{
	struct cx_buf b;

	fprintf(f, IND "+%.1fms ws %s %s", cx_ms(m->ts - ex->start),
	    m->dir == 0 ? "send" : "receive", cx_jw_ws_opcode(m->opcode));
	if (m->opcode == 0x8 && m->close_code != 0)
		fprintf(f, " %d", m->close_code);
	fputc(' ', f);
	cx_buf_init(&b, 0);
	if (m->opcode == 0x2) {
		hexdump_line(&b, (const uint8_t *)m->data, m->len);
	} else if (cx_json_emit(&b, m->data, m->len, ctx->redact ?
	    CX_JSON_REDACT : 0, NULL) < 0) {
		cx_buf_reset(&b);
		cx_out_redact(&b, ctx->redact, CX_AS_TEXT, m->data, m->len);
	}
	term_capped(f, ctx, &b);
	cx_buf_free(&b);
	if (m->compressed)
		fputs("  (deflated)", f);
	cut_notes(f, m->partial, m->truncated);
	if (m->note != NULL) {
		fputs("  !! ", f);
		text_tputs(f, m->note);
	}
	fputc('\n', f);
}

/* Binary as hex pairs, at most 64 bytes shown. */
static void
hexdump_line(struct cx_buf *b, const uint8_t *p, size_t n)
{
	static const char hex[] = "0123456789abcdef";
	char tmp[40];

	for (size_t i = 0; i < n && i < 64; i++) {
		cx_buf_addc(b, hex[p[i] >> 4]);
		cx_buf_addc(b, hex[p[i] & 15]);
	}
	if (n > 64) {
		snprintf(tmp, sizeof(tmp), "... (%zu bytes)", n);
		cx_buf_adds(b, tmp);
	}
}

static void
start_line(FILE *f, const struct cx_out_ctx *ctx, const struct cx_msg *m,
    int req)
{
	char ver[32];

	cx_fmt_version(ver, sizeof(ver), m->version);
	if (req) {
		fputs(IND "> ", f);
		text_tputs(f, m->method);
		fputc(' ', f);
		text_rurl(f, ctx, m->target);
		fprintf(f, " %s\n", ver);
	} else {
		fprintf(f, IND "< %s %d ", ver, m->status);
		text_rputs(f, ctx, m->reason);
		fputc('\n', f);
	}
}

void
text_show_exchange(FILE *f, const struct cx_out_ctx *ctx,
    const struct cx_exchange *ex)
{
	const struct cx_msg *rq = &ex->req, *rs = &ex->resp;
	struct cx_view rqv, rsv;

	cx_view_body(&rqv, rq);
	cx_view_body(&rsv, rs);
	summary(f, ctx, ex, ex->has_req ? &rqv : NULL,
	    ex->has_resp && !rs->sse ? &rsv : NULL);
	if (ex->upstream != NULL) {
		fputs(IND "upstream ", f);
		text_rurl(f, ctx, ex->upstream);
		if (ex->route != NULL) {
			fputs("  (route ", f);
			text_tputs(f, ex->route);
			fputc(')', f);
		}
		fputc('\n', f);
	}
	fprintf(f, IND "%s conn %" PRIu64, cx_source_name(ex->source),
	    ex->conn);
	if (ex->seq != CX_NO_SEQ)
		fprintf(f, " request %" PRIu64, ex->seq);
	if (ex->pid != 0)
		fprintf(f, "  pid %" PRIu32, ex->pid);
	if (ex->tid != 0 && ex->tid != ex->pid)
		fprintf(f, " tid %" PRIu32, ex->tid);
	if (ex->comm != NULL) {
		fputs(" (", f);
		text_tputs(f, ex->comm);
		fputc(')', f);
	}
	fputc('\n', f);
	if (ex->error != NULL) {
		fputs(IND "!! error: ", f);
		text_rputs(f, ctx, ex->error);
		fputc('\n', f);
	}
	if (ex->note != NULL) {
		fputs(IND "note: ", f);
		text_rputs(f, ctx, ex->note);
		fputc('\n', f);
	}
	if (ex->has_req && rq->head_done) {
		start_line(f, ctx, rq, 1);
		fields(f, ctx, &rq->fields, ">");
		body(f, ctx, &rqv, "request");
		fields(f, ctx, &rq->trailers, "> (trailer)");
	}
	if (ex->has_resp) {
		for (size_t i = 0; i < rs->ninterim; i++) {
			struct cx_msg im;

			memset(&im, 0, sizeof(im));
			im.version = rs->version ? rs->version : 11;
			im.status = rs->interim[i].status;
			im.reason = rs->interim[i].reason;
			start_line(f, ctx, &im, 0);
			fields(f, ctx, &rs->interim[i].fields, "<");
		}
		if (rs->head_done) {
			start_line(f, ctx, rs, 0);
			fields(f, ctx, &rs->fields, "<");
		}
		if (rs->sse_error != NULL)
			fprintf(f, IND "!! event stream could not be decoded "
			    "(%s)\n", rs->sse_error);
		if (rs->sse) {
			for (size_t i = 0; i < rs->nevents; i++)
				event(f, ctx, ex, &rs->events[i]);
			if (rs->events_cut)
				fprintf(f, IND "!! more events than %u MiB: "
				    "the rest were dropped\n",
				    CX_EXCHANGE_MAX_BODY >> 20);
		} else
			body(f, ctx, &rsv, "response");
		fields(f, ctx, &rs->trailers, "< (trailer)");
	}
	for (size_t i = 0; i < ex->nws; i++)
		ws_message(f, ctx, ex, &ex->ws[i]);
	if (ex->ws_cut)
		fprintf(f, IND "!! more WebSocket messages than %u MiB: the "
		    "rest were dropped\n", CX_EXCHANGE_MAX_BODY >> 20);
	if ((ex->tunnel_req > 0 || ex->tunnel_resp > 0) && ex->nws == 0)
		fprintf(f, IND "(then %" PRIu64 " bytes up and %" PRIu64
		    " bytes down after the protocol switch, not decoded)\n",
		    ex->tunnel_req, ex->tunnel_resp);
	fputc('\n', f);
	cx_view_free(&rqv);
	cx_view_free(&rsv);
}
