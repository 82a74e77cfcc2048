/*
 * hooks_libc.c: the preload's libc hooks.  Each calls the real function
 * first and returns what it returned, errno as it left it; then, outside
 * pl_in_hook, records: a connection made or accepted, bytes moved on one,
 * descriptors closed, duplicated or reused, the names getaddrinfo gave.
 */
#include <errno.h>
#include <fcntl.h>
#include <netdb.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/types.h>
#include <sys/uio.h>
#include <unistd.h>

#include "preload_int.h"

/* --- connections made and accepted ---------------------------------------- */

EXPORT int
connect(int fd, const struct sockaddr *sa, socklen_t len)
{
	int rc, e;

	ENTER();
	if (real_connect == NULL) {
		errno = ENOSYS;
		return -1;
	}
	rc = real_connect(fd, sa, len);
	if (pl_in_hook || (rc == -1 && errno != EINPROGRESS) || sa == NULL ||
	    (sa->sa_family != AF_INET && sa->sa_family != AF_INET6))
		return rc;
	e = errno;
	pl_in_hook = 1;
	pl_untrack(fd);            /* a descriptor reused without close */
	pl_track(fd, FD_CLIENT, sa, len);
	pl_in_hook = 0;
	errno = e;
	return rc;
}

static int
accepted(int rc)
{
	int e = errno;

	if (rc < 0 || pl_in_hook)
		return rc;
	pl_in_hook = 1;
	pl_untrack(rc);            /* a number closed behind our back */
	pl_track(rc, FD_SERVER, NULL, 0);
	pl_in_hook = 0;
	errno = e;
	return rc;
}

EXPORT int
accept(int fd, struct sockaddr *sa, socklen_t *len)
{
	ENTER();
	if (real_accept == NULL) {
		errno = ENOSYS;
		return -1;
	}
	return accepted(real_accept(fd, sa, len));
}

EXPORT int
accept4(int fd, struct sockaddr *sa, socklen_t *len, int flags)
{
	ENTER();
	if (real_accept4 == NULL) {
		errno = ENOSYS;
		return -1;
	}
	return accepted(real_accept4(fd, sa, len, flags));
}

/* --- bytes moved ---------------------------------------------------------- */

/* After a call that moved n bytes (out: written) on fd. */
static void
moved(int fd, const struct iovec *iov, int iovcnt, ssize_t n, int out)
{
	uint8_t kind = 0;
	uint64_t conn;
	int e;

	if (n <= 0 || pl_in_hook || (conn = pl_tracked(fd, &kind)) == 0)
		return;
	e = errno;
	pl_in_hook = 1;
	/* Inside an SSL call: this is its transport (hooks_ssl.c). */
	if (kind == FD_PROXY && out)
		pl_proxy_decide(fd, iov, iovcnt, (size_t)n);
	else if (pl_cur_ssl != NULL)
		pl_ssl_map(pl_cur_ssl, fd, conn, kind);
	if (kind == FD_TUNNEL) {
		/* Its bytes are TLS (the CONNECT is not recorded): counted. */
		__atomic_add_fetch(&pl_fdtab[fd].cipher[pl_dir_of(kind, out) ==
		    CX_DIR_REQ ? 0 : 1], (uint64_t)n, __ATOMIC_RELAXED);
	} else if (__atomic_load_n(&pl_fdtab[fd].plain, __ATOMIC_RELAXED))
		__atomic_add_fetch(&pl_fdtab[fd].cipher[pl_dir_of(kind, out) ==
		    CX_DIR_REQ ? 0 : 1], (uint64_t)n, __ATOMIC_RELAXED);
	else if (kind != FD_RELAY && kind != FD_PROXY)
		pl_data(conn, pl_dir_of(kind, out), 0, iov, iovcnt, (size_t)n);
	pl_in_hook = 0;
	errno = e;
}

static void
moved1(int fd, const void *p, ssize_t n, int out)
{
	struct iovec v = { (void *)(uintptr_t)p, n > 0 ? (size_t)n : 0 };

	moved(fd, &v, 1, n, out);
}

EXPORT ssize_t
send(int fd, const void *p, size_t n, int flags)
{
	ssize_t rc;

	ENTER();
	rc = real_send(fd, p, n, flags);
	moved1(fd, p, rc, 1);
	return rc;
}

EXPORT ssize_t
sendto(int fd, const void *p, size_t n, int flags, const struct sockaddr *sa,
    socklen_t len)
{
	ssize_t rc;

	ENTER();
	rc = real_sendto(fd, p, n, flags, sa, len);
	moved1(fd, p, rc, 1);
	return rc;
}

EXPORT ssize_t
sendmsg(int fd, const struct msghdr *m, int flags)
{
	ssize_t rc;

	ENTER();
	rc = real_sendmsg(fd, m, flags);
	if (m != NULL)
		moved(fd, m->msg_iov, (int)m->msg_iovlen, rc, 1);
	return rc;
}

EXPORT ssize_t
recv(int fd, void *p, size_t n, int flags)
{
	ssize_t rc;

	ENTER();
	rc = real_recv(fd, p, n, flags);
	/* MSG_PEEK: read again later; MSG_TRUNC: nothing in p. */
	if (!(flags & (MSG_PEEK | MSG_TRUNC)))
		moved1(fd, p, rc, 0);
	return rc;
}

EXPORT ssize_t
recvfrom(int fd, void *p, size_t n, int flags, struct sockaddr *sa,
    socklen_t *len)
{
	ssize_t rc;

	ENTER();
	rc = real_recvfrom(fd, p, n, flags, sa, len);
	if (!(flags & (MSG_PEEK | MSG_TRUNC)))
		moved1(fd, p, rc, 0);
	return rc;
}

EXPORT ssize_t
recvmsg(int fd, struct msghdr *m, int flags)
{
	ssize_t rc;

	ENTER();
	rc = real_recvmsg(fd, m, flags);
	if (m != NULL && !(flags & (MSG_PEEK | MSG_TRUNC)))
		moved(fd, m->msg_iov, (int)m->msg_iovlen, rc, 0);
	return rc;
}

EXPORT ssize_t
write(int fd, const void *p, size_t n)
{
	ssize_t rc;

	ENTER();
	rc = real_write(fd, p, n);
	moved1(fd, p, rc, 1);
	return rc;
}

EXPORT ssize_t
writev(int fd, const struct iovec *iov, int iovcnt)
{
	ssize_t rc;

	ENTER();
	rc = real_writev(fd, iov, iovcnt);
	moved(fd, iov, iovcnt, rc, 1);
	return rc;
}

EXPORT ssize_t
read(int fd, void *p, size_t n)
{
	ssize_t rc;

	ENTER();
	rc = real_read(fd, p, n);
	moved1(fd, p, rc, 0);
	return rc;
}

EXPORT ssize_t
readv(int fd, const struct iovec *iov, int iovcnt)
{
	ssize_t rc;

	ENTER();
	rc = real_readv(fd, iov, iovcnt);
	moved(fd, iov, iovcnt, rc, 0);
	return rc;
}

/* --- descriptors closed, reused, duplicated ------------------------------- */

/* fd is going away (close, or replaced by dup2): before it happens. */
static void
going(int fd)
{
	uint8_t kind;
	int e;

	if (pl_in_hook || fd < 0)
		return;
	e = errno;
	pl_in_hook = 1;
	pl_fds_going((unsigned)fd, (unsigned)fd);
	if (pl_tracked(fd, &kind) != 0 && !pl_in_vfork_child())
		pl_untrack(fd);
	pl_in_hook = 0;
	errno = e;
}

EXPORT int
close(int fd)
{
	ENTER();
	going(fd);
	return real_close(fd);
}

/* A new descriptor: whatever the table said of its number is stale. */
static int
fresh(int fd)
{
	uint8_t kind;
	int e = errno;

	if (fd >= 0 && !pl_in_hook && pl_tracked(fd, &kind) != 0 &&
	    !pl_in_vfork_child()) {
		pl_in_hook = 1;
		pl_untrack(fd);
		pl_in_hook = 0;
	}
	errno = e;
	return fd;
}

EXPORT int
socket(int domain, int type, int proto)
{
	ENTER();
	if (real_socket == NULL) {
		errno = ENOSYS;
		return -1;
	}
	return fresh(real_socket(domain, type, proto));
}

/* open's mode is there only with O_CREAT or O_TMPFILE. */
#define NEEDS_MODE(flags) (((flags) & O_CREAT) || \
	((flags) & O_TMPFILE) == O_TMPFILE)

EXPORT int
open(const char *path, int flags, ...)
{
	mode_t mode = 0;
	va_list ap;

	ENTER();
	if (NEEDS_MODE(flags)) {
		va_start(ap, flags);
		mode = (mode_t)va_arg(ap, int);
		va_end(ap);
	}
	if (real_open == NULL) {
		errno = ENOSYS;
		return -1;
	}
	return fresh(real_open(path, flags, mode));
}

EXPORT int
openat(int dirfd, const char *path, int flags, ...)
{
	mode_t mode = 0;
	va_list ap;

	ENTER();
	if (NEEDS_MODE(flags)) {
		va_start(ap, flags);
		mode = (mode_t)va_arg(ap, int);
		va_end(ap);
	}
	if (real_openat == NULL) {
		errno = ENOSYS;
		return -1;
	}
	return fresh(real_openat(dirfd, path, flags, mode));
}

EXPORT int
fclose(FILE *f)
{
	ENTER();
	if (f != NULL)
		going(fileno(f));
	if (real_fclose == NULL) {
		errno = ENOSYS;
		return EOF;
	}
	return real_fclose(f);
}

/* Descriptors [lo, hi] are closed: forget them. */
static void
range_going(unsigned lo, unsigned hi)
{
	int e;

	if (pl_in_hook)
		return;
	e = errno;
	pl_in_hook = 1;
	pl_fds_going(lo, hi);
	if (!pl_in_vfork_child())
		for (unsigned fd = lo; fd <= hi && fd < FD_MAX; fd++)
			if (__atomic_load_n(&pl_fdtab[fd].conn,
			    __ATOMIC_RELAXED))
				pl_untrack((int)fd);
	pl_in_hook = 0;
	errno = e;
}

EXPORT int
close_range(unsigned lo, unsigned hi, int flags)
{
	ENTER();
	if (real_close_range == NULL) {
		errno = ENOSYS;
		return -1;
	}
	/* With CLOSE_RANGE_CLOEXEC (4) nothing closes now. */
	if (!(flags & 4))
		range_going(lo, hi);
	return real_close_range(lo, hi, flags);
}

EXPORT void
closefrom(int lo)
{
	ENTER();
	if (lo >= 0)
		range_going((unsigned)lo, ~0u);
	if (real_closefrom != NULL)
		real_closefrom(lo);
}

EXPORT int
shutdown(int fd, int how)
{
	ENTER();
	return real_shutdown(fd, how);
}

/* newfd now refers to what oldfd does. */
static void
duped(int oldfd, int newfd)
{
	uint8_t kind = 0;
	uint64_t conn;
	int e = errno;

	if (pl_in_hook || newfd < 0 || newfd >= FD_MAX || newfd == oldfd ||
	    pl_in_vfork_child())
		return;
	pl_in_hook = 1;
	pl_untrack(newfd);         /* dup2 closed what newfd was */
	if ((conn = pl_tracked(oldfd, &kind)) != 0) {
		__atomic_store_n(&pl_fdtab[newfd].kind, kind, __ATOMIC_RELAXED);
		__atomic_store_n(&pl_fdtab[newfd].plain, __atomic_load_n(
		    &pl_fdtab[oldfd].plain, __ATOMIC_RELAXED),
		    __ATOMIC_RELAXED);
		__atomic_store_n(&pl_fdtab[newfd].duped, 1, __ATOMIC_RELAXED);
		__atomic_store_n(&pl_fdtab[oldfd].duped, 1, __ATOMIC_RELAXED);
		__atomic_store_n(&pl_fdtab[newfd].conn, conn, __ATOMIC_RELEASE);
	}
	pl_in_hook = 0;
	errno = e;
}

EXPORT int
dup(int fd)
{
	int rc;

	ENTER();
	rc = real_dup(fd);
	if (rc >= 0)
		duped(fd, rc);
	return rc;
}

EXPORT int
dup2(int fd, int newfd)
{
	int rc;

	ENTER();
	if (fd != newfd)
		pl_fds_going((unsigned)newfd, (unsigned)newfd);
	rc = real_dup2(fd, newfd);
	if (rc >= 0)
		duped(fd, rc);
	return rc;
}

EXPORT int
dup3(int fd, int newfd, int flags)
{
	int rc;

	ENTER();
	if (fd != newfd)
		pl_fds_going((unsigned)newfd, (unsigned)newfd);
	rc = real_dup3(fd, newfd, flags);
	if (rc >= 0)
		duped(fd, rc);
	return rc;
}

/* --- names ---------------------------------------------------------------- */

EXPORT int
getaddrinfo(const char *node, const char *service,
    const struct addrinfo *hints, struct addrinfo **res)
{
	int rc, e;

	ENTER();
	if (real_getaddrinfo == NULL)
		return EAI_SYSTEM;
	rc = real_getaddrinfo(node, service, hints, res);
	if (rc != 0 || pl_in_hook || node == NULL || res == NULL)
		return rc;
	e = errno;
	pl_in_hook = 1;            /* a signal handler's hook must not lock */
	pl_hosts_add(node, *res);
	pl_in_hook = 0;
	errno = e;
	return rc;
}

