/*
 * test_decode_follow.c: decode --follow (analyzer/decode_follow.c): an
 * exchange is written out while the trace is still being written, soon
 * after its last frame; following ends at the writer's END frame, after
 * --idle, or when stopped, and then decodes what the file holds as plain
 * decode would; formats that need the whole trace refuse.  The reader's
 * side (a growing file, torn frames): test_trace.c; the command line:
 * test_cmd_decode.c and tests/integration/decode_follow.sh.
 */
#include <check.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "decode.h"
#include "trace.h"
#include "tracegen.h"

static void
setup(void)
{
	tg_setup("decode_follow");
}

/* Milliseconds since tg_info's anchor: a frame stamped now. */
static double
now_ms(void)
{
	return (double)(cx_now_ns() - tg_info.monotonic_ns) / (double)MS;
}

static void
exchange(struct cx_writer *w, uint64_t conn, const char *path)
{
	char req[200];

	snprintf(req, sizeof(req), "GET %s HTTP/1.1\r\nHost: x\r\n\r\n", path);
	tg_req(w, conn, now_ms(), req);
	tg_resp(w, conn, now_ms(), "HTTP/1.1 200 OK\r\nContent-Type: "
	    "text/event-stream\r\nTransfer-Encoding: chunked\r\n\r\n");
	tg_resp(w, conn, now_ms(), "f\r\ndata: {\"i\":1}\n\n\r\n");
	tg_resp(w, conn, now_ms(), "0\r\n\r\n");
}

static void
no_warn(void *arg, const char *msg)
{
	(void)arg;
	ck_abort_msg("unexpected warning: %s", msg);
}

static void
add_warn(void *arg, const char *msg)
{
	struct tg_warnings *w = arg;
	size_t len = strlen(w->text);

	snprintf(w->text + len, sizeof(w->text) - len, "%s\n", msg);
	w->count++;
}

struct job {
	struct cx_decode_opts    opts;
	FILE                    *out;
	int                      rc;
	char                     err[300];
};

static void *
run_decode(void *arg)
{
	struct job *j = arg;

	j->rc = cx_decode(tg_path, &j->opts, j->out, j->err, sizeof(j->err));
	fclose(j->out);
	return NULL;
}

/* A line from fd within ms, or NULL at its end or on time out. */
static char *
read_line(int fd, int ms, char *buf, size_t cap)
{
	size_t n = 0;

	while (n + 1 < cap) {
		struct pollfd p = { fd, POLLIN, 0 };
		ssize_t k;

		if (poll(&p, 1, ms) != 1 || (k = read(fd, buf + n, 1)) != 1)
			return NULL;
		if (buf[n++] == '\n')
			break;
	}
	buf[n] = '\0';
	return buf;
}

/*
 * The trace still open (its connection too: keep-alive), an exchange is
 * on the pipe soon after its last frame; a second one too, in turn; the
 * END frame ends following, the summary line last.
 */
START_TEST(prints_while_the_trace_grows)
{
	struct cx_writer *w = tg_create(tg_path);
	struct job j = { 0 };
	char line[4096];
	pthread_t t;
	int fds[2];
	int64_t t0;

	tg_json(w, CX_K_OPEN, 1, now_ms(), "{\"peer\":\"127.0.0.1:5\"}");
	ck_assert_int_eq(pipe(fds), 0);
	j.out = fdopen(fds[1], "w");
	j.opts.format = "jsonl";
	j.opts.follow = 1;
	j.opts.warn = no_warn;
	ck_assert_int_eq(pthread_create(&t, NULL, run_decode, &j), 0);
	for (int i = 1; i <= 2; i++) {
		char path[20];

		snprintf(path, sizeof(path), "/ex%d", i);
		usleep(100 * 1000);
		exchange(w, 1, path);
		t0 = cx_now_ns();
		ck_assert_ptr_nonnull(read_line(fds[0], 3000, line,
		    sizeof(line)));
		/* ~150 ms; generous for sanitizers and a busy machine. */
		ck_assert_int_lt(cx_now_ns() - t0, 1500 * MS);
		ck_assert_ptr_nonnull(strstr(line, path));
		ck_assert_ptr_nonnull(strstr(line, "\"error\":null"));
	}
	ck_assert_int_eq(cx_writer_end(w, CX_SRC_RELAY), 0);
	cx_writer_close(w);
	ck_assert_ptr_null(read_line(fds[0], 5000, line, sizeof(line)));
	pthread_join(t, NULL);
	ck_assert_msg(j.rc == 0, "%s", j.err);
	close(fds[0]);
}
END_TEST

/*
 * A trace read in full at once, then ended: the same exchanges as plain
 * decode (those still open at the END finished as at a trace's end).
 */
START_TEST(ended_trace_as_plain_decode)
{
	static const char *const formats[] = { "text", "conversation" };
	struct cx_decode_opts o = { 0 };
	struct tg_warnings wa, wf;
	char err[256];
	struct cx_writer *w;
	struct cx_frame f = { 0 };
	char *plain, *follow;

	tg_scenario(tg_path, 0);
	/* The scenario's writer is gone: the END frame written by hand. */
	w = cx_writer_attach(tg_path, err, sizeof(err));
	ck_assert_msg(w != NULL, "%s", err);
	f.kind = CX_K_END;
	f.source = CX_SRC_RELAY;
	f.ts_ns = tg_info.monotonic_ns + 100000 * MS;
	f.payload = (const uint8_t *)"{}";
	f.len = 2;
	ck_assert_int_eq(cx_writer_put(w, &f), 0);
	cx_writer_close(w);
	for (size_t i = 0; i < 2; i++) {
		plain = tg_decode(tg_path, formats[i], 0, &wa);
		memset(&wf, 0, sizeof(wf));
		o.format = formats[i];
		o.follow = 1;
		o.warn = add_warn;
		o.warn_arg = &wf;
		follow = tg_decode_opts(tg_path, &o);
		ck_assert_str_eq(follow, plain);
		/* The recorder's losses, said the same way. */
		ck_assert_str_eq(wf.text, wa.text);
		free(plain);
		free(follow);
	}
}
END_TEST

/* No END: --idle ends it; so does the stop flag, at once. */
START_TEST(idle_and_stop)
{
	struct cx_writer *w = tg_create(tg_path);
	struct cx_decode_opts o = { 0 };
	volatile sig_atomic_t stop = 1;
	int64_t t0;
	char *out;

	tg_json(w, CX_K_OPEN, 1, now_ms(), "{\"peer\":\"127.0.0.1:5\"}");
	exchange(w, 1, "/idle");
	/* A request with no answer yet: finished as the trace's end. */
	tg_req(w, 1, now_ms(), "GET /open HTTP/1.1\r\nHost: x\r\n\r\n");
	o.format = "jsonl";
	o.follow = 1;
	o.warn = no_warn;
	o.idle_ns = 300 * MS;
	t0 = cx_now_ns();
	out = tg_decode_opts(tg_path, &o);
	ck_assert_int_ge(cx_now_ns() - t0, 300 * MS);
	ck_assert_int_lt(cx_now_ns() - t0, 5000 * MS);
	ck_assert_ptr_nonnull(strstr(out, "/idle"));
	ck_assert_ptr_nonnull(strstr(out, "/open"));
	ck_assert_ptr_nonnull(strstr(out, "the trace ended"));
	free(out);

	o.idle_ns = 0;
	o.stop = &stop;
	t0 = cx_now_ns();
	out = tg_decode_opts(tg_path, &o);
	ck_assert_int_lt(cx_now_ns() - t0, 2000 * MS);
	ck_assert_ptr_nonnull(strstr(out, "/idle"));
	free(out);
	cx_writer_close(w);
}
END_TEST

/* md and HAR need the whole trace. */
START_TEST(whole_trace_formats_refuse)
{
	struct cx_decode_opts o = { 0 };
	char err[256];
	struct cx_writer *w = tg_create(tg_path);

	cx_writer_close(w);
	o.follow = 1;
	o.format = "md";
	ck_assert_int_eq(cx_decode(tg_path, &o, stdout, err, sizeof(err)),
	    CX_DECODE_EINPUT);
	ck_assert_ptr_nonnull(strstr(err, "format 'md' needs the whole "
	    "trace"));
	o.format = "har";
	ck_assert_int_eq(cx_decode(tg_path, &o, stdout, err, sizeof(err)),
	    CX_DECODE_EINPUT);
}
END_TEST

static Suite *
decode_follow_suite(void)
{
	Suite *s = suite_create("decode_follow");
	TCase *tc = tcase_create("decode_follow");

	tcase_add_checked_fixture(tc, setup, tg_teardown);
	tcase_set_timeout(tc, 30);
	tcase_add_test(tc, prints_while_the_trace_grows);
	tcase_add_test(tc, ended_trace_as_plain_decode);
	tcase_add_test(tc, idle_and_stop);
	tcase_add_test(tc, whole_trace_formats_refuse);
	suite_add_tcase(s, tc);
	return s;
}

int
main(void)
{
	SRunner *sr = srunner_create(decode_follow_suite());
	int failed;

	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
