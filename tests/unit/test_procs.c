/*
 * test_procs.c: the process table and the join of the probe's connect
 * events with the relay's connections (analyzer/procs.c).
 */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "procs.h"

#define S       INT64_C(1000000000)

static struct {
	uint8_t          source;
	uint64_t         conn;
	uint32_t         pid, tid;
	char             comm[32];
	int              n;
} got;

static void
joined(void *arg, uint8_t source, uint64_t conn, uint32_t pid, uint32_t tid,
    const char *comm)
{
	(void)arg;
	got.source = source;
	got.conn = conn;
	got.pid = pid;
	got.tid = tid;
	snprintf(got.comm, sizeof(got.comm), "%s", comm ? comm : "");
	got.n++;
}

START_TEST(join_either_order)
{
	struct cx_procs *t = cx_procs_new(joined, NULL);

	memset(&got, 0, sizeof(got));
	/* open first, then the connect */
	cx_procs_open(t, 1, 77, "127.0.0.1:40000", "127.0.0.1:8080", 10 * S);
	ck_assert_int_eq(got.n, 0);
	cx_procs_connect(t, 42, 43, "codex", "127.0.0.1:40000",
	    "127.0.0.1:8080", 10 * S - 1000);
	ck_assert_int_eq(got.n, 1);
	ck_assert_uint_eq(got.conn, 77);
	ck_assert_uint_eq(got.pid, 42);
	ck_assert_uint_eq(got.tid, 43);
	ck_assert_str_eq(got.comm, "codex");
	/* connect first (the probe's frame written earlier) */
	cx_procs_connect(t, 50, 51, "curl", "127.0.0.1:40001",
	    "127.0.0.1:8080", 11 * S);
	ck_assert_int_eq(got.n, 1);
	cx_procs_open(t, 1, 78, "127.0.0.1:40001", "127.0.0.1:8080", 11 * S);
	ck_assert_int_eq(got.n, 2);
	ck_assert_uint_eq(got.conn, 78);
	ck_assert_uint_eq(got.pid, 50);
	/* each half is used once */
	cx_procs_open(t, 1, 79, "127.0.0.1:40001", "127.0.0.1:8080", 11 * S);
	ck_assert_int_eq(got.n, 2);
	cx_procs_free(t);
}
END_TEST

START_TEST(join_addresses_and_time)
{
	struct cx_procs *t = cx_procs_new(joined, NULL);

	memset(&got, 0, sizeof(got));
	/* a dual-stack relay sees an IPv4 client as IPv4-mapped IPv6 */
	cx_procs_open(t, 1, 5, "[::ffff:127.0.0.1]:40002", "[::ffff:127.0.0.1]:8080",
	    S);
	cx_procs_connect(t, 7, 7, "python3", "127.0.0.1:40002",
	    "127.0.0.1:8080", S);
	ck_assert_int_eq(got.n, 1);
	ck_assert_uint_eq(got.conn, 5);
	/* IPv6 stays IPv6 */
	cx_procs_open(t, 1, 6, "[::1]:40003", "[::1]:8080", S);
	cx_procs_connect(t, 8, 8, "curl", "[::1]:40003", "[::1]:8080", S);
	ck_assert_int_eq(got.n, 2);
	ck_assert_uint_eq(got.conn, 6);
	/* the same ports much later: a reused port, not this connection */
	cx_procs_open(t, 1, 9, "127.0.0.1:40004", "127.0.0.1:8080", S);
	cx_procs_connect(t, 9, 9, "x", "127.0.0.1:40004", "127.0.0.1:8080",
	    S + CX_PROCS_JOIN_NS + 1);
	ck_assert_int_eq(got.n, 2);
	/* the nearest in time wins */
	cx_procs_open(t, 1, 10, "127.0.0.1:40005", "127.0.0.1:8080", 100 * S);
	cx_procs_open(t, 1, 11, "127.0.0.1:40005", "127.0.0.1:8080", 110 * S);
	cx_procs_connect(t, 12, 12, "y", "127.0.0.1:40005", "127.0.0.1:8080",
	    109 * S);
	ck_assert_uint_eq(got.conn, 11);
	cx_procs_free(t);
}
END_TEST

START_TEST(table_and_tree)
{
	struct cx_procs *t = cx_procs_new(joined, NULL);
	struct cx_proc *p;

	ck_assert_ptr_null(cx_procs_get(t, 1));
	cx_procs_add(t, 100)->ppid = 1;
	cx_procs_add(t, 200)->ppid = 100;
	p = cx_procs_add(t, 300);
	p->ppid = 200;
	ck_assert_ptr_eq(cx_procs_add(t, 300), p);     /* found, not new */
	ck_assert_uint_eq(cx_procs_count(t), 3);
	ck_assert_uint_eq(cx_procs_at(t, 0)->pid, 100);
	ck_assert_int_eq(cx_procs_descends(t, 300, 100), 1);
	ck_assert_int_eq(cx_procs_descends(t, 300, 300), 1);
	ck_assert_int_eq(cx_procs_descends(t, 100, 300), 0);
	ck_assert_int_eq(cx_procs_descends(t, 999, 100), 0);
	/* a cycle in bad data ends */
	cx_procs_add(t, 100)->ppid = 300;
	ck_assert_int_eq(cx_procs_descends(t, 300, 4), 0);
	/* many processes: pointers stay valid */
	for (uint32_t i = 1000; i < 5000; i++)
		cx_procs_add(t, i);
	ck_assert_ptr_eq(cx_procs_get(t, 300), p);
	cx_procs_free(t);
}
END_TEST

int
main(void)
{
	Suite *s = suite_create("procs");
	TCase *tc = tcase_create("procs");
	SRunner *sr;
	int failed;

	tcase_add_test(tc, join_either_order);
	tcase_add_test(tc, join_addresses_and_time);
	tcase_add_test(tc, table_and_tree);
	suite_add_tcase(s, tc);
	sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
