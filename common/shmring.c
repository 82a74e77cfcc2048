/* shmring.c: a multi-writer ring in a shared memfd (shmring.h). */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <linux/futex.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include "shmring.h"

#define ALIGN8(n)       (((n) + 7) & ~(uint64_t)7)
#define PUBLISHED       1u

struct rec {
	uint32_t len;
	uint32_t state;
};

/* Shared between processes: not FUTEX_PRIVATE. */
static void
futex_wait(uint32_t *addr, uint32_t val, int ms)
{
	struct timespec ts = { ms / 1000, (long)(ms % 1000) * 1000000L };

	syscall(SYS_futex, addr, FUTEX_WAIT, val, &ts, NULL, 0);
}

static void
futex_wake(uint32_t *addr, int n)
{
	syscall(SYS_futex, addr, FUTEX_WAKE, n, NULL, NULL, 0);
}

static size_t
page(void)
{
	long p = sysconf(_SC_PAGESIZE);

	return p > 0 ? (size_t)p : 4096;
}

/* Map ctl_len + size of fd at r: the records twice in a row. */
static int
map(struct cx_ring *r, int fd, size_t ctl_len, uint64_t size)
{
	size_t len = ctl_len + 2 * size;
	uint8_t *base = mmap(NULL, len, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS,
	    -1, 0);

	if (base == MAP_FAILED)
		return -1;
	if (mmap(base, ctl_len, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_FIXED,
	    fd, 0) == MAP_FAILED ||
	    mmap(base + ctl_len, size, PROT_READ | PROT_WRITE, MAP_SHARED |
	    MAP_FIXED, fd, (off_t)ctl_len) == MAP_FAILED ||
	    mmap(base + ctl_len + size, size, PROT_READ | PROT_WRITE,
	    MAP_SHARED | MAP_FIXED, fd, (off_t)ctl_len) == MAP_FAILED) {
		int e = errno;

		munmap(base, len);
		errno = e;
		return -1;
	}
	r->ctl = (struct cx_ring_ctl *)base;
	r->data = base + ctl_len;
	r->size = size;
	r->maplen = len;
	r->pos = r->head_seen = r->tail_told = r->tail_seen = 0;
	return 0;
}

int
cx_ring_create(struct cx_ring *r, size_t size)
{
	uint64_t sz = CX_RING_MIN;
	size_t ctl_len = page();
	int fd, e;

	while (sz < size && sz < CX_RING_MAX)
		sz <<= 1;
	if ((fd = memfd_create("cxrec-ring", MFD_CLOEXEC |
	    MFD_ALLOW_SEALING)) == -1)
		return -1;
	if (ftruncate(fd, (off_t)(ctl_len + sz)) == -1 ||
	    fcntl(fd, F_ADD_SEALS, F_SEAL_SHRINK | F_SEAL_GROW |
	    F_SEAL_SEAL) == -1 || map(r, fd, ctl_len, sz) == -1)
		goto fail;
	r->ctl->ctl_len = (uint32_t)ctl_len;
	r->ctl->size = sz;
	__atomic_store_n(&r->ctl->magic, CX_RING_MAGIC, __ATOMIC_RELEASE);
	return fd;
fail:
	e = errno;
	close(fd);
	errno = e;
	return -1;
}

int
cx_ring_map(struct cx_ring *r, int fd, char *err, size_t errlen)
{
	struct cx_ring_ctl c;
	struct stat st;
	int seals;
	void *p;

	seals = fcntl(fd, F_GET_SEALS);
	if (seals == -1 || (seals & (F_SEAL_SHRINK | F_SEAL_SEAL)) !=
	    (F_SEAL_SHRINK | F_SEAL_SEAL)) {
		snprintf(err, errlen, "ring: not a sealed memfd");
		return -1;
	}
	if (fstat(fd, &st) == -1 || (size_t)st.st_size < page()) {
		snprintf(err, errlen, "ring: too small");
		return -1;
	}
	if ((p = mmap(NULL, sizeof(c), PROT_READ, MAP_SHARED, fd, 0)) ==
	    MAP_FAILED) {
		snprintf(err, errlen, "ring: mmap: %s", strerror(errno));
		return -1;
	}
	memcpy(&c, p, sizeof(c));
	munmap(p, sizeof(c));
	if (c.magic != CX_RING_MAGIC || c.ctl_len != page() ||
	    c.size < CX_RING_MIN || c.size > CX_RING_MAX ||
	    (c.size & (c.size - 1)) != 0 ||
	    (uint64_t)st.st_size != c.ctl_len + c.size) {
		snprintf(err, errlen, "ring: bad header");
		return -1;
	}
	if (map(r, fd, c.ctl_len, c.size) == -1) {
		snprintf(err, errlen, "ring: mmap: %s", strerror(errno));
		return -1;
	}
	r->pos = r->tail_told = __atomic_load_n(&r->ctl->tail,
	    __ATOMIC_ACQUIRE);
	r->head_seen = r->pos;
	return 0;
}

void
cx_ring_unmap(struct cx_ring *r)
{
	if (r->ctl != NULL)
		munmap(r->ctl, r->maplen);
	memset(r, 0, sizeof(*r));
}

/* --- writers -------------------------------------------------------------- */

/* Wait for room (need bytes); -1 when the reader is going or gone. */
static int
wait_room(struct cx_ring *r, uint64_t need, int (*gone)(void *), void *arg)
{
	struct cx_ring_ctl *c = r->ctl;
	uint32_t seq;
	int rc = 0;

	__atomic_add_fetch(&c->writers_waiting, 1, __ATOMIC_SEQ_CST);
	seq = __atomic_load_n(&c->room_seq, __ATOMIC_SEQ_CST);
	if (__atomic_exchange_n(&c->reader_asleep, 0, __ATOMIC_SEQ_CST))
		futex_wake(&c->reader_asleep, 1);
	if (__atomic_load_n(&c->head, __ATOMIC_SEQ_CST) -
	    __atomic_load_n(&c->tail, __ATOMIC_SEQ_CST) + need > r->size &&
	    !__atomic_load_n(&c->closed, __ATOMIC_SEQ_CST)) {
		futex_wait(&c->room_seq, seq, 100);
		if (__atomic_load_n(&c->room_seq, __ATOMIC_SEQ_CST) == seq &&
		    gone != NULL && gone(arg))
			rc = -1;
	}
	__atomic_sub_fetch(&c->writers_waiting, 1, __ATOMIC_SEQ_CST);
	if (__atomic_load_n(&c->closed, __ATOMIC_SEQ_CST))
		rc = -1;
	return rc;
}

void *
cx_ring_reserve(struct cx_ring *r, size_t n, int (*gone)(void *), void *arg)
{
	struct cx_ring_ctl *c = r->ctl;
	uint64_t need = ALIGN8(sizeof(struct rec) + n), h, t;
	struct rec *rec;

	if (need > r->size / 4)
		return NULL;
	/* Announced before looking at closed: cx_ring_close waits for us. */
	__atomic_add_fetch(&c->inflight, 1, __ATOMIC_SEQ_CST);
	if (__atomic_load_n(&c->closed, __ATOMIC_SEQ_CST))
		goto out;
	/* The tail last seen, while it leaves room (it only grows). */
	t = __atomic_load_n(&r->tail_seen, __ATOMIC_RELAXED);
	h = __atomic_load_n(&c->head, __ATOMIC_RELAXED);
	if (h - t + need > r->size) {
		t = __atomic_load_n(&c->tail, __ATOMIC_ACQUIRE);
		__atomic_store_n(&r->tail_seen, t, __ATOMIC_RELAXED);
		h = __atomic_load_n(&c->head, __ATOMIC_RELAXED);
	}
	for (;;) {
		if (h - t + need > r->size) {
			if (wait_room(r, need, gone, arg) == -1)
				goto out;
			t = __atomic_load_n(&c->tail, __ATOMIC_ACQUIRE);
			__atomic_store_n(&r->tail_seen, t, __ATOMIC_RELAXED);
			h = __atomic_load_n(&c->head, __ATOMIC_RELAXED);
			continue;
		}
		if (__atomic_compare_exchange_n(&c->head, &h, h + need, 1,
		    __ATOMIC_ACQ_REL, __ATOMIC_RELAXED))
			break;
	}
	rec = (struct rec *)(r->data + (h & (r->size - 1)));
	__atomic_store_n(&rec->len, (uint32_t)n, __ATOMIC_RELAXED);
	return rec + 1;
out:
	__atomic_sub_fetch(&c->inflight, 1, __ATOMIC_SEQ_CST);
	return NULL;
}

void
cx_ring_publish(struct cx_ring *r, void *p)
{
	struct cx_ring_ctl *c = r->ctl;
	struct rec *rec = (struct rec *)p - 1;

	__atomic_store_n(&rec->state, PUBLISHED, __ATOMIC_RELEASE);
	__atomic_sub_fetch(&c->inflight, 1, __ATOMIC_SEQ_CST);
	/* The reader sleeps until a quarter is used (or its timeout); the
	 * tail last seen says less is used than is. */
	if (__atomic_load_n(&c->head, __ATOMIC_RELAXED) -
	    __atomic_load_n(&r->tail_seen, __ATOMIC_RELAXED) >= r->size / 4 &&
	    __atomic_load_n(&c->head, __ATOMIC_RELAXED) -
	    __atomic_load_n(&c->tail, __ATOMIC_RELAXED) >= r->size / 4 &&
	    __atomic_load_n(&c->reader_asleep, __ATOMIC_SEQ_CST) &&
	    __atomic_exchange_n(&c->reader_asleep, 0, __ATOMIC_SEQ_CST))
		futex_wake(&c->reader_asleep, 1);
}

/* --- the reader ----------------------------------------------------------- */

/* Tell the writers what is free (once a batch, not once a record). */
static void
tell_tail(struct cx_ring *r)
{
	struct cx_ring_ctl *c = r->ctl;

	if (r->tail_told == r->pos)
		return;
	r->tail_told = r->pos;
	__atomic_store_n(&c->tail, r->pos, __ATOMIC_SEQ_CST);
	/* Writers waiting are woken once a quarter is free, not for each
	 * record: one wake-up each, not one per record freed. */
	if (__atomic_load_n(&c->writers_waiting, __ATOMIC_SEQ_CST) &&
	    cx_ring_pending(r) <= r->size - r->size / 4) {
		__atomic_add_fetch(&c->room_seq, 1, __ATOMIC_SEQ_CST);
		futex_wake(&c->room_seq, INT_MAX);
	}
}

int
cx_ring_peek_at(struct cx_ring *r, uint64_t off, const void **p, size_t *n,
    uint64_t *next)
{
	uint64_t h = r->head_seen;
	struct rec *rec;
	uint32_t len;

	if (h - r->pos <= off) {
		if (off == 0)
			tell_tail(r);
		h = r->head_seen = __atomic_load_n(&r->ctl->head,
		    __ATOMIC_ACQUIRE);
		if (h - r->pos <= off)
			return 0;
	}
	if (h - r->pos > r->size)
		return -1;
	rec = (struct rec *)(r->data + ((r->pos + off) & (r->size - 1)));
	if (__atomic_load_n(&rec->state, __ATOMIC_ACQUIRE) != PUBLISHED) {
		if (off == 0)
			tell_tail(r);
		return 0;
	}
	len = __atomic_load_n(&rec->len, __ATOMIC_RELAXED);
	if (ALIGN8(sizeof(*rec) + len) > h - r->pos - off)
		return -1;
	*p = rec + 1;
	*n = len;
	*next = off + ALIGN8(sizeof(*rec) + len);
	return 1;
}

int
cx_ring_peek(struct cx_ring *r, const void **p, size_t *n)
{
	uint64_t next;

	return cx_ring_peek_at(r, 0, p, n, &next);
}

/*
 * Zero n bytes the reader frees (a record's state is 0 until published
 * again, wherever the next records start).  On x86-64, larger records
 * with non-temporal stores: the lines go to memory and stay in no cache
 * of this process's core, so the writer's next copy into them (its own
 * non-temporal stores, preload_ring.c) takes nothing back from here
 * (docs/performance.md, issue 20: curl's CPU per GiB).  The fence orders
 * them before the tail that frees the room.
 */
#if defined(__x86_64__)
#include <immintrin.h>

static void
zero_out(uint8_t *d, uint64_t n)
{
	uint64_t head = (16 - ((uintptr_t)d & 15)) & 15, i;

	if (n < 1024) {
		memset(d, 0, n);
		return;
	}
	memset(d, 0, head);
	for (i = head; i + 16 <= n; i += 16)
		_mm_stream_si128((__m128i *)(void *)(d + i),
		    _mm_setzero_si128());
	memset(d + i, 0, n - i);
	_mm_sfence();
}
#else
#define zero_out(d, n)  memset(d, 0, n)
#endif

/* Free need bytes at the reader's position (told every eighth). */
static void
advance(struct cx_ring *r, uint64_t need)
{
	zero_out(r->data + (r->pos & (r->size - 1)), need);
	r->pos += need;
	if (r->pos - r->tail_told >= r->size / 8)
		tell_tail(r);
}

void
cx_ring_consume(struct cx_ring *r)
{
	struct rec *rec = (struct rec *)(r->data + (r->pos & (r->size - 1)));

	advance(r, ALIGN8(sizeof(*rec) + rec->len));
}

void
cx_ring_consume_to(struct cx_ring *r, uint64_t off)
{
	if (off > 0 && off <= r->head_seen - r->pos)
		advance(r, off);
}

void
cx_ring_wait(struct cx_ring *r, int ms)
{
	struct cx_ring_ctl *c = r->ctl;

	tell_tail(r);
	__atomic_store_n(&c->reader_asleep, 1, __ATOMIC_SEQ_CST);
	if (cx_ring_pending(r) < r->size / 4 &&
	    !__atomic_load_n(&c->writers_waiting, __ATOMIC_SEQ_CST))
		futex_wait(&c->reader_asleep, 1, ms);
	__atomic_store_n(&c->reader_asleep, 0, __ATOMIC_SEQ_CST);
}

uint64_t
cx_ring_pending(struct cx_ring *r)
{
	uint64_t h = __atomic_load_n(&r->ctl->head, __ATOMIC_SEQ_CST);

	r->head_seen = h;
	return h - r->pos > r->size ? r->size : h - r->pos;
}

size_t
cx_ring_skip(struct cx_ring *r)
{
	struct rec *rec = (struct rec *)(r->data + (r->pos & (r->size - 1)));
	uint64_t need = ALIGN8(sizeof(*rec) + rec->len);

	if (cx_ring_pending(r) == 0 || rec->len == 0 ||
	    need > cx_ring_pending(r))
		return 0;
	advance(r, need);
	return (size_t)need;
}

void
cx_ring_close(struct cx_ring *r, int ms)
{
	struct cx_ring_ctl *c = r->ctl;

	__atomic_store_n(&c->closed, 1, __ATOMIC_SEQ_CST);
	/* Writers waiting for room see it at once. */
	__atomic_add_fetch(&c->room_seq, 1, __ATOMIC_SEQ_CST);
	futex_wake(&c->room_seq, INT_MAX);
	for (int i = 0; i < ms && __atomic_load_n(&c->inflight,
	    __ATOMIC_SEQ_CST) != 0; i++)
		usleep(1000);
}
