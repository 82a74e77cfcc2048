/* test_replay_match.c: a trace's recorded exchanges as a replay answers
 * from them (analyzer/replay_match.c): in order, by body, retries, ids in
 * paths, what does not match and why, a torn trace, not a trace. */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "replay_match.h"
#include "trace.h"
#include "tracegen.h"

#define T1 "{\"model\":\"m\",\"id\":\"aaaa1\",\"input\":[\"hello there\"]}"
#define T2 "{\"model\":\"m\",\"id\":\"aaaa2\",\"input\":[\"hello there\"," \
    "\"call tool\",\"tool said ok\"]}"
#define T3 "{\"model\":\"m\",\"id\":\"aaaa3\",\"input\":[\"hello there\"," \
    "\"call tool\",\"tool said ok\",\"done now\",\"thanks bye\"]}"

static void
post(struct cx_analysis *a, uint64_t conn, double t, const char *body,
    const char *answer)
{
	char req[1024], resp[512];

	snprintf(req, sizeof(req), "POST /v1/responses?x=%llu HTTP/1.1\r\n"
	    "Host: h\r\nContent-Length: %zu\r\n\r\n%s",
	    (unsigned long long)conn, strlen(body), body);
	snprintf(resp, sizeof(resp), "HTTP/1.1 200 OK\r\nContent-Length: %zu"
	    "\r\n\r\n%s", strlen(answer), answer);
	tg_feed(a, CX_DIR_REQ, conn, t, req);
	tg_feed(a, CX_DIR_RESP, conn, t + 1, resp);
}

/* Three turns, a GET with an id, and one never answered. */
static struct cx_replay *
table(void)
{
	struct cx_analysis *a = cx_analysis_new(&tg_info);

	post(a, 1, 0, T1, "one");
	tg_feed(a, CX_DIR_REQ, 2, 5, "GET /v1/models/0123456789abcdef0123 "
	    "HTTP/1.1\r\nHost: h\r\n\r\n");
	tg_feed(a, CX_DIR_RESP, 2, 6, "HTTP/1.1 200 OK\r\nContent-Length: 5"
	    "\r\n\r\nmodel");
	post(a, 3, 10, T2, "two");
	post(a, 4, 20, T3, "three");
	tg_feed(a, CX_DIR_REQ, 5, 30, "GET /v1/pending HTTP/1.1\r\nHost: h"
	    "\r\n\r\n");
	cx_analysis_finish(a);
	return cx_replay_from(a);
}

static const char *
answer(const struct cx_replay_hit *h)
{
	ck_assert_ptr_nonnull(h->e);
	return (const char *)cx_buf_head(&h->e->ex->resp.body);
}

static struct cx_replay_hit
match(struct cx_replay *rp, const char *method, const char *target,
    const char *body, char *why, size_t whylen)
{
	return cx_replay_match(rp, method, target, NULL,
	    (const uint8_t *)body, body ? strlen(body) : 0, why, whylen);
}

START_TEST(test_in_order)
{
	struct cx_replay *rp = table();
	struct cx_replay_hit h;
	char why[512];

	ck_assert_uint_eq(cx_replay_count(rp), 4);
	ck_assert_uint_eq(cx_replay_incomplete(rp), 1);
	ck_assert_str_eq(cx_replay_entry(rp, 0)->key, "POST /v1/responses");
	/* The same turns, their volatile ids changed. */
	h = match(rp, "POST", "/v1/responses", T1 "x", why, sizeof(why));
	ck_assert_str_eq(answer(&h), "one");
	ck_assert_int_eq(h.again, 0);
	h = match(rp, "POST", "/v1/responses?x=9", T2, why, sizeof(why));
	ck_assert_str_eq(answer(&h), "two");
	ck_assert(h.score > 0.99);
	h = match(rp, "POST", "/v1/responses", T3, why, sizeof(why));
	ck_assert_str_eq(answer(&h), "three");
	/* A retry of the last: served again, said so. */
	h = match(rp, "POST", "/v1/responses", T3, why, sizeof(why));
	ck_assert_str_eq(answer(&h), "three");
	ck_assert_int_eq(h.again, 1);
	cx_replay_free(rp);
}
END_TEST

/* An agent that sends its turns in another order gets each its own. */
START_TEST(test_by_body)
{
	struct cx_replay *rp = table();
	struct cx_replay_hit h;
	char why[512];

	h = match(rp, "POST", "/v1/responses", T3, why, sizeof(why));
	ck_assert_str_eq(answer(&h), "three");
	h = match(rp, "POST", "/v1/responses", T1, why, sizeof(why));
	ck_assert_str_eq(answer(&h), "one");
	h = match(rp, "POST", "/v1/responses", T2, why, sizeof(why));
	ck_assert_str_eq(answer(&h), "two");
	/* All served, and no retry of one: none, and why. */
	h = match(rp, "POST", "/v1/responses", NULL, why, sizeof(why));
	ck_assert_ptr_null(h.e);
	ck_assert_ptr_nonnull(strstr(why, "every exchange the trace holds for "
	    "POST /v1/responses was answered already"));
	cx_replay_free(rp);
}
END_TEST

/* Ids in paths are folded: another model id finds the same exchange. */
START_TEST(test_ids)
{
	struct cx_replay *rp = table();
	struct cx_replay_hit h;
	char why[512];
	char *k = cx_replay_key("GET", "/v1/models/fedcba9876543210fedc?a=1");

	ck_assert_str_eq(k, "GET /v1/models/{id}");
	free(k);
	h = match(rp, "GET", "/v1/models/fedcba9876543210fedc", NULL, why,
	    sizeof(why));
	ck_assert_str_eq(answer(&h), "model");
	cx_replay_free(rp);
}
END_TEST

/* Nothing of the key: no entry, and why says what the trace holds. */
START_TEST(test_why_not)
{
	struct cx_replay *rp = table();
	struct cx_replay_hit h;
	char why[512];

	h = match(rp, "POST", "/v1/nope", "{}", why, sizeof(why));
	ck_assert_ptr_null(h.e);
	ck_assert_ptr_nonnull(strstr(why, "no exchange for POST /v1/nope"));
	ck_assert_ptr_nonnull(strstr(why, "POST /v1/responses (3)"));
	ck_assert_ptr_nonnull(strstr(why, "GET /v1/models/{id} (1)"));
	/* The request never answered is no entry: not matched. */
	h = match(rp, "GET", "/v1/pending", NULL, why, sizeof(why));
	ck_assert_ptr_null(h.e);
	ck_assert_ptr_nonnull(strstr(why, "no complete exchange for GET "
	    "/v1/pending, only 1 cut short"));
	/* A why cut short stays a string. */
	h = match(rp, "GET", "/x", NULL, why, 20);
	ck_assert_uint_eq(strlen(why), 19);
	cx_replay_free(rp);
}
END_TEST

START_TEST(test_likeness)
{
	size_t na, nb;
	uint64_t *a = cx_replay_tokens(NULL, (const uint8_t *)"{\"a\":[1,2]}",
	    11, &na);
	uint64_t *b = cx_replay_tokens(NULL, (const uint8_t *)"{\"a\":[1,3]}",
	    11, &nb);

	ck_assert_uint_eq(na, 3);
	ck_assert(cx_replay_likeness(a, na, a, na) == 1.0);
	ck_assert(cx_replay_likeness(a, na, b, nb) == 0.5);
	ck_assert(cx_replay_likeness(NULL, 0, NULL, 0) == 1.0);
	ck_assert(cx_replay_likeness(a, na, NULL, 0) == 0.0);
	free(a);
	free(b);
}
END_TEST

static void
proxy_feed(struct cx_analysis *a, uint8_t dir, uint64_t conn, double t,
    const char *s)
{
	struct cx_frame f;

	memset(&f, 0, sizeof(f));
	f.kind = CX_K_DATA;
	f.source = CX_SRC_PROXY;
	f.dir = dir;
	f.conn = conn;
	f.ts_ns = tg_info.monotonic_ns + (int64_t)(t * MS);
	f.payload = (const uint8_t *)s;
	f.len = (uint32_t)strlen(s);
	cx_analysis_frame(a, &f);
}

static char hosts[256];

static void
host_seen(void *arg, const char *host)
{
	(void)arg;
	strncat(hosts, host, sizeof(hosts) - strlen(hosts) - 2);
	strcat(hosts, " ");
}

/* The hosts reached through the proxy: its decrypted requests' Host, each
 * once; a CONNECT's host is not one (its tunnel may have failed). */
START_TEST(test_proxy_hosts)
{
	struct cx_analysis *a = cx_analysis_new(&tg_info);
	struct cx_replay *rp;

	proxy_feed(a, CX_DIR_REQ, 1, 0, "CONNECT api.github.com:443 HTTP/1.1"
	    "\r\nHost: api.github.com:443\r\n\r\n");
	proxy_feed(a, CX_DIR_RESP, 1, 1, "HTTP/1.1 502 Bad Gateway\r\n"
	    "Content-Length: 0\r\n\r\n");
	for (uint64_t c = 2; c <= 3; c++) {
		proxy_feed(a, CX_DIR_REQ, c, 2, "GET /a HTTP/1.1\r\nHost: "
		    "chatgpt.com:443\r\n\r\n");
		proxy_feed(a, CX_DIR_RESP, c, 3, "HTTP/1.1 200 OK\r\n"
		    "Content-Length: 0\r\n\r\n");
	}
	proxy_feed(a, CX_DIR_REQ, 4, 4, "GET /b HTTP/1.1\r\nHost: "
	    "[::1]:8443\r\n\r\n");
	tg_feed(a, CX_DIR_REQ, 5, 5, "GET /c HTTP/1.1\r\nHost: relay.example"
	    "\r\n\r\n");
	cx_analysis_finish(a);
	rp = cx_replay_from(a);
	hosts[0] = '\0';
	cx_replay_proxy_hosts(rp, host_seen, NULL);
	ck_assert_str_eq(hosts, "chatgpt.com [::1] ");
	cx_replay_free(rp);
}
END_TEST

/* A torn trace: what is complete is served; not a trace: NULL and err. */
START_TEST(test_open)
{
	struct cx_replay *rp;
	unsigned damaged;
	char err[256];
	FILE *f;

	tg_setup("replay");
	tg_scenario(tg_path, 1);
	rp = cx_replay_open(tg_path, &damaged, err, sizeof(err));
	ck_assert_ptr_nonnull(rp);
	ck_assert_uint_ge(damaged, 1);
	ck_assert_uint_gt(cx_replay_count(rp), 0);
	ck_assert_uint_gt(cx_replay_incomplete(rp), 0);
	for (size_t i = 0; i < cx_replay_count(rp); i++)
		ck_assert(cx_replay_entry(rp, i)->ex->resp.complete);
	cx_replay_free(rp);
	ck_assert_ptr_nonnull(f = fopen(tg_path, "w"));
	fputs("not a trace\n", f);
	fclose(f);
	ck_assert_ptr_null(cx_replay_open(tg_path, NULL, err, sizeof(err)));
	ck_assert_uint_gt(strlen(err), 0);
	ck_assert_ptr_null(strchr(err, '\n'));
	tg_teardown();
}
END_TEST

int
main(void)
{
	Suite *s = suite_create("replay_match");
	TCase *tc = tcase_create("core");
	SRunner *sr;
	int failed;

	tg_info.monotonic_ns = 1000000000;
	tg_info.realtime_ns = 1700000000LL * 1000000000;
	tcase_add_test(tc, test_in_order);
	tcase_add_test(tc, test_by_body);
	tcase_add_test(tc, test_ids);
	tcase_add_test(tc, test_why_not);
	tcase_add_test(tc, test_likeness);
	tcase_add_test(tc, test_proxy_hosts);
	tcase_add_test(tc, test_open);
	suite_add_tcase(s, tc);
	sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
