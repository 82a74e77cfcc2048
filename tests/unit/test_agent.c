/*
 * test_agent.c: the agent table (cli/agent.c): recognising a command by
 * its program or npm package, versions, base URL routes and environment
 * (the CA bundles: test_ca_env.c).
 */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "agent.h"
#include "tracegen.h"

#define agent_codex (*agent_find("codex"))
#define agent_claude (*agent_find("claude"))
#define agent_gemini (*agent_find("gemini"))


static void
mkfile(const char *rel, const char *text, mode_t mode)
{
	char path[512], cmd[700];
	FILE *f;

	snprintf(path, sizeof(path), "%s/%s", tg_dir, rel);
	snprintf(cmd, sizeof(cmd), "mkdir -p \"$(dirname '%s')\"", path);
	ck_assert_int_eq(system(cmd), 0);
	f = fopen(path, "w");
	ck_assert_ptr_nonnull(f);
	fputs(text, f);
	fclose(f);
	chmod(path, mode);
}

static void
setup(void)
{
	tg_setup("agent");
}

static void
teardown(void)
{
	tg_teardown();
}

START_TEST(versions)
{
	ck_assert_int_lt(agent_version_cmp("0.98.0", 0, 115, 0), 0);
	ck_assert_int_eq(agent_version_cmp("0.115.0", 0, 115, 0), 0);
	ck_assert_int_gt(agent_version_cmp("0.171.0", 0, 115, 0), 0);
	ck_assert_int_eq(agent_version_cmp("2.1.332", 2, 1, 332), 0);
	ck_assert_int_gt(agent_version_cmp("1.0", 0, 9, 9), 0);
	/* Unknown counts as newest: the current mechanism is tried. */
	ck_assert_int_gt(agent_version_cmp("", 9, 9, 9), 0);
	ck_assert_int_gt(agent_version_cmp(NULL, 9, 9, 9), 0);

	struct agent_run run;
	memset(&run, 0, sizeof(run));
	run.agent = &agent_codex;
	snprintf(run.version, sizeof(run.version), "0.171.0");
	ck_assert_int_eq(agent_newer_than_verified(&run), 0);
	snprintf(run.version, sizeof(run.version), "0.172.0");
	ck_assert_int_eq(agent_newer_than_verified(&run), 1);
	run.version[0] = '\0';
	ck_assert_int_eq(agent_newer_than_verified(&run), 0);
}
END_TEST

START_TEST(table)
{
	ck_assert_ptr_nonnull(agent_find("codex"));
	ck_assert_ptr_nonnull(agent_find("claude"));
	ck_assert_ptr_nonnull(agent_find("gemini"));
	ck_assert_ptr_eq(agent_find("generic"), &agent_generic);
	ck_assert_ptr_null(agent_find("nope"));
	for (size_t i = 0; agent_table[i] != NULL; i++) {
		ck_assert_ptr_nonnull(agent_table[i]->plan);
		ck_assert_ptr_nonnull(agent_table[i]->point);
		ck_assert_ptr_nonnull(agent_table[i]->verified);
	}
}
END_TEST

/* npm's layout: .bin/claude -> ../@anthropic-ai/claude-code/bin/claude.exe */
START_TEST(detect_npm_package)
{
	struct agent_run run;
	char link[512], target[512];
	char *cmd[] = { link, (char *)"-p", (char *)"hi", NULL };

	mkfile("node_modules/@anthropic-ai/claude-code/package.json",
	    "{\"name\":\"@anthropic-ai/claude-code\",\"version\":\"2.1.332\"}",
	    0644);
	mkfile("node_modules/@anthropic-ai/claude-code/bin/claude.exe",
	    "#!/bin/sh\n", 0755);
	snprintf(link, sizeof(link), "%s/node_modules/.bin/cl", tg_dir);
	snprintf(target, sizeof(target),
	    "../@anthropic-ai/claude-code/bin/claude.exe");
	mkdir(strcat(strcpy((char[512]){ 0 }, tg_dir), "/node_modules/.bin"),
	    0755);
	ck_assert_int_eq(symlink(target, link), 0);
	memset(&run, 0, sizeof(run));
	agent_detect(&run, cmd);
	ck_assert_ptr_eq(run.agent, &agent_claude);
	ck_assert_str_eq(run.version, "2.1.332");
	ck_assert_ptr_nonnull(strstr(run.path, "claude.exe"));
}
END_TEST

/* node running a package's script is that package's agent. */
START_TEST(detect_node_script)
{
	struct agent_run run;
	char script[512];
	char *cmd[] = { (char *)"node", script, (char *)"-p", NULL };

	mkfile("g/node_modules/@google/gemini-cli/package.json",
	    "{\"name\":\"@google/gemini-cli\",\"version\":\"0.61.0\"}", 0644);
	mkfile("g/node_modules/@google/gemini-cli/bundle/gemini.js", "", 0644);
	snprintf(script, sizeof(script),
	    "%s/g/node_modules/@google/gemini-cli/bundle/gemini.js", tg_dir);
	memset(&run, 0, sizeof(run));
	agent_detect(&run, cmd);
	ck_assert_ptr_eq(run.agent, &agent_gemini);
	ck_assert_str_eq(run.version, "0.61.0");
}
END_TEST

START_TEST(detect_unknown_and_forced)
{
	struct agent_run run;
	char *cmd[] = { (char *)"sh", (char *)"-c", (char *)"true", NULL };

	memset(&run, 0, sizeof(run));
	agent_detect(&run, cmd);
	ck_assert_ptr_eq(run.agent, &agent_generic);
	memset(&run, 0, sizeof(run));
	run.agent = &agent_codex;               /* --agent codex */
	agent_detect(&run, cmd);
	ck_assert_ptr_eq(run.agent, &agent_codex);
	ck_assert_str_eq(run.version, "");
}
END_TEST

/* A base URL the user set is the route; the variable points at cxrec. */
START_TEST(base_url_kept_as_route)
{
	struct agent_run run;
	struct route_table t;
	char out[256];
	const struct route *r;

	memset(&run, 0, sizeof(run));
	memset(&t, 0, sizeof(t));
	run.agent = &agent_generic;
	run.routes = &t;
	setenv("CX_TEST_BASE", "https://gw.example/anthropic", 1);
	ck_assert_int_eq(agent_base_plan(&run, "CX_TEST_BASE", "/anthropic",
	    "https://api.anthropic.com/"), 0);
	r = route_match(&t, "/anthropic/v1/messages", 22, out, sizeof(out));
	ck_assert_ptr_nonnull(r);
	ck_assert_str_eq(out, "/anthropic/v1/messages");
	ck_assert_str_eq(r->up.host, "gw.example");
	unsetenv("CX_TEST_BASE");
	memset(&t, 0, sizeof(t));
	ck_assert_int_eq(agent_base_plan(&run, "CX_TEST_BASE", "/anthropic",
	    "https://api.anthropic.com/"), 0);
	r = route_match(&t, "/anthropic/v1/messages", 22, out, sizeof(out));
	ck_assert_ptr_nonnull(r);
	ck_assert_str_eq(out, "/v1/messages");
	ck_assert_str_eq(r->up.host, "api.anthropic.com");
	snprintf(run.relay_url, sizeof(run.relay_url), "http://127.0.0.1:9");
	ck_assert_int_eq(agent_base_point(&run, "CX_TEST_BASE", "/anthropic"),
	    0);
	ck_assert_str_eq(getenv("CX_TEST_BASE"),
	    "http://127.0.0.1:9/anthropic");
	ck_assert_int_eq(run.nenv, 1);
	ck_assert_str_eq(run.env[0],
	    "CX_TEST_BASE=http://127.0.0.1:9/anthropic");
	agent_run_free(&run);
	unsetenv("CX_TEST_BASE");
}
END_TEST

int
main(void)
{
	Suite *s = suite_create("agent");
	TCase *tc = tcase_create("agent");
	SRunner *sr;
	int failed;

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, versions);
	tcase_add_test(tc, table);
	tcase_add_test(tc, detect_npm_package);
	tcase_add_test(tc, detect_node_script);
	tcase_add_test(tc, detect_unknown_and_forced);
	tcase_add_test(tc, base_url_kept_as_route);
	suite_add_tcase(s, tc);
	sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed == 0 ? 0 : 1;
}
