/*
 * test_argv.c: a command line as frame payloads record it
 * (common/argv.c): one JSON array, arguments NUL-separated in, the last
 * perhaps unterminated, redacted as --redact-at-source asks.
 */
#include <check.h>
#include <cJSON.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "argv.h"

#define GKEY    "AIzaSyA1b2C3d4E5f6G7h8I9j0K_lMnOpQrStUv"
#define GMID    "b2C3d4E5f6G7h8"         /* a piece of it */

static const struct cx_srcredact_key key = {
	UINT64_C(0x0706050403020100), UINT64_C(0x0f0e0d0c0b0a0908), NULL
};

/* The argv member built from buf[0..n) into a buffer of cap bytes. */
static char *
build(const char *buf, size_t n, const struct cx_srcredact_key *k,
    size_t cap)
{
	char *b = malloc(cap);
	struct cx_jobj j;

	ck_assert_ptr_nonnull(b);
	cx_jobj_begin(&j, b, cap);
	cx_argv_jobj(&j, "argv", buf, n, k);
	cx_jobj_u64(&j, "after", 1);
	cx_jobj_end(&j);
	return b;
}

START_TEST(plain)
{
	static const char in[] = "curl\0-H\0a \"b\"\\\0\0last";
	char *s = build(in, sizeof(in) - 1, NULL, 4096);

	/* the empty argument kept; the last one unterminated */
	ck_assert_str_eq(s, "{\"argv\":[\"curl\",\"-H\",\"a \\\"b\\\"\\\\\","
	    "\"\",\"last\"],\"after\":1}");
	free(s);
	s = build(in, sizeof(in), NULL, 4096);  /* terminated: the same */
	ck_assert_str_eq(s, "{\"argv\":[\"curl\",\"-H\",\"a \\\"b\\\"\\\\\","
	    "\"\",\"last\"],\"after\":1}");
	free(s);
	s = build("", 0, NULL, 64);
	ck_assert_str_eq(s, "{\"argv\":[],\"after\":1}");
	free(s);
}
END_TEST

START_TEST(redacted)
{
	static const char in[] = "gemini\0--api-key\0" GKEY "\0-H\0"
	    "x-goog-api-key: " GKEY;
	char *s = build(in, sizeof(in) - 1, &key, 4096);
	cJSON *v = cJSON_Parse(s), *a;

	ck_assert_ptr_nonnull(v);
	ck_assert_ptr_null(strstr(s, GMID));
	a = cJSON_GetObjectItem(v, "argv");
	ck_assert_int_eq(cJSON_GetArraySize(a), 5);
	ck_assert_str_eq(cJSON_GetArrayItem(a, 1)->valuestring, "--api-key");
	ck_assert_ptr_nonnull(strstr(cJSON_GetArrayItem(a, 2)->valuestring,
	    "[cxrec:"));
	cJSON_Delete(v);
	free(s);
	/* Without the key: as it is. */
	s = build(in, sizeof(in) - 1, NULL, 4096);
	ck_assert_ptr_nonnull(strstr(s, GMID));
	free(s);
}
END_TEST

/* Too small a buffer: valid JSON all the same, the arguments cut. */
START_TEST(small)
{
	static const char in[] = "python3\0-c\0print('a long program text')";

	for (size_t cap = 3; cap < 80; cap++) {
		char *s = build(in, sizeof(in) - 1, NULL, cap);
		cJSON *v = cJSON_Parse(s);

		ck_assert_msg(v != NULL, "cap %zu: %s", cap, s);
		cJSON_Delete(v);
		free(s);
	}
}
END_TEST

int
main(void)
{
	Suite *s = suite_create("argv");
	TCase *tc = tcase_create("argv");
	SRunner *sr;
	int failed;

	tcase_add_test(tc, plain);
	tcase_add_test(tc, redacted);
	tcase_add_test(tc, small);
	suite_add_tcase(s, tc);
	sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
