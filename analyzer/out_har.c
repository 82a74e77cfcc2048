/*
 * out_har.c: HAR 1.2 (http://www.softwareishard.com/blog/har-12-spec/),
 * one JSON document with one entry per exchange, in order of start.
 *
 * What HAR cannot say goes into custom fields (a leading "_"): the client
 * process (_pid, _tid, _comm, and _process as jsonl's "process"), the
 * connection (_conn), who recorded it (_source), what went wrong
 * (_error), a note (_note), the events of an event stream (_sse, as in
 * the jsonl format), the messages after a switch to WebSocket
 * (_webSocketMessages, as Chrome writes them) and, since HAR has no
 * encoding on postData, "_encoding":"base64" for a binary request body.
 * Redaction is the jsonl format's (redact.h): the same helpers on the same
 * strings.
 *
 * request.url is absolute: the relay's upstream URL (ROUTE) when there is
 * one, else the target if it is absolute, else "http://" HOST TARGET (HOST
 * from the Host field, "unknown" without one).  queryString is parsed from
 * that URL and percent-decoded.  bodySize counts the body as sent (after
 * removing chunked framing, before content decoding); content.size is the
 * decoded size and content.compression the bytes saved (size - bodySize)
 * when a Content-Encoding was decoded.  An event stream's content.text is
 * the stream written out again from its events.  An exchange without a
 * response has status 0 and an empty content.
 *
 * Times: startedDateTime is the request's first byte; timings.send is the
 * request's first to last byte, wait its last byte to the response's first,
 * receive the response's first to last byte (each at least 0); time is
 * their sum.  blocked, dns, connect and ssl are not known (-1).
 *
 * headers[] and cookies[] are written by out_har_fields.c.
 */
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "json.h"
#include "jsonw.h"
#include "log.h"
#include "out_har_int.h"
#include "output.h"
#include "redact.h"
#include "view.h"

/* A buffer's content as a JSON string (an empty one may have no memory). */
void
har_bstr(FILE *f, const struct cx_buf *b)
{
	cx_json_str(f, b->p != NULL ? (const char *)b->p : "", b->len);
}

/* A string, redacted as text if asked (jsonl's helper, jsonw.h). */
static void
rstr(FILE *f, const struct cx_out_ctx *ctx, const char *s, size_t n)
{
	struct cx_buf b;

	cx_buf_init(&b, 0);
	cx_jw_str(&b, ctx->redact, s, n);
	fwrite(b.p, 1, b.len, f);
	cx_buf_free(&b);
}

/* A string, or null. */
static void
rcstr(FILE *f, const struct cx_out_ctx *ctx, const char *s)
{
	if (s == NULL)
		fputs("null", f);
	else
		rstr(f, ctx, s, strlen(s));
}

/* A string, or "" for NULL. */
static void
rcstr0(FILE *f, const struct cx_out_ctx *ctx, const char *s)
{
	rcstr(f, ctx, s != NULL ? s : "");
}

/* Milliseconds, at least 0. */
static double
pos_ms(int64_t ns)
{
	return ns > 0 ? cx_ms(ns) : 0.0;
}

/* The absolute URL of the request (see the top of the file). */
static void
entry_url(struct cx_buf *b, const struct cx_out_ctx *ctx,
    const struct cx_exchange *ex)
{
	struct cx_buf raw;
	const char *t = ex->has_req ? ex->req.target : NULL, *host;

	cx_buf_init(&raw, 0);
	if (ex->upstream != NULL && *ex->upstream != '\0')
		cx_buf_adds(&raw, ex->upstream);
	else if (t != NULL && (strncasecmp(t, "http://", 7) == 0 ||
	    strncasecmp(t, "https://", 8) == 0))
		cx_buf_adds(&raw, t);
	else {
		host = ex->has_req ? cx_fields_get(&ex->req.fields, "host") :
		    NULL;
		cx_buf_adds(&raw, "http://");
		cx_buf_adds(&raw, host != NULL && *host != '\0' ? host :
		    "unknown");
		if (t == NULL || *t != '/')
			cx_buf_addc(&raw, '/');
		if (t != NULL && strcmp(t, "*") != 0)
			cx_buf_adds(&raw, t);
	}
	cx_out_redact(b, ctx->redact, CX_AS_URL, (const char *)raw.p,
	    raw.len);
	cx_buf_free(&raw);
}

static int
hexval(int c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

/* s[0..n) percent-decoded, then redacted as text, as a JSON string. */
static void
pct_str(FILE *f, const struct cx_out_ctx *ctx, const char *s, size_t n)
{
	struct cx_buf d;

	cx_buf_init(&d, 0);
	for (size_t i = 0; i < n; i++) {
		int hi = i + 2 < n ? hexval((unsigned char)s[i + 1]) : -1;
		int lo = i + 2 < n ? hexval((unsigned char)s[i + 2]) : -1;

		if (s[i] == '%' && hi >= 0 && lo >= 0) {
			cx_buf_addc(&d, hi * 16 + lo);
			i += 2;
		} else
			cx_buf_addc(&d, (unsigned char)s[i]);
	}
	rstr(f, ctx, d.p != NULL ? (const char *)d.p : "", d.len);
	cx_buf_free(&d);
}

/* queryString: the pairs of the URL's query (redacted already when
 * asked: entry_url), percent-decoded. */
static void
query_string(FILE *f, const struct cx_out_ctx *ctx, const char *url,
    size_t n)
{
	const char *q = memchr(url, '?', n), *end, *hash;
	int first = 1;

	putc('[', f);
	if (q != NULL) {
		q++;
		hash = memchr(q, '#', (size_t)(url + n - q));
		end = hash != NULL ? hash : url + n;
		while (q < end) {
			const char *amp = memchr(q, '&', (size_t)(end - q));
			const char *pe = amp != NULL ? amp : end, *eq;

			if (pe > q) {
				eq = memchr(q, '=', (size_t)(pe - q));
				if (!first)
					putc(',', f);
				first = 0;
				fputs("{\"name\":", f);
				pct_str(f, ctx, q,
				    (size_t)((eq ? eq : pe) - q));
				fputs(",\"value\":", f);
				if (eq != NULL)
					pct_str(f, ctx, eq + 1,
					    (size_t)(pe - eq - 1));
				else
					fputs("\"\"", f);
				putc('}', f);
			}
			q = pe + 1;
		}
	}
	putc(']', f);
}

/* JSON text re-written (redacted if asked) into b: nothing if it is
 * not JSON after all. */
static void
json_text(struct cx_buf *b, const struct cx_out_ctx *ctx,
    const struct cx_view *v)
{
	cx_json_emit(b, (const char *)v->p, v->n, (ctx->redact ?
	    CX_JSON_REDACT : 0) | (v->json_scalar ? CX_JSON_SCALAR : 0), NULL);
}

/* "text": the body as shown (base64 for binary: returns 1). */
static int
body_text(FILE *f, const struct cx_out_ctx *ctx, const struct cx_view *v)
{
	struct cx_buf b;

	fputs("\"text\":", f);
	switch (v->kind) {
	case CX_VIEW_UNSET:          /* not from cx_view_body */
	case CX_VIEW_NONE:
		fputs("\"\"", f);
		break;
	case CX_VIEW_JSON:
		cx_buf_init(&b, 0);
		json_text(&b, ctx, v);
		har_bstr(f, &b);
		cx_buf_free(&b);
		break;
	case CX_VIEW_TEXT:
		if (v->form) {
			cx_buf_init(&b, 0);
			cx_out_redact(&b, ctx->redact, CX_AS_FORM,
			    (const char *)v->p, v->n);
			har_bstr(f, &b);
			cx_buf_free(&b);
		} else
			rstr(f, ctx, (const char *)v->p, v->n);
		break;
	case CX_VIEW_BINARY:
		cx_json_base64(f, v->p, v->n);
		return 1;
	}
	return 0;
}

static void
mime_type(FILE *f, const struct cx_msg *m)
{
	cx_json_cstr(f, cx_fields_get(&m->fields, "content-type") ?
	    cx_fields_get(&m->fields, "content-type") : "");
}

static void
post_data(FILE *f, const struct cx_out_ctx *ctx, const struct cx_msg *m)
{
	struct cx_view v;

	cx_view_body(&v, m);
	fputs(",\"postData\":{\"mimeType\":", f);
	mime_type(f, m);
	fputs(",\"params\":[],", f);
	if (body_text(f, ctx, &v))
		fputs(",\"_encoding\":\"base64\"", f);
	if (v.error != NULL) {
		fputs(",\"_error\":", f);
		cx_json_cstr(f, v.error);
	}
	putc('}', f);
	cx_view_free(&v);
}

static void
http_version(FILE *f, int v)
{
	char buf[32];

	if (v == 0)
		buf[0] = '\0';
	else
		cx_fmt_version(buf, sizeof(buf), v);
	cx_json_cstr(f, buf);
}

static void
request(FILE *f, const struct cx_out_ctx *ctx, const struct cx_exchange *ex)
{
	static const struct cx_msg none;
	const struct cx_msg *m = ex->has_req ? &ex->req : &none;
	struct cx_buf url;

	cx_buf_init(&url, 0);
	entry_url(&url, ctx, ex);
	fputs("{\"method\":", f);
	cx_json_cstr(f, m->method != NULL ? m->method : "");
	fputs(",\"url\":", f);
	har_bstr(f, &url);
	fputs(",\"httpVersion\":", f);
	http_version(f, m->version);
	fputs(",\"cookies\":", f);
	har_cookies(f, ctx, &m->fields, 0);
	fputs(",\"headers\":", f);
	har_headers(f, ctx, &m->fields);
	fputs(",\"queryString\":", f);
	query_string(f, ctx, (const char *)url.p, url.len);
	if (m->body_bytes > 0)
		post_data(f, ctx, m);
	fprintf(f, ",\"headersSize\":-1,\"bodySize\":%" PRIu64, m->body_bytes);
	if (ex->route != NULL) {
		fputs(",\"_route\":", f);
		cx_json_cstr(f, ex->route);
	}
	putc('}', f);
	cx_buf_free(&url);
}

/* An event's data: a JSON value if it is an object or array, else text. */
static void
data_value(FILE *f, const struct cx_out_ctx *ctx, const char *p, size_t n)
{
	int flags = ctx->redact ? CX_JSON_REDACT : 0;

	if (cx_json_check(p, n, flags))
		cx_json_write(f, p, n, flags, NULL);
	else
		rstr(f, ctx, p, n);
}

/* The event stream as text again: field lines, a blank line each. */
static void
sse_text(FILE *f, const struct cx_out_ctx *ctx, const struct cx_msg *m)
{
	struct cx_buf b;

	cx_buf_init(&b, 0);
	for (size_t i = 0; i < m->nevents; i++) {
		const struct cx_event *e = &m->events[i];
		const char *p, *end;
		char *js = NULL;
		size_t n = 0;

		if (strcmp(e->event, "message") != 0) {
			cx_buf_adds(&b, "event: ");
			cx_out_redact(&b, ctx->redact, CX_AS_TEXT, e->event,
			    strlen(e->event));
			cx_buf_addc(&b, '\n');
		}
		if (e->id != NULL) {
			cx_buf_adds(&b, "id: ");
			cx_out_redact(&b, ctx->redact, CX_AS_TEXT, e->id,
			    strlen(e->id));
			cx_buf_addc(&b, '\n');
		}
		p = e->data;
		end = e->data + e->data_len;
		if (ctx->redact) {
			struct cx_buf r;

			/* JSON is checked as it is written: one pass. */
			cx_buf_init(&r, 0);
			if (cx_json_emit(&r, p, e->data_len, CX_JSON_REDACT,
			    NULL) < 0)
				cx_out_redact(&r, 1, CX_AS_TEXT, p,
				    e->data_len);
			n = r.len;
			js = cx_buf_take(&r);
			p = js != NULL ? js : "";
			end = p + n;
		}
		for (;;) {
			const char *nl = memchr(p, '\n', (size_t)(end - p));

			cx_buf_adds(&b, "data: ");
			cx_buf_add(&b, p, (size_t)((nl ? nl : end) - p));
			cx_buf_addc(&b, '\n');
			if (nl == NULL)
				break;
			p = nl + 1;
		}
		free(js);
		if (!e->partial)
			cx_buf_addc(&b, '\n');
	}
	har_bstr(f, &b);
	cx_buf_free(&b);
}

static void
sse_events(FILE *f, const struct cx_out_ctx *ctx, const struct cx_exchange *ex)
{
	const struct cx_msg *m = &ex->resp;

	putc('[', f);
	for (size_t i = 0; i < m->nevents; i++) {
		const struct cx_event *e = &m->events[i];

		if (i > 0)
			putc(',', f);
		fprintf(f, "{\"t_ms\":%.3f,\"event\":",
		    cx_ms(e->ts - ex->start));
		rcstr(f, ctx, e->event);
		fputs(",\"id\":", f);
		rcstr(f, ctx, e->id);
		fputs(",\"data\":", f);
		data_value(f, ctx, e->data, e->data_len);
		if (e->partial)
			fputs(",\"partial\":true", f);
		if (e->truncated)
			fputs(",\"truncated\":true", f);
		putc('}', f);
	}
	putc(']', f);
}

/* content{}: size decoded, compression, mimeType, text. */
static void
content(FILE *f, const struct cx_out_ctx *ctx, const struct cx_msg *m)
{
	struct cx_view v;
	uint64_t size;

	fputs("{\"size\":", f);
	if (m->sse) {
		size = m->sse_encoding != NULL ? m->sse_decoded : m->body_bytes;
		fprintf(f, "%" PRIu64, size);
		if (m->sse_encoding != NULL && m->sse_error == NULL)
			fprintf(f, ",\"compression\":%" PRId64,
			    (int64_t)(size - m->body_bytes));
		fputs(",\"mimeType\":", f);
		mime_type(f, m);
		fputs(",", f);
		fputs("\"text\":", f);
		sse_text(f, ctx, m);
		if (m->sse_error != NULL) {
			fputs(",\"_error\":", f);
			cx_json_cstr(f, m->sse_error);
		}
		putc('}', f);
		return;
	}
	cx_view_body(&v, m);
	size = v.encoding != NULL ? v.decoded_bytes : m->body_bytes;
	fprintf(f, "%" PRIu64, size);
	if (v.encoding != NULL)
		fprintf(f, ",\"compression\":%" PRId64,
		    (int64_t)(size - m->body_bytes));
	fputs(",\"mimeType\":", f);
	mime_type(f, m);
	putc(',', f);
	if (body_text(f, ctx, &v))
		fputs(",\"encoding\":\"base64\"", f);
	if (v.error != NULL) {
		fputs(",\"_error\":", f);
		cx_json_cstr(f, v.error);
	}
	putc('}', f);
	cx_view_free(&v);
}

static void
response(FILE *f, const struct cx_out_ctx *ctx, const struct cx_exchange *ex)
{
	const struct cx_msg *m = &ex->resp;
	const char *loc;
	struct cx_buf b;

	if (!ex->has_resp || !m->head_done) {
		fputs("{\"status\":0,\"statusText\":\"\",\"httpVersion\":\"\","
		    "\"cookies\":[],\"headers\":[],\"content\":{\"size\":0,"
		    "\"mimeType\":\"\"},\"redirectURL\":\"\","
		    "\"headersSize\":-1,\"bodySize\":", f);
		fprintf(f, "%" PRIu64 "}", ex->has_resp ? m->body_bytes : 0);
		return;
	}
	fprintf(f, "{\"status\":%d,\"statusText\":", m->status);
	rcstr0(f, ctx, m->reason);
	fputs(",\"httpVersion\":", f);
	http_version(f, m->version);
	fputs(",\"cookies\":", f);
	har_cookies(f, ctx, &m->fields, 1);
	fputs(",\"headers\":", f);
	har_headers(f, ctx, &m->fields);
	fputs(",\"content\":", f);
	content(f, ctx, m);
	fputs(",\"redirectURL\":", f);
	cx_buf_init(&b, 0);
	if ((loc = cx_fields_get(&m->fields, "location")) != NULL)
		cx_out_redact(&b, ctx->redact, CX_AS_URL, loc, strlen(loc));
	har_bstr(f, &b);
	cx_buf_free(&b);
	fprintf(f, ",\"headersSize\":-1,\"bodySize\":%" PRIu64, m->body_bytes);
	if (m->sse) {
		fputs(",\"_sse\":", f);
		sse_events(f, ctx, ex);
	}
	putc('}', f);
}

/*
 * Chrome's _webSocketMessages: {type: "send"|"receive", time: seconds
 * since the epoch, opcode, data: text, or base64 for binary}.
 */
static void
ws_messages(FILE *f, const struct cx_out_ctx *ctx,
    const struct cx_exchange *ex)
{
	const struct cx_file_info *info = ctx->info;

	fputs(",\"_webSocketMessages\":[", f);
	for (size_t i = 0; i < ex->nws; i++) {
		const struct cx_wsmsg *m = &ex->ws[i];
		int64_t rt = info->realtime_ns + (m->ts - info->monotonic_ns);

		fprintf(f, "%s{\"type\":\"%s\",\"time\":%.6f,\"opcode\":%d,"
		    "\"data\":", i > 0 ? "," : "", m->dir == 0 ? "send" :
		    "receive", (double)rt / 1e9, m->opcode);
		if (m->opcode == 0x2 || !cx_utf8_valid((const uint8_t *)m->data,
		    m->len))
			cx_json_base64(f, (const uint8_t *)m->data, m->len);
		else
			rstr(f, ctx, m->data, m->len);
		putc('}', f);
	}
	putc(']', f);
}

static void
entry(FILE *f, const struct cx_out_ctx *ctx, const struct cx_exchange *ex)
{
	double send = 0, wait = 0, receive = 0;
	struct cx_buf pb;
	char when[64];

	if (ex->has_req)
		send = pos_ms(ex->req.t_last - ex->req.t_first);
	if (ex->has_req && ex->has_resp)
		wait = pos_ms(ex->resp.t_first - ex->req.t_last);
	if (ex->has_resp)
		receive = pos_ms(ex->resp.t_last - ex->resp.t_first);
	cx_fmt_time(when, sizeof(when), ctx->info, ex->start, 1);
	fprintf(f, "{\"startedDateTime\":\"%s\",\"time\":%.3f,\"request\":",
	    when, send + wait + receive);
	request(f, ctx, ex);
	fputs(",\"response\":", f);
	response(f, ctx, ex);
	fprintf(f, ",\"cache\":{},\"timings\":{\"blocked\":-1,\"dns\":-1,"
	    "\"connect\":-1,\"ssl\":-1,\"send\":%.3f,\"wait\":%.3f,"
	    "\"receive\":%.3f},\"connection\":\"%" PRIu64 "\"", send, wait,
	    receive, ex->conn);
	if (ex->pid != 0)
		fprintf(f, ",\"_pid\":%" PRIu32, ex->pid);
	else
		fputs(",\"_pid\":null", f);
	if (ex->tid != 0)
		fprintf(f, ",\"_tid\":%" PRIu32, ex->tid);
	else
		fputs(",\"_tid\":null", f);
	fputs(",\"_comm\":", f);
	cx_json_cstr(f, ex->comm);
	cx_buf_init(&pb, 0);
	cx_jw_process(&pb, ctx->redact, ex->proc);
	fputs(",\"_process\":", f);
	fwrite(pb.p, 1, pb.len, f);
	cx_buf_free(&pb);
	fprintf(f, ",\"_id\":%" PRIu64 ",\"_conn\":%" PRIu64 ",\"_seq\":",
	    ex->id, ex->conn);
	if (ex->seq == CX_NO_SEQ)
		fputs("null", f);
	else
		fprintf(f, "%" PRIu64, ex->seq);
	fputs(",\"_source\":", f);
	cx_json_cstr(f, cx_source_name(ex->source));
	fputs(",\"_error\":", f);
	rcstr(f, ctx, ex->error);
	fputs(",\"_note\":", f);
	rcstr(f, ctx, ex->note);
	if (ex->nws > 0)
		ws_messages(f, ctx, ex);
	putc('}', f);
}

/* Entries are written as they come; the document is closed at the end. */
struct har {
	FILE                    *f;
	const struct cx_out_ctx *ctx;
	struct cx_ahead         *ahead;         /* entries rendered ahead */
	size_t                   entries;
};

static void *
har_open(FILE *f, const struct cx_out_ctx *ctx)
{
	struct har *h = xcalloc(1, sizeof(*h));

	h->f = f;
	h->ctx = ctx;
	h->ahead = cx_ahead_new(NULL);
	fputs("{\"log\":{\"version\":\"1.2\",\"creator\":{\"name\":\"cxrec\","
	    "\"version\":\"" CXREC_VERSION "\"},\"entries\":[", f);
	return h;
}

static void
har_exchange(void *st, int pass, const struct cx_exchange *ex)
{
	struct har *h = st;

	(void)pass;
	fputs(h->entries++ > 0 ? ",\n" : "\n", h->f);
	if (!cx_ahead_take(h->ahead, ex, h->f))
		entry(h->f, h->ctx, ex);
}

static void *
render_ahead(FILE *f, void *arg, const struct cx_exchange *ex)
{
	entry(f, arg, ex);
	return NULL;
}

/* On the reading thread: entries rendered ahead (output.h's cx_ahead). */
static void
har_prepare(void *st, int pass, const struct cx_exchange *ex)
{
	struct har *h = st;

	(void)pass;
	cx_ahead_put(h->ahead, ex, render_ahead, (void *)h->ctx);
}

static void
har_pass_done(void *st, int pass)
{
	struct har *h = st;

	(void)pass;
	fputs("\n]}}\n", h->f);
}

static void
har_close(void *st)
{
	struct har *h = st;

	cx_ahead_free(h->ahead);
	free(h);
}

const struct cx_out_format cx_out_har_format = {
	.name = "har",
	.summary = "HAR 1.2, for browser devtools",
	.passes = 1,
	.open = har_open,
	.exchange = har_exchange,
	.prepare = har_prepare,
	.pass_done = har_pass_done,
	.close = har_close,
};
