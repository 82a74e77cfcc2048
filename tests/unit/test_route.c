/*
 * test_route.c: where the relay sends a request (relay/route.c): URLs
 * parsed into upstreams, the route table (longest prefix, nginx-style
 * path replacement), --map-host, and the joins of paths.
 */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "route.h"

static struct upstream_url u;
static char err[256];

static int
parse(const char *s)
{
	err[0] = '\0';
	return url_parse(s, &u, err, sizeof(err));
}

START_TEST(urls)
{
	ck_assert_int_eq(parse("https://api.openai.com"), 0);
	ck_assert_int_eq(u.tls, 1);
	ck_assert_str_eq(u.host, "api.openai.com");
	ck_assert_str_eq(u.port, "443");
	ck_assert_str_eq(u.path, "");
	ck_assert_str_eq(u.origin, "https://api.openai.com");
	ck_assert_str_eq(u.hosthdr, "api.openai.com");

	/* The scheme in any case; a default port is not printed. */
	ck_assert_int_eq(parse("HTTP://Example.test:80/"), 0);
	ck_assert_int_eq(u.tls, 0);
	ck_assert_str_eq(u.host, "Example.test");
	ck_assert_str_eq(u.port, "80");
	ck_assert_str_eq(u.path, "/");
	ck_assert_str_eq(u.origin, "http://Example.test");
	ck_assert_str_eq(u.hosthdr, "Example.test");

	/* Another port: in the Host header and the origin. */
	ck_assert_int_eq(parse("https://127.0.0.1:8443/openai/v1"), 0);
	ck_assert_str_eq(u.port, "8443");
	ck_assert_str_eq(u.path, "/openai/v1");
	ck_assert_str_eq(u.hosthdr, "127.0.0.1:8443");
	ck_assert_str_eq(u.origin, "https://127.0.0.1:8443");
	ck_assert_int_eq(parse("http://h:443"), 0);
	ck_assert_str_eq(u.hosthdr, "h:443");

	/* IPv6: the host without brackets, the header with them. */
	ck_assert_int_eq(parse("https://[::1]"), 0);
	ck_assert_str_eq(u.host, "::1");
	ck_assert_str_eq(u.port, "443");
	ck_assert_str_eq(u.hosthdr, "[::1]");
	ck_assert_int_eq(parse("http://[fe80::1%25lo]:9/p"), 0);
	ck_assert_str_eq(u.host, "fe80::1%25lo");
	ck_assert_str_eq(u.origin, "http://[fe80::1%25lo]:9");
	ck_assert_str_eq(u.path, "/p");
}
END_TEST

START_TEST(bad_urls)
{
	ck_assert_int_eq(parse("ftp://x"), -1);
	ck_assert_ptr_nonnull(strstr(err, "not an http:// or https:// URL"));
	ck_assert_int_eq(parse("api.openai.com"), -1);
	ck_assert_int_eq(parse(""), -1);
	ck_assert_int_eq(parse("https://"), -1);
	ck_assert_ptr_nonnull(strstr(err, "no host"));
	ck_assert_int_eq(parse("https:///path"), -1);
	ck_assert_int_eq(parse("https://:443"), -1);
	ck_assert_int_eq(parse("https://[::1"), -1);
	ck_assert_ptr_nonnull(strstr(err, "unterminated IPv6"));
	ck_assert_int_eq(parse("https://[]:1"), -1);
	ck_assert_int_eq(parse("https://user:pw@host"), -1);
	ck_assert_int_eq(parse("https://user@host/"), -1);
	ck_assert_ptr_nonnull(strstr(err, "credentials"));
	ck_assert_int_eq(parse("https://h:"), -1);
	ck_assert_ptr_nonnull(strstr(err, "bad port"));
	ck_assert_int_eq(parse("https://h:123456"), -1);
	ck_assert_int_eq(parse("https://h:12a"), -1);
	ck_assert_int_eq(parse("https://h:-1"), -1);
	ck_assert_int_eq(parse("https://h?x=1"), -1);
	ck_assert_ptr_nonnull(strstr(err, "query or fragment"));
	ck_assert_int_eq(parse("https://h#frag"), -1);
	ck_assert_int_eq(parse("https://h:80?x"), -1);
	/* The error names the URL. */
	ck_assert_int_eq(parse("gopher://z"), -1);
	ck_assert_ptr_nonnull(strstr(err, "'gopher://z'"));
	/* A host that does not fit. */
	{
		char big[400];

		memset(big, 'a', sizeof(big));
		memcpy(big, "https://", 8);
		big[sizeof(big) - 1] = '\0';
		ck_assert_int_eq(parse(big), -1);
	}
}
END_TEST

START_TEST(routes)
{
	struct route_table t;
	char out[512];
	const struct route *r;

	route_defaults(&t);
	r = route_match(&t, "/v1/responses", 13, out, sizeof(out));
	ck_assert_str_eq(r->up.origin, "https://api.openai.com");
	ck_assert_str_eq(out, "/v1/responses");
	r = route_match(&t, "/backend-api/codex/responses", 28, out, sizeof(out));
	ck_assert_str_eq(r->up.origin, "https://chatgpt.com");
	ck_assert_str_eq(out, "/backend-api/codex/responses");
	r = route_match(&t, "/oauth/token", 12, out, sizeof(out));
	ck_assert_str_eq(r->up.hosthdr, "auth.openai.com");
	/* A prefix matches at a path boundary only. */
	ck_assert_int_eq(route_add(&t, "/v1", "https://proxy.example:8443/openai/v1",
	    err, sizeof(err)), 0);
	r = route_match(&t, "/v1/models?x=1", 14, out, sizeof(out));
	ck_assert_str_eq(r->up.origin, "https://proxy.example:8443");
	ck_assert_str_eq(r->up.hosthdr, "proxy.example:8443");
	ck_assert_str_eq(out, "/openai/v1/models?x=1");
	r = route_match(&t, "/v1x", 4, out, sizeof(out));
	ck_assert_str_eq(r->up.origin, "https://api.openai.com");
	/* Longest prefix wins; replacing a route keeps one entry. */
	ck_assert_int_eq(route_add_spec(&t, "/backend-api/=https://127.0.0.1:9443",
	    err, sizeof(err)), 0);
	ck_assert_int_eq(t.n, 4);
	r = route_match(&t, "/backend-api/codex/models", 25, out, sizeof(out));
	ck_assert_str_eq(r->up.origin, "https://127.0.0.1:9443");
	ck_assert_str_eq(out, "/backend-api/codex/models");
	/* IPv6 and plain http. */
	ck_assert_int_eq(route_add(&t, "/", "http://[::1]:8080", err, sizeof(err)), 0);
	r = route_match(&t, "/x", 2, out, sizeof(out));
	ck_assert_str_eq(r->up.host, "::1");
	ck_assert_str_eq(r->up.hosthdr, "[::1]:8080");
	ck_assert_int_eq(r->up.tls, 0);
	/* Not origin-form: no route. */
	ck_assert_ptr_null(route_match(&t, "http://evil/", 12, out, sizeof(out)));
	/* Bad specs. */
	ck_assert_int_eq(route_add_spec(&t, "noequals", err, sizeof(err)), -1);
	ck_assert_int_eq(route_add_spec(&t, "v1=https://x", err, sizeof(err)), -1);
	ck_assert_int_eq(route_add_spec(&t, "/v1=ftp://x", err, sizeof(err)), -1);
	ck_assert_ptr_nonnull(strstr(err, "not an http:// or https:// URL"));
	ck_assert_int_eq(route_add_spec(&t, "/v1=https://h:99999x", err,
	    sizeof(err)), -1);
}
END_TEST

/* Paths joined nginx's way: prefix replaced by the URL's path. */
START_TEST(joins)
{
	struct route_table t;
	char out[64];
	const struct route *r;

	memset(&t, 0, sizeof(t));
	ck_assert_int_eq(route_add(&t, "/a/", "http://h/x/", err,
	    sizeof(err)), 0);
	ck_assert_int_eq(route_add(&t, "/b", "http://h/y", err,
	    sizeof(err)), 0);
	ck_assert_int_eq(route_add(&t, "/c/", "http://h/z", err,
	    sizeof(err)), 0);
	ck_assert_int_eq(route_add(&t, "/d", "http://h/", err,
	    sizeof(err)), 0);
	r = route_match(&t, "/a/v1?q", 7, out, sizeof(out));
	ck_assert_ptr_nonnull(r);
	ck_assert_str_eq(out, "/x/v1?q");
	r = route_match(&t, "/b/v1", 5, out, sizeof(out));
	ck_assert_str_eq(out, "/y/v1");
	r = route_match(&t, "/b?q=1", 6, out, sizeof(out));
	ck_assert_str_eq(out, "/y?q=1");
	r = route_match(&t, "/c/v1", 5, out, sizeof(out));
	ck_assert_str_eq(out, "/z/v1");
	r = route_match(&t, "/d/v1", 5, out, sizeof(out));
	ck_assert_str_eq(out, "/v1");
	/* No default route: what matches no prefix has none. */
	ck_assert_ptr_null(route_match(&t, "/e/v1", 5, out, sizeof(out)));
	/* Only tlen bytes of the target count. */
	r = route_match(&t, "/b/v1/ignored", 5, out, sizeof(out));
	ck_assert_str_eq(out, "/y/v1");
	/* An upstream path that does not fit: no route. */
	ck_assert_ptr_null(route_match(&t, "/b/0123456789012345678901234567890"
	    "1234567890123456789012345678901234567890", 74, out, 16));
	/* A prefix must start with "/"; too long an URL is refused. */
	ck_assert_int_eq(route_add(&t, "v1", "http://h", err, sizeof(err)), -1);
	ck_assert_ptr_nonnull(strstr(err, "must start with /"));
	ck_assert_int_eq(route_add_spec(&t, "=http://h", err, sizeof(err)), -1);
	ck_assert_ptr_nonnull(strstr(err, "expected PREFIX=URL"));
	ck_assert_int_eq(t.n, 4);
}
END_TEST

/* The table holds MAX_ROUTES; a prefix given again is replaced in place. */
START_TEST(full_table)
{
	struct route_table *t = calloc(1, sizeof(*t));
	char prefix[32];

	for (int i = 0; i < MAX_ROUTES; i++) {
		snprintf(prefix, sizeof(prefix), "/p%d", i);
		ck_assert_int_eq(route_add(t, prefix, "http://h", err,
		    sizeof(err)), 0);
	}
	ck_assert_int_eq(route_add(t, "/one-more", "http://h", err,
	    sizeof(err)), -1);
	ck_assert_ptr_nonnull(strstr(err, "too many routes"));
	ck_assert_int_eq(route_add(t, "/p7", "https://other:1", err,
	    sizeof(err)), 0);
	ck_assert_int_eq(t->n, MAX_ROUTES);
	ck_assert_str_eq(t->r[7].up.origin, "https://other:1");
	/* A bad URL leaves the route it would replace as it was. */
	ck_assert_int_eq(route_add(t, "/p7", "nope", err, sizeof(err)), -1);
	ck_assert_str_eq(t->r[7].url, "https://other:1");
	free(t);
}
END_TEST

START_TEST(map_host)
{
	struct host_map_table *t = calloc(1, sizeof(*t));
	const struct host_map *m;
	char path[256];

	ck_assert_int_eq(host_map_add_spec(t, "api.example.test="
	    "https://127.0.0.1:8443", err, sizeof(err)), 0);
	ck_assert_int_eq(host_map_add_spec(t, "chatgpt.com="
	    "http://127.0.0.1:9/prefix", err, sizeof(err)), 0);
	ck_assert_int_eq(host_map_add_spec(t, "nohost", err, sizeof(err)), -1);
	ck_assert_int_eq(host_map_add_spec(t, "a.test:443=http://x", err,
	    sizeof(err)), -1);
	ck_assert_int_eq(host_map_add_spec(t, "a.test=ftp://x", err,
	    sizeof(err)), -1);
	ck_assert_int_eq(t->n, 2);
	/* Given again: replaced. */
	ck_assert_int_eq(host_map_add_spec(t, "API.example.test="
	    "https://127.0.0.1:9443", err, sizeof(err)), 0);
	ck_assert_int_eq(t->n, 2);
	m = host_map_find(t, "api.EXAMPLE.test");
	ck_assert(m != NULL);
	ck_assert_str_eq(m->rt.up.port, "9443");
	ck_assert(host_map_find(t, "example.test") == NULL);
	/* The request's path after the URL's, as a route "/" does it. */
	ck_assert_int_eq(route_path(&m->rt.up, "/v1/responses", 13, path,
	    sizeof(path)), 0);
	ck_assert_str_eq(path, "/v1/responses");
	m = host_map_find(t, "chatgpt.com");
	ck_assert_int_eq(route_path(&m->rt.up, "/backend-api/codex?x=1", 22,
	    path, sizeof(path)), 0);
	ck_assert_str_eq(path, "/prefix/backend-api/codex?x=1");
	ck_assert_int_eq(route_path(&m->rt.up, "/", 1, path, sizeof(path)), 0);
	ck_assert_str_eq(path, "/prefix");     /* as route.c joins */
	ck_assert_int_eq(route_path(&m->rt.up, "x", 1, path, sizeof(path)), -1);
	free(t);
}
END_TEST

int
main(void)
{
	Suite *s = suite_create("route");
	TCase *tc = tcase_create("route");
	SRunner *sr;
	int failed;

	tcase_add_test(tc, urls);
	tcase_add_test(tc, bad_urls);
	tcase_add_test(tc, routes);
	tcase_add_test(tc, joins);
	tcase_add_test(tc, full_table);
	tcase_add_test(tc, map_host);
	suite_add_tcase(s, tc);
	sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
