/*
 * test_shmring.c: the shared-memory ring (common/shmring.c): records in
 * order across the wrap, many writer threads against a reader in another
 * process on a ring small enough that they wait for room (nothing lost,
 * each thread's order kept), a writer killed with -9 (what it published
 * is read, what it only reserved is stepped over), close, and the checks
 * on a ring handed over.
 */
#include <check.h>
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <unistd.h>

#include "shmring.h"

static void
put(struct cx_ring *w, const void *p, size_t n)
{
	void *d = cx_ring_reserve(w, n, NULL, NULL);

	ck_assert_ptr_nonnull(d);
	memcpy(d, p, n);
	cx_ring_publish(w, d);
}

START_TEST(order_and_wrap)
{
	struct cx_ring w, r;
	char err[128], buf[3000];
	int fd = cx_ring_create(&w, 0);
	unsigned got = 0, sent = 0;

	ck_assert_int_ge(fd, 0);
	ck_assert_uint_eq(w.size, CX_RING_MIN);
	ck_assert_int_eq(cx_ring_map(&r, fd, err, sizeof(err)), 0);
	/* Many laps of records of odd sizes, read as they come. */
	for (unsigned i = 0; i < 2000; i++) {
		size_t n = 1 + (i * 7919) % sizeof(buf);
		const void *p;
		size_t len;

		memset(buf, 'a' + i % 26, n);
		put(&w, buf, n);
		sent++;
		if (i % 3 == 2)
			while (cx_ring_peek(&r, &p, &len) == 1) {
				size_t want = 1 + (got * 7919) % sizeof(buf);

				ck_assert_uint_eq(len, want);
				ck_assert_int_eq(((const char *)p)[0],
				    'a' + got % 26);
				ck_assert_int_eq(((const char *)p)[len - 1],
				    'a' + got % 26);
				cx_ring_consume(&r);
				got++;
			}
	}
	{
		const void *p;
		size_t len;

		while (cx_ring_peek(&r, &p, &len) == 1) {
			cx_ring_consume(&r);
			got++;
		}
		ck_assert_int_eq(cx_ring_peek(&r, &p, &len), 0);
	}
	ck_assert_uint_eq(got, sent);
	ck_assert_uint_eq(cx_ring_pending(&r), 0);
	cx_ring_unmap(&r);
	cx_ring_unmap(&w);
	close(fd);
}
END_TEST

#define NTHR    4
#define NREC    20000

struct wargs {
	struct cx_ring *w;
	uint32_t id;
};

static void *
writer(void *arg)
{
	struct wargs *a = arg;
	uint32_t rec[64];

	for (uint32_t i = 0; i < NREC; i++) {
		size_t n = 2 + (i % 60);

		rec[0] = a->id;
		rec[1] = i;
		for (size_t k = 2; k < n; k++)
			rec[k] = a->id ^ i ^ (uint32_t)k;
		put(a->w, rec, n * sizeof(uint32_t));
	}
	return NULL;
}

/* A reader in another process, slower than the writers at times. */
static int
read_all(int fd)
{
	struct cx_ring r;
	char err[128];
	uint32_t next[NTHR] = { 0 };
	unsigned total = 0;

	if (cx_ring_map(&r, fd, err, sizeof(err)) == -1)
		return 2;
	while (total < NTHR * NREC) {
		const void *p;
		size_t n;
		int rc = cx_ring_peek(&r, &p, &n);

		if (rc == -1)
			return 3;
		if (rc == 0) {
			cx_ring_wait(&r, 5);
			continue;
		}
		const uint32_t *v = p;

		if (n < 8 || n % 4 != 0 || v[0] >= NTHR || v[1] != next[v[0]])
			return 4;
		for (size_t k = 2; k < n / 4; k++)
			if (v[k] != (v[0] ^ v[1] ^ (uint32_t)k))
				return 5;
		next[v[0]]++;
		total++;
		cx_ring_consume(&r);
		if (total % 5000 == 0)
			usleep(20000);  /* the writers fill it meanwhile */
	}
	return cx_ring_pending(&r) == 0 ? 0 : 6;
}

/* The reader's batches: records peeked past the first, freed at once. */
START_TEST(batches)
{
	struct cx_ring w, r;
	char err[128], buf[5000];
	int fd = cx_ring_create(&w, 0);
	unsigned got = 0, sent = 0;

	ck_assert_int_ge(fd, 0);
	ck_assert_int_eq(cx_ring_map(&r, fd, err, sizeof(err)), 0);
	for (unsigned lap = 0; lap < 300; lap++) {
		const void *p;
		size_t len;
		uint64_t off = 0, next;
		int k = 0;

		for (unsigned i = 0; i < 1 + lap % 7; i++, sent++) {
			size_t n = 1 + (sent * 7919) % sizeof(buf);

			memset(buf, 'a' + sent % 26, n);
			put(&w, buf, n);
		}
		/* The first few of them, then the rest, in two batches. */
		while (k < 3 && cx_ring_peek_at(&r, off, &p, &len, &next) == 1) {
			ck_assert_uint_eq(len, 1 + (got * 7919) % sizeof(buf));
			ck_assert_int_eq(((const char *)p)[len - 1],
			    'a' + got % 26);
			off = next;
			got++;
			k++;
		}
		cx_ring_consume_to(&r, off);
		off = 0;
		while (cx_ring_peek_at(&r, off, &p, &len, &next) == 1) {
			ck_assert_uint_eq(len, 1 + (got * 7919) % sizeof(buf));
			ck_assert_int_eq(((const char *)p)[0], 'a' + got % 26);
			off = next;
			got++;
		}
		ck_assert_int_eq(cx_ring_peek_at(&r, off, &p, &len, &next), 0);
		cx_ring_consume_to(&r, off);
		ck_assert_uint_eq(cx_ring_pending(&r), 0);
	}
	ck_assert_uint_eq(got, sent);
	/* Freed bytes read as zeros: no record there until published. */
	for (uint64_t i = 0; i < r.size; i++)
		ck_assert_int_eq(r.data[i], 0);
	cx_ring_unmap(&r);
	cx_ring_unmap(&w);
	close(fd);
}
END_TEST

START_TEST(many_writers_one_reader)
{
	struct cx_ring w;
	pthread_t t[NTHR];
	struct wargs a[NTHR];
	int fd = cx_ring_create(&w, 0), status;
	pid_t pid;

	ck_assert_int_ge(fd, 0);
	pid = fork();
	ck_assert_int_ge(pid, 0);
	if (pid == 0)
		_exit(read_all(fd));
	for (uint32_t i = 0; i < NTHR; i++) {
		a[i].w = &w;
		a[i].id = i;
		ck_assert_int_eq(pthread_create(&t[i], NULL, writer, &a[i]), 0);
	}
	for (int i = 0; i < NTHR; i++)
		pthread_join(t[i], NULL);
	ck_assert_int_eq(waitpid(pid, &status, 0), pid);
	ck_assert(WIFEXITED(status));
	ck_assert_int_eq(WEXITSTATUS(status), 0);
	cx_ring_unmap(&w);
	close(fd);
}
END_TEST

START_TEST(killed_writer)
{
	struct cx_ring w, r;
	char err[128];
	int fd = cx_ring_create(&w, 0), status, pfd[2];
	pid_t pid;
	const void *p;
	size_t n;

	ck_assert_int_ge(fd, 0);
	ck_assert_int_eq(pipe(pfd), 0);
	pid = fork();
	ck_assert_int_ge(pid, 0);
	if (pid == 0) {
		char *d;

		put(&w, "one", 3);
		put(&w, "two", 3);
		d = cx_ring_reserve(&w, 100, NULL, NULL);
		memcpy(d, "half", 4);   /* never published */
		put(&w, "three", 5);    /* after the hole */
		(void)!write(pfd[1], "x", 1);
		pause();
		_exit(0);
	}
	close(pfd[1]);
	ck_assert_int_eq(read(pfd[0], err, 1), 1);
	kill(pid, SIGKILL);
	ck_assert_int_eq(waitpid(pid, &status, 0), pid);
	cx_ring_unmap(&w);
	ck_assert_int_eq(cx_ring_map(&r, fd, err, sizeof(err)), 0);
	ck_assert_int_eq(cx_ring_peek(&r, &p, &n), 1);
	ck_assert_mem_eq(p, "one", 3);
	cx_ring_consume(&r);
	ck_assert_int_eq(cx_ring_peek(&r, &p, &n), 1);
	ck_assert_mem_eq(p, "two", 3);
	cx_ring_consume(&r);
	ck_assert_int_eq(cx_ring_peek(&r, &p, &n), 0);
	ck_assert_uint_eq(cx_ring_skip(&r), 112);
	ck_assert_int_eq(cx_ring_peek(&r, &p, &n), 1);
	ck_assert_uint_eq(n, 5);
	ck_assert_mem_eq(p, "three", 5);
	cx_ring_consume(&r);
	ck_assert_uint_eq(cx_ring_pending(&r), 0);
	ck_assert_uint_eq(cx_ring_skip(&r), 0);
	cx_ring_unmap(&r);
	close(fd);
	close(pfd[0]);
}
END_TEST

START_TEST(closed)
{
	struct cx_ring w, r;
	char err[128];
	int fd = cx_ring_create(&w, 1 << 20);

	ck_assert_int_ge(fd, 0);
	ck_assert_uint_eq(w.size, 1 << 20);
	ck_assert_int_eq(cx_ring_map(&r, fd, err, sizeof(err)), 0);
	put(&w, "kept", 4);
	cx_ring_close(&r, 100);
	ck_assert_ptr_null(cx_ring_reserve(&w, 4, NULL, NULL));
	/* Too big for the ring: the caller writes it some other way. */
	cx_ring_unmap(&w);
	cx_ring_unmap(&r);
	close(fd);
	ck_assert_int_ge(fd = cx_ring_create(&w, 0), 0);
	ck_assert_ptr_null(cx_ring_reserve(&w, CX_RING_MIN / 2, NULL, NULL));
	cx_ring_unmap(&w);
	close(fd);
}
END_TEST

START_TEST(handed_over_checked)
{
	struct cx_ring r;
	char err[128];
	int fd = memfd_create("x", MFD_CLOEXEC);

	ck_assert_int_ge(fd, 0);
	ck_assert_int_eq(ftruncate(fd, 4096 + CX_RING_MIN), 0);
	ck_assert_int_eq(cx_ring_map(&r, fd, err, sizeof(err)), -1);
	ck_assert_str_eq(err, "ring: not a sealed memfd");
	close(fd);
	fd = memfd_create("x", MFD_CLOEXEC | MFD_ALLOW_SEALING);
	ck_assert_int_eq(ftruncate(fd, 4096 + CX_RING_MIN), 0);
	ck_assert_int_eq(fcntl(fd, F_ADD_SEALS, F_SEAL_SHRINK | F_SEAL_GROW |
	    F_SEAL_SEAL), 0);
	ck_assert_int_eq(cx_ring_map(&r, fd, err, sizeof(err)), -1);
	ck_assert_str_eq(err, "ring: bad header");
	close(fd);
}
END_TEST

static Suite *
suite(void)
{
	Suite *s = suite_create("shmring");
	TCase *tc = tcase_create("ring");

	tcase_add_test(tc, order_and_wrap);
	tcase_add_test(tc, batches);
	tcase_add_test(tc, many_writers_one_reader);
	tcase_add_test(tc, killed_writer);
	tcase_add_test(tc, closed);
	tcase_add_test(tc, handed_over_checked);
	tcase_set_timeout(tc, 60);
	suite_add_tcase(s, tc);
	return s;
}

int
main(void)
{
	SRunner *r = srunner_create(suite());
	int failed;

	srunner_run_all(r, CK_NORMAL);
	failed = srunner_ntests_failed(r);
	srunner_free(r);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
