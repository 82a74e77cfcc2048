/* peerproc.c: a connection's client process, from /proc (peerproc.h). */
#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <linux/inet_diag.h>
#include <linux/netlink.h>
#include <linux/sock_diag.h>
#include <netinet/in.h>
#include <sys/syscall.h>
#include <sys/time.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>


#include "argv.h"
#include "jsonobj.h"
#include "peerproc.h"
#include "xmalloc.h"

struct job {
	uint64_t                 conn;
	uint8_t                  source;        /* the connection's writer */
	struct sockaddr_storage  peer;
	struct sockaddr_storage  local;
};

struct cx_peerproc {
	struct cx_writer        *w;
	const struct cx_srcredact_key *redact;  /* argv as --redact-at-source */
	pthread_t                thread;
	pthread_mutex_t          lock;
	pthread_cond_t           cond;
	struct job               q[CX_PEERPROC_QUEUE];
	size_t                   head, n;
	int                      stop;
	uint64_t                 dropped;
	/* The thread's frame payload: room for the longest comm, exe (4 KiB)
	 * and argv (4 KiB) escaped, so none is ever cut. */
	char                     out[64 * 1024];
};

/* --- the client's socket: sock_diag ---------------------------------- */

/*
 * The inode of the TCP socket from (src, sport) to (dst, dport) of this
 * family (addresses in network order, 4 or 16 bytes), asked of the kernel
 * by its exact 4-tuple through NETLINK_SOCK_DIAG, as ss(8) does: one round
 * trip, however many sockets the host has (reading /proc/net/tcp is not,
 * with thousands in TIME_WAIT).  0 if there is none (or it has no inode:
 * closed already).
 */
static unsigned long
diag_inode(int family, const uint8_t *src, unsigned sport, const uint8_t *dst,
    unsigned dport)
{
	struct {
		struct nlmsghdr          nlh;
		struct inet_diag_req_v2  r;
	} req;
	union {
		struct nlmsghdr          nlh;
		char                     buf[8192];
	} resp;
	struct sockaddr_nl sa = { .nl_family = AF_NETLINK };
	unsigned long inode = 0;
	struct timeval tv = { .tv_sec = 1 };
	ssize_t n;
	int fd;

	if ((fd = socket(AF_NETLINK, SOCK_DGRAM | SOCK_CLOEXEC,
	    NETLINK_SOCK_DIAG)) == -1)
		return 0;
	setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	memset(&req, 0, sizeof(req));
	req.nlh.nlmsg_len = sizeof(req);
	req.nlh.nlmsg_type = SOCK_DIAG_BY_FAMILY;
	req.nlh.nlmsg_flags = NLM_F_REQUEST;
	req.r.sdiag_family = (uint8_t)family;
	req.r.sdiag_protocol = IPPROTO_TCP;
	req.r.idiag_states = ~0u;
	req.r.id.idiag_sport = htons((uint16_t)sport);
	req.r.id.idiag_dport = htons((uint16_t)dport);
	memcpy(req.r.id.idiag_src, src, family == AF_INET ? 4 : 16);
	memcpy(req.r.id.idiag_dst, dst, family == AF_INET ? 4 : 16);
	req.r.id.idiag_cookie[0] = INET_DIAG_NOCOOKIE;
	req.r.id.idiag_cookie[1] = INET_DIAG_NOCOOKIE;
	if (sendto(fd, &req, sizeof(req), 0, (struct sockaddr *)&sa,
	    sizeof(sa)) != (ssize_t)sizeof(req))
		goto out;
	if ((n = recv(fd, &resp, sizeof(resp), 0)) <= 0)
		goto out;
	for (struct nlmsghdr *h = &resp.nlh; NLMSG_OK(h, (size_t)n);
	    h = NLMSG_NEXT(h, n)) {
		const struct inet_diag_msg *m;

		if (h->nlmsg_type != SOCK_DIAG_BY_FAMILY ||
		    h->nlmsg_len < NLMSG_LENGTH(sizeof(*m)))
			break;          /* NLMSG_ERROR: no such socket */
		m = NLMSG_DATA(h);
		inode = m->idiag_inode;
		break;
	}
out:
	close(fd);
	return inode;
}

/* The 16 (IPv6) or 4 (IPv4) address bytes and the port of an address. */
static int
addr_bytes(const struct sockaddr_storage *ss, uint8_t a[16], int *family,
    unsigned *port)
{
	if (ss->ss_family == AF_INET) {
		const struct sockaddr_in *s = (const void *)ss;

		memcpy(a, &s->sin_addr, 4);
		*port = ntohs(s->sin_port);
	} else if (ss->ss_family == AF_INET6) {
		const struct sockaddr_in6 *s = (const void *)ss;

		memcpy(a, &s->sin6_addr, 16);
		*port = ntohs(s->sin6_port);
	} else
		return -1;
	*family = ss->ss_family;
	return 0;
}

/* Is a[16] an IPv4-mapped IPv6 address? */
static int
is_mapped(const uint8_t a[16])
{
	static const uint8_t prefix[12] = { 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
	    0xff, 0xff };

	return memcmp(a, prefix, 12) == 0;
}

/* The IPv4 address a[4] as an IPv4-mapped IPv6 address in m[16]. */
static void
mapped(uint8_t m[16], const uint8_t a[4])
{
	memset(m, 0, 10);
	m[10] = m[11] = 0xff;
	memcpy(m + 12, a, 4);
}

static int
by_pid_desc(const void *a, const void *b)
{
	uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;

	return x < y ? 1 : x > y ? -1 : 0;
}

/* Does /proc/PID/fd hold socket inode?  Counts a directory it cannot read. */
static int
holds(uint32_t pid, const char *want, int *denied)
{
	char path[64], link[64];
	struct dirent *fe;
	DIR *fds;
	int found = 0;

	snprintf(path, sizeof(path), "/proc/%u/fd", pid);
	if ((fds = opendir(path)) == NULL) {
		if (errno == EACCES)
			(*denied)++;
		return 0;
	}
	while (!found && (fe = readdir(fds)) != NULL) {
		ssize_t n;

		if (fe->d_name[0] == '.')
			continue;
		n = readlinkat(dirfd(fds), fe->d_name, link, sizeof(link) - 1);
		if (n <= 0)
			continue;
		link[n] = '\0';
		found = strcmp(link, want) == 0;
	}
	closedir(fds);
	return found;
}

/*
 * The pid holding socket inode, or 0.  The newest processes first: the
 * client is racing to finish its request, and usually one of them.
 */
static uint32_t
inode_owner(unsigned long inode, int *denied)
{
	char want[64];
	DIR *proc = opendir("/proc");
	struct dirent *de;
	uint32_t *pids = NULL, found = 0;
	size_t n = 0, a = 0;

	if (proc == NULL)
		return 0;
	snprintf(want, sizeof(want), "socket:[%lu]", inode);
	while ((de = readdir(proc)) != NULL) {
		if (!isdigit((unsigned char)de->d_name[0]))
			continue;
		if (n == a) {
			a = a ? 2 * a : 512;
			pids = xreallocarray(pids, a, sizeof(*pids));
		}
		pids[n++] = (uint32_t)strtoul(de->d_name, NULL, 10);
	}
	closedir(proc);
	qsort(pids, n, sizeof(*pids), by_pid_desc);
	for (size_t i = 0; i < n && found == 0; i++)
		if (holds(pids[i], want, denied))
			found = pids[i];
	free(pids);
	return found;
}

uint32_t
cx_peerproc_find(const struct sockaddr_storage *peer,
    const struct sockaddr_storage *local, char *err, size_t errlen)
{
	uint8_t a[16], b[16], ma[16], mb[16];
	int fa, fb, denied = 0;
	unsigned pa, pb;
	unsigned long inode = 0;
	uint32_t pid;

	if (addr_bytes(peer, a, &fa, &pa) == -1 ||
	    addr_bytes(local, b, &fb, &pb) == -1 || fa != fb) {
		snprintf(err, errlen, "not a TCP/IP connection");
		return 0;
	}
	/* The client's socket: local = our peer, remote = our local. */
	inode = diag_inode(fa, a, pa, b, pb);
	if (inode == 0 && fa == AF_INET) {
		/* The client may be an IPv6 socket, mapped. */
		mapped(ma, a);
		mapped(mb, b);
		inode = diag_inode(AF_INET6, ma, pa, mb, pb);
	} else if (inode == 0 && fa == AF_INET6 && is_mapped(a) &&
	    is_mapped(b)) {
		/* A dual-stack relay, an IPv4 client. */
		inode = diag_inode(AF_INET, a + 12, pa, b + 12, pb);
	}
	if (inode == 0) {
		snprintf(err, errlen, "the kernel knows no open client socket "
		    "for this connection (not on this host, or closed "
		    "already)");
		return 0;
	}
	if ((pid = inode_owner(inode, &denied)) == 0)
		snprintf(err, errlen, "no process of ours holds socket %lu%s",
		    inode, denied ? " (some processes' /proc/PID/fd could not "
		    "be read: another user's?)" : " (it may have exited)");
	return pid;
}

/* --- what is recorded -------------------------------------------------- */

/* /proc/PID/FILE, NUL-terminated, at most n - 1 bytes; its length or -1. */
static ssize_t
read_proc(uint32_t pid, const char *file, char *buf, size_t n)
{
	char path[64];
	ssize_t got, len = 0;
	int fd;

	snprintf(path, sizeof(path), "/proc/%u/%s", pid, file);
	if ((fd = open(path, O_RDONLY | O_CLOEXEC)) == -1)
		return -1;
	while ((size_t)len < n - 1 &&
	    (got = read(fd, buf + len, n - 1 - (size_t)len)) > 0)
		len += got;
	close(fd);
	buf[len] = '\0';
	return len;
}

static void
record(struct cx_peerproc *pp, const struct job *j)
{
	char err[256], buf[4096], exe[PATH_MAX];
	uint32_t pid = cx_peerproc_find(&j->peer, &j->local, err, sizeof(err));
	struct cx_jobj o;
	struct cx_frame f;
	ssize_t n;

	cx_jobj_begin(&o, pp->out, sizeof(pp->out));
	cx_jobj_str(&o, "event", "client");
	if (pid == 0) {
		cx_jobj_raw(&o, "pid", "null");
		cx_jobj_str(&o, "error", err);
	} else {
		cx_jobj_u64(&o, "pid", pid);
		if (read_proc(pid, "stat", buf, sizeof(buf)) > 0) {
			/* "pid (comm) state ppid ...": comm may hold ')' */
			char *rp = strrchr(buf, ')');
			unsigned ppid;

			if (rp != NULL && sscanf(rp + 1, " %*c %u", &ppid) == 1)
				cx_jobj_u64(&o, "ppid", ppid);
		}
		if ((n = read_proc(pid, "comm", buf, sizeof(buf))) > 0) {
			if (buf[n - 1] == '\n')
				buf[n - 1] = '\0';
			cx_jobj_str(&o, "comm", buf);
		}
		snprintf(buf, sizeof(buf), "/proc/%u/exe", pid);
		if ((n = readlink(buf, exe, sizeof(exe) - 1)) > 0) {
			exe[n] = '\0';
			cx_jobj_str(&o, "exe", exe);
		}
		if ((n = read_proc(pid, "cmdline", buf, sizeof(buf))) > 0) {
			cx_argv_jobj(&o, "argv", buf, (size_t)n, pp->redact);
		}
	}
	cx_jobj_raw(&o, "tid", "null");
	cx_jobj_str(&o, "via", "proc");
	memset(&f, 0, sizeof(f));
	f.kind = CX_K_PROC;
	f.source = j->source;
	f.conn = j->conn;
	f.ts_ns = cx_now_ns();
	f.pid = pid;
	f.len = (uint32_t)cx_jobj_end(&o);
	f.payload = (const uint8_t *)pp->out;
	cx_writer_put(pp->w, &f);
}

/* --- the thread -------------------------------------------------------- */

static void *
worker(void *arg)
{
	struct cx_peerproc *pp = arg;
	struct job j;

	pthread_mutex_lock(&pp->lock);
	for (;;) {
		while (pp->n == 0 && !pp->stop)
			pthread_cond_wait(&pp->cond, &pp->lock);
		if (pp->n == 0)
			break;          /* stopping, and nothing left */
		j = pp->q[pp->head];
		pp->head = (pp->head + 1) % CX_PEERPROC_QUEUE;
		pp->n--;
		pthread_mutex_unlock(&pp->lock);
		record(pp, &j);
		pthread_mutex_lock(&pp->lock);
	}
	pthread_mutex_unlock(&pp->lock);
	return NULL;
}

struct cx_peerproc *
cx_peerproc_new(struct cx_writer *w, const struct cx_srcredact_key *redact)
{
	struct cx_peerproc *pp = xcalloc(1, sizeof(*pp));
	int rc;

	pp->redact = redact;
	pp->w = w;
	pthread_mutex_init(&pp->lock, NULL);
	pthread_cond_init(&pp->cond, NULL);
	if ((rc = pthread_create(&pp->thread, NULL, worker, pp)) != 0) {
		pthread_mutex_destroy(&pp->lock);
		pthread_cond_destroy(&pp->cond);
		free(pp);
		errno = rc;
		return NULL;
	}
	return pp;
}

void
cx_peerproc_lookup(struct cx_peerproc *pp, uint8_t source, uint64_t conn,
    const struct sockaddr_storage *peer,
    const struct sockaddr_storage *local)
{
	pthread_mutex_lock(&pp->lock);
	if (pp->n == CX_PEERPROC_QUEUE) {
		pp->dropped++;
	} else {
		struct job *j = &pp->q[(pp->head + pp->n) % CX_PEERPROC_QUEUE];

		j->conn = conn;
		j->source = source;
		j->peer = *peer;
		j->local = *local;
		pp->n++;
		pthread_cond_signal(&pp->cond);
	}
	pthread_mutex_unlock(&pp->lock);
}

void
cx_peerproc_free(struct cx_peerproc *pp)
{
	if (pp == NULL)
		return;
	pthread_mutex_lock(&pp->lock);
	pp->stop = 1;
	pthread_cond_signal(&pp->cond);
	pthread_mutex_unlock(&pp->lock);
	pthread_join(pp->thread, NULL);
	if (pp->dropped > 0) {
		struct cx_jobj o;
		struct cx_frame f;

		cx_jobj_begin(&o, pp->out, sizeof(pp->out));
		cx_jobj_str(&o, "type", "client_lookup");
		cx_jobj_u64(&o, "dropped", pp->dropped);
		cx_jobj_str(&o, "why", "more connections than the /proc "
		    "lookups kept up with: their process is unknown");
		memset(&f, 0, sizeof(f));
		f.kind = CX_K_NOTE;
		f.source = CX_SRC_RELAY;
		f.ts_ns = cx_now_ns();
		f.pid = (uint32_t)getpid();
		f.tid = (uint32_t)syscall(SYS_gettid);
		f.len = (uint32_t)cx_jobj_end(&o);
		f.payload = (const uint8_t *)pp->out;
		cx_writer_put(pp->w, &f);
	}
	pthread_mutex_destroy(&pp->lock);
	pthread_cond_destroy(&pp->cond);
	free(pp);
}
