/*
 * test_preload_setup.c: what cxrec run does for the LD_PRELOAD recorder
 * (cli/preload_setup.c): the library found (CXREC_PRELOAD) and put first
 * in LD_PRELOAD, the trace's path made absolute, a private directory with
 * the file the library's failures go to, read back and cleaned up at the
 * end; and which commands cannot load it (static, set-user-ID).
 */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "preload.h"
#include "preload_setup.h"

static char dir[64], lib[128], trace[128];

static void
touch(const char *p, const char *text, mode_t mode)
{
	FILE *f = fopen(p, "w");

	ck_assert_ptr_nonnull(f);
	fputs(text, f);
	fclose(f);
	ck_assert_int_eq(chmod(p, mode), 0);
}

static void
setup(void)
{
	snprintf(dir, sizeof(dir), "/tmp/cxrec-test-preload-setup.XXXXXX");
	ck_assert_ptr_nonnull(mkdtemp(dir));
	snprintf(lib, sizeof(lib), "%s/libcxrec-preload.so", dir);
	snprintf(trace, sizeof(trace), "%s/t.bin", dir);
	touch(lib, "not really a library", 0644);
	touch(trace, "", 0600);
	setenv("CXREC_PRELOAD", lib, 1);
	setenv("TMPDIR", dir, 1);
	unsetenv("LD_PRELOAD");
}

static void
teardown(void)
{
	char cmd[128];

	unsetenv("LD_PRELOAD");         /* not into rm */
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
	ck_assert_int_eq(system(cmd), 0);
}

START_TEST(environment)
{
	struct preload_setup ps;
	char err[256], out[700], cwd[512], want[300];
	struct stat st;
	FILE *f;

	setenv("LD_PRELOAD", "libother.so", 1);
	/* The trace given relative: made absolute. */
	ck_assert_ptr_nonnull(getcwd(cwd, sizeof(cwd)));
	ck_assert_int_eq(chdir(dir), 0);
	ck_assert_int_eq(preload_setup(&ps, "t.bin", err, sizeof(err)), 0);
	ck_assert_int_eq(chdir(cwd), 0);
	ck_assert_int_eq(ps.active, 1);
	ck_assert_str_eq(ps.lib, lib);
	snprintf(want, sizeof(want), "%s libother.so", lib);
	ck_assert_str_eq(getenv("LD_PRELOAD"), want);
	ck_assert_str_eq(getenv(CX_PRELOAD_ENV_TRACE), trace);
	ck_assert_str_eq(getenv(CX_PRELOAD_ENV_ERRORS), ps.errors);
	/* Its directory under TMPDIR, listed by none but us; the file
	 * writable by all. */
	ck_assert_int_eq(strncmp(ps.dir, dir, strlen(dir)), 0);
	ck_assert_int_eq(stat(ps.dir, &st), 0);
	ck_assert_int_eq(st.st_mode & 0777, 0711);
	ck_assert_int_eq(stat(ps.errors, &st), 0);
	ck_assert_int_eq(st.st_mode & 0777, 0622);

	/* Nothing said: nothing reported. */
	ck_assert_int_eq(preload_setup(&ps, trace, err, sizeof(err)), 0);
	preload_finish(&ps, out, sizeof(out));
	ck_assert_str_eq(out, "");
	ck_assert_int_eq(stat(ps.dir, &st), -1);

	/* Two problems: counted, the first said, all cleaned up. */
	ck_assert_int_eq(preload_setup(&ps, trace, err, sizeof(err)), 0);
	f = fopen(ps.errors, "a");
	ck_assert_ptr_nonnull(f);
	fputs("pid 12: cannot open trace: Permission denied\n", f);
	fputs("pid 13: something else\n", f);
	fclose(f);
	preload_finish(&ps, out, sizeof(out));
	ck_assert_str_eq(out, "2 problems, the first: pid 12: cannot open "
	    "trace: Permission denied");
	ck_assert_int_eq(stat(ps.errors, &st), -1);
	ck_assert_int_eq(stat(ps.dir, &st), -1);

	/* Not active: nothing to do. */
	memset(&ps, 0, sizeof(ps));
	preload_finish(&ps, out, sizeof(out));
	ck_assert_str_eq(out, "");
}
END_TEST

START_TEST(refused)
{
	struct preload_setup ps;
	char err[256], spaced[160];

	ck_assert_int_eq(preload_setup(&ps, "/nonexistent/t.bin", err,
	    sizeof(err)), -1);
	ck_assert_ptr_nonnull(strstr(err, "/nonexistent/t.bin"));
	setenv("CXREC_PRELOAD", "/nonexistent/libcxrec-preload.so", 1);
	ck_assert_int_eq(preload_setup(&ps, trace, err, sizeof(err)), -1);
	ck_assert_ptr_nonnull(strstr(err, "not found beside cxrec"));
	/* ld.so splits LD_PRELOAD at spaces and colons. */
	snprintf(spaced, sizeof(spaced), "%s/with space.so", dir);
	touch(spaced, "", 0644);
	setenv("CXREC_PRELOAD", spaced, 1);
	ck_assert_int_eq(preload_setup(&ps, trace, err, sizeof(err)), -1);
	ck_assert_ptr_nonnull(strstr(err, "a space or colon"));
	/* Refused: the environment untouched. */
	ck_assert_ptr_null(getenv("LD_PRELOAD"));
	ck_assert_int_eq(ps.active, 0);
}
END_TEST

START_TEST(blind)
{
	char why[512], script[160];

	preload_blind("sh", why, sizeof(why));
	ck_assert_str_eq(why, "");
	preload_blind("/nonexistent/cmd", why, sizeof(why));
	ck_assert_str_eq(why, "");
	preload_blind("no-such-command-anywhere", why, sizeof(why));
	ck_assert_str_eq(why, "");
	/* A script: not for us to judge. */
	snprintf(script, sizeof(script), "%s/script.sh", dir);
	touch(script, "#!/bin/sh\nexit 0\n", 0755);
	preload_blind(script, why, sizeof(why));
	ck_assert_str_eq(why, "");
	if (access("/sbin/ldconfig", X_OK) == 0) {
		preload_blind("/sbin/ldconfig", why, sizeof(why));
		ck_assert_str_eq(why, "/sbin/ldconfig is a static binary: the "
		    "preload cannot see it (its traffic is recorded by the relay "
		    "and the probe)");
	}
	/* A set-user-ID copy (chmod, not a real one). */
	snprintf(script, sizeof(script), "%s/suid", dir);
	touch(script, "#!/bin/sh\n", 04755);
	preload_blind(script, why, sizeof(why));
	ck_assert_ptr_nonnull(strstr(why, "is set-user-ID or set-group-ID"));
}
END_TEST

int
main(void)
{
	Suite *s = suite_create("preload_setup");
	TCase *tc = tcase_create("preload_setup");
	SRunner *sr;
	int failed;

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, environment);
	tcase_add_test(tc, refused);
	tcase_add_test(tc, blind);
	suite_add_tcase(s, tc);
	sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
