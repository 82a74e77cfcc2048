/*
 * test_peerproc.c: which process is at the other end of a loopback
 * connection, from /proc (relay/peerproc.c): this very process, found by
 * the 4-tuple of a connection it made to itself (IPv4 and IPv6), nobody
 * for a 4-tuple no socket has, and the lookup thread writing its proc
 * frame to a trace.
 */
#include <check.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cJSON.h>

#include "peerproc.h"
#include "trace.h"
#include "tracegen.h"

struct pair {
	int                      lfd, cfd, afd;
	struct sockaddr_storage  peer, local;   /* as the accepting side sees */
};

/* A connection from this process to itself on the loopback of family af;
 * 0, or -1 when that family has no loopback here. */
static int
connect_self(struct pair *p, int af)
{
	struct sockaddr_storage a;
	socklen_t len = sizeof(a);

	memset(&a, 0, sizeof(a));
	if (af == AF_INET) {
		struct sockaddr_in *s = (struct sockaddr_in *)&a;

		s->sin_family = AF_INET;
		s->sin_addr.s_addr = htonl(INADDR_LOOPBACK);
		len = sizeof(*s);
	} else {
		struct sockaddr_in6 *s = (struct sockaddr_in6 *)&a;

		s->sin6_family = AF_INET6;
		s->sin6_addr = in6addr_loopback;
		len = sizeof(*s);
	}
	p->lfd = socket(af, SOCK_STREAM, 0);
	ck_assert_int_ge(p->lfd, 0);
	if (bind(p->lfd, (struct sockaddr *)&a, len) == -1) {
		close(p->lfd);
		return -1;
	}
	ck_assert_int_eq(listen(p->lfd, 4), 0);
	ck_assert_int_eq(getsockname(p->lfd, (struct sockaddr *)&a, &len), 0);
	p->cfd = socket(af, SOCK_STREAM, 0);
	ck_assert_int_eq(connect(p->cfd, (struct sockaddr *)&a, len), 0);
	p->afd = accept(p->lfd, NULL, NULL);
	ck_assert_int_ge(p->afd, 0);
	len = sizeof(p->peer);
	ck_assert_int_eq(getpeername(p->afd, (struct sockaddr *)&p->peer, &len),
	    0);
	len = sizeof(p->local);
	ck_assert_int_eq(getsockname(p->afd, (struct sockaddr *)&p->local,
	    &len), 0);
	return 0;
}

static void
pair_close(struct pair *p)
{
	close(p->afd);
	close(p->cfd);
	close(p->lfd);
}

START_TEST(finds_itself)
{
	static const int afs[] = { AF_INET, AF_INET6 };
	char err[256];

	for (size_t i = 0; i < 2; i++) {
		struct pair p;

		if (connect_self(&p, afs[i]) == -1) {
			ck_assert_int_eq(afs[i], AF_INET6);     /* no ::1 here */
			continue;
		}
		err[0] = '\0';
		ck_assert_uint_eq(cx_peerproc_find(&p.peer, &p.local, err,
		    sizeof(err)), (uint32_t)getpid());
		/* The other way round is the server's end: also ours. */
		ck_assert_uint_eq(cx_peerproc_find(&p.local, &p.peer, err,
		    sizeof(err)), (uint32_t)getpid());
		pair_close(&p);
	}
}
END_TEST

START_TEST(nobody)
{
	struct pair p;
	struct sockaddr_storage peer, local;
	char err[256];

	/* A connection gone: nobody holds its client end any more. */
	ck_assert_int_eq(connect_self(&p, AF_INET), 0);
	peer = p.peer;
	local = p.local;
	pair_close(&p);
	err[0] = '\0';
	ck_assert_uint_eq(cx_peerproc_find(&peer, &local, err, sizeof(err)), 0);
	ck_assert_str_ne(err, "");
}
END_TEST

/* The thread: a proc frame "client" for the connection, with this
 * process's pid, comm, exe and argv, and no tid. */
START_TEST(records)
{
	struct pair p;
	struct cx_writer *w = tg_create(tg_path);
	struct cx_peerproc *pp = cx_peerproc_new(w, NULL);
	struct cx_reader *r;
	struct cx_frame f;
	char err[256];
	int found = 0;

	ck_assert_ptr_nonnull(pp);
	ck_assert_int_eq(connect_self(&p, AF_INET), 0);
	cx_peerproc_lookup(pp, CX_SRC_RELAY, 77, &p.peer, &p.local);
	cx_peerproc_free(pp);   /* finishes what is queued */
	pair_close(&p);
	cx_writer_close(w);
	cx_peerproc_free(NULL);

	r = cx_reader_open(tg_path, err, sizeof(err));
	ck_assert_msg(r != NULL, "%s", err);
	while (cx_reader_next(r, &f) == 1) {
		cJSON *o;

		if (f.kind != CX_K_PROC)
			continue;
		found++;
		ck_assert_uint_eq(f.conn, 77);
		ck_assert_uint_eq(f.source, CX_SRC_RELAY);
		ck_assert_uint_eq(f.pid, (uint32_t)getpid());
		o = cJSON_ParseWithLength((const char *)f.payload, f.len);
		ck_assert_ptr_nonnull(o);
		ck_assert_str_eq(tg_jstr(o, "event"), "client");
		ck_assert_int_eq((int)tg_jnum(o, "pid"), getpid());
		ck_assert_int_eq((int)tg_jnum(o, "ppid"), getppid());
		ck_assert_str_eq(tg_jstr(o, "comm"), "test_peerproc");
		ck_assert_ptr_nonnull(strstr(tg_jstr(o, "exe"), "test_peerproc"));
		ck_assert_ptr_nonnull(strstr(tg_jstr(o, "argv.0"),
		    "test_peerproc"));
		ck_assert(tg_jnull(o, "tid"));
		ck_assert_str_eq(tg_jstr(o, "via"), "proc");
		cJSON_Delete(o);
	}
	cx_reader_close(r);
	ck_assert_int_eq(found, 1);
}
END_TEST

static void
setup(void)
{
	tg_setup("peerproc");
}

int
main(void)
{
	Suite *s = suite_create("peerproc");
	TCase *tc = tcase_create("peerproc");
	SRunner *sr;
	int failed;

	tcase_add_checked_fixture(tc, setup, tg_teardown);
	tcase_set_timeout(tc, 30);
	tcase_add_test(tc, finds_itself);
	tcase_add_test(tc, nobody);
	tcase_add_test(tc, records);
	suite_add_tcase(s, tc);
	sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
