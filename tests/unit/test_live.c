/*
 * test_live.c: the live view's messages (analyzer/live.c): a trace read
 * while it is written gives an exchange as `open` with its events so far,
 * again as it grows, then `done`; its END frame gives `end` and
 * CX_LIVE_DONE.  Traffic text is escaped in the HTML; no message carries a
 * CR.  The server and the page in a browser: tests/integration/
 * view_live.sh.
 */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "live.h"
#include "trace.h"
#include "tracegen.h"

/* An event's line in an exchange's <article> (out_html_exchange.c). */
#define EVENT   "<li><span class=\"t\">"

static void
setup(void)
{
	tg_setup("live");
}

static double
now_ms(void)
{
	return (double)(cx_now_ns() - tg_info.monotonic_ns) / (double)MS;
}

/* Poll l until it waits (all read); the messages in out. */
static int
poll_all(struct cx_live *l, struct cx_buf *out)
{
	int rc;

	cx_buf_reset(out);
	while ((rc = cx_live_poll(l, out)) == CX_LIVE_MORE)
		;
	cx_buf_addc(out, '\0');
	return rc;
}

static size_t
count(const char *s, const char *what)
{
	size_t n = 0;

	for (; (s = strstr(s, what)) != NULL; s += strlen(what))
		n++;
	return n;
}

START_TEST(an_exchange_grows_then_settles)
{
	struct cx_writer *w = tg_create(tg_path);
	struct cx_live_opts o = { 0 };
	struct cx_live *l;
	struct cx_buf out;
	char err[256];
	const char *s;

	cx_buf_init(&out, 0);
	tg_json(w, CX_K_OPEN, 1, now_ms(), "{\"peer\":\"127.0.0.1:5\"}");
	tg_req(w, 1, now_ms(), "GET /stream HTTP/1.1\r\nHost: x\r\n"
	    "X-Note: <img src=x onerror=alert(1)>\r\n\r\n");
	tg_resp(w, 1, now_ms(), "HTTP/1.1 200 OK\r\nContent-Type: "
	    "text/event-stream\r\nTransfer-Encoding: chunked\r\n\r\n");
	tg_resp(w, 1, now_ms(), "f\r\ndata: {\"i\":1}\n\n\r\n");
	l = cx_live_open(tg_path, &o, err, sizeof(err));
	ck_assert_msg(l != NULL, "%s", err);

	ck_assert_int_eq(poll_all(l, &out), CX_LIVE_WAIT);
	s = (const char *)out.p;
	ck_assert_ptr_nonnull(strstr(s, "event: state\ndata: reading"));
	ck_assert_ptr_nonnull(strstr(s, "event: ex\ndata: 0 open\n"));
	ck_assert_uint_eq(count(s, EVENT), 1);
	ck_assert_ptr_nonnull(strstr(s, "&lt;img src=x"));
	ck_assert_ptr_null(strstr(s, "<img"));
	ck_assert_ptr_null(strchr(s, '\r'));
	ck_assert_ptr_null(strstr(s, "done"));

	/* Unchanged: nothing new.  A second event: sent again, after
	 * CX_LIVE_REFRESH_NS. */
	usleep(150 * 1000);
	ck_assert_int_eq(poll_all(l, &out), CX_LIVE_WAIT);
	ck_assert_ptr_null(strstr((const char *)out.p, "event: ex"));
	tg_resp(w, 1, now_ms(), "f\r\ndata: {\"i\":2}\n\n\r\n");
	usleep(150 * 1000);
	ck_assert_int_eq(poll_all(l, &out), CX_LIVE_WAIT);
	s = (const char *)out.p;
	ck_assert_ptr_nonnull(strstr(s, "event: ex\ndata: 0 open\n"));
	ck_assert_uint_eq(count(s, EVENT), 2);

	/* Complete, and the slack passed: done, with both events. */
	tg_resp(w, 1, now_ms(), "0\r\n\r\n");
	usleep(250 * 1000);
	ck_assert_int_eq(poll_all(l, &out), CX_LIVE_WAIT);
	s = (const char *)out.p;
	ck_assert_ptr_nonnull(strstr(s, "event: ex\ndata: 0 done\n"));
	ck_assert_uint_eq(count(s, EVENT), 2);
	ck_assert_ptr_nonnull(strstr(s, "id=\"exchange-1\""));

	/* The writer closes the trace: the end, and nothing after. */
	ck_assert_int_eq(cx_writer_end(w, CX_SRC_RELAY), 0);
	cx_writer_close(w);
	ck_assert_int_eq(poll_all(l, &out), CX_LIVE_DONE);
	ck_assert_ptr_nonnull(strstr((const char *)out.p,
	    "event: end\ndata: the trace is closed"));
	ck_assert_int_eq(poll_all(l, &out), CX_LIVE_DONE);
	ck_assert_uint_eq(out.len, 1);
	cx_live_free(l);
	cx_buf_free(&out);
}
END_TEST

START_TEST(not_a_trace)
{
	struct cx_live_opts o = { 0 };
	char err[256] = "";
	FILE *f = fopen(tg_path, "w");

	fputs("not a trace\n", f);
	fclose(f);
	ck_assert_ptr_null(cx_live_open(tg_path, &o, err, sizeof(err)));
	ck_assert_ptr_nonnull(strstr(err, tg_path));
	ck_assert_ptr_null(strchr(err, '\n'));
}
END_TEST

/* The page: its one script, its own connections only, no markup from
 * the path it names. */
START_TEST(page)
{
	char *p = NULL;
	size_t n = 0;
	FILE *f = open_memstream(&p, &n);

	cx_live_page(f, "/tmp/<script>x</script>.bin");
	fclose(f);
	ck_assert_ptr_nonnull(strstr(p, "connect-src 'self'"));
	ck_assert_ptr_nonnull(strstr(p, "script-src 'sha256-"));
	ck_assert_uint_eq(count(p, "<script>"), 1);
	ck_assert_ptr_nonnull(strstr(p, "&lt;script&gt;x"));
	ck_assert_ptr_nonnull(strstr(p, "new EventSource('events')"));
	free(p);
}
END_TEST

static Suite *
live_suite(void)
{
	Suite *s = suite_create("live");
	TCase *tc = tcase_create("core");

	tcase_add_checked_fixture(tc, setup, tg_teardown);
	tcase_set_timeout(tc, 30);
	tcase_add_test(tc, an_exchange_grows_then_settles);
	tcase_add_test(tc, not_a_trace);
	tcase_add_test(tc, page);
	suite_add_tcase(s, tc);
	return s;
}

int
main(void)
{
	SRunner *sr = srunner_create(live_suite());
	int failed;

	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
