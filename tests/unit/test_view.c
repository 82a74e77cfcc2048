/*
 * test_view.c: how a body is shown (analyzer/view.c): classified as JSON
 * (by Content-Type, or because it parses as an object or array), text or
 * binary; content-decoded first when it has a Content-Encoding, and shown
 * raw, as binary with the error, when that fails.
 */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <zlib.h>

#include "bytebuf.h"
#include "exchange.h"
#include "view.h"

static enum cx_view_kind
classify(const char *s, const char *ct, int *scalar)
{
	return cx_view_classify((const uint8_t *)s, strlen(s), ct, scalar);
}

START_TEST(classification)
{
	int sc = -1;

	ck_assert_int_eq(classify("", NULL, &sc), CX_VIEW_NONE);
	ck_assert_int_eq(classify("{\"a\":1}", NULL, &sc), CX_VIEW_JSON);
	ck_assert_int_eq(sc, 0);
	ck_assert_int_eq(classify("[1, 2]", "text/plain", &sc), CX_VIEW_JSON);
	/* A scalar is JSON only when the Content-Type says JSON. */
	ck_assert_int_eq(classify("42", NULL, &sc), CX_VIEW_TEXT);
	ck_assert_int_eq(classify("42", "application/json", &sc),
	    CX_VIEW_JSON);
	ck_assert_int_eq(sc, 1);
	ck_assert_int_eq(classify("\"s\"", " Application/JSON ; charset=utf-8",
	    &sc), CX_VIEW_JSON);
	ck_assert_int_eq(sc, 1);
	ck_assert_int_eq(classify("true", "text/json", &sc), CX_VIEW_JSON);
	ck_assert_int_eq(classify("null", "application/problem+json", &sc),
	    CX_VIEW_JSON);
	ck_assert_int_eq(sc, 1);
	ck_assert_int_eq(classify("null", "application/jsonx", &sc),
	    CX_VIEW_TEXT);
	ck_assert_int_eq(classify("null", "application/json+xml", &sc),
	    CX_VIEW_TEXT);
	/* Not JSON after all: text or binary. */
	ck_assert_int_eq(classify("{broken", "application/json", &sc),
	    CX_VIEW_TEXT);
	ck_assert_int_eq(sc, 0);
	ck_assert_int_eq(classify("caf\xc3\xa9\n", NULL, &sc), CX_VIEW_TEXT);
	ck_assert_int_eq(classify("caf\xe9", NULL, &sc), CX_VIEW_BINARY);
	ck_assert_int_eq(cx_view_classify((const uint8_t *)"a\0b", 3, NULL,
	    &sc), CX_VIEW_BINARY);
	ck_assert_int_eq(cx_view_classify_text((const uint8_t *)"ok", 2),
	    CX_VIEW_TEXT);
	ck_assert_int_eq(cx_view_classify_text((const uint8_t *)"\xff", 1),
	    CX_VIEW_BINARY);
}
END_TEST

/* A message with one header and body s. */
static void
msg(struct cx_msg *m, struct cx_field *fl, size_t nfl, const void *s,
    size_t n)
{
	memset(m, 0, sizeof(*m));
	m->fields.v = fl;
	m->fields.n = nfl;
	cx_buf_init(&m->body, 0);
	cx_buf_add(&m->body, s, n);
	m->body_bytes = n;
}

START_TEST(bodies)
{
	char ctn[] = "Content-Type", form[] = "application/x-www-form-urlencoded",
	    json[] = "application/json";
	struct cx_field fl = { ctn, form };
	struct cx_msg m;
	struct cx_view v;

	msg(&m, &fl, 1, "a=1&b=2", 7);
	cx_view_body(&v, &m);
	ck_assert_int_eq(v.kind, CX_VIEW_TEXT);
	ck_assert_int_eq(v.form, 1);
	ck_assert_ptr_eq(v.p, m.body.p);        /* not copied */
	ck_assert_ptr_null(v.encoding);
	cx_view_free(&v);
	cx_buf_free(&m.body);

	fl.value = json;
	msg(&m, &fl, 1, "7", 1);
	cx_view_body(&v, &m);
	ck_assert_int_eq(v.kind, CX_VIEW_JSON);
	ck_assert_int_eq(v.json_scalar, 1);
	ck_assert_int_eq(v.form, 0);
	cx_view_free(&v);
	/* cx_view_decode leaves the classification to the caller. */
	cx_view_decode(&v, &m);
	ck_assert_int_eq(v.kind, CX_VIEW_UNSET);
	ck_assert_int_eq(v.json_scalar, 1);
	cx_view_free(&v);
	cx_buf_free(&m.body);

	msg(&m, NULL, 0, "", 0);
	cx_view_body(&v, &m);
	ck_assert_int_eq(v.kind, CX_VIEW_NONE);
	cx_view_free(&v);
	cx_buf_free(&m.body);
	cx_view_free(NULL);
}
END_TEST

/* gzip of s into out. */
static void
gzip_into(const char *s, struct cx_buf *out)
{
	z_stream z;
	uint8_t buf[4096];

	memset(&z, 0, sizeof(z));
	ck_assert_int_eq(deflateInit2(&z, 6, Z_DEFLATED, 31, 8,
	    Z_DEFAULT_STRATEGY), Z_OK);
	z.next_in = (Bytef *)(uintptr_t)s;
	z.avail_in = (uInt)strlen(s);
	z.next_out = buf;
	z.avail_out = sizeof(buf);
	ck_assert_int_eq(deflate(&z, Z_FINISH), Z_STREAM_END);
	cx_buf_add(out, buf, sizeof(buf) - z.avail_out);
	deflateEnd(&z);
}

START_TEST(decoded)
{
	char cen[] = "Content-Encoding", gz[] = "gzip", id[] = "Identity";
	struct cx_field fl = { cen, gz };
	struct cx_buf z;
	struct cx_msg m;
	struct cx_view v;

	cx_buf_init(&z, 0);
	gzip_into("{\"model\":\"m\"}", &z);
	msg(&m, &fl, 1, z.p, z.len);
	cx_view_body(&v, &m);
	ck_assert_int_eq(v.kind, CX_VIEW_JSON);
	ck_assert_str_eq(v.encoding, "gzip");
	ck_assert_uint_eq(v.decoded_bytes, 13);
	ck_assert_uint_eq(v.n, 13);
	ck_assert_int_eq(memcmp(v.p, "{\"model\":\"m\"}", 13), 0);
	ck_assert_ptr_null(v.error);
	cx_view_free(&v);
	cx_buf_free(&m.body);
	/* identity is no encoding. */
	fl.value = id;
	msg(&m, &fl, 1, "plain", 5);
	cx_view_body(&v, &m);
	ck_assert_int_eq(v.kind, CX_VIEW_TEXT);
	ck_assert_ptr_null(v.encoding);
	cx_view_free(&v);
	cx_buf_free(&m.body);
	/* Decoded to nothing: no body. */
	fl.value = gz;
	cx_buf_reset(&z);
	gzip_into("", &z);
	msg(&m, &fl, 1, z.p, z.len);
	cx_view_body(&v, &m);
	ck_assert_int_eq(v.kind, CX_VIEW_NONE);
	cx_view_free(&v);
	cx_buf_free(&m.body);
	cx_buf_free(&z);
}
END_TEST

/* A body that does not decode is shown raw, as binary, with the error. */
START_TEST(view_keeps_raw)
{
	static const char *encs[] = { "br", "gzip", "zstd", "gzip, br",
	    "x-unknown" };
	char name[] = "Content-Encoding", value[32];
	struct cx_field fl = { name, value };
	struct cx_msg m;
	struct cx_view v;

	for (size_t i = 0; i < sizeof(encs) / sizeof(encs[0]); i++) {
		memset(&m, 0, sizeof(m));
		snprintf(value, sizeof(value), "%s", encs[i]);
		m.fields.v = &fl;
		m.fields.n = 1;
		cx_buf_init(&m.body, 0);
		cx_buf_adds(&m.body, "definitely not compressed");
		m.body_bytes = m.body.len;
		cx_view_body(&v, &m);
		ck_assert_int_eq(v.kind, CX_VIEW_BINARY);
		ck_assert_ptr_nonnull(v.error);
		ck_assert_uint_eq(v.n, m.body.len);
		ck_assert(memcmp(v.p, "definitely not compressed", v.n) == 0);
		cx_view_free(&v);
		cx_buf_free(&m.body);
	}
}
END_TEST


int
main(void)
{
	Suite *s = suite_create("view");
	TCase *tc = tcase_create("view");
	SRunner *sr;
	int failed;

	tcase_add_test(tc, classification);
	tcase_add_test(tc, bodies);
	tcase_add_test(tc, decoded);
	tcase_add_test(tc, view_keeps_raw);
	suite_add_tcase(s, tc);
	sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
