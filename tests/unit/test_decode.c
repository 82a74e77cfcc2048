/*
 * test_decode.c: cxrec decode end to end: a synthetic trace written with
 * the trace writer (two keep-alive connections, an SSE stream split across
 * frames, a zstd request body, a relay ERROR frame, a truncated response,
 * a response without a request, ...) decoded to JSON lines and text; and
 * what decode does with bad input.
 */
#include <check.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <cJSON.h>
#include <zstd.h>

#include "cli.h"
#include "credname.h"
#include "decode.h"
#include "trace.h"
#include "tracegen.h"

static void
setup(void)
{
	tg_setup("decode");
}


static void
req(struct cx_writer *w, uint64_t conn, double t, const void *p, size_t n)
{
	tg_put(w, CX_K_DATA, CX_SRC_RELAY, CX_DIR_REQ, conn, t, p, n);
}

static void
reqs(struct cx_writer *w, uint64_t conn, double t, const char *s)
{
	req(w, conn, t, s, strlen(s));
}

static void
resp(struct cx_writer *w, uint64_t conn, double t, const char *s)
{
	tg_put(w, CX_K_DATA, CX_SRC_RELAY, CX_DIR_RESP, conn, t, s, strlen(s));
}

static void
json(struct cx_writer *w, uint8_t kind, uint64_t conn, double t, const char *s)
{
	tg_put(w, kind, CX_SRC_RELAY, 0, conn, t, s, strlen(s));
}

static const char *secret_key = "sk-proj-SECRETsecretSECRET12345";
static const char *request_json =
    "{\"model\":\"gpt-5-codex\",\"instructions\":\"be brief\","
    "\"input\":[{\"role\":\"user\",\"content\":\"say hello\"}],"
    "\"api_key\":\"plain-secret-value\",\"stream\":true}";
static size_t zstd_len;

/*
 * The scenario.  Times in ms; the comments give the exchange numbers
 * decode must assign (ordered by the first request byte).
 */
static void
write_scenario(const char *p, int torn)
{
	struct cx_writer *w = tg_create(p);
	char head[1024], *z;
	size_t zcap;
	const char *big;

	json(w, CX_K_NOTE, 0, 0.5, "{\"type\":\"run\",\"cxrec_version\":"
	    "\"0.1.0\",\"argv\":[\"codex\",\"exec\",\"say hello\"],"
	    "\"login_mode\":\"chatgpt\",\"routes\":[{\"prefix\":"
	    "\"/backend-api/\",\"upstream\":\"https://chatgpt.com\"}],"
	    "\"insecure\":false}");
	/* Connection 1: an SSE exchange with a zstd request body (#1), then
	 * keep-alive with a JSON GET (#3). */
	json(w, CX_K_OPEN, 1, 1, "{\"peer\":\"127.0.0.1:50001\",\"local\":"
	    "\"127.0.0.1:8080\",\"pid\":4242,\"tid\":4243,\"comm\":\"codex\"}");
	zcap = ZSTD_compressBound(strlen(request_json));
	z = malloc(zcap);
	zstd_len = ZSTD_compress(z, zcap, request_json, strlen(request_json),
	    3);
	ck_assert(!ZSTD_isError(zstd_len));
	snprintf(head, sizeof(head),
	    "POST /v1/responses HTTP/1.1\r\n"
	    "Host: 127.0.0.1:8080\r\n"
	    "authorization: Bearer %s\r\n"
	    "Content-Type: application/json\r\n"
	    "Content-Encoding: zstd\r\n"
	    "Content-Length: %zu\r\n"
	    "\r\n", secret_key, zstd_len);
	/* Split mid-header, then mid-body. */
	req(w, 1, 10, head, 20);
	req(w, 1, 10.5, head + 20, strlen(head) - 20);
	req(w, 1, 10.5, z, zstd_len / 2);
	req(w, 1, 11, z + zstd_len / 2, zstd_len - zstd_len / 2);
	free(z);
	json(w, CX_K_ROUTE, 1, 11.2, "{\"seq\":0,\"method\":\"POST\","
	    "\"target\":\"/v1/responses\",\"upstream\":"
	    "\"https://api.openai.com/v1/responses\",\"route\":\"/v1\"}");
	resp(w, 1, 23, "HTTP/1.1 200 OK\r\nContent-Type: text/event-stream; "
	    "charset=utf-8\r\nTransfer-Encoding: chunked\r\n\r\n");
	/* Event 1 whole in one chunk; event 2 split mid chunk-size and mid
	 * event; event 3 multi-line data with an id. */
	resp(w, 1, 24, "3e\r\nevent: response.created\r\ndata: "
	    "{\"type\":\"response.created\"}\r\n\r\n\r\n");
	resp(w, 1, 30, "3");
	resp(w, 1, 31, "c\r\nevent: response.output_text.delta\r\ndata: "
	    "{\"delta\":\"Hel");
	resp(w, 1, 35.5, "\"}\r\n\r\n\r\n");
	resp(w, 1, 40, "1f\r\nid: 7\ndata: line1\ndata: line2\n\n\r\n0\r\n\r\n");
	/* #3: keep-alive */
	reqs(w, 1, 100, "GET /v1/models?client_version=0.98.0 HTTP/1.1\r\n"
	    "Host: 127.0.0.1:8080\r\n\r\n");
	json(w, CX_K_ROUTE, 1, 100.1, "{\"seq\":1,\"method\":\"GET\",\"target\":"
	    "\"/v1/models?client_version=0.98.0\",\"upstream\":"
	    "\"https://api.openai.com/v1/models?client_version=0.98.0\","
	    "\"route\":\"/v1\"}");
	resp(w, 1, 120, "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\n"
	    "Content-Length: 40\r\n\r\n{\"models\":[{\"slug\":\"gpt-5\"}],"
	    "\"etag\":\"x\"}");
	json(w, CX_K_CLOSE, 1, 130, "{\"by\":\"client\",\"reason\":\"eof\"}");

	/* Connection 2, written later in the file but starting earlier
	 * (#2): the relay could not reach the upstream; then a response
	 * cut short by the upstream closing (#4). */
	json(w, CX_K_OPEN, 2, 12, "{\"peer\":\"127.0.0.1:50002\",\"local\":"
	    "\"127.0.0.1:8080\"}");
	reqs(w, 2, 15, "POST /v1/responses HTTP/1.1\r\nHost: h\r\n"
	    "Content-Length: 5\r\n\r\nhello");
	json(w, CX_K_ERROR, 2, 16, "{\"seq\":0,\"error\":\"upstream TLS "
	    "handshake with api.openai.com:443 failed: certificate verify "
	    "failed\"}");
	resp(w, 2, 16.5, "HTTP/1.1 502 Bad Gateway\r\nContent-Type: text/plain"
	    "\r\nContent-Length: 12\r\n\r\nbad gateway\n");
	reqs(w, 2, 200, "GET /v1/slow HTTP/1.1\r\nHost: h\r\n\r\n");
	json(w, CX_K_ROUTE, 2, 200.1, "{\"seq\":1,\"method\":\"GET\",\"target\":"
	    "\"/v1/slow\",\"upstream\":\"https://api.openai.com/v1/slow\","
	    "\"route\":\"/v1\"}");
	resp(w, 2, 250, "HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\n"
	    "only part");
	json(w, CX_K_CLOSE, 2, 260, "{\"by\":\"upstream\",\"reason\":"
	    "\"connection reset\"}");

	/* Connection 3: garbage from the server, no request (#5). */
	json(w, CX_K_OPEN, 3, 300, "{\"peer\":\"127.0.0.1:50003\"}");
	resp(w, 3, 301, "garbage\r\n\r\n");
	json(w, CX_K_CLOSE, 3, 302, "{\"by\":\"relay\"}");

	/* Things decode must skip or report quietly. */
	tg_put(w, 99, CX_SRC_RELAY, 0, 0, 303, "future", 6);
	json(w, CX_K_LOSS, 0, 304, "{\"frames\":3,\"bytes\":1234,\"errno\":28}");

	/* Connection 4: a 600 KB upload (written as several CX_F_CONT
	 * frames), answered (#6). */
	big = NULL;
	{
		size_t n = 600 * 1000;
		char *b = malloc(n + 200);
		int hl = snprintf(b, 200, "PUT /upload HTTP/1.1\r\nContent-Type: "
		    "text/plain\r\nContent-Length: %zu\r\n\r\n", n);

		memset(b + hl, 'x', n);
		req(w, 4, 400, b, (size_t)hl + n);
		free(b);
		resp(w, 4, 410, "HTTP/1.1 204 No Content\r\n\r\n");
	}
	(void)big;

	/* Connection 5: a request the trace ends before answering (#7),
	 * after a complete one (#... no: it is the only one). */
	reqs(w, 5, 500, "GET /v1/never HTTP/1.1\r\nHost: h\r\n\r\n");
	cx_writer_close(w);

	if (torn) {
		/* A writer killed mid-frame: half a frame at the end. */
		int fd = open(p, O_WRONLY | O_APPEND);
		uint8_t half[30] = { 0x43, 0x58, 0x46, 0x52, 100 };

		ck_assert_int_ge(fd, 0);
		ck_assert_int_eq(write(fd, half, sizeof(half)),
		    (ssize_t)sizeof(half));
		close(fd);
	}
}

/* --- running decode -------------------------------------------------- */

struct warnings {
	char     text[4096];
	int      count;
};

static void
on_warn(void *arg, const char *msg)
{
	struct warnings *w = arg;
	size_t len = strlen(w->text);

	snprintf(w->text + len, sizeof(w->text) - len, "%s\n", msg);
	w->count++;
}

static char *
decode(const char *p, const char *format, int no_redact, struct warnings *warn)
{
	struct cx_decode_opts opts;
	char *mem = NULL, err[512];
	size_t len = 0;
	FILE *f = open_memstream(&mem, &len);
	struct warnings dummy;

	memset(&opts, 0, sizeof(opts));
	memset(&dummy, 0, sizeof(dummy));
	opts.format = format;
	opts.no_redact = no_redact;
	opts.warn = on_warn;
	opts.warn_arg = warn ? warn : &dummy;
	if (warn)
		memset(warn, 0, sizeof(*warn));
	ck_assert_msg(cx_decode(p, &opts, f, err, sizeof(err)) == 0, "%s",
	    err);
	fclose(f);
	return mem;
}

/* The JSON lines as a cJSON array. */
static cJSON *
lines(const char *out)
{
	cJSON *all = cJSON_CreateArray();
	const char *p = out;

	while (*p != '\0') {
		const char *nl = strchr(p, '\n');
		cJSON *o;

		ck_assert_ptr_nonnull(nl);
		o = cJSON_ParseWithLength(p, (size_t)(nl - p));
		ck_assert_msg(o != NULL, "not JSON: %.*s", (int)(nl - p), p);
		cJSON_AddItemToArray(all, o);
		p = nl + 1;
	}
	return all;
}

static const cJSON *
get(const cJSON *o, const char *path_)
{
	char buf[256], *save = NULL, *tok;

	snprintf(buf, sizeof(buf), "%s", path_);
	for (tok = strtok_r(buf, ".", &save); tok != NULL && o != NULL;
	    tok = strtok_r(NULL, ".", &save)) {
		if (tok[0] >= '0' && tok[0] <= '9')
			o = cJSON_GetArrayItem(o, atoi(tok));
		else
			o = cJSON_GetObjectItemCaseSensitive(o, tok);
	}
	ck_assert_msg(o != NULL, "no %s", path_);
	return o;
}

static const char *
str(const cJSON *o, const char *p)
{
	const cJSON *v = get(o, p);

	ck_assert_msg(cJSON_IsString(v), "%s is not a string", p);
	return v->valuestring;
}

static double
num(const cJSON *o, const char *p)
{
	const cJSON *v = get(o, p);

	ck_assert_msg(cJSON_IsNumber(v), "%s is not a number", p);
	return v->valuedouble;
}

static int
is_null(const cJSON *o, const char *p)
{
	return cJSON_IsNull(get(o, p));
}

#define ASSERT_NUM(o, p, v)     ck_assert_double_eq_tol(num(o, p), v, 1e-9)

START_TEST(jsonl_scenario)
{
	char *out, want[64], *flat;
	cJSON *all;
	const cJSON *e;
	struct warnings warn;
	struct tm tm;
	time_t t;
	int64_t rt;

	write_scenario(tg_path, 0);
	out = decode(tg_path, "jsonl", 0, &warn);
	all = lines(out);
	ck_assert_int_eq(cJSON_GetArraySize(all), 7);
	/* The recorder's loss is reported, on the warning hook. */
	ck_assert_int_eq(warn.count, 1);
	ck_assert_ptr_nonnull(strstr(warn.text, "could not record 3 frames "
	    "(1234 bytes): No space left on device"));

	/* #1: SSE, zstd request body, redacted. */
	e = cJSON_GetArrayItem(all, 0);
	ASSERT_NUM(e, "id", 1);
	ASSERT_NUM(e, "conn", 1);
	ASSERT_NUM(e, "seq", 0);
	ck_assert_str_eq(str(e, "source"), "relay");
	ASSERT_NUM(e, "pid", 4242);
	ASSERT_NUM(e, "tid", 4243);
	ck_assert_str_eq(str(e, "comm"), "codex");
	rt = tg_info.realtime_ns + 10 * MS;
	t = (time_t)(rt / 1000000000);
	gmtime_r(&t, &tm);
	snprintf(want, sizeof(want), "%04d-%02d-%02dT%02d:%02d:%02d.%06dZ",
	    tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday, tm.tm_hour,
	    tm.tm_min, tm.tm_sec, (int)(rt % 1000000000 / 1000));
	ck_assert_str_eq(str(e, "start"), want);
	ASSERT_NUM(e, "ttfb_ms", 12);           /* 23 - 11 */
	ASSERT_NUM(e, "duration_ms", 30);       /* 40 - 10 */
	ck_assert_str_eq(str(e, "request.method"), "POST");
	ck_assert_str_eq(str(e, "request.url"), "/v1/responses");
	ck_assert_str_eq(str(e, "request.version"), "HTTP/1.1");
	ck_assert_str_eq(str(e, "request.upstream"),
	    "https://api.openai.com/v1/responses");
	ck_assert_str_eq(str(e, "request.route"), "/v1");
	ck_assert_str_eq(str(e, "request.headers.0.0"), "Host");
	ck_assert_str_eq(str(e, "request.headers.1.0"), "authorization");
	ck_assert_str_eq(str(e, "request.headers.1.1"), "Bearer [REDACTED]");
	ck_assert_str_eq(str(e, "request.headers.4.0"), "Content-Length");
	ck_assert_str_eq(str(e, "request.body.model"), "gpt-5-codex");
	ck_assert_str_eq(str(e, "request.body.input.0.content"), "say hello");
	ck_assert_str_eq(str(e, "request.body.api_key"), "[REDACTED]");
	ck_assert_str_eq(str(e, "request.body_encoding"), "json");
	ASSERT_NUM(e, "request.body_bytes", (double)zstd_len);
	ck_assert_str_eq(str(e, "request.content_encoding"), "zstd");
	ASSERT_NUM(e, "request.decoded_bytes", (double)strlen(request_json));
	ck_assert(cJSON_IsTrue(get(e, "request.complete")));
	ASSERT_NUM(e, "response.status", 200);
	ck_assert_str_eq(str(e, "response.reason"), "OK");
	ck_assert(is_null(e, "response.body"));
	ck_assert(is_null(e, "response.body_encoding"));
	ck_assert_int_eq(cJSON_GetArraySize(get(e, "response.sse")), 3);
	ASSERT_NUM(e, "response.sse.0.t_ms", 14);       /* 24 - 10 */
	ck_assert_str_eq(str(e, "response.sse.0.event"), "response.created");
	ck_assert(is_null(e, "response.sse.0.id"));
	ck_assert_str_eq(str(e, "response.sse.0.data.type"),
	    "response.created");
	ASSERT_NUM(e, "response.sse.1.t_ms", 25.5);
	ck_assert_str_eq(str(e, "response.sse.1.event"),
	    "response.output_text.delta");
	ck_assert_str_eq(str(e, "response.sse.1.data.delta"), "Hel");
	ASSERT_NUM(e, "response.sse.2.t_ms", 30);
	ck_assert_str_eq(str(e, "response.sse.2.event"), "message");
	ck_assert_str_eq(str(e, "response.sse.2.id"), "7");
	ck_assert_str_eq(str(e, "response.sse.2.data"), "line1\nline2");
	ck_assert(cJSON_IsTrue(get(e, "response.complete")));
	ck_assert(is_null(e, "error"));

	/* #2: connection 2 started before #3, though written after it. */
	e = cJSON_GetArrayItem(all, 1);
	ASSERT_NUM(e, "id", 2);
	ASSERT_NUM(e, "conn", 2);
	ck_assert(is_null(e, "pid"));
	ck_assert(is_null(e, "comm"));
	ck_assert_str_eq(str(e, "request.body"), "hello");
	ck_assert_str_eq(str(e, "request.body_encoding"), "text");
	ASSERT_NUM(e, "response.status", 502);
	ck_assert_str_eq(str(e, "response.body"), "bad gateway\n");
	ck_assert(is_null(e, "request.upstream"));
	ck_assert_ptr_nonnull(strstr(str(e, "error"), "upstream TLS handshake "
	    "with api.openai.com:443 failed"));

	/* #3: keep-alive on connection 1. */
	e = cJSON_GetArrayItem(all, 2);
	ASSERT_NUM(e, "conn", 1);
	ASSERT_NUM(e, "seq", 1);
	ck_assert_str_eq(str(e, "request.url"),
	    "/v1/models?client_version=0.98.0");
	ck_assert_str_eq(str(e, "request.upstream"),
	    "https://api.openai.com/v1/models?client_version=0.98.0");
	ck_assert(is_null(e, "request.body"));
	ASSERT_NUM(e, "request.body_bytes", 0);
	ck_assert_str_eq(str(e, "response.body.models.0.slug"), "gpt-5");
	ASSERT_NUM(e, "response.body_bytes", 40);
	ck_assert(is_null(e, "response.sse"));
	ASSERT_NUM(e, "ttfb_ms", 20);
	ck_assert(is_null(e, "error"));

	/* #4: the response cut short. */
	e = cJSON_GetArrayItem(all, 3);
	ASSERT_NUM(e, "conn", 2);
	ASSERT_NUM(e, "response.status", 200);
	ck_assert_str_eq(str(e, "response.body"), "only part");
	ASSERT_NUM(e, "response.body_bytes", 9);
	ck_assert(cJSON_IsFalse(get(e, "response.complete")));
	ck_assert_ptr_nonnull(strstr(str(e, "error"), "response incomplete"));
	ck_assert_ptr_nonnull(strstr(str(e, "error"),
	    "the upstream closed the connection: connection reset"));

	/* #5: a response without a request. */
	e = cJSON_GetArrayItem(all, 4);
	ASSERT_NUM(e, "conn", 3);
	ck_assert(is_null(e, "request"));
	ck_assert(is_null(e, "response.status"));
	ck_assert(is_null(e, "ttfb_ms"));
	ck_assert_ptr_nonnull(strstr(str(e, "error"), "without a request"));
	ck_assert_ptr_nonnull(strstr(str(e, "error"), "not an HTTP status"));

	/* #6: a large body split over frames. */
	e = cJSON_GetArrayItem(all, 5);
	ASSERT_NUM(e, "request.body_bytes", 600000);
	ck_assert_uint_eq(strlen(str(e, "request.body")), 600000);
	ASSERT_NUM(e, "response.status", 204);
	ck_assert(is_null(e, "error"));

	/* #7: the trace ended before a response. */
	e = cJSON_GetArrayItem(all, 6);
	ck_assert(is_null(e, "response"));
	ck_assert(is_null(e, "duration_ms"));
	ck_assert_str_eq(str(e, "error"), "no response: the trace ended");

	/* Nothing secret anywhere. */
	ck_assert_ptr_null(strstr(out, secret_key));
	ck_assert_ptr_null(strstr(out, "plain-secret-value"));
	flat = cJSON_PrintUnformatted(all);
	ck_assert_ptr_null(strstr(flat, "SECRET"));
	cJSON_free(flat);
	cJSON_Delete(all);
	free(out);

	/* --no-redact shows them. */
	out = decode(tg_path, "jsonl", 1, NULL);
	all = lines(out);
	e = cJSON_GetArrayItem(all, 0);
	ck_assert_ptr_nonnull(strstr(str(e, "request.headers.1.1"),
	    secret_key));
	ck_assert_str_eq(str(e, "request.body.api_key"), "plain-secret-value");
	cJSON_Delete(all);
	free(out);
}
END_TEST

START_TEST(text_scenario)
{
	char *out;

	write_scenario(tg_path, 0);
	out = decode(tg_path, "text", 0, NULL);
	/* The header: the run's note and the loss. */
	ck_assert_ptr_nonnull(strstr(out, "cxrec trace "));
	ck_assert_ptr_nonnull(strstr(out, "note \"run\" from relay"));
	ck_assert_ptr_nonnull(strstr(out, "argv: codex exec 'say hello'"));
	ck_assert_ptr_nonnull(strstr(out, "login_mode: chatgpt"));
	ck_assert_ptr_nonnull(strstr(out,
	    "routes: /backend-api/ -> https://chatgpt.com"));
	ck_assert_ptr_nonnull(strstr(out, "LOSS"));
	/* Summary lines. */
	ck_assert_ptr_nonnull(strstr(out, " POST /v1/responses -> 200 "
	    "text/event-stream  ttfb 12.0ms  total 30.0ms  req "));
	ck_assert_ptr_nonnull(strstr(out, "(zstd\xe2\x86\x92"));
	ck_assert_ptr_nonnull(strstr(out, "3 events"));
	ck_assert_ptr_nonnull(strstr(out, "#2 "));
	ck_assert_ptr_nonnull(strstr(out, "-> 502 text/plain"));
	ck_assert_ptr_nonnull(strstr(out, "upstream "
	    "https://api.openai.com/v1/responses  (route /v1)"));
	ck_assert_ptr_nonnull(strstr(out, "pid 4242 tid 4243 (codex)"));
	/* Details. */
	ck_assert_ptr_nonnull(strstr(out, "   > authorization: Bearer "
	    "[REDACTED]\n"));
	ck_assert_ptr_nonnull(strstr(out, "   {\n     \"model\": "
	    "\"gpt-5-codex\",\n"));
	ck_assert_ptr_nonnull(strstr(out, "   +25.5ms "
	    "response.output_text.delta {\"delta\":\"Hel\"}\n"));
	ck_assert_ptr_nonnull(strstr(out, "   +30.0ms [id 7] message "
	    "line1\\nline2\n"));
	ck_assert_ptr_nonnull(strstr(out, "!! error: upstream TLS handshake"));
	ck_assert_ptr_nonnull(strstr(out, "(no request) -> (response not "
	    "decoded)"));
	ck_assert_ptr_nonnull(strstr(out, "7 exchanges, 4 errors, "));
	ck_assert_ptr_null(strstr(out, secret_key));
	ck_assert_ptr_null(strstr(out, "plain-secret-value"));
	free(out);
}
END_TEST

START_TEST(torn_trace)
{
	struct warnings warn;
	cJSON *all;
	char *out;

	write_scenario(tg_path, 1);
	out = decode(tg_path, "jsonl", 0, &warn);
	ck_assert_ptr_nonnull(strstr(warn.text, "incomplete frame"));
	all = lines(out);
	free(out);
	out = decode(tg_path, "text", 0, NULL);
	ck_assert_ptr_nonnull(strstr(out, "!! damaged trace: 0 corrupt regions "
	    "(0 bytes skipped), 30 bytes of an incomplete frame at the end"));
	/* Every exchange the torn frame did not touch is there. */
	ck_assert_int_eq(cJSON_GetArraySize(all), 7);
	ck_assert_str_eq(str(cJSON_GetArrayItem(all, 0),
	    "response.sse.2.data"), "line1\nline2");
	cJSON_Delete(all);
	free(out);
}
END_TEST

/*
 * codex hangs up right after response.completed, before the last chunk:
 * that is a note, not an error.  Hanging up before the final event is an
 * error.
 */
START_TEST(client_closes_after_final_event)
{
	static const char *rq = "POST /v1/responses HTTP/1.1\r\nHost: x\r\n"
	    "Content-Length: 2\r\n\r\n{}";
	static const char *head = "HTTP/1.1 200 OK\r\nContent-Type: "
	    "text/event-stream\r\nTransfer-Encoding: chunked\r\n\r\n";
	static const char *ev1 = "27\r\nevent: response.created\ndata: "
	    "{\"a\":1}\n\n\r\n";
	static const char *ev2 = "29\r\nevent: response.completed\ndata: "
	    "{\"a\":2}\n\n\r\n";
	struct cx_writer *w = tg_create(tg_path);
	cJSON *all;
	char *out;

	for (uint64_t conn = 1; conn <= 2; conn++) {
		json(w, CX_K_OPEN, conn, 0, "{\"peer\":\"127.0.0.1:1\"}");
		reqs(w, conn, 1, rq);
		resp(w, conn, 2, head);
		resp(w, conn, 3, ev1);
		if (conn == 1)
			resp(w, conn, 4, ev2);
		json(w, CX_K_ERROR, conn, 5, "{\"seq\":0,\"error\":\"client "
		    "closed the connection mid-exchange\"}");
		json(w, CX_K_CLOSE, conn, 5, "{\"by\":\"client\",\"reason\":"
		    "\"client closed\"}");
	}
	cx_writer_close(w);
	out = decode(tg_path, "jsonl", 0, NULL);
	all = lines(out);
	free(out);
	ck_assert_int_eq(cJSON_GetArraySize(all), 2);
	const cJSON *done = cJSON_GetArrayItem(all, 0);
	const cJSON *cut = cJSON_GetArrayItem(all, 1);
	ck_assert_msg(is_null(done, "error"), "error: %s", str(done, "error"));
	ck_assert_ptr_nonnull(strstr(str(done, "note"), "after the stream's "
	    "final event (response.completed)"));
	ck_assert_str_eq(str(done, "response.sse.1.event"), "response.completed");
	ck_assert_ptr_nonnull(strstr(str(cut, "error"), "client closed"));
	ck_assert_ptr_null(cJSON_GetObjectItem(cut, "note"));
	cJSON_Delete(all);
}
END_TEST

/*
 * A client hanging up a WebSocket after its 101 (codex 0.171.0 does so on
 * exit, without a close frame): the relay's "client closed the connection
 * mid-exchange" about the tunnel is a note on the upgraded exchange, not an
 * exchange "(no request) -> (no response)" of its own.
 */
START_TEST(client_closes_tunnel)
{
	static const char *rq = "GET /v1/responses HTTP/1.1\r\nHost: x\r\n"
	    "Connection: Upgrade\r\nUpgrade: websocket\r\n"
	    "Sec-WebSocket-Version: 13\r\n"
	    "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n\r\n";
	static const char *head = "HTTP/1.1 101 Switching Protocols\r\n"
	    "Upgrade: websocket\r\nConnection: Upgrade\r\n"
	    "Sec-WebSocket-Accept: s3pPLMBiTxaQ9kYGzzhZRbK+xOo=\r\n\r\n";
	struct cx_writer *w = tg_create(tg_path);
	cJSON *all;
	char *out;

	json(w, CX_K_OPEN, 1, 0, "{\"peer\":\"127.0.0.1:1\"}");
	reqs(w, 1, 1, rq);
	resp(w, 1, 2, head);
	resp(w, 1, 3, "\x81\x02hi");
	json(w, CX_K_ERROR, 1, 4, "{\"seq\":-1,\"error\":\"client "
	    "closed the connection mid-exchange\"}");
	json(w, CX_K_CLOSE, 1, 4, "{\"by\":\"client\",\"reason\":"
	    "\"client closed\"}");
	cx_writer_close(w);
	out = decode(tg_path, "jsonl", 0, NULL);
	all = lines(out);
	free(out);
	ck_assert_int_eq(cJSON_GetArraySize(all), 1);
	const cJSON *ws = cJSON_GetArrayItem(all, 0);
	ck_assert_msg(is_null(ws, "error"), "error: %s", str(ws, "error"));
	ck_assert_ptr_nonnull(strstr(str(ws, "note"), "after the protocol "
	    "switch"));
	ck_assert_str_eq(str(ws, "websocket.0.data"), "hi");
	cJSON_Delete(all);
}
END_TEST

START_TEST(empty_trace)
{
	struct cx_writer *w = tg_create(tg_path);
	char *out;

	cx_writer_close(w);
	out = decode(tg_path, "jsonl", 0, NULL);
	ck_assert_str_eq(out, "");
	free(out);
	out = decode(tg_path, "text", 0, NULL);
	ck_assert_ptr_nonnull(strstr(out, "0 exchanges, 0 errors"));
	free(out);
}
END_TEST

/*
 * Random traces: frames of any kind, source and direction, HTTP pieces
 * damaged at random, JSON payloads that may be anything.  Decode must
 * finish, and every line it prints must be JSON.
 */
START_TEST(random_traces)
{
	static const char *pieces[] = {
		"POST /v1/responses HTTP/1.1\r\nContent-Length: 5\r\n\r\nhello",
		"GET / HTTP/1.1\r\nHost: h\r\n\r\n",
		"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\nContent-Type: "
		"text/event-stream\r\n\r\n",
		"1c\r\ndata: {\"token\":\"sk-aaaaaaaaaaaaaaaaaaaa\"}\n\n\r\n",
		"0\r\n\r\n",
		"HTTP/1.1 100 Continue\r\n\r\n",
		"HTTP/1.1 200 OK\r\nContent-Encoding: gzip\r\nContent-Length: 4"
		"\r\n\r\n\x1f\x8b\x08\x00",
		"HTTP/1.1 101 Switching Protocols\r\n\r\n\x81\x01x",
		"{\"seq\":0,\"upstream\":\"https://x/y?token=abc\"}",
		"{\"seq\":1,\"error\":\"boom\"}", "{\"error\":\"conn\"}",
		"{\"by\":\"client\"}", "{\"pid\":7,\"comm\":\"c\"}", "[1,2]",
		"{\"seq\":-1}", "{\"seq\":1e300}", "",
		"{\"type\":\"run\",\"argv\":[\"a b\",\"it's\"],\"routes\":[1]}",
	};
	unsigned r = 99;
	int total = 0;

	for (int round = 0; round < 150; round++) {
		struct cx_writer *w;
		char *out, *text;
		cJSON *all;

		unlink(tg_path);
		w = tg_create(tg_path);
		for (int i = 0; i < 40; i++) {
			char buf[300];
			size_t len;
			struct cx_frame f;

			r = r * 1103515245 + 12345;
			len = strlen(pieces[(r >> 8) % (sizeof(pieces) /
			    sizeof(pieces[0]))]);
			memcpy(buf, pieces[(r >> 8) % (sizeof(pieces) /
			    sizeof(pieces[0]))], len);
			if (len > 0 && (r >> 20) % 3 == 0)
				buf[(r >> 4) % len] = (char)(r >> 12);
			if (len > 1 && (r >> 22) % 4 == 0)
				len = (r >> 3) % len;
			memset(&f, 0, sizeof(f));
			f.kind = (uint8_t)(1 + (r >> 14) % 9);
			f.source = (uint8_t)(1 + (r >> 17) % 5);
			f.dir = (uint8_t)((r >> 19) % 3);
			f.flags = (r >> 23) % 7 == 0 ? CX_F_CONT : 0;
			f.conn = (r >> 25) % 3;
			f.ts_ns = tg_info.monotonic_ns + (int64_t)((r >> 9) % 1000) *
			    MS - 100 * MS;
			f.pid = (r >> 27) % 2 ? 0 : 77;
			f.payload = (const uint8_t *)buf;
			f.len = (uint32_t)len;
			ck_assert_int_eq(cx_writer_put(w, &f), 0);
		}
		cx_writer_close(w);
		out = decode(tg_path, "jsonl", round % 2, NULL);
		all = lines(out);
		total += cJSON_GetArraySize(all);
		cJSON_Delete(all);
		free(out);
		text = decode(tg_path, "text", 0, NULL);
		ck_assert_ptr_nonnull(strstr(text, " exchange"));
		free(text);
	}
	ck_assert_int_gt(total, 500);
}
END_TEST

/* --- the command, and bad input ------------------------------------------ */

/* Run cmd_decode with stderr (and stdout) captured. */
static int
run(const char **args, char *errout, size_t errlen, char *stdout_,
    size_t outlen)
{
	char epath[300], opath[300], *argv[16];
	int argc = 0, rc, saved_err, saved_out, fd;
	FILE *f;
	size_t n;

	/* cmd_decode takes char **, as main's argv. */
	while (args[argc] != NULL && argc < 15) {
		argv[argc] = strdup(args[argc]);
		argc++;
	}
	argv[argc] = NULL;
	snprintf(epath, sizeof(epath), "%s/stderr", tg_dir);
	snprintf(opath, sizeof(opath), "%s/stdout", tg_dir);
	fflush(stdout);
	fflush(stderr);
	saved_err = dup(2);
	saved_out = dup(1);
	fd = open(epath, O_WRONLY | O_CREAT | O_TRUNC, 0600);
	dup2(fd, 2);
	close(fd);
	fd = open(opath, O_WRONLY | O_CREAT | O_TRUNC, 0600);
	dup2(fd, 1);
	close(fd);
	rc = cmd_decode(argc, argv);
	for (int i = 0; i < argc; i++)
		free(argv[i]);
	fflush(stdout);
	fflush(stderr);
	dup2(saved_err, 2);
	dup2(saved_out, 1);
	close(saved_err);
	close(saved_out);
	f = fopen(epath, "r");
	n = fread(errout, 1, errlen - 1, f);
	errout[n] = '\0';
	fclose(f);
	if (stdout_ != NULL) {
		f = fopen(opath, "r");
		n = fread(stdout_, 1, outlen - 1, f);
		stdout_[n] = '\0';
		fclose(f);
	}
	return rc;
}

static void
write_file(const char *p, const void *data, size_t n)
{
	FILE *f = fopen(p, "w");

	ck_assert_ptr_nonnull(f);
	ck_assert_uint_eq(fwrite(data, 1, n, f), n);
	fclose(f);
}

/* decode FILE must fail with exit 2 and one line naming the file. */
static void
bad_input(const char *p, const char *want)
{
	const char *argv[] = { "decode", p, NULL };
	char err[1024];

	ck_assert_int_eq(run(argv, err, sizeof(err), NULL, 0), CX_EXIT_USAGE);
	ck_assert_msg(strncmp(err, "cxrec: decode: ", 15) == 0, "%s", err);
	ck_assert_msg(strstr(err, p) != NULL, "%s does not name %s", err, p);
	ck_assert_msg(strstr(err, want) != NULL, "%s: want %s", err, want);
	ck_assert_ptr_eq(strchr(err, '\n'), err + strlen(err) - 1);
}

START_TEST(bad_inputs)
{
	const char *not_trace = "this is not a trace, this is not a trace, "
	    "this is not a trace, this is not a trace, this is not a trace, "
	    "this is not a trace\n";
	char p[300], hdr[CX_FILE_HEADER_LEN + 40];
	FILE *f;

	snprintf(p, sizeof(p), "%s/empty", tg_dir);
	write_file(p, "", 0);
	bad_input(p, "empty");
	snprintf(p, sizeof(p), "%s/text.txt", tg_dir);
	write_file(p, not_trace, strlen(not_trace));
	bad_input(p, "not a cxrec trace");
	snprintf(p, sizeof(p), "%s/short", tg_dir);
	write_file(p, "CXTRACE\n", 8);
	bad_input(p, "not a cxrec trace");
	bad_input(tg_dir, "is a directory");
	snprintf(p, sizeof(p), "%s/missing.bin", tg_dir);
	bad_input(p, "cannot read");
	/* A trace from a future version. */
	cx_writer_close(tg_create(tg_path));
	f = fopen(tg_path, "r");
	ck_assert_uint_eq(fread(hdr, 1, CX_FILE_HEADER_LEN, f),
	    CX_FILE_HEADER_LEN);
	fclose(f);
	hdr[8] = 99;
	snprintf(p, sizeof(p), "%s/future.bin", tg_dir);
	write_file(p, hdr, CX_FILE_HEADER_LEN);
	bad_input(p, "version 99");
}
END_TEST

START_TEST(command_line)
{
	char err[1024], out[8192], opath[300], optbuf[320];
	const char *missing[] = { "decode", NULL };
	const char *unknown[] = { "decode", "--frobnicate", tg_path, NULL };
	const char *unknown_short[] = { "decode", "-x", tg_path, NULL };
	const char *badfmt[] = { "decode", "--format", "xml", tg_path, NULL };
	const char *two[] = { "decode", tg_path, tg_path, NULL };
	const char *help[] = { "decode", "--help", NULL };
	const char *noval[] = { "decode", tg_path, "-o", NULL };
	const char *tofile[] = { "decode", "--format=jsonl", "-o", opath, tg_path,
	    NULL };
	const char *cantcreate[] = { "decode", "-o", optbuf, tg_path, NULL };
	const char *overwrite[] = { "decode", "-o", tg_path, tg_path, NULL };
	const char *tostdout[] = { "decode", "--no-redact", "--max-body", "4", tg_path,
	    NULL };
	FILE *f;
	size_t n;

	write_scenario(tg_path, 0);
	ck_assert_int_eq(run(missing, err, sizeof(err), NULL, 0),
	    CX_EXIT_USAGE);
	ck_assert_ptr_nonnull(strstr(err, "missing TRACE"));
	ck_assert_ptr_nonnull(strstr(err, "usage: cxrec decode"));
	ck_assert_ptr_eq(strchr(err, '\n'), err + strlen(err) - 1);
	ck_assert_int_eq(run(unknown, err, sizeof(err), NULL, 0),
	    CX_EXIT_USAGE);
	ck_assert_ptr_nonnull(strstr(err, "unknown option '--frobnicate'"));
	ck_assert_int_eq(run(unknown_short, err, sizeof(err), NULL, 0),
	    CX_EXIT_USAGE);
	ck_assert_ptr_nonnull(strstr(err, "unknown option '-x'"));
	ck_assert_int_eq(run(badfmt, err, sizeof(err), NULL, 0),
	    CX_EXIT_USAGE);
	ck_assert_ptr_nonnull(strstr(err, "unknown format 'xml'"));
	ck_assert_int_eq(run(two, err, sizeof(err), NULL, 0), CX_EXIT_USAGE);
	ck_assert_int_eq(run(noval, err, sizeof(err), NULL, 0), CX_EXIT_USAGE);
	ck_assert_ptr_nonnull(strstr(err, "needs a value"));
	ck_assert_int_eq(run(help, err, sizeof(err), out, sizeof(out)),
	    CX_EXIT_OK);
	ck_assert_ptr_nonnull(strstr(out, "--no-redact"));
	ck_assert_ptr_nonnull(strstr(out, "--format"));
	ck_assert_str_eq(err, "");

	snprintf(opath, sizeof(opath), "%s/out.jsonl", tg_dir);
	ck_assert_int_eq(run(tofile, err, sizeof(err), out, sizeof(out)),
	    CX_EXIT_OK);
	ck_assert_str_eq(out, "");
	f = fopen(opath, "r");
	ck_assert_ptr_nonnull(f);
	n = fread(out, 1, sizeof(out) - 1, f);
	out[n] = '\0';
	fclose(f);
	ck_assert(strncmp(out, "{\"id\":1,", 8) == 0);

	snprintf(optbuf, sizeof(optbuf), "%s/no/such/tg_dir/out", tg_dir);
	ck_assert_int_eq(run(cantcreate, err, sizeof(err), NULL, 0),
	    CX_EXIT_USAGE);
	ck_assert_ptr_nonnull(strstr(err, "cannot create"));
	ck_assert_ptr_nonnull(strstr(err, optbuf));
	ck_assert_int_eq(run(overwrite, err, sizeof(err), NULL, 0),
	    CX_EXIT_USAGE);
	ck_assert_ptr_nonnull(strstr(err, "would overwrite the trace"));

	/* Text to stdout with --max-body. */
	ck_assert_int_eq(run(tostdout, err, sizeof(err), out, sizeof(out)),
	    CX_EXIT_OK);
	ck_assert_ptr_nonnull(strstr(out, "cxrec trace "));
	ck_assert_ptr_nonnull(strstr(out, "more bytes not shown"));
}
END_TEST

/*
 * The text listing writes each note before the first exchange that started
 * after it, whatever the file order (writers' clocks are not in step), and
 * a note whose JSON is not valid UTF-8 as escaped text, not as nothing.
 */
START_TEST(text_notes)
{
	static const char late[] = "{\"type\":\"late\",\"n\":1}";
	static const char early[] = "{\"type\":\"early\",\"n\":2}";
	static const char bad[] = "{\"seq\":0,\"detail\":{\"msg\":\"caf\xe9\"}}";
	static const char req[] = "GET /x HTTP/1.1\r\nHost: a\r\n\r\n";
	static const char resp[] = "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok";
	struct cx_writer *w = tg_create(tg_path);
	const char *pe, *pl, *px;
	char *out;

	tg_put(w, CX_K_NOTE, CX_SRC_CLI, 0, 0, 20, late, strlen(late));
	tg_put(w, CX_K_NOTE, CX_SRC_CLI, 0, 0, 5, early, strlen(early));
	tg_put(w, CX_K_ERROR, CX_SRC_RELAY, 0, 0, 6, bad, strlen(bad));
	tg_put(w, CX_K_DATA, CX_SRC_RELAY, CX_DIR_REQ, 7, 11, req, strlen(req));
	tg_put(w, CX_K_DATA, CX_SRC_RELAY, CX_DIR_RESP, 7, 12, resp,
	    strlen(resp));
	cx_writer_close(w);
	out = decode(tg_path, "text", 0, NULL);
	pe = strstr(out, "\"early\"");
	pl = strstr(out, "\"late\"");
	px = strstr(out, "#1 ");
	ck_assert_ptr_nonnull(pe);
	ck_assert_ptr_nonnull(pl);
	ck_assert_ptr_nonnull(px);
	ck_assert_msg(pe < px && px < pl, "notes around the exchange: %s",
	    out);
	ck_assert_msg(strstr(out, "caf\\xe9") != NULL, "the bad note: %s",
	    out);
	free(out);
}
END_TEST

/* A Google API key: "AIza" and 35 more; GMID a piece of it. */
#define GKEY    "AIzaSyA1b2C3d4E5f6G7h8I9j0K_lMnOpQrStUv"
#define GMID    "b2C3d4E5f6G7h8"

/* Gemini's traffic with its key in the query, its header, its bodies. */
static void
write_gemini(const char *p, int note)
{
	static const char run[] = "{\"type\":\"run\",\"argv\":[\"gemini\"],"
	    "\"credentials\":{\"headers\":[\"x-agent-secret\"],"
	    "\"query\":[\"sig\"]}}";
	static const char body[] = "{\"contents\":[{\"role\":\"user\","
	    "\"parts\":[{\"text\":\"my key is " GKEY "\"}]}]}";
	static const char sse[] = "data: {\"candidates\":[{\"content\":"
	    "{\"parts\":[{\"text\":\"echo " GKEY "\"}],\"role\":\"model\"}}]}"
	    "\r\n\r\n";
	char req[2048], resp[1024];
	struct cx_writer *w = tg_create(p);
	int n;

	if (note)
		tg_put(w, CX_K_NOTE, CX_SRC_CLI, 0, 0, 1, run, strlen(run));
	n = snprintf(req, sizeof(req), "POST /v1beta/models/gemini-2.5-pro:"
	    "streamGenerateContent?alt=sse&key=" GKEY "&sig=s1gn4ture HTTP/1.1"
	    "\r\nHost: generativelanguage.googleapis.com\r\n"
	    "x-goog-api-key: " GKEY "\r\nX-Agent-Secret: agent-s3cr3t\r\n"
	    "Content-Type: application/json\r\nContent-Length: %zu\r\n\r\n%s",
	    strlen(body), body);
	tg_put(w, CX_K_DATA, CX_SRC_RELAY, CX_DIR_REQ, 1, 10, req, (size_t)n);
	n = snprintf(resp, sizeof(resp), "HTTP/1.1 200 OK\r\n"
	    "Content-Type: text/event-stream\r\nContent-Length: %zu\r\n"
	    "\r\n%s", strlen(sse), sse);
	tg_put(w, CX_K_DATA, CX_SRC_RELAY, CX_DIR_RESP, 1, 20, resp,
	    (size_t)n);
	tg_put(w, CX_K_CLOSE, CX_SRC_RELAY, 0, 1, 30, "{\"by\":\"client\"}",
	    15);
	cx_writer_close(w);
}

/*
 * Gemini's key (AIza..., in ?key=, x-goog-api-key, bodies and events)
 * hidden in every format; the names the run note adds (a header, a query
 * parameter) too, and the names given in the options without the note.
 */
START_TEST(gemini_key_every_format)
{
	static const char *const fmts[] = { "text", "jsonl", "md", "har",
	    "conversation" };
	struct cx_decode_opts opts;
	struct cx_credname names;
	char *out, *mem = NULL, err[256], p2[320];
	size_t len = 0;
	FILE *f;

	write_gemini(tg_path, 1);
	for (size_t i = 0; i < sizeof(fmts) / sizeof(*fmts); i++) {
		out = decode(tg_path, fmts[i], 0, NULL);
		ck_assert_msg(strstr(out, GMID) == NULL, "format %s: %s",
		    fmts[i], out);
		ck_assert_msg(strstr(out, "s1gn4ture") == NULL,
		    "format %s: %s", fmts[i], out);
		ck_assert_msg(strstr(out, "agent-s3cr3t") == NULL,
		    "format %s: %s", fmts[i], out);
		if (strcmp(fmts[i], "conversation") != 0)
			ck_assert_msg(strstr(out, "AIzaS...StUv") != NULL,
			    "format %s: %s", fmts[i], out);
		free(out);
		/* --no-redact: all there. */
		out = decode(tg_path, fmts[i], 1, NULL);
		if (strcmp(fmts[i], "conversation") != 0)
			ck_assert_ptr_nonnull(strstr(out, "key=" GKEY));
		free(out);
	}
	out = decode(tg_path, "jsonl", 0, NULL);
	ck_assert_ptr_nonnull(strstr(out, "?alt=sse&key=AIzaS...StUv&sig="
	    "[REDACTED]"));
	ck_assert_ptr_nonnull(strstr(out, "[\"x-goog-api-key\","
	    "\"AIzaS...StUv\"]"));
	ck_assert_ptr_nonnull(strstr(out, "[\"X-Agent-Secret\","
	    "\"[REDACTED]\"]"));
	free(out);
	out = decode(tg_path, "har", 0, NULL);
	ck_assert_ptr_nonnull(strstr(out, "{\"name\":\"key\",\"value\":"
	    "\"AIzaS...StUv\"}"));
	ck_assert_ptr_nonnull(strstr(out, "{\"name\":\"sig\",\"value\":"
	    "\"[REDACTED]\"}"));
	free(out);

	/* Without the note: the extra names are not known... */
	snprintf(p2, sizeof(p2), "%s/nonote.bin", tg_dir);
	write_gemini(p2, 0);
	out = decode(p2, "jsonl", 0, NULL);
	ck_assert_ptr_null(strstr(out, GMID));
	ck_assert_ptr_nonnull(strstr(out, "agent-s3cr3t"));
	ck_assert_ptr_nonnull(strstr(out, "s1gn4ture"));
	free(out);
	/* ... unless the caller gives them (the CLI: every agent's). */
	cx_credname_init(&names);
	cx_credname_add_header(&names, "X-Agent-Secret");
	cx_credname_add_query(&names, "sig");
	memset(&opts, 0, sizeof(opts));
	opts.format = "jsonl";
	opts.names = &names;
	f = open_memstream(&mem, &len);
	ck_assert_int_eq(cx_decode(p2, &opts, f, err, sizeof(err)), 0);
	fclose(f);
	ck_assert_ptr_null(strstr(mem, "agent-s3cr3t"));
	ck_assert_ptr_null(strstr(mem, "s1gn4ture"));
	free(mem);
	/* The set was decode's for that call only. */
	out = decode(p2, "jsonl", 0, NULL);
	ck_assert_ptr_nonnull(strstr(out, "agent-s3cr3t"));
	free(out);
}
END_TEST

/* The relay's open frame for conn. */
static void
put_open(struct cx_writer *w, uint64_t conn, double t, const char *json)
{
	tg_put(w, CX_K_OPEN, CX_SRC_RELAY, 0, conn, t, json, strlen(json));
}

/* A proc frame from the probe (or the relay, with conn). */
static void
put_proc(struct cx_writer *w, uint8_t source, uint64_t conn, double t,
    const char *json)
{
	tg_put(w, CX_K_PROC, source, 0, conn, t, json, strlen(json));
}

/*
 * Processes from proc frames: the probe's connect joined with the relay's
 * open by the two addresses (the connect first for one connection, after
 * for the other), exec and exit building the tree, the relay's /proc
 * record naming a third connection; then jsonl's process object, --pid
 * with and without --tree, the text line, the report's Processes section.
 */
START_TEST(processes_from_frames)
{
	static const char req[] = "GET /v1/models HTTP/1.1\r\nHost: a\r\n\r\n";
	static const char resp[] = "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok";
	struct cx_writer *w = tg_create(tg_path);
	struct cx_decode_opts opts;
	char *out, *mem = NULL, err[256];
	size_t len = 0;
	cJSON *all, *e;
	FILE *f;

	put_proc(w, CX_SRC_PROBE, 0, 1, "{\"event\":\"exec\",\"pid\":100,"
	    "\"tid\":100,\"ppid\":1,\"comm\":\"sh\",\"exe\":\"/bin/sh\","
	    "\"argv\":[\"sh\",\"-c\",\"x\"]}");
	put_proc(w, CX_SRC_PROBE, 0, 2, "{\"event\":\"exec\",\"pid\":101,"
	    "\"tid\":101,\"ppid\":100,\"comm\":\"codex\",\"exe\":\"/x/codex\","
	    "\"argv\":[\"codex\",\"exec\",\"--key=sk-abcdefghijklmnopqrstuvwxyz"
	    "0123456789ABCD\"]}");
	/* conn 1: the probe's connect before the relay's open */
	put_proc(w, CX_SRC_PROBE, 0, 3, "{\"event\":\"connect\",\"pid\":101,"
	    "\"tid\":105,\"comm\":\"codex\",\"thread\":\"tokio-runtime-w\","
	    "\"src\":\"127.0.0.1:40000\",\"dst\":\"127.0.0.1:8080\"}");
	put_open(w, 1, 4, "{\"peer\":\"127.0.0.1:40000\","
	    "\"local\":\"127.0.0.1:8080\"}");
	tg_put(w, CX_K_DATA, CX_SRC_RELAY, CX_DIR_REQ, 1, 5, req, strlen(req));
	tg_put(w, CX_K_DATA, CX_SRC_RELAY, CX_DIR_RESP, 1, 6, resp,
	    strlen(resp));
	/* conn 2: a fork without exec (known by its exit) connects; the
	 * relay's open comes first */
	put_open(w, 2, 10, "{\"peer\":\"[::ffff:127.0.0.1]:40001\","
	    "\"local\":\"[::ffff:127.0.0.1]:8080\"}");
	tg_put(w, CX_K_DATA, CX_SRC_RELAY, CX_DIR_REQ, 2, 11, req, strlen(req));
	put_proc(w, CX_SRC_PROBE, 0, 12, "{\"event\":\"connect\",\"pid\":102,"
	    "\"tid\":102,\"comm\":\"sh\",\"src\":\"127.0.0.1:40001\","
	    "\"dst\":\"127.0.0.1:8080\"}");
	tg_put(w, CX_K_DATA, CX_SRC_RELAY, CX_DIR_RESP, 2, 13, resp,
	    strlen(resp));
	put_proc(w, CX_SRC_PROBE, 0, 14, "{\"event\":\"exit\",\"pid\":102,"
	    "\"comm\":\"sh\",\"ppid\":100,\"signal\":9}");
	/* conn 3: the relay's /proc record (no tid) */
	put_open(w, 3, 20, "{\"peer\":\"127.0.0.1:40002\","
	    "\"local\":\"127.0.0.1:8080\"}");
	put_proc(w, CX_SRC_RELAY, 3, 20.5, "{\"event\":\"client\",\"pid\":300,"
	    "\"ppid\":1,\"comm\":\"curl\",\"exe\":\"/usr/bin/curl\",\"argv\":"
	    "[\"curl\",\"x\"],\"tid\":null,\"via\":\"proc\"}");
	tg_put(w, CX_K_DATA, CX_SRC_RELAY, CX_DIR_REQ, 3, 21, req, strlen(req));
	tg_put(w, CX_K_DATA, CX_SRC_RELAY, CX_DIR_RESP, 3, 22, resp,
	    strlen(resp));
	cx_writer_close(w);

	out = decode(tg_path, "jsonl", 0, NULL);
	all = lines(out);
	ck_assert_int_eq(cJSON_GetArraySize(all), 3);
	e = cJSON_GetArrayItem(all, 0);
	ck_assert_int_eq(cJSON_GetNumberValue(cJSON_GetObjectItem(e, "pid")),
	    101);
	ck_assert_int_eq(cJSON_GetNumberValue(cJSON_GetObjectItem(e, "tid")),
	    105);
	ck_assert_str_eq(str(e, "comm"), "codex");
	ck_assert_str_eq(str(e, "process.exe"), "/x/codex");
	ck_assert_str_eq(str(e, "process.via"), "probe");
	ck_assert_int_eq(cJSON_GetNumberValue(cJSON_GetObjectItem(
	    cJSON_GetObjectItem(e, "process"), "ppid")), 100);
	/* a key on a command line is redacted like any */
	ck_assert_ptr_null(strstr(out, "sk-abcdefghijklmnopqrstuvwxyz"));
	e = cJSON_GetArrayItem(all, 1);
	ck_assert_int_eq(cJSON_GetNumberValue(cJSON_GetObjectItem(e, "pid")),
	    102);
	ck_assert_int_eq(cJSON_GetNumberValue(cJSON_GetObjectItem(
	    cJSON_GetObjectItem(e, "process"), "ppid")), 100);
	e = cJSON_GetArrayItem(all, 2);
	ck_assert_int_eq(cJSON_GetNumberValue(cJSON_GetObjectItem(e, "pid")),
	    300);
	ck_assert(cJSON_IsNull(cJSON_GetObjectItem(e, "tid")));
	ck_assert_str_eq(str(e, "process.via"), "proc");
	cJSON_Delete(all);
	free(out);

	/* --pid 100: nothing of its own; with --tree its children's two */
	for (int tree = 0; tree < 2; tree++) {
		memset(&opts, 0, sizeof(opts));
		opts.format = "jsonl";
		opts.filter.has_pid = 1;
		opts.filter.pid = 100;
		opts.filter.tree = tree;
		mem = NULL;
		len = 0;
		f = open_memstream(&mem, &len);
		ck_assert_int_eq(cx_decode(tg_path, &opts, f, err, sizeof(err)),
		    0);
		fclose(f);
		all = lines(mem);
		ck_assert_int_eq(cJSON_GetArraySize(all), tree ? 2 : 0);
		cJSON_Delete(all);
		free(mem);
	}

	out = decode(tg_path, "text", 0, NULL);
	ck_assert_ptr_nonnull(strstr(out, "#1 "));
	ck_assert_ptr_nonnull(strstr(out, " codex 101/105  GET /v1/models"));
	ck_assert_ptr_nonnull(strstr(out, " curl 300  GET /v1/models"));
	free(out);
	out = decode(tg_path, "md", 0, NULL);
	ck_assert_ptr_nonnull(strstr(out, "## Processes"));
	ck_assert_msg(strstr(out, "- **sh** pid 100: sh \\-c x\n"
	    "  - **codex** pid 101: codex exec") != NULL, "%s", out);
	ck_assert_ptr_nonnull(strstr(out, "  - **sh** pid 102, killed by "
	    "signal 9 \xe2\x80\x94 exchanges [#2](#exchange-2)"));
	ck_assert_ptr_nonnull(strstr(out, "- **curl** pid 300: curl x "
	    "\xe2\x80\x94 exchanges [#3](#exchange-3)"));
	free(out);
}
END_TEST

static Suite *
decode_suite(void)
{
	Suite *s = suite_create("decode");
	TCase *tc = tcase_create("decode");

	tcase_add_checked_fixture(tc, setup, tg_teardown);
	tcase_set_timeout(tc, 30);
	tcase_add_test(tc, jsonl_scenario);
	tcase_add_test(tc, text_scenario);
	tcase_add_test(tc, torn_trace);
	tcase_add_test(tc, empty_trace);
	tcase_add_test(tc, client_closes_after_final_event);
	tcase_add_test(tc, client_closes_tunnel);
	tcase_add_test(tc, random_traces);
	tcase_add_test(tc, bad_inputs);
	tcase_add_test(tc, command_line);
	tcase_add_test(tc, text_notes);
	tcase_add_test(tc, processes_from_frames);
	tcase_add_test(tc, gemini_key_every_format);
	suite_add_tcase(s, tc);
	return s;
}

int
main(void)
{
	SRunner *sr = srunner_create(decode_suite());
	int failed;

	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
