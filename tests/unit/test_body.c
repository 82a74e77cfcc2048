/*
 * test_body.c: content decoding (analyzer/body.c): br, stacked codings
 * ("gzip, br"), the size cap, and corrupt or cut br, gzip and zstd input,
 * which must fail with a message (the body view keeping the raw bytes
 * then: test_view.c).  The br data is precomputed (libbrotlienc is not
 * linked): br_plain is brotli(PLAIN), br_gz is brotli(gzip(PLAIN)).
 */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <zlib.h>
#include <zstd.h>

#include "body.h"
#include "bytebuf.h"

/* PLAIN: "{\"k\":1} " then "hello brotli! " 40 times then "end\n". */
static char *
plain(void)
{
	struct cx_buf b;

	cx_buf_init(&b, 0);
	cx_buf_adds(&b, "{\"k\":1} ");
	for (int i = 0; i < 40; i++)
		cx_buf_adds(&b, "hello brotli! ");
	cx_buf_adds(&b, "end\n");
	return cx_buf_take(&b);
}

static const uint8_t br_plain[] = {
	0x1b, 0x3b, 0x02, 0xf8, 0x8d, 0xd3, 0x15, 0xf7, 0x23, 0x0c, 0x6e, 0x3a,
	0xbb, 0xe5, 0x6e, 0x99, 0x30, 0x8f, 0xa2, 0xc8, 0x45, 0xe9, 0xb7, 0xcf,
	0x18, 0x9d, 0xbe, 0x12, 0x85, 0xc2, 0x78, 0xe0, 0xba, 0xbf, 0xb6, 0x66,
	0xce, 0x00, 0x96, 0xed, 0xf6, 0xa1, 0x44, 0x8c, 0x13,
};

static const uint8_t br_gz[] = {
	0x8b, 0x18, 0x80, 0x1f, 0x8b, 0x08, 0x00, 0x00, 0x00, 0x00, 0x00, 0x02,
	0x03, 0xab, 0x56, 0xca, 0x56, 0xb2, 0x32, 0xac, 0x55, 0xc8, 0x48, 0xcd,
	0xc9, 0xc9, 0x57, 0x48, 0x2a, 0xca, 0x2f, 0xc9, 0xc9, 0x54, 0x1c, 0xe5,
	0x8d, 0xf2, 0x08, 0xf0, 0x52, 0xf3, 0x52, 0xb8, 0x00, 0xb8, 0x41, 0x58,
	0x13, 0x3c, 0x02, 0x00, 0x00, 0x03,
};

/* gzip(p[0..n)) into out. */
static void
gzip(const uint8_t *p, size_t n, struct cx_buf *out)
{
	z_stream z;
	uint8_t buf[4096];

	memset(&z, 0, sizeof(z));
	ck_assert_int_eq(deflateInit2(&z, 6, Z_DEFLATED, 16 + MAX_WBITS, 8,
	    Z_DEFAULT_STRATEGY), Z_OK);
	z.next_in = (Bytef *)(uintptr_t)p;
	z.avail_in = (uInt)n;
	do {
		z.next_out = buf;
		z.avail_out = sizeof(buf);
		ck_assert_int_ne(deflate(&z, Z_FINISH), Z_STREAM_ERROR);
		cx_buf_add(out, buf, sizeof(buf) - z.avail_out);
	} while (z.avail_out == 0);
	deflateEnd(&z);
}

static void
zstd(const uint8_t *p, size_t n, struct cx_buf *out)
{
	size_t cap = ZSTD_compressBound(n), k;
	void *z = malloc(cap);

	k = ZSTD_compress(z, cap, p, n, 3);
	ck_assert(!ZSTD_isError(k));
	cx_buf_add(out, z, k);
	free(z);
}

/* Decode whole: the return code; the output in out. */
static int
all(const char *enc, const uint8_t *p, size_t n, uint64_t max,
    struct cx_buf *out, int *trunc, char *err, size_t errlen)
{
	err[0] = '\0';
	return cx_decode_all(enc, p, n, max, out, trunc, err, errlen);
}

#define ASSERT_DECODES(enc_, in_, n_, want_) do {                            \
	struct cx_buf o_;                                               \
	char e_[256];                                                   \
	int t_;                                                         \
									\
	cx_buf_init(&o_, 0);                                            \
	ck_assert_msg(all(enc_, in_, n_, 0, &o_, &t_, e_, sizeof(e_)) == 0, \
	    "%s: %s", enc_, e_);                                         \
	ck_assert_int_eq(t_, 0);                                        \
	ck_assert_uint_eq(o_.len, strlen(want_));                        \
	ck_assert(memcmp(o_.p, want_, o_.len) == 0);                     \
	cx_buf_free(&o_);                                               \
} while (0)

START_TEST(brotli)
{
	char *want = plain();

	ck_assert_int_eq(cx_decoder_supported("br"), 1);
	ck_assert_int_eq(cx_decoder_supported("BR"), 1);
	ASSERT_DECODES("br", br_plain, sizeof(br_plain), want);
	free(want);
}
END_TEST

static int
to_buf(void *arg, const uint8_t *p, size_t n)
{
	cx_buf_add(arg, p, n);
	return 0;
}

/* Fed one byte at a time, as an event stream arrives. */
START_TEST(brotli_incremental)
{
	char *want = plain();
	struct cx_decoder *d;
	struct cx_buf o;

	cx_buf_init(&o, 0);
	d = cx_decoder_new("br", 0);
	ck_assert_ptr_nonnull(d);
	for (size_t i = 0; i < sizeof(br_plain); i++)
		ck_assert_int_eq(cx_decoder_feed(d, br_plain + i, 1, to_buf,
		    &o), 0);
	ck_assert_int_eq(cx_decoder_finish(d), 0);
	ck_assert_uint_eq(cx_decoder_total(d), strlen(want));
	ck_assert_str_eq((const char *)o.p, want);
	cx_decoder_free(d);

	/* The same for a stack of two. */
	cx_buf_reset(&o);
	d = cx_decoder_new("gzip, br", 0);
	ck_assert_ptr_nonnull(d);
	for (size_t i = 0; i < sizeof(br_gz); i++)
		ck_assert_int_eq(cx_decoder_feed(d, br_gz + i, 1, to_buf,
		    &o), 0);
	ck_assert_int_eq(cx_decoder_finish(d), 0);
	ck_assert_uint_eq(cx_decoder_total(d), strlen(want));
	ck_assert_str_eq((const char *)o.p, want);
	cx_decoder_free(d);
	cx_buf_free(&o);
	free(want);
}
END_TEST

START_TEST(stacked)
{
	char *want = plain();
	struct cx_buf gz, zs, o;
	char err[256];
	int t;

	/* gzip applied first, then br: decoded br, then gzip. */
	ck_assert_int_eq(cx_decoder_supported("gzip, br"), 1);
	ASSERT_DECODES("gzip, br", br_gz, sizeof(br_gz), want);
	ASSERT_DECODES("GZIP ,BR", br_gz, sizeof(br_gz), want);
	ASSERT_DECODES("gzip,br", br_gz, sizeof(br_gz), want);
	ASSERT_DECODES("identity, gzip, br", br_gz, sizeof(br_gz), want);
	/* The other way round. */
	cx_buf_init(&gz, 0);
	gzip(br_plain, sizeof(br_plain), &gz);
	ASSERT_DECODES("br, gzip", gz.p, gz.len, want);
	/* Three: br, then gzip, then zstd. */
	cx_buf_init(&zs, 0);
	zstd(gz.p, gz.len, &zs);
	ASSERT_DECODES("br, gzip, zstd", zs.p, zs.len, want);
	/* In the wrong order it is corrupt, and says which coding failed. */
	cx_buf_init(&o, 0);
	ck_assert_int_eq(all("gzip, br", gz.p, gz.len, 0, &o, &t, err,
	    sizeof(err)), -1);
	ck_assert_msg(strncmp(err, "br: ", 4) == 0, "%s", err);
	ck_assert_int_eq(all("gzip, zstd, br", zs.p, zs.len, 0, &o, &t, err,
	    sizeof(err)), -1);
	ck_assert_msg(strncmp(err, "br: ", 4) == 0, "%s", err);
	ck_assert_int_eq(all("zstd, br, gzip", gz.p, gz.len, 0, &o, &t, err,
	    sizeof(err)), -1);
	ck_assert_msg(strncmp(err, "zstd: ", 6) == 0, "%s", err);
	/* An unknown coding anywhere: not supported. */
	ck_assert_int_eq(cx_decoder_supported("gzip, compress"), 0);
	ck_assert_int_eq(cx_decoder_supported("identity"), 0);
	ck_assert_int_eq(cx_decoder_supported(""), 0);
	ck_assert_int_eq(cx_decoder_supported("gzip br"), 0);
	ck_assert_ptr_null(cx_decoder_new("br, lzma", 0));
	ck_assert_int_eq(all("br, lzma", br_plain, sizeof(br_plain), 0, &o,
	    &t, err, sizeof(err)), -1);
	ck_assert_str_eq(err, "content encoding \"br, lzma\" is not supported");
	cx_buf_free(&o);
	cx_buf_free(&zs);
	cx_buf_free(&gz);
	free(want);
}
END_TEST

START_TEST(cap)
{
	char *want = plain();
	struct cx_buf o, gz;
	char err[256];
	int t;

	cx_buf_init(&o, 0);
	ck_assert_int_eq(all("br", br_plain, sizeof(br_plain), 100, &o, &t,
	    err, sizeof(err)), 0);
	ck_assert_int_eq(t, 1);
	ck_assert_uint_eq(o.len, 100);
	ck_assert(memcmp(o.p, want, 100) == 0);
	ck_assert_int_eq(all("gzip, br", br_gz, sizeof(br_gz), 100, &o, &t,
	    err, sizeof(err)), 0);
	ck_assert_int_eq(t, 1);
	ck_assert_uint_eq(o.len, 100);
	ck_assert(memcmp(o.p, want, 100) == 0);
	/* The intermediate stage is capped too. */
	cx_buf_init(&gz, 0);
	gzip(br_plain, sizeof(br_plain), &gz);
	ck_assert_int_eq(all("br, gzip", gz.p, gz.len, 20, &o, &t, err,
	    sizeof(err)), 0);
	ck_assert_int_eq(t, 1);
	ck_assert_uint_le(o.len, 20);
	cx_buf_free(&gz);
	cx_buf_free(&o);
	free(want);
}
END_TEST

/* Corrupt or cut input: -1 and a message naming the coding. */
static void
expect_fail(const char *enc, const uint8_t *p, size_t n, const char *prefix)
{
	struct cx_buf o;
	char err[256];
	int t;

	cx_buf_init(&o, 0);
	ck_assert_int_eq(all(enc, p, n, 0, &o, &t, err, sizeof(err)), -1);
	ck_assert_msg(strncmp(err, prefix, strlen(prefix)) == 0,
	    "%s: got \"%s\"", enc, err);
	cx_buf_free(&o);
}

START_TEST(corrupt)
{
	char *want = plain();
	uint8_t bad[sizeof(br_plain)];
	struct cx_buf gz, zs;

	memcpy(bad, br_plain, sizeof(bad));
	bad[0] = 0xff;                  /* an invalid window size */
	expect_fail("br", bad, sizeof(bad), "br: ");
	expect_fail("br", br_plain, sizeof(br_plain) / 2,
	    "br: the data ends inside a compressed stream");
	expect_fail("br", (const uint8_t *)"not brotli at all", 17, "br: ");

	cx_buf_init(&gz, 0);
	gzip((const uint8_t *)want, strlen(want), &gz);
	expect_fail("gzip", gz.p, gz.len / 2,
	    "gzip: the data ends inside a compressed stream");
	gz.p[3] = 0xff;                 /* reserved flag bits */
	expect_fail("gzip", gz.p, gz.len, "gzip: ");
	expect_fail("gzip", (const uint8_t *)"plain text", 10, "gzip: ");

	cx_buf_init(&zs, 0);
	zstd((const uint8_t *)want, strlen(want), &zs);
	expect_fail("zstd", zs.p, zs.len - 3,
	    "zstd: the data ends inside a compressed stream");
	zs.p[0] ^= 0x55;                /* the magic number */
	expect_fail("zstd", zs.p, zs.len, "zstd: ");
	cx_buf_free(&zs);
	cx_buf_free(&gz);
	free(want);
}
END_TEST

static Suite *
body_suite(void)
{
	Suite *s = suite_create("body");
	TCase *tc = tcase_create("body");

	tcase_add_test(tc, brotli);
	tcase_add_test(tc, brotli_incremental);
	tcase_add_test(tc, stacked);
	tcase_add_test(tc, cap);
	tcase_add_test(tc, corrupt);
	suite_add_tcase(s, tc);
	return s;
}

int
main(void)
{
	SRunner *sr = srunner_create(body_suite());
	int failed;

	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
