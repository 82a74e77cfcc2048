/*
 * test_xmalloc.c: allocation that aborts rather than fail
 * (common/xmalloc.c): sizes of zero still give memory, strings copied
 * bounded, formatted; an array size that overflows aborts with one line.
 */
#include <check.h>
#include <signal.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "xmalloc.h"

START_TEST(allocations)
{
	char *p = xmalloc(0), *q;
	int *z = xcalloc(16, sizeof(int));
	int *a;

	ck_assert_ptr_nonnull(p);
	free(p);
	for (int i = 0; i < 16; i++)
		ck_assert_int_eq(z[i], 0);
	free(z);
	z = xcalloc(0, 0);
	ck_assert_ptr_nonnull(z);
	free(z);
	a = xreallocarray(NULL, 4, sizeof(int));
	for (int i = 0; i < 4; i++)
		a[i] = i * 10;
	a = xreallocarray(a, 1000, sizeof(int));
	ck_assert_int_eq(a[3], 30);
	free(a);
	q = xrealloc(NULL, 0);
	ck_assert_ptr_nonnull(q);
	free(q);
}
END_TEST

START_TEST(strings)
{
	char *s = xstrdup("hello");
	char *t = xstrndup("hello world", 5);
	char *u = xstrndup("a\0b", 3);
	char *f = xasprintf("%s=%d%%", "n", 42);
	char *e = xasprintf("%s", "");

	ck_assert_str_eq(s, "hello");
	ck_assert_str_eq(t, "hello");
	ck_assert_int_eq(memcmp(u, "a\0b\0", 4), 0);
	ck_assert_str_eq(f, "n=42%");
	ck_assert_str_eq(e, "");
	free(s);
	free(t);
	free(u);
	free(f);
	free(e);
}
END_TEST

START_TEST(overflow_aborts)
{
	void *p = xreallocarray(NULL, SIZE_MAX / 2, 4);

	free(p);        /* not reached */
}
END_TEST

int
main(void)
{
	Suite *s = suite_create("xmalloc");
	TCase *tc = tcase_create("xmalloc");
	SRunner *sr;
	int failed;

	tcase_add_test(tc, allocations);
	tcase_add_test(tc, strings);
	tcase_add_test_raise_signal(tc, overflow_aborts, SIGABRT);
	suite_add_tcase(s, tc);
	sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
