/* test_exchange.c: the analysis of exchanges (analyzer/exchange.c), streamed:
 * start order kept, memory bounded. */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "exchange.h"
#include "trace.h"
#include "tracegen.h"

static uint64_t got[4096];
static size_t ngot;

static void
collect(void *arg, struct cx_exchange *ex)
{
	(void)arg;
	ck_assert_uint_lt(ngot, 4096);
	got[ngot++] = ex->conn;
	/* numbered in the order handed over */
	ck_assert_uint_eq(ex->id, ngot);
}

#define REQ "GET / HTTP/1.1\r\nHost: x\r\n\r\n"
#define RESP "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok"

/* A long exchange started first and ending last still comes out first. */
START_TEST(test_start_order)
{
	struct cx_analysis *a = cx_analysis_new(&tg_info);

	ngot = 0;
	cx_analysis_stream(a, collect, NULL);
	tg_feed(a, CX_DIR_REQ, 1, 0, REQ);
	tg_feed(a, CX_DIR_RESP, 1, 1, "HTTP/1.1 200 OK\r\nContent-Length: 4\r\n\r\nab");
	for (int i = 0; i < 300; i++) {     /* short ones meanwhile */
		tg_feed(a, CX_DIR_REQ, 100 + (uint64_t)i, 10 + i * 100.0, REQ);
		tg_feed(a, CX_DIR_RESP, 100 + (uint64_t)i, 11 + i * 100.0, RESP);
	}
	ck_assert_uint_eq(ngot, 0);     /* all wait behind conn 1 */
	tg_feed(a, CX_DIR_RESP, 1, 40000, "cd");
	for (int i = 0; i < 300; i++)   /* frames to move time on */
		tg_feed(a, CX_DIR_REQ, 9999, 40000 + i * 20.0, "");
	ck_assert_uint_gt(ngot, 250);
	cx_analysis_finish(a);
	ck_assert_uint_eq(ngot, 301);
	ck_assert_uint_eq(got[0], 1);
	for (size_t i = 1; i < ngot; i++)
		ck_assert_uint_eq(got[i], 100 + i - 1);
	cx_analysis_free(a);
}
END_TEST

/* Sequential exchanges: only a few are ever held. */
START_TEST(test_memory_bounded)
{
	struct cx_analysis *a = cx_analysis_new(&tg_info);
	size_t most = 0;

	ngot = 0;
	cx_analysis_stream(a, collect, NULL);
	for (int i = 0; i < 3000; i++) {
		tg_feed(a, CX_DIR_REQ, 1 + (uint64_t)i, i * 50.0, REQ);
		tg_feed(a, CX_DIR_RESP, 1 + (uint64_t)i, i * 50.0 + 5, RESP);
		if (cx_analysis_result(a)->nex > most)
			most = cx_analysis_result(a)->nex;
	}
	cx_analysis_finish(a);
	ck_assert_uint_lt(most, 200);   /* 2 s of slack at 20/s, plus a flush */
	ck_assert_uint_eq(ngot, 3000);
	for (size_t i = 0; i < ngot; i++)
		ck_assert_uint_eq(got[i], i + 1);
	cx_analysis_free(a);
}
END_TEST

int
main(void)
{
	Suite *s = suite_create("exchange");
	TCase *tc = tcase_create("core");
	SRunner *sr;
	int failed;

	tg_info.monotonic_ns = 1000000000;
	tg_info.realtime_ns = 1700000000LL * 1000000000;
	tcase_add_test(tc, test_start_order);
	tcase_add_test(tc, test_memory_bounded);
	suite_add_tcase(s, tc);
	sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
