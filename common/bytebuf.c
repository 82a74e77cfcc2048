/* bytebuf.c: aborting allocation and capped byte buffers (see bytebuf.h). */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bytebuf.h"
#include "xmalloc.h"

void
cx_buf_init(struct cx_buf *b, size_t max)
{
	memset(b, 0, sizeof(*b));
	b->max = max;
}

int
cx_buf_add_slow(struct cx_buf *b, const void *p, size_t n)
{
	int rc = 0;

	if (b->max != 0 && n > b->max - b->len) {
		n = b->max - b->len;
		b->cut = 1;
		rc = -1;
	}
	if (b->len + n + 1 > b->alloc) {
		size_t want = b->alloc ? b->alloc : 64;

		while (want < b->len + n + 1)
			want = want > SIZE_MAX / 2 ? b->len + n + 1 : want * 2;
		b->p = xrealloc(b->p, want);
		b->alloc = want;
	}
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

void
cx_buf_reset(struct cx_buf *b)
{
	b->len = 0;
	b->cut = 0;
	if (b->p != NULL)
		b->p[0] = '\0';
}

void
cx_buf_trim(struct cx_buf *b)
{
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
	b->cut = 0;
}
