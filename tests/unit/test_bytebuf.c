/*
 * test_bytebuf.c: the analyzer's capped byte buffers (common/bytebuf.c):
 * always NUL-terminated, cut at their limit (and saying so), reset, trim,
 * take.
 */
#include <check.h>
#include <stdlib.h>
#include <string.h>

#include "bytebuf.h"

START_TEST(add)
{
	struct cx_buf b;
	char *s;

	cx_buf_init(&b, 0);
	ck_assert_ptr_null(b.p);
	ck_assert_int_eq(cx_buf_adds(&b, "hello"), 0);
	ck_assert_int_eq(cx_buf_addc(&b, ' '), 0);
	ck_assert_int_eq(cx_buf_add(&b, "world!!", 5), 0);
	ck_assert_int_eq(cx_buf_add(&b, "", 0), 0);
	ck_assert_uint_eq(b.len, 11);
	ck_assert_str_eq((char *)b.p, "hello world");
	ck_assert_int_eq(b.cut, 0);
	/* Binary content, NUL included; still terminated after it. */
	ck_assert_int_eq(cx_buf_add(&b, "\0x", 2), 0);
	ck_assert_uint_eq(b.len, 13);
	ck_assert_int_eq(b.p[11], '\0');
	ck_assert_int_eq(b.p[12], 'x');
	ck_assert_int_eq(b.p[13], '\0');
	/* Growth past the first allocation keeps everything. */
	for (int i = 0; i < 1000; i++)
		cx_buf_addc(&b, 'a' + i % 26);
	ck_assert_uint_eq(b.len, 1013);
	ck_assert_int_eq(b.p[1012], 'a' + 999 % 26);
	ck_assert_int_eq(b.p[1013], '\0');
	s = cx_buf_take(&b);
	ck_assert_int_eq(memcmp(s, "hello world\0x", 13), 0);
	free(s);
	ck_assert_ptr_null(b.p);
	ck_assert_uint_eq(b.len, 0);
	/* Taken when empty: an empty string, not NULL. */
	s = cx_buf_take(&b);
	ck_assert_str_eq(s, "");
	free(s);
	cx_buf_free(&b);
	cx_buf_free(NULL);
}
END_TEST

START_TEST(cap)
{
	struct cx_buf b;

	cx_buf_init(&b, 8);
	ck_assert_int_eq(cx_buf_adds(&b, "12345"), 0);
	/* Only what fits is kept, and the buffer says it cut. */
	ck_assert_int_eq(cx_buf_adds(&b, "6789"), -1);
	ck_assert_uint_eq(b.len, 8);
	ck_assert_str_eq((char *)b.p, "12345678");
	ck_assert_int_eq(b.cut, 1);
	ck_assert_int_eq(cx_buf_addc(&b, 'x'), -1);
	ck_assert_int_eq(cx_buf_add(&b, "", 0), 0);
	ck_assert_uint_eq(b.len, 8);
	/* reset: empty, not cut, the memory and the limit kept. */
	cx_buf_reset(&b);
	ck_assert_uint_eq(b.len, 0);
	ck_assert_int_eq(b.cut, 0);
	ck_assert_str_eq((char *)b.p, "");
	ck_assert_uint_eq(b.max, 8);
	ck_assert_int_eq(cx_buf_adds(&b, "abcdefgh"), 0);
	ck_assert_int_eq(b.cut, 0);
	cx_buf_free(&b);
	ck_assert_ptr_null(b.p);
}
END_TEST

START_TEST(trim)
{
	struct cx_buf b;

	cx_buf_init(&b, 0);
	for (int i = 0; i < 300; i++)
		cx_buf_addc(&b, 'z');
	cx_buf_reset(&b);
	cx_buf_adds(&b, "short");
	ck_assert_uint_gt(b.alloc, 6);
	cx_buf_trim(&b);
	ck_assert_uint_eq(b.alloc, 6);
	ck_assert_str_eq((char *)b.p, "short");
	/* and grows again from there */
	cx_buf_adds(&b, " and longer");
	ck_assert_str_eq((char *)b.p, "short and longer");
	cx_buf_free(&b);
	/* trim on a buffer never used: nothing to do */
	cx_buf_init(&b, 0);
	cx_buf_trim(&b);
	ck_assert_ptr_null(b.p);
}
END_TEST

int
main(void)
{
	Suite *s = suite_create("bytebuf");
	TCase *tc = tcase_create("bytebuf");
	SRunner *sr;
	int failed;

	tcase_add_test(tc, add);
	tcase_add_test(tc, cap);
	tcase_add_test(tc, trim);
	suite_add_tcase(s, tc);
	sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
