/* bytebuf.c: aborting allocation and capped byte buffers (see bytebuf.h). */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bytebuf.h"

static void
oom(size_t n)
{
	fprintf(stderr, "cxrec: out of memory (allocating %zu bytes)\n", n);
	abort();
}

void *
cx_xmalloc(size_t n)
{
	void *p = malloc(n ? n : 1);

	if (p == NULL)
		oom(n);
	return p;
}

void *
cx_xcalloc(size_t nmemb, size_t size)
{
	void *p = calloc(nmemb ? nmemb : 1, size ? size : 1);

	if (p == NULL)
		oom(nmemb * size);
	return p;
}

void *
cx_xrealloc(void *p, size_t n)
{
	void *q = realloc(p, n ? n : 1);

	if (q == NULL)
		oom(n);
	return q;
}

void *
cx_xreallocarray(void *p, size_t nmemb, size_t size)
{
	if (size != 0 && nmemb > SIZE_MAX / size)
		oom(SIZE_MAX);
	return cx_xrealloc(p, nmemb * size);
}

char *
cx_xstrdup(const char *s)
{
	return cx_xstrndup(s, strlen(s));
}

char *
cx_xstrndup(const char *s, size_t n)
{
	char *p = cx_xmalloc(n + 1);

	memcpy(p, s, n);
	p[n] = '\0';
	return p;
}

char *
cx_xasprintf(const char *fmt, ...)
{
	va_list ap;
	char *p;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(NULL, 0, fmt, ap);
	va_end(ap);
	if (n < 0)
		oom(0);
	p = cx_xmalloc((size_t)n + 1);
	va_start(ap, fmt);
	vsnprintf(p, (size_t)n + 1, fmt, ap);
	va_end(ap);
	return p;
}

void
cx_buf_init(struct cx_buf *b, size_t max)
{
	memset(b, 0, sizeof(*b));
	b->max = max;
}

int
cx_buf_add(struct cx_buf *b, const void *p, size_t n)
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
		b->p = cx_xrealloc(b->p, want);
		b->alloc = want;
	}
	if (n > 0)
		memcpy(b->p + b->len, p, n);
	b->len += n;
	b->p[b->len] = '\0';
	return rc;
}

int
cx_buf_addc(struct cx_buf *b, int c)
{
	uint8_t ch = (uint8_t)c;

	return cx_buf_add(b, &ch, 1);
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
		b->p = cx_xrealloc(b->p, b->len + 1);
		b->alloc = b->len + 1;
	}
}

char *
cx_buf_take(struct cx_buf *b)
{
	char *s;

	if (b->p == NULL)
		return cx_xstrdup("");
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
