/*
 * shmring.h: a ring of records in shared memory, written by the threads of
 * one process and read by another (the preload's frames, handed to cxrec
 * run, which writes them to the trace: docs/preload.md).
 *
 * The ring lives in a sealed memfd: one control page, then SIZE bytes of
 * records (SIZE a power of two), mapped twice in a row so that a record is
 * always contiguous, however it straddles the end.  A record is an 8-byte
 * header {len, state} and len bytes, padded to 8.
 *
 * Writers (any thread of the process that created it): cx_ring_reserve
 * takes room with an atomic on the head, the caller copies its bytes in,
 * cx_ring_publish marks the record done (from then on it is in memory the
 * reader holds: a writer killed with -9 loses nothing it published).  A
 * full ring makes the writer wait (futex) until the reader has made room,
 * never drop a record.  Writers wake the sleeping reader only once the ring
 * is a quarter full: below that the reader wakes on its own timeout, so a
 * writer makes no system call at all for most records.
 *
 * The reader (one thread of another process) takes records in order
 * (cx_ring_peek, cx_ring_consume), zeroing their bytes as it frees them
 * (a record's state is then 0 until published again), and bounds-checks
 * all it reads: the writer's memory is not trusted.
 */
#ifndef CX_SHMRING_H
#define CX_SHMRING_H

#include <stddef.h>
#include <stdint.h>

#define CX_RING_MAGIC   0x474e5258u     /* "XRNG" little-endian */
#define CX_RING_MIN     (64u * 1024)
#define CX_RING_MAX     (256u * 1024 * 1024)

/*
 * The control page (shared), a cache line for each side: what the writers
 * change for every record, what the reader changes once a batch, and the
 * futexes (touched when one side sleeps), so that a record costs no
 * cache line moving between the processes.
 */
struct cx_ring_ctl {
	uint32_t magic;
	uint32_t ctl_len;               /* bytes before the records (a page) */
	uint64_t size;                  /* bytes of records, a power of two */
	uint8_t  pad0[48];
	uint64_t head;                  /* reserved up to (writers) */
	uint32_t inflight;              /* writers between reserve and publish */
	uint32_t closed;                /* the reader is going: write yourself */
	uint8_t  pad1[48];
	uint64_t tail;                  /* freed up to (the reader) */
	uint8_t  pad2[56];
	uint32_t reader_asleep;         /* futex: the reader waits for data */
	uint32_t room_seq;              /* futex: bumped when writers wait */
	uint32_t writers_waiting;
	uint8_t  pad3[52];
};

/* One process's view of a ring (the caller owns it, zeroed = unmapped). */
struct cx_ring {
	struct cx_ring_ctl *ctl;
	uint8_t         *data;          /* size bytes, mapped twice in a row */
	uint64_t         size;
	size_t           maplen;        /* of the whole reservation */
	uint64_t         tail_seen;     /* writers: the tail last read */
	uint64_t         pos;           /* the reader: its own tail, */
	uint64_t         head_seen;     /* the head it last read, */
	uint64_t         tail_told;     /* and the tail it last published */
};

/*
 * Create a ring of size bytes (rounded up to a power of two within
 * [CX_RING_MIN, CX_RING_MAX]) in a sealed memfd and map it into r.  The
 * memfd's descriptor (close-on-exec), or -1 with errno set.
 */
int      cx_ring_create(struct cx_ring *r, size_t size);
/*
 * Map a ring another process created (fd: its memfd), checking its seals,
 * size and header.  0, or -1 with why in err.
 */
int      cx_ring_map(struct cx_ring *r, int fd, char *err, size_t errlen);
/* Unmap (a zeroed r is fine). */
void     cx_ring_unmap(struct cx_ring *r);

/* --- writers -------------------------------------------------------------- */

/*
 * Room for a record of n bytes (at most size / 4): where to copy them, or
 * NULL when the reader is going (closed) or gone (gone(arg) true while
 * waiting for room; gone may be NULL): the caller then writes the record
 * some other way.  Every non-NULL reservation must be published.
 */
void    *cx_ring_reserve(struct cx_ring *r, size_t n, int (*gone)(void *),
    void *arg);
/* The record at p (cx_ring_reserve's) is complete. */
void     cx_ring_publish(struct cx_ring *r, void *p);

/* --- the reader ----------------------------------------------------------- */

/*
 * The next record: 1 with *p and *n set when it is published, 0 if there
 * is none yet, -1 if the ring is corrupt (the reader must stop).
 */
int      cx_ring_peek(struct cx_ring *r, const void **p, size_t *n);
/* Free the record cx_ring_peek returned (and wake writers waiting). */
void     cx_ring_consume(struct cx_ring *r);
/*
 * The same for a batch: the record off bytes past the first (0: the
 * first), whose end *next is the next one's off; 1, 0 or -1 as
 * cx_ring_peek.  cx_ring_consume_to(r, off) then frees every record
 * before off (a *next cx_ring_peek_at gave) at once.  Records stay where
 * they are until freed: what the reader batches must fit in the ring.
 */
int      cx_ring_peek_at(struct cx_ring *r, uint64_t off, const void **p,
    size_t *n, uint64_t *next);
void     cx_ring_consume_to(struct cx_ring *r, uint64_t off);
/*
 * Wait at most ms for the ring to be worth reading (a quarter full, or a
 * writer waiting for room; ms is the usual way back).
 */
void     cx_ring_wait(struct cx_ring *r, int ms);
/* Bytes reserved and not yet freed (what a dead writer left). */
uint64_t cx_ring_pending(struct cx_ring *r);
/*
 * The writers are dead: step over a record reserved but never published.
 * Its bytes, or 0 when there is none or its length was never written (then
 * cx_ring_pending is what was lost).
 */
size_t   cx_ring_skip(struct cx_ring *r);
/*
 * The reader is going: writers stop using the ring (they write some other
 * way); returns once no writer is between reserve and publish, or after
 * ms.  What is in the ring is then final.
 */
void     cx_ring_close(struct cx_ring *r, int ms);

#endif
