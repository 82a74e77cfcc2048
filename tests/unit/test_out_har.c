/*
 * test_out_har.c: cxrec decode --format har (analyzer/out_har.c): a synthetic
 * trace decoded to HAR in memory and parsed back with cJSON; every field
 * HAR 1.2 requires is there with its type, timings add up, the query
 * string is parsed, binary bodies are base64, event streams have _sse,
 * secrets are redacted, and an exchange without a response still has its
 * entry.
 */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cJSON.h>
#include <zstd.h>

#include "decode.h"
#include "trace.h"
#include "tracegen.h"

static void
setup(void)
{
	tg_setup("har");
}

static const char *sse_body =
    "event: response.created\r\n"
    "data: {\"type\":\"response.created\",\"token\":\"sseSECRETtoken\"}\r\n"
    "\r\n"
    "id: 7\n"
    "data: line1\n"
    "data: line2\n"
    "\n";
static const uint8_t bin[] = { 0x00, 0x01, 0xff, 0xfe, 'b', 'i', 'n' };
static const char *plain =
    "hello hello hello hello hello hello hello hello hello hello hello";
static size_t zlen;
/*
 * brotli of six events, "event: tick\ndata: {\"n\":I,\"pad\":
 * \"abcabcabcabc\"}\n\n" for I = 0..5 (288 bytes), made once with
 * libbrotlienc.
 */
static const uint8_t br_sse[] = {
	0x1b, 0x1f, 0x01, 0xe8, 0x2c, 0x0e, 0x78, 0xf3, 0x23, 0xe1, 0x44, 0x3f,
	0x15, 0x35, 0x96, 0x5c, 0x8d, 0x32, 0x36, 0x42, 0xa5, 0xb7, 0x88, 0x82,
	0xce, 0xd8, 0x12, 0xdb, 0x6b, 0x91, 0x30, 0x37, 0x38, 0xa9, 0x43, 0xd6,
	0xe7, 0x29, 0x4b, 0xd5, 0x64, 0x01, 0x7e, 0x70, 0xc8, 0x01, 0x48, 0xbb,
	0x4a, 0x76, 0x10, 0x0e, 0xbd, 0x02, 0x11, 0x8b, 0x70, 0x6a, 0xb8, 0xcc,
	0x18, 0x0f, 0x14, 0x2c, 0x1b, 0xd4, 0x2d, 0xae, 0x24, 0x43, 0x96, 0x1c,
	0x79, 0xd1, 0x03,
};

/*
 * #1 (conn 1, 10..30 ms): POST with a query, cookies, a bearer key and a
 *    JSON body; routed; answered by an event stream with a Set-Cookie.
 * #2 (conn 2, 40..60 ms): GET without a route, answered by zstd text.
 * #3 (conn 3, 70..72 ms): a binary upload, answered with binary bytes.
 * #4 (conn 4, 80 ms): a request the trace ends before answering.
 * #5 (conn 5, 90..95 ms): an event stream compressed with br.
 */
static void
write_scenario(void)
{
	struct cx_writer *w = tg_create(tg_path);
	char buf[2048], *z;
	size_t zcap;
	int n;

	tg_json(w, CX_K_OPEN, 1, 1, "{\"peer\":\"127.0.0.1:50001\",\"pid\":4242,"
	    "\"tid\":4243,\"comm\":\"codex\"}");
	n = snprintf(buf, sizeof(buf),
	    "POST /v1/responses?foo=a%%20b&token=querySECRET&flag&"
	    "e=%%E2%%82%%AC"
	    " HTTP/1.1\r\n"
	    "Host: 127.0.0.1:8080\r\n"
	    "Authorization: Bearer sk-proj-HARsecretHARsecretHARsecret9876\r\n"
	    "Cookie: sid=cookieSECRETvalue; theme=dark\r\n"
	    "Content-Type: application/json\r\n"
	    "Content-Length: %zu\r\n\r\n%s", strlen("{\"model\":\"m\","
	    "\"api_key\":\"plainSECRET\"}"),
	    "{\"model\":\"m\",\"api_key\":\"plainSECRET\"}");
	tg_put(w, CX_K_DATA, CX_SRC_RELAY, CX_DIR_REQ, 1, 10, buf, 40);
	tg_put(w, CX_K_DATA, CX_SRC_RELAY, CX_DIR_REQ, 1, 11, buf + 40,
	    (size_t)n - 40);
	tg_json(w, CX_K_ROUTE, 1, 11.5, "{\"seq\":0,\"method\":\"POST\","
	    "\"target\":"
	    "\"/v1/responses\",\"upstream\":\"https://api.openai.com/v1/"
	    "responses?foo=a%20b&token=querySECRET&flag&e=%E2%82%AC\","
	    "\"route\":\"/v1\"}");
	snprintf(buf, sizeof(buf), "HTTP/1.1 200 OK\r\n"
	    "Content-Type: text/event-stream\r\n"
	    "Set-Cookie: sid=newcookieSECRET; Path=/; Expires=Wed, 21 Oct 2015 "
	    "07:28:00 GMT; HttpOnly; Secure\r\n"
	    "Content-Length: %zu\r\n\r\n", strlen(sse_body));
	tg_resp(w, 1, 20, buf);
	tg_put(w, CX_K_DATA, CX_SRC_RELAY, CX_DIR_RESP, 1, 25, sse_body, 90);
	tg_put(w, CX_K_DATA, CX_SRC_RELAY, CX_DIR_RESP, 1, 30, sse_body + 90,
	    strlen(sse_body) - 90);

	tg_json(w, CX_K_OPEN, 2, 39, "{\"peer\":\"127.0.0.1:50002\"}");
	tg_req(w, 2, 40, "GET /img?q=%E2%82%AC&a=1 HTTP/1.1\r\n"
	    "Host: example.test:81\r\n\r\n");
	zcap = ZSTD_compressBound(strlen(plain));
	z = malloc(zcap);
	zlen = ZSTD_compress(z, zcap, plain, strlen(plain), 3);
	ck_assert(!ZSTD_isError(zlen));
	snprintf(buf, sizeof(buf), "HTTP/1.1 302 Found\r\n"
	    "Content-Type: text/plain\r\nContent-Encoding: zstd\r\n"
	    "Location: /next?access_token=locSECRET\r\n"
	    "Content-Length: %zu\r\n\r\n", zlen);
	tg_resp(w, 2, 45, buf);
	tg_put(w, CX_K_DATA, CX_SRC_RELAY, CX_DIR_RESP, 2, 60, z, zlen);
	free(z);

	tg_json(w, CX_K_OPEN, 3, 69, "{\"peer\":\"127.0.0.1:50003\"}");
	n = snprintf(buf, sizeof(buf), "PUT /up HTTP/1.1\r\nHost: h\r\n"
	    "Content-Type: application/octet-stream\r\n"
	    "Content-Length: %zu\r\n\r\n", sizeof(bin));
	memcpy(buf + n, bin, sizeof(bin));
	tg_put(w, CX_K_DATA, CX_SRC_RELAY, CX_DIR_REQ, 3, 70, buf,
	    (size_t)n + sizeof(bin));
	n = snprintf(buf, sizeof(buf), "HTTP/1.1 200 OK\r\n"
	    "Content-Length: %zu\r\n\r\n", sizeof(bin));
	memcpy(buf + n, bin, sizeof(bin));
	tg_put(w, CX_K_DATA, CX_SRC_RELAY, CX_DIR_RESP, 3, 72, buf,
	    (size_t)n + sizeof(bin));

	tg_req(w, 4, 80, "GET /v1/never HTTP/1.1\r\nHost: h\r\n\r\n");

	tg_req(w, 5, 90, "GET /sse HTTP/1.1\r\nHost: h\r\n\r\n");
	snprintf(buf, sizeof(buf), "HTTP/1.1 200 OK\r\n"
	    "Content-Type: text/event-stream\r\nContent-Encoding: br\r\n"
	    "Content-Length: %zu\r\n\r\n", sizeof(br_sse));
	tg_resp(w, 5, 91, buf);
	tg_put(w, CX_K_DATA, CX_SRC_RELAY, CX_DIR_RESP, 5, 93, br_sse, 30);
	tg_put(w, CX_K_DATA, CX_SRC_RELAY, CX_DIR_RESP, 5, 95, br_sse + 30,
	    sizeof(br_sse) - 30);
	cx_writer_close(w);
}

static int
has(const cJSON *o, const char *key)
{
	return cJSON_GetObjectItemCaseSensitive(o, key) != NULL;
}

#define ASSERT_NUM(o, p, v)     ck_assert_double_eq_tol(tg_jnum(o, p), v, 1e-6)

/* Every name/value pair of an array of them is two strings. */
static void
check_pairs(const cJSON *a, const char *what)
{
	const cJSON *it;

	ck_assert_msg(cJSON_IsArray(a), "%s is not an array", what);
	cJSON_ArrayForEach(it, a) {
		ck_assert_msg(cJSON_IsObject(it), "%s: not an object", what);
		tg_jstr(it, "name");
		tg_jstr(it, "value");
	}
}

/* What HAR 1.2 (and Chrome DevTools' importer) requires of an entry. */
static void
check_entry(const cJSON *e)
{
	static const char *timings[] = { "blocked", "dns", "connect", "ssl",
		"send", "wait", "receive" };
	const cJSON *rq = tg_jget(e, "request"), *rs = tg_jget(e, "response");
	double sum = 0;

	tg_jstr(e, "startedDateTime");
	tg_jnum(e, "time");
	tg_jstr(rq, "method");
	tg_jstr(rq, "url");
	ck_assert(strncmp(tg_jstr(rq, "url"), "http://", 7) == 0 ||
	    strncmp(tg_jstr(rq, "url"), "https://", 8) == 0);
	tg_jstr(rq, "httpVersion");
	check_pairs(tg_jget(rq, "cookies"), "request.cookies");
	check_pairs(tg_jget(rq, "headers"), "request.headers");
	check_pairs(tg_jget(rq, "queryString"), "request.queryString");
	if (has(rq, "postData")) {
		tg_jstr(rq, "postData.mimeType");
		tg_jstr(rq, "postData.text");
		ck_assert(cJSON_IsArray(tg_jget(rq, "postData.params")));
	}
	tg_jnum(rq, "headersSize");
	tg_jnum(rq, "bodySize");
	tg_jnum(rs, "status");
	tg_jstr(rs, "statusText");
	tg_jstr(rs, "httpVersion");
	check_pairs(tg_jget(rs, "cookies"), "response.cookies");
	check_pairs(tg_jget(rs, "headers"), "response.headers");
	tg_jnum(rs, "content.size");
	tg_jstr(rs, "content.mimeType");
	tg_jstr(rs, "redirectURL");
	tg_jnum(rs, "headersSize");
	tg_jnum(rs, "bodySize");
	ck_assert(cJSON_IsObject(tg_jget(e, "cache")));
	for (size_t i = 0; i < 7; i++) {
		char p[32];
		double v;

		snprintf(p, sizeof(p), "timings.%s", timings[i]);
		v = tg_jnum(e, p);
		if (i < 4)
			ck_assert_double_eq(v, -1);
		else {
			ck_assert_double_ge(v, 0);
			sum += v;
		}
	}
	ck_assert_double_eq_tol(tg_jnum(e, "time"), sum, 0.0015);
	tg_jnum(e, "_conn");
	tg_jstr(e, "_source");
	ck_assert(has(e, "_pid") && has(e, "_tid") && has(e, "_comm"));
	ck_assert(has(e, "_error") && has(e, "_note"));
}

START_TEST(har_scenario)
{
	char *out;
	const char *b64, *want;
	cJSON *doc;
	const cJSON *log, *entries, *e;

	write_scenario();
	out = tg_decode(tg_path, "har", 0, NULL);
	doc = cJSON_Parse(out);
	ck_assert_msg(doc != NULL, "not JSON: %s", out);
	log = tg_jget(doc, "log");
	ck_assert_str_eq(tg_jstr(log, "version"), "1.2");
	ck_assert_str_eq(tg_jstr(log, "creator.name"), "cxrec");
	ck_assert_str_eq(tg_jstr(log, "creator.version"), CXREC_VERSION);
	entries = tg_jget(log, "entries");
	ck_assert(cJSON_IsArray(entries));
	ck_assert_int_eq(cJSON_GetArraySize(entries), 5);
	for (int i = 0; i < 5; i++)
		check_entry(cJSON_GetArrayItem(entries, i));

	/* #1: routed POST, event stream. */
	e = cJSON_GetArrayItem(entries, 0);
	ck_assert(strstr(tg_jstr(e, "startedDateTime"), "T") != NULL);
	ck_assert(tg_jstr(e, "startedDateTime")[strlen(tg_jstr(e,
	    "startedDateTime")) - 1] == 'Z');
	ASSERT_NUM(e, "timings.send", 1);       /* 10 -> 11 */
	ASSERT_NUM(e, "timings.wait", 9);       /* 11 -> 20 */
	ASSERT_NUM(e, "timings.receive", 10);   /* 20 -> 30 */
	ASSERT_NUM(e, "time", 20);
	ck_assert_str_eq(tg_jstr(e, "request.method"), "POST");
	ck_assert_str_eq(tg_jstr(e, "request.url"), "https://api.openai.com/v1/"
	    "responses?foo=a%20b&token=[REDACTED]&flag&e=%E2%82%AC");
	ck_assert_str_eq(tg_jstr(e, "request.httpVersion"), "HTTP/1.1");
	ck_assert_int_eq(cJSON_GetArraySize(tg_jget(e, "request.queryString")), 4);
	ck_assert_str_eq(tg_jstr(e, "request.queryString.0.name"), "foo");
	ck_assert_str_eq(tg_jstr(e, "request.queryString.0.value"), "a b");
	ck_assert_str_eq(tg_jstr(e, "request.queryString.1.name"), "token");
	ck_assert_str_eq(tg_jstr(e, "request.queryString.1.value"), "[REDACTED]");
	ck_assert_str_eq(tg_jstr(e, "request.queryString.2.name"), "flag");
	ck_assert_str_eq(tg_jstr(e, "request.queryString.2.value"), "");
	ck_assert_str_eq(tg_jstr(e, "request.queryString.3.value"),
	    "\xe2\x82\xac");
	ck_assert_int_eq(cJSON_GetArraySize(tg_jget(e, "request.cookies")), 2);
	ck_assert_str_eq(tg_jstr(e, "request.cookies.0.name"), "sid");
	ck_assert_str_eq(tg_jstr(e, "request.cookies.1.name"), "theme");
	ck_assert_str_eq(tg_jstr(e, "request.headers.1.name"), "Authorization");
	ck_assert_str_eq(tg_jstr(e, "request.headers.1.value"),
	    "Bearer sk-pr...9876");
	ck_assert_str_eq(tg_jstr(e, "request.postData.mimeType"),
	    "application/json");
	ck_assert_str_eq(tg_jstr(e, "request.postData.text"),
	    "{\"model\":\"m\",\"api_key\":\"[REDACTED]\"}");
	ASSERT_NUM(e, "request.bodySize", 37);
	ASSERT_NUM(e, "response.status", 200);
	ck_assert_str_eq(tg_jstr(e, "response.statusText"), "OK");
	ck_assert_str_eq(tg_jstr(e, "response.cookies.0.name"), "sid");
	ck_assert_str_eq(tg_jstr(e, "response.cookies.0.path"), "/");
	ck_assert(cJSON_IsTrue(tg_jget(e, "response.cookies.0.httpOnly")));
	ck_assert(cJSON_IsTrue(tg_jget(e, "response.cookies.0.secure")));
	ck_assert(!has(tg_jget(e, "response.cookies.0"), "expires"));
	ck_assert_str_eq(tg_jstr(e, "response.content.mimeType"),
	    "text/event-stream");
	ASSERT_NUM(e, "response.content.size", (double)strlen(sse_body));
	ASSERT_NUM(e, "response.bodySize", (double)strlen(sse_body));
	ck_assert(!has(tg_jget(e, "response.content"), "compression"));
	ck_assert_str_eq(tg_jstr(e, "response.content.text"),
	    "event: response.created\n"
	    "data: {\"type\":\"response.created\",\"token\":\"[REDACTED]\"}\n"
	    "\n"
	    "id: 7\n"
	    "data: line1\n"
	    "data: line2\n"
	    "\n");
	ck_assert_str_eq(tg_jstr(e, "response.redirectURL"), "");
	ck_assert_int_eq(cJSON_GetArraySize(tg_jget(e, "response._sse")), 2);
	ASSERT_NUM(e, "response._sse.0.t_ms", 15);      /* 25 - 10 */
	ck_assert_str_eq(tg_jstr(e, "response._sse.0.event"), "response.created");
	ck_assert(cJSON_IsNull(tg_jget(e, "response._sse.0.id")));
	ck_assert_str_eq(tg_jstr(e, "response._sse.0.data.type"),
	    "response.created");
	ck_assert_str_eq(tg_jstr(e, "response._sse.0.data.token"), "[REDACTED]");
	ASSERT_NUM(e, "response._sse.1.t_ms", 20);
	ck_assert_str_eq(tg_jstr(e, "response._sse.1.event"), "message");
	ck_assert_str_eq(tg_jstr(e, "response._sse.1.id"), "7");
	ck_assert_str_eq(tg_jstr(e, "response._sse.1.data"), "line1\nline2");
	ASSERT_NUM(e, "_pid", 4242);
	ASSERT_NUM(e, "_tid", 4243);
	ck_assert_str_eq(tg_jstr(e, "_comm"), "codex");
	ASSERT_NUM(e, "_conn", 1);
	ck_assert_str_eq(tg_jstr(e, "_source"), "relay");
	ck_assert(cJSON_IsNull(tg_jget(e, "_error")));
	ck_assert(cJSON_IsNull(tg_jget(e, "_note")));

	/* #2: no route: the Host header; zstd text; a redirect. */
	e = cJSON_GetArrayItem(entries, 1);
	ck_assert_str_eq(tg_jstr(e, "request.url"),
	    "http://example.test:81/img?q=%E2%82%AC&a=1");
	ck_assert_str_eq(tg_jstr(e, "request.queryString.0.name"), "q");
	ck_assert_str_eq(tg_jstr(e, "request.queryString.0.value"),
	    "\xe2\x82\xac");
	ck_assert_str_eq(tg_jstr(e, "request.queryString.1.value"), "1");
	ck_assert(!has(tg_jget(e, "request"), "postData"));
	ASSERT_NUM(e, "request.bodySize", 0);
	ASSERT_NUM(e, "timings.send", 0);
	ASSERT_NUM(e, "timings.wait", 5);
	ASSERT_NUM(e, "timings.receive", 15);
	ASSERT_NUM(e, "time", 20);
	ASSERT_NUM(e, "response.status", 302);
	ck_assert_str_eq(tg_jstr(e, "response.content.text"), plain);
	ASSERT_NUM(e, "response.content.size", (double)strlen(plain));
	ASSERT_NUM(e, "response.bodySize", (double)zlen);
	ASSERT_NUM(e, "response.content.compression",
	    (double)strlen(plain) - (double)zlen);
	ck_assert(!has(tg_jget(e, "response.content"), "encoding"));
	ck_assert_str_eq(tg_jstr(e, "response.redirectURL"),
	    "/next?access_token=[REDACTED]");
	ck_assert(cJSON_IsNull(tg_jget(e, "_pid")));
	ck_assert(cJSON_IsNull(tg_jget(e, "_comm")));
	ck_assert(!has(tg_jget(e, "response"), "_sse"));

	/* #3: binary both ways. */
	e = cJSON_GetArrayItem(entries, 2);
	b64 = "AAH//mJpbg==";
	ck_assert_str_eq(tg_jstr(e, "request.postData.text"), b64);
	ck_assert_str_eq(tg_jstr(e, "request.postData._encoding"), "base64");
	ck_assert_str_eq(tg_jstr(e, "request.postData.mimeType"),
	    "application/octet-stream");
	ck_assert_str_eq(tg_jstr(e, "response.content.text"), b64);
	ck_assert_str_eq(tg_jstr(e, "response.content.encoding"), "base64");
	ASSERT_NUM(e, "response.content.size", sizeof(bin));
	ck_assert_str_eq(tg_jstr(e, "response.content.mimeType"), "");
	ck_assert_str_eq(tg_jstr(e, "request.url"), "http://h/up");

	/* #4: no response. */
	e = cJSON_GetArrayItem(entries, 3);
	ck_assert_str_eq(tg_jstr(e, "request.url"), "http://h/v1/never");
	ASSERT_NUM(e, "response.status", 0);
	ck_assert_str_eq(tg_jstr(e, "response.statusText"), "");
	ASSERT_NUM(e, "response.content.size", 0);
	ck_assert_int_eq(cJSON_GetArraySize(tg_jget(e, "response.headers")), 0);
	ck_assert_str_eq(tg_jstr(e, "_error"), "no response: the trace ended");
	ASSERT_NUM(e, "timings.wait", 0);
	ASSERT_NUM(e, "timings.receive", 0);

	/* #5: a br event stream, decoded as it arrived. */
	e = cJSON_GetArrayItem(entries, 4);
	ck_assert_int_eq(cJSON_GetArraySize(tg_jget(e, "response._sse")), 6);
	ASSERT_NUM(e, "response._sse.5.data.n", 5);
	ck_assert_str_eq(tg_jstr(e, "response._sse.5.event"), "tick");
	ASSERT_NUM(e, "response.content.size", 288);
	ASSERT_NUM(e, "response.bodySize", sizeof(br_sse));
	ASSERT_NUM(e, "response.content.compression", 288.0 - sizeof(br_sse));
	want = "event: tick\ndata: {\"n\":0,\"pad\":\"abcabcabcabc\"}\n\n"
	    "event: ";
	ck_assert(strncmp(tg_jstr(e, "response.content.text"), want,
	    strlen(want)) == 0);
	ck_assert(cJSON_IsNull(tg_jget(e, "_error")));

	/* Redaction: no secret anywhere. */
	ck_assert_msg(strstr(out, "SECRET") == NULL, "%.300s",
	    strstr(out, "SECRET") - 150);
	ck_assert_ptr_null(strstr(out, "HARsecret"));
	cJSON_Delete(doc);
	free(out);

	/* --no-redact shows them, and the document is still HAR. */
	out = tg_decode(tg_path, "har", 1, NULL);
	doc = cJSON_Parse(out);
	ck_assert_ptr_nonnull(doc);
	ck_assert_ptr_nonnull(strstr(out,
	    "sk-proj-HARsecretHARsecretHARsecret9876"));
	ck_assert_ptr_nonnull(strstr(out, "cookieSECRETvalue"));
	ck_assert_ptr_nonnull(strstr(out, "querySECRET"));
	ck_assert_ptr_nonnull(strstr(out, "sseSECRETtoken"));
	ck_assert_ptr_nonnull(strstr(out, "plainSECRET"));
	e = cJSON_GetArrayItem(tg_jget(doc, "log.entries"), 0);
	ck_assert_str_eq(tg_jstr(e, "request.cookies.0.value"),
	    "cookieSECRETvalue");
	ck_assert_str_eq(tg_jstr(e, "request.queryString.1.value"), "querySECRET");
	cJSON_Delete(doc);
	free(out);
}
END_TEST

START_TEST(har_empty)
{
	struct cx_writer *w = tg_create(tg_path);
	cJSON *doc;
	char *out;

	cx_writer_close(w);
	out = tg_decode(tg_path, "har", 0, NULL);
	doc = cJSON_Parse(out);
	ck_assert_ptr_nonnull(doc);
	ck_assert_int_eq(cJSON_GetArraySize(tg_jget(doc, "log.entries")), 0);
	cJSON_Delete(doc);
	free(out);
}
END_TEST

static Suite *
har_suite(void)
{
	Suite *s = suite_create("out_har");
	TCase *tc = tcase_create("har");

	tcase_add_checked_fixture(tc, setup, tg_teardown);
	tcase_set_timeout(tc, 30);
	tcase_add_test(tc, har_scenario);
	tcase_add_test(tc, har_empty);
	suite_add_tcase(s, tc);
	return s;
}

int
main(void)
{
	SRunner *sr = srunner_create(har_suite());
	int failed;

	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
