/*
 * out_md_exchange.c: the Markdown report's sections for one exchange
 * (docs/report.md): a heading, what it was (times, sizes, connection,
 * process, upstream, problems), then its headers, bodies, events and
 * WebSocket messages, each block in <details>.
 *
 * Everything taken from the traffic is redacted unless --no-redact
 * (output.h's cx_out_redact, jsonw.h for JSON) and escaped for Markdown
 * (escape.h: text, or code blocks fenced longer than any backtick run).
 */
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "escape.h"
#include "json.h"
#include "scan.h"
#include "out_md.h"
#include "output.h"
#include "view.h"
#include "ws.h"

#define HEXDUMP_MAX     256

/* --- helpers --------------------------------------------------------- */

/* s[0..n) redacted into b (reset first), as `as` says. */
static void
redacted(struct cx_buf *b, const struct cx_out_ctx *ctx, const char *s,
    size_t n, enum cx_out_as as)
{
	cx_buf_reset(b);
	cx_out_redact(b, ctx->redact, as, s, n);
}

void
cx_mdr_text(FILE *f, const struct cx_out_ctx *ctx, const char *s, int url,
    int flags)
{
	struct cx_buf b;

	if (s == NULL)
		return;
	cx_buf_init(&b, 0);
	cx_out_redact(&b, ctx->redact, url ? CX_AS_URL : CX_AS_TEXT, s,
	    strlen(s));
	cx_md_text(f, (const char *)b.p, b.len, flags);
	cx_buf_free(&b);
}

void
cx_mdr_size(char *buf, size_t len, uint64_t n)
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
code_limited(FILE *f, const struct cx_out_ctx *ctx, const char *info,
    const char *s, size_t n)
{
	size_t k = cx_out_shown(ctx, s, n);

	cx_md_code(f, info, s, k);
	if (k < n)
		fprintf(f, "*%zu more bytes not shown (--max-body)*\n\n",
		    n - k);
}

static void
details_open(FILE *f, const char *summary)
{
	/* The blank line after </summary> lets Markdown resume. */
	fprintf(f, "<details><summary>%s</summary>\n\n", summary);
}

static void
details_close(FILE *f)
{
	fputs("</details>\n\n", f);
}

/* --- exchanges ------------------------------------------------------- */

static void
fields_text(struct cx_buf *b, const struct cx_out_ctx *ctx,
    const struct cx_fields *fl, const char *prefix)
{
	for (size_t i = 0; i < fl->n; i++) {
		cx_buf_adds(b, prefix);
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
    const char *what)
{
	struct cx_view v;
	struct cx_buf b;
	char sz[32], dec[32];
	const char *info = NULL, *kind = "";

	cx_view_decode(&v, m);
	if (v.kind == CX_VIEW_NONE && v.error == NULL) {
		cx_view_free(&v);
		return;
	}
	cx_buf_init(&b, 0);
	if (v.kind == CX_VIEW_UNSET) {
		/* JSON written as it is checked; if it is not, what it is. */
		v.kind = json_text(&b, ctx, (const char *)v.p, v.n, 1,
		    v.json_scalar) >= 0 ? CX_VIEW_JSON :
		    cx_view_classify_text(v.p, v.n);
	}
	cx_mdr_size(sz, sizeof(sz), m->body_bytes);
	switch (v.kind) {
	case CX_VIEW_UNSET:
	case CX_VIEW_NONE:
		break;
	case CX_VIEW_JSON:
		info = "json";
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
	/* The coding's name comes from the traffic: HTML-escaped. */
	fprintf(f, "<details><summary>%s body (%s%s", what, kind, sz);
	if (v.encoding != NULL) {
		cx_mdr_size(dec, sizeof(dec), v.decoded_bytes);
		fputs(", ", f);
		cx_md_html(f, v.encoding, strlen(v.encoding));
		fprintf(f, " \xe2\x86\x92 %s", dec);
	}
	fputs(")</summary>\n\n", f);
	if (v.error != NULL) {
		fputs("**The body could not be decoded** (", f);
		cx_md_texts(f, v.error, 0);
		fputs("): the raw bytes are shown.\n\n", f);
	}
	if (v.raw_truncated)
		fprintf(f, "*The body was longer than %u MiB: only the "
		    "first %u MiB were kept.*\n\n", CX_EXCHANGE_MAX_BODY >> 20,
		    CX_EXCHANGE_MAX_BODY >> 20);
	if (v.decoded_truncated)
		fprintf(f, "*The decoded body was cut at %u MiB.*\n\n",
		    CX_EXCHANGE_MAX_BODY >> 20);
	if (v.kind == CX_VIEW_BINARY) {
		fprintf(f, "%zu bytes of binary data%s.\n", v.n,
		    v.n > HEXDUMP_MAX ? ", the first 256 below" : "");
		cx_md_code(f, NULL, (const char *)b.p, b.len);
	} else if (v.kind != CX_VIEW_NONE)
		code_limited(f, ctx, info, (const char *)b.p, b.len);
	details_close(f);
	cx_buf_free(&b);
	cx_view_free(&v);
}

static void
events_block(FILE *f, const struct cx_out_ctx *ctx,
    const struct cx_exchange *ex, const struct cx_msg *m, const char *title)
{
	struct cx_buf b, d;
	char summary[128], line[64];

	snprintf(summary, sizeof(summary), "%s (%zu)", title, m->nevents);
	details_open(f, summary);
	if (m->sse_error != NULL) {
		fputs("**The event stream could not be decoded** (", f);
		cx_md_texts(f, m->sse_error, 0);
		fputs(").\n\n", f);
	}
	cx_buf_init(&b, 0);
	cx_buf_init(&d, 0);
	for (size_t i = 0; i < m->nevents; i++) {
		const struct cx_event *e = &m->events[i];
		size_t k;

		cx_buf_adds(&b, "+");
		cx_buf_add(&b, line, cx_fmt_ms1(line, sizeof(line), e->ts -
		    ex->start));
		cx_buf_adds(&b, "ms ");
		if (e->id != NULL) {
			cx_buf_adds(&b, "[id ");
			redacted(&d, ctx, e->id, strlen(e->id), CX_AS_TEXT);
			cx_buf_add(&b, d.p, d.len);
			cx_buf_adds(&b, "] ");
		}
		redacted(&d, ctx, e->event, strlen(e->event), CX_AS_TEXT);
		cx_buf_add(&b, d.p, d.len);
		cx_buf_addc(&b, ' ');
		/* JSON is checked as it is written: one pass. */
		cx_buf_reset(&d);
		if (cx_json_emit(&d, e->data, e->data_len, ctx->redact ?
		    CX_JSON_REDACT : 0, "") < 0)
			redacted(&d, ctx, e->data, e->data_len, CX_AS_TEXT);
		k = cx_out_shown(ctx, (const char *)d.p, d.len);
		for (size_t j = 0, eol; j < k; j = eol + 1) {
			/* one line an event */
			eol = cx_scan(d.p, j, k, CX_SC_EOL);
			cx_buf_add(&b, d.p + j, eol - j);
			if (eol < k)
				cx_buf_adds(&b, d.p[eol] == '\n' ? "\\n" :
				    "\\r");
		}
		if (k < d.len) {
			snprintf(line, sizeof(line), " ... (%zu more bytes)",
			    d.len - k);
			cx_buf_adds(&b, line);
		}
		if (e->partial)
			cx_buf_adds(&b, "  (incomplete: the stream ended "
			    "inside it)");
		if (e->truncated)
			cx_buf_adds(&b, "  (data cut: too long)");
		cx_buf_addc(&b, '\n');
	}
	if (m->nevents > 0)
		cx_md_code(f, NULL, (const char *)b.p, b.len);
	if (m->events_cut)
		fprintf(f, "*More events than %u MiB: the rest were dropped.*"
		    "\n\n", CX_EXCHANGE_MAX_BODY >> 20);
	details_close(f);
	cx_buf_free(&b);
	cx_buf_free(&d);
}

/*
 * The messages after a switch to WebSocket, one a line as events are:
 * "+12.3ms send text {...}" (binary in base64).
 */
static void
ws_block(FILE *f, const struct cx_out_ctx *ctx, const struct cx_exchange *ex)
{
	struct cx_ws_events we;

	cx_out_ws_events(&we, ex);
	events_block(f, ctx, ex, &we.msg, "WebSocket messages");
	cx_out_ws_events_free(&we);
}

static void
headers_block(FILE *f, const struct cx_out_ctx *ctx,
    const struct cx_exchange *ex, int req)
{
	const struct cx_msg *m = req ? &ex->req : &ex->resp;
	struct cx_buf b;
	char summary[128];

	cx_buf_init(&b, 0);
	if (!req)
		for (size_t i = 0; i < m->ninterim; i++) {
			start_line(&b, ctx, m, 0, m->interim[i].status,
			    m->interim[i].reason);
			fields_text(&b, ctx, &m->interim[i].fields, "");
			cx_buf_addc(&b, '\n');
		}
	if (m->head_done) {
		start_line(&b, ctx, m, req, m->status, m->reason ?
		    m->reason : "");
		fields_text(&b, ctx, &m->fields, "");
	}
	if (m->trailers.n > 0) {
		cx_buf_adds(&b, "\n(trailers)\n");
		fields_text(&b, ctx, &m->trailers, "");
	}
	snprintf(summary, sizeof(summary), "%s headers (%zu)", req ?
	    "Request" : "Response", m->fields.n);
	details_open(f, summary);
	cx_md_code(f, "http", (const char *)b.p, b.len);
	details_close(f);
	cx_buf_free(&b);
}

void
cx_mdr_exchange(FILE *f, const struct cx_out_ctx *ctx,
    const struct cx_exchange *ex)
{
	const struct cx_msg *rq = &ex->req, *rs = &ex->resp;
	char when[32], a[32];

	/* An explicit anchor: headings' own ids depend on escaped text. */
	fprintf(f, "<a id=\"exchange-%" PRIu64 "\"></a>\n\n### #%" PRIu64 " ",
	    ex->id, ex->id);
	if (ex->has_req && rq->head_done) {
		cx_mdr_text(f, ctx, rq->method, 0, 0);
		fputc(' ', f);
		cx_mdr_text(f, ctx, rq->target, 1, 0);
	} else
		fputs(ex->has_req ? "(request not decoded)" : "(no request)",
		    f);
	fputs(" \xe2\x86\x92 ", f);
	if (ex->has_resp && rs->head_done) {
		fprintf(f, "%d ", rs->status);
		cx_mdr_text(f, ctx, rs->reason, 0, 0);
	} else
		fputs(ex->has_resp ? "(response not decoded)" :
		    "(no response)", f);
	if (ex->has_resp)
		fprintf(f, " (%.1f ms)", cx_ms(rs->t_last - ex->start));
	if (ex->error != NULL)
		fputs(" \xe2\x80\x94 error", f);
	fputs("\n\n", f);

	cx_fmt_time(when, sizeof(when), ctx->info, ex->start, 0);
	fprintf(f, "- started %s UTC", when);
	if (ex->has_req && ex->has_resp)
		fprintf(f, ", TTFB %.1f ms", cx_ms(rs->t_first - rq->t_last));
	if (ex->has_resp)
		fprintf(f, ", total %.1f ms", cx_ms(rs->t_last - ex->start));
	if (ex->has_req) {
		cx_mdr_size(a, sizeof(a), rq->body_bytes);
		fprintf(f, ", request body %s", a);
	}
	if (ex->has_resp) {
		cx_mdr_size(a, sizeof(a), rs->body_bytes);
		fprintf(f, ", response body %s", a);
	}
	if (rs->sse)
		fprintf(f, ", %zu event%s", rs->nevents, rs->nevents == 1 ? "" :
		    "s");
	fputc('\n', f);
	fprintf(f, "- %s connection %" PRIu64, cx_source_name(ex->source),
	    ex->conn);
	if (ex->seq != CX_NO_SEQ)
		fprintf(f, ", request %" PRIu64, ex->seq);
	if (ex->pid != 0)
		fprintf(f, ", pid %" PRIu32, ex->pid);
	if (ex->comm != NULL) {
		fputs(" (", f);
		cx_md_texts(f, ex->comm, 0);
		fputc(')', f);
	}
	fputc('\n', f);
	if (ex->upstream != NULL) {
		fputs("- upstream: ", f);
		cx_mdr_text(f, ctx, ex->upstream, 1, 0);
		if (ex->route != NULL) {
			fputs(" (route ", f);
			cx_mdr_text(f, ctx, ex->route, 0, 0);
			fputc(')', f);
		}
		fputc('\n', f);
	}
	if (ex->error != NULL) {
		fputs("- **error**: ", f);
		cx_mdr_text(f, ctx, ex->error, 0, 0);
		fputc('\n', f);
	}
	if (ex->note != NULL) {
		fputs("- note: ", f);
		cx_mdr_text(f, ctx, ex->note, 0, 0);
		fputc('\n', f);
	}
	if (ex->tunnel_req > 0 || ex->tunnel_resp > 0)
		fprintf(f, "- then %" PRIu64 " bytes up and %" PRIu64 " bytes "
		    "down after the protocol switch, not decoded\n",
		    ex->tunnel_req, ex->tunnel_resp);
	fputc('\n', f);
	if (ex->has_req && rq->head_done) {
		headers_block(f, ctx, ex, 1);
		body_block(f, ctx, rq, "Request");
	}
	if (ex->has_resp && (rs->head_done || rs->ninterim > 0)) {
		headers_block(f, ctx, ex, 0);
		if (rs->sse)
			events_block(f, ctx, ex, &ex->resp, "Response events");
		else
			body_block(f, ctx, rs, "Response");
	}
	if (ex->nws > 0)
		ws_block(f, ctx, ex);
}
