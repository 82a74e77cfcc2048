/* test_jsonobj.c: JSON objects built into a fixed buffer (common/jsonobj.c). */
#include <check.h>
#include <cjson/cJSON.h>
#include <stdlib.h>
#include <string.h>

#include "jsonobj.h"

/* Everything a frame payload uses, in one object. */
static size_t
build(char *b, size_t cap, struct cx_jobj *j)
{
	cx_jobj_begin(j, b, cap);
	cx_jobj_str(j, "peer", "127.0.0.1:443");
	cx_jobj_str(j, "absent", NULL);
	cx_jobj_strn(j, "error", "say \"no\"\n\\\x01", 11);
	cx_jobj_u64(j, "seq", 18446744073709551615u);
	cx_jobj_i64(j, "pid", -4);
	cx_jobj_bool(j, "relay", 1);
	cx_jobj_raw(j, "ms", "1.250");
	cx_jobj_array(j, "argv");
	cx_jobj_str(j, NULL, "curl");
	cx_jobj_str(j, NULL, "-s");
	cx_jobj_object(j, NULL);
	cx_jobj_bool(j, "x", 0);
	cx_jobj_close(j);
	cx_jobj_close(j);
	cx_jobj_str(j, "comm", "caf\xc3\xa9");
	return cx_jobj_end(j);
}

START_TEST(whole)
{
	char b[512];
	struct cx_jobj j;
	size_t n = build(b, sizeof(b), &j);

	ck_assert_str_eq(b, "{\"peer\":\"127.0.0.1:443\","
	    "\"error\":\"say \\\"no\\\"\\n\\\\\\u0001\","
	    "\"seq\":18446744073709551615,\"pid\":-4,\"relay\":true,"
	    "\"ms\":1.250,\"argv\":[\"curl\",\"-s\",{\"x\":false}],"
	    "\"comm\":\"caf\xc3\xa9\"}");
	ck_assert_uint_eq(n, strlen(b));
	ck_assert_int_eq(j.cut, 0);
}
END_TEST

/* Any buffer size: one valid object, the longest strings cut with "...". */
START_TEST(every_size)
{
	char full[512], b[512];
	struct cx_jobj j;
	size_t total = build(full, sizeof(full), &j);

	for (size_t cap = 3; cap <= total + 1; cap++) {
		memset(b, 'Z', sizeof(b));
		size_t n = build(b, cap, &j);
		cJSON *v = cJSON_ParseWithLength(b, n);

		ck_assert_msg(v != NULL && cJSON_IsObject(v), "cap %zu: %s", cap, b);
		ck_assert_uint_eq(n, strlen(b));
		ck_assert_uint_lt(n, cap);
		ck_assert_int_eq(b[cap], 'Z');  /* nothing past the buffer */
		ck_assert_int_eq(j.cut, cap <= total);
		cJSON_Delete(v);
	}
}
END_TEST

/* Bytes that are not UTF-8 as \u00XX; valid UTF-8 kept, never cut inside. */
START_TEST(not_utf8)
{
	char b[64];
	struct cx_jobj j;

	cx_jobj_begin(&j, b, sizeof(b));
	cx_jobj_str(&j, "c", "a\xff\xc3\xa9\xc3(\xed\xa0\x80\xf0\x9f\x98\x80\xc0\xaf");
	cx_jobj_end(&j);
	ck_assert_str_eq(b, "{\"c\":\"a\\u00ff\xc3\xa9\\u00c3(\\u00ed\\u00a0"
	    "\\u0080\xf0\x9f\x98\x80\\u00c0\\u00af\"}");
	cx_jobj_begin(&j, b, 14);
	cx_jobj_str(&j, "c", "\xc3\xa9\xc3\xa9\xc3\xa9");
	cx_jobj_end(&j);
	ck_assert_str_eq(b, "{\"c\":\"\xc3\xa9...\"}");
}
END_TEST

START_TEST(cut_string)
{
	char b[24];
	struct cx_jobj j;

	cx_jobj_begin(&j, b, sizeof(b));
	cx_jobj_str(&j, "u", "https://example.test/a/long/path");
	cx_jobj_end(&j);
	ck_assert_str_eq(b, "{\"u\":\"https://exam...\"}");
	ck_assert_int_eq(j.cut, 1);
}
END_TEST

/* Too deep: the container and everything in it are left out. */
START_TEST(too_deep)
{
	char b[256];
	struct cx_jobj j;

	cx_jobj_begin(&j, b, sizeof(b));
	for (int i = 0; i < CX_JOBJ_DEPTH + 2; i++)
		cx_jobj_array(&j, i == 0 ? "a" : NULL);
	cx_jobj_u64(&j, NULL, 1);
	for (int i = 0; i < CX_JOBJ_DEPTH + 2; i++)
		cx_jobj_close(&j);
	cx_jobj_u64(&j, "after", 2);
	cx_jobj_end(&j);
	ck_assert_str_eq(b, "{\"a\":[[[[[[[]]]]]]],\"after\":2}");
	ck_assert_int_eq(j.cut, 1);
}
END_TEST

static Suite *
suite(void)
{
	Suite *s = suite_create("jsonobj");
	TCase *tc = tcase_create("core");

	tcase_add_test(tc, whole);
	tcase_add_test(tc, every_size);
	tcase_add_test(tc, not_utf8);
	tcase_add_test(tc, cut_string);
	tcase_add_test(tc, too_deep);
	suite_add_tcase(s, tc);
	return s;
}

int
main(void)
{
	SRunner *r = srunner_create(suite());
	int failed;

	srunner_run_all(r, CK_NORMAL);
	failed = srunner_ntests_failed(r);
	srunner_free(r);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
