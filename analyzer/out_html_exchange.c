/*
 * out_html_exchange.c: the HTML report's article for one exchange
 * (docs/report.md): its request line and status, timings, sizes,
 * connection and process, then its headers (redacted), bodies, events and
 * WebSocket messages, each block in a collapsed <details>; and the
 * helpers the report's files share (out_html.h).
 *
 * Everything taken from the traffic is redacted unless --no-redact and
 * written as escaped text: a URL is shown, never linked.
 */
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "escape.h"
#include "json.h"
#include "out_html.h"
#include "output.h"
#include "view.h"
#include "ws.h"

#define HEXDUMP_MAX     256

/* --- helpers (out_html.h) --------------------------------------------- */

void
cx_htr_text(FILE *f, const struct cx_out_ctx *ctx, const char *s, size_t n,
    enum cx_out_as as)
{
	struct cx_buf b;

	if (s == NULL)
		return;
	cx_buf_init(&b, 0);
	cx_out_redact(&b, ctx->redact, as, s, n);
	cx_html_text(f, (const char *)b.p, b.len);
	cx_buf_free(&b);
}

void
cx_htr_texts(FILE *f, const struct cx_out_ctx *ctx, const char *s, int url)
{
	if (s != NULL)
		cx_htr_text(f, ctx, s, strlen(s), url ? CX_AS_URL : CX_AS_TEXT);
}

void
cx_htr_pre(FILE *f, const struct cx_out_ctx *ctx, const char *cls,
    const char *s, size_t n)
{
	size_t k;

	while (n > 0 && (s[n - 1] == '\n' || s[n - 1] == '\r'))
		n--;
	k = cx_out_shown(ctx, s, n);
	fprintf(f, "<pre class=\"%s\">", cls);
	cx_html_text(f, s, k);
	fputs("</pre>\n", f);
	if (k < n)
		fprintf(f, "<p class=\"cut\">%zu more bytes not shown "
		    "(--max-body)</p>\n", n - k);
}

void
cx_htr_json(FILE *f, const struct cx_out_ctx *ctx, const char *cls,
    const char *s, size_t n)
{
	char *mem = NULL;
	size_t len = 0;
	FILE *ms;
	struct cx_buf b;

	if (cx_json_check(s, n, CX_JSON_SCALAR) &&
	    (ms = open_memstream(&mem, &len)) != NULL) {
		cx_json_write(ms, s, n, CX_JSON_PRETTY | CX_JSON_SCALAR |
		    (ctx->redact ? CX_JSON_REDACT : 0), "");
		fclose(ms);
		cx_htr_pre(f, ctx, cls, mem, len);
		free(mem);
		return;
	}
	cx_buf_init(&b, 0);
	cx_out_redact(&b, ctx->redact, CX_AS_TEXT, s, n);
	cx_htr_pre(f, ctx, cls, (const char *)b.p, b.len);
	cx_buf_free(&b);
}

void
cx_htr_size(char *buf, size_t len, uint64_t n)
{
	if (n < 1024)
		snprintf(buf, len, "%" PRIu64 " B", n);
	else if (n < 1024 * 1024)
		snprintf(buf, len, "%.1f KiB", (double)n / 1024);
	else if (n < 1024ull * 1024 * 1024)
		snprintf(buf, len, "%.1f MiB", (double)n / (1024 * 1024));
	else
		snprintf(buf, len, "%.2f GiB",
		    (double)n / (1024 * 1024 * 1024));
}

void
cx_htr_count(FILE *f, int64_t n)
{
	if (n < 0)
		fputs("?", f);
	else
		fprintf(f, "%" PRId64, n);
}

/* --- an exchange's blocks --------------------------------------------- */

static void
redacted(struct cx_buf *b, const struct cx_out_ctx *ctx, const char *s,
    size_t n, enum cx_out_as as)
{
	cx_buf_reset(b);
	cx_out_redact(b, ctx->redact, as, s, n);
}

/* The JSON text p[0..n) redacted, compact or pretty, in b; -1 (b empty)
 * when it is not JSON. */
static long
json_text(struct cx_buf *b, const struct cx_out_ctx *ctx, const char *p,
    size_t n, int pretty, int scalar)
{
	cx_buf_reset(b);
	return cx_json_emit(b, p, n, (ctx->redact ? CX_JSON_REDACT : 0) |
	    (pretty ? CX_JSON_PRETTY : 0) | (scalar ? CX_JSON_SCALAR : 0), "");
}

static void
fields_text(struct cx_buf *b, const struct cx_out_ctx *ctx,
    const struct cx_fields *fl)
{
	for (size_t i = 0; i < fl->n; i++) {
		cx_buf_adds(b, fl->v[i].name);
		cx_buf_adds(b, ": ");
		cx_out_redact_header(b, ctx->redact, fl->v[i].name,
		    fl->v[i].value);
		cx_buf_addc(b, '\n');
	}
}

static void
start_line(struct cx_buf *b, const struct cx_out_ctx *ctx,
    const struct cx_msg *m, int req, int status, const char *reason)
{
	char ver[32], num[16];
	struct cx_buf t;

	cx_fmt_version(ver, sizeof(ver), m->version ? m->version : 11);
	cx_buf_init(&t, 0);
	if (req) {
		cx_buf_adds(b, m->method);
		cx_buf_addc(b, ' ');
		redacted(&t, ctx, m->target, strlen(m->target), CX_AS_URL);
		cx_buf_add(b, t.p, t.len);
		cx_buf_addc(b, ' ');
		cx_buf_adds(b, ver);
	} else {
		snprintf(num, sizeof(num), " %d ", status);
		cx_buf_adds(b, ver);
		cx_buf_adds(b, num);
		redacted(&t, ctx, reason, strlen(reason), CX_AS_TEXT);
		cx_buf_add(b, t.p, t.len);
	}
	cx_buf_addc(b, '\n');
	cx_buf_free(&t);
}

static void
headers_block(FILE *f, const struct cx_out_ctx *ctx,
    const struct cx_exchange *ex, int req)
{
	const struct cx_msg *m = req ? &ex->req : &ex->resp;
	struct cx_buf b;

	cx_buf_init(&b, 0);
	if (!req)
		for (size_t i = 0; i < m->ninterim; i++) {
			start_line(&b, ctx, m, 0, m->interim[i].status,
			    m->interim[i].reason);
			fields_text(&b, ctx, &m->interim[i].fields);
			cx_buf_addc(&b, '\n');
		}
	if (m->head_done) {
		start_line(&b, ctx, m, req, m->status, m->reason ?
		    m->reason : "");
		fields_text(&b, ctx, &m->fields);
	}
	if (m->trailers.n > 0) {
		cx_buf_adds(&b, "\n(trailers)\n");
		fields_text(&b, ctx, &m->trailers);
	}
	fprintf(f, "<details><summary>%s headers (%zu)</summary>\n",
	    req ? "Request" : "Response", m->fields.n);
	fputs("<pre class=\"code\">", f);
	cx_html_text(f, (const char *)b.p, b.len);
	fputs("</pre></details>\n", f);
	cx_buf_free(&b);
}

static void
hexdump(struct cx_buf *b, const uint8_t *p, size_t n)
{
	char line[128];

	for (size_t off = 0; off < n; off += 16) {
		int k = snprintf(line, sizeof(line), "%04zx ", off);

		for (size_t i = off; i < off + 16; i++)
			k += snprintf(line + k, sizeof(line) - (size_t)k,
			    i < n ? " %02x" : "   ", i < n ? p[i] : 0);
		k += snprintf(line + k, sizeof(line) - (size_t)k, "  ");
		for (size_t i = off; i < off + 16 && i < n; i++)
			line[k++] = p[i] >= 0x20 && p[i] < 0x7f ? (char)p[i] :
			    '.';
		line[k++] = '\n';
		cx_buf_add(b, line, (size_t)k);
	}
}

static void
body_block(FILE *f, const struct cx_out_ctx *ctx, const struct cx_msg *m,
    const char *what, struct cx_htdata *data)
{
	struct cx_view v;
	struct cx_buf b;
	char sz[32], dec[32];
	const char *kind = "";
	int tree = 0;

	cx_view_decode(&v, m);
	if (v.kind == CX_VIEW_NONE && v.error == NULL) {
		cx_view_free(&v);
		return;
	}
	cx_buf_init(&b, 0);
	if (v.kind == CX_VIEW_UNSET) {
		/* JSON written as it is checked (compact, as data for the
		 * page's tree); if it is not, what it is. */
		v.kind = json_text(&b, ctx, (const char *)v.p, v.n, 0,
		    v.json_scalar) >= 0 ? CX_VIEW_JSON :
		    cx_view_classify_text(v.p, v.n);
	}
	cx_htr_size(sz, sizeof(sz), m->body_bytes);
	switch (v.kind) {
	case CX_VIEW_UNSET:
	case CX_VIEW_NONE:
		break;
	case CX_VIEW_JSON:
		/* Whole, as data for the page's tree; cut, as text. */
		tree = ctx->max_body == 0 || b.len <= ctx->max_body;
		if (!tree)
			json_text(&b, ctx, (const char *)v.p, v.n, 1,
			    v.json_scalar);
		kind = "JSON, ";
		break;
	case CX_VIEW_TEXT:
		cx_out_redact(&b, ctx->redact, v.form ? CX_AS_FORM :
		    CX_AS_TEXT, (const char *)v.p, v.n);
		kind = "text, ";
		break;
	case CX_VIEW_BINARY:
		hexdump(&b, v.p, v.n > HEXDUMP_MAX ? HEXDUMP_MAX : v.n);
		kind = "binary, ";
		break;
	}
	fprintf(f, "<details%s><summary>%s body (%s%s", tree ?
	    " class=\"jb\"" : "", what, kind, sz);
	if (v.encoding != NULL) {
		cx_htr_size(dec, sizeof(dec), v.decoded_bytes);
		fputs(", ", f);
		cx_html_texts(f, v.encoding);
		fprintf(f, " \xe2\x86\x92 %s", dec);
	}
	fputs(")</summary>\n", f);
	if (v.error != NULL) {
		fputs("<p><b>The body could not be decoded</b> (", f);
		cx_html_texts(f, v.error);
		fputs("): the raw bytes are shown.</p>\n", f);
	}
	if (v.raw_truncated)
		fprintf(f, "<p class=\"cut\">The body was longer than %u MiB: "
		    "only the first %u MiB were kept.</p>\n",
		    CX_EXCHANGE_MAX_BODY >> 20, CX_EXCHANGE_MAX_BODY >> 20);
	if (v.decoded_truncated)
		fprintf(f, "<p class=\"cut\">The decoded body was cut at %u "
		    "MiB.</p>\n", CX_EXCHANGE_MAX_BODY >> 20);
	if (v.kind == CX_VIEW_BINARY) {
		fprintf(f, "<p>%zu bytes of binary data%s.</p>\n", v.n,
		    v.n > HEXDUMP_MAX ? ", the first 256 below" : "");
		fputs("<pre class=\"code\">", f);
		cx_html_text(f, (const char *)b.p, b.len);
		fputs("</pre>\n", f);
	} else if (tree) {
		/* The page's script draws it when it is opened. */
		fputs("<div class=\"jt\"></div>", f);
		cx_htr_data(f, data, (const char *)b.p, b.len);
		fputc('\n', f);
	} else if (v.kind != CX_VIEW_NONE)
		cx_htr_pre(f, ctx, "code", (const char *)b.p, b.len);
	fputs("</details>\n", f);
	cx_buf_free(&b);
	cx_view_free(&v);
}

/*
 * Events (or WebSocket messages) one a line: "+12.3ms name data"; data
 * that is JSON of TREE_EVENT bytes or more (compact), as a tree drawn
 * when opened (as a JSON body is).
 */
#define TREE_EVENT      2048
static void
events_block(FILE *f, const struct cx_out_ctx *ctx,
    const struct cx_exchange *ex, const struct cx_msg *m, const char *title,
    struct cx_htdata *data)
{
	struct cx_buf b, d;
	char line[64], sz[32];
	int json;

	fprintf(f, "<details><summary>%s (%zu)</summary>\n", title,
	    m->nevents);
	if (m->sse_error != NULL) {
		fputs("<p><b>The event stream could not be decoded</b> (", f);
		cx_html_texts(f, m->sse_error);
		fputs(").</p>\n", f);
	}
	cx_htr_stream_chart(f, ex, m->events, m->nevents);
	cx_buf_init(&b, 0);
	cx_buf_init(&d, 0);
	fputs("<ol class=\"events\">\n", f);
	for (size_t i = 0; i < m->nevents; i++) {
		const struct cx_event *e = &m->events[i];
		size_t k;

		cx_fmt_ms1(line, sizeof(line), e->ts - ex->start);
		fputs("<li><span class=\"t\">+", f);
		fputs(line, f);
		fputs("ms</span> ", f);
		if (e->id != NULL) {
			fputs("<span class=\"id\">[id ", f);
			cx_htr_texts(f, ctx, e->id, 0);
			fputs("]</span> ", f);
		}
		fputs("<b>", f);
		cx_htr_texts(f, ctx, e->event, 0);
		fputs("</b> ", f);
		/* JSON is checked as it is written: one pass. */
		cx_buf_reset(&d);
		json = cx_json_emit(&d, e->data, e->data_len, ctx->redact ?
		    CX_JSON_REDACT : 0, "") >= 0;
		if (!json)
			redacted(&d, ctx, e->data, e->data_len, CX_AS_TEXT);
		k = cx_out_shown(ctx, (const char *)d.p, d.len);
		if (json && k == d.len && d.len >= TREE_EVENT) {
			/* A big one (a request over a WebSocket): a tree. */
			cx_htr_size(sz, sizeof(sz), d.len);
			fprintf(f, "<details class=\"jb\"><summary>JSON, %s"
			    "</summary><div class=\"jt\"></div>", sz);
			cx_htr_data(f, data, (const char *)d.p, d.len);
			fputs("</details>", f);
		} else {
			fputs("<code>", f);
			cx_html_text(f, (const char *)d.p, k);
			fputs("</code>", f);
		}
		if (k < d.len)
			fprintf(f, " <span class=\"cut\">(%zu more bytes)"
			    "</span>", d.len - k);
		if (e->partial)
			fputs(" <span class=\"cut\">(incomplete: the stream "
			    "ended inside it)</span>", f);
		if (e->truncated)
			fputs(" <span class=\"cut\">(data cut: too long)"
			    "</span>", f);
		fputs("</li>\n", f);
	}
	fputs("</ol>\n", f);
	if (m->events_cut)
		fprintf(f, "<p class=\"cut\">More events than %u MiB: the rest "
		    "were dropped.</p>\n", CX_EXCHANGE_MAX_BODY >> 20);
	fputs("</details>\n", f);
	cx_buf_free(&b);
	cx_buf_free(&d);
}

/* The messages after a switch to WebSocket, as events are. */
static void
ws_block(FILE *f, const struct cx_out_ctx *ctx, const struct cx_exchange *ex,
    struct cx_htdata *data)
{
	struct cx_ws_events we;

	cx_out_ws_events(&we, ex);
	events_block(f, ctx, ex, &we.msg, "WebSocket messages", data);
	cx_out_ws_events_free(&we);
}

/* --- the article ------------------------------------------------------ */

static void
title(FILE *f, const struct cx_out_ctx *ctx, const struct cx_exchange *ex)
{
	const struct cx_msg *rq = &ex->req, *rs = &ex->resp;

	fprintf(f, "<h3><a class=\"self\" href=\"#exchange-%" PRIu64 "\">#%"
	    PRIu64 "</a> ", ex->id, ex->id);
	if (ex->has_req && rq->head_done) {
		fputs("<span class=\"line\">", f);
		cx_htr_texts(f, ctx, rq->method, 0);
		fputc(' ', f);
		cx_htr_texts(f, ctx, rq->target, 1);
		fputs("</span>", f);
	} else
		fputs(ex->has_req ? "(request not decoded)" : "(no request)",
		    f);
	fputs(" \xe2\x86\x92 ", f);
	if (ex->has_resp && rs->head_done) {
		fprintf(f, "<span class=\"st st%d\">%d ", rs->status / 100,
		    rs->status);
		cx_htr_texts(f, ctx, rs->reason, 0);
		fputs("</span>", f);
	} else
		fputs(ex->has_resp ? "(response not decoded)" :
		    "(no response)", f);
	if (ex->has_resp)
		fprintf(f, " <span class=\"ms\">%.1f ms</span>",
		    cx_ms(rs->t_last - ex->start));
	if (ex->error != NULL)
		fputs(" <span class=\"err\">error</span>", f);
	fputs("</h3>\n", f);
}

void
cx_htr_exchange(FILE *f, const struct cx_out_ctx *ctx,
    const struct cx_exchange *ex, const struct cx_report_tlrow *row,
    struct cx_htdata *data)
{
	const struct cx_msg *rq = &ex->req, *rs = &ex->resp;
	char when[32], a[32];

	fprintf(f, "<article class=\"ex f\" id=\"exchange-%" PRIu64 "\"",
	    ex->id);
	cx_htr_keys(f, row);
	fputs(">\n", f);
	title(f, ctx, ex);
	cx_fmt_time(when, sizeof(when), ctx->info, ex->start, 0);
	fprintf(f, "<ul class=\"meta\"><li>started %s UTC", when);
	if (ex->has_req && ex->has_resp)
		fprintf(f, ", time to first byte %.1f ms",
		    cx_ms(rs->t_first - rq->t_last));
	if (ex->has_resp)
		fprintf(f, ", total %.1f ms", cx_ms(rs->t_last - ex->start));
	if (ex->has_req) {
		cx_htr_size(a, sizeof(a), rq->body_bytes);
		fprintf(f, ", request body %s", a);
	}
	if (ex->has_resp) {
		cx_htr_size(a, sizeof(a), rs->body_bytes);
		fprintf(f, ", response body %s", a);
	}
	if (rs->sse)
		fprintf(f, ", %zu event%s", rs->nevents, rs->nevents == 1 ? "" :
		    "s");
	if (ex->nws > 0)
		fprintf(f, ", %zu WebSocket message%s", ex->nws,
		    ex->nws == 1 ? "" : "s");
	fprintf(f, "</li>\n<li>%s connection %" PRIu64,
	    cx_source_name(ex->source), ex->conn);
	if (ex->seq != CX_NO_SEQ)
		fprintf(f, ", request %" PRIu64, ex->seq);
	if (ex->pid != 0)
		fprintf(f, ", pid %" PRIu32, ex->pid);
	if (ex->comm != NULL) {
		fputs(" (", f);
		cx_html_texts(f, ex->comm);
		fputc(')', f);
	}
	fputs("</li>\n", f);
	if (ex->upstream != NULL) {
		fputs("<li>upstream ", f);
		cx_htr_texts(f, ctx, ex->upstream, 1);
		if (ex->route != NULL) {
			fputs(" (route ", f);
			cx_htr_texts(f, ctx, ex->route, 0);
			fputc(')', f);
		}
		fputs("</li>\n", f);
	}
	if (ex->error != NULL) {
		fputs("<li class=\"err\">error: ", f);
		cx_htr_texts(f, ctx, ex->error, 0);
		fputs("</li>\n", f);
	}
	if (ex->note != NULL) {
		fputs("<li>note: ", f);
		cx_htr_texts(f, ctx, ex->note, 0);
		fputs("</li>\n", f);
	}
	if (ex->tunnel_req > 0 || ex->tunnel_resp > 0)
		fprintf(f, "<li>then %" PRIu64 " bytes up and %" PRIu64
		    " bytes down after the protocol switch, not decoded</li>\n",
		    ex->tunnel_req, ex->tunnel_resp);
	fputs("</ul>\n", f);
	if (ex->has_req && rq->head_done) {
		headers_block(f, ctx, ex, 1);
		body_block(f, ctx, rq, "Request", data);
	}
	if (ex->has_resp && (rs->head_done || rs->ninterim > 0)) {
		headers_block(f, ctx, ex, 0);
		if (rs->sse)
			events_block(f, ctx, ex, &ex->resp, "Response events",
			    data);
		else
			body_block(f, ctx, rs, "Response", data);
	}
	if (ex->nws > 0)
		ws_block(f, ctx, ex, data);
	fputs("</article>\n", f);
}
