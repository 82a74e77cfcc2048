/*
 * buf.h: a byte buffer with a read offset, for the relay's queues.
 * The buffer owns data; buf_free releases it.  Growth aborts on OOM
 * (cxrec only).  Callers bound the length themselves (see relay.c).
 */
#ifndef CX_BUF_H
#define CX_BUF_H

#include <stddef.h>
#include <stdint.h>

struct buf {
	uint8_t *data;
	size_t   off;   /* first unread byte */
	size_t   len;   /* end of data */
	size_t   cap;
};

void    buf_append(struct buf *b, const void *p, size_t n);
void    buf_consume(struct buf *b, size_t n);
/* Make room for n more bytes at the end; returns where to write. */
uint8_t *buf_space(struct buf *b, size_t n);
void    buf_free(struct buf *b);

static inline size_t
buf_used(const struct buf *b)
{
	return b->len - b->off;
}

static inline const uint8_t *
buf_head(const struct buf *b)
{
	return b->data + b->off;
}

#endif
