/* ring_serve.c: the preload's rings, drained into the trace (ring_serve.h). */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdarg.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include "line.h"
#include "preload.h"
#include "ring_serve.h"
#include "shmring.h"
#include "trace.h"

#define WAIT_MAX_MS     50      /* the longest a drainer sleeps */

struct ring_conn {
	struct ring_serve *rs;
	struct cx_ring   ring;
	struct cx_writer *w;
	int              sock;
	uint32_t         pid;
	pthread_t        th;
	struct ring_conn *next;
};

struct ring_serve {
	int              lfd;
	int              stop[2];       /* a pipe: the acceptor stops */
	pthread_t        acc;
	pthread_mutex_t  lock;          /* conns */
	struct ring_conn *conns;
	int              stopping;
	char             path[sizeof(((struct sockaddr_un *)0)->sun_path)];
	char             trace[4096];
	char             errors[4096];
};

/* A line in the errors file, as the preload's processes write them. */
static void
report(struct ring_serve *rs, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

static void
report(struct ring_serve *rs, const char *fmt, ...)
{
	char line[600];
	va_list ap;
	size_t n;
	int fd;

	va_start(ap, fmt);
	n = cx_vline(line, sizeof(line), fmt, ap);
	va_end(ap);
	if (n == 0 || (fd = open(rs->errors, O_WRONLY | O_APPEND |
	    O_CLOEXEC | O_NOFOLLOW)) == -1)
		return;
	(void)!write(fd, line, n);
	close(fd);
}

/* The process hung up: exited, killed, exec'd, or closed the socket. */
static int
peer_gone(int sock)
{
	struct pollfd p = { sock, POLLIN, 0 };

	return poll(&p, 1, 0) != 0;
}

/*
 * Write every published frame: how many, or -1 if the ring is corrupt.
 * In batches of up to CX_WRITER_BATCH frames and an eighth of the ring,
 * one writev each (a frame a writev was most of the drainer's CPU for
 * small frames: docs/performance.md, issue 20, the preload), freed once
 * written.
 */
static int
drain_some(struct ring_conn *c)
{
	struct cx_frame f[CX_WRITER_BATCH];
	const void *p;
	size_t n;
	uint64_t off, next;
	int k = 0, b, rc = 0;

	do {
		off = 0;
		for (b = 0; b < CX_WRITER_BATCH && off < c->ring.size / 8 &&
		    (rc = cx_ring_peek_at(&c->ring, off, &p, &n, &next)) == 1;
		    b++) {
			const struct cx_ringframe *h = p;

			if (n < sizeof(*h) || n - sizeof(*h) >
			    CX_FRAME_MAX_PAYLOAD) {
				rc = -1;
				break;
			}
			memset(&f[b], 0, sizeof(f[b]));
			f[b].kind = h->kind;
			f[b].source = h->source;
			f[b].dir = h->dir;
			f[b].flags = h->flags;
			f[b].pid = h->pid;
			f[b].tid = h->tid;
			f[b].conn = h->conn;
			f[b].ts_ns = h->ts_ns;
			f[b].payload = (const uint8_t *)(h + 1);
			f[b].len = (uint32_t)(n - sizeof(*h));
			off = next;
		}
		if (b > 0) {
			cx_writer_putn(c->w, f, b);
			cx_ring_consume_to(&c->ring, off);
			k += b;
		}
	} while (rc == 1);
	return rc == -1 ? -1 : k;
}

static void *
drain(void *arg)
{
	struct ring_conn *c = arg;
	uint64_t lost = 0;
	int ms = 1, k;

	for (;;) {
		if ((k = drain_some(c)) == -1)
			break;
		if (__atomic_load_n(&c->rs->stopping, __ATOMIC_ACQUIRE))
			break;
		/* Not woken sooner while frames keep coming: a writer wakes
		 * us once a quarter of the ring is used, so the timeout only
		 * bounds how late the trace is, and a wake-up a millisecond
		 * took a core from the program's peers (wrk against nginx on
		 * two cores: docs/performance.md, issue 20, the preload). */
		if (k == 0 && peer_gone(c->sock))
			break;
		cx_ring_wait(&c->ring, ms);
		ms = ms * 2 < WAIT_MAX_MS ? ms * 2 : WAIT_MAX_MS;
	}
	if (k == -1) {
		report(c->rs, "pid %u: its ring is corrupt: not read further",
		    (unsigned)c->pid);
		return NULL;
	}
	/* Writers still at work (the run is over) finish or write alone. */
	if (!peer_gone(c->sock))
		cx_ring_close(&c->ring, 2000);
	drain_some(c);
	if (peer_gone(c->sock)) {
		size_t s;

		/* Frames begun and never published: the process died. */
		while ((s = cx_ring_skip(&c->ring)) > 0) {
			lost += s;
			drain_some(c);
		}
		lost += cx_ring_pending(&c->ring);
	}
	if (lost > 0)
		report(c->rs, "pid %u: %llu bytes of frames begun in its ring "
		    "and never finished (killed?)", (unsigned)c->pid,
		    (unsigned long long)lost);
	return NULL;
}

/* One process's ring: take it, answer, start its drainer. */
static void
take(struct ring_serve *rs, int s)
{
	struct cx_ringhello hello;
	struct iovec v = { &hello, sizeof(hello) };
	union {
		struct cmsghdr h;
		char buf[CMSG_SPACE(4 * sizeof(int))];
	} cm;
	struct msghdr m = { .msg_iov = &v, .msg_iovlen = 1,
	    .msg_control = cm.buf, .msg_controllen = sizeof(cm.buf) };
	struct pollfd pf = { s, POLLIN, 0 };
	struct ucred cr;
	socklen_t crlen = sizeof(cr);
	struct ring_conn *c = NULL;
	char err[300];
	int fd = -1;
	ssize_t n;

	if (getsockopt(s, SOL_SOCKET, SO_PEERCRED, &cr, &crlen) == -1 ||
	    (cr.uid != getuid() && cr.uid != 0) || poll(&pf, 1, 2000) != 1 ||
	    (n = recvmsg(s, &m, MSG_CMSG_CLOEXEC)) != (ssize_t)sizeof(hello))
		goto fail;
	for (struct cmsghdr *h = CMSG_FIRSTHDR(&m); h != NULL;
	    h = CMSG_NXTHDR(&m, h))
		if (h->cmsg_level == SOL_SOCKET && h->cmsg_type == SCM_RIGHTS)
			for (size_t i = 0; i < (h->cmsg_len - CMSG_LEN(0)) /
			    sizeof(int); i++) {
				int x;

				memcpy(&x, CMSG_DATA(h) + i * sizeof(int),
				    sizeof(int));
				if (fd == -1)
					fd = x;
				else
					close(x);
			}
	if (fd == -1 || hello.magic != CX_RING_MAGIC ||
	    (c = calloc(1, sizeof(*c))) == NULL)
		goto fail;
	if (cx_ring_map(&c->ring, fd, err, sizeof(err)) == -1) {
		report(rs, "pid %u: %s", (unsigned)hello.pid, err);
		goto fail;
	}
	close(fd);
	fd = -1;
	if ((c->w = cx_writer_attach(rs->trace, err, sizeof(err))) == NULL) {
		report(rs, "ring of pid %u: %s", (unsigned)hello.pid, err);
		goto fail;
	}
	c->rs = rs;
	c->sock = s;
	c->pid = hello.pid;
	if (pthread_create(&c->th, NULL, drain, c) != 0)
		goto fail;
	pthread_mutex_lock(&rs->lock);
	c->next = rs->conns;
	rs->conns = c;
	pthread_mutex_unlock(&rs->lock);
	(void)!write(s, "k", 1);
	return;
fail:
	if (c != NULL) {
		cx_writer_close(c->w);
		cx_ring_unmap(&c->ring);
		free(c);
	}
	if (fd != -1)
		close(fd);
	close(s);       /* the process writes its frames itself */
}

static void *
accept_loop(void *arg)
{
	struct ring_serve *rs = arg;

	for (;;) {
		struct pollfd p[2] = { { rs->lfd, POLLIN, 0 },
		    { rs->stop[0], POLLIN, 0 } };
		int s;

		if (poll(p, 2, -1) == -1 && errno != EINTR)
			break;
		if (p[1].revents != 0)
			break;
		if (p[0].revents == 0)
			continue;
		if ((s = accept4(rs->lfd, NULL, NULL, SOCK_CLOEXEC)) == -1)
			continue;
		take(rs, s);
	}
	return NULL;
}

struct ring_serve *
ring_serve_start(const char *dir, const char *trace, const char *errors,
    char *err, size_t errlen)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	struct ring_serve *rs = calloc(1, sizeof(*rs));

	if (rs == NULL) {
		snprintf(err, errlen, "out of memory");
		return NULL;
	}
	rs->lfd = rs->stop[0] = rs->stop[1] = -1;
	pthread_mutex_init(&rs->lock, NULL);
	if ((size_t)snprintf(rs->path, sizeof(rs->path), "%s/ring", dir) >=
	    sizeof(rs->path)) {
		snprintf(err, errlen, "%s/ring: too long for a socket", dir);
		goto fail;
	}
	snprintf(rs->trace, sizeof(rs->trace), "%s", trace);
	snprintf(rs->errors, sizeof(rs->errors), "%s", errors);
	snprintf(sa.sun_path, sizeof(sa.sun_path), "%s", rs->path);
	if ((rs->lfd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0)) == -1 ||
	    bind(rs->lfd, (struct sockaddr *)&sa, sizeof(sa)) == -1 ||
	    chmod(rs->path, 0666) == -1 || listen(rs->lfd, 64) == -1 ||
	    pipe2(rs->stop, O_CLOEXEC) == -1) {
		snprintf(err, errlen, "%s: %s", rs->path, strerror(errno));
		goto fail;
	}
	if (pthread_create(&rs->acc, NULL, accept_loop, rs) != 0) {
		snprintf(err, errlen, "cannot start a thread");
		goto fail;
	}
	return rs;
fail:
	if (rs->lfd != -1) {
		close(rs->lfd);
		unlink(rs->path);
	}
	if (rs->stop[0] != -1) {
		close(rs->stop[0]);
		close(rs->stop[1]);
	}
	pthread_mutex_destroy(&rs->lock);
	free(rs);
	return NULL;
}

const char *
ring_serve_path(const struct ring_serve *rs)
{
	return rs->path;
}

void
ring_serve_stop(struct ring_serve *rs)
{
	struct ring_conn *c, *next;

	if (rs == NULL)
		return;
	(void)!write(rs->stop[1], "x", 1);
	pthread_join(rs->acc, NULL);
	close(rs->lfd);
	unlink(rs->path);
	__atomic_store_n(&rs->stopping, 1, __ATOMIC_RELEASE);
	for (c = rs->conns; c != NULL; c = next) {
		next = c->next;
		pthread_join(c->th, NULL);
		cx_writer_close(c->w);
		cx_ring_unmap(&c->ring);
		close(c->sock);
		free(c);
	}
	close(rs->stop[0]);
	close(rs->stop[1]);
	pthread_mutex_destroy(&rs->lock);
	free(rs);
}
