/*
 * test_out_jsonl.c: the JSON lines of cxrec decode (analyzer/out_jsonl.c,
 * docs/jsonl.md) for the scenario of tracegen.h: every field of the seven
 * exchanges, redacted and not, and the recorder's loss on the warning hook.
 */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <cJSON.h>

#include "trace.h"
#include "tracegen.h"

static void
setup(void)
{
	tg_setup("out-jsonl");
}

#define ASSERT_NUM(o, p, v)     ck_assert_double_eq_tol(tg_jnum(o, p), v, 1e-9)

START_TEST(jsonl_scenario)
{
	char *out, want[64], *flat;
	cJSON *all;
	const cJSON *e;
	struct tg_warnings warn;
	struct tm tm;
	time_t t;
	int64_t rt;

	tg_scenario(tg_path, 0);
	out = tg_decode(tg_path, "jsonl", 0, &warn);
	all = tg_jlines(out);
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
	ck_assert_str_eq(tg_jstr(e, "source"), "relay");
	ASSERT_NUM(e, "pid", 4242);
	ASSERT_NUM(e, "tid", 4243);
	ck_assert_str_eq(tg_jstr(e, "comm"), "codex");
	rt = tg_info.realtime_ns + 10 * MS;
	t = (time_t)(rt / 1000000000);
	gmtime_r(&t, &tm);
	snprintf(want, sizeof(want), "%04d-%02d-%02dT%02d:%02d:%02d.%06dZ",
	    tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday, tm.tm_hour,
	    tm.tm_min, tm.tm_sec, (int)(rt % 1000000000 / 1000));
	ck_assert_str_eq(tg_jstr(e, "start"), want);
	ASSERT_NUM(e, "ttfb_ms", 12);           /* 23 - 11 */
	ASSERT_NUM(e, "duration_ms", 30);       /* 40 - 10 */
	ck_assert_str_eq(tg_jstr(e, "request.method"), "POST");
	ck_assert_str_eq(tg_jstr(e, "request.url"), "/v1/responses");
	ck_assert_str_eq(tg_jstr(e, "request.version"), "HTTP/1.1");
	ck_assert_str_eq(tg_jstr(e, "request.upstream"),
	    "https://api.openai.com/v1/responses");
	ck_assert_str_eq(tg_jstr(e, "request.route"), "/v1");
	ck_assert_str_eq(tg_jstr(e, "request.headers.0.0"), "Host");
	ck_assert_str_eq(tg_jstr(e, "request.headers.1.0"), "authorization");
	ck_assert_str_eq(tg_jstr(e, "request.headers.1.1"), "Bearer [REDACTED]");
	ck_assert_str_eq(tg_jstr(e, "request.headers.4.0"), "Content-Length");
	ck_assert_str_eq(tg_jstr(e, "request.body.model"), "gpt-5-codex");
	ck_assert_str_eq(tg_jstr(e, "request.body.input.0.content"), "say hello");
	ck_assert_str_eq(tg_jstr(e, "request.body.api_key"), "[REDACTED]");
	ck_assert_str_eq(tg_jstr(e, "request.body_encoding"), "json");
	ASSERT_NUM(e, "request.body_bytes", (double)tg_zstd_len);
	ck_assert_str_eq(tg_jstr(e, "request.content_encoding"), "zstd");
	ASSERT_NUM(e, "request.decoded_bytes", (double)strlen(tg_request_json));
	ck_assert(cJSON_IsTrue(tg_jget(e, "request.complete")));
	ASSERT_NUM(e, "response.status", 200);
	ck_assert_str_eq(tg_jstr(e, "response.reason"), "OK");
	ck_assert(tg_jnull(e, "response.body"));
	ck_assert(tg_jnull(e, "response.body_encoding"));
	ck_assert_int_eq(cJSON_GetArraySize(tg_jget(e, "response.sse")), 3);
	ASSERT_NUM(e, "response.sse.0.t_ms", 14);       /* 24 - 10 */
	ck_assert_str_eq(tg_jstr(e, "response.sse.0.event"), "response.created");
	ck_assert(tg_jnull(e, "response.sse.0.id"));
	ck_assert_str_eq(tg_jstr(e, "response.sse.0.data.type"),
	    "response.created");
	ASSERT_NUM(e, "response.sse.1.t_ms", 25.5);
	ck_assert_str_eq(tg_jstr(e, "response.sse.1.event"),
	    "response.output_text.delta");
	ck_assert_str_eq(tg_jstr(e, "response.sse.1.data.delta"), "Hel");
	ASSERT_NUM(e, "response.sse.2.t_ms", 30);
	ck_assert_str_eq(tg_jstr(e, "response.sse.2.event"), "message");
	ck_assert_str_eq(tg_jstr(e, "response.sse.2.id"), "7");
	ck_assert_str_eq(tg_jstr(e, "response.sse.2.data"), "line1\nline2");
	ck_assert(cJSON_IsTrue(tg_jget(e, "response.complete")));
	ck_assert(tg_jnull(e, "error"));

	/* #2: connection 2 started before #3, though written after it. */
	e = cJSON_GetArrayItem(all, 1);
	ASSERT_NUM(e, "id", 2);
	ASSERT_NUM(e, "conn", 2);
	ck_assert(tg_jnull(e, "pid"));
	ck_assert(tg_jnull(e, "comm"));
	ck_assert_str_eq(tg_jstr(e, "request.body"), "hello");
	ck_assert_str_eq(tg_jstr(e, "request.body_encoding"), "text");
	ASSERT_NUM(e, "response.status", 502);
	ck_assert_str_eq(tg_jstr(e, "response.body"), "bad gateway\n");
	ck_assert(tg_jnull(e, "request.upstream"));
	ck_assert_ptr_nonnull(strstr(tg_jstr(e, "error"), "upstream TLS handshake "
	    "with api.openai.com:443 failed"));

	/* #3: keep-alive on connection 1. */
	e = cJSON_GetArrayItem(all, 2);
	ASSERT_NUM(e, "conn", 1);
	ASSERT_NUM(e, "seq", 1);
	ck_assert_str_eq(tg_jstr(e, "request.url"),
	    "/v1/models?client_version=0.98.0");
	ck_assert_str_eq(tg_jstr(e, "request.upstream"),
	    "https://api.openai.com/v1/models?client_version=0.98.0");
	ck_assert(tg_jnull(e, "request.body"));
	ASSERT_NUM(e, "request.body_bytes", 0);
	ck_assert_str_eq(tg_jstr(e, "response.body.models.0.slug"), "gpt-5");
	ASSERT_NUM(e, "response.body_bytes", 40);
	ck_assert(tg_jnull(e, "response.sse"));
	ASSERT_NUM(e, "ttfb_ms", 20);
	ck_assert(tg_jnull(e, "error"));

	/* #4: the response cut short. */
	e = cJSON_GetArrayItem(all, 3);
	ASSERT_NUM(e, "conn", 2);
	ASSERT_NUM(e, "response.status", 200);
	ck_assert_str_eq(tg_jstr(e, "response.body"), "only part");
	ASSERT_NUM(e, "response.body_bytes", 9);
	ck_assert(cJSON_IsFalse(tg_jget(e, "response.complete")));
	ck_assert_ptr_nonnull(strstr(tg_jstr(e, "error"), "response incomplete"));
	ck_assert_ptr_nonnull(strstr(tg_jstr(e, "error"),
	    "the upstream closed the connection: connection reset"));

	/* #5: a response without a request. */
	e = cJSON_GetArrayItem(all, 4);
	ASSERT_NUM(e, "conn", 3);
	ck_assert(tg_jnull(e, "request"));
	ck_assert(tg_jnull(e, "response.status"));
	ck_assert(tg_jnull(e, "ttfb_ms"));
	ck_assert_ptr_nonnull(strstr(tg_jstr(e, "error"), "without a request"));
	ck_assert_ptr_nonnull(strstr(tg_jstr(e, "error"), "not an HTTP status"));

	/* #6: a large body split over frames. */
	e = cJSON_GetArrayItem(all, 5);
	ASSERT_NUM(e, "request.body_bytes", 600000);
	ck_assert_uint_eq(strlen(tg_jstr(e, "request.body")), 600000);
	ASSERT_NUM(e, "response.status", 204);
	ck_assert(tg_jnull(e, "error"));

	/* #7: the trace ended before a response. */
	e = cJSON_GetArrayItem(all, 6);
	ck_assert(tg_jnull(e, "response"));
	ck_assert(tg_jnull(e, "duration_ms"));
	ck_assert_str_eq(tg_jstr(e, "error"), "no response: the trace ended");

	/* Nothing secret anywhere. */
	ck_assert_ptr_null(strstr(out, TG_SECRET_KEY));
	ck_assert_ptr_null(strstr(out, "plain-secret-value"));
	flat = cJSON_PrintUnformatted(all);
	ck_assert_ptr_null(strstr(flat, "SECRET"));
	cJSON_free(flat);
	cJSON_Delete(all);
	free(out);

	/* --no-redact shows them. */
	out = tg_decode(tg_path, "jsonl", 1, NULL);
	all = tg_jlines(out);
	e = cJSON_GetArrayItem(all, 0);
	ck_assert_ptr_nonnull(strstr(tg_jstr(e, "request.headers.1.1"),
	    TG_SECRET_KEY));
	ck_assert_str_eq(tg_jstr(e, "request.body.api_key"), "plain-secret-value");
	cJSON_Delete(all);
	free(out);
}
END_TEST

int
main(void)
{
	Suite *s = suite_create("out_jsonl");
	TCase *tc = tcase_create("out_jsonl");
	SRunner *sr;
	int failed;

	tcase_add_checked_fixture(tc, setup, tg_teardown);
	tcase_set_timeout(tc, 30);
	tcase_add_test(tc, jsonl_scenario);
	suite_add_tcase(s, tc);
	sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
