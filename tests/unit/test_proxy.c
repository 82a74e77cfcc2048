/* test_proxy.c: the forward proxy's token check, host lists and CONNECT
 * targets (relay/proxy.c); --map-host is route.c's (test_route.c). */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "hostpat.h"
#include "proxy.h"

#define TOKEN "0123456789abcdef0123456789abcdef"

static int
auth(const char *v)
{
	return proxy_auth_ok(v, strlen(v), TOKEN);
}

START_TEST(test_auth)
{
	/* base64("cxrec:" TOKEN) */
	ck_assert(auth("Basic Y3hyZWM6MDEyMzQ1Njc4OWFiY2RlZjAxMjM0NTY3ODlhYmNkZWY="));
	ck_assert(auth("basic  Y3hyZWM6MDEyMzQ1Njc4OWFiY2RlZjAxMjM0NTY3ODlhYmNkZWY= "));
	ck_assert(auth("Bearer " TOKEN));
	ck_assert(!auth("Bearer " TOKEN "0"));
	ck_assert(!auth("Bearer 0123456789abcdef0123456789abcdee"));
	ck_assert(!auth("Bearer "));
	ck_assert(!auth(""));
	ck_assert(!auth(TOKEN));
	/* base64("other:" TOKEN), base64("cxrec:wrong"), base64("cxrec:") */
	ck_assert(!auth("Basic b3RoZXI6MDEyMzQ1Njc4OWFiY2RlZjAxMjM0NTY3ODlhYmNkZWY="));
	ck_assert(!auth("Basic Y3hyZWM6d3Jvbmc="));
	ck_assert(!auth("Basic Y3hyZWM6"));
	ck_assert(!auth("Basic !!!!"));
	ck_assert(!auth("Basic Y3hyZWM6MDEyMzQ1Njc4OWFiY2RlZjAxMjM0NTY3ODlhYmNkZWY"));
	ck_assert(!auth("Digest username=cxrec"));
}
END_TEST

START_TEST(test_hosts)
{
	static const char *const l[] = { "api.openai.com", "*.chatgpt.com",
	    "*-aiplatform.googleapis.com", NULL };

	ck_assert(cx_hostpat_listed(l, "api.openai.com"));
	ck_assert(cx_hostpat_listed(l, "API.OpenAI.com"));
	ck_assert(!cx_hostpat_listed(l, "openai.com"));
	ck_assert(!cx_hostpat_listed(l, "xapi.openai.com"));
	ck_assert(cx_hostpat_listed(l, "ab.chatgpt.com"));
	ck_assert(cx_hostpat_listed(l, "a.b.chatgpt.com"));
	ck_assert(!cx_hostpat_listed(l, "chatgpt.com"));
	ck_assert(!cx_hostpat_listed(l, "evilchatgpt.com"));
	ck_assert(cx_hostpat_listed(l, "us-central1-aiplatform.googleapis.com"));
	ck_assert(!cx_hostpat_listed(l, "a.b-aiplatform.googleapis.com"));
	ck_assert(!cx_hostpat_listed(NULL, "api.openai.com"));
	ck_assert(cx_hostpat_listed(proxy_agent_hosts, "chatgpt.com"));
	ck_assert(cx_hostpat_listed(proxy_agent_hosts, "api.anthropic.com"));
	ck_assert(cx_hostpat_listed(proxy_agent_hosts,
	    "generativelanguage.googleapis.com"));
	ck_assert(!cx_hostpat_listed(proxy_agent_hosts, "registry.npmjs.org"));
}
END_TEST

static int
authority(const char *s, char *host, char *port)
{
	return proxy_parse_authority(s, strlen(s), host, 256, port, 8);
}

START_TEST(test_authority)
{
	char h[256], p[8];

	ck_assert_int_eq(authority("api.example.test:443", h, p), 0);
	ck_assert_str_eq(h, "api.example.test");
	ck_assert_str_eq(p, "443");
	ck_assert_int_eq(authority("[::1]:8443", h, p), 0);
	ck_assert_str_eq(h, "::1");
	ck_assert_str_eq(p, "8443");
	ck_assert_int_eq(authority("127.0.0.1:1", h, p), 0);
	ck_assert_int_eq(authority("api.example.test", h, p), -1);
	ck_assert_int_eq(authority("api.example.test:", h, p), -1);
	ck_assert_int_eq(authority(":443", h, p), -1);
	ck_assert_int_eq(authority("a.test:0", h, p), -1);
	ck_assert_int_eq(authority("a.test:65536", h, p), -1);
	ck_assert_int_eq(authority("a.test:44x", h, p), -1);
	ck_assert_int_eq(authority("::1:443", h, p), -1);
	ck_assert_int_eq(authority("[nothost]:443", h, p), -1);
	ck_assert_int_eq(authority("a/b:443", h, p), -1);
	ck_assert_int_eq(authority("user@a.test:443", h, p), -1);
	ck_assert_int_eq(authority("http://a.test:443", h, p), -1);
}
END_TEST

static Suite *
suite(void)
{
	Suite *s = suite_create("proxy");
	TCase *tc = tcase_create("core");

	tcase_add_test(tc, test_auth);
	tcase_add_test(tc, test_hosts);
	tcase_add_test(tc, test_authority);
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
