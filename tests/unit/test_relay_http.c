/* test_relay_http.c: the relay's HTTP head parsing and body framing
 * (relay/relay_http.c). */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "relay_http.h"

static struct rh_head h;

#define REQ(s) rh_parse_request((const uint8_t *)(s), strlen(s), &h)

START_TEST(test_request_head)
{
	const char *s = "POST /v1/responses?x=1 HTTP/1.1\r\nHost: 127.0.0.1:9\r\n"
	    "Content-Length: 12\r\nConnection: keep-alive\r\n\r\nbody";
	int n = REQ(s);

	ck_assert_int_eq(n, (int)(strstr(s, "body") - s));
	ck_assert_int_eq(h.method.len, 4);
	ck_assert(memcmp(s + h.target.off, "/v1/responses?x=1", h.target.len) == 0);
	ck_assert_int_eq(h.minor, 1);
	ck_assert_int_eq(h.content_length, 12);
	ck_assert_int_eq(h.chunked, 0);
	ck_assert_int_eq(h.conn_close, 0);
	ck_assert_int_eq(h.nheaders, 3);
	ck_assert(rh_header_is((const uint8_t *)s, &h.headers[0], "HOST"));
	ck_assert(memcmp(s + h.headers[0].value.off, "127.0.0.1:9", 11) == 0);
}
END_TEST

START_TEST(test_request_incomplete_and_bad)
{
	ck_assert_int_eq(REQ("GET / HTTP/1.1\r\nHost: x\r\n"), RH_MORE);
	ck_assert_int_eq(REQ("GET / HTTP/1.1\r\nHost: x\r\n\r\n") > 0, 1);
	ck_assert_int_eq(REQ("GARBAGE\r\n\r\n"), RH_BAD);
	ck_assert_int_eq(REQ("GET / HTTP/2.0\r\n\r\n"), RH_BAD);
	ck_assert_int_eq(REQ("GET  / HTTP/1.1\r\n\r\n"), RH_BAD);
	ck_assert_int_eq(REQ("GET / HTTP/1.1\r\nNo colon\r\n\r\n"), RH_BAD);
	ck_assert_int_eq(REQ("GET / HTTP/1.1\r\nA : b\r\n\r\n"), RH_BAD);
	ck_assert_int_eq(REQ("GET / HTTP/1.1\r\nA: b\r\n folded\r\n\r\n"), RH_BAD);
	ck_assert_int_eq(REQ("POST / HTTP/1.1\r\nContent-Length: 1\r\n"
	    "Transfer-Encoding: chunked\r\n\r\n"), RH_BAD);
	ck_assert_int_eq(REQ("POST / HTTP/1.1\r\nContent-Length: 1\r\n"
	    "Content-Length: 2\r\n\r\n"), RH_BAD);
	ck_assert_int_eq(REQ("POST / HTTP/1.1\r\nContent-Length: -1\r\n\r\n"),
	    RH_BAD);
	ck_assert_int_eq(REQ("POST / HTTP/1.1\r\nTransfer-Encoding: gzip\r\n\r\n"),
	    RH_BAD);
	/* Binary junk is refused before a whole head arrives. */
	ck_assert_int_eq(REQ("\x16\x03\x01\x02"), RH_BAD);
	/* HTTP/1.0 closes unless asked to keep alive. */
	ck_assert_int_gt(REQ("GET / HTTP/1.0\r\n\r\n"), 0);
	ck_assert_int_eq(h.conn_close, 1);
	ck_assert_int_gt(REQ("GET / HTTP/1.0\r\nConnection: Keep-Alive\r\n\r\n"), 0);
	ck_assert_int_eq(h.conn_close, 0);
}
END_TEST

START_TEST(test_head_too_large)
{
	size_t n = RH_MAX_HEAD + 100;
	char *s = malloc(n + 1);

	memcpy(s, "GET / HTTP/1.1\r\nX: ", 19);
	memset(s + 19, 'a', n - 19);
	s[n] = '\0';
	ck_assert_int_eq(REQ(s), RH_TOO_LARGE);
	memcpy(s + n - 4, "\r\n\r\n", 4);
	ck_assert_int_eq(REQ(s), RH_TOO_LARGE);
	free(s);
}
END_TEST

START_TEST(test_response_head)
{
	const char *s = "HTTP/1.1 200 OK\r\nContent-Type: text/event-stream\r\n"
	    "Transfer-Encoding: chunked\r\n\r\n";

	ck_assert_int_eq(rh_parse_response((const uint8_t *)s, strlen(s), &h),
	    (int)strlen(s));
	ck_assert_int_eq(h.status, 200);
	ck_assert_int_eq(h.chunked, 1);
	s = "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\n"
	    "Connection: Upgrade\r\n\r\n";
	ck_assert_int_gt(rh_parse_response((const uint8_t *)s, strlen(s), &h), 0);
	ck_assert_int_eq(h.status, 101);
	ck_assert_int_eq(h.upgrade, 1);
	s = "HTTP/1.1 204\r\n\r\n";     /* no reason phrase */
	ck_assert_int_gt(rh_parse_response((const uint8_t *)s, strlen(s), &h), 0);
	ck_assert_int_eq(h.status, 204);
	s = "HTTX/1.1 200 OK\r\n\r\n";
	ck_assert_int_eq(rh_parse_response((const uint8_t *)s, strlen(s), &h),
	    RH_BAD);
}
END_TEST

/* Feed a chunked body split at every point; the end is found exactly. */
START_TEST(test_chunked_every_split)
{
	const char *body = "5;ext=1\r\nhello\r\n1a\r\nabcdefghijklmnopqrstuvwxyz\r\n"
	    "0\r\nTrailer: x\r\n\r\n";
	const char *next = "GET /next HTTP/1.1\r\n\r\n";
	char all[256];
	size_t bl = strlen(body);

	snprintf(all, sizeof(all), "%s%s", body, next);
	size_t n = strlen(all);
	for (size_t cut = 0; cut <= n; cut++) {
		struct rh_body b;
		size_t used = 0;

		rh_body_init(&b, RH_BODY_CHUNKED, 0);
		used += rh_body_feed(&b, (const uint8_t *)all, cut);
		if (!b.done)
			used += rh_body_feed(&b, (const uint8_t *)all + used,
			    n - used);
		ck_assert_msg(b.done && !b.bad, "cut %zu", cut);
		ck_assert_uint_eq(used, bl);
	}
}
END_TEST

START_TEST(test_chunked_bad)
{
	const char *bad[] = { "x\r\n", "5\r\nhelloXX", "5\nhello\r\n",
	    "fffffffffffffffff\r\n" };
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		struct rh_body b;
		rh_body_init(&b, RH_BODY_CHUNKED, 0);
		rh_body_feed(&b, (const uint8_t *)bad[i], strlen(bad[i]));
		ck_assert_msg(b.bad, "%s", bad[i]);
	}
}
END_TEST

START_TEST(test_length_body)
{
	struct rh_body b;

	rh_body_init(&b, RH_BODY_LENGTH, 10);
	ck_assert_uint_eq(rh_body_feed(&b, (const uint8_t *)"12345", 5), 5);
	ck_assert(!b.done);
	ck_assert_uint_eq(rh_body_feed(&b, (const uint8_t *)"67890NEXT", 9), 5);
	ck_assert(b.done);
	rh_body_init(&b, RH_BODY_LENGTH, 0);
	ck_assert(b.done);
}
END_TEST

static Suite *
suite(void)
{
	Suite *s = suite_create("relay_http");
	TCase *tc = tcase_create("core");

	tcase_add_test(tc, test_request_head);
	tcase_add_test(tc, test_request_incomplete_and_bad);
	tcase_add_test(tc, test_head_too_large);
	tcase_add_test(tc, test_response_head);
	tcase_add_test(tc, test_chunked_every_split);
	tcase_add_test(tc, test_chunked_bad);
	tcase_add_test(tc, test_length_body);
	suite_add_tcase(s, tc);
	return s;
}

int
main(void)
{
	SRunner *sr = srunner_create(suite());
	int failed;

	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
