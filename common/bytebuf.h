/*
 * bytebuf.h: the one growable byte buffer, for the analyzer's text and the
 * relay's queues (allocation through xmalloc.h: running out of memory is
 * fatal).
 */
#ifndef CX_BYTEBUF_H
#define CX_BYTEBUF_H

#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "xmalloc.h"

/*
 * A byte buffer: p[off..len) is the content, p[len] is always a NUL (so text
 * content can be used as a C string).  A buffer that is only appended to
 * (the analyzer's) keeps off at 0, its content p[0..len).  A queue (the
 * relay's) also consumes from the front: cx_buf_consume moves off forward
 * in O(1), and the consumed room is reclaimed later by a move that is paid
 * for by the bytes consumed before it (cx_buf_space), so a queue streaming
 * any number of bytes costs O(1) a byte.
 *
 * Appends beyond max are cut: the buffer keeps what fits and remembers that
 * it dropped bytes.  max bounds the content, len - off.  The struct is
 * meant to be embedded; zero-initialise it or call cx_buf_init.  The buffer
 * owns p; cx_buf_free releases it.
 */
struct cx_buf {
	uint8_t *p;
	size_t   len;           /* end of the content */
	size_t   alloc;
	size_t   max;           /* 0: no limit */
	int      cut;           /* an append was cut short */
	size_t   off;           /* start of the content (consumed before it) */
};

void     cx_buf_init(struct cx_buf *b, size_t max);
/* Append n bytes: 0, or -1 if they did not all fit (b->cut is then set). */
int      cx_buf_add_slow(struct cx_buf *b, const void *p, size_t n);
static inline int
cx_buf_add(struct cx_buf *b, const void *p, size_t n)
{
	/* The common case inline: room, under the limit. */
	if (n < b->alloc - b->len &&
	    (b->max == 0 || n <= b->max - (b->len - b->off))) {
		if (n > 0)
			memcpy(b->p + b->len, p, n);
		b->len += n;
		b->p[b->len] = '\0';
		return 0;
	}
	return cx_buf_add_slow(b, p, n);
}

static inline int
cx_buf_addc(struct cx_buf *b, int c)
{
	if (b->alloc - b->len > 1 &&
	    (b->max == 0 || b->len - b->off < b->max)) {
		b->p[b->len++] = (uint8_t)c;
		b->p[b->len] = '\0';
		return 0;
	}
	uint8_t ch = (uint8_t)c;
	return cx_buf_add_slow(b, &ch, 1);
}
int      cx_buf_adds(struct cx_buf *b, const char *s);
void     cx_buf_reset(struct cx_buf *b);    /* empty it, keep the memory */
void     cx_buf_trim(struct cx_buf *b);     /* give back unused memory */
/* Take the content as a malloc'd NUL-terminated string; b is left empty. */
char    *cx_buf_take(struct cx_buf *b);
void     cx_buf_free(struct cx_buf *b);     /* release memory; NULL is fine */

/* --- queues: consume from the front, read into the end ----------------- */

/* The content: cx_buf_used bytes from cx_buf_head. */
static inline size_t
cx_buf_used(const struct cx_buf *b)
{
	return b->len - b->off;
}

static inline const uint8_t *
cx_buf_head(const struct cx_buf *b)
{
	return b->p + b->off;
}

/* Drop the first n bytes of the content (n at most cx_buf_used); O(1). */
static inline void
cx_buf_consume(struct cx_buf *b, size_t n)
{
	b->off += n;
	if (b->off >= b->len) {
		/* Empty: from the start again, for free. */
		b->off = b->len = 0;
		if (b->p != NULL)
			b->p[0] = '\0';
	}
}

/*
 * Room for n more bytes at the end of the content, for a read(2) into it;
 * returns where to write, and cx_buf_commit then adds what was written.
 * The limit is not checked here but by cx_buf_commit.
 */
uint8_t *cx_buf_space(struct cx_buf *b, size_t n);
/*
 * Add the n bytes written at cx_buf_space's pointer (n at most what was
 * asked for): 0, or -1 if they passed the limit (the excess is dropped and
 * b->cut set).
 */
int      cx_buf_commit(struct cx_buf *b, size_t n);
/*
 * Send what b holds to the non-blocking socket fd (MSG_NOSIGNAL),
 * consuming what went: the bytes sent, until b is empty or the socket
 * would block; -1 when the socket failed (errno says why).
 */
long     cx_buf_send(struct cx_buf *b, int fd);

#endif
