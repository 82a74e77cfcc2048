/*
 * test_srcredact.c: redaction at the source (srcredact.c): SipHash-2-4's
 * reference vector, credential values replaced by fingerprints of the
 * same length (scheme kept, any case, request and response), nothing else
 * touched, the same value under one key giving one fingerprint, streams
 * split at every byte giving no credential byte, keys in hex.
 */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "credname.h"
#include "redact.h"
#include "srcredact.h"

static const struct cx_srcredact_key key = {
	UINT64_C(0x0706050403020100), UINT64_C(0x0f0e0d0c0b0a0908), NULL
};

/* The whole of in, through one scanner in pieces of at most step bytes. */
static char *
run(const char *in, size_t step)
{
	struct cx_srcredact s;
	size_t n = strlen(in);
	char *out = calloc(1, n + 1);
	uint8_t *tmp = malloc(n + 1);

	ck_assert_ptr_nonnull(out);
	ck_assert_ptr_nonnull(tmp);
	cx_srcredact_init(&s);
	for (size_t off = 0; off < n;) {
		size_t k = n - off < step ? n - off : step;

		if (cx_srcredact(&s, &key, (const uint8_t *)in + off, k, tmp))
			memcpy(out + off, tmp, k);
		else
			memcpy(out + off, in + off, k);
		off += k;
	}
	free(tmp);
	return out;
}

START_TEST(siphash_vector)
{
	uint8_t m[15];

	for (int i = 0; i < 15; i++)
		m[i] = (uint8_t)i;
	/* The SipHash paper's appendix A. */
	ck_assert_uint_eq(cx_siphash(&key, m, 15), UINT64_C(0xa129ca6149be45e5));
}
END_TEST

static const char req[] =
    "POST /v1/responses HTTP/1.1\r\n"
    "Host: api.openai.com\r\n"
    "authorization: Bearer sk-proj-0123456789abcdefghijklmnopqrstuvwxyz\r\n"
    "Cookie: session=s3cr3t-cookie-value-0123456789; theme=dark\r\n"
    "X-Api-Key: short\r\n"
    "Content-Length: 2\r\n"
    "\r\n"
    "{}"
    "HTTP/1.1 200 OK\r\n"
    "Set-Cookie: id=another-secret-value-abcdefghijkl; Path=/\r\n"
    "\r\n";

START_TEST(replaced)
{
	char *out = run(req, strlen(req));

	ck_assert_uint_eq(strlen(out), strlen(req));
	ck_assert_ptr_null(strstr(out, "sk-proj"));
	ck_assert_ptr_null(strstr(out, "s3cr3t"));
	ck_assert_ptr_null(strstr(out, "short"));
	ck_assert_ptr_null(strstr(out, "another-secret"));
	ck_assert_ptr_nonnull(strstr(out, "authorization: Bearer [cxrec:"));
	ck_assert_ptr_nonnull(strstr(out, "Cookie: [cxrec:"));
	ck_assert_ptr_nonnull(strstr(out, "X-Api-Key: *****\r\n"));
	ck_assert_ptr_nonnull(strstr(out, "Set-Cookie: [cxrec:"));
	/* Everything else as it was. */
	ck_assert_ptr_nonnull(strstr(out, "POST /v1/responses HTTP/1.1\r\n"
	    "Host: api.openai.com\r\n"));
	ck_assert_ptr_nonnull(strstr(out, "Content-Length: 2\r\n\r\n{}"
	    "HTTP/1.1 200 OK\r\n"));
	for (size_t i = 0; i < strlen(req); i++)
		if (req[i] == '\r' || req[i] == '\n')
			ck_assert_int_eq(out[i], req[i]);
	free(out);
}
END_TEST

START_TEST(fingerprints)
{
	const char *a = "GET / HTTP/1.1\r\nAuthorization: Bearer "
	    "sk-aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa\r\n\r\n";
	const char *b = "GET / HTTP/1.1\r\nAUTHORIZATION: Bearer "
	    "sk-bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb\r\n\r\n";
	char *x = run(a, 1000), *y = run(a, 1000), *z = run(b, 1000);
	const char *fx = strstr(x, "[cxrec:"), *fz = strstr(z, "[cxrec:");

	ck_assert_str_eq(x, y);
	ck_assert_ptr_nonnull(fx);
	ck_assert_ptr_nonnull(fz);
	ck_assert(memcmp(fx, fz, CX_SRCREDACT_MARK_LEN) != 0);
	ck_assert_int_eq(fx[CX_SRCREDACT_MARK_LEN - 1], ']');
	free(x);
	free(y);
	free(z);
}
END_TEST

/* Split anywhere: no byte of a secret ever comes through. */
START_TEST(split_anywhere)
{
	for (size_t step = 1; step <= 64; step++) {
		char *out = run(req, step);

		ck_assert_uint_eq(strlen(out), strlen(req));
		ck_assert_ptr_null(strstr(out, "sk-proj"));
		ck_assert_ptr_null(strstr(out, "0123456789abcdefghij"));
		ck_assert_ptr_null(strstr(out, "s3cr3t"));
		ck_assert_ptr_null(strstr(out, "another-secret"));
		ck_assert_ptr_nonnull(strstr(out, "Content-Length: 2\r\n"));
		free(out);
	}
}
END_TEST

START_TEST(not_headers)
{
	const char *in = "GET /authorization: HTTP/1.1\r\n"
	    "X-Authorization-Hint: visible\r\n"
	    "Cookies: visible-too\r\n\r\n"
	    "data: {\"cookie\": \"x\"}\n\n";
	char *out = run(in, 7);

	ck_assert_str_eq(out, in);
	free(out);
}
END_TEST

/* Command lines: headers inside arguments, --cookie and --user. */
START_TEST(args)
{
	char a[] = "Authorization: Bearer sk-proj-0123456789abcdefghijklmnop";
	char b[] = "curl -H 'Cookie: sid=s3cr3t-0123456789abcdefghij' "
	    "--cookie \"k=v-s3cr3t\" --user=bob:s3cr3t https://x/ "
	    "-H 'Accept: text/plain'";
	char c[] = "git checkout -b cookies --users x-api-key";

	ck_assert_uint_eq(cx_srcredact_arg(&key, a, NULL), 1);
	ck_assert_ptr_nonnull(strstr(a, "Authorization: Bearer [cxrec:"));
	ck_assert_ptr_null(strstr(a, "sk-proj"));
	ck_assert_uint_eq(cx_srcredact_arg(&key, b, NULL), 3);
	ck_assert_ptr_null(strstr(b, "s3cr3t"));
	ck_assert_ptr_nonnull(strstr(b, " https://x/ -H 'Accept: text/plain'"));
	ck_assert_uint_eq(cx_srcredact_arg(&key, c, NULL), 0);
	ck_assert_str_eq(c, "git checkout -b cookies --users x-api-key");
}
END_TEST

/* Separate arguments: "--cookie" "VALUE", and "-HCookie: v". */
START_TEST(argv_pairs)
{
	char v[] = "sid=s3cr3t-value", u[] = "alice:hunter2pass", h[] =
	    "-HCookie: sid=s3cr3t", n[] = "origin";

	ck_assert_uint_eq(cx_srcredact_arg(&key, v, "--cookie"), 1);
	ck_assert_str_eq(v, "****************");
	ck_assert_uint_eq(cx_srcredact_arg(&key, u, "--proxy-user"), 1);
	ck_assert_ptr_null(strstr(u, "hunter2"));
	ck_assert_uint_eq(cx_srcredact_arg(&key, h, "curl"), 1);
	ck_assert_str_eq(h, "-HCookie: **********");
	ck_assert_uint_eq(cx_srcredact_arg(&key, n, "-u"), 0);
	ck_assert_str_eq(n, "origin");
}
END_TEST

/* What a reviewer found getting through, and HTTP/2. */
START_TEST(edges)
{
	const char *cases[] = {
		/* obs-fold continuation lines */
		"GET / HTTP/1.1\r\nCookie: a=1\r\n\tsession=s3cr3t\r\n\r\n",
		"GET / HTTP/1.1\r\nCookie:\r\n s3cr3t\r\n\r\n",
		/* blanks before the colon */
		"GET / HTTP/1.1\r\nCookie : session=s3cr3t\r\n\r\n",
		/* no scheme, a trailing blank; a token, a tab */
		"GET / HTTP/1.1\r\nAuthorization: sk-s3cr3t \r\n\r\n",
		"GET / HTTP/1.1\r\nAuthorization: sk-s3cr3t\tx\r\n\r\n",
		/* a bare CR inside the value */
		"GET / HTTP/1.1\r\nCookie: a\rs3cr3t\r\n\r\n",
	};

	for (size_t c = 0; c < sizeof(cases) / sizeof(*cases); c++)
		for (size_t step = 1; step <= 40; step++) {
			char *out = run(cases[c], step);

			if (strstr(out, "s3cr3t") != NULL)
				ck_abort_msg("case %zu, step %zu: %s", c, step,
				    out);
			ck_assert_uint_eq(strlen(out), strlen(cases[c]));
			free(out);
		}
}
END_TEST

/* A connection: HTTP/2 seen one way stops both, said once. */
START_TEST(conn_h2)
{
	static const char head[] = "GET / HTTP/1.1\r\nUpgrade: h2c\r\n"
	    "HTTP2-Settings: AAMAAABk\r\n\r\n";
	struct cx_srcredact_conn c;
	uint8_t out[64];

	memset(&c, 0, sizeof(c));
	ck_assert_int_eq(cx_srcredact_conn(&c, 0, &key, (const uint8_t *)head,
	    sizeof(head) - 1, out), 0);
	ck_assert_int_eq(cx_srcredact_conn(&c, 1, &key, (const uint8_t *)
	    "HTTP/1.1 101 Switching Protocols\r\n", 34, out),
	    CX_SRCREDACT_DROP);
	ck_assert_int_eq(cx_srcredact_conn(&c, 0, &key, (const uint8_t *)"PRI",
	    3, out), CX_SRCREDACT_DROPPED);
	ck_assert_int_eq(cx_srcredact_conn(&c, 1, &key, (const uint8_t *)"x",
	    1, out), CX_SRCREDACT_DROPPED);
}
END_TEST

START_TEST(http2_dropped)
{
	const char pre[] = "PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n\x00\x00";
	struct cx_srcredact s;
	uint8_t out[64];

	cx_srcredact_init(&s);
	ck_assert_int_eq(cx_srcredact(&s, &key, (const uint8_t *)pre, 8, out),
	    0);
	ck_assert_int_eq(cx_srcredact(&s, &key, (const uint8_t *)pre + 8,
	    sizeof(pre) - 9, out), CX_SRCREDACT_DROP);
	ck_assert(cx_srcredact_h2(&s));
	ck_assert_int_eq(cx_srcredact(&s, &key, (const uint8_t *)"x", 1, out),
	    CX_SRCREDACT_DROP);
	/* An h2c upgrade: the head is scanned, what follows dropped. */
	cx_srcredact_init(&s);
	ck_assert_int_eq(cx_srcredact(&s, &key, (const uint8_t *)"GET / "
	    "HTTP/1.1\r\nUpgrade: h2c\r\nHTTP2-Settings: AAMAAABk\r\n\r\n",
	    58, out), 0);
	ck_assert(cx_srcredact_h2(&s));
	ck_assert_int_eq(cx_srcredact(&s, &key, (const uint8_t *)"PRI", 3,
	    out), CX_SRCREDACT_DROP);
	/* Not at the start: an ordinary line. */
	cx_srcredact_init(&s);
	ck_assert_int_eq(cx_srcredact(&s, &key, (const uint8_t *)"GET /\r\n"
	    "PRI * HTTP/2.0\r\n", 23, out), 0);
	ck_assert(!cx_srcredact_h2(&s));
}
END_TEST

/* decode shows a fingerprint as it is. */
START_TEST(decode_keeps_fingerprint)
{
	struct cx_buf b;

	cx_buf_init(&b, 0);
	cx_redact_header(&b, "Authorization",
	    "Bearer [cxrec:0011223344556677]*****");
	cx_buf_addc(&b, '\0');
	ck_assert_str_eq((char *)b.p, "Bearer [cxrec:0011223344556677]*****");
	/* Only that exact form: a secret that starts like it is redacted. */
	cx_buf_free(&b);
	cx_buf_init(&b, 0);
	cx_redact_header(&b, "Authorization",
	    "Bearer [cxrec:sk-proj-0123456789abcdefghijklmnopqrstuvwxyz");
	cx_buf_addc(&b, '\0');
	ck_assert_ptr_null(strstr((char *)b.p, "0123456789abcdefghij"));
	cx_buf_free(&b);
}
END_TEST

/* A Google API key: "AIza" and 35 more. */
#define GKEY    "AIzaSyA1b2C3d4E5f6G7h8I9j0K_lMnOpQrStUv"
#define GMID    "b2C3d4E5f6G7h8"         /* a piece of it */

static const char greq[] =
    "POST /v1beta/models/gemini-2.5-pro:streamGenerateContent?alt=sse&key="
    GKEY " HTTP/1.1\r\n"
    "Host: generativelanguage.googleapis.com\r\n"
    "x-goog-api-key: " GKEY "\r\n"
    "Content-Length: 2\r\n"
    "\r\n"
    "{}"
    "GET /v1beta/models?pageSize=50&Key=" GKEY "&access_token=ya29.tok"
    "&monkey=nut HTTP/1.1\r\n"
    "\r\n";

/* Gemini's key: in its header, and in the request line's query. */
START_TEST(google_key)
{
	char *out = run(greq, sizeof(greq));
	const char *q;

	ck_assert_uint_eq(strlen(out), strlen(greq));
	ck_assert_ptr_null(strstr(out, GMID));
	ck_assert_ptr_null(strstr(out, "ya29"));
	ck_assert_ptr_nonnull(strstr(out, "x-goog-api-key: [cxrec:"));
	/* Same length: framing and the rest of the line as they were. */
	q = strstr(out, ":streamGenerateContent?alt=sse&key=[cxrec:");
	ck_assert_ptr_nonnull(q);
	ck_assert_ptr_nonnull(strstr(q, "]***************"
	    " HTTP/1.1\r\nHost: generativelanguage.googleapis.com\r\n"));
	ck_assert_ptr_nonnull(strstr(out, "GET /v1beta/models?pageSize=50&Key="
	    "[cxrec:"));
	ck_assert_ptr_nonnull(strstr(out, "&access_token=********&monkey=nut "
	    "HTTP/1.1\r\n"));
	ck_assert_ptr_nonnull(strstr(out, "Content-Length: 2\r\n\r\n{}GET "));
	/* One key, one fingerprint, in the header and in the query. */
	q = strstr(out, "key=[cxrec:");
	ck_assert_ptr_nonnull(q);
	ck_assert_ptr_nonnull(strstr(out, "x-goog-api-key: ") );
	ck_assert(memcmp(q + 4, strstr(out, "x-goog-api-key: ") + 16,
	    CX_SRCREDACT_MARK_LEN) == 0);
	free(out);

	/* Split anywhere: no byte of the key comes through. */
	for (size_t step = 1; step <= 64; step++) {
		out = run(greq, step);
		ck_assert_uint_eq(strlen(out), strlen(greq));
		for (size_t i = 0; i + 6 <= strlen(GKEY); i++)
			if (memmem(out, strlen(out), GKEY + i, 6) != NULL &&
			    memmem(greq, strlen(greq), GKEY + i, 6) != NULL &&
			    i >= 4)
				ck_abort_msg("step %zu: %.6s came through: %s",
				    step, GKEY + i, out);
		ck_assert_ptr_null(strstr(out, "ya29"));
		ck_assert_ptr_nonnull(strstr(out, "&monkey=nut HTTP/1.1\r\n"));
		ck_assert_ptr_nonnull(strstr(out, "?alt=sse&key="));
		free(out);
	}
}
END_TEST

/* Request lines: only credential parameters' values, nothing else. */
START_TEST(request_lines)
{
	static const char *same[] = {
		"GET /v1/x?monkey=1&keys=2&alt=sse&key HTTP/1.1\r\n\r\n",
		"GET /v1/x?key=&token= HTTP/1.1\r\n\r\n",
		"GET /key=abc HTTP/1.1\r\n\r\n",
		"HTTP/1.1 200 OK\r\nLocation: /p?x=1\r\n\r\n",
		"GET /?monkey=a&Key_=b&?=c&&=d&a?keys=e HTTP/1.1\r\n",
	};
	static const struct {
		const char *in, *want;
	} cases[] = {
		{ "GET /?key=abc HTTP/1.1\r\n", "GET /?key=*** HTTP/1.1\r\n" },
		{ "GET  /?a=1&token=t&b=2\r\n", "GET  /?a=1&token=*&b=2\r\n" },
		{ "GET /?key=abc#f&key=x\n", "GET /?key=***#f&key=*\n" },
		/* Glued to the last request's body; anywhere in a line. */
		{ "{}GET /p?key=abcdef HTTP/1.1\r\n",
		    "{}GET /p?key=****** HTTP/1.1\r\n" },
		{ "{\"u\":\"https://h/?key=abc\",\"n\":1}",
		    "{\"u\":\"https://h/?key=***\",\"n\":1}" },
		{ "Referer: https://x/?access_token=abcd\r\n",
		    "Referer: https://x/?access_token=****\r\n" },
		{ "/p?a=b?key=zz&&token=[1]&", "/p?a=b?key=**&&token=***&" },
		{ "get /?KEY=a\tHTTP/1.1", "get /?KEY=*\tHTTP/1.1" },
		{ "GET /?a=%6b&key=v\rx", "GET /?a=%6b&key=*\rx" },
	};

	for (size_t c = 0; c < sizeof(same) / sizeof(*same); c++)
		for (size_t step = 1; step <= 16; step++) {
			char *out = run(same[c], step);

			ck_assert_str_eq(out, same[c]);
			free(out);
		}
	for (size_t c = 0; c < sizeof(cases) / sizeof(*cases); c++)
		for (size_t step = 1; step <= 16; step++) {
			char *out = run(cases[c].in, step);

			ck_assert_msg(strcmp(out, cases[c].want) == 0,
			    "case %zu step %zu: %s", c, step, out);
			free(out);
		}
}
END_TEST

/* Names an agent module adds, through the key. */
START_TEST(added_names)
{
	struct cx_credname names;
	struct cx_srcredact_key k = key;
	struct cx_srcredact s;
	const char in[] = "GET /p?sig=s3cr3t-sig&x=1 HTTP/1.1\r\n"
	    "X-Agent-Token: s3cr3t-token\r\n\r\n";
	uint8_t out[sizeof(in)];
	char arg[] = "curl -H 'X-Agent-Token: s3cr3t' 'https://h/p?sig=s3cr3t'";

	cx_credname_init(&names);
	ck_assert_int_eq(cx_credname_add_header(&names, "x-agent-token"), 0);
	ck_assert_int_eq(cx_credname_add_query(&names, "sig"), 0);
	/* Without them: nothing to hide. */
	cx_srcredact_init(&s);
	ck_assert_int_eq(cx_srcredact(&s, &key, (const uint8_t *)in,
	    sizeof(in) - 1, out), 0);
	k.names = &names;
	cx_srcredact_init(&s);
	ck_assert_int_eq(cx_srcredact(&s, &k, (const uint8_t *)in,
	    sizeof(in) - 1, out), 1);
	out[sizeof(in) - 1] = '\0';
	ck_assert_ptr_null(strstr((char *)out, "s3cr3t"));
	ck_assert_ptr_nonnull(strstr((char *)out, "?sig=**********&x=1 "));
	ck_assert_ptr_nonnull(strstr((char *)out, "X-Agent-Token: ****"));
	ck_assert_uint_eq(cx_srcredact_arg(&k, arg, NULL), 2);
	ck_assert_ptr_null(strstr(arg, "s3cr3t"));
}
END_TEST

/* Command lines: ?key=, key=, x-goog-api-key, a bare key. */
START_TEST(args_google)
{
	char a[] = "https://generativelanguage.googleapis.com/v1beta/models?"
	    "key=" GKEY "&pageSize=5";
	char b[] = "key=" GKEY;
	char c[] = "curl -H \"x-goog-api-key: " GKEY "\" 'https://h/?alt=sse"
	    "&token=abc' -d 'monkey=1'";
	char d[] = "monkey=" GKEY;
	char *r;

	ck_assert_uint_eq(cx_srcredact_arg(&key, a, NULL), 1);
	ck_assert_ptr_null(strstr(a, GMID));
	ck_assert_ptr_nonnull(strstr(a, "?key=[cxrec:"));
	ck_assert_ptr_nonnull(strstr(a, "]***************&pageSize=5"));
	ck_assert_uint_eq(cx_srcredact_arg(&key, b, NULL), 1);
	ck_assert_ptr_nonnull(strstr(b, "key=[cxrec:"));
	ck_assert_uint_eq(strlen(b), 4 + strlen(GKEY));
	ck_assert_uint_eq(cx_srcredact_arg(&key, c, NULL), 2);
	ck_assert_ptr_null(strstr(c, GMID));
	ck_assert_ptr_nonnull(strstr(c, "&token=***' -d 'monkey=1'"));
	ck_assert_uint_eq(cx_srcredact_arg(&key, d, NULL), 0);
	/* cx_redact_arg: then a bare key as decode shows one. */
	/* A route frame's target and URL: as in the stream. */
	{
		char t[] = "/v1beta/models?alt=sse&key=" GKEY "&token=ab#x";
		char u[] = "key=x&monkey=y?key=";
		char *out = run("GET /v1beta/models?alt=sse&key=" GKEY
		    "&token=ab#x HTTP/1.1\r\n", 1000);

		ck_assert_uint_eq(cx_srcredact_url(&key, t, strlen(t)), 2);
		ck_assert_ptr_nonnull(strstr(out, t));
		free(out);
		ck_assert_uint_eq(cx_srcredact_url(&key, u, strlen(u)), 0);
		ck_assert_str_eq(u, "key=x&monkey=y?key=");
	}
	r = cx_redact_arg(&key, "monkey=" GKEY, NULL);
	ck_assert_str_eq(r, "monkey=AIzaS...StUv");
	free(r);
	r = cx_redact_arg(&key, "--api-key", NULL);
	ck_assert_str_eq(r, "--api-key");
	free(r);
	r = cx_redact_arg(&key, GKEY, "--api-key");
	ck_assert_ptr_null(strstr(r, GMID));
	free(r);
}
END_TEST

START_TEST(key_new)
{
	struct cx_srcredact_key a, b;

	ck_assert_int_eq(cx_srcredact_key_new(&a), 0);
	ck_assert_int_eq(cx_srcredact_key_new(&b), 0);
	ck_assert(a.k0 != b.k0 || a.k1 != b.k1);
}
END_TEST

static Suite *
srcredact_suite(void)
{
	Suite *s = suite_create("srcredact");
	TCase *tc = tcase_create("srcredact");

	tcase_add_test(tc, siphash_vector);
	tcase_add_test(tc, replaced);
	tcase_add_test(tc, fingerprints);
	tcase_add_test(tc, split_anywhere);
	tcase_add_test(tc, not_headers);
	tcase_add_test(tc, args);
	tcase_add_test(tc, argv_pairs);
	tcase_add_test(tc, edges);
	tcase_add_test(tc, http2_dropped);
	tcase_add_test(tc, conn_h2);
	tcase_add_test(tc, decode_keeps_fingerprint);
	tcase_add_test(tc, key_new);
	tcase_add_test(tc, google_key);
	tcase_add_test(tc, request_lines);
	tcase_add_test(tc, added_names);
	tcase_add_test(tc, args_google);
	suite_add_tcase(s, tc);
	return s;
}

int
main(void)
{
	SRunner *sr = srunner_create(srcredact_suite());
	int failed;

	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
