/*
 * export_cursor.c: how far an export got (export_cursor.h): a sorted set
 * of ranges of exchange ids, read from and written to one line of text.
 */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "bytebuf.h"
#include "export_cursor.h"
#include "xmalloc.h"

#define MAGIC           "cxrec-export-cursor 1 "
#define MAX_FILE        (CX_XCURSOR_MAX_RANGES * 44 + 256)

struct range {
	uint64_t         lo, hi;        /* lo <= hi, both held */
};

struct cx_xcursor {
	char             trace[17];
	int              ended;
	struct range    *r;             /* sorted, apart by more than one */
	size_t           n;
};

struct cx_xcursor *
cx_xcursor_new(const char *trace_id)
{
	struct cx_xcursor *c = xcalloc(1, sizeof(*c));

	snprintf(c->trace, sizeof(c->trace), "%s", trace_id);
	c->r = xcalloc(CX_XCURSOR_MAX_RANGES, sizeof(*c->r));
	return c;
}

void
cx_xcursor_free(struct cx_xcursor *c)
{
	if (c == NULL)
		return;
	free(c->r);
	free(c);
}

/* The first range whose hi is at least id (c->n if none). */
static size_t
find(const struct cx_xcursor *c, uint64_t id)
{
	size_t lo = 0, hi = c->n;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;

		if (c->r[mid].hi < id)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo;
}

int
cx_xcursor_has(const struct cx_xcursor *c, uint64_t id)
{
	size_t i = find(c, id);

	return i < c->n && c->r[i].lo <= id;
}

int
cx_xcursor_add(struct cx_xcursor *c, uint64_t id)
{
	size_t i = find(c, id);

	if (i < c->n && c->r[i].lo <= id)
		return 0;
	/* Joins the range before it, the one after it, or both. */
	if (i > 0 && c->r[i - 1].hi + 1 == id) {
		c->r[i - 1].hi = id;
		if (i < c->n && c->r[i].lo == id + 1) {
			c->r[i - 1].hi = c->r[i].hi;
			memmove(&c->r[i], &c->r[i + 1],
			    (c->n - i - 1) * sizeof(*c->r));
			c->n--;
		}
		return 0;
	}
	if (i < c->n && c->r[i].lo == id + 1) {
		c->r[i].lo = id;
		return 0;
	}
	if (c->n == CX_XCURSOR_MAX_RANGES)
		return -1;
	memmove(&c->r[i + 1], &c->r[i], (c->n - i) * sizeof(*c->r));
	c->r[i].lo = c->r[i].hi = id;
	c->n++;
	return 0;
}

int
cx_xcursor_ended(const struct cx_xcursor *c)
{
	return c->ended;
}

void
cx_xcursor_set_ended(struct cx_xcursor *c)
{
	c->ended = 1;
}

uint64_t
cx_xcursor_count(const struct cx_xcursor *c)
{
	uint64_t n = 0;

	for (size_t i = 0; i < c->n; i++)
		n += c->r[i].hi - c->r[i].lo + 1;
	return n;
}

/* A decimal number of digits only, at *p, above 0; -1 when not. */
static int
number(const char **p, uint64_t *v)
{
	char *end;

	if (**p < '0' || **p > '9')
		return -1;
	errno = 0;
	*v = strtoull(*p, &end, 10);
	if (errno != 0 || *v == 0)
		return -1;
	*p = end;
	return 0;
}

/* "1-17,19" into c; -1 when it is not that. */
static int
parse_done(struct cx_xcursor *c, const char *p)
{
	while (*p != '\0' && *p != '\n') {
		uint64_t lo, hi;

		if (number(&p, &lo) == -1)
			return -1;
		hi = lo;
		if (*p == '-') {
			p++;
			if (number(&p, &hi) == -1 || hi < lo)
				return -1;
		}
		if (c->n > 0 && lo <= c->r[c->n - 1].hi + 1)
			return -1;
		if (c->n == CX_XCURSOR_MAX_RANGES)
			return -1;
		c->r[c->n].lo = lo;
		c->r[c->n].hi = hi;
		c->n++;
		if (*p == ',' && p[1] >= '0' && p[1] <= '9')
			p++;
		else if (*p != '\0' && (*p != '\n' || p[1] != '\0'))
			return -1;
	}
	return 0;
}

struct cx_xcursor *
cx_xcursor_parse(const char *text, size_t n, const char *trace_id,
    int *other, const char *name, char *err, size_t errlen)
{
	struct cx_xcursor *c = cx_xcursor_new(trace_id);
	char *t = xmalloc(n + 1), *p;

	if (other != NULL)
		*other = 0;
	memcpy(t, text, n);
	t[n] = '\0';
	if (strlen(t) != n || strncmp(t, MAGIC, sizeof(MAGIC) - 1) != 0) {
		snprintf(err, errlen, "%s: not a cxrec export cursor", name);
		goto fail;
	}
	p = t + sizeof(MAGIC) - 1;
	if (strncmp(p, "trace=", 6) != 0 || strlen(p) < 6 + 16 + 1 ||
	    p[22] != ' ') {
		snprintf(err, errlen, "%s: not a cxrec export cursor", name);
		goto fail;
	}
	if (strncmp(p + 6, trace_id, 16) != 0) {
		/* Another trace's: this one starts afresh. */
		if (other != NULL)
			*other = 1;
		free(t);
		return c;
	}
	p += 23;
	if (strncmp(p, "ended=", 6) != 0 || (p[6] != '0' && p[6] != '1') ||
	    strncmp(p + 7, " done=", 6) != 0 ||
	    parse_done(c, p + 13) == -1) {
		snprintf(err, errlen, "%s: a damaged cxrec export cursor",
		    name);
		goto fail;
	}
	c->ended = p[6] == '1';
	free(t);
	return c;
fail:
	free(t);
	cx_xcursor_free(c);
	return NULL;
}

struct cx_xcursor *
cx_xcursor_load(const char *path, const char *trace_id, int *other,
    char *err, size_t errlen)
{
	struct cx_xcursor *c;
	char *text;
	FILE *f;
	size_t n;
	int bad;

	if (other != NULL)
		*other = 0;
	if ((f = fopen(path, "r")) == NULL) {
		if (errno == ENOENT)
			return cx_xcursor_new(trace_id);
		snprintf(err, errlen, "%s: %s", path, strerror(errno));
		return NULL;
	}
	text = xmalloc(MAX_FILE);
	n = fread(text, 1, MAX_FILE, f);
	bad = ferror(f) || n == MAX_FILE;
	fclose(f);
	if (bad) {
		snprintf(err, errlen, "%s: not a cxrec export cursor", path);
		free(text);
		return NULL;
	}
	c = cx_xcursor_parse(text, n, trace_id, other, path, err, errlen);
	free(text);
	return c;
}

void
cx_xcursor_text(const struct cx_xcursor *c, struct cx_buf *b)
{
	char num[48];

	cx_buf_adds(b, MAGIC "trace=");
	cx_buf_adds(b, c->trace);
	cx_buf_adds(b, c->ended ? " ended=1 done=" : " ended=0 done=");
	for (size_t i = 0; i < c->n; i++) {
		if (c->r[i].lo == c->r[i].hi)
			snprintf(num, sizeof(num), "%s%" PRIu64, i ? "," : "",
			    c->r[i].lo);
		else
			snprintf(num, sizeof(num), "%s%" PRIu64 "-%" PRIu64,
			    i ? "," : "", c->r[i].lo, c->r[i].hi);
		cx_buf_adds(b, num);
	}
	cx_buf_addc(b, '\n');
}

static int
write_all(int fd, const uint8_t *p, size_t n)
{
	while (n > 0) {
		ssize_t w = write(fd, p, n);

		if (w == -1 && errno == EINTR)
			continue;
		if (w == -1)
			return -1;
		p += w;
		n -= (size_t)w;
	}
	return 0;
}

int
cx_xcursor_save(const struct cx_xcursor *c, const char *path, char *err,
    size_t errlen)
{
	struct cx_buf b;
	char *tmp;
	int fd, rc = -1;

	cx_buf_init(&b, 0);
	cx_xcursor_text(c, &b);
	/* Aside under a name of this process's: two exports of one cursor
	 * (a mistake) may lose each other's progress, never garble it. */
	tmp = xasprintf("%s.tmp.%ld", path, (long)getpid());
	if ((fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC,
	    0644)) == -1) {
		snprintf(err, errlen, "%s: %s", tmp, strerror(errno));
		goto out;
	}
	if (write_all(fd, cx_buf_head(&b), cx_buf_used(&b)) == -1 ||
	    fsync(fd) == -1) {
		snprintf(err, errlen, "%s: %s", tmp, strerror(errno));
		close(fd);
		unlink(tmp);
		goto out;
	}
	close(fd);
	if (rename(tmp, path) == -1) {
		snprintf(err, errlen, "%s: %s", path, strerror(errno));
		unlink(tmp);
		goto out;
	}
	rc = 0;
out:
	free(tmp);
	cx_buf_free(&b);
	return rc;
}
