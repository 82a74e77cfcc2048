/*
 * test_buf.c: the relay's byte queues (common/buf.c): append, consume
 * from the front, room made at the end by moving the unread bytes down
 * before growing.
 */
#include <check.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"

START_TEST(append_consume)
{
	struct buf b;

	memset(&b, 0, sizeof(b));
	ck_assert_uint_eq(buf_used(&b), 0);
	buf_append(&b, "hello ", 6);
	buf_append(&b, "world", 5);
	buf_append(&b, "ignored", 0);
	ck_assert_uint_eq(buf_used(&b), 11);
	ck_assert_int_eq(memcmp(buf_head(&b), "hello world", 11), 0);
	buf_consume(&b, 6);
	ck_assert_uint_eq(buf_used(&b), 5);
	ck_assert_int_eq(memcmp(buf_head(&b), "world", 5), 0);
	/* All read: back to the start of the memory. */
	buf_consume(&b, 5);
	ck_assert_uint_eq(buf_used(&b), 0);
	ck_assert_uint_eq(b.off, 0);
	ck_assert_uint_eq(b.len, 0);
	/* More than there is: empty, not negative. */
	buf_append(&b, "abc", 3);
	buf_consume(&b, 10);
	ck_assert_uint_eq(buf_used(&b), 0);
	buf_free(&b);
	ck_assert_ptr_null(b.data);
	ck_assert_uint_eq(b.cap, 0);
}
END_TEST

START_TEST(space)
{
	struct buf b;
	uint8_t *p;
	size_t cap;

	memset(&b, 0, sizeof(b));
	p = buf_space(&b, 10);
	ck_assert_ptr_nonnull(p);
	ck_assert_uint_ge(b.cap, 10);
	memcpy(p, "0123456789", 10);
	b.len += 10;
	ck_assert_int_eq(memcmp(buf_head(&b), "0123456789", 10), 0);

	/* Fill to the brim, read most of it: asking for room moves the
	 * unread tail down instead of growing. */
	cap = b.cap;
	while (b.cap - b.len > 0)
		buf_append(&b, "x", 1);
	ck_assert_uint_eq(b.cap, cap);
	buf_consume(&b, cap - 4);
	p = buf_space(&b, 100);
	ck_assert_uint_eq(b.cap, cap);
	ck_assert_uint_eq(b.off, 0);
	ck_assert_uint_eq(buf_used(&b), 4);
	ck_assert_ptr_eq(p, b.data + 4);

	/* A big request grows it, the content kept. */
	p = buf_space(&b, cap * 3);
	ck_assert_uint_ge(b.cap - b.len, cap * 3);
	ck_assert_int_eq(memcmp(buf_head(&b), "xxxx", 4), 0);
	buf_free(&b);
}
END_TEST

/* A queue used as a stream: what comes out is what went in, in order. */
START_TEST(stream)
{
	struct buf b;
	uint8_t in[256], want = 0;
	unsigned r = 1;
	size_t bad = 0;         /* bytes out of order (one assertion: fast) */

	memset(&b, 0, sizeof(b));
	for (int i = 0; i < 256; i++)
		in[i] = (uint8_t)i;
	for (int round = 0; round < 20000; round++) {
		size_t n;

		r = r * 1103515245 + 12345;
		n = (r >> 16) % 200;
		if (r & 1) {
			/* append n bytes continuing the sequence */
			uint8_t chunk[200];
			uint8_t next = (uint8_t)(want + buf_used(&b));

			for (size_t j = 0; j < n; j++)
				chunk[j] = in[(uint8_t)(next + j)];
			buf_append(&b, chunk, n);
		} else {
			if (n > buf_used(&b))
				n = buf_used(&b);
			for (size_t j = 0; j < n; j++)
				bad += buf_head(&b)[j] != (uint8_t)(want + j);
			buf_consume(&b, n);
			want = (uint8_t)(want + n);
		}
	}
	ck_assert_uint_eq(bad, 0);
	buf_free(&b);
}
END_TEST

int
main(void)
{
	Suite *s = suite_create("buf");
	TCase *tc = tcase_create("buf");
	SRunner *sr;
	int failed;

	tcase_add_test(tc, append_consume);
	tcase_add_test(tc, space);
	tcase_add_test(tc, stream);
	suite_add_tcase(s, tc);
	sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
