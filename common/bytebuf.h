/*
 * bytebuf.h: growable byte buffers that never grow past a limit, for the
 * analyzer (allocation through xmalloc.h: running out of memory is fatal).
 */
#ifndef CX_BYTEBUF_H
#define CX_BYTEBUF_H

#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "xmalloc.h"

/*
 * A byte buffer: p[0..len) is the content, p[len] is always a NUL (so text
 * content can be used as a C string).  Appends beyond max are cut: the
 * buffer keeps what fits and remembers that it dropped bytes.  The struct
 * is meant to be embedded; zero-initialise it or call cx_buf_init.
 */
struct cx_buf {
	uint8_t *p;
	size_t   len;
	size_t   alloc;
	size_t   max;           /* 0: no limit */
	int      cut;           /* an append was cut short */
};

void     cx_buf_init(struct cx_buf *b, size_t max);
/* Append n bytes: 0, or -1 if they did not all fit (b->cut is then set). */
int      cx_buf_add_slow(struct cx_buf *b, const void *p, size_t n);
static inline int
cx_buf_add(struct cx_buf *b, const void *p, size_t n)
{
	/* The common case inline: room, under the limit. */
	if (n < b->alloc - b->len && (b->max == 0 || n <= b->max - b->len)) {
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
	if (b->alloc - b->len > 1 && (b->max == 0 || b->len < b->max)) {
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

#endif
