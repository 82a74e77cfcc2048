/* test_proxy_setup.c: the CA, token, files and environment that cxrec sets
 * up around the relay's forward proxy (cli/proxy_setup.h). */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "proxy_setup.h"

START_TEST(test_setup)
{
	struct proxy_setup ps;
	struct relay_config *cfg = calloc(1, sizeof(*cfg));
	struct relay *r;
	char err[512] = "", url[200], want[200], dir[2048];
	struct stat st;
	char json[4096];
	struct cx_jobj j;

	ck_assert_msg(proxy_setup_init(&ps, cfg, err, sizeof(err)) == 0, "%s",
	    err);
	ck_assert_uint_eq(strlen(ps.token), 32);
	ck_assert_uint_eq(strspn(ps.token, "0123456789abcdef"), 32);
	ck_assert_str_eq(cfg->proxy_listen, "127.0.0.1:0");
	ck_assert_ptr_eq(cfg->proxy_token, ps.token);
	ck_assert_ptr_eq(cfg->ca, ps.ca);
	ck_assert_int_eq(stat(ps.dir, &st), 0);
	ck_assert_int_eq(st.st_mode & 0777, 0700);
	ck_assert_int_eq(stat(ps.ca_path, &st), 0);
	ck_assert_int_eq(st.st_mode & 0777, 0644);
	cfg->intercept = RELAY_INTERCEPT_AGENT;
	r = relay_new(cfg, err, sizeof(err));
	ck_assert_msg(r != NULL, "%s", err);
	proxy_setup_url(&ps, r, url, sizeof(url));
	snprintf(want, sizeof(want), "http://cxrec:%s@127.0.0.1:%d", ps.token,
	    relay_proxy_port(r));
	ck_assert_str_eq(url, want);
	cx_jobj_begin(&j, json, sizeof(json));
	proxy_setup_jobj(&j, "proxy", &ps, r, cfg);
	cx_jobj_end(&j);
	ck_assert(!j.cut);
	ck_assert(strstr(json, "{\"proxy\":{\"listen\":\"127.0.0.1:") == json);
	ck_assert(strstr(json, "\"intercept\":\"agent\",\"map_hosts\":[]}}") !=
	    NULL);
	ck_assert(strstr(json, ps.token) == NULL);
	relay_free(r);
	snprintf(dir, sizeof(dir), "%s", ps.dir);
	proxy_setup_free(&ps);
	ck_assert_int_eq(stat(dir, &st), -1);
	proxy_setup_free(&ps);          /* twice is fine */
	free(cfg);
}
END_TEST

START_TEST(test_relay_refuses)
{
	struct proxy_setup ps;
	struct relay_config *cfg = calloc(1, sizeof(*cfg));
	char err[512] = "";

	/* No token or CA: no proxy. */
	cfg->proxy_listen = "127.0.0.1:0";
	ck_assert(relay_new(cfg, err, sizeof(err)) == NULL);
	ck_assert(strstr(err, "token") != NULL);
	ck_assert_int_eq(proxy_setup_init(&ps, cfg, err, sizeof(err)), 0);
	/* Loopback only. */
	cfg->proxy_listen = "0.0.0.0:0";
	ck_assert(relay_new(cfg, err, sizeof(err)) == NULL);
	ck_assert_msg(strstr(err, "loopback") != NULL, "%s", err);
	proxy_setup_free(&ps);
	free(cfg);
}
END_TEST

static Suite *
suite(void)
{
	Suite *s = suite_create("proxy_setup");
	TCase *tc = tcase_create("core");

	tcase_add_test(tc, test_setup);
	tcase_add_test(tc, test_relay_refuses);
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
