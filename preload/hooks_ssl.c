/*
 * hooks_ssl.c: the preload's OpenSSL hooks.  The plaintext of SSL_read
 * and SSL_write (and their _ex forms) is recorded on the connection the
 * SSL object talks over, flagged CX_F_PLAIN; the ciphertext is from then
 * on only counted (preload_fd.c says it in the close frame).
 */
#include <dlfcn.h>
#include <errno.h>
#include <pthread.h>
#include <stdint.h>
#include <string.h>
#include <sys/uio.h>

#include "preload_int.h"

/* OpenSSL's, hooked (the program's libssl need not be there). */
int      SSL_write(SSL *, const void *, int);
int      SSL_read(SSL *, void *, int);
int      SSL_write_ex(SSL *, const void *, size_t, size_t *);
int      SSL_read_ex(SSL *, void *, size_t, size_t *);
int      SSL_set_fd(SSL *, int);
void     SSL_free(SSL *);

static __thread int in_ssl;             /* inside a real SSL_* call */
__thread SSL *pl_cur_ssl PL_TLS;        /* ... this one's */

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

	pthread_mutex_lock(&pl_ssllock);
	if (sites[s].ret == ret && sites[s].f == f)
		p = sites[s].fn;
	pthread_mutex_unlock(&pl_ssllock);
	if (p != NULL)
		return p;
	if (dladdr(ret, &info) == 0 || info.dli_fbase == NULL)
		info.dli_fbase = NULL;
	i = (unsigned)(((uintptr_t)info.dli_fbase >> 12) % NCALLERS);
	pthread_mutex_lock(&pl_ssllock);
	if (info.dli_fbase != NULL && callers[i].base == info.dli_fbase)
		p = callers[i].fn[f];
	pthread_mutex_unlock(&pl_ssllock);
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
		pl_debug("cannot find OpenSSL's %s", fname[f]);
		return NULL;
	}
	pthread_mutex_lock(&pl_ssllock);
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
	pthread_mutex_unlock(&pl_ssllock);
	return p;
}
#define RET()   __builtin_return_address(0)

/*
 * Which connection an SSL object talks over.  SSL_get_fd says, for a
 * socket BIO; a program with a BIO of its own (curl) has none, so the
 * connection whose bytes moved during an SSL call on this thread is
 * remembered for that SSL object (moved, in hooks_libc.c).
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

void
pl_ssl_map(SSL *ssl, int fd, uint64_t conn, uint8_t kind)
{
	unsigned i = ssl_slot(ssl);

	pthread_mutex_lock(&pl_ssllock);
	sslmap[i].ssl = ssl;
	sslmap[i].fd = fd;
	sslmap[i].conn = conn;
	sslmap[i].kind = kind;
	pthread_mutex_unlock(&pl_ssllock);
}

static uint64_t
ssl_conn(SSL *ssl, int *fd, uint8_t *kind)
{
	unsigned i = ssl_slot(ssl);
	uint64_t conn = 0;

	pthread_mutex_lock(&pl_ssllock);
	if (sslmap[i].ssl == ssl) {
		conn = sslmap[i].conn;
		*fd = sslmap[i].fd;
		*kind = sslmap[i].kind;
	}
	pthread_mutex_unlock(&pl_ssllock);
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

	if (n == 0 || pl_in_hook)
		return;
	e = errno;
	pl_in_hook = 1;
	if ((fd = ssl_get_fd(ret, ssl)) >= 0) {
		if ((conn = pl_tracked(fd, &kind)) == 0) {
			/* A socket connected before we were loaded. */
			pl_track(fd, FD_CLIENT, NULL, 0);
			conn = pl_tracked(fd, &kind);
		}
	} else
		conn = ssl_conn(ssl, &fd, &kind);
	pl_debug("SSL %s %zu bytes, fd %d, connection %llx", out ? "write" :
	    "read", n, fd, (unsigned long long)conn);
	if (conn != 0 && kind != FD_RELAY && kind != FD_PROXY) {
		struct iovec v = { (void *)(uintptr_t)p, n };

		pl_data(conn, pl_dir_of(kind, out), CX_F_PLAIN, &v, 1, n);
		/* From now on its ciphertext is only counted. */
		if (fd >= 0 && fd < FD_MAX && __atomic_load_n(
		    &pl_fdtab[fd].conn, __ATOMIC_RELAXED) == conn)
			__atomic_store_n(&pl_fdtab[fd].plain, 1,
			    __ATOMIC_RELAXED);
	}
	pl_in_hook = 0;
	errno = e;
}

/*
 * Around a real SSL call: nested SSL calls (libssl calls its own
 * SSL_write_ex, say) are not recorded again, and the transport's I/O
 * during it names its connection.
 */
#define SSL_CALL(ssl, call) do {					\
	in_ssl = 1;							\
	pl_cur_ssl = (ssl);						\
	call;								\
	pl_cur_ssl = NULL;						\
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
	if (rc == 1 && !pl_in_hook && (conn = pl_tracked(fd, &kind)) != 0)
		pl_ssl_map(ssl, fd, conn, kind);
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
	pthread_mutex_lock(&pl_ssllock);
	if (sslmap[i].ssl == ssl)
		sslmap[i].ssl = NULL;
	pthread_mutex_unlock(&pl_ssllock);
	real(ssl);
}
