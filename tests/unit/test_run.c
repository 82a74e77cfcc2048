/*
 * test_run.c: the run module (cli/run.h): the steps of `cxrec run` and
 * its one cleanup path, which must release a run stopped after any step:
 * the proxy's and the CA bundles' directories gone, the notes written.
 */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli.h"
#include "run.h"
#include "run_int.h"
#include "trace.h"
#include "tracegen.h"

static char trace[300];

static void
setup(void)
{
	tg_setup("run");
	snprintf(trace, sizeof(trace), "%s/t.bin", tg_dir);
	setenv("TMPDIR", tg_dir, 1);
}

static void
teardown(void)
{
	tg_teardown();
	unsetenv("TMPDIR");
}

static void
opts(struct run_opts *o)
{
	run_opts_init(o);
	o->relay.output = trace;
	o->bpf = RUN_BPF_OFF;
	o->no_preload = 1;
}

/* The CLI's notes in the trace, one after the other, into out. */
static void
notes(char *out, size_t len)
{
	char err[256];
	struct cx_reader *r = cx_reader_open(trace, err, sizeof(err));
	struct cx_frame f;
	size_t n = 0;

	ck_assert_msg(r != NULL, "%s", err);
	out[0] = '\0';
	while (cx_reader_next(r, &f) == 1)
		if (f.kind == CX_K_NOTE && f.source == CX_SRC_CLI &&
		    n + f.len + 2 < len) {
			memcpy(out + n, f.payload, f.len);
			n += f.len;
			out[n++] = '\n';
			out[n] = '\0';
		}
	cx_reader_close(r);
}

START_TEST(free_unset)
{
	char t[] = "true", *cmd[] = { t, NULL };
	struct run_opts o;

	opts(&o);
	run_free(NULL);
	run_free(run_new(&o, cmd));
	ck_assert_int_eq(access(trace, F_OK), -1);
}
END_TEST

/* The relay cannot listen: the proxy set up before it is removed. */
START_TEST(setup_fails)
{
	char t[] = "true", *cmd[] = { t, NULL };
	struct run_opts o;
	struct run *run;
	char pxdir[2048];

	opts(&o);
	o.relay.listen = "192.0.2.1:0";
	run = run_new(&o, cmd);
	ck_assert_int_eq(run_setup(run), CX_EXIT_SYS);
	snprintf(pxdir, sizeof(pxdir), "%s", run->pxs.dir);
	ck_assert(strncmp(pxdir, tg_dir, strlen(tg_dir)) == 0);
	ck_assert_int_eq(access(pxdir, F_OK), 0);
	run_free(run);
	ck_assert_int_eq(access(pxdir, F_OK), -1);
	ck_assert_int_eq(access(trace, F_OK), -1);
}
END_TEST

/* Set up, never started: the run note only, everything removed. */
START_TEST(setup_not_started)
{
	char t[] = "true", q[] = "a\"b", *cmd[] = { t, q, NULL };
	struct run_opts o;
	struct run *run;
	char pxdir[2048], cadir[4096], got[16384];

	opts(&o);
	run = run_new(&o, cmd);
	ck_assert_int_eq(run_setup(run), 0);
	snprintf(pxdir, sizeof(pxdir), "%s", run->pxs.dir);
	snprintf(cadir, sizeof(cadir), "%s", run->cae.dir);
	ck_assert_int_eq(access(pxdir, F_OK), 0);
	ck_assert_int_eq(access(cadir, F_OK), 0);
	run_free(run);
	ck_assert_int_eq(access(pxdir, F_OK), -1);
	ck_assert_int_eq(access(cadir, F_OK), -1);
	notes(got, sizeof(got));
	ck_assert_msg(strncmp(got, "{\"type\":\"run\",\"cxrec_version\":\""
	    CXREC_VERSION "\",\"argv\":[\"true\",\"a\\\"b\"],\"agent\":"
	    "\"generic\",\"agent_version\":null,", 60) == 0, "%s", got);
	ck_assert_msg(strstr(got, "\"HTTPS_PROXY\":\"http://cxrec:***@127.0.0.1:")
	    != NULL, "%s", got);
	ck_assert_msg(strstr(got, "\"processes\":\"proc\",\"preload\":false,"
	    "\"redact_at_source\":false}\n") != NULL, "%s", got);
	ck_assert(strstr(got, "\"type\":\"exit\"") == NULL);
}
END_TEST

/* The whole run: COMMAND's status, both notes. */
START_TEST(whole_run)
{
	char sh[] = "sh", c[] = "-c", e[] = "exit 7";
	char *cmd[] = { sh, c, e, NULL };
	struct run_opts o;
	char got[16384];

	opts(&o);
	o.mode = AGENT_MODE_BASE_URL;
	ck_assert_int_eq(run_main(&o, cmd), 7);
	notes(got, sizeof(got));
	ck_assert_msg(strstr(got, "\"proxy\":null,") != NULL, "%s", got);
	ck_assert_msg(strstr(got, "}\n{\"type\":\"exit\",\"status\":7,"
	    "\"requests\":0}\n") != NULL, "%s", got);
}
END_TEST

START_TEST(not_found)
{
	char x[] = "/nonexistent/cxrec-test", *cmd[] = { x, NULL };
	struct run_opts o;
	char got[16384];

	opts(&o);
	ck_assert_int_eq(run_main(&o, cmd), CX_EXIT_NOTFOUND);
	notes(got, sizeof(got));
	ck_assert_msg(strstr(got, "{\"type\":\"exit\",\"status\":127,") !=
	    NULL, "%s", got);
}
END_TEST

int
main(void)
{
	Suite *s = suite_create("run");
	TCase *tc = tcase_create("run");
	SRunner *sr;
	int failed;

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_set_timeout(tc, 30);
	tcase_add_test(tc, free_unset);
	tcase_add_test(tc, setup_fails);
	tcase_add_test(tc, setup_not_started);
	tcase_add_test(tc, whole_run);
	tcase_add_test(tc, not_found);
	suite_add_tcase(s, tc);
	sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed == 0 ? 0 : 1;
}
