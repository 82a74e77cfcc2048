/*
 * preload_ring.c: frames handed to cxrec run through a ring in shared
 * memory (common/shmring.h) instead of written by the hooked thread.
 *
 * At its first large piece of data (RING_FROM bytes; a forked child at
 * its own first) the process creates a ring, hands its memfd to cxrec
 * run's socket (CXREC_RING) and waits for the answer that a thread of
 * cxrec run drains it; from then on a data, close or error frame of a
 * connection on the ring (below) is a copy into the ring, published before
 * the hook returns: in memory cxrec run holds, so a process killed with -9
 * loses none of it.  No thread is started here.  Open frames are still
 * written directly (one writev each, as before): a connection's open frame
 * is in the trace before anything that the ring carries for it, and
 * before the relay's frames of the exchange it names.
 *
 * Without CXREC_RING (the preload used without cxrec run), when the hand-
 * over fails, or once cxrec run is gone or going (the ring closed, its
 * socket hung up, or the program closed that socket), frames are written
 * by the hooked thread, as the core writer does (pl_ring_put says -1).
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/un.h>

#include "preload.h"
#include "preload_int.h"
#include "shmring.h"

enum { UNTRIED, READY, OFF };

static struct {
	int              state;
	struct cx_ring   ring;
	int              sock;          /* to cxrec run: it hangs up, we know */
	char             path[sizeof(((struct sockaddr_un *)0)->sun_path)];
	size_t           size;
} rg = { .state = UNTRIED, .sock = -1 };

void
pl_ring_init(void)
{
	const char *p = getenv(CX_PRELOAD_ENV_RING);
	const char *s = getenv(CX_PRELOAD_ENV_RING_SIZE);

	rg.size = CX_RING_DEFAULT;
	if (s != NULL && *s != '\0')
		rg.size = strtoul(s, NULL, 10);
	if (rg.size != 0 && rg.size < CX_RING_FLOOR)
		rg.size = CX_RING_FLOOR;
	if (p == NULL || *p == '\0' || strlen(p) >= sizeof(rg.path) ||
	    rg.size == 0)
		rg.state = OFF;
	else
		snprintf(rg.path, sizeof(rg.path), "%s", p);
}

/* cxrec run hung up (it never says more than its one byte). */
static int
gone(void *arg)
{
	struct pollfd p = { rg.sock, POLLIN, 0 };

	(void)arg;
	return poll(&p, 1, 0) != 0;
}

/* Hand a new ring to cxrec run (pl_st.lock held).  READY or OFF. */
static int
ring_open(struct cx_writer *w)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	struct cx_ringhello hello = { CX_RING_MAGIC, pl_st.pid };
	struct iovec v = { &hello, sizeof(hello) };
	union {
		struct cmsghdr h;
		char buf[CMSG_SPACE(sizeof(int))];
	} cm;
	struct msghdr m = { .msg_iov = &v, .msg_iovlen = 1,
	    .msg_control = cm.buf, .msg_controllen = sizeof(cm.buf) };
	struct pollfd pf;
	char ok = 0;
	int fd, s = -1, hi;

	if ((fd = cx_ring_create(&rg.ring, rg.size)) == -1)
		return OFF;
	memset(&cm, 0, sizeof(cm));
	cm.h.cmsg_level = SOL_SOCKET;
	cm.h.cmsg_type = SCM_RIGHTS;
	cm.h.cmsg_len = CMSG_LEN(sizeof(int));
	memcpy(CMSG_DATA(&cm.h), &fd, sizeof(int));
	snprintf(sa.sun_path, sizeof(sa.sun_path), "%s", rg.path);
	if ((s = real_socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0)) == -1 ||
	    real_connect(s, (struct sockaddr *)&sa, sizeof(sa)) == -1 ||
	    real_sendmsg(s, &m, MSG_NOSIGNAL) != (ssize_t)sizeof(hello))
		goto fail;
	pf.fd = s;
	pf.events = POLLIN;
	if (poll(&pf, 1, 5000) != 1 || real_read(s, &ok, 1) != 1 || ok != 'k')
		goto fail;
	real_close(fd);
	/* Out of the program's way, beside the trace's descriptor. */
	hi = cx_writer_fd(w);
	if (hi > 64 && (fd = fcntl(s, F_DUPFD_CLOEXEC, hi - 32)) != -1 &&
	    fd < hi) {
		real_close(s);
		s = fd;
	} else if (fd != -1 && hi > 64)
		real_close(fd);
	rg.sock = s;
	pl_debug("ring of %zu bytes, drained by cxrec run", (size_t)
	    rg.ring.size);
	return READY;
fail:
	pl_report("pid %d: cxrec run took no ring (%s): frames written "
	    "directly", (int)getpid(), ok != 0 ? "bad answer" :
	    strerror(errno));
	if (s != -1)
		real_close(s);
	real_close(fd);
	cx_ring_unmap(&rg.ring);
	return OFF;
}

/*
 * The copy into the ring: on x86-64, larger pieces with non-temporal
 * stores, which neither read the ring's lines into this thread's cache
 * first nor push the program's own data (its TLS buffers) out of it: the
 * bytes are for another process.  (Measured: curl's CPU per GiB 0.95 s
 * against 0.98 s with memcpy, 0.90 against 0.94 in a second run.)  They
 * are ordered before the record's publication by ring_fence.
 */
#if defined(__x86_64__)
#include <immintrin.h>

static void
copy_out(uint8_t *d, const uint8_t *s, size_t n)
{
	size_t head = (16 - ((uintptr_t)d & 15)) & 15;

	if (n < 1024) {
		memcpy(d, s, n);
		return;
	}
	memcpy(d, s, head);
	d += head;
	s += head;
	n -= head;
	for (; n >= 64; n -= 64, d += 64, s += 64) {
		__m128i a = _mm_loadu_si128((const __m128i *)s);
		__m128i b = _mm_loadu_si128((const __m128i *)(s + 16));
		__m128i c = _mm_loadu_si128((const __m128i *)(s + 32));
		__m128i e = _mm_loadu_si128((const __m128i *)(s + 48));

		_mm_stream_si128((__m128i *)d, a);
		_mm_stream_si128((__m128i *)(d + 16), b);
		_mm_stream_si128((__m128i *)(d + 32), c);
		_mm_stream_si128((__m128i *)(d + 48), e);
	}
	memcpy(d, s, n);
}
#define ring_fence()    _mm_sfence()
#else
#define copy_out(d, s, n) memcpy(d, s, n)
#define ring_fence()    do { } while (0)
#endif

/* Bytes [off, off + n) of what iov gathers, copied to p. */
static void
gather(uint8_t *p, const struct iovec *iov, int iovcnt, size_t off, size_t n)
{
	for (int i = 0; i < iovcnt && n > 0; i++) {
		size_t len = iov[i].iov_len, k;

		if (off >= len) {
			off -= len;
			continue;
		}
		k = len - off < n ? len - off : n;
		copy_out(p, (const uint8_t *)iov[i].iov_base + off, k);
		p += k;
		n -= k;
		off = 0;
	}
}

/* What iov gathers from off on, as an iovec array (at most max pieces). */
static int
rest(struct iovec *out, int max, const struct iovec *iov, int iovcnt,
    size_t off)
{
	int k = 0;

	for (int i = 0; i < iovcnt && k < max; i++) {
		size_t len = iov[i].iov_len;

		if (off >= len) {
			off -= len;
			continue;
		}
		out[k].iov_base = (uint8_t *)iov[i].iov_base + off;
		out[k++].iov_len = len - off;
		off = 0;
	}
	return k;
}

/*
 * Which connections are on the ring.  A connection's frames are written
 * by the hooked thread while its data comes in pieces under RING_FROM
 * bytes: for small frames that is cheaper for the program's peers than a
 * drainer woken on a third thread (wrk's rate against nginx on two cores:
 * docs/performance.md, issue 20, the preload).  Its first piece of
 * RING_FROM bytes or more puts it on the ring for good, and every frame
 * of it after that (its close and errors too) goes there, so that its
 * frames stay in order in the trace: what it wrote directly is in the
 * file before anything of it is in the ring.  A connection finds its slot
 * by its id; one whose slot another live connection holds stays direct
 * (slower, never out of order).  Its close frame frees the slot.
 */
#define RING_FROM       4096
#define NCONNS          1024            /* slots, a power of two */

static uint64_t onring[NCONNS];

static uint64_t *
conn_slot(uint64_t conn)
{
	return &onring[(conn * 0x9e3779b97f4a7c15ull) >> 54];
}

static int
on_ring(uint64_t conn)
{
	return conn != 0 &&
	    __atomic_load_n(conn_slot(conn), __ATOMIC_ACQUIRE) == conn;
}

/* Put conn on the ring: 1, or 0 when its slot is another's. */
static int
take_slot(uint64_t conn)
{
	uint64_t none = 0;

	return conn != 0 && (__atomic_compare_exchange_n(conn_slot(conn),
	    &none, conn, 0, __ATOMIC_ACQ_REL, __ATOMIC_ACQUIRE) ||
	    none == conn);
}

static void
free_slot(uint64_t conn)
{
	uint64_t was = conn;

	__atomic_compare_exchange_n(conn_slot(conn), &was, 0, 0,
	    __ATOMIC_ACQ_REL, __ATOMIC_RELAXED);
}

int
pl_ring_put(struct cx_writer *w, const struct cx_frame *f,
    const struct iovec *iov, int iovcnt)
{
	struct cx_ringframe *h;
	int st = __atomic_load_n(&rg.state, __ATOMIC_ACQUIRE), ringed;
	size_t n = 0, off = 0, piece;

	if (st == OFF || f->kind == CX_K_OPEN)
		return -1;
	for (int i = 0; i < iovcnt; i++)
		n += iov[i].iov_len;
	ringed = on_ring(f->conn);
	if (!ringed && (f->kind != CX_K_DATA || n < RING_FROM))
		return -1;
	/* A vfork child shares the ring with its parent, which waits: its
	 * frames may go there, but it must not make a ring of its own. */
	if (st == UNTRIED) {
		if (pl_in_vfork_child())
			return -1;
		pthread_mutex_lock(&pl_st.lock);
		if (rg.state == UNTRIED)
			__atomic_store_n(&rg.state, ring_open(w),
			    __ATOMIC_RELEASE);
		st = rg.state;
		pthread_mutex_unlock(&pl_st.lock);
		if (st != READY)
			return -1;
	}
	if (!ringed && !take_slot(f->conn))
		return -1;
	/* Data larger than a record may be (a quarter of the ring) goes in
	 * several frames, in order, as larger writes always have. */
	piece = rg.ring.size / 4 - sizeof(*h) - 16;
	do {
		size_t k = n - off < piece ? n - off : piece;

		if ((h = cx_ring_reserve(&rg.ring, sizeof(*h) + k, gone,
		    NULL)) == NULL) {
			struct iovec v[24];
			struct cx_frame g = *f;

			/* cxrec run is going or gone: never again. */
			__atomic_store_n(&rg.state, OFF, __ATOMIC_RELEASE);
			pl_debug("ring closed: frames written directly");
			if (off == 0)
				return -1;
			g.len = (uint32_t)(n - off);
			cx_writer_putv(w, &g, v, rest(v, 24, iov, iovcnt,
			    off));
			return 0;
		}
		h->kind = f->kind;
		h->source = f->source;
		h->dir = f->dir;
		h->flags = f->flags;
		h->pid = f->pid;
		h->tid = f->tid;
		h->pad = 0;
		h->conn = f->conn;
		h->ts_ns = f->ts_ns;
		gather((uint8_t *)(h + 1), iov, iovcnt, off, k);
		ring_fence();   /* the bytes before the record's state */
		cx_ring_publish(&rg.ring, h);
		off += k;
	} while (off < n);
	if (f->kind == CX_K_CLOSE)
		free_slot(f->conn);
	return 0;
}

void
pl_ring_forked(void)
{
	/* The parent's ring stays the parent's: the child makes its own. */
	if (rg.state != READY)
		return;
	cx_ring_unmap(&rg.ring);
	real_close(rg.sock);
	rg.sock = -1;
	rg.state = UNTRIED;
}

void
pl_ring_fds_going(unsigned lo, unsigned hi)
{
	if (__atomic_load_n(&rg.state, __ATOMIC_ACQUIRE) == READY &&
	    (unsigned)rg.sock >= lo && (unsigned)rg.sock <= hi) {
		/* cxrec run sees the hang-up and drains what is there. */
		__atomic_store_n(&rg.state, OFF, __ATOMIC_RELEASE);
		pl_debug("the program closed the ring's socket: frames "
		    "written directly");
	}
}
