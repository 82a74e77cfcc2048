/*
 * test_bytebuf.c: the byte buffer (common/bytebuf.c): appends under a
 * limit, the NUL after the content, and its use as a queue (consume,
 * space/commit, where the consumed front is reclaimed, the limit on the
 * content).
 */
#include <check.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "bytebuf.h"

/* The invariant every call keeps. */
static void
check_inv(const struct cx_buf *b)
{
	ck_assert_uint_le(b->off, b->len);
	if (b->p != NULL) {
		ck_assert_uint_lt(b->len, b->alloc);
		ck_assert_int_eq(b->p[b->len], '\0');
	} else {
		ck_assert_uint_eq(b->len, 0);
	}
	if (b->max != 0)
		ck_assert_uint_le(cx_buf_used(b), b->max);
}

/* --- appends (the analyzer's use) --------------------------------------- */

START_TEST(append_text)
{
	struct cx_buf b = { 0 };

	ck_assert_int_eq(cx_buf_add(&b, "", 0), 0);
	ck_assert_ptr_nonnull(b.p);
	ck_assert_str_eq((char *)b.p, "");
	ck_assert_int_eq(cx_buf_adds(&b, "hello"), 0);
	ck_assert_int_eq(cx_buf_addc(&b, ' '), 0);
	ck_assert_int_eq(cx_buf_add(&b, "world!!", 5), 0);
	ck_assert_str_eq((char *)b.p, "hello world");
	ck_assert_uint_eq(b.len, 11);
	ck_assert_uint_eq(b.off, 0);
	ck_assert_uint_eq(cx_buf_used(&b), 11);
	ck_assert_ptr_eq(cx_buf_head(&b), b.p);
	ck_assert_int_eq(b.cut, 0);
	check_inv(&b);
	cx_buf_reset(&b);
	ck_assert_uint_eq(b.len, 0);
	ck_assert_str_eq((char *)b.p, "");
	cx_buf_free(&b);
	ck_assert_ptr_null(b.p);
	cx_buf_free(NULL);
}
END_TEST

/* Memory doubles from 64, as it always has for the analyzer's buffers. */
START_TEST(append_growth)
{
	struct cx_buf b = { 0 };
	char big[1000];

	memset(big, 'x', sizeof(big));
	cx_buf_addc(&b, 'a');
	ck_assert_uint_eq(b.alloc, 64);
	cx_buf_add(&b, big, 62);        /* 63 + NUL: still 64 */
	ck_assert_uint_eq(b.alloc, 64);
	cx_buf_addc(&b, 'b');
	ck_assert_uint_eq(b.alloc, 128);
	cx_buf_add(&b, big, sizeof(big));
	ck_assert_uint_eq(b.alloc, 2048);
	ck_assert_uint_eq(b.len, 1064);
	check_inv(&b);
	cx_buf_free(&b);
}
END_TEST

START_TEST(append_limit)
{
	struct cx_buf b;

	cx_buf_init(&b, 8);
	ck_assert_int_eq(cx_buf_adds(&b, "12345"), 0);
	ck_assert_int_eq(cx_buf_adds(&b, "6789"), -1);
	ck_assert_int_eq(b.cut, 1);
	ck_assert_str_eq((char *)b.p, "12345678");
	ck_assert_int_eq(cx_buf_addc(&b, 'x'), -1);
	ck_assert_int_eq(cx_buf_add(&b, "", 0), 0);
	ck_assert_str_eq((char *)b.p, "12345678");
	check_inv(&b);
	cx_buf_reset(&b);               /* forgets the cut, keeps the limit */
	ck_assert_int_eq(b.cut, 0);
	ck_assert_uint_eq(b.max, 8);
	ck_assert_int_eq(cx_buf_adds(&b, "abc"), 0);
	ck_assert_str_eq((char *)b.p, "abc");
	cx_buf_free(&b);
}
END_TEST

START_TEST(take_and_trim)
{
	struct cx_buf b = { 0 };
	char *s;

	s = cx_buf_take(&b);            /* never written: "" */
	ck_assert_str_eq(s, "");
	free(s);
	cx_buf_adds(&b, "keep me");
	cx_buf_trim(&b);
	ck_assert_uint_eq(b.alloc, 8);
	ck_assert_str_eq((char *)b.p, "keep me");
	s = cx_buf_take(&b);
	ck_assert_str_eq(s, "keep me");
	ck_assert_ptr_null(b.p);
	ck_assert_uint_eq(b.len, 0);
	free(s);
	/* A consumed front is not part of what is taken or kept. */
	cx_buf_adds(&b, "drop:kept");
	cx_buf_consume(&b, 5);
	cx_buf_trim(&b);
	ck_assert_uint_eq(b.off, 0);
	ck_assert_uint_eq(b.alloc, 5);
	ck_assert_str_eq((char *)b.p, "kept");
	cx_buf_adds(&b, "!");
	cx_buf_consume(&b, 1);
	s = cx_buf_take(&b);
	ck_assert_str_eq(s, "ept!");
	free(s);
	cx_buf_free(&b);
}
END_TEST

/* --- queues (the relay's use) ------------------------------------------- */

START_TEST(consume)
{
	struct cx_buf b = { 0 };
	const uint8_t *p0;

	cx_buf_adds(&b, "GET / HTTP/1.1\r\n");
	p0 = b.p;
	cx_buf_consume(&b, 4);
	/* O(1): nothing moved, the content starts further on. */
	ck_assert_ptr_eq(b.p, p0);
	ck_assert_uint_eq(b.off, 4);
	ck_assert_uint_eq(cx_buf_used(&b), 12);
	ck_assert_ptr_eq(cx_buf_head(&b), p0 + 4);
	ck_assert_int_eq(memcmp(cx_buf_head(&b), "/ HTTP/1.1\r\n", 12), 0);
	/* Still a C string from the head. */
	ck_assert_str_eq((const char *)cx_buf_head(&b), "/ HTTP/1.1\r\n");
	cx_buf_consume(&b, 0);
	ck_assert_uint_eq(cx_buf_used(&b), 12);
	check_inv(&b);
	/* Empty: back to the start, memory kept. */
	cx_buf_consume(&b, 12);
	ck_assert_uint_eq(b.off, 0);
	ck_assert_uint_eq(b.len, 0);
	ck_assert_uint_eq(cx_buf_used(&b), 0);
	ck_assert_ptr_eq(b.p, p0);
	ck_assert_str_eq((char *)b.p, "");
	check_inv(&b);
	cx_buf_adds(&b, "next");
	ck_assert_ptr_eq(cx_buf_head(&b), p0);
	/* On a buffer never allocated. */
	cx_buf_free(&b);
	cx_buf_consume(&b, 0);
	ck_assert_uint_eq(cx_buf_used(&b), 0);
	ck_assert_ptr_null(b.p);
}
END_TEST

START_TEST(space_commit)
{
	struct cx_buf b = { 0 };
	uint8_t *w;

	w = cx_buf_space(&b, 4096);
	ck_assert_ptr_nonnull(w);
	ck_assert_uint_gt(b.alloc - b.len, 4096);       /* and the NUL */
	ck_assert_uint_eq(cx_buf_used(&b), 0);
	memcpy(w, "abcdef", 6);
	ck_assert_int_eq(cx_buf_commit(&b, 3), 0);     /* a short read */
	ck_assert_uint_eq(cx_buf_used(&b), 3);
	ck_assert_str_eq((char *)cx_buf_head(&b), "abc");
	check_inv(&b);
	w = cx_buf_space(&b, 10);
	ck_assert_ptr_eq(w, b.p + 3);
	memcpy(w, "XYZ", 3);
	cx_buf_commit(&b, 3);
	ck_assert_str_eq((char *)cx_buf_head(&b), "abcXYZ");
	cx_buf_consume(&b, 2);
	w = cx_buf_space(&b, 1);
	ck_assert_ptr_eq(w, b.p + b.len);
	cx_buf_commit(&b, 0);           /* nothing read */
	ck_assert_str_eq((char *)cx_buf_head(&b), "cXYZ");
	check_inv(&b);
	cx_buf_free(&b);
}
END_TEST

/* The limit bounds the content, not how far into the memory it reaches. */
START_TEST(queue_limit)
{
	struct cx_buf b;
	char fill[80];
	uint8_t *w;

	memset(fill, 'f', sizeof(fill));
	cx_buf_init(&b, 100);
	ck_assert_int_eq(cx_buf_add(&b, fill, sizeof(fill)), 0);
	cx_buf_consume(&b, 50);
	/* 30 left: 70 more fit, though the end passes 100. */
	for (int i = 0; i < 70; i++)
		ck_assert_int_eq(cx_buf_addc(&b, 'q'), 0);
	ck_assert_uint_eq(cx_buf_used(&b), 100);
	ck_assert_int_eq(b.cut, 0);
	check_inv(&b);
	ck_assert_int_eq(cx_buf_addc(&b, 'z'), -1);
	ck_assert_int_eq(cx_buf_add(&b, "zz", 2), -1);
	ck_assert_int_eq(b.cut, 1);
	ck_assert_uint_eq(cx_buf_used(&b), 100);
	ck_assert_int_eq(cx_buf_head(&b)[99], 'q');
	check_inv(&b);
	/* commit cuts what passes the limit */
	cx_buf_consume(&b, 10);
	b.cut = 0;
	w = cx_buf_space(&b, 20);
	memset(w, 'r', 20);
	ck_assert_int_eq(cx_buf_commit(&b, 20), -1);
	ck_assert_int_eq(b.cut, 1);
	ck_assert_uint_eq(cx_buf_used(&b), 100);
	ck_assert_int_eq(cx_buf_head(&b)[0], 'f');
	ck_assert_int_eq(cx_buf_head(&b)[89], 'q');
	ck_assert_int_eq(cx_buf_head(&b)[90], 'r');
	ck_assert_int_eq(cx_buf_head(&b)[99], 'r');
	check_inv(&b);
	cx_buf_free(&b);
}
END_TEST

/* Enough consumed: the content moves to the front, no new memory. */
START_TEST(compaction)
{
	struct cx_buf b = { 0 };
	char fill[100];
	const uint8_t *p0;
	size_t a0;

	for (size_t i = 0; i < sizeof(fill); i++)
		fill[i] = (char)('a' + i % 26);
	cx_buf_add(&b, fill, 100);      /* alloc 128 */
	p0 = b.p;
	a0 = b.alloc;
	ck_assert_uint_eq(a0, 128);
	cx_buf_consume(&b, 60);         /* 40 left at 60 */
	cx_buf_add(&b, "0123456789012345678901234567890123456789", 40);
	ck_assert_uint_eq(b.alloc, a0);
	ck_assert_ptr_eq(b.p, p0);
	ck_assert_uint_eq(b.off, 0);
	ck_assert_uint_eq(cx_buf_used(&b), 80);
	ck_assert_int_eq(memcmp(b.p, fill + 60, 40), 0);
	ck_assert_int_eq(memcmp(b.p + 40, "0123456789", 10), 0);
	check_inv(&b);
	/* The same through space/commit. */
	cx_buf_consume(&b, 50);         /* 30 left at 50 */
	uint8_t *w = cx_buf_space(&b, 90);
	ck_assert_ptr_eq(b.p, p0);
	ck_assert_uint_eq(b.off, 0);
	ck_assert_ptr_eq(w, p0 + 30);
	memset(w, '#', 90);
	cx_buf_commit(&b, 90);
	ck_assert_uint_eq(cx_buf_used(&b), 120);
	ck_assert_int_eq(memcmp(b.p, "0123456789", 10), 0);
	check_inv(&b);
	cx_buf_free(&b);
}
END_TEST

/*
 * Little consumed against much left: moving it all for a few bytes would
 * make a queue cost O(content) a byte; the memory grows instead, and only
 * the content is copied.
 */
START_TEST(no_costly_move)
{
	struct cx_buf b = { 0 };
	char fill[100];

	for (size_t i = 0; i < sizeof(fill); i++)
		fill[i] = (char)('A' + i % 26);
	cx_buf_add(&b, fill, 100);      /* alloc 128 */
	cx_buf_consume(&b, 10);         /* 90 left at 10 */
	cx_buf_add(&b, "+++++++++++++++++++++++++++++++", 30);
	ck_assert_uint_eq(b.alloc, 256);
	ck_assert_uint_eq(b.off, 0);
	ck_assert_uint_eq(cx_buf_used(&b), 120);
	ck_assert_int_eq(memcmp(b.p, fill + 10, 90), 0);
	ck_assert_int_eq(b.p[90], '+');
	check_inv(&b);
	cx_buf_free(&b);
}
END_TEST

/* xorshift: the same sizes every run */
static uint32_t
rnd(uint32_t *s)
{
	*s ^= *s << 13;
	*s ^= *s >> 17;
	*s ^= *s << 5;
	return *s;
}

/*
 * A queue as the relay runs one: reads of up to 64 KiB while under 1 MiB,
 * writes of any size from the front.  Every byte comes out in order, and
 * the memory stays within a small multiple of what is queued.
 */
START_TEST(stream)
{
	struct cx_buf b = { 0 };
	uint32_t s = 12345;
	uint64_t in = 0, out = 0;
	const uint64_t total = 64u << 20;
	const size_t cap = 1 << 20, rd = 64 << 10;
	size_t peak_alloc = 0;

	while (out < total) {
		/* producer */
		while (in < total && cx_buf_used(&b) < cap && rnd(&s) % 4) {
			size_t n = 1 + rnd(&s) % rd;
			uint8_t *w = cx_buf_space(&b, rd);
			for (size_t i = 0; i < n; i++)
				w[i] = (uint8_t)((in + i) * 7 + ((in + i) >> 12));
			if (in + n > total)
				n = (size_t)(total - in);
			cx_buf_commit(&b, n);
			in += n;
		}
		/* consumer */
		size_t n = cx_buf_used(&b);
		if (n > 0) {
			size_t k = 1 + rnd(&s) % (rnd(&s) % 2 ? 300000 : 2000);
			if (k > n)
				k = n;
			const uint8_t *h = cx_buf_head(&b);
			for (size_t i = 0; i < k; i += 97)
				ck_assert_int_eq(h[i], (uint8_t)((out + i) * 7 +
				    ((out + i) >> 12)));
			ck_assert_int_eq(h[k - 1], (uint8_t)((out + k - 1) * 7 +
			    ((out + k - 1) >> 12)));
			cx_buf_consume(&b, k);
			out += k;
		}
		if (b.alloc > peak_alloc)
			peak_alloc = b.alloc;
	}
	ck_assert_uint_eq(in, out);
	ck_assert_uint_eq(cx_buf_used(&b), 0);
	/* queued: under 1 MiB + 64 KiB; memory: at most 4 MiB */
	ck_assert_uint_le(peak_alloc, 4u << 20);
	check_inv(&b);
	cx_buf_free(&b);
}
END_TEST

static Suite *
suite(void)
{
	Suite *s = suite_create("bytebuf");
	TCase *tc = tcase_create("append");
	TCase *tq = tcase_create("queue");

	tcase_add_test(tc, append_text);
	tcase_add_test(tc, append_growth);
	tcase_add_test(tc, append_limit);
	tcase_add_test(tc, take_and_trim);
	suite_add_tcase(s, tc);
	tcase_add_test(tq, consume);
	tcase_add_test(tq, space_commit);
	tcase_add_test(tq, queue_limit);
	tcase_add_test(tq, compaction);
	tcase_add_test(tq, no_costly_move);
	tcase_add_test(tq, stream);
	tcase_set_timeout(tq, 60);
	suite_add_tcase(s, tq);
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
