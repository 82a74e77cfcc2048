/*
 * test_jsonw.c: the JSON pieces jsonl and HAR share (analyzer/jsonw.c):
 * strings and URLs redacted when asked, header lists, processes, numbers
 * and milliseconds, the WebSocket opcodes' names, flushing in blocks.
 */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cJSON.h>

#include "jsonw.h"
#include "procs.h"

static struct cx_buf b;

static void
setup(void)
{
	cx_buf_init(&b, 0);
}

static void
teardown(void)
{
	cx_buf_free(&b);
}

/* What b holds, then b emptied. */
static const char *
got(void)
{
	static char s[4096];

	snprintf(s, sizeof(s), "%s", b.p != NULL ? (const char *)b.p : "");
	cx_buf_reset(&b);
	return s;
}

START_TEST(strings)
{
	cx_jw_str(&b, 0, "plain \"q\" \\ \n", 13);
	ck_assert_str_eq(got(), "\"plain \\\"q\\\" \\\\ \\n\"");
	/* Redacted as text: a key inside, gone. */
	cx_jw_cstr(&b, 1, "use sk-abcdefghijklmnop1234 now");
	ck_assert_str_eq(got(), "\"use [REDACTED] now\"");
	cx_jw_cstr(&b, 0, "use sk-abcdefghijklmnop1234 now");
	ck_assert_str_eq(got(), "\"use sk-abcdefghijklmnop1234 now\"");
	cx_jw_cstr(&b, 1, NULL);
	ck_assert_str_eq(got(), "null");
	/* Only n bytes; bytes that are not UTF-8 still make valid JSON. */
	cx_jw_str(&b, 1, "abcdef", 3);
	ck_assert_str_eq(got(), "\"abc\"");
	cx_jw_str(&b, 0, "\xff\x01", 2);
	{
		cJSON *j = cJSON_Parse(got());

		ck_assert_ptr_nonnull(j);
		ck_assert(cJSON_IsString(j));
		cJSON_Delete(j);
	}
}
END_TEST

START_TEST(urls)
{
	cx_jw_url(&b, 1, "/v1/x?api_key=abc&b=2");
	ck_assert_str_eq(got(), "\"/v1/x?api_key=[REDACTED]&b=2\"");
	cx_jw_url(&b, 0, "/v1/x?api_key=abc&b=2");
	ck_assert_str_eq(got(), "\"/v1/x?api_key=abc&b=2\"");
	cx_jw_url(&b, 1, NULL);
	ck_assert_str_eq(got(), "null");
	cx_jw_url(&b, 1, "");
	ck_assert_str_eq(got(), "\"\"");
}
END_TEST

START_TEST(fields)
{
	struct cx_field v[] = {
		{ .name = (char *)"Authorization", .value = (char *)"Bearer sk-x" },
		{ .name = (char *)"Content-Type", .value = (char *)"application/json" },
		{ .name = (char *)"X-Quote", .value = (char *)"a\"b" },
	};
	struct cx_fields fl = { v, 3 };
	struct cx_fields none = { NULL, 0 };

	cx_jw_fields(&b, 1, &fl);
	ck_assert_str_eq(got(), "[[\"Authorization\",\"Bearer [REDACTED]\"],"
	    "[\"Content-Type\",\"application/json\"],[\"X-Quote\",\"a\\\"b\"]]");
	cx_jw_fields(&b, 0, &fl);
	ck_assert_str_eq(got(), "[[\"Authorization\",\"Bearer sk-x\"],"
	    "[\"Content-Type\",\"application/json\"],[\"X-Quote\",\"a\\\"b\"]]");
	cx_jw_fields(&b, 1, &none);
	ck_assert_str_eq(got(), "[]");
}
END_TEST

START_TEST(process)
{
	struct cx_proc p;

	memset(&p, 0, sizeof(p));
	cx_jw_process(&b, 1, NULL);
	ck_assert_str_eq(got(), "null");
	p.pid = 42;
	p.via = "probe";
	cx_jw_process(&b, 1, &p);
	ck_assert_str_eq(got(), "{\"pid\":42,\"ppid\":null,\"comm\":null,"
	    "\"exe\":null,\"argv\":null,\"via\":\"probe\"}");
	p.ppid = 7;
	p.comm = (char *)"codex";
	p.exe = (char *)"/usr/bin/codex";
	p.argv = (char *)"[\"codex\",\"--api-key\",\"sk-abcdefghijklmnop1234\"]";
	p.via = "proc";
	cx_jw_process(&b, 1, &p);
	ck_assert_str_eq(got(), "{\"pid\":42,\"ppid\":7,\"comm\":\"codex\","
	    "\"exe\":\"/usr/bin/codex\",\"argv\":[\"codex\",\"--api-key\","
	    "\"[REDACTED]\"],\"via\":\"proc\"}");
	cx_jw_process(&b, 0, &p);
	ck_assert_ptr_nonnull(strstr(got(), "sk-abcdefghijklmnop1234"));
	/* argv that is not JSON: null, the object still valid. */
	p.argv = (char *)"[\"cut";
	cx_jw_process(&b, 0, &p);
	ck_assert_ptr_nonnull(strstr(got(), "\"argv\":null,"));
}
END_TEST

START_TEST(numbers)
{
	cx_jw_u64(&b, 0);
	ck_assert_str_eq(got(), "0");
	cx_jw_u64(&b, UINT64_MAX);
	ck_assert_str_eq(got(), "18446744073709551615");
	cx_jw_ms(&b, 0);
	ck_assert_str_eq(got(), "0.000");
	cx_jw_ms(&b, 12345678);
	ck_assert_str_eq(got(), "12.346");
	cx_jw_ms(&b, 499);
	ck_assert_str_eq(got(), "0.000");
	cx_jw_ms(&b, 500);
	ck_assert_str_eq(got(), "0.001");
	cx_jw_ms(&b, 3000000000LL);
	ck_assert_str_eq(got(), "3000.000");
	cx_jw_ms(&b, -1500000);
	ck_assert_str_eq(got(), "-1.500");
	cx_jw_ms(&b, -400);
	ck_assert_str_eq(got(), "0.000");
	cx_jw_raw(&b, "{\"x\":");
	cx_jw_u64(&b, 5);
	cx_jw_raw(&b, "}");
	ck_assert_str_eq(got(), "{\"x\":5}");
}
END_TEST

START_TEST(ws_opcodes)
{
	ck_assert_str_eq(cx_jw_ws_opcode(0x1), "text");
	ck_assert_str_eq(cx_jw_ws_opcode(0x2), "binary");
	ck_assert_str_eq(cx_jw_ws_opcode(0x8), "close");
	ck_assert_str_eq(cx_jw_ws_opcode(0x9), "ping");
	ck_assert_str_eq(cx_jw_ws_opcode(0xa), "pong");
	ck_assert_str_eq(cx_jw_ws_opcode(0x0), "continuation");
}
END_TEST

/* Written out in blocks: only past CX_JW_FLUSH, or when all is asked. */
START_TEST(flush)
{
	char *mem = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&mem, &len);

	cx_jw_raw(&b, "small");
	cx_jw_flush(&b, f, 0);
	fflush(f);
	ck_assert_uint_eq(len, 0);
	ck_assert_uint_eq(b.len, 5);
	while (b.len < CX_JW_FLUSH)
		cx_jw_raw(&b, "0123456789");
	cx_jw_flush(&b, f, 0);
	fflush(f);
	ck_assert_uint_ge(len, CX_JW_FLUSH);
	ck_assert_uint_eq(b.len, 0);
	cx_jw_raw(&b, "end");
	cx_jw_flush(&b, f, 1);
	cx_jw_flush(&b, f, 1);          /* empty: nothing */
	fclose(f);
	ck_assert_str_eq(mem + len - 3, "end");
	ck_assert_int_eq(strncmp(mem, "small0123", 9), 0);
	free(mem);
}
END_TEST

int
main(void)
{
	Suite *s = suite_create("jsonw");
	TCase *tc = tcase_create("jsonw");
	SRunner *sr;
	int failed;

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, strings);
	tcase_add_test(tc, urls);
	tcase_add_test(tc, fields);
	tcase_add_test(tc, process);
	tcase_add_test(tc, numbers);
	tcase_add_test(tc, ws_opcodes);
	tcase_add_test(tc, flush);
	suite_add_tcase(s, tc);
	sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
