/* bytebuf.c: capped byte buffers and queues (see bytebuf.h). */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "bytebuf.h"
#include "xmalloc.h"

void
cx_buf_init(struct cx_buf *b, size_t max)
{
	memset(b, 0, sizeof(*b));
	b->max = max;
}

/* Move the content to the front of the memory. */
static void
compact(struct cx_buf *b)
{
	size_t used = b->len - b->off;

	if (b->off == 0)
		return;
	memmove(b->p, b->p + b->off, used);
	b->off = 0;
	b->len = used;
	b->p[used] = '\0';
}

/*
 * Room for n more bytes and the NUL after the content.  The consumed front
 * is reclaimed by a move only when the bytes moved are at most twice the
 * bytes consumed since the last move (each consumed byte pays for two
 * moved, so a queue costs O(1) a byte); otherwise the memory doubles,
 * as it does for a buffer that is only appended to.
 */
static void
reserve(struct cx_buf *b, size_t n)
{
	size_t used = b->len - b->off, want;
	uint8_t *np;

	if (n < b->alloc - b->len)
		return;
	if (b->off > 0 && used / 2 <= b->off && n < b->alloc - used) {
		compact(b);
		return;
	}
	want = b->alloc ? b->alloc * 2 : 64;
	while (want - used <= n)
		want = want > SIZE_MAX / 2 ? used + n + 1 : want * 2;
	if (b->off == 0) {
		b->p = xrealloc(b->p, want);
	} else {
		/* Only the content is copied, not the consumed front. */
		np = xmalloc(want);
		memcpy(np, b->p + b->off, used);
		free(b->p);
		b->p = np;
		b->off = 0;
		b->len = used;
	}
	b->alloc = want;
	b->p[b->len] = '\0';
}

int
cx_buf_add_slow(struct cx_buf *b, const void *p, size_t n)
{
	int rc = 0;

	if (b->max != 0 && n > b->max - (b->len - b->off)) {
		n = b->max - (b->len - b->off);
		b->cut = 1;
		rc = -1;
	}
	reserve(b, n);
	if (n > 0)
		memcpy(b->p + b->len, p, n);
	b->len += n;
	b->p[b->len] = '\0';
	return rc;
}

int
cx_buf_adds(struct cx_buf *b, const char *s)
{
	return cx_buf_add(b, s, strlen(s));
}

uint8_t *
cx_buf_space(struct cx_buf *b, size_t n)
{
	reserve(b, n);
	return b->p + b->len;
}

int
cx_buf_commit(struct cx_buf *b, size_t n)
{
	int rc = 0;

	if (b->max != 0 && n > b->max - (b->len - b->off)) {
		n = b->max - (b->len - b->off);
		b->cut = 1;
		rc = -1;
	}
	b->len += n;
	if (b->p != NULL)
		b->p[b->len] = '\0';
	return rc;
}

void
cx_buf_reset(struct cx_buf *b)
{
	b->len = 0;
	b->off = 0;
	b->cut = 0;
	if (b->p != NULL)
		b->p[0] = '\0';
}

void
cx_buf_trim(struct cx_buf *b)
{
	compact(b);
	if (b->p != NULL && b->alloc > b->len + 1) {
		b->p = xrealloc(b->p, b->len + 1);
		b->alloc = b->len + 1;
	}
}

char *
cx_buf_take(struct cx_buf *b)
{
	char *s;

	if (b->p == NULL)
		return xstrdup("");
	compact(b);
	s = (char *)b->p;
	b->p = NULL;
	b->len = b->alloc = 0;
	b->cut = 0;
	return s;
}

void
cx_buf_free(struct cx_buf *b)
{
	if (b == NULL)
		return;
	free(b->p);
	b->p = NULL;
	b->len = b->alloc = 0;
	b->off = 0;
	b->cut = 0;
}

long
cx_buf_send(struct cx_buf *b, int fd)
{
	long sent = 0;

	while (cx_buf_used(b) > 0) {
		ssize_t k = send(fd, cx_buf_head(b), cx_buf_used(b),
		    MSG_NOSIGNAL);

		if (k == -1) {
			if (errno == EAGAIN || errno == EINTR)
				break;
			return -1;
		}
		cx_buf_consume(b, (size_t)k);
		sent += k;
	}
	return sent;
}
