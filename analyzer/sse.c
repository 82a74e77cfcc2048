/* sse.c: incremental text/event-stream parser (see sse.h). */
#include <stdlib.h>
#include <string.h>

#include "bytebuf.h"
#include "scan.h"
#include "sse.h"

struct cx_sse {
	cx_sse_event_fn  fn;
	void            *arg;
	size_t           max;
	int              started;       /* past the optional BOM */
	uint8_t          bom[3];
	size_t           nbom;
	int              skip_lf;       /* the last line ended with CR */
	int              failed;
	struct cx_buf    line;          /* the line being collected */
	int              line_cut;      /* ... was longer than max */
	struct cx_buf    data;
	struct cx_buf    type;
	struct cx_buf    id;
	int              has_data;
	int              has_id;
	int              truncated;
	uint64_t         events;
	uint64_t         comments;
};

struct cx_sse *
cx_sse_new(size_t max, cx_sse_event_fn fn, void *arg)
{
	struct cx_sse *s = xcalloc(1, sizeof(*s));

	s->fn = fn;
	s->arg = arg;
	s->max = max ? max : CX_SSE_DEFAULT_MAX;
	cx_buf_init(&s->line, s->max);
	cx_buf_init(&s->data, s->max);
	cx_buf_init(&s->type, 1024);
	cx_buf_init(&s->id, 1024);
	return s;
}

void
cx_sse_free(struct cx_sse *s)
{
	if (s == NULL)
		return;
	cx_buf_free(&s->line);
	cx_buf_free(&s->data);
	cx_buf_free(&s->type);
	cx_buf_free(&s->id);
	free(s);
}

static void
clear_event(struct cx_sse *s)
{
	cx_buf_reset(&s->data);
	cx_buf_reset(&s->type);
	cx_buf_reset(&s->id);
	s->has_data = s->has_id = s->truncated = 0;
}

static int
dispatch(struct cx_sse *s, int partial)
{
	struct cx_sse_event ev;
	int rc = 0;

	if (s->has_data) {
		memset(&ev, 0, sizeof(ev));
		/* Empty appends make sure every p is allocated. */
		cx_buf_add(&s->type, "", 0);
		cx_buf_add(&s->data, "", 0);
		cx_buf_add(&s->id, "", 0);
		ev.event = s->type.len ? (const char *)s->type.p : "message";
		ev.id = s->has_id ? (const char *)s->id.p : NULL;
		ev.data = (const char *)s->data.p;
		ev.data_len = s->data.len;
		ev.partial = partial;
		ev.truncated = s->truncated || s->data.cut;
		s->events++;
		if (s->fn != NULL && s->fn(s->arg, &ev) == -1)
			rc = -1;
	}
	clear_event(s);
	return rc;
}

/* One complete line (without its end). */
static int
line(struct cx_sse *s)
{
	const char *l = (const char *)s->line.p, *colon, *v;
	size_t len = s->line.len, flen, vlen;

	if (len == 0)
		return dispatch(s, 0);
	if (l[0] == ':') {
		s->comments++;
		return 0;
	}
	if ((colon = memchr(l, ':', len)) != NULL) {
		flen = (size_t)(colon - l);
		v = colon + 1;
		vlen = len - flen - 1;
		if (vlen > 0 && *v == ' ') {
			v++;
			vlen--;
		}
	} else {
		flen = len;
		v = "";
		vlen = 0;
	}
	if (flen == 4 && memcmp(l, "data", 4) == 0) {
		if (s->has_data)
			cx_buf_addc(&s->data, '\n');
		cx_buf_add(&s->data, v, vlen);
		if (s->line_cut)
			s->truncated = 1;
		s->has_data = 1;
	} else if (flen == 5 && memcmp(l, "event", 5) == 0) {
		cx_buf_reset(&s->type);
		cx_buf_add(&s->type, v, vlen);
	} else if (flen == 2 && memcmp(l, "id", 2) == 0) {
		if (memchr(v, '\0', vlen) == NULL) {
			cx_buf_reset(&s->id);
			cx_buf_add(&s->id, v, vlen);
			s->has_id = 1;
		}
	}
	/* retry and unknown fields: ignored */
	return 0;
}

static int
end_line(struct cx_sse *s)
{
	int rc = line(s);

	cx_buf_reset(&s->line);
	s->line_cut = 0;
	return rc;
}

int
cx_sse_feed(struct cx_sse *s, const uint8_t *p, size_t n)
{
	static const uint8_t bom[3] = { 0xef, 0xbb, 0xbf };

	if (s->failed)
		return -1;
	while (!s->started && n > 0) {
		/* Hold back what may be a BOM until we know. */
		s->bom[s->nbom++] = *p++;
		n--;
		if (memcmp(s->bom, bom, s->nbom) != 0) {
			size_t held = s->nbom;

			s->started = 1;
			s->nbom = 0;
			if (cx_sse_feed(s, s->bom, held) == -1)
				return -1;
		} else if (s->nbom == 3) {
			s->started = 1;
			s->nbom = 0;
		}
	}
	while (n > 0) {
		size_t k;

		if (s->skip_lf) {
			s->skip_lf = 0;
			if (*p == '\n') {
				p++;
				n--;
				continue;
			}
		}
		k = cx_scan(p, 0, n, CX_SC_EOL);
		if (cx_buf_add(&s->line, p, k) == -1)
			s->line_cut = 1;
		p += k;
		n -= k;
		if (n == 0)
			break;
		s->skip_lf = *p == '\r';
		p++;
		n--;
		if (end_line(s) == -1) {
			s->failed = 1;
			return -1;
		}
	}
	return 0;
}

int
cx_sse_finish(struct cx_sse *s)
{
	int rc = 0;

	if (s->failed)
		return -1;
	if (!s->started && s->nbom > 0) {
		/* A stream shorter than a BOM. */
		size_t held = s->nbom;

		s->started = 1;
		s->nbom = 0;
		if (cx_sse_feed(s, s->bom, held) == -1)
			return -1;
	}
	if (s->line.len > 0 || s->line_cut)
		rc = line(s);
	cx_buf_reset(&s->line);
	s->line_cut = 0;
	if (rc == 0)
		rc = dispatch(s, 1);
	s->skip_lf = 0;
	return rc;
}

uint64_t
cx_sse_events(const struct cx_sse *s)
{
	return s->events;
}

uint64_t
cx_sse_comments(const struct cx_sse *s)
{
	return s->comments;
}
