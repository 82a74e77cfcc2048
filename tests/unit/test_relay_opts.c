/*
 * test_relay_opts.c: the options `cxrec relay` and `cxrec run` share
 * (cli/relay_opts.c): each parsed or refused with a message, the relay's
 * configuration built from them over the default routes, the routes as a
 * note's JSON, the trace opened keeping an old one.
 */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <unistd.h>

#include "credname.h"
#include "jsonobj.h"
#include "relay_opts.h"

static struct relay_opts *o;
static char err[512];

static void
setup(void)
{
	o = calloc(1, sizeof(*o));
	ck_assert_ptr_nonnull(o);
	relay_opts_init(o);
}

static void
teardown(void)
{
	free(o);
}

static int
opt(int c, const char *arg)
{
	err[0] = '\0';
	return relay_opt(o, c, arg, err, sizeof(err));
}

START_TEST(initial)
{
	ck_assert_str_eq(o->output, "trace.bin");
	ck_assert_int_eq(o->routes.n, 0);
	ck_assert_ptr_null(o->listen);
	/* The base credential names are in. */
	ck_assert(cx_credname_is_header(&o->cred_names, "authorization", 13));
	/* Not a relay option: left to the caller. */
	ck_assert_int_eq(opt('x', "v"), 0);
	ck_assert_int_eq(opt(OPT_AGENT, "codex"), 0);
}
END_TEST

START_TEST(parsed)
{
	ck_assert_int_eq(opt(OPT_UPSTREAM, "https://127.0.0.1:8443"), 1);
	ck_assert_int_eq(opt(OPT_ROUTE, "/anthropic=http://127.0.0.1:9/a"), 1);
	ck_assert_int_eq(o->routes.n, 2);
	ck_assert_str_eq(o->routes.r[0].prefix, "/");
	ck_assert_int_eq(opt(OPT_CACERT, "/tmp/ca.pem"), 1);
	ck_assert_str_eq(o->cacert, "/tmp/ca.pem");
	ck_assert_int_eq(opt(OPT_INSECURE, NULL), 1);
	ck_assert_int_eq(o->insecure, 1);
	ck_assert_int_eq(opt(OPT_REDACT_AT_SOURCE, NULL), 1);
	ck_assert_int_eq(o->redact_at_source, 1);
	ck_assert_int_eq(opt(OPT_MAP_HOST, "api.example.test=http://127.0.0.1:1"),
	    1);
	ck_assert_int_eq(o->map_hosts.n, 1);
	ck_assert_int_eq(opt(OPT_INTERCEPT, "agent"), 1);
	ck_assert_int_eq(o->intercept, RELAY_INTERCEPT_AGENT);
	ck_assert_int_eq(o->intercept_given, 1);
	ck_assert_int_eq(opt(OPT_INTERCEPT, "none"), 1);
	ck_assert_int_eq(o->intercept, RELAY_INTERCEPT_NONE);
	ck_assert_int_eq(opt(OPT_INTERCEPT, "all"), 1);
	ck_assert_int_eq(o->intercept, RELAY_INTERCEPT_ALL);
	ck_assert_int_eq(opt(OPT_LISTEN, "127.0.0.1:0"), 1);
	ck_assert_str_eq(o->listen, "127.0.0.1:0");
	ck_assert_int_eq(opt(OPT_LISTEN, "[::1]:65535"), 1);
	ck_assert_int_eq(opt(OPT_LISTEN, "8080"), 1);
	ck_assert_int_eq(opt(OPT_PROXY_LISTEN, "127.0.0.1:3128"), 1);
	ck_assert_str_eq(o->proxy_listen, "127.0.0.1:3128");
	ck_assert_int_eq(opt(OPT_HEADER_TIMEOUT, "5"), 1);
	ck_assert_int_eq(o->header_timeout_s, 5);
	ck_assert_int_eq(opt(OPT_IDLE_TIMEOUT, "86400"), 1);
	ck_assert_int_eq(o->idle_timeout_s, 86400);
	ck_assert_int_eq(opt('o', "t.bin"), 1);
	ck_assert_str_eq(o->output, "t.bin");
}
END_TEST

START_TEST(refused)
{
	ck_assert_int_eq(opt(OPT_UPSTREAM, "ftp://x"), -1);
	ck_assert_ptr_nonnull(strstr(err, "not an http:// or https:// URL"));
	ck_assert_int_eq(opt(OPT_ROUTE, "noequals"), -1);
	ck_assert_int_eq(opt(OPT_MAP_HOST, "nohost"), -1);
	ck_assert_int_eq(opt(OPT_INTERCEPT, "some"), -1);
	ck_assert_str_eq(err, "--intercept 'some': expected all, agent or none");
	ck_assert_int_eq(opt(OPT_LISTEN, "127.0.0.1:65536"), -1);
	ck_assert_ptr_nonnull(strstr(err, "--listen '127.0.0.1:65536'"));
	ck_assert_int_eq(opt(OPT_LISTEN, "127.0.0.1:"), -1);
	ck_assert_int_eq(opt(OPT_LISTEN, "host:http"), -1);
	ck_assert_int_eq(opt(OPT_LISTEN, "1:123456"), -1);
	ck_assert_int_eq(opt(OPT_PROXY_LISTEN, "x:-1"), -1);
	ck_assert_ptr_nonnull(strstr(err, "--proxy-listen"));
	ck_assert_int_eq(opt(OPT_HEADER_TIMEOUT, "0"), -1);
	ck_assert_ptr_nonnull(strstr(err, "--header-timeout '0'"));
	ck_assert_int_eq(opt(OPT_IDLE_TIMEOUT, "86401"), -1);
	ck_assert_ptr_nonnull(strstr(err, "--idle-timeout"));
	ck_assert_int_eq(opt(OPT_IDLE_TIMEOUT, "5s"), -1);
	ck_assert_int_eq(opt(OPT_IDLE_TIMEOUT, ""), -1);
	ck_assert_int_eq(opt('o', ""), -1);
	ck_assert_str_eq(err, "-o: empty file name");
	/* Nothing refused was kept. */
	ck_assert_int_eq(o->routes.n, 0);
	ck_assert_ptr_null(o->listen);
	ck_assert_int_eq(o->header_timeout_s, 0);
	ck_assert_str_eq(o->output, "trace.bin");
}
END_TEST

START_TEST(config)
{
	struct route_table defaults;
	struct relay_config cfg;
	char out[256];
	const struct route *r;

	route_defaults(&defaults);
	ck_assert_int_eq(opt(OPT_UPSTREAM, "http://127.0.0.1:9"), 1);
	ck_assert_int_eq(opt(OPT_ROUTE, "/oauth/=http://127.0.0.1:10"), 1);
	ck_assert_int_eq(opt(OPT_LISTEN, "127.0.0.1:0"), 1);
	ck_assert_int_eq(opt(OPT_HEADER_TIMEOUT, "7"), 1);
	ck_assert_int_eq(relay_opts_config(o, &defaults, &cfg), 0);
	/* The user's routes over the defaults: replaced, not added. */
	ck_assert_int_eq(cfg.routes.n, 3);
	r = route_match(&cfg.routes, "/v1/x", 5, out, sizeof(out));
	ck_assert_str_eq(r->up.origin, "http://127.0.0.1:9");
	r = route_match(&cfg.routes, "/oauth/token", 12, out, sizeof(out));
	ck_assert_str_eq(r->up.origin, "http://127.0.0.1:10");
	r = route_match(&cfg.routes, "/backend-api/x", 14, out, sizeof(out));
	ck_assert_str_eq(r->up.origin, "https://chatgpt.com");
	ck_assert_str_eq(cfg.listen, "127.0.0.1:0");
	ck_assert_int_eq(cfg.header_timeout_s, 7);
	ck_assert_ptr_null(cfg.redact_key);
	ck_assert_ptr_null(cfg.trace);
	/* --redact-at-source: a key, naming the options' credential names. */
	ck_assert_int_eq(opt(OPT_REDACT_AT_SOURCE, NULL), 1);
	ck_assert_int_eq(relay_opts_config(o, &defaults, &cfg), 0);
	ck_assert_ptr_eq(cfg.redact_key, &o->redact_key);
	ck_assert_ptr_eq(o->redact_key.names, &o->cred_names);
}
END_TEST

/* The routes as the run and relay notes carry them (jsonobj). */
static const char *
routes_of(const struct route_table *t, char *b, size_t cap)
{
	struct cx_jobj j;

	cx_jobj_begin(&j, b, cap);
	routes_jobj(&j, "routes", t);
	cx_jobj_end(&j);
	return b;
}

START_TEST(routes_as_json)
{
	struct route_table t;
	char b[1024];

	memset(&t, 0, sizeof(t));
	ck_assert_str_eq(routes_of(&t, b, sizeof(b)), "{\"routes\":[]}");
	route_defaults(&t);
	ck_assert_int_eq(route_add(&t, "/q\"x", "http://h/a\\b", err,
	    sizeof(err)), 0);
	ck_assert_str_eq(routes_of(&t, b, sizeof(b)), "{\"routes\":"
	    "[{\"prefix\":\"/\",\"upstream\":"
	    "\"https://api.openai.com\"},{\"prefix\":\"/backend-api/\","
	    "\"upstream\":\"https://chatgpt.com\"},{\"prefix\":\"/oauth/\","
	    "\"upstream\":\"https://auth.openai.com\"},{\"prefix\":\"/q\\\"x\","
	    "\"upstream\":\"http://h/a\\\\b\"}]}");
}
END_TEST

START_TEST(files_and_limits)
{
	char dir[] = "/tmp/cxrec-test-relay-opts.XXXXXX", p[128], old[140];
	struct cx_writer *w;
	struct rlimit before, now;
	struct stat st;

	ck_assert_ptr_nonnull(mkdtemp(dir));
	snprintf(p, sizeof(p), "%s/t.bin", dir);
	snprintf(old, sizeof(old), "%s.old", p);
	o->output = p;
	w = open_trace(o);
	ck_assert_ptr_nonnull(w);
	ck_assert_int_eq(report_losses(w, p), 0);
	cx_writer_close(w);
	/* Opened again: the first kept as .old. */
	w = open_trace(o);
	ck_assert_ptr_nonnull(w);
	cx_writer_close(w);
	ck_assert_int_eq(stat(old, &st), 0);
	unlink(old);
	unlink(p);
	rmdir(dir);
	/* Where it cannot be created: NULL (said on stderr). */
	o->output = "/nonexistent-dir/t.bin";
	ck_assert_ptr_null(open_trace(o));

	raise_nofile(&before);
	ck_assert_int_eq(getrlimit(RLIMIT_NOFILE, &now), 0);
	ck_assert_uint_ge(now.rlim_cur, before.rlim_cur);
	ck_assert(now.rlim_cur == now.rlim_max || now.rlim_cur == 65536);
}
END_TEST

int
main(void)
{
	Suite *s = suite_create("relay_opts");
	TCase *tc = tcase_create("relay_opts");
	SRunner *sr;
	int failed;

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, initial);
	tcase_add_test(tc, parsed);
	tcase_add_test(tc, refused);
	tcase_add_test(tc, config);
	tcase_add_test(tc, routes_as_json);
	tcase_add_test(tc, files_and_limits);
	suite_add_tcase(s, tc);
	sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
