/*
 * test_resolve.c: upstream names resolved off the event loop
 * (relay/resolve.c): address literals at once, names in a thread that
 * signals the eventfd, results kept per slot, failures reported to every
 * caller for a while, a slot asked for another host starting over, and a
 * resolver freed while a lookup runs.  Only loopback names and numeric
 * hosts: nothing here asks a DNS server.
 */
#include <check.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include "resolve.h"

static int efd = -1;
static char err[512];

static void
setup(void)
{
	efd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
	ck_assert_int_ge(efd, 0);
}

static void
teardown(void)
{
	close(efd);
}

/* Wait (at most 10 s) for the eventfd, empty it, take the results in. */
static void
wait_collect(struct resolver *res)
{
	struct pollfd p = { .fd = efd, .events = POLLIN };
	uint64_t v;

	ck_assert_int_eq(poll(&p, 1, 10000), 1);
	ck_assert_int_eq(read(efd, &v, sizeof(v)), (ssize_t)sizeof(v));
	resolver_collect(res);
}

/* get, then wait and collect while it says WAIT (at most a few rounds). */
static int
get_done(struct resolver *res, int slot, const char *host, const char *port,
    struct addr_list *out)
{
	int rc;

	for (int i = 0; i < 5; i++) {
		rc = resolver_get(res, slot, host, port, out, err, sizeof(err));
		if (rc != RESOLVE_WAIT)
			return rc;
		wait_collect(res);
	}
	return rc;
}

static int
port_of(const struct addr_list *l, int i)
{
	const struct sockaddr *sa = (const struct sockaddr *)&l->a[i];

	if (sa->sa_family == AF_INET)
		return ntohs(((const struct sockaddr_in *)sa)->sin_port);
	ck_assert_int_eq(sa->sa_family, AF_INET6);
	return ntohs(((const struct sockaddr_in6 *)sa)->sin6_port);
}

START_TEST(literals)
{
	struct resolver *res = resolver_new(2, efd);
	struct addr_list l;

	ck_assert_int_eq(resolver_get(res, 0, "127.0.0.1", "8443", &l, err,
	    sizeof(err)), RESOLVE_OK);
	ck_assert_int_eq(l.n, 1);
	ck_assert_int_eq(l.a[0].ss_family, AF_INET);
	ck_assert_uint_eq(l.len[0], sizeof(struct sockaddr_in));
	ck_assert_int_eq(port_of(&l, 0), 8443);
	ck_assert_int_eq(resolver_get(res, 1, "::1", "443", &l, err,
	    sizeof(err)), RESOLVE_OK);
	ck_assert_int_eq(l.n, 1);
	ck_assert_int_eq(l.a[0].ss_family, AF_INET6);
	ck_assert_int_eq(port_of(&l, 0), 443);
	/* No slot by that number. */
	ck_assert_int_eq(resolver_get(res, 2, "127.0.0.1", "1", &l, err,
	    sizeof(err)), RESOLVE_FAIL);
	ck_assert_str_eq(err, "no such route");
	ck_assert_int_eq(resolver_get(res, -1, "127.0.0.1", "1", &l, err,
	    sizeof(err)), RESOLVE_FAIL);
	resolver_free(res);
	resolver_free(NULL);
}
END_TEST

START_TEST(names)
{
	struct resolver *res = resolver_new(1, efd);
	struct addr_list l;

	/* The first ask starts a lookup and says to wait. */
	memset(&l, 0, sizeof(l));
	ck_assert_int_eq(resolver_get(res, 0, "localhost", "8080", &l, err,
	    sizeof(err)), RESOLVE_WAIT);
	ck_assert_int_eq(resolver_get(res, 0, "localhost", "8080", &l, err,
	    sizeof(err)), RESOLVE_WAIT);
	wait_collect(res);
	ck_assert_int_eq(resolver_get(res, 0, "localhost", "8080", &l, err,
	    sizeof(err)), RESOLVE_OK);
	ck_assert_int_ge(l.n, 1);
	ck_assert_int_le(l.n, RESOLVE_MAX_ADDRS);
	for (int i = 0; i < l.n; i++)
		ck_assert_int_eq(port_of(&l, i), 8080);
	/* Kept: asked again, answered at once. */
	memset(&l, 0, sizeof(l));
	ck_assert_int_eq(resolver_get(res, 0, "localhost", "8080", &l, err,
	    sizeof(err)), RESOLVE_OK);
	ck_assert_int_ge(l.n, 1);
	/* The slot asked for another port starts over. */
	ck_assert_int_eq(resolver_get(res, 0, "localhost", "9090", &l, err,
	    sizeof(err)), RESOLVE_WAIT);
	wait_collect(res);
	ck_assert_int_eq(resolver_get(res, 0, "localhost", "9090", &l, err,
	    sizeof(err)), RESOLVE_OK);
	ck_assert_int_eq(port_of(&l, 0), 9090);
	resolver_free(res);
}
END_TEST

/* A lookup that fails (a service name /etc/services does not know). */
START_TEST(failure)
{
	struct resolver *res = resolver_new(1, efd);
	struct addr_list l;
	char first[512];

	ck_assert_int_eq(get_done(res, 0, "localhost", "nosvc",
	    &l), RESOLVE_FAIL);
	ck_assert_ptr_nonnull(strstr(err, "cannot resolve localhost: "));
	snprintf(first, sizeof(first), "%s", err);
	/* Everyone asking soon after hears the same, no new lookup. */
	err[0] = '\0';
	ck_assert_int_eq(resolver_get(res, 0, "localhost", "nosvc",
	    &l, err, sizeof(err)), RESOLVE_FAIL);
	ck_assert_str_eq(err, first);
	/* Another host for the slot is not held to that failure. */
	ck_assert_int_eq(get_done(res, 0, "localhost", "80", &l), RESOLVE_OK);
	resolver_free(res);
}
END_TEST

/*
 * A port of more than 7 characters settles (a slot once kept 7, so the
 * lookup it started never matched it again: WAIT for ever); one longer
 * than any service name, or a host longer than a slot holds, fails at
 * once with why.
 */
START_TEST(long_names)
{
	struct resolver *res = resolver_new(1, efd);
	struct addr_list l;
	char host[300];

	ck_assert_int_eq(get_done(res, 0, "localhost", "0000008080", &l),
	    RESOLVE_OK);
	ck_assert_int_eq(port_of(&l, 0), 8080);
	ck_assert_int_eq(resolver_get(res, 0, "localhost",
	    "00000000000000000000000000000000008080", &l, err, sizeof(err)),
	    RESOLVE_FAIL);
	ck_assert_ptr_nonnull(strstr(err, "port too long"));
	memset(host, 'a', sizeof(host) - 1);
	host[sizeof(host) - 1] = '\0';
	ck_assert_int_eq(resolver_get(res, 0, host, "80", &l, err,
	    sizeof(err)), RESOLVE_FAIL);
	ck_assert_ptr_nonnull(strstr(err, "host name too long"));
	resolver_free(res);
}
END_TEST

/* Freed with lookups under way: they finish alone (ASan/valgrind watch). */
START_TEST(free_while_running)
{
	for (int i = 0; i < 20; i++) {
		struct resolver *res = resolver_new(3, efd);
		struct addr_list l;

		ck_assert_int_eq(resolver_get(res, 0, "localhost", "1", &l, err,
		    sizeof(err)), RESOLVE_WAIT);
		ck_assert_int_eq(resolver_get(res, 2, "localhost", "2", &l, err,
		    sizeof(err)), RESOLVE_WAIT);
		resolver_free(res);
	}
	/* Give the threads time to end before the process does. */
	usleep(200 * 1000);
}
END_TEST

int
main(void)
{
	Suite *s = suite_create("resolve");
	TCase *tc = tcase_create("resolve");
	SRunner *sr;
	int failed;

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_set_timeout(tc, 30);
	tcase_add_test(tc, literals);
	tcase_add_test(tc, names);
	tcase_add_test(tc, failure);
	tcase_add_test(tc, long_names);
	tcase_add_test(tc, free_while_running);
	suite_add_tcase(s, tc);
	sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
