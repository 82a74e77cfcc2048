/*
 * test_out_md.c: cxrec decode -f md (out_md.c, docs/report.md): a synthetic
 * trace (a codex-like POST /v1/responses with a prompt holding <script>
 * and triple backticks, answered by an event stream with usage; a second
 * exchange the relay could not forward; a models GET), decoded to the
 * Markdown report, which must have every section, the right numbers, and
 * nothing from the traffic unescaped or unredacted.
 */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "decode.h"
#include "trace.h"
#include "tracegen.h"

static void
setup(void)
{
	tg_setup("md");
}

/* A frame from the relay. */
static void
put(struct cx_writer *w, uint8_t kind, uint8_t dir_, uint64_t conn, double t,
    const void *p, size_t n)
{
	tg_put(w, kind, CX_SRC_RELAY, dir_, conn, t, p, n);
}

static void
reqs(struct cx_writer *w, uint64_t conn, double t, const char *s)
{
	put(w, CX_K_DATA, CX_DIR_REQ, conn, t, s, strlen(s));
}

static void
resp(struct cx_writer *w, uint64_t conn, double t, const char *s)
{
	put(w, CX_K_DATA, CX_DIR_RESP, conn, t, s, strlen(s));
}

static void
json(struct cx_writer *w, uint8_t kind, uint64_t conn, double t, const char *s)
{
	put(w, kind, 0, conn, t, s, strlen(s));
}

static const char *secret_key = "sk-proj-SECRETsecretSECRET12345";

static const char *body1 =
    "{\"model\":\"gpt-5-codex\",\"instructions\":\"be brief\","
    "\"input\":[{\"type\":\"message\",\"role\":\"user\",\"content\":["
    "{\"type\":\"input_text\",\"text\":\"run <script>alert(1)</script> "
    "and ```rm -rf /``` now\"}]}],"
    "\"tools\":[{\"type\":\"function\",\"name\":\"shell\",\"parameters\":"
    "{\"type\":\"object\",\"properties\":{\"cmd\":{\"type\":\"string\"}}}}],"
    "\"odd key\":null,\"stream\":true}";

static const char *ev_delta =
    "{\"type\":\"response.output_text.delta\",\"delta\":\"Hi <b>\"}";
static const char *ev_done =
    "{\"type\":\"response.completed\",\"response\":{\"id\":\"resp_1\","
    "\"usage\":{\"input_tokens\":100,\"input_tokens_details\":"
    "{\"cached_tokens\":40},\"output_tokens\":20,"
    "\"output_tokens_details\":{\"reasoning_tokens\":8},"
    "\"total_tokens\":120}}}";
static const char *ev_done2 =
    "{\"type\":\"response.completed\",\"response\":{\"id\":\"resp_2\","
    "\"usage\":{\"input_tokens\":1000,\"input_tokens_details\":"
    "{\"cached_tokens\":500},\"output_tokens\":3,"
    "\"output_tokens_details\":{\"reasoning_tokens\":1},"
    "\"total_tokens\":1003}}}";

static void
sse_exchange(struct cx_writer *w, uint64_t conn, double t, const char *done)
{
	char head[1024], ev[2048];

	json(w, CX_K_OPEN, conn, t, "{\"peer\":\"127.0.0.1:50001\","
	    "\"pid\":4242,\"comm\":\"codex\"}");
	snprintf(head, sizeof(head),
	    "POST /v1/responses HTTP/1.1\r\n"
	    "Host: 127.0.0.1:8080\r\n"
	    "authorization: Bearer %s\r\n"
	    "Content-Type: application/json\r\n"
	    "Content-Length: %zu\r\n\r\n%s", secret_key, strlen(body1), body1);
	reqs(w, conn, t + 1, head);
	json(w, CX_K_ROUTE, conn, t + 1.5, "{\"seq\":0,\"method\":\"POST\","
	    "\"target\":\"/v1/responses\",\"upstream\":"
	    "\"https://api.openai.com/v1/responses\",\"route\":\"/v1\"}");
	resp(w, conn, t + 10, "HTTP/1.1 200 OK\r\nContent-Type: "
	    "text/event-stream\r\n\r\n");
	snprintf(ev, sizeof(ev), "event: response.output_text.delta\n"
	    "data: %s\n\n", ev_delta);
	resp(w, conn, t + 11, ev);
	resp(w, conn, t + 12, ev);
	snprintf(ev, sizeof(ev), "event: response.completed\ndata: %s\n\n",
	    done);
	resp(w, conn, t + 20, ev);
	json(w, CX_K_CLOSE, conn, t + 21, "{\"by\":\"upstream\",\"reason\":"
	    "\"eof\"}");
}

static void
write_trace(const char *p)
{
	struct cx_writer *w = tg_create(p);

	json(w, CX_K_NOTE, 0, 0.5, "{\"type\":\"run\",\"cxrec_version\":"
	    "\"0.1.0\",\"argv\":[\"codex\",\"exec\",\"say <hi> | `x`\"],"
	    "\"login_mode\":\"api\",\"routes\":[{\"prefix\":"
	    "\"/backend-api/\",\"upstream\":\"https://chatgpt.com\"}],"
	    "\"insecure\":false}");
	sse_exchange(w, 1, 10, ev_done);
	/* #2: the relay could not reach the upstream. */
	json(w, CX_K_OPEN, 2, 50, "{\"peer\":\"127.0.0.1:50002\"}");
	reqs(w, 2, 51, "POST /v1/responses HTTP/1.1\r\nHost: h\r\n"
	    "Content-Type: application/json\r\nContent-Length: 2\r\n\r\n{}");
	json(w, CX_K_ERROR, 2, 52, "{\"seq\":0,\"error\":\"upstream TLS "
	    "handshake with api.openai.com:443 failed\"}");
	resp(w, 2, 53, "HTTP/1.1 502 Bad Gateway\r\nContent-Type: text/plain"
	    "\r\nContent-Length: 12\r\n\r\nbad gateway\n");
	json(w, CX_K_CLOSE, 2, 54, "{\"by\":\"client\",\"reason\":\"eof\"}");
	/* #3: a second turn. */
	sse_exchange(w, 3, 60, ev_done2);
	/* #4: an id in the path, a JSON response. */
	json(w, CX_K_OPEN, 4, 100, "{\"peer\":\"127.0.0.1:50004\"}");
	reqs(w, 4, 101, "GET /v1/files/12345/content?x=1 HTTP/1.1\r\nHost: h"
	    "\r\n\r\n");
	resp(w, 4, 110, "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\n"
	    "Content-Length: 36\r\n\r\n{\"data\":[{\"id\":1},{\"id\":\"a\"}],"
	    "\"n\":2}");
	json(w, CX_K_CLOSE, 4, 111, "{\"by\":\"client\",\"reason\":\"eof\"}");
	/* #5: a response not streamed, with usage in its body. */
	json(w, CX_K_OPEN, 5, 112, "{\"peer\":\"127.0.0.1:50005\"}");
	reqs(w, 5, 113, "POST /v1/responses/compact HTTP/1.1\r\nHost: h\r\n"
	    "Content-Type: application/json\r\nContent-Length: 2\r\n\r\n{}");
	resp(w, 5, 115, "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\n"
	    "Content-Length: 63\r\n\r\n{\"usage\":{\"input_tokens\":5,"
	    "\"output_tokens\":2,\"total_tokens\":7}}");
	json(w, CX_K_CLOSE, 5, 116, "{\"by\":\"client\",\"reason\":\"eof\"}");
	json(w, CX_K_LOSS, 0, 120, "{\"frames\":3,\"bytes\":1234,\"errno\":28}");
	cx_writer_close(w);
}

static void
quiet(void *arg, const char *msg)
{
	(void)arg;
	(void)msg;
}

static char *
decode_md(const char *p, int no_redact, uint64_t max_body)
{
	struct cx_decode_opts opts;
	char *mem = NULL, err[512];
	size_t len = 0;
	FILE *f = open_memstream(&mem, &len);

	ck_assert_ptr_nonnull(f);
	memset(&opts, 0, sizeof(opts));
	opts.format = "md";
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

/* The line of out that starts with prefix, or fail. */
static const char *
line_starting(const char *out, const char *prefix)
{
	const char *p = out;

	while (p != NULL && *p != '\0') {
		if (strncmp(p, prefix, strlen(prefix)) == 0)
			return p;
		p = strchr(p, '\n');
		if (p != NULL)
			p++;
	}
	ck_abort_msg("no line starting with %s", prefix);
	return NULL;
}

/* Lines of text outside fenced code blocks hold no raw HTML from the
 * traffic. */
static void
check_outside_code(const char *out)
{
	const char *p = out;
	size_t fence = 0;

	while (*p != '\0') {
		const char *nl = strchr(p, '\n');
		size_t n = nl ? (size_t)(nl - p) : strlen(p), run = 0;

		while (run < n && p[run] == '`')
			run++;
		if (fence == 0 && run >= 3)
			fence = run;
		else if (fence > 0 && run >= fence && run == n)
			fence = 0;
		else if (fence == 0) {
			char line[8192];

			snprintf(line, sizeof(line), "%.*s", (int)n, p);
			ck_assert_msg(strstr(line, "<script") == NULL &&
			    strstr(line, "<b>") == NULL &&
			    strstr(line, "<hi>") == NULL, "raw HTML: %s", line);
		}
		if (nl == NULL)
			break;
		p = nl + 1;
	}
	ck_assert_msg(fence == 0, "a code block is not closed");
}

START_TEST(report)
{
	char *out;
	const char *l;

	write_trace(tg_path);
	out = decode_md(tg_path, 0, 0);
	if (getenv("CXREC_TEST_MD_DUMP") != NULL) {
		/* To look at the report: CXREC_TEST_MD_DUMP=file */
		FILE *d = fopen(getenv("CXREC_TEST_MD_DUMP"), "w");

		if (d != NULL) {
			fputs(out, d);
			fclose(d);
		}
	}
	/* Every section, in order. */
	{
		static const char *heads[] = { "# cxrec report: ",
		    "## Warnings\n", "## Statistics\n", "### Endpoints\n",
		    "### Token usage\n", "### SSE event types\n",
		    "## Payload key paths\n", "### Request bodies\n",
		    "### Response bodies\n",
		    "### Event response.output\\_text.delta\n",
		    "### Event response.completed\n",
		    "## Conversation\n", "## Exchanges\n", "### #1 ",
		    "### #2 ", "### #3 ", "### #4 ", "### #5 " };
		const char *prev = out;

		for (size_t i = 0; i < sizeof(heads) / sizeof(heads[0]); i++) {
			const char *h = strstr(prev, heads[i]);

			ck_assert_msg(h != NULL, "section %s missing or out of "
			    "order", heads[i]);
			ck_assert_msg(h == out || h[-1] == '\n', "%s is not at "
			    "the start of a line", heads[i]);
			prev = h;
		}
	}
	/* The header. */
	ck_assert_ptr_nonnull(strstr(out, "| login mode | api |"));
	ck_assert_ptr_nonnull(strstr(out, "| cxrec version | 0.1.0 |"));
	ck_assert_ptr_nonnull(strstr(out, "| command | codex exec 'say "
	    "&lt;hi&gt; \\| \\`x\\`' |"));
	ck_assert_ptr_nonnull(strstr(out, "| exchanges | 5 |"));
	ck_assert_ptr_nonnull(strstr(out, "| connections | 5 |"));
	ck_assert_ptr_nonnull(strstr(out, "| errors | 1 |"));
	ck_assert_ptr_nonnull(strstr(out, "frames lost: the relay could not "
	    "record 3 frames"));
	/* Endpoints: both POSTs in one row, the id folded. */
	l = line_starting(out, "| POST /v1/responses | 3 | ");
	ck_assert_msg(strncmp(l, "| POST /v1/responses | 3 | 200\xc3\x97" "2, "
	    "502\xc3\x97" "1 |", 41) == 0, "%.80s", l);
	line_starting(out, "| GET /v1/files/{id}/content | 1 | 200\xc3\x97" "1 "
	    "| 9.0 | 9.0 | 9.0 | 9.0 |");
	/* Token usage, per turn (the model's), by session, by API; unknown
	 * counts "?"; #5 (POST /v1/responses/compact, codex's remote
	 * compaction) is a model call with its usage in its body. */
	line_starting(out, "| 1 | [#1](#exchange-1) | responses | "
	    "gpt\\-5\\-codex | 100 | 40 | ? | 20 | 8 | 120 | $0.000280 | 10.0 |");
	line_starting(out, "| 2 | [#2](#exchange-2) | responses | ? | ? | ? | "
	    "? | ? | ? | ? | ? | ? |");
	line_starting(out, "| 3 | [#3](#exchange-3) | responses | "
	    "gpt\\-5\\-codex | 1000 | 500 | ? | 3 | 1 | 1003 | $0.000718 | 10.0 "
	    "|");
	line_starting(out, "| 4 | [#5](#exchange-5) | responses | ? | 5 | ? | "
	    "? | 2 | ? | 7 | no price | ? |");
	/* Cost: gpt-5-codex at $1.25, cached $0.125, output $10 a million
	 * tokens: 60 x 1.25 + 40 x 0.125 + 20 x 10 = $0.000280; a turn with
	 * no model has no price; one with no usage no cost ("?"). */
	line_starting(out, "| **all** | | | | 1105 | 540 | ? | 25 | 9 | 1130 "
	    "| $0.000998 + 1 turn with no price | |");
	line_starting(out, "| cost | $0.000998 + 1 turn with no price (4 model "
	    "API turns; see Token usage) |");
	line_starting(out, "| 1: no key, pid 4242 | responses | 2 | 1100 | 540 "
	    "| ? | 23 | 9 | 1123 | $0.000998 |");
	line_starting(out, "- OpenAI Responses \\(responses\\): 4 turns, 3 "
	    "with usage, 1 without; input 1105, output 25, total 1130; cost "
	    "$0.000998 + 1 turn with no price\n");
	ck_assert_ptr_null(strstr(out, "response.completed` event with usage"));
	line_starting(out, "| usage.input\\_tokens | number | 1 | 5 |");
	/* Event types. */
	line_starting(out, "| response.output\\_text.delta | 4 |");
	line_starting(out, "| response.completed | 2 |");
	/* Key paths. */
	line_starting(out, "| input\\[\\].content\\[\\].text | string | 2 "
	    "| \"run &lt;script&gt;alert\\(1\\)&lt;/script&gt; and \\`\\`\\`rm "
	    "\xe2\x80\xa6\" |");
	line_starting(out, "| tools\\[\\].parameters.properties.cmd.type "
	    "| string | 2 | \"string\" |");
	line_starting(out, "| \\[\"odd key\"\\] | null | 2 | null |");
	line_starting(out, "| data\\[\\].id | string\\|number | 2 | 1 |");
	line_starting(out, "| response.usage.output\\_tokens | number | 2 | "
	    "20 |");
	/* Exchanges: the headings, the error, the blocks. */
	line_starting(out, "### #1 POST /v1/responses \xe2\x86\x92 200 OK "
	    "(20.0 ms)\n");
	line_starting(out, "### #2 POST /v1/responses \xe2\x86\x92 502 Bad "
	    "Gateway (2.0 ms) \xe2\x80\x94 error\n");
	ck_assert_ptr_nonnull(strstr(out, "- **error**: upstream TLS "
	    "handshake"));
	/* 5 x headers both ways, 4 request bodies, 2 event blocks, 3 bodies */
	ck_assert_uint_eq(count(out, "<details><summary>"), 10 + 4 + 2 + 3);
	ck_assert_uint_eq(count(out, "<details><summary>"),
	    count(out, "</details>"));
	ck_assert_uint_eq(count(out, "</summary>\n\n"),
	    count(out, "<details><summary>"));
	/* The prompt in a code block fenced by four backticks. */
	ck_assert_ptr_nonnull(strstr(out, "\n````json\n"));
	ck_assert_ptr_nonnull(strstr(out, "<script>alert(1)</script> and "
	    "```rm -rf /``` now"));
	check_outside_code(out);
	/* The events, one a line. */
	ck_assert_ptr_nonnull(strstr(out, "\n+11.0ms response.output_text.delta"
	    " {\"type\":\"response.output_text.delta\",\"delta\":\"Hi <b>\"}\n"));
	/* No secret. */
	ck_assert_ptr_null(strstr(out, secret_key));
	ck_assert_ptr_nonnull(strstr(out, "authorization: Bearer [REDACTED]"));
	free(out);

	/* --no-redact shows the key; --max-body cuts bodies. */
	out = decode_md(tg_path, 1, 0);
	ck_assert_ptr_nonnull(strstr(out, secret_key));
	free(out);
	out = decode_md(tg_path, 0, 10);
	ck_assert_ptr_nonnull(strstr(out, "more bytes not shown (--max-body)"));
	ck_assert_ptr_null(strstr(out, "\"instructions\": \"be brief\""));
	check_outside_code(out);
	free(out);
}
END_TEST

START_TEST(empty_and_damaged)
{
	struct cx_writer *w = tg_create(tg_path);
	char *out;
	FILE *fp;

	cx_writer_close(w);
	out = decode_md(tg_path, 0, 0);
	ck_assert_ptr_nonnull(strstr(out, "## Statistics\n"));
	ck_assert_ptr_nonnull(strstr(out, "## Exchanges\n\nNo exchanges."));
	ck_assert_ptr_null(strstr(out, "## Warnings"));
	free(out);
	/* Half a frame at the end. */
	fp = fopen(tg_path, "ab");
	ck_assert_ptr_nonnull(fp);
	fwrite("CXFR\x64\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0", 1, 20, fp);
	fclose(fp);
	out = decode_md(tg_path, 0, 0);
	ck_assert_ptr_nonnull(strstr(out, "## Warnings\n"));
	ck_assert_ptr_nonnull(strstr(out, "bytes were skipped"));
	free(out);
}
END_TEST

/* Random frames: the report stays well-formed (every fence and
 * <details> closed, no raw HTML outside code) whatever the trace holds. */
START_TEST(random_traces)
{
	static const char *pieces[] = {
		"POST /v1/responses HTTP/1.1\r\nContent-Length: 5\r\n\r\nh<i>`",
		"GET /a/0123456789abcdef0123/b?q=<x> HTTP/1.1\r\nHost: h\r\n\r\n",
		"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\nContent-Type: "
		"text/event-stream\r\n\r\n",
		"1c\r\ndata: {\"token\":\"sk-aaaaaaaaaaaaaaaaaaaa\"}\n\n\r\n",
		"0\r\n\r\n",
		"HTTP/1.1 100 Continue\r\n\r\n",
		"HTTP/1.1 200 OK\r\nContent-Encoding: gzip\r\nContent-Length: 4"
		"\r\n\r\n\x1f\x8b\x08\x00",
		"HTTP/1.1 200 <hi>\r\nContent-Length: 9\r\n\r\n```<hi>``",
		"HTTP/1.1 101 Switching Protocols\r\n\r\n\x81\x01x",
		"{\"seq\":0,\"upstream\":\"https://x/y?token=abc\"}",
		"{\"seq\":1,\"error\":\"boom <hi>\"}", "{\"error\":\"conn\"}",
		"{\"by\":\"client\"}", "{\"pid\":7,\"comm\":\"<hi>\"}", "[1,2]",
		"", "{\"type\":\"run\",\"argv\":[\"a b\",\"<hi>\"],"
		"\"routes\":[1]}",
		"event: <hi>\ndata: {\"a b\":[{\"<hi>\":1}]}\n\n",
	};
	unsigned r = 7;

	for (int round = 0; round < 100; round++) {
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
			if (len > 0 && (r >> 20) % 3 == 0)
				buf[(r >> 4) % len] = (char)(r >> 12);
			if (len > 1 && (r >> 22) % 4 == 0)
				len = (r >> 3) % len;
			memset(&f, 0, sizeof(f));
			f.kind = (uint8_t)(1 + (r >> 14) % 8);
			f.source = CX_SRC_RELAY;
			f.dir = (uint8_t)(1 + (r >> 19) % 2);
			f.conn = (r >> 25) % 3;
			f.ts_ns = tg_info.monotonic_ns + (int64_t)((r >> 9) % 1000) *
			    MS;
			f.payload = (const uint8_t *)buf;
			f.len = (uint32_t)len;
			ck_assert_int_eq(cx_writer_put(w, &f), 0);
		}
		cx_writer_close(w);
		out = decode_md(tg_path, 0, round % 3 ? 0 : 16);
		ck_assert_ptr_nonnull(strstr(out, "## Exchanges\n"));
		ck_assert_uint_eq(count(out, "<details><summary>"),
		    count(out, "</details>"));
		check_outside_code(out);
		ck_assert_ptr_null(strstr(out, "sk-aaaaaaaaaaaaaaaaaaaa"));
		free(out);
	}
}
END_TEST

static Suite *
md_suite(void)
{
	Suite *s = suite_create("md");
	TCase *tc = tcase_create("md");

	tcase_add_checked_fixture(tc, setup, tg_teardown);
	tcase_set_timeout(tc, 30);
	tcase_add_test(tc, report);
	tcase_add_test(tc, empty_and_damaged);
	tcase_add_test(tc, random_traces);
	suite_add_tcase(s, tc);
	return s;
}

int
main(void)
{
	SRunner *sr = srunner_create(md_suite());
	int failed;

	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
