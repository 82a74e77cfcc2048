/*
 * test_http.c: the incremental HTTP/1.1 parser (analyzer/http.c), fed
 * every possible split of requests and responses, and the content decoders
 * (analyzer/body.c).
 */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <zlib.h>
#include <zstd.h>

#include "body.h"
#include "bytebuf.h"
#include "http.h"

/* Everything the parser reported, as one string (body runs merged). */
struct log {
	struct cx_buf    out;
	struct cx_buf    body;
	int              modes[16];     /* head's answer for message i */
	int              nmsg;
};

static void
flush_body(struct log *l)
{
	if (l->body.len == 0)
		return;
	cx_buf_adds(&l->out, "D:");
	cx_buf_add(&l->out, l->body.p, l->body.len);
	cx_buf_adds(&l->out, "|");
	cx_buf_reset(&l->body);
}

static int
on_begin(void *arg)
{
	struct log *l = arg;

	flush_body(l);
	cx_buf_adds(&l->out, "B|");
	return 0;
}

static void
log_fields(struct log *l, const struct cx_http_field *f, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		cx_buf_adds(&l->out, f[i].name);
		cx_buf_adds(&l->out, "=");
		cx_buf_adds(&l->out, f[i].value);
		cx_buf_adds(&l->out, ";");
	}
}

static int
on_head(void *arg, const struct cx_http_head *h)
{
	struct log *l = arg;
	char tmp[64];

	flush_body(l);
	if (h->method != NULL) {
		cx_buf_adds(&l->out, "H:");
		cx_buf_adds(&l->out, h->method);
		cx_buf_adds(&l->out, " ");
		cx_buf_adds(&l->out, h->target);
	} else {
		snprintf(tmp, sizeof(tmp), "H:%d ", h->status);
		cx_buf_adds(&l->out, tmp);
		cx_buf_adds(&l->out, h->reason);
	}
	snprintf(tmp, sizeof(tmp), " v%d ", h->version);
	cx_buf_adds(&l->out, tmp);
	log_fields(l, h->fields, h->nfields);
	cx_buf_adds(&l->out, "|");
	return l->nmsg < 16 ? l->modes[l->nmsg] : 0;
}

static int
on_body(void *arg, const uint8_t *p, size_t n)
{
	struct log *l = arg;

	if (n == 0)
		ck_abort_msg("an empty body callback");
	cx_buf_add(&l->body, p, n);
	return 0;
}

static int
on_trailers(void *arg, const struct cx_http_field *f, size_t n)
{
	struct log *l = arg;

	flush_body(l);
	cx_buf_adds(&l->out, "T:");
	log_fields(l, f, n);
	cx_buf_adds(&l->out, "|");
	return 0;
}

static int
on_end(void *arg)
{
	struct log *l = arg;

	flush_body(l);
	cx_buf_adds(&l->out, "E|");
	l->nmsg++;
	return 0;
}

static const struct cx_http_cb cb = {
	on_begin, on_head, on_body, on_trailers, on_end, NULL,
};

static void
log_init(struct log *l, const int *modes, int nmodes)
{
	memset(l, 0, sizeof(*l));
	cx_buf_init(&l->out, 0);
	cx_buf_init(&l->body, 0);
	for (int i = 0; i < nmodes && i < 16; i++)
		l->modes[i] = modes[i];
}

static void
log_free(struct log *l)
{
	cx_buf_free(&l->out);
	cx_buf_free(&l->body);
}

/*
 * Feed msg cut at the given points; returns the log (malloc'd) with
 * "EOF:0|" or "EOF:-1|" appended when eof is set.
 */
static char *
parse(enum cx_http_kind kind, const char *msg, size_t len, const size_t *cuts,
    int ncuts, const int *modes, int nmodes, int eof, int *rc)
{
	struct log l;
	struct cx_http *h;
	size_t from = 0;
	char *s;

	log_init(&l, modes, nmodes);
	h = cx_http_new(kind, &cb, &l);
	*rc = 0;
	for (int i = 0; i <= ncuts; i++) {
		size_t to = i < ncuts ? cuts[i] : len;

		if (cx_http_feed(h, (const uint8_t *)msg + from, to - from) == -1)
			*rc = -1;
		from = to;
	}
	if (eof) {
		int e = cx_http_eof(h);

		flush_body(&l);
		cx_buf_adds(&l.out, e == 0 ? "EOF:0|" : "EOF:-1|");
		if (e == -1)
			*rc = -1;
	}
	flush_body(&l);
	cx_http_free(h);
	s = cx_buf_take(&l.out);
	log_free(&l);
	return s;
}

/*
 * The log of msg fed whole must equal expect; then every split into two
 * pieces, every split into three (when short), and one byte at a time
 * must give the same log.
 */
static void
check_splits(enum cx_http_kind kind, const char *msg, const int *modes,
    int nmodes, int eof, const char *expect, int expect_rc)
{
	size_t len = strlen(msg), cuts[2];
	char *whole, *s;
	int rc;

	whole = parse(kind, msg, len, NULL, 0, modes, nmodes, eof, &rc);
	ck_assert_str_eq(whole, expect);
	ck_assert_int_eq(rc, expect_rc);
	for (size_t i = 0; i <= len; i++) {
		cuts[0] = i;
		s = parse(kind, msg, len, cuts, 1, modes, nmodes, eof, &rc);
		if (strcmp(s, whole) != 0)
			ck_abort_msg("split at %zu: %s", i, s);
		if (rc != expect_rc)
			ck_abort_msg("split at %zu: rc %d", i, rc);
		free(s);
	}
	/* Three pieces: every pair for short messages, a stride for longer
	 * ones (every first cut still meets many second cuts). */
	{
		size_t step = len <= 160 ? 1 : 5;

		for (size_t i = 0; i <= len; i++)
			for (size_t j = i + (i % step); j <= len; j += step) {
				cuts[0] = i;
				cuts[1] = j;
				s = parse(kind, msg, len, cuts, 2, modes, nmodes,
				    eof, &rc);
				if (strcmp(s, whole) != 0)
					ck_abort_msg("split at %zu,%zu: %s", i,
					    j, s);
				free(s);
			}
	}
	{
		size_t *all = malloc(sizeof(size_t) * (len + 1));

		for (size_t i = 0; i < len; i++)
			all[i] = i + 1;
		s = parse(kind, msg, len, all, (int)len, modes, nmodes, eof,
		    &rc);
		if (strcmp(s, whole) != 0)
			ck_abort_msg("bytewise: %s", s);
		free(s);
		free(all);
	}
	free(whole);
}

START_TEST(get_request)
{
	check_splits(CX_HTTP_REQUEST,
	    "GET /v1/models?client_version=1.0 HTTP/1.1\r\n"
	    "Host: 127.0.0.1:8080\r\n"
	    "Accept:  */*  \r\n"
	    "\r\n", NULL, 0, 1,
	    "B|H:GET /v1/models?client_version=1.0 v11 Host=127.0.0.1:8080;"
	    "Accept=*/*;|E|EOF:0|", 0);
}
END_TEST

START_TEST(post_content_length)
{
	check_splits(CX_HTTP_REQUEST,
	    "POST /v1/responses HTTP/1.1\r\n"
	    "Content-Type: application/json\r\n"
	    "Content-Length: 17\r\n"
	    "\r\n"
	    "{\"model\":\"gpt-5\"}", NULL, 0, 1,
	    "B|H:POST /v1/responses v11 Content-Type=application/json;"
	    "Content-Length=17;|D:{\"model\":\"gpt-5\"}|E|EOF:0|", 0);
}
END_TEST

START_TEST(chunked_extensions_trailers)
{
	check_splits(CX_HTTP_REQUEST,
	    "POST /up HTTP/1.1\r\n"
	    "Transfer-Encoding: gzip, chunked\r\n"
	    "\r\n"
	    "4;ext=1\r\nWiki\r\n"
	    "5 ; name=\"a;b\"\r\npedia\r\n"
	    "E\r\n in\r\n\r\nchunks.\r\n"
	    "0;last\r\n"
	    "X-Checksum: abc\r\n"
	    "X-Other: def\r\n"
	    "\r\n", NULL, 0, 1,
	    "B|H:POST /up v11 Transfer-Encoding=gzip, chunked;|"
	    "D:Wikipedia in\r\n\r\nchunks.|T:X-Checksum=abc;X-Other=def;|E|"
	    "EOF:0|", 0);
}
END_TEST

START_TEST(chunked_no_trailers_lf_only)
{
	/* Bare LF line ends are accepted, and upper-case hex. */
	check_splits(CX_HTTP_RESPONSE,
	    "HTTP/1.1 200 OK\n"
	    "Transfer-Encoding: chunked\n"
	    "\n"
	    "1A\nabcdefghijklmnopqrstuvwxyz\n"
	    "0\n\n", NULL, 0, 1,
	    "B|H:200 OK v11 Transfer-Encoding=chunked;|"
	    "D:abcdefghijklmnopqrstuvwxyz|E|EOF:0|", 0);
}
END_TEST

START_TEST(pipelined_pair)
{
	check_splits(CX_HTTP_REQUEST,
	    "POST /a HTTP/1.1\r\nContent-Length: 3\r\n\r\nabc"
	    "GET /b HTTP/1.1\r\nHost: x\r\n\r\n"
	    "\r\n"                      /* a stray empty line is skipped */
	    "POST /c HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n"
	    "2\r\nhi\r\n0\r\n\r\n", NULL, 0, 1,
	    "B|H:POST /a v11 Content-Length=3;|D:abc|E|"
	    "B|H:GET /b v11 Host=x;|E|"
	    "B|H:POST /c v11 Transfer-Encoding=chunked;|D:hi|E|EOF:0|", 0);
}
END_TEST

START_TEST(pipelined_responses)
{
	check_splits(CX_HTTP_RESPONSE,
	    "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok"
	    "HTTP/1.1 404 Not Found\r\nContent-Length: 0\r\n\r\n"
	    "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n"
	    "3\r\nabc\r\n0\r\n\r\n", NULL, 0, 1,
	    "B|H:200 OK v11 Content-Length=2;|D:ok|E|"
	    "B|H:404 Not Found v11 Content-Length=0;|E|"
	    "B|H:200 OK v11 Transfer-Encoding=chunked;|D:abc|E|EOF:0|", 0);
}
END_TEST

START_TEST(continue_interim)
{
	check_splits(CX_HTTP_RESPONSE,
	    "HTTP/1.1 100 Continue\r\n\r\n"
	    "HTTP/1.1 103 Early Hints\r\nLink: </s.css>\r\n\r\n"
	    "HTTP/1.1 201 Created\r\nContent-Length: 4\r\n\r\ndone", NULL, 0,
	    1,
	    "B|H:100 Continue v11 |E|"
	    "B|H:103 Early Hints v11 Link=</s.css>;|E|"
	    "B|H:201 Created v11 Content-Length=4;|D:done|E|EOF:0|", 0);
}
END_TEST

START_TEST(head_response)
{
	/* The caller says the first response answers HEAD: no body. */
	static const int modes[] = { CX_HTTP_BODY_NONE, CX_HTTP_BODY_AUTO };

	check_splits(CX_HTTP_RESPONSE,
	    "HTTP/1.1 200 OK\r\nContent-Length: 1234\r\n\r\n"
	    "HTTP/1.1 200 OK\r\nContent-Length: 1\r\n\r\nx", modes, 2, 1,
	    "B|H:200 OK v11 Content-Length=1234;|E|"
	    "B|H:200 OK v11 Content-Length=1;|D:x|E|EOF:0|", 0);
}
END_TEST

START_TEST(no_body_statuses)
{
	check_splits(CX_HTTP_RESPONSE,
	    "HTTP/1.1 204 No Content\r\nContent-Length: 10\r\n\r\n"
	    "HTTP/1.1 304 Not Modified\r\nTransfer-Encoding: chunked\r\n\r\n"
	    "HTTP/1.0 200\r\n\r\n", NULL, 0, 0,
	    "B|H:204 No Content v11 Content-Length=10;|E|"
	    "B|H:304 Not Modified v11 Transfer-Encoding=chunked;|E|"
	    "B|H:200  v10 |", 0);
}
END_TEST

START_TEST(until_close)
{
	check_splits(CX_HTTP_RESPONSE,
	    "HTTP/1.0 200 OK\r\nContent-Type: text/plain\r\n\r\n"
	    "all of this\r\nuntil close", NULL, 0, 1,
	    "B|H:200 OK v10 Content-Type=text/plain;|"
	    "D:all of this\r\nuntil close|E|EOF:0|", 0);
}
END_TEST

START_TEST(obs_fold)
{
	check_splits(CX_HTTP_REQUEST,
	    "GET / HTTP/1.1\r\nX-Long: one\r\n two\r\n\tthree \r\n"
	    "Y: \r\n\r\n", NULL, 0, 1,
	    "B|H:GET / v11 X-Long=one two three;Y=;|E|EOF:0|", 0);
}
END_TEST

START_TEST(switching_protocols)
{
	const char *msg = "HTTP/1.1 101 Switching Protocols\r\n"
	    "Upgrade: websocket\r\n\r\n\x81\x05hello";
	struct log l;
	struct cx_http *h;

	log_init(&l, NULL, 0);
	h = cx_http_new(CX_HTTP_RESPONSE, &cb, &l);
	ck_assert_int_eq(cx_http_feed(h, (const uint8_t *)msg, strlen(msg)),
	    0);
	ck_assert_int_eq(cx_http_eof(h), 0);
	flush_body(&l);
	ck_assert_str_eq((char *)l.out.p,
	    "B|H:101 Switching Protocols v11 Upgrade=websocket;|E|");
	ck_assert_uint_eq(cx_http_tunnel_bytes(h), 7);
	ck_assert_int_eq(cx_http_in_message(h), 0);
	cx_http_free(h);
	log_free(&l);
}
END_TEST

START_TEST(truncated_messages)
{
	check_splits(CX_HTTP_RESPONSE,
	    "HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\nabc", NULL, 0, 1,
	    "B|H:200 OK v11 Content-Length=10;|D:abc|EOF:-1|", -1);
	check_splits(CX_HTTP_RESPONSE,
	    "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nab",
	    NULL, 0, 1,
	    "B|H:200 OK v11 Transfer-Encoding=chunked;|D:ab|EOF:-1|", -1);
	check_splits(CX_HTTP_REQUEST, "POST /x HTTP/1.1\r\nHost: a", NULL, 0,
	    1, "B|EOF:-1|", -1);
}
END_TEST

START_TEST(eof_messages)
{
	struct cx_http *h = cx_http_new(CX_HTTP_RESPONSE, &cb, NULL);
	const char *m = "HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\nabc";
	struct log l;

	cx_http_free(h);
	log_init(&l, NULL, 0);
	h = cx_http_new(CX_HTTP_RESPONSE, &cb, &l);
	ck_assert_int_eq(cx_http_feed(h, (const uint8_t *)m, strlen(m)), 0);
	ck_assert_int_eq(cx_http_in_message(h), 1);
	ck_assert_int_eq(cx_http_eof(h), -1);
	ck_assert_str_eq(cx_http_error(h),
	    "the stream ended after 3 of 10 response body bytes");
	cx_http_free(h);
	log_free(&l);
}
END_TEST

/* Feed s whole; the parser must fail with an error containing want. */
static void
bad(enum cx_http_kind kind, const char *s, size_t len, const char *want)
{
	struct log l;
	struct cx_http *h;

	log_init(&l, NULL, 0);
	h = cx_http_new(kind, &cb, &l);
	ck_assert_int_eq(cx_http_feed(h, (const uint8_t *)s, len), -1);
	ck_assert_int_eq(cx_http_failed(h), 1);
	ck_assert_msg(strstr(cx_http_error(h), want) != NULL, "%s: got \"%s\"",
	    want, cx_http_error(h));
	/* Failed parsers ignore whatever follows. */
	ck_assert_int_eq(cx_http_feed(h, (const uint8_t *)"GET / HTTP/1.1\r\n"
	    "\r\n", 18), -1);
	ck_assert_uint_ge(cx_http_ignored_bytes(h), 18);
	cx_http_free(h);
	log_free(&l);
}

#define BAD(kind, s, want) bad(kind, s, sizeof(s) - 1, want)

START_TEST(bad_input)
{
	BAD(CX_HTTP_REQUEST, "\x16\x03\x01\x02\x00\x01\x00\x01\xfc\x03\x03\n",
	    "not an HTTP request line");
	BAD(CX_HTTP_REQUEST, "GET  / HTTP/1.1\r\n", "bad request target");
	BAD(CX_HTTP_REQUEST, "GET / HTTP/2.0\r\n", "not supported");
	BAD(CX_HTTP_REQUEST, "GET / HTTX/1.1\r\n", "bad HTTP version");
	BAD(CX_HTTP_REQUEST, "GET / HTTP/1.1\r\nBad Name: x\r\n",
	    "bad request header field");
	BAD(CX_HTTP_REQUEST, "GET / HTTP/1.1\r\n leading\r\n",
	    "starts with whitespace");
	BAD(CX_HTTP_REQUEST, "GET / HTTP/1.1\r\nA: x\0y\r\n", "NUL");
	BAD(CX_HTTP_REQUEST, "POST / HTTP/1.1\r\nContent-Length: 1\r\n"
	    "Content-Length: 2\r\n\r\n", "conflicting");
	bad(CX_HTTP_REQUEST, "POST / HTTP/1.1\r\nContent-Length: -1\r\n\r\n",
	    40, "bad request Content-Length");
	BAD(CX_HTTP_REQUEST, "POST / HTTP/1.1\r\nContent-Length: "
	    "99999999999999999999999\r\n\r\n", "too large");
	BAD(CX_HTTP_REQUEST, "POST / HTTP/1.1\r\nTransfer-Encoding: gzip\r\n"
	    "\r\n", "does not end with chunked");
	BAD(CX_HTTP_RESPONSE, "HTTP/1.1 2x0 OK\r\n",
	    "not an HTTP status line");
	BAD(CX_HTTP_RESPONSE, "<html>\n", "not an HTTP status line");
	BAD(CX_HTTP_RESPONSE, "HTTP/1.1 200 OK\r\nTransfer-Encoding: "
	    "chunked\r\n\r\nzz\r\n", "bad chunk size");
	BAD(CX_HTTP_RESPONSE, "HTTP/1.1 200 OK\r\nTransfer-Encoding: "
	    "chunked\r\n\r\n1\r\nab\r\n", "longer than its size");
	BAD(CX_HTTP_RESPONSE, "HTTP/1.1 200 OK\r\nTransfer-Encoding: "
	    "chunked\r\n\r\n10000000000000000\r\n", "too large");
}
END_TEST

START_TEST(limits)
{
	struct cx_buf b;
	char line[64];

	/* Too many fields. */
	cx_buf_init(&b, 0);
	cx_buf_adds(&b, "GET / HTTP/1.1\r\n");
	for (int i = 0; i <= CX_HTTP_MAX_FIELDS; i++) {
		snprintf(line, sizeof(line), "X-%d: v\r\n", i);
		cx_buf_adds(&b, line);
	}
	bad(CX_HTTP_REQUEST, (const char *)b.p, b.len, "more than 1024");
	/* A header block that never ends: refused at the limit, fed in
	 * small pieces so nothing is held past it. */
	{
		struct cx_http *h = cx_http_new(CX_HTTP_REQUEST, NULL, NULL);
		char chunk[4096];
		int rc = 0;
		size_t fed = 0;

		memset(chunk, 'a', sizeof(chunk));
		cx_http_feed(h, (const uint8_t *)"GET / HTTP/1.1\r\nX: ", 19);
		while (rc == 0 && fed < 4 * CX_HTTP_MAX_HEAD) {
			rc = cx_http_feed(h, (const uint8_t *)chunk,
			    sizeof(chunk));
			fed += sizeof(chunk);
		}
		ck_assert_int_eq(rc, -1);
		ck_assert_uint_le(fed, CX_HTTP_MAX_HEAD + sizeof(chunk));
		ck_assert_ptr_nonnull(strstr(cx_http_error(h), "longer than"));
		cx_http_free(h);
	}
	/* A chunk-size line with endless extensions. */
	{
		struct cx_http *h = cx_http_new(CX_HTTP_RESPONSE, NULL, NULL);
		const char *m = "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked"
		    "\r\n\r\n5;";
		char chunk[1000];
		int rc = 0;

		memset(chunk, 'x', sizeof(chunk));
		ck_assert_int_eq(cx_http_feed(h, (const uint8_t *)m,
		    strlen(m)), 0);
		for (int i = 0; i < 10 && rc == 0; i++)
			rc = cx_http_feed(h, (const uint8_t *)chunk,
			    sizeof(chunk));
		ck_assert_int_eq(rc, -1);
		ck_assert_ptr_nonnull(strstr(cx_http_error(h),
		    "chunk line longer"));
		cx_http_free(h);
	}
	cx_buf_free(&b);
}
END_TEST

/* Random bytes and damaged messages must never crash or hang. */
START_TEST(fuzz)
{
	static const char *seeds[] = {
		"POST /a HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n"
		"4;x\r\nWiki\r\n0\r\nT: 1\r\n\r\n",
		"HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\nhello"
		"HTTP/1.1 100 Continue\r\n\r\n",
	};
	unsigned seed = 12345;

	for (int round = 0; round < 3000; round++) {
		const char *s = seeds[round % 2];
		size_t len = strlen(s);
		uint8_t buf[256];
		struct cx_http *h;

		memcpy(buf, s, len);
		for (int k = 0; k < 1 + round % 4; k++) {
			seed = seed * 1103515245 + 12345;
			buf[(seed >> 8) % len] = (uint8_t)(seed >> 20);
		}
		if (round % 10 == 0)
			for (size_t i = 0; i < len; i++) {
				seed = seed * 1103515245 + 12345;
				buf[i] = (uint8_t)(seed >> 16);
			}
		h = cx_http_new(round % 2 ? CX_HTTP_RESPONSE : CX_HTTP_REQUEST,
		    NULL, NULL);
		for (size_t i = 0; i < len; ) {
			size_t n = 1 + (seed >> 4) % 7;

			if (n > len - i)
				n = len - i;
			cx_http_feed(h, buf + i, n);
			i += n;
		}
		cx_http_eof(h);
		cx_http_free(h);
	}
}
END_TEST

/* --- content decoding ---------------------------------------------------- */

static const char *sample =
    "{\"model\":\"gpt-5\",\"input\":[{\"role\":\"user\",\"content\":"
    "\"fix the failing test, fix the failing test, fix it\"}]}";

START_TEST(zstd_body)
{
	size_t n = strlen(sample), cap = ZSTD_compressBound(n);
	uint8_t *z = malloc(cap);
	size_t zn = ZSTD_compress(z, cap, sample, n, 3);
	struct cx_buf out;
	char err[200];
	int trunc;

	ck_assert(!ZSTD_isError(zn));
	cx_buf_init(&out, 0);
	ck_assert_int_eq(cx_decode_all("zstd", z, zn, 0, &out, &trunc, err,
	    sizeof(err)), 0);
	ck_assert_uint_eq(out.len, n);
	ck_assert_mem_eq(out.p, sample, n);
	ck_assert_int_eq(trunc, 0);
	/* Cut short: an error, with what came before it. */
	ck_assert_int_eq(cx_decode_all("zstd", z, zn - 3, 0, &out, &trunc,
	    err, sizeof(err)), -1);
	ck_assert_ptr_nonnull(strstr(err, "zstd"));
	/* The cap. */
	ck_assert_int_eq(cx_decode_all("zstd", z, zn, 10, &out, &trunc, err,
	    sizeof(err)), 0);
	ck_assert_uint_eq(out.len, 10);
	ck_assert_int_eq(trunc, 1);
	/* Garbage. */
	ck_assert_int_eq(cx_decode_all("zstd", (const uint8_t *)"garbage!", 8,
	    0, &out, &trunc, err, sizeof(err)), -1);
	cx_buf_free(&out);
	free(z);
}
END_TEST

static size_t
gzip_compress(const char *in, size_t n, uint8_t *out, size_t cap, int bits)
{
	z_stream z;

	memset(&z, 0, sizeof(z));
	ck_assert_int_eq(deflateInit2(&z, 6, Z_DEFLATED, bits, 8,
	    Z_DEFAULT_STRATEGY), Z_OK);
	z.next_in = (Bytef *)(uintptr_t)in;
	z.avail_in = (uInt)n;
	z.next_out = out;
	z.avail_out = (uInt)cap;
	ck_assert_int_eq(deflate(&z, Z_FINISH), Z_STREAM_END);
	deflateEnd(&z);
	return cap - z.avail_out;
}

static int
collect(void *arg, const uint8_t *p, size_t n)
{
	cx_buf_add(arg, p, n);
	return 0;
}

START_TEST(gzip_deflate_bodies)
{
	uint8_t z[1024], two[2048];
	size_t n = strlen(sample), zn;
	struct cx_buf out;
	char err[200];
	int trunc;

	cx_buf_init(&out, 0);
	/* gzip, fed one byte at a time through the incremental API. */
	zn = gzip_compress(sample, n, z, sizeof(z), 16 + 15);
	{
		struct cx_decoder *d = cx_decoder_new("gzip", 0);

		for (size_t i = 0; i < zn; i++)
			ck_assert_int_eq(cx_decoder_feed(d, z + i, 1, collect,
			    &out), 0);
		ck_assert_int_eq(cx_decoder_finish(d), 0);
		ck_assert_uint_eq(cx_decoder_total(d), n);
		cx_decoder_free(d);
		ck_assert_mem_eq(out.p, sample, n);
	}
	/* Two gzip members. */
	memcpy(two, z, zn);
	memcpy(two + zn, z, zn);
	ck_assert_int_eq(cx_decode_all("x-gzip", two, 2 * zn, 0, &out, &trunc,
	    err, sizeof(err)), 0);
	ck_assert_uint_eq(out.len, 2 * n);
	/* deflate, zlib-wrapped and raw. */
	zn = gzip_compress(sample, n, z, sizeof(z), 15);
	ck_assert_int_eq(cx_decode_all("deflate", z, zn, 0, &out, &trunc, err,
	    sizeof(err)), 0);
	ck_assert_mem_eq(out.p, sample, n);
	zn = gzip_compress(sample, n, z, sizeof(z), -15);
	ck_assert_int_eq(cx_decode_all("Deflate", z, zn, 0, &out, &trunc, err,
	    sizeof(err)), 0);
	ck_assert_mem_eq(out.p, sample, n);
	/* Corrupt and unsupported. */
	ck_assert_int_eq(cx_decode_all("gzip", (const uint8_t *)"\x1f\x8b\x08"
	    "\0\0\0\0\0\0\3garbage", 17, 0, &out, &trunc, err, sizeof(err)),
	    -1);
	ck_assert_ptr_nonnull(strstr(err, "gzip"));
	ck_assert_int_eq(cx_decode_all("compress", z, zn, 0, &out, &trunc,
	    err, sizeof(err)), -1);
	ck_assert_str_eq(err, "content encoding \"compress\" is not supported");
	ck_assert_int_eq(cx_decoder_supported("zstd"), 1);
	ck_assert_int_eq(cx_decoder_supported("identity"), 0);
	cx_buf_free(&out);
}
END_TEST

START_TEST(decompression_bomb)
{
	/* 64 MiB of zeros compress to almost nothing; a 1 MiB cap holds. */
	size_t n = 64u << 20, cap = ZSTD_compressBound(n);
	uint8_t *zeros = calloc(1, n), *z = malloc(cap);
	size_t zn = ZSTD_compress(z, cap, zeros, n, 1);
	struct cx_buf out;
	char err[200];
	int trunc;

	free(zeros);
	cx_buf_init(&out, 0);
	ck_assert_int_eq(cx_decode_all("zstd", z, zn, 1u << 20, &out, &trunc,
	    err, sizeof(err)), 0);
	ck_assert_uint_eq(out.len, 1u << 20);
	ck_assert_int_eq(trunc, 1);
	cx_buf_free(&out);
	free(z);
}
END_TEST

static Suite *
http_suite(void)
{
	Suite *s = suite_create("http");
	TCase *tc = tcase_create("parser");

	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, get_request);
	tcase_add_test(tc, post_content_length);
	tcase_add_test(tc, chunked_extensions_trailers);
	tcase_add_test(tc, chunked_no_trailers_lf_only);
	tcase_add_test(tc, pipelined_pair);
	tcase_add_test(tc, pipelined_responses);
	tcase_add_test(tc, continue_interim);
	tcase_add_test(tc, head_response);
	tcase_add_test(tc, no_body_statuses);
	tcase_add_test(tc, until_close);
	tcase_add_test(tc, obs_fold);
	tcase_add_test(tc, switching_protocols);
	tcase_add_test(tc, truncated_messages);
	tcase_add_test(tc, eof_messages);
	tcase_add_test(tc, bad_input);
	tcase_add_test(tc, limits);
	tcase_add_test(tc, fuzz);
	suite_add_tcase(s, tc);
	tc = tcase_create("body");
	tcase_add_test(tc, zstd_body);
	tcase_add_test(tc, gzip_deflate_bodies);
	tcase_add_test(tc, decompression_bomb);
	suite_add_tcase(s, tc);
	return s;
}

int
main(void)
{
	SRunner *sr = srunner_create(http_suite());
	int failed;

	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
