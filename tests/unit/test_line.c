/*
 * test_line.c: one line formatted into a fixed buffer (common/line.c):
 * ended with a newline, cut to fit, nothing written past the buffer.
 */
#include <check.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "line.h"

static size_t fmt(char *line, size_t cap, const char *f, ...)
    __attribute__((format(printf, 3, 4)));
static size_t
fmt(char *line, size_t cap, const char *f, ...)
{
	va_list ap;
	size_t n;

	va_start(ap, f);
	n = cx_vline(line, cap, f, ap);
	va_end(ap);
	return n;
}

START_TEST(fits)
{
	char b[32];

	ck_assert_uint_eq(fmt(b, sizeof(b), "pid %d: %s", 42, "gone"), 13);
	ck_assert(memcmp(b, "pid 42: gone\n", 13) == 0);
	ck_assert_uint_eq(fmt(b, sizeof(b), "%s", ""), 1);
	ck_assert_int_eq(b[0], '\n');
}
END_TEST

START_TEST(cut)
{
	char b[10];

	memset(b, 'z', sizeof(b));
	/* 8 characters kept, then the newline: 9 of the 10 bytes. */
	ck_assert_uint_eq(fmt(b, 8 + 2, "%s", "abcdefghijklmnop"), 9);
	ck_assert(memcmp(b, "abcdefgh\n", 9) == 0);
	ck_assert_int_eq(b[9], 'z');
	/* Exactly what fits. */
	ck_assert_uint_eq(fmt(b, sizeof(b), "%s", "12345678"), 9);
	ck_assert(memcmp(b, "12345678\n", 9) == 0);
	/* The smallest buffer: just the newline. */
	ck_assert_uint_eq(fmt(b, 2, "%s", "abc"), 1);
	ck_assert_int_eq(b[0], '\n');
	ck_assert_uint_eq(fmt(b, 1, "%s", "abc"), 0);
	ck_assert_uint_eq(fmt(b, 0, "%s", "abc"), 0);
}
END_TEST

int
main(void)
{
	Suite *s = suite_create("line");
	TCase *tc = tcase_create("line");
	SRunner *sr;
	int failed;

	tcase_add_test(tc, fits);
	tcase_add_test(tc, cut);
	suite_add_tcase(s, tc);
	sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
