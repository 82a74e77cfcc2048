/*
 * test_codex_auth.c: which login codex will use (cli/codex_auth.c), found
 * as codex finds it: forced, CODEX_API_KEY, then $CODEX_HOME/auth.json or
 * ~/.codex/auth.json (a key there: API; tokens: ChatGPT); a file that
 * cannot be read or parsed leaves API mode with a warning.
 */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "codex_auth.h"
#include "tracegen.h"

static char path[256];

static void
setup(void)
{
	tg_setup("codex-auth");
	snprintf(path, sizeof(path), "%s/auth.json", tg_dir);
	unsetenv("CODEX_API_KEY");
	setenv("CODEX_HOME", tg_dir, 1);
}

static void
teardown(void)
{
	tg_teardown();
}

static void
auth_json(const char *text)
{
	FILE *f = fopen(path, "w");

	ck_assert_ptr_nonnull(f);
	fputs(text, f);
	fclose(f);
}

START_TEST(names)
{
	ck_assert_str_eq(codex_login_name(CODEX_LOGIN_API), "api");
	ck_assert_str_eq(codex_login_name(CODEX_LOGIN_CHATGPT), "chatgpt");
	ck_assert_str_eq(codex_base_path(CODEX_LOGIN_API), "/v1");
	ck_assert_str_eq(codex_base_path(CODEX_LOGIN_CHATGPT),
	    "/backend-api/codex");
}
END_TEST

START_TEST(forced_and_env)
{
	struct codex_auth a;

	auth_json("{\"tokens\":{\"access_token\":\"x\"}}");
	codex_auth_detect(&a, "api");
	ck_assert_int_eq(a.mode, CODEX_LOGIN_API);
	ck_assert_str_eq(a.why, "--codex-auth api");
	codex_auth_detect(&a, "chatgpt");
	ck_assert_int_eq(a.mode, CODEX_LOGIN_CHATGPT);
	/* The environment's key comes before auth.json... */
	setenv("CODEX_API_KEY", "sk-test-throwaway", 1);
	codex_auth_detect(&a, NULL);
	ck_assert_int_eq(a.mode, CODEX_LOGIN_API);
	ck_assert_str_eq(a.why, "CODEX_API_KEY is set");
	/* ... when it is not empty. */
	setenv("CODEX_API_KEY", "", 1);
	codex_auth_detect(&a, NULL);
	ck_assert_int_eq(a.mode, CODEX_LOGIN_CHATGPT);
	ck_assert_str_eq(a.warning, "");
}
END_TEST

START_TEST(auth_files)
{
	struct codex_auth a;
	char home[96], want[300];

	/* None: API, no warning. */
	codex_auth_detect(&a, NULL);
	ck_assert_int_eq(a.mode, CODEX_LOGIN_API);
	snprintf(want, sizeof(want), "no %s", path);
	ck_assert_str_eq(a.why, want);
	ck_assert_str_eq(a.warning, "");
	auth_json("{\"OPENAI_API_KEY\":\"sk-test\",\"tokens\":{}}");
	codex_auth_detect(&a, NULL);
	ck_assert_int_eq(a.mode, CODEX_LOGIN_API);
	ck_assert_ptr_nonnull(strstr(a.why, "API key in "));
	auth_json("{\"OPENAI_API_KEY\":null,\"tokens\":{\"id_token\":\"x\"}}");
	codex_auth_detect(&a, NULL);
	ck_assert_int_eq(a.mode, CODEX_LOGIN_CHATGPT);
	ck_assert_ptr_nonnull(strstr(a.why, "ChatGPT tokens in "));
	auth_json("{\"OPENAI_API_KEY\":\"\"}");
	codex_auth_detect(&a, NULL);
	ck_assert_int_eq(a.mode, CODEX_LOGIN_API);
	ck_assert_ptr_nonnull(strstr(a.why, "no key or tokens in "));
	/* Not JSON: API, and a warning. */
	auth_json("{not json");
	codex_auth_detect(&a, NULL);
	ck_assert_int_eq(a.mode, CODEX_LOGIN_API);
	ck_assert_ptr_nonnull(strstr(a.warning, "cannot parse"));
	ck_assert_ptr_nonnull(strstr(a.warning, "assuming API-key login"));
	auth_json("[1]");
	codex_auth_detect(&a, NULL);
	ck_assert_ptr_nonnull(strstr(a.warning, "not a JSON object"));
	/* Not a file: unreadable, a warning. */
	unlink(path);
	ck_assert_int_eq(mkdir(path, 0700), 0);
	codex_auth_detect(&a, NULL);
	ck_assert_int_eq(a.mode, CODEX_LOGIN_API);
	ck_assert_ptr_nonnull(strstr(a.why, "unreadable"));
	ck_assert_ptr_nonnull(strstr(a.warning, "cannot read"));
	rmdir(path);
	/* Without CODEX_HOME: ~/.codex/auth.json. */
	unsetenv("CODEX_HOME");
	snprintf(home, sizeof(home), "%s/home", tg_dir);
	setenv("HOME", home, 1);
	snprintf(want, sizeof(want), "%s/.codex", home);
	ck_assert_int_eq(mkdir(home, 0700), 0);
	ck_assert_int_eq(mkdir(want, 0700), 0);
	snprintf(path, sizeof(path), "%s/.codex/auth.json", home);
	auth_json("{\"tokens\":{}}");
	codex_auth_detect(&a, NULL);
	ck_assert_int_eq(a.mode, CODEX_LOGIN_CHATGPT);
	ck_assert_ptr_nonnull(strstr(a.why, "/home/.codex/auth.json"));
	unsetenv("HOME");
	codex_auth_detect(&a, NULL);
	ck_assert_int_eq(a.mode, CODEX_LOGIN_API);
	ck_assert_str_eq(a.why, "no HOME or CODEX_HOME");
}
END_TEST

int
main(void)
{
	Suite *s = suite_create("codex_auth");
	TCase *tc = tcase_create("codex_auth");
	SRunner *sr;
	int failed;

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, names);
	tcase_add_test(tc, forced_and_env);
	tcase_add_test(tc, auth_files);
	suite_add_tcase(s, tc);
	sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
