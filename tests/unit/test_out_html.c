/*
 * test_out_html.c: cxrec decode -f html (out_html*.c, docs/report-html.md):
 * a synthetic trace (a Responses call whose prompt and tool output carry
 * markup, answered by an event stream with usage and a tool call; an
 * exchange the relay could not forward) decoded to the page, which must
 * carry a Content-Security-Policy naming its one script and one style by
 * their SHA-256, show every section, and hold nothing from the traffic as
 * markup or unredacted; random traces keep it well-formed.
 */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <openssl/evp.h>

#include "decode.h"
#include "trace.h"
#include "tracegen.h"

static void
setup(void)
{
	tg_setup("html");
}

static void
put(struct cx_writer *w, uint8_t kind, uint8_t dir_, uint64_t conn, double t,
    const char *s)
{
	tg_put(w, kind, CX_SRC_RELAY, dir_, conn, t, s, strlen(s));
}

#define CX_TEST_STREAM_N 1234

static const char *secret_key = "sk-proj-SECRETsecretSECRET12345";

#define EVIL "<img src=x onerror=window.PWNED=1></script><script>" \
	"window.PWNED=2</script> javascript:alert(1)"

static const char *body1 =
    "{\"model\":\"gpt-5-codex\",\"instructions\":\"be brief\","
    "\"input\":[{\"type\":\"message\",\"role\":\"user\",\"content\":["
    "{\"type\":\"input_text\",\"text\":\"PROMPT " EVIL "\"}]},"
    "{\"type\":\"function_call\",\"name\":\"shell\",\"call_id\":\"c1\","
    "\"arguments\":\"{}\"},{\"type\":\"function_call_output\","
    "\"call_id\":\"c1\",\"output\":\"TOOLOUT " EVIL "\"}],"
    "\"tools\":[{\"type\":\"function\",\"name\":\"shell\",\"parameters\":"
    "{\"type\":\"object\"}}],\"stream\":true}";

static void
write_trace(const char *p)
{
	struct cx_writer *w = tg_create(p);
	char head[2048];

	put(w, CX_K_NOTE, 0, 0, 0.5, "{\"type\":\"run\",\"agent\":\"codex\","
	    "\"agent_version\":\"0.98.0 <i>\",\"login_mode\":\"api\","
	    "\"argv\":[\"codex\",\"<hi>\"]}");
	put(w, CX_K_OPEN, 0, 1, 10, "{\"peer\":\"127.0.0.1:50001\","
	    "\"pid\":4242,\"comm\":\"codex\"}");
	snprintf(head, sizeof(head), "POST /v1/responses?u=javascript:x "
	    "HTTP/1.1\r\nHost: h\r\nauthorization: Bearer %s\r\n"
	    "Content-Type: application/json\r\nContent-Length: %zu\r\n\r\n%s",
	    secret_key, strlen(body1), body1);
	put(w, CX_K_DATA, CX_DIR_REQ, 1, 11, head);
	put(w, CX_K_DATA, CX_DIR_RESP, 1, 20, "HTTP/1.1 200 OK\r\n"
	    "Content-Type: text/event-stream\r\n\r\n");
	put(w, CX_K_DATA, CX_DIR_RESP, 1, 21, "event: response.output_item."
	    "done\ndata: {\"type\":\"response.output_item.done\",\"item\":"
	    "{\"type\":\"function_call\",\"name\":\"sh<b>\",\"call_id\":\"c2\","
	    "\"arguments\":\"{\\\"cmd\\\":\\\"<u>\\\"}\"}}\n\n");
	put(w, CX_K_DATA, CX_DIR_RESP, 1, 30, "event: response.completed\n"
	    "data: {\"type\":\"response.completed\",\"response\":{\"id\":"
	    "\"resp_1\",\"usage\":{\"input_tokens\":100,\"output_tokens\":20,"
	    "\"total_tokens\":120}}}\n\n");
	put(w, CX_K_CLOSE, 0, 1, 31, "{\"by\":\"upstream\",\"reason\":"
	    "\"eof\"}");
	put(w, CX_K_OPEN, 0, 2, 50, "{\"peer\":\"127.0.0.1:50002\"}");
	put(w, CX_K_DATA, CX_DIR_REQ, 2, 51, "GET /x HTTP/1.1\r\nHost: h\r\n"
	    "\r\n");
	put(w, CX_K_ERROR, 0, 2, 52, "{\"seq\":0,\"error\":\"upstream <em>\"}");
	put(w, CX_K_CLOSE, 0, 2, 54, "{\"by\":\"client\",\"reason\":\"eof\"}");
	cx_writer_close(w);
}

static void
quiet(void *arg, const char *msg)
{
	(void)arg;
	(void)msg;
}

static char *
decode_html(const char *p, int no_redact, uint64_t max_body)
{
	struct cx_decode_opts opts;
	char *mem = NULL, err[512];
	size_t len = 0;
	FILE *f = open_memstream(&mem, &len);

	ck_assert_ptr_nonnull(f);
	memset(&opts, 0, sizeof(opts));
	opts.format = "html";
	opts.no_redact = no_redact;
	opts.max_body = max_body;
	opts.warn = quiet;
	ck_assert_msg(cx_decode(p, &opts, f, err, sizeof(err)) == 0, "%s",
	    err);
	fclose(f);
	return mem;
}

static size_t
count(const char *hay, const char *needle)
{
	size_t n = 0;

	for (const char *p = hay; (p = strstr(p, needle)) != NULL; p++)
		n++;
	return n;
}

/* The text between open and close in out is what the CSP's hash names:
 * "'sha256-BASE64'" must be in out. */
static void
check_hash(const char *out, const char *open, const char *close,
    const char *directive)
{
	const char *a = strstr(out, open), *b;
	unsigned char md[EVP_MAX_MD_SIZE];
	unsigned int len = 0;
	char b64[64], want[128];

	ck_assert_ptr_nonnull(a);
	a += strlen(open);
	b = strstr(a, close);
	ck_assert_ptr_nonnull(b);
	ck_assert_int_eq(EVP_Digest(a, (size_t)(b - a), md, &len, EVP_sha256(),
	    NULL), 1);
	EVP_EncodeBlock((unsigned char *)b64, md, (int)len);
	snprintf(want, sizeof(want), "%s 'sha256-%s'", directive, b64);
	ck_assert_msg(strstr(out, want) != NULL, "no %s", want);
}

/* Every tag the page writes is balanced; none comes from the traffic. */
static void
check_markup(const char *out)
{
	ck_assert_uint_eq(count(out, "<article"), count(out, "</article>"));
	ck_assert_uint_eq(count(out, "<details"), count(out, "</details>"));
	ck_assert_uint_eq(count(out, "<pre"), count(out, "</pre>"));
	ck_assert_uint_eq(count(out, "<svg"), count(out, "</svg>"));
	ck_assert_uint_eq(count(out, "<title>"), count(out, "</title>"));
	ck_assert_uint_eq(count(out, "<a "), count(out, "</a>"));
	/* One script runs; the others are the JSON bodies' data, in which
	 * nothing can end the element (cx_html_json). */
	ck_assert_uint_eq(count(out, "<script>"), 1);
	ck_assert_uint_eq(count(out, "<script"), 1 + count(out,
	    "<script type=\"application/json\" id=\"j") + count(out,
	    "<script type=\"text/x-cxrec-delta\" id=\"j"));
	ck_assert_uint_eq(count(out, "</script>"), count(out, "<script"));
	ck_assert_uint_eq(count(out, "<style"), 1);
	ck_assert_ptr_null(strstr(out, "<img"));
	ck_assert_ptr_null(strstr(out, "<hi>"));
	ck_assert_ptr_null(strstr(out, "<i>"));
	ck_assert_ptr_null(strstr(out, "<u>"));
	ck_assert_ptr_null(strstr(out, "<em>"));
	ck_assert_ptr_null(strstr(out, "href=\"j"));
	ck_assert_ptr_null(strstr(out, "src=\""));
	ck_assert_uint_eq(count(out, "</html>\n"), 1);
}

START_TEST(page)
{
	char *out;

	write_trace(tg_path);
	out = decode_html(tg_path, 0, 0);
	ck_assert_msg(strncmp(out, "<!DOCTYPE html>\n", 16) == 0, "%.40s",
	    out);
	ck_assert_ptr_nonnull(strstr(out, "<meta http-equiv=\"Content-Security"
	    "-Policy\" content=\"default-src 'none'; connect-src 'none'; "
	    "img-src 'none';"));
	/* The CSP comes before the style and the script. */
	ck_assert(strstr(out, "Content-Security-Policy") < strstr(out,
	    "<style>"));
	check_hash(out, "<script>", "</script>", "script-src");
	check_hash(out, "<style>", "</style>", "style-src");
	check_markup(out);
	/* The sections and the facts. */
	ck_assert_ptr_nonnull(strstr(out, "<section id=\"summary\">"));
	ck_assert_ptr_nonnull(strstr(out, "<th>agent version</th><td>0.98.0 "
	    "&lt;i&gt;</td>"));
	ck_assert_ptr_nonnull(strstr(out, "<th>login mode</th><td>api</td>"));
	ck_assert_ptr_nonnull(strstr(out, "<th>models</th><td>gpt-5-codex"));
	ck_assert_ptr_nonnull(strstr(out, "<th>errors</th><td class=\"err\">"
	    "1"));
	ck_assert_ptr_nonnull(strstr(out, "<section id=\"usage\">"));
	ck_assert_uint_eq(count(out, "<article class=\"turn f\""), 1);
	ck_assert_uint_eq(count(out, "<article class=\"ex f\""), 2);
	ck_assert_uint_eq(count(out, "<div class=\"item call\">"), 2);
	ck_assert_uint_eq(count(out, "<div class=\"item result\">"), 1);
	ck_assert_ptr_nonnull(strstr(out, "<details class=\"jb\"><summary>"
	    "Request body (JSON, "));
	ck_assert_ptr_nonnull(strstr(out, "TOOLOUT \\u003cimg src=x onerror="));
	ck_assert_ptr_nonnull(strstr(out, "TOOLOUT &lt;img src=x onerror="
	    "window.PWNED=1&gt;&lt;/script&gt;&lt;script&gt;window.PWNED=2"
	    "&lt;/script&gt; javascript:alert(1)"));
	ck_assert_ptr_nonnull(strstr(out, "PROMPT &lt;img"));
	ck_assert_ptr_nonnull(strstr(out, "sh&lt;b&gt;"));
	ck_assert_ptr_nonnull(strstr(out, "tokens: input 100"));
	ck_assert_ptr_nonnull(strstr(out, "href=\"#exchange-1\""));
	ck_assert_ptr_nonnull(strstr(out, "upstream &lt;em&gt;"));
	/* Redacted unless asked not to. */
	ck_assert_ptr_null(strstr(out, secret_key));
	free(out);
	out = decode_html(tg_path, 1, 0);
	ck_assert_ptr_nonnull(strstr(out, secret_key));
	check_markup(out);
	free(out);
	/* --max-body cuts, and says so. */
	out = decode_html(tg_path, 0, 10);
	ck_assert_ptr_nonnull(strstr(out, "more bytes not shown"));
	check_markup(out);
	free(out);
}
END_TEST

/*
 * The timeline and the charts: the trace above, plus a GET whose target
 * carries markup from pid 77 (its comm markup too) and a WebSocket
 * session with two messages from no known process.
 */
START_TEST(timeline)
{
	struct cx_writer *w;
	char *out;

	unlink(tg_path);
	w = tg_create(tg_path);
	put(w, CX_K_OPEN, 0, 3, 60, "{\"peer\":\"127.0.0.1:50003\","
	    "\"pid\":77,\"comm\":\"<b>evil\"}");
	put(w, CX_K_DATA, CX_DIR_REQ, 3, 61, "GET /v1/<script>alert(1)"
	    "</script>/x?k=<i> HTTP/1.1\r\nHost: h\r\n\r\n");
	put(w, CX_K_DATA, CX_DIR_RESP, 3, 70, "HTTP/1.1 404 Not Found\r\n"
	    "Content-Length: 2\r\n\r\nno");
	put(w, CX_K_OPEN, 0, 4, 80, "{\"peer\":\"127.0.0.1:50004\"}");
	put(w, CX_K_DATA, CX_DIR_REQ, 4, 81, "GET /ws HTTP/1.1\r\nHost: h\r\n"
	    "Upgrade: websocket\r\nConnection: Upgrade\r\n"
	    "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n\r\n");
	put(w, CX_K_DATA, CX_DIR_RESP, 4, 82, "HTTP/1.1 101 Switching "
	    "Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n\r\n");
	put(w, CX_K_DATA, CX_DIR_RESP, 4, 90, "\x81\x02hi");
	put(w, CX_K_DATA, CX_DIR_RESP, 4, 120, "\x81\x02yo");
	cx_writer_close(w);
	out = decode_html(tg_path, 0, 0);
	check_markup(out);
	ck_assert_ptr_nonnull(strstr(out, "<section id=\"timeline\">"));
	/* A bar an exchange, each linked to it; a lane a process. */
	ck_assert_uint_eq(count(out, "<a class=\"bar"), 2);
	ck_assert_ptr_nonnull(strstr(out, "<a class=\"bar bad\" href=\""
	    "#exchange-1\" data-"));
	ck_assert_ptr_nonnull(strstr(out, "<a class=\"bar\" href=\""
	    "#exchange-2\" data-"));
	ck_assert_uint_eq(count(out, "<g class=\"lane\">"), 2);
	ck_assert_ptr_nonnull(strstr(out, "pid 77 &lt;b&gt;evil (1)</text>"));
	ck_assert_ptr_nonnull(strstr(out, "no known process (1)</text>"));
	/* The hostile target is text in the bar's title (its query not
	 * shown: the endpoint). */
	ck_assert_ptr_nonnull(strstr(out, "<title>#1 GET /v1/&lt;script&gt;"
	    "alert(1)&lt;/script&gt;/x \xe2\x86\x92 404"));
	/* The WebSocket: one bar, a tick a message. */
	ck_assert_uint_eq(count(out, "<rect class=\"ws\""), 1);
	ck_assert_ptr_nonnull(strstr(out, "2 WebSocket messages</title>"));
	ck_assert_uint_eq(count(out, "<path class=\"tk\""), 1);
	/* No turns: no charts. */
	ck_assert_ptr_null(strstr(out, "class=\"turnbar\""));
	free(out);

	/* write_trace's: two exchanges, two lanes; one turn, one bar and
	 * one point in the charts. */
	unlink(tg_path);
	write_trace(tg_path);
	out = decode_html(tg_path, 0, 0);
	ck_assert_uint_eq(count(out, "<a class=\"bar"), 2);
	ck_assert_uint_eq(count(out, "<g class=\"lane\">"), 2);
	ck_assert_ptr_nonnull(strstr(out, "pid 4242 codex (1)</text>"));
	ck_assert_uint_eq(count(out, "<a class=\"turnbar\" href=\"#turn-1\">"),
	    1);
	ck_assert_uint_eq(count(out, "<a class=\"pt\" href=\"#turn-1\">"), 1);
	ck_assert_ptr_nonnull(strstr(out, "<title>turn 1, session 1: input "
	    "100 (cached ?), output 20 (reasoning ?)</title>"));
	ck_assert_uint_eq(count(out, "<svg"), 4);     /* and its events' */
	free(out);
}
END_TEST

/* The option values of the page's <select>s are numbers, never text. */
static void
check_options(const char *out)
{
	const char *p = out, *v;

	while ((p = strstr(p, "<option value=\"")) != NULL) {
		p += strlen("<option value=\"");
		for (v = p; *v != '"'; v++)
			ck_assert_msg((*v >= '0' && *v <= '9') || (*v == '-' &&
			    v == p), "option value %.20s", p);
	}
}

/*
 * The filters: their options (a process, an endpoint, a status class,
 * "errors only") with index values; each exchange, turn and timeline bar
 * carries its keys as numbers.
 */
START_TEST(filters)
{
	struct cx_writer *w;
	char *out;

	unlink(tg_path);
	w = tg_create(tg_path);
	put(w, CX_K_OPEN, 0, 3, 60, "{\"peer\":\"127.0.0.1:50003\","
	    "\"pid\":77,\"comm\":\"<b>evil\"}");
	put(w, CX_K_DATA, CX_DIR_REQ, 3, 61, "GET /v1/<script>x</script> "
	    "HTTP/1.1\r\nHost: h\r\n\r\n");
	put(w, CX_K_DATA, CX_DIR_RESP, 3, 70, "HTTP/1.1 404 Not Found\r\n"
	    "Content-Length: 2\r\n\r\nno");
	put(w, CX_K_OPEN, 0, 4, 80, "{\"peer\":\"127.0.0.1:50004\"}");
	put(w, CX_K_DATA, CX_DIR_REQ, 4, 81, "GET /ok HTTP/1.1\r\nHost: h\r\n"
	    "\r\n");
	put(w, CX_K_DATA, CX_DIR_RESP, 4, 90, "HTTP/1.1 204 No Content\r\n"
	    "\r\n");
	cx_writer_close(w);
	out = decode_html(tg_path, 0, 0);
	check_markup(out);
	check_options(out);
	ck_assert_ptr_nonnull(strstr(out, "<select id=\"fp\""));
	ck_assert_ptr_nonnull(strstr(out, "<option value=\"0\">pid 77 "
	    "&lt;b&gt;evil (1)</option><option value=\"1\">no known process "
	    "(1)</option></select>"));
	ck_assert_ptr_nonnull(strstr(out, "<option value=\"0\">GET /v1/"
	    "&lt;script&gt;x&lt;/script&gt; (1)</option><option value=\"1\">"
	    "GET /ok (1)</option></select>"));
	ck_assert_ptr_nonnull(strstr(out, "<option value=\"\">any status"
	    "</option><option value=\"2\">2xx</option><option value=\"4\">"
	    "4xx</option></select>"));
	ck_assert_ptr_nonnull(strstr(out, "<input id=\"fx\" type=\"checkbox"
	    "\"> errors only"));
	ck_assert_ptr_nonnull(strstr(out, "<article class=\"ex f\" id=\""
	    "exchange-1\" data-p=\"0\" data-e=\"0\" data-s=\"4\" "
	    "data-x=\"1\">"));
	ck_assert_ptr_nonnull(strstr(out, "<article class=\"ex f\" id=\""
	    "exchange-2\" data-p=\"1\" data-e=\"1\" data-s=\"2\" "
	    "data-x=\"0\">"));
	ck_assert_ptr_nonnull(strstr(out, "href=\"#exchange-1\" data-p=\"0\" "
	    "data-e=\"0\" data-s=\"4\" data-x=\"1\">"));
	ck_assert_uint_eq(count(out, " data-x=\""), 4);
	free(out);

	/* write_trace's turn carries its exchange's keys; the exchange with
	 * no response is an error of status class 0. */
	unlink(tg_path);
	write_trace(tg_path);
	out = decode_html(tg_path, 0, 0);
	check_options(out);
	ck_assert_ptr_nonnull(strstr(out, "<article class=\"turn f\" id=\""
	    "turn-1\" data-p=\"0\" data-e=\"0\" data-s=\"2\" "
	    "data-x=\"0\">"));
	ck_assert_ptr_nonnull(strstr(out, "id=\"exchange-2\" data-p=\"1\" "
	    "data-e=\"1\" data-s=\"0\" data-x=\"1\">"));
	ck_assert_ptr_nonnull(strstr(out, "<option value=\"0\">no response"
	    "</option>"));
	free(out);
}
END_TEST

/* An SSE response of n events, one a ms from 20 ms on, with a stall of
 * a second before the last. */
static char *
stream_page(int n)
{
	struct cx_writer *w;
	char ev[64];

	unlink(tg_path);
	w = tg_create(tg_path);
	put(w, CX_K_OPEN, 0, 1, 10, "{\"peer\":\"127.0.0.1:50001\"}");
	put(w, CX_K_DATA, CX_DIR_REQ, 1, 11, "GET /s HTTP/1.1\r\nHost: h\r\n"
	    "\r\n");
	put(w, CX_K_DATA, CX_DIR_RESP, 1, 19, "HTTP/1.1 200 OK\r\n"
	    "Content-Type: text/event-stream\r\n\r\n");
	for (int i = 0; i < n; i++) {
		snprintf(ev, sizeof(ev), "data: %d\n\n", i);
		put(w, CX_K_DATA, CX_DIR_RESP, 1, 20 + i + (i == n - 1 ?
		    1000 : 0), ev);
	}
	put(w, CX_K_CLOSE, 0, 1, 2000 + n, "{\"by\":\"upstream\","
	    "\"reason\":\"eof\"}");
	cx_writer_close(w);
	return decode_html(tg_path, 0, 0);
}

/* A streamed exchange's chart: a dot an event, up to the cap. */
START_TEST(stream_chart)
{
	char *out, want[64];

	out = stream_page(3);
	check_markup(out);
	ck_assert_uint_eq(count(out, "<svg class=\"arr\""), 1);
	ck_assert_uint_eq(count(out, "<circle class=\"sp\""), 3);
	ck_assert_uint_eq(count(out, "<path class=\"stp\""), 1);
	/* Inside the events' block, before their list. */
	ck_assert(strstr(out, "<summary>Response events (3)") < strstr(out,
	    "<svg class=\"arr\""));
	ck_assert(strstr(out, "<svg class=\"arr\"") < strstr(out,
	    "<ol class=\"events\""));
	ck_assert_ptr_nonnull(strstr(out, "<title>3: +1.01 s</title>"));
	ck_assert_ptr_null(strstr(out, "evenly spaced"));
	free(out);

	out = stream_page(CX_TEST_STREAM_N);
	check_markup(out);
	ck_assert_uint_eq(count(out, "<circle class=\"sp\""), 500);
	snprintf(want, sizeof(want), " 500 of the %d drawn, evenly spaced.",
	    CX_TEST_STREAM_N);
	ck_assert_ptr_nonnull(strstr(out, want));
	/* The first and the last are among them. */
	ck_assert_ptr_nonnull(strstr(out, "<title>1: +"));
	snprintf(want, sizeof(want), "<title>%d: +", CX_TEST_STREAM_N);
	ck_assert_ptr_nonnull(strstr(out, want));
	free(out);

	/* One event: no chart. */
	out = stream_page(1);
	ck_assert_ptr_null(strstr(out, "<svg class=\"arr\""));
	free(out);
}
END_TEST

START_TEST(empty)
{
	struct cx_writer *w = tg_create(tg_path);
	char *out;

	cx_writer_close(w);
	out = decode_html(tg_path, 0, 0);
	ck_assert_ptr_nonnull(strstr(out, "<p>No exchanges.</p>"));
	ck_assert_ptr_nonnull(strstr(out, "<p>No model API turns.</p>"));
	check_markup(out);
	free(out);
}
END_TEST

/* Random frames: the page stays well-formed whatever the trace holds. */
START_TEST(random_traces)
{
	static const char *pieces[] = {
		"POST /v1/responses HTTP/1.1\r\nContent-Length: 5\r\n\r\nh<i>`",
		"GET /a/0123456789abcdef0123/b?q=<hi> HTTP/1.1\r\nHost: h"
		"\r\n\r\n",
		"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n"
		"Content-Type: text/event-stream\r\n\r\n",
		"1c\r\ndata: {\"token\":\"sk-aaaaaaaaaaaaaaaaaaaa\"}\n\n\r\n",
		"0\r\n\r\n",
		"HTTP/1.1 200 <hi>\r\nContent-Length: 9\r\n\r\n<img src=x",
		"HTTP/1.1 101 Switching Protocols\r\n\r\n\x81\x01x",
		"{\"seq\":0,\"upstream\":\"https://x/y?token=abc\"}",
		"{\"seq\":1,\"error\":\"boom <hi>\"}", "{\"by\":\"client\"}",
		"{\"pid\":7,\"comm\":\"<hi>\"}", "",
		"{\"type\":\"run\",\"argv\":[\"a b\",\"<hi>\"],"
		"\"agent\":\"<i>\"}",
		"event: <hi>\ndata: {\"a b\":[{\"<hi>\":1}]}\n\n",
	};
	unsigned r = 11;

	for (int round = 0; round < 60; round++) {
		struct cx_writer *w;
		char *out;

		unlink(tg_path);
		w = tg_create(tg_path);
		for (int i = 0; i < 40; i++) {
			char buf[300];
			size_t len;
			struct cx_frame f;
			const char *pc;

			r = r * 1103515245 + 12345;
			pc = pieces[(r >> 8) % (sizeof(pieces) /
			    sizeof(pieces[0]))];
			len = strlen(pc);
			memcpy(buf, pc, len);
			if (len > 1 && (r >> 22) % 4 == 0)
				len = (r >> 3) % len;
			memset(&f, 0, sizeof(f));
			f.kind = (uint8_t)(1 + (r >> 14) % 8);
			f.source = CX_SRC_RELAY;
			f.dir = (uint8_t)(1 + (r >> 19) % 2);
			f.conn = (r >> 25) % 3;
			f.ts_ns = tg_info.monotonic_ns + (int64_t)((r >> 9) %
			    1000) * 1000000;
			f.payload = (const uint8_t *)buf;
			f.len = (uint32_t)len;
			ck_assert_int_eq(cx_writer_put(w, &f), 0);
		}
		cx_writer_close(w);
		out = decode_html(tg_path, 0, round % 3 ? 0 : 16);
		check_markup(out);
		ck_assert_ptr_null(strstr(out, "sk-aaaaaaaaaaaaaaaaaaaa"));
		free(out);
	}
}
END_TEST

static Suite *
html_suite(void)
{
	Suite *s = suite_create("html");
	TCase *tc = tcase_create("html");

	tcase_add_checked_fixture(tc, setup, tg_teardown);
	tcase_set_timeout(tc, 30);
	tcase_add_test(tc, page);
	tcase_add_test(tc, timeline);
	tcase_add_test(tc, filters);
	tcase_add_test(tc, stream_chart);
	tcase_add_test(tc, empty);
	tcase_add_test(tc, random_traces);
	suite_add_tcase(s, tc);
	return s;
}

int
main(void)
{
	SRunner *sr = srunner_create(html_suite());
	int failed;

	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
