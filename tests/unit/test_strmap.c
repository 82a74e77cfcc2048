/* test_strmap.c: the bounded string map (analyzer/strmap.c). */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "strmap.h"

START_TEST(put_get_replace)
{
	struct cx_strmap *m = cx_strmap_new(8);

	ck_assert_uint_eq(cx_strmap_count(m), 0);
	ck_assert_ptr_null(cx_strmap_get(m, "call_1"));
	cx_strmap_put(m, "call_1", "shell");
	cx_strmap_put(m, "call_2", "apply_patch");
	ck_assert_str_eq(cx_strmap_get(m, "call_1"), "shell");
	ck_assert_str_eq(cx_strmap_get(m, "call_2"), "apply_patch");
	ck_assert_uint_eq(cx_strmap_count(m), 2);
	/* A key put again: its value replaced, the count the same. */
	cx_strmap_put(m, "call_1", "exec_command");
	ck_assert_str_eq(cx_strmap_get(m, "call_1"), "exec_command");
	ck_assert_uint_eq(cx_strmap_count(m), 2);
	/* Keys are whole strings, compared exactly. */
	ck_assert_ptr_null(cx_strmap_get(m, "call_"));
	ck_assert_ptr_null(cx_strmap_get(m, "CALL_1"));
	/* The empty string is a key like any other. */
	cx_strmap_put(m, "", "empty");
	ck_assert_str_eq(cx_strmap_get(m, ""), "empty");
	cx_strmap_free(m);
	cx_strmap_free(NULL);
}
END_TEST

/* The map copies: the caller's buffers can change after a put. */
START_TEST(copies)
{
	struct cx_strmap *m = cx_strmap_new(4);
	char k[16], v[16];

	snprintf(k, sizeof(k), "key");
	snprintf(v, sizeof(v), "value");
	cx_strmap_put(m, k, v);
	memset(k, 'x', sizeof(k) - 1);
	memset(v, 'y', sizeof(v) - 1);
	ck_assert_str_eq(cx_strmap_get(m, "key"), "value");
	cx_strmap_free(m);
}
END_TEST

/* Full, a new key empties it first: the recent past is remembered. */
START_TEST(bounded)
{
	struct cx_strmap *m = cx_strmap_new(3);
	char k[32], v[32];

	cx_strmap_put(m, "a", "1");
	cx_strmap_put(m, "b", "2");
	cx_strmap_put(m, "c", "3");
	ck_assert_uint_eq(cx_strmap_count(m), 3);
	/* Replacing a key held does not count as a new one. */
	cx_strmap_put(m, "b", "22");
	ck_assert_uint_eq(cx_strmap_count(m), 3);
	ck_assert_str_eq(cx_strmap_get(m, "a"), "1");
	cx_strmap_put(m, "d", "4");
	ck_assert_uint_eq(cx_strmap_count(m), 1);
	ck_assert_ptr_null(cx_strmap_get(m, "a"));
	ck_assert_ptr_null(cx_strmap_get(m, "b"));
	ck_assert_str_eq(cx_strmap_get(m, "d"), "4");

	/* Many keys through a small map: never more than max, the last
	 * one always there. */
	for (int i = 0; i < 10000; i++) {
		snprintf(k, sizeof(k), "call_%d", i);
		snprintf(v, sizeof(v), "tool_%d", i);
		cx_strmap_put(m, k, v);
		ck_assert_uint_le(cx_strmap_count(m), 3);
		ck_assert_str_eq(cx_strmap_get(m, k), v);
	}
	cx_strmap_free(m);

	/* max 0 is taken as 1. */
	m = cx_strmap_new(0);
	cx_strmap_put(m, "x", "1");
	cx_strmap_put(m, "y", "2");
	ck_assert_uint_eq(cx_strmap_count(m), 1);
	ck_assert_ptr_null(cx_strmap_get(m, "x"));
	ck_assert_str_eq(cx_strmap_get(m, "y"), "2");
	cx_strmap_free(m);
}
END_TEST

/* A large map: every key found, colliding probes included. */
START_TEST(many)
{
	struct cx_strmap *m = cx_strmap_new(5000);
	char k[32], v[32];

	for (int i = 0; i < 5000; i++) {
		snprintf(k, sizeof(k), "k%d", i);
		snprintf(v, sizeof(v), "v%d", i * 7);
		cx_strmap_put(m, k, v);
	}
	ck_assert_uint_eq(cx_strmap_count(m), 5000);
	for (int i = 0; i < 5000; i++) {
		snprintf(k, sizeof(k), "k%d", i);
		snprintf(v, sizeof(v), "v%d", i * 7);
		ck_assert_str_eq(cx_strmap_get(m, k), v);
	}
	ck_assert_ptr_null(cx_strmap_get(m, "k5000"));
	cx_strmap_free(m);
}
END_TEST

int
main(void)
{
	Suite *s = suite_create("strmap");
	TCase *tc = tcase_create("strmap");
	SRunner *sr;
	int failed;

	tcase_add_test(tc, put_get_replace);
	tcase_add_test(tc, copies);
	tcase_add_test(tc, bounded);
	tcase_add_test(tc, many);
	suite_add_tcase(s, tc);
	sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
