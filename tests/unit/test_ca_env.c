/*
 * test_ca_env.c: the CA bundles handed to a command (cli/ca_env.c): each
 * variable a bundle of the run's CA and what the user's variable already
 * named.
 */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "agent.h"
#include "ca_env.h"
#include "tracegen.h"


static void
mkfile(const char *rel, const char *text, mode_t mode)
{
	char path[512];
	FILE *f;

	snprintf(path, sizeof(path), "%s/%s", tg_dir, rel);
	f = fopen(path, "w");
	ck_assert_ptr_nonnull(f);
	fputs(text, f);
	fclose(f);
	chmod(path, mode);
}

static void
setup(void)
{
	tg_setup("ca-env");
}

static void
teardown(void)
{
	tg_teardown();
}

/* The user's CA file is kept and extended; the directory goes at the end. */
START_TEST(ca_bundles_extend)
{
	struct agent_run run;
	struct ca_env ce;
	char err[256], user[512], runca[512];
	const char *pem = "-----BEGIN CERTIFICATE-----\nRUNCA\n"
	    "-----END CERTIFICATE-----\n";
	const char *v;

	mkfile("user.pem", "-----BEGIN CERTIFICATE-----\nUSERCA\n"
	    "-----END CERTIFICATE-----", 0644);
	snprintf(user, sizeof(user), "%s/user.pem", tg_dir);
	setenv("NODE_EXTRA_CA_CERTS", user, 1);
	unsetenv("REQUESTS_CA_BUNDLE");
	setenv("TMPDIR", tg_dir, 1);
	memset(&run, 0, sizeof(run));
	run.agent = &agent_generic;
	mkfile("run-ca.pem", pem, 0644);
	snprintf(runca, sizeof(runca), "%s/run-ca.pem", tg_dir);
	ck_assert_int_eq(ca_env_setup(&ce, runca, &run, err, sizeof(err)), 0);
	v = getenv("NODE_EXTRA_CA_CERTS");
	ck_assert_str_ne(v, user);
	ck_assert_ptr_nonnull(strstr(tg_slurp(v), "USERCA"));
	ck_assert_ptr_nonnull(strstr(tg_slurp(v), "RUNCA"));
	/* no file glued to the next block */
	ck_assert_ptr_nonnull(strstr(tg_slurp(v), "-----\n-----BEGIN"));
	v = getenv("REQUESTS_CA_BUNDLE");
	ck_assert_ptr_nonnull(strstr(tg_slurp(v), "RUNCA"));
	ck_assert_ptr_nonnull(getenv("CODEX_CA_CERTIFICATE"));
	ck_assert_ptr_nonnull(getenv("SSL_CERT_FILE"));
	struct stat sb;
	ck_assert_int_eq(stat(ce.dir, &sb), 0);
	ck_assert_int_eq(sb.st_mode & 0777, 0700);
	char d[sizeof(ce.dir)];
	snprintf(d, sizeof(d), "%s", ce.dir);
	ca_env_cleanup(&ce);
	ck_assert_int_eq(access(d, F_OK), -1);
	agent_run_free(&run);
	unsetenv("TMPDIR");
}
END_TEST

int
main(void)
{
	Suite *s = suite_create("ca_env");
	TCase *tc = tcase_create("ca_env");
	SRunner *sr;
	int failed;

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, ca_bundles_extend);
	suite_add_tcase(s, tc);
	sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
