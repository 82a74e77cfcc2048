/*
 * preload.c: libcxrec-preload.so, the LD_PRELOAD recorder (preload.h).
 *
 * Rules, since it lives inside someone else's program:
 *  - every hook calls the real function first and returns exactly what it
 *    returned, with errno as it left it;
 *  - nothing is printed unless CXREC_DEBUG is set; nothing aborts; memory
 *    is allocated only when opening the trace (a failure there disables
 *    recording, said in the CXREC_PRELOAD_ERRORS file);
 *  - a thread-local guard keeps the library's own calls (the writer's
 *    writev, say) from being recorded or hooked again;
 *  - what is not an AF_INET/AF_INET6 stream socket, or is not known to be
 *    one (a descriptor this library did not see connect or accept), costs
 *    one table look-up.
 *
 * Descriptors are tracked in a table indexed by fd (FD_MAX of them; higher
 * ones are not recorded).  Connection ids are pid << 32 | counter, the
 * counter restarting in a forked child, whose pid differs.
 */
#include <arpa/inet.h>
#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <netdb.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/types.h>
#include <sys/uio.h>
#include <unistd.h>

#include "hostpat.h"
#include "preload.h"
#include "srcredact.h"
#include "trace.h"

#define EXPORT  __attribute__((visibility("default")))
#define FD_MAX  65536
#define NHOSTS  64              /* addresses remembered from getaddrinfo */

/* --- the real functions -------------------------------------------------- */

typedef struct ssl_st SSL;

/* OpenSSL's, hooked (the program's libssl need not be there). */
int      SSL_write(SSL *, const void *, int);
int      SSL_read(SSL *, void *, int);
int      SSL_write_ex(SSL *, const void *, size_t, size_t *);
int      SSL_read_ex(SSL *, void *, size_t, size_t *);
int      SSL_set_fd(SSL *, int);
void     SSL_free(SSL *);

static int (*real_connect)(int, const struct sockaddr *, socklen_t);
static int (*real_accept)(int, struct sockaddr *, socklen_t *);
static int (*real_accept4)(int, struct sockaddr *, socklen_t *, int);
static ssize_t (*real_send)(int, const void *, size_t, int);
static ssize_t (*real_sendto)(int, const void *, size_t, int,
    const struct sockaddr *, socklen_t);
static ssize_t (*real_sendmsg)(int, const struct msghdr *, int);
static ssize_t (*real_recv)(int, void *, size_t, int);
static ssize_t (*real_recvfrom)(int, void *, size_t, int, struct sockaddr *,
    socklen_t *);
static ssize_t (*real_recvmsg)(int, struct msghdr *, int);
static ssize_t (*real_write)(int, const void *, size_t);
static ssize_t (*real_writev)(int, const struct iovec *, int);
static ssize_t (*real_read)(int, void *, size_t);
static ssize_t (*real_readv)(int, const struct iovec *, int);
static int (*real_close)(int);
static int (*real_shutdown)(int, int);
static int (*real_dup)(int);
static int (*real_dup2)(int, int);
static int (*real_dup3)(int, int, int);
static int (*real_socket)(int, int, int);
static int (*real_open)(const char *, int, ...);
static int (*real_openat)(int, const char *, int, ...);
static int (*real_fclose)(FILE *);
static int (*real_close_range)(unsigned, unsigned, int);
static void (*real_closefrom)(int);
static int (*real_getaddrinfo)(const char *, const char *,
    const struct addrinfo *, struct addrinfo **);

static pthread_once_t once = PTHREAD_ONCE_INIT;
static __thread int in_hook;
static __thread int in_ssl;             /* inside a real SSL_* call */
static __thread SSL *cur_ssl;           /* ... this one's */

static void ssl_map(SSL *ssl, int fd, uint64_t conn, uint8_t kind);

/*
 * Resolve one real function.  A lookup that finds this library itself
 * (another preload before us resolved to us) would loop: treat it as
 * missing.
 */
static void *
next(const char *name, void *self)
{
	void *p = dlsym(RTLD_NEXT, name);

	return p == self ? NULL : p;
}

/* --- state ------------------------------------------------------------- */

/*
 * FD_RELAY: to cxrec's relay, or a CONNECT its proxy decrypts: cxrec
 * records it, the preload only names it.  FD_PROXY: to the proxy, before
 * the program has said where to (its CONNECT decides).  FD_TUNNEL: a
 * CONNECT the proxy only tunnels: its TLS plaintext is recorded here.
 */
enum { FD_NONE, FD_CLIENT, FD_SERVER, FD_RELAY, FD_PROXY, FD_TUNNEL };

struct fdent {
	uint64_t         conn;          /* 0: not tracked */
	uint8_t          kind;          /* FD_* */
	/*
	 * Its plaintext is recorded (through OpenSSL): the ciphertext is
	 * then only counted, each way, and said in the close frame.
	 */
	uint8_t          plain;
	uint8_t          duped;         /* another fd may share conn */
	uint64_t         cipher[2];
};

static struct fdent fdtab[FD_MAX];

/*
 * --redact-at-source: the scanner's state for each connection, both ways,
 * shared by every descriptor on it (a dup), found by connection id in an
 * open-addressed table; a connection that finds its slot taken by a live
 * other one, or the table full, is not recorded (hidden, never leaked).
 * Scans run under the slot's stripe lock: two threads on one socket queue
 * rather than lose state.
 */
#define NRED    4096
#define NSTRIPE 64

static struct redslot {
	uint64_t         conn;          /* 0: free */
	struct cx_srcredact_conn red;
	uint8_t          plain[2];      /* plaintext seen that way */
} redtab[NRED];
static pthread_mutex_t stripe[NSTRIPE] = {
	[0 ... NSTRIPE - 1] = PTHREAD_MUTEX_INITIALIZER
};

static struct {
	pthread_mutex_t  lock;          /* opening the trace, hosts */
	int              tried;         /* to open the trace */
	int              off;           /* the program closed our fd */
	int              debug;
	char             trace[4096];   /* CXREC_TRACE, read at init */
	char             errors[4096];  /* CXREC_PRELOAD_ERRORS */
	struct cx_writer *w;            /* NULL: not recording */
	uint32_t         pid;           /* for connection ids */
	uint32_t         next_conn;
	char             comm[64];      /* the process's name, JSON-safe */
	int              redact;        /* --redact-at-source: hide credentials */
	struct cx_srcredact_key key;
	struct sockaddr_storage relay;  /* the relay's address */
	int              have_relay;
	struct sockaddr_storage proxy;  /* its forward proxy's, with cxrec run */
	int              have_proxy;
	/* Which CONNECT hosts it decrypts: "all", "none", or "h1,*.h2,...". */
	char             intercept[2048];
	struct host {
		struct sockaddr_storage addr;
		char             name[128];
	}                hosts[NHOSTS];
	unsigned         nhosts;
} st = { .lock = PTHREAD_MUTEX_INITIALIZER };

/* The thread's id, asked of the kernel once a thread (and a fork). */
static __thread pid_t tid_cache;
static __thread pid_t tid_pid;

static pid_t
my_tid(void)
{
	uint32_t pid = __atomic_load_n(&st.pid, __ATOMIC_RELAXED);

	if (tid_cache == 0 || (uint32_t)tid_pid != pid) {
		tid_cache = (pid_t)syscall(SYS_gettid);
		tid_pid = (pid_t)pid;
	}
	return tid_cache;
}

/* With CXREC_DEBUG only: a line on stderr, through the real write. */
static void
debug(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static void
debug(const char *fmt, ...)
{
	char line[512];
	va_list ap;
	int n;

	if (!st.debug || real_write == NULL)
		return;
	n = snprintf(line, sizeof(line), "cxrec-preload[%d]: ", (int)getpid());
	va_start(ap, fmt);
	n += vsnprintf(line + n, sizeof(line) - (size_t)n, fmt, ap);
	va_end(ap);
	if (n >= (int)sizeof(line) - 1)
		n = (int)sizeof(line) - 2;
	line[n++] = '\n';
	real_write(2, line, (size_t)n);
}

/* Say why nothing is recorded, in the file cxrec run reads at the end. */
static void
report(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static void
report(const char *fmt, ...)
{
	const char *path = st.errors[0] != '\0' ? st.errors : NULL;
	char line[600];
	va_list ap;
	int fd, n;

	va_start(ap, fmt);
	n = vsnprintf(line, sizeof(line) - 1, fmt, ap);
	va_end(ap);
	if (n < 0)
		return;
	if (n > (int)sizeof(line) - 2)
		n = (int)sizeof(line) - 2;
	line[n++] = '\n';
	debug("%.*s", n - 1, line);
	if (path == NULL || real_write == NULL)
		return;
	if (real_open == NULL || (fd = real_open(path, O_WRONLY | O_APPEND |
	    O_CLOEXEC | O_NOFOLLOW)) == -1)
		return;
	real_write(fd, line, (size_t)n);
	real_close(fd);
}

/* "http://127.0.0.1:8080" (or [::1]) into *ss; *have set when it parses. */
static void
parse_relay(const char *url, struct sockaddr_storage *ss, int *have)
{
	char host[64];
	const char *p, *colon;
	size_t n;
	long port;

	if (url == NULL || strncmp(url, "http://", 7) != 0)
		return;
	p = url + 7;
	if (*p == '[') {
		const char *close = strchr(p, ']');

		if (close == NULL || close[1] != ':')
			return;
		n = (size_t)(close - p - 1);
		if (n >= sizeof(host))
			return;
		memcpy(host, p + 1, n);
		colon = close + 1;
	} else {
		if ((colon = strchr(p, ':')) == NULL)
			return;
		n = (size_t)(colon - p);
		if (n >= sizeof(host))
			return;
		memcpy(host, p, n);
	}
	host[n] = '\0';
	port = strtol(colon + 1, NULL, 10);
	if (port <= 0 || port > 65535)
		return;
	memset(ss, 0, sizeof(*ss));
	if (inet_pton(AF_INET, host, &((struct sockaddr_in *)ss)->
	    sin_addr) == 1) {
		ss->ss_family = AF_INET;
		((struct sockaddr_in *)ss)->sin_port = htons((uint16_t)port);
		*have = 1;
	} else if (inet_pton(AF_INET6, host, &((struct sockaddr_in6 *)
	    ss)->sin6_addr) == 1) {
		ss->ss_family = AF_INET6;
		((struct sockaddr_in6 *)ss)->sin6_port =
		    htons((uint16_t)port);
		*have = 1;
	}
}

static void json_safe(char *s);

/* The process's name (its main thread's), for open frames. */
static const char *
comm(void)
{
	char buf[64];
	ssize_t n;
	int fd;

	if (__atomic_load_n(&st.comm[0], __ATOMIC_ACQUIRE) != '\0')
		return st.comm;
	if (real_open == NULL || (fd = real_open("/proc/self/comm", O_RDONLY |
	    O_CLOEXEC)) == -1)
		return "";
	n = real_read(fd, buf, sizeof(buf) - 1);
	real_close(fd);
	if (n <= 0)
		return "";
	if (buf[n - 1] == '\n')
		n--;
	buf[n] = '\0';
	json_safe(buf);
	pthread_mutex_lock(&st.lock);
	if (st.comm[0] == '\0') {
		/* The first byte last: readers test it, unlocked. */
		snprintf(st.comm + 1, sizeof(st.comm) - 1, "%s", buf + 1);
		__atomic_store_n(&st.comm[0], buf[0], __ATOMIC_RELEASE);
	}
	pthread_mutex_unlock(&st.lock);
	return st.comm;
}

static pthread_mutex_t ssllock = PTHREAD_MUTEX_INITIALIZER;

/* A connection counter's start: ids stay unique across exec (same pid). */
static uint32_t
counter_start(void)
{
	uint64_t t = (uint64_t)cx_now_ns();

	return (uint32_t)(t ^ (t >> 29)) & 0x7fffffffu;
}

/*
 * Locks are taken around fork so that the child never inherits one held
 * by a thread that does not exist in it.
 */
static void
before_fork(void)
{
	pthread_mutex_lock(&st.lock);
	pthread_mutex_lock(&ssllock);
	for (int i = 0; i < NSTRIPE; i++)
		pthread_mutex_lock(&stripe[i]);
}

static void
after_fork_parent(void)
{
	for (int i = 0; i < NSTRIPE; i++)
		pthread_mutex_unlock(&stripe[i]);
	pthread_mutex_unlock(&ssllock);
	pthread_mutex_unlock(&st.lock);
}

static void
after_fork_child(void)
{
	for (int i = 0; i < NSTRIPE; i++)
		pthread_mutex_unlock(&stripe[i]);
	pthread_mutex_unlock(&ssllock);
	pthread_mutex_unlock(&st.lock);
	st.pid = (uint32_t)getpid();
	st.next_conn = counter_start();
	st.comm[0] = '\0';
}

static void
init(void)
{
#define R(name) real_##name = (__typeof__(real_##name))next(#name, (void *)name)
	R(connect);
	R(accept);
	R(accept4);
	R(send);
	R(sendto);
	R(sendmsg);
	R(recv);
	R(recvfrom);
	R(recvmsg);
	R(write);
	R(writev);
	R(read);
	R(readv);
	R(close);
	R(shutdown);
	R(dup);
	R(dup2);
	R(dup3);
	R(getaddrinfo);
	R(socket);
	R(open);
	R(openat);
	R(fclose);
	R(close_range);
	R(closefrom);
#undef R
	st.debug = getenv(CX_PRELOAD_ENV_DEBUG) != NULL;
	st.pid = (uint32_t)getpid();
	st.next_conn = counter_start();
	snprintf(st.trace, sizeof(st.trace), "%s",
	    getenv(CX_PRELOAD_ENV_TRACE) ? getenv(CX_PRELOAD_ENV_TRACE) : "");
	snprintf(st.errors, sizeof(st.errors), "%s",
	    getenv(CX_PRELOAD_ENV_ERRORS) ? getenv(CX_PRELOAD_ENV_ERRORS) :
	    "");
	parse_relay(getenv(CX_PRELOAD_ENV_RELAY), &st.relay, &st.have_relay);
	parse_relay(getenv(CX_PRELOAD_ENV_PROXY), &st.proxy, &st.have_proxy);
	snprintf(st.intercept, sizeof(st.intercept), "%s",
	    getenv(CX_PRELOAD_ENV_INTERCEPT) ? getenv(CX_PRELOAD_ENV_INTERCEPT) :
	    "all");
	pthread_atfork(before_fork, after_fork_parent, after_fork_child);
}

/* The writer, opened at the first connection to record; NULL: none. */
static struct cx_writer *
writer(void)
{
	struct rlimit rl;
	char err[300];
	int min = 512;

	if (__atomic_load_n(&st.tried, __ATOMIC_ACQUIRE))
		return __atomic_load_n(&st.off, __ATOMIC_ACQUIRE) ? NULL :
		    st.w;
	pthread_mutex_lock(&st.lock);
	if (!st.tried) {
		if (st.trace[0] != '\0') {
			st.w = cx_writer_attach(st.trace, err, sizeof(err));
			if (st.w == NULL)
				report("pid %d: %s", (int)getpid(), err);
		}
		/* Out of the way of the numbers the program uses. */
		if (st.w != NULL && getrlimit(RLIMIT_NOFILE, &rl) == 0 &&
		    rl.rlim_cur != RLIM_INFINITY && rl.rlim_cur > 64)
			min = rl.rlim_cur > 2048 ? (int)rl.rlim_cur - 256 :
			    (int)rl.rlim_cur / 2;
		if (st.w != NULL)
			cx_writer_move_fd(st.w, min);
		/*
		 * --redact-at-source (the trace's header says): credentials
		 * are hidden under a key of this process's own, never in
		 * its environment, where a tool's `env` would show it to the
		 * model, and so to the trace.  No key: nothing recorded.
		 */
		if (st.w != NULL && (cx_writer_file_flags(st.w) &
		    CX_FILE_REDACTED)) {
			if (cx_srcredact_key_new(&st.key) == 0)
				st.redact = 1;
			else {
				report("pid %d: no key to hide credentials "
				    "with: not recorded", (int)getpid());
				cx_writer_close(st.w);
				st.w = NULL;
			}
		}
		__atomic_store_n(&st.tried, 1, __ATOMIC_RELEASE);
	}
	pthread_mutex_unlock(&st.lock);
	return st.w;
}

/*
 * The program is closing or replacing descriptors [lo, hi]: if the
 * trace's is among them, stop recording in this process (before the
 * number can mean something else).
 */
static void
fds_going(unsigned lo, unsigned hi)
{
	int fd;

	if (!__atomic_load_n(&st.tried, __ATOMIC_ACQUIRE) || st.w == NULL ||
	    __atomic_load_n(&st.off, __ATOMIC_ACQUIRE))
		return;
	fd = cx_writer_fd(st.w);
	if (fd >= 0 && (unsigned)fd >= lo && (unsigned)fd <= hi) {
		__atomic_store_n(&st.off, 1, __ATOMIC_RELEASE);
		report("pid %d: the program closed the trace's descriptor: "
		    "not recorded from then on", (int)getpid());
	}
}

/* --- frames -------------------------------------------------------------- */

static void
frame(uint8_t kind, uint8_t dir, uint8_t flags, uint64_t conn,
    const struct iovec *iov, int iovcnt)
{
	struct cx_writer *w = writer();
	struct cx_frame f;

	if (w == NULL)
		return;
	memset(&f, 0, sizeof(f));
	f.kind = kind;
	f.source = CX_SRC_PRELOAD;
	f.dir = dir;
	f.flags = flags;
	f.conn = conn;
	f.ts_ns = cx_now_ns();
	f.pid = st.pid;         /* kept right across fork (after_fork_child) */
	f.tid = (uint32_t)my_tid();
	cx_writer_putv(w, &f, iov, iovcnt);
}

static void
json_frame(uint8_t kind, uint64_t conn, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
static void
json_frame(uint8_t kind, uint64_t conn, const char *fmt, ...)
{
	char buf[1024];
	struct iovec v;
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	if (n < 0 || n >= (int)sizeof(buf))
		return;
	v.iov_base = buf;
	v.iov_len = (size_t)n;
	frame(kind, 0, 0, conn, &v, 1);
}

/*
 * Data of n bytes gathered in iov (the first n bytes of it), in frames of
 * at most 16 pieces and CX_FRAME_MAX_PAYLOAD bytes: never a copy of a
 * large write (the writer would flatten it into one allocation).
 */
static void
data_raw(uint64_t conn, uint8_t dir, uint8_t flags, const struct iovec *iov,
    int iovcnt, size_t n)
{
	struct iovec v[16];
	size_t in_frame = 0;
	int k = 0;

	for (int i = 0; i < iovcnt && n > 0; i++) {
		const uint8_t *p = iov[i].iov_base;
		size_t len = iov[i].iov_len < n ? iov[i].iov_len : n;

		n -= len;
		while (len > 0) {
			size_t take = len;

			if (take > CX_FRAME_MAX_PAYLOAD - in_frame)
				take = CX_FRAME_MAX_PAYLOAD - in_frame;
			v[k].iov_base = (void *)(uintptr_t)p;
			v[k++].iov_len = take;
			in_frame += take;
			p += take;
			len -= take;
			if (k == 16 || in_frame == CX_FRAME_MAX_PAYLOAD) {
				frame(CX_K_DATA, dir, flags, conn, v, k);
				k = 0;
				in_frame = 0;
			}
		}
	}
	if (k > 0)
		frame(CX_K_DATA, dir, flags, conn, v, k);
}

static void
raw1(uint64_t conn, uint8_t dir, uint8_t flags, const void *p, size_t n)
{
	struct iovec v = { (void *)(uintptr_t)p, n };

	if (n > 0)
		data_raw(conn, dir, flags, &v, 1, n);
}

/* conn's slot, locked (*lk set), claimed if need be (claim); NULL if
 * none. */
static struct redslot *
red_slot(uint64_t conn, pthread_mutex_t **lk, int claim)
{
	unsigned h = (unsigned)((conn ^ conn >> 32) * 2654435761u) % NRED;

	/* Its own slot first (a slot before it may have been freed since),
	 * then, to claim, the first free one. */
	for (int pass = 0; pass <= claim; pass++)
		for (unsigned i = 0; i < 8; i++) {
			unsigned j = (h + i) % NRED;
			struct redslot *r = &redtab[j];

			*lk = &stripe[j % NSTRIPE];
			pthread_mutex_lock(*lk);
			if (r->conn == conn)
				return r;
			if (pass == 1 && r->conn == 0) {
				memset(r, 0, sizeof(*r));
				r->conn = conn;
				return r;
			}
			pthread_mutex_unlock(*lk);
		}
	return NULL;
}

/* The connection is gone: its slot is free. */
static void
red_forget(uint64_t conn)
{
	pthread_mutex_t *lk;
	struct redslot *r;

	if (!st.redact || (r = red_slot(conn, &lk, 0)) == NULL)
		return;
	r->conn = 0;
	pthread_mutex_unlock(lk);
}

/*
 * Data on a connection, with credential headers hidden first when
 * `--redact-at-source` asked (srcredact.h): scanned in slices through a
 * buffer on the stack, the slices left alone recorded from the program's
 * memory as one frame.  Plaintext starting on a connection starts its
 * scan afresh (the handshake's bytes are not HTTP).  An HTTP/2 connection
 * cannot be redacted: nothing more of it is recorded, said once in an
 * error frame.
 */
static void
data(uint64_t conn, uint8_t dir, uint8_t flags, const struct iovec *iov,
    int iovcnt, size_t n)
{
	pthread_mutex_t *lk;
	struct redslot *r;
	uint8_t buf[2048];
	int d = dir == CX_DIR_REQ ? 0 : 1, rc = 0;

	if (!st.redact) {
		data_raw(conn, dir, flags, iov, iovcnt, n);
		return;
	}
	if ((r = red_slot(conn, &lk, 1)) == NULL)
		return;                 /* no state to scan with: hidden */
	if ((flags & CX_F_PLAIN) && !r->plain[d]) {
		r->plain[d] = 1;
		cx_srcredact_init(&r->red.dir[d]);
	}
	for (int i = 0; i < iovcnt && n > 0 && rc < CX_SRCREDACT_DROP; i++) {
		const uint8_t *p = iov[i].iov_base, *keep = p;
		size_t len = iov[i].iov_len < n ? iov[i].iov_len : n;

		n -= len;
		while (len > 0) {
			size_t k = len < sizeof(buf) ? len : sizeof(buf);

			rc = cx_srcredact_conn(&r->red, d, &st.key, p, k, buf);
			if (rc >= CX_SRCREDACT_DROP)
				break;
			if (rc == 1) {
				raw1(conn, dir, flags, keep, (size_t)(p - keep));
				raw1(conn, dir, flags, buf, k);
				keep = p + k;
			}
			p += k;
			len -= k;
		}
		if (rc < CX_SRCREDACT_DROP)
			raw1(conn, dir, flags, keep, (size_t)(p - keep));
	}
	pthread_mutex_unlock(lk);
	if (rc == CX_SRCREDACT_DROP)
		json_frame(CX_K_ERROR, conn, "{\"error\":\"HTTP/2 is not "
		    "recorded under --redact-at-source: its headers are "
		    "compressed and cannot be hidden\"}");
}

/* --- addresses ------------------------------------------------------------ */

static void
addr_str(const struct sockaddr_storage *ss, char *out, size_t len)
{
	char host[INET6_ADDRSTRLEN] = "?";

	if (ss->ss_family == AF_INET) {
		const struct sockaddr_in *s = (const void *)ss;

		inet_ntop(AF_INET, &s->sin_addr, host, sizeof(host));
		snprintf(out, len, "%s:%u", host, ntohs(s->sin_port));
	} else if (ss->ss_family == AF_INET6) {
		const struct sockaddr_in6 *s = (const void *)ss;

		if (IN6_IS_ADDR_V4MAPPED(&s->sin6_addr)) {
			inet_ntop(AF_INET, &s->sin6_addr.s6_addr[12], host,
			    sizeof(host));
			snprintf(out, len, "%s:%u", host, ntohs(s->sin6_port));
		} else {
			inet_ntop(AF_INET6, &s->sin6_addr, host, sizeof(host));
			snprintf(out, len, "[%s]:%u", host,
			    ntohs(s->sin6_port));
		}
	} else
		snprintf(out, len, "unknown");
}

/* Same address and port (an IPv4-mapped IPv6 address as IPv4)? */
static int
same_addr(const struct sockaddr_storage *a, const struct sockaddr_storage *b)
{
	char x[80], y[80];

	addr_str(a, x, sizeof(x));
	addr_str(b, y, sizeof(y));
	return strcmp(x, y) == 0;
}

/* The name getaddrinfo gave this address (port aside), or "". */
static void
host_of(const struct sockaddr_storage *ss, char *out, size_t len)
{
	out[0] = '\0';
	pthread_mutex_lock(&st.lock);
	for (unsigned i = 0; i < NHOSTS && i < st.nhosts; i++) {
		const struct host *h = &st.hosts[(st.nhosts - 1 - i) % NHOSTS];
		int match = 0;

		if (h->addr.ss_family != ss->ss_family)
			continue;
		if (ss->ss_family == AF_INET)
			match = memcmp(&((const struct sockaddr_in *)&h->addr)->
			    sin_addr, &((const struct sockaddr_in *)ss)->sin_addr,
			    4) == 0;
		else if (ss->ss_family == AF_INET6)
			match = memcmp(&((const struct sockaddr_in6 *)&h->addr)->
			    sin6_addr, &((const struct sockaddr_in6 *)ss)->
			    sin6_addr, 16) == 0;
		if (match) {
			snprintf(out, len, "%s", h->name);
			break;
		}
	}
	pthread_mutex_unlock(&st.lock);
}

/* A JSON string's inside: host names are plain, but be safe. */
static void
json_safe(char *s)
{
	for (; *s != '\0'; s++)
		if (*s == '"' || *s == '\\' || (unsigned char)*s < 0x20 ||
		    (unsigned char)*s >= 0x7f)
			*s = '?';
}

/*
 * Start tracking fd, a connected or accepted socket, if it is an INET
 * stream socket: its open frame.  to: the address connect was given (a
 * non-blocking connect has no peer name yet), or NULL.
 */
static void
track(int fd, int kind, const struct sockaddr *to, socklen_t tolen)
{
	struct sockaddr_storage peer, local;
	socklen_t pl = sizeof(peer), ll = sizeof(local);
	char ps[80], ls[80], host[128];
	int type;
	socklen_t tl = sizeof(type);
	uint64_t conn;

	if (fd < 0 || fd >= FD_MAX)
		return;
	if (getsockopt(fd, SOL_SOCKET, SO_TYPE, &type, &tl) == -1 ||
	    type != SOCK_STREAM)
		return;
	if (to != NULL && tolen <= sizeof(peer)) {
		memset(&peer, 0, sizeof(peer));
		memcpy(&peer, to, tolen);
	} else if (getpeername(fd, (struct sockaddr *)&peer, &pl) == -1)
		return;
	if (peer.ss_family != AF_INET && peer.ss_family != AF_INET6)
		return;
	if (getsockname(fd, (struct sockaddr *)&local, &ll) == -1)
		return;
	if (writer() == NULL)
		return;
	conn = (uint64_t)st.pid << 32 |
	    __atomic_add_fetch(&st.next_conn, 1, __ATOMIC_RELAXED);
	addr_str(&peer, ps, sizeof(ps));
	addr_str(&local, ls, sizeof(ls));
	if (kind == FD_CLIENT && ((st.have_relay && same_addr(&peer,
	    &st.relay)) || (st.have_proxy && same_addr(&peer, &st.proxy)))) {
		/* The relay (or its proxy) records this one: say who, not
		 * what.  The proxy's CONNECT may still make it a tunnel. */
		kind = same_addr(&peer, &st.relay) ? FD_RELAY : FD_PROXY;
		json_frame(CX_K_OPEN, conn, "{\"peer\":\"%s\",\"local\":\"%s\","
		    "\"role\":\"client\",\"relay\":true,\"comm\":\"%s\"}", ps,
		    ls, comm());
	} else {
		host_of(&peer, host, sizeof(host));
		json_safe(host);
		json_frame(CX_K_OPEN, conn, "{\"peer\":\"%s\",\"local\":\"%s\","
		    "\"role\":\"%s\",\"comm\":\"%s\"%s%s%s}", ps, ls,
		    kind == FD_CLIENT ? "client" : "server", comm(),
		    host[0] ? ",\"host\":\"" : "", host, host[0] ? "\"" : "");
	}
	__atomic_store_n(&fdtab[fd].kind, (uint8_t)kind, __ATOMIC_RELAXED);
	__atomic_store_n(&fdtab[fd].plain, 0, __ATOMIC_RELAXED);
	__atomic_store_n(&fdtab[fd].duped, 0, __ATOMIC_RELAXED);
	__atomic_store_n(&fdtab[fd].cipher[0], 0, __ATOMIC_RELAXED);
	__atomic_store_n(&fdtab[fd].cipher[1], 0, __ATOMIC_RELAXED);
	__atomic_store_n(&fdtab[fd].conn, conn, __ATOMIC_RELEASE);
	debug("fd %d: connection %llx (%s -> %s)", fd,
	    (unsigned long long)conn, ls, ps);
}

/* The connection fd records, or 0 (one look-up). */
static uint64_t
tracked(int fd, uint8_t *kind)
{
	uint64_t conn;

	if (fd < 0 || fd >= FD_MAX)
		return 0;
	conn = __atomic_load_n(&fdtab[fd].conn, __ATOMIC_ACQUIRE);
	if (conn != 0)
		*kind = __atomic_load_n(&fdtab[fd].kind, __ATOMIC_RELAXED);
	return conn;
}

/* Is another descriptor open on this connection (a dup)? */
static int
shared(int fd, uint64_t conn)
{
	for (int i = 0; i < FD_MAX; i++)
		if (i != fd && __atomic_load_n(&fdtab[i].conn,
		    __ATOMIC_RELAXED) == conn)
			return 1;
	return 0;
}

/* fd is closed (or replaced): the connection ends with its last fd. */
static void
untrack(int fd)
{
	uint8_t kind = 0, plain;
	uint64_t conn = tracked(fd, &kind), up, down;

	if (conn == 0)
		return;
	__atomic_store_n(&fdtab[fd].conn, 0, __ATOMIC_RELEASE);
	plain = __atomic_exchange_n(&fdtab[fd].plain, 0, __ATOMIC_RELAXED);
	up = __atomic_exchange_n(&fdtab[fd].cipher[0], 0, __ATOMIC_RELAXED);
	down = __atomic_exchange_n(&fdtab[fd].cipher[1], 0, __ATOMIC_RELAXED);
	if ((__atomic_exchange_n(&fdtab[fd].duped, 0, __ATOMIC_RELAXED) &&
	    shared(fd, conn)) || kind == FD_RELAY || kind == FD_PROXY)
		return;
	red_forget(conn);
	if (plain)
		json_frame(CX_K_CLOSE, conn, "{\"by\":\"%s\",\"tls_bytes\":"
		    "[%llu,%llu]}", kind != FD_SERVER ? "client" : "server",
		    (unsigned long long)up, (unsigned long long)down);
	else
		json_frame(CX_K_CLOSE, conn, "{\"by\":\"%s\"}",
		    kind != FD_SERVER ? "client" : "server");
}

/* Data the program wrote (out) or read on a tracked connection. */
static uint8_t
dir_of(uint8_t kind, int out)
{
	/* A client writes requests; a server reads them. */
	return (kind != FD_SERVER) == (out != 0) ? CX_DIR_REQ : CX_DIR_RESP;
}

static int in_vfork_child(void);

/*
 * The program's first bytes to the proxy: a CONNECT the proxy decrypts is
 * its to record (FD_RELAY); one it only tunnels becomes a connection of
 * the preload's own, to that host, whose TLS plaintext is recorded here
 * (FD_TUNNEL).  The CONNECT itself (it carries the run's token) never is.
 * A request line not whole in the first write, or not a CONNECT we can
 * read, is taken as a tunnel of an unknown host: recorded twice at worst,
 * never lost.  One thread decides (the others see FD_RELAY meanwhile and
 * record nothing of a CONNECT); a vfork child leaves it to its parent.
 */
static void
proxy_decide(int fd, const struct iovec *iov, int iovcnt, size_t n)
{
	char head[300], host[256] = "", target[300] = "";
	size_t got = 0;
	uint64_t old, conn;
	uint8_t want = FD_PROXY;

	if (in_vfork_child() || !__atomic_compare_exchange_n(&fdtab[fd].kind,
	    &want, (uint8_t)FD_RELAY, 0, __ATOMIC_ACQ_REL, __ATOMIC_RELAXED))
		return;
	for (int i = 0; i < iovcnt && got < sizeof(head) - 1 && got < n; i++) {
		size_t k = iov[i].iov_len;

		if (k > sizeof(head) - 1 - got)
			k = sizeof(head) - 1 - got;
		if (k > n - got)
			k = n - got;
		if (k > 0)
			memcpy(head + got, iov[i].iov_base, k);
		got += k;
	}
	head[got] = '\0';
	if (memcmp(head, "CONNECT ", got < 8 ? got : 8) != 0)
		return;                 /* plain-HTTP: the proxy records it */
	const char *t = head + 8, *eol = got > 8 ? strstr(head, "\r\n") : NULL;
	if (eol != NULL) {
		const char *end = t + strcspn(t, " \r\n");
		size_t hn;

		snprintf(target, sizeof(target), "%.*s", (int)(end - t), t);
		if (*t == '[') {
			const char *rb = memchr(t, ']', (size_t)(end - t));

			hn = rb != NULL ? (size_t)(rb - t - 1) : 0;
			if (rb != NULL && hn < sizeof(host))
				snprintf(host, sizeof(host), "%.*s", (int)hn,
				    t + 1);
		} else {
			hn = strcspn(t, ": \r\n");
			if (hn < sizeof(host))
				snprintf(host, sizeof(host), "%.*s", (int)hn, t);
		}
		if (host[0] != '\0' && cx_hostpat_csv(st.intercept, host))
			return;         /* the proxy's to record */
	}
	json_safe(host);
	json_safe(target);
	old = __atomic_load_n(&fdtab[fd].conn, __ATOMIC_ACQUIRE);
	conn = (uint64_t)st.pid << 32 |
	    __atomic_add_fetch(&st.next_conn, 1, __ATOMIC_RELAXED);
	json_frame(CX_K_OPEN, conn, "{\"connect\":\"%s\"%s%s%s,"
	    "\"role\":\"client\",\"via\":\"proxy\",\"comm\":\"%s\"}", target,
	    host[0] ? ",\"host\":\"" : "", host, host[0] ? "\"" : "", comm());
	/* Every descriptor of that connection (dup) is now the tunnel. */
	for (int i = 0; i < FD_MAX; i++)
		if (i == fd || (__atomic_load_n(&fdtab[fd].duped,
		    __ATOMIC_RELAXED) && __atomic_load_n(&fdtab[i].conn,
		    __ATOMIC_RELAXED) == old)) {
			__atomic_store_n(&fdtab[i].kind, (uint8_t)FD_TUNNEL,
			    __ATOMIC_RELAXED);
			__atomic_store_n(&fdtab[i].conn, conn, __ATOMIC_RELEASE);
		}
}

/* --- the hooks ------------------------------------------------------------ */

#define ENTER() do { pthread_once(&once, init); } while (0)

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
	if (in_hook || (rc == -1 && errno != EINPROGRESS) || sa == NULL ||
	    (sa->sa_family != AF_INET && sa->sa_family != AF_INET6))
		return rc;
	e = errno;
	in_hook = 1;
	untrack(fd);            /* a descriptor reused without close */
	track(fd, FD_CLIENT, sa, len);
	in_hook = 0;
	errno = e;
	return rc;
}

static int
accepted(int rc)
{
	int e = errno;

	if (rc < 0 || in_hook)
		return rc;
	in_hook = 1;
	untrack(rc);            /* a number closed behind our back */
	track(rc, FD_SERVER, NULL, 0);
	in_hook = 0;
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

/* After a call that moved n bytes (out: written) on fd. */
static void
moved(int fd, const struct iovec *iov, int iovcnt, ssize_t n, int out)
{
	uint8_t kind = 0;
	uint64_t conn;
	int e;

	if (n <= 0 || in_hook || (conn = tracked(fd, &kind)) == 0)
		return;
	e = errno;
	in_hook = 1;
	/* Inside an SSL call: this is its transport (see plain). */
	if (kind == FD_PROXY && out)
		proxy_decide(fd, iov, iovcnt, (size_t)n);
	else if (cur_ssl != NULL)
		ssl_map(cur_ssl, fd, conn, kind);
	if (kind == FD_TUNNEL) {
		/* Its bytes are TLS (the CONNECT is not recorded): counted. */
		__atomic_add_fetch(&fdtab[fd].cipher[dir_of(kind, out) ==
		    CX_DIR_REQ ? 0 : 1], (uint64_t)n, __ATOMIC_RELAXED);
	} else if (__atomic_load_n(&fdtab[fd].plain, __ATOMIC_RELAXED))
		__atomic_add_fetch(&fdtab[fd].cipher[dir_of(kind, out) ==
		    CX_DIR_REQ ? 0 : 1], (uint64_t)n, __ATOMIC_RELAXED);
	else if (kind != FD_RELAY && kind != FD_PROXY)
		data(conn, dir_of(kind, out), 0, iov, iovcnt, (size_t)n);
	in_hook = 0;
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

/*
 * A vfork child shares our memory (and runs no fork handlers): it must
 * not change the table or write frames for its parent's connections.
 */
static int
in_vfork_child(void)
{
	return (uint32_t)getpid() != __atomic_load_n(&st.pid,
	    __ATOMIC_RELAXED);
}

/* fd is going away (close, or replaced by dup2): before it happens. */
static void
going(int fd)
{
	uint8_t kind;
	int e;

	if (in_hook || fd < 0)
		return;
	e = errno;
	in_hook = 1;
	fds_going((unsigned)fd, (unsigned)fd);
	if (tracked(fd, &kind) != 0 && !in_vfork_child())
		untrack(fd);
	in_hook = 0;
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

	if (fd >= 0 && !in_hook && tracked(fd, &kind) != 0 &&
	    !in_vfork_child()) {
		in_hook = 1;
		untrack(fd);
		in_hook = 0;
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

	if (in_hook)
		return;
	e = errno;
	in_hook = 1;
	fds_going(lo, hi);
	if (!in_vfork_child())
		for (unsigned fd = lo; fd <= hi && fd < FD_MAX; fd++)
			if (__atomic_load_n(&fdtab[fd].conn, __ATOMIC_RELAXED))
				untrack((int)fd);
	in_hook = 0;
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

	if (in_hook || newfd < 0 || newfd >= FD_MAX || newfd == oldfd ||
	    in_vfork_child())
		return;
	in_hook = 1;
	untrack(newfd);         /* dup2 closed what newfd was */
	if ((conn = tracked(oldfd, &kind)) != 0) {
		__atomic_store_n(&fdtab[newfd].kind, kind, __ATOMIC_RELAXED);
		__atomic_store_n(&fdtab[newfd].plain, __atomic_load_n(
		    &fdtab[oldfd].plain, __ATOMIC_RELAXED), __ATOMIC_RELAXED);
		__atomic_store_n(&fdtab[newfd].duped, 1, __ATOMIC_RELAXED);
		__atomic_store_n(&fdtab[oldfd].duped, 1, __ATOMIC_RELAXED);
		__atomic_store_n(&fdtab[newfd].conn, conn, __ATOMIC_RELEASE);
	}
	in_hook = 0;
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
		fds_going((unsigned)newfd, (unsigned)newfd);
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
		fds_going((unsigned)newfd, (unsigned)newfd);
	rc = real_dup3(fd, newfd, flags);
	if (rc >= 0)
		duped(fd, rc);
	return rc;
}

EXPORT int
getaddrinfo(const char *node, const char *service,
    const struct addrinfo *hints, struct addrinfo **res)
{
	int rc, e;

	ENTER();
	if (real_getaddrinfo == NULL)
		return EAI_SYSTEM;
	rc = real_getaddrinfo(node, service, hints, res);
	if (rc != 0 || in_hook || node == NULL || res == NULL)
		return rc;
	e = errno;
	in_hook = 1;            /* a signal handler's hook must not lock */
	pthread_mutex_lock(&st.lock);
	for (const struct addrinfo *ai = *res; ai != NULL; ai = ai->ai_next) {
		struct host *h;

		if ((ai->ai_family != AF_INET && ai->ai_family != AF_INET6) ||
		    ai->ai_addrlen > sizeof(h->addr))
			continue;
		h = &st.hosts[st.nhosts++ % NHOSTS];
		memset(&h->addr, 0, sizeof(h->addr));
		memcpy(&h->addr, ai->ai_addr, ai->ai_addrlen);
		snprintf(h->name, sizeof(h->name), "%s", node);
	}
	pthread_mutex_unlock(&st.lock);
	in_hook = 0;
	errno = e;
	return rc;
}

/* --- OpenSSL ------------------------------------------------------------- */

/*
 * Which OpenSSL function a call meant.  Not simply the next definition
 * after ours: a program may carry its own libssl (a Python wheel's
 * bundled copy, loaded RTLD_LOCAL, with other symbol versions), and its
 * calls must reach that one.  So the function is looked up in the scope
 * of the object that called (dladdr of the return address; dlopen
 * RTLD_NOLOAD gives its handle, whose scope is its own dependencies,
 * without us); RTLD_NEXT when that finds nothing but ourselves.  Cached
 * per calling object and function, and in front of that per call site:
 * dladdr searches the object's symbols, too slow to run on every
 * SSL_read of a 1 GiB download.  (Both caches trust an address to keep
 * meaning the same object, as long as the program does not unload it.)
 */
enum { F_WRITE, F_READ, F_WRITE_EX, F_READ_EX, F_GET_FD, F_SET_FD, F_FREE,
    NFUNCS };
static const char *const fname[NFUNCS] = {
	"SSL_write", "SSL_read", "SSL_write_ex", "SSL_read_ex", "SSL_get_fd",
	"SSL_set_fd", "SSL_free",
};
#define NCALLERS 32

static struct {
	const void      *base;          /* the calling object */
	void            *fn[NFUNCS];
} callers[NCALLERS];

#define NSITES  64

static struct {
	const void      *ret;           /* a call site: a return address */
	int              f;
	void            *fn;
} sites[NSITES];

static unsigned
site_slot(const void *ret, int f)
{
	return (unsigned)((((uintptr_t)ret >> 2) * 31 + (unsigned)f) % NSITES);
}

static void *
ssl_fn(const void *ret, int f, void *self)
{
	unsigned s = site_slot(ret, f);
	Dl_info info;
	void *h, *p = NULL;
	unsigned i;

	pthread_mutex_lock(&ssllock);
	if (sites[s].ret == ret && sites[s].f == f)
		p = sites[s].fn;
	pthread_mutex_unlock(&ssllock);
	if (p != NULL)
		return p;
	if (dladdr(ret, &info) == 0 || info.dli_fbase == NULL)
		info.dli_fbase = NULL;
	i = (unsigned)(((uintptr_t)info.dli_fbase >> 12) % NCALLERS);
	pthread_mutex_lock(&ssllock);
	if (info.dli_fbase != NULL && callers[i].base == info.dli_fbase)
		p = callers[i].fn[f];
	pthread_mutex_unlock(&ssllock);
	if (p == NULL && info.dli_fbase != NULL && info.dli_fname != NULL &&
	    info.dli_fname[0] == '/' &&
	    (h = dlopen(info.dli_fname, RTLD_NOLOAD | RTLD_LAZY)) != NULL) {
		p = dlsym(h, fname[f]);
		dlclose(h);             /* RTLD_NOLOAD took a reference */
	}
	if (p == NULL || p == self)
		p = dlsym(RTLD_NEXT, fname[f]);
	if (p == self)
		p = NULL;
	if (p == NULL) {
		debug("cannot find OpenSSL's %s", fname[f]);
		return NULL;
	}
	pthread_mutex_lock(&ssllock);
	if (info.dli_fbase != NULL) {
		if (callers[i].base != info.dli_fbase) {
			memset(&callers[i], 0, sizeof(callers[i]));
			callers[i].base = info.dli_fbase;
		}
		callers[i].fn[f] = p;
	}
	sites[s].ret = ret;
	sites[s].f = f;
	sites[s].fn = p;
	pthread_mutex_unlock(&ssllock);
	return p;
}
#define RET()   __builtin_return_address(0)

/*
 * Which connection an SSL object talks over.  SSL_get_fd says, for a
 * socket BIO; a program with a BIO of its own (curl) has none, so the
 * connection whose bytes moved during an SSL call on this thread is
 * remembered for that SSL object (see moved).
 */
#define NSSL    4096

static struct {
	SSL             *ssl;
	int              fd;
	uint64_t         conn;
	uint8_t          kind;
} sslmap[NSSL];
static unsigned
ssl_slot(const SSL *ssl)
{
	uintptr_t v = (uintptr_t)ssl;

	return (unsigned)((v >> 4) ^ (v >> 12)) % NSSL;
}

static void
ssl_map(SSL *ssl, int fd, uint64_t conn, uint8_t kind)
{
	unsigned i = ssl_slot(ssl);

	pthread_mutex_lock(&ssllock);
	sslmap[i].ssl = ssl;
	sslmap[i].fd = fd;
	sslmap[i].conn = conn;
	sslmap[i].kind = kind;
	pthread_mutex_unlock(&ssllock);
}

static uint64_t
ssl_conn(SSL *ssl, int *fd, uint8_t *kind)
{
	unsigned i = ssl_slot(ssl);
	uint64_t conn = 0;

	pthread_mutex_lock(&ssllock);
	if (sslmap[i].ssl == ssl) {
		conn = sslmap[i].conn;
		*fd = sslmap[i].fd;
		*kind = sslmap[i].kind;
	}
	pthread_mutex_unlock(&ssllock);
	return conn;
}

/* SSL_get_fd of the libssl the caller uses. */
static int
ssl_get_fd(const void *ret, SSL *ssl)
{
	int (*get_fd)(const SSL *) = (int (*)(const SSL *))ssl_fn(ret,
	    F_GET_FD, NULL);

	return get_fd != NULL ? get_fd(ssl) : -1;
}

/* The plaintext of an SSL call that moved n bytes (out: written). */
static void
plain(const void *ret, SSL *ssl, const void *p, size_t n, int out)
{
	uint8_t kind = 0;
	uint64_t conn = 0;
	int fd, e;

	if (n == 0 || in_hook)
		return;
	e = errno;
	in_hook = 1;
	if ((fd = ssl_get_fd(ret, ssl)) >= 0) {
		if ((conn = tracked(fd, &kind)) == 0) {
			/* A socket connected before we were loaded. */
			track(fd, FD_CLIENT, NULL, 0);
			conn = tracked(fd, &kind);
		}
	} else
		conn = ssl_conn(ssl, &fd, &kind);
	debug("SSL %s %zu bytes, fd %d, connection %llx", out ? "write" :
	    "read", n, fd, (unsigned long long)conn);
	if (conn != 0 && kind != FD_RELAY && kind != FD_PROXY) {
		struct iovec v = { (void *)(uintptr_t)p, n };

		data(conn, dir_of(kind, out), CX_F_PLAIN, &v, 1, n);
		/* From now on its ciphertext is only counted. */
		if (fd >= 0 && fd < FD_MAX && __atomic_load_n(&fdtab[fd].conn,
		    __ATOMIC_RELAXED) == conn)
			__atomic_store_n(&fdtab[fd].plain, 1, __ATOMIC_RELAXED);
	}
	in_hook = 0;
	errno = e;
}

/*
 * Around a real SSL call: nested SSL calls (libssl calls its own
 * SSL_write_ex, say) are not recorded again, and the transport's I/O
 * during it names its connection.
 */
#define SSL_CALL(ssl, call) do {					\
	in_ssl = 1;							\
	cur_ssl = (ssl);						\
	call;								\
	cur_ssl = NULL;							\
	in_ssl = 0;							\
} while (0)

EXPORT int
SSL_write(SSL *ssl, const void *p, int n)
{
	int (*real)(SSL *, const void *, int);
	const void *ret = RET();
	int rc;

	ENTER();
	if ((real = (__typeof__(real))ssl_fn(ret, F_WRITE,
	    (void *)SSL_write)) == NULL) {
		errno = ENOSYS;
		return -1;
	}
	if (in_ssl)
		return real(ssl, p, n);
	SSL_CALL(ssl, rc = real(ssl, p, n));
	if (rc > 0)
		plain(ret, ssl, p, (size_t)rc, 1);
	return rc;
}

EXPORT int
SSL_read(SSL *ssl, void *p, int n)
{
	int (*real)(SSL *, void *, int);
	const void *ret = RET();
	int rc;

	ENTER();
	if ((real = (__typeof__(real))ssl_fn(ret, F_READ,
	    (void *)SSL_read)) == NULL) {
		errno = ENOSYS;
		return -1;
	}
	if (in_ssl)
		return real(ssl, p, n);
	SSL_CALL(ssl, rc = real(ssl, p, n));
	if (rc > 0)
		plain(ret, ssl, p, (size_t)rc, 0);
	return rc;
}

EXPORT int
SSL_write_ex(SSL *ssl, const void *p, size_t n, size_t *written)
{
	int (*real)(SSL *, const void *, size_t, size_t *);
	const void *ret = RET();
	int rc;

	ENTER();
	if ((real = (__typeof__(real))ssl_fn(ret, F_WRITE_EX,
	    (void *)SSL_write_ex)) == NULL)
		return 0;
	if (in_ssl)
		return real(ssl, p, n, written);
	SSL_CALL(ssl, rc = real(ssl, p, n, written));
	if (rc == 1 && written != NULL)
		plain(ret, ssl, p, *written, 1);
	return rc;
}

EXPORT int
SSL_read_ex(SSL *ssl, void *p, size_t n, size_t *got)
{
	int (*real)(SSL *, void *, size_t, size_t *);
	const void *ret = RET();
	int rc;

	ENTER();
	if ((real = (__typeof__(real))ssl_fn(ret, F_READ_EX,
	    (void *)SSL_read_ex)) == NULL)
		return 0;
	if (in_ssl)
		return real(ssl, p, n, got);
	SSL_CALL(ssl, rc = real(ssl, p, n, got));
	if (rc == 1 && got != NULL)
		plain(ret, ssl, p, *got, 0);
	return rc;
}

EXPORT int
SSL_set_fd(SSL *ssl, int fd)
{
	uint8_t kind = 0;
	uint64_t conn;
	int rc;

	int (*real)(SSL *, int);

	ENTER();
	if ((real = (__typeof__(real))ssl_fn(RET(), F_SET_FD,
	    (void *)SSL_set_fd)) == NULL)
		return 0;
	rc = real(ssl, fd);
	if (rc == 1 && !in_hook && (conn = tracked(fd, &kind)) != 0)
		ssl_map(ssl, fd, conn, kind);
	return rc;
}

EXPORT void
SSL_free(SSL *ssl)
{
	unsigned i = ssl_slot(ssl);

	void (*real)(SSL *);

	ENTER();
	if ((real = (__typeof__(real))ssl_fn(RET(), F_FREE,
	    (void *)SSL_free)) == NULL)
		return;
	pthread_mutex_lock(&ssllock);
	if (sslmap[i].ssl == ssl)
		sslmap[i].ssl = NULL;
	pthread_mutex_unlock(&ssllock);
	real(ssl);
}
