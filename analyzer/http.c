/*
 * http.c: incremental HTTP/1.1 parser (see http.h).
 *
 * The parser is a state machine over lines and counted byte runs, in the
 * manner of relayd's relay_read_http / _httpcontent / _httpchunks: a line
 * is collected (bounded) until its LF, then acted on; body bytes are
 * counted down and passed through.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "bytebuf.h"
#include "http.h"

enum state {
	S_IDLE,                 /* between messages */
	S_START,                /* reading the start line */
	S_FIELDS,               /* reading header fields */
	S_BODY,                 /* Content-Length body: left bytes to go */
	S_CLOSE,                /* body until the connection closes */
	S_CHUNK_SIZE,           /* reading a chunk-size line */
	S_CHUNK_DATA,           /* chunk data: left bytes to go */
	S_CHUNK_END,            /* the CRLF after chunk data */
	S_TRAILERS,             /* trailer fields after the last chunk */
	S_TUNNEL,               /* not HTTP any more: count */
	S_FAILED,               /* parse error: ignore */
};

struct cx_http {
	enum cx_http_kind        kind;
	struct cx_http_cb        cb;
	void                    *arg;
	enum state               st;
	struct cx_buf            line;          /* the line being collected */
	struct cx_buf            head;          /* NUL-separated strings */
	size_t                  *offs;          /* name, value offsets in head */
	size_t                   nfields;
	size_t                   afields;
	struct cx_http_field    *fv;
	size_t                   afv;
	int                      status;
	int                      version;
	int                      tunnel_after;  /* 101 / CONNECT 2xx */
	uint64_t                 left;
	uint64_t                 body_got;
	uint64_t                 tunnel_bytes;
	uint64_t                 ignored_bytes;
	char                     err[256];
};

static const char tchar[256] = {
	['!'] = 1, ['#'] = 1, ['$'] = 1, ['%'] = 1, ['&'] = 1, ['\''] = 1,
	['*'] = 1, ['+'] = 1, ['-'] = 1, ['.'] = 1, ['^'] = 1, ['_'] = 1,
	['`'] = 1, ['|'] = 1, ['~'] = 1,
	['0'] = 1, ['1'] = 1, ['2'] = 1, ['3'] = 1, ['4'] = 1, ['5'] = 1,
	['6'] = 1, ['7'] = 1, ['8'] = 1, ['9'] = 1,
	['A'] = 1, ['B'] = 1, ['C'] = 1, ['D'] = 1, ['E'] = 1, ['F'] = 1,
	['G'] = 1, ['H'] = 1, ['I'] = 1, ['J'] = 1, ['K'] = 1, ['L'] = 1,
	['M'] = 1, ['N'] = 1, ['O'] = 1, ['P'] = 1, ['Q'] = 1, ['R'] = 1,
	['S'] = 1, ['T'] = 1, ['U'] = 1, ['V'] = 1, ['W'] = 1, ['X'] = 1,
	['Y'] = 1, ['Z'] = 1,
	['a'] = 1, ['b'] = 1, ['c'] = 1, ['d'] = 1, ['e'] = 1, ['f'] = 1,
	['g'] = 1, ['h'] = 1, ['i'] = 1, ['j'] = 1, ['k'] = 1, ['l'] = 1,
	['m'] = 1, ['n'] = 1, ['o'] = 1, ['p'] = 1, ['q'] = 1, ['r'] = 1,
	['s'] = 1, ['t'] = 1, ['u'] = 1, ['v'] = 1, ['w'] = 1, ['x'] = 1,
	['y'] = 1, ['z'] = 1,
};

struct cx_http *
cx_http_new(enum cx_http_kind kind, const struct cx_http_cb *cb, void *arg)
{
	struct cx_http *h = xcalloc(1, sizeof(*h));

	h->kind = kind;
	if (cb != NULL)
		h->cb = *cb;
	h->arg = arg;
	h->st = S_IDLE;
	cx_buf_init(&h->line, 0);
	cx_buf_init(&h->head, CX_HTTP_MAX_HEAD);
	return h;
}

void
cx_http_free(struct cx_http *h)
{
	if (h == NULL)
		return;
	cx_buf_free(&h->line);
	cx_buf_free(&h->head);
	free(h->offs);
	free(h->fv);
	free(h);
}

static int
fail(struct cx_http *h, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

static int
fail(struct cx_http *h, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(h->err, sizeof(h->err), fmt, ap);
	va_end(ap);
	h->st = S_FAILED;
	return -1;
}

static const char *
what(const struct cx_http *h)
{
	return h->kind == CX_HTTP_REQUEST ? "request" : "response";
}

/* Start collecting a new message: forget the previous one's head. */
static void
reset_message(struct cx_http *h)
{
	cx_buf_reset(&h->line);
	cx_buf_reset(&h->head);
	h->nfields = 0;
	h->status = 0;
	h->version = 0;
	h->tunnel_after = 0;
	h->left = 0;
	h->body_got = 0;
}

/* Append a NUL-terminated string to the head; its offset in *off. */
static int
head_add(struct cx_http *h, const char *s, size_t n, size_t *off)
{
	*off = h->head.len;
	if (cx_buf_add(&h->head, s, n) == -1 || cx_buf_addc(&h->head, 0) == -1)
		return fail(h, "%s header block longer than %d bytes", what(h),
		    CX_HTTP_MAX_HEAD);
	return 0;
}

static int
is_ows(int c)
{
	return c == ' ' || c == '\t';
}

/*
 * Collect bytes up to and including an LF into h->line.  Returns 1 with
 * the line (CR LF or LF removed) in h->line, 0 if all input went into the
 * line and more is needed, -1 if the line grew past max.
 */
static int
take_line(struct cx_http *h, const uint8_t **pp, size_t *np, size_t max)
{
	const uint8_t *p = *pp, *lf = memchr(p, '\n', *np);
	size_t n = lf != NULL ? (size_t)(lf - p) + 1 : *np;

	if (h->line.len + n > max + 2)
		return -1;
	cx_buf_add(&h->line, p, n);
	*pp += n;
	*np -= n;
	if (lf == NULL)
		return 0;
	h->line.len--;                          /* the LF */
	if (h->line.len > 0 && h->line.p[h->line.len - 1] == '\r')
		h->line.len--;
	if (h->line.len > max)
		return -1;
	h->line.p[h->line.len] = '\0';
	return 1;
}

static int
parse_version(const char *s, int *version)
{
	if (strncmp(s, "HTTP/", 5) != 0 || s[5] < '0' || s[5] > '9' ||
	    s[6] != '.' || s[7] < '0' || s[7] > '9')
		return -1;
	*version = (s[5] - '0') * 10 + (s[7] - '0');
	return 0;
}

static int
request_line(struct cx_http *h, const char *s, size_t len)
{
	const char *sp1, *sp2;
	size_t off, i;

	for (i = 0; i < len && tchar[(uint8_t)s[i]]; i++)
		;
	if (i == 0 || i == len || s[i] != ' ')
		return fail(h, "not an HTTP request line: \"%.40s\"", s);
	sp1 = s + i;
	for (i++; i < len && (uint8_t)s[i] > 0x20 && s[i] != 0x7f; i++)
		;
	if (i == (size_t)(sp1 - s) + 1 || i == len || s[i] != ' ')
		return fail(h, "bad request target in \"%.40s\"", s);
	sp2 = s + i;
	if (parse_version(sp2 + 1, &h->version) == -1 ||
	    (size_t)(sp2 + 9 - s) != len)
		return fail(h, "bad HTTP version in \"%.60s\"", s);
	if (h->version / 10 != 1)
		return fail(h, "HTTP/%d.%d is not supported (only HTTP/1.x)",
		    h->version / 10, h->version % 10);
	if (head_add(h, s, (size_t)(sp1 - s), &off) == -1 ||
	    head_add(h, sp1 + 1, (size_t)(sp2 - sp1 - 1), &off) == -1)
		return -1;
	return 0;
}

static int
status_line(struct cx_http *h, const char *s, size_t len)
{
	size_t off;

	if (len < 12 || parse_version(s, &h->version) == -1 || s[8] != ' ' ||
	    s[9] < '1' || s[9] > '9' || s[10] < '0' || s[10] > '9' ||
	    s[11] < '0' || s[11] > '9' || (len > 12 && s[12] != ' '))
		return fail(h, "not an HTTP status line: \"%.40s\"", s);
	if (h->version / 10 != 1)
		return fail(h, "HTTP/%d.%d is not supported (only HTTP/1.x)",
		    h->version / 10, h->version % 10);
	h->status = (s[9] - '0') * 100 + (s[10] - '0') * 10 + (s[11] - '0');
	return head_add(h, len > 12 ? s + 13 : "", len > 12 ? len - 13 : 0,
	    &off);
}

/* A header or trailer field line (not empty). */
static int
field_line(struct cx_http *h, char *s, size_t len)
{
	size_t i, off, voff, vlen;
	char *v;

	if (memchr(s, '\0', len) != NULL)
		return fail(h, "NUL byte in a %s header field", what(h));
	for (i = 0; i < len; i++)               /* bare CR: as a space */
		if (s[i] == '\r')
			s[i] = ' ';
	if (is_ows(s[0])) {
		/* obs-fold: continues the previous field's value. */
		if (h->nfields == 0)
			return fail(h, "%s header block starts with whitespace",
			    what(h));
		while (len > 0 && is_ows(s[len - 1]))
			len--;
		for (i = 0; i < len && is_ows(s[i]); i++)
			;
		if (i == len)
			return 0;
		h->head.len--;                  /* the value's NUL */
		if (cx_buf_addc(&h->head, ' ') == -1 ||
		    head_add(h, s + i, len - i, &off) == -1)
			return fail(h, "%s header block longer than %d bytes",
			    what(h), CX_HTTP_MAX_HEAD);
		return 0;
	}
	for (i = 0; i < len && tchar[(uint8_t)s[i]]; i++)
		;
	if (i == 0 || i == len || s[i] != ':')
		return fail(h, "bad %s header field \"%.40s\"", what(h), s);
	if (h->nfields >= CX_HTTP_MAX_FIELDS)
		return fail(h, "more than %d %s header fields",
		    CX_HTTP_MAX_FIELDS, what(h));
	v = s + i + 1;
	vlen = len - i - 1;
	while (vlen > 0 && is_ows(*v)) {
		v++;
		vlen--;
	}
	while (vlen > 0 && is_ows(v[vlen - 1]))
		vlen--;
	if (head_add(h, s, i, &off) == -1 || head_add(h, v, vlen, &voff) == -1)
		return -1;
	if (h->nfields == h->afields) {
		h->afields = h->afields ? h->afields * 2 : 32;
		h->offs = xreallocarray(h->offs, h->afields, 2 * sizeof(size_t));
	}
	h->offs[2 * h->nfields] = off;
	h->offs[2 * h->nfields + 1] = voff;
	h->nfields++;
	return 0;
}

/* Resolve the field offsets into pointers (the head no longer grows). */
static void
make_fields(struct cx_http *h)
{
	if (h->nfields > h->afv) {
		h->afv = h->nfields;
		h->fv = xreallocarray(h->fv, h->afv, sizeof(*h->fv));
	}
	for (size_t i = 0; i < h->nfields; i++) {
		h->fv[i].name = (const char *)h->head.p + h->offs[2 * i];
		h->fv[i].value = (const char *)h->head.p + h->offs[2 * i + 1];
	}
}

/* Does the comma-separated list end with token tok? */
static int
last_token_is(const char *list, const char *tok)
{
	const char *end = list + strlen(list), *p;
	size_t n = strlen(tok);

	while (end > list && (is_ows(end[-1]) || end[-1] == ','))
		end--;
	for (p = end; p > list && p[-1] != ',' && !is_ows(p[-1]); p--)
		;
	return (size_t)(end - p) == n && strncasecmp(p, tok, n) == 0;
}

/* Content-Length: every value (fields and list items) must agree. */
static int
content_length(struct cx_http *h, uint64_t *len, int *have)
{
	*have = 0;
	for (size_t i = 0; i < h->nfields; i++) {
		const char *p = h->fv[i].value;

		if (strcasecmp(h->fv[i].name, "content-length") != 0)
			continue;
		for (;;) {
			uint64_t v = 0;
			int digits = 0;

			while (is_ows(*p))
				p++;
			for (; *p >= '0' && *p <= '9'; p++, digits++) {
				if (v > (UINT64_C(1) << 62) / 10)
					return fail(h, "%s Content-Length too "
					    "large", what(h));
				v = v * 10 + (uint64_t)(*p - '0');
			}
			while (is_ows(*p))
				p++;
			if (digits == 0 || (*p != ',' && *p != '\0'))
				return fail(h, "bad %s Content-Length \"%.40s\"",
				    what(h), h->fv[i].value);
			if (*have && v != *len)
				return fail(h, "conflicting %s Content-Length "
				    "values", what(h));
			*len = v;
			*have = 1;
			if (*p == '\0')
				break;
			p++;
		}
	}
	return 0;
}

static int
end_message(struct cx_http *h)
{
	int tunnel = h->tunnel_after;

	h->st = tunnel ? S_TUNNEL : S_IDLE;
	if (h->cb.end != NULL && h->cb.end(h->arg) == -1)
		return fail(h, "stopped by the caller");
	if (h->st == S_IDLE || h->st == S_TUNNEL)
		reset_message(h);
	return 0;
}

/* The blank line after the fields: call head, decide how the body ends. */
static int
end_head(struct cx_http *h)
{
	struct cx_http_head hd;
	const char *s = (const char *)h->head.p;
	uint64_t len = 0;
	int mode = CX_HTTP_BODY_AUTO, have_len, have_te = 0, chunked = 0;

	make_fields(h);
	memset(&hd, 0, sizeof(hd));
	hd.version = h->version;
	hd.fields = h->fv;
	hd.nfields = h->nfields;
	if (h->kind == CX_HTTP_REQUEST) {
		hd.method = s;
		hd.target = s + strlen(s) + 1;
	} else {
		hd.status = h->status;
		hd.reason = s;
	}
	for (size_t i = 0; i < h->nfields; i++) {
		if (strcasecmp(h->fv[i].name, "transfer-encoding") != 0)
			continue;
		have_te = 1;
		chunked = last_token_is(h->fv[i].value, "chunked");
	}
	if (h->cb.head != NULL && (mode = h->cb.head(h->arg, &hd)) == -1)
		return fail(h, "stopped by the caller");
	if (h->kind == CX_HTTP_RESPONSE) {
		if (h->status == 101)
			mode = CX_HTTP_BODY_TUNNEL;
		else if (h->status < 200 || h->status == 204 ||
		    h->status == 304)
			mode = CX_HTTP_BODY_NONE;
	}
	cx_buf_reset(&h->line);
	h->body_got = 0;
	if (mode == CX_HTTP_BODY_TUNNEL) {
		h->tunnel_after = 1;
		return end_message(h);
	}
	if (mode == CX_HTTP_BODY_NONE)
		return end_message(h);
	if (have_te) {
		if (chunked) {
			h->st = S_CHUNK_SIZE;
			return 0;
		}
		if (h->kind == CX_HTTP_REQUEST)
			return fail(h, "request Transfer-Encoding does not end "
			    "with chunked");
		h->st = S_CLOSE;
		return 0;
	}
	if (content_length(h, &len, &have_len) == -1)
		return -1;
	if (have_len) {
		if (len == 0)
			return end_message(h);
		h->left = len;
		h->st = S_BODY;
		return 0;
	}
	if (h->kind == CX_HTTP_REQUEST)
		return end_message(h);
	h->st = S_CLOSE;
	return 0;
}

static int
chunk_size_line(struct cx_http *h)
{
	const char *s = (const char *)h->line.p;
	uint64_t v = 0;
	size_t i;

	for (i = 0; ; i++) {
		int c = s[i], d;

		if (c >= '0' && c <= '9')
			d = c - '0';
		else if (c >= 'a' && c <= 'f')
			d = c - 'a' + 10;
		else if (c >= 'A' && c <= 'F')
			d = c - 'A' + 10;
		else
			break;
		if (i >= 15)
			return fail(h, "chunk size too large");
		v = v * 16 + (uint64_t)d;
	}
	if (i == 0)
		return fail(h, "bad chunk size line \"%.40s\"", s);
	while (is_ows(s[i]))
		i++;
	if (s[i] != '\0' && s[i] != ';')
		return fail(h, "bad chunk size line \"%.40s\"", s);
	cx_buf_reset(&h->line);
	if (v == 0) {
		/* Trailers reuse the head's storage. */
		cx_buf_reset(&h->head);
		h->nfields = 0;
		h->st = S_TRAILERS;
	} else {
		h->left = v;
		h->st = S_CHUNK_DATA;
	}
	return 0;
}

static int
end_trailers(struct cx_http *h)
{
	make_fields(h);
	if (h->nfields > 0 && h->cb.trailers != NULL &&
	    h->cb.trailers(h->arg, h->fv, h->nfields) == -1)
		return fail(h, "stopped by the caller");
	return end_message(h);
}

/* A line-oriented state: collect a line, act on it. */
static int
line_state(struct cx_http *h, const uint8_t **p, size_t *n)
{
	size_t max;
	int r;

	if (h->st == S_CHUNK_SIZE || h->st == S_CHUNK_END)
		max = CX_HTTP_MAX_CHUNK_LINE;
	else
		max = CX_HTTP_MAX_HEAD - h->head.len;
	if ((r = take_line(h, p, n, max)) == 0)
		return 0;
	if (r == -1) {
		if (h->st == S_CHUNK_SIZE || h->st == S_CHUNK_END)
			return fail(h, "chunk line longer than %d bytes",
			    CX_HTTP_MAX_CHUNK_LINE);
		return fail(h, "%s header block longer than %d bytes", what(h),
		    CX_HTTP_MAX_HEAD);
	}
	switch (h->st) {
	case S_START:
		r = h->kind == CX_HTTP_REQUEST ?
		    request_line(h, (char *)h->line.p, h->line.len) :
		    status_line(h, (char *)h->line.p, h->line.len);
		if (r == 0)
			h->st = S_FIELDS;
		break;
	case S_FIELDS:
	case S_TRAILERS:
		if (h->line.len == 0) {
			r = h->st == S_FIELDS ? end_head(h) : end_trailers(h);
			break;
		}
		r = field_line(h, (char *)h->line.p, h->line.len);
		break;
	case S_CHUNK_SIZE:
		r = chunk_size_line(h);
		break;
	case S_CHUNK_END:
		if (h->line.len != 0)
			return fail(h, "chunk data longer than its size");
		h->st = S_CHUNK_SIZE;
		r = 0;
		break;
	default:
		r = fail(h, "internal error: line in state %d", h->st);
		break;
	}
	cx_buf_reset(&h->line);
	return r;
}

static int
body_bytes(struct cx_http *h, const uint8_t *p, size_t n)
{
	h->body_got += n;
	if (h->cb.body != NULL && h->cb.body(h->arg, p, n) == -1)
		return fail(h, "stopped by the caller");
	return 0;
}

int
cx_http_feed(struct cx_http *h, const uint8_t *p, size_t n)
{
	size_t k;

	while (n > 0) {
		switch (h->st) {
		case S_IDLE:
			if (*p == '\r' || *p == '\n') {
				p++;
				n--;
				break;
			}
			reset_message(h);
			h->st = S_START;
			if (h->cb.begin != NULL && h->cb.begin(h->arg) == -1)
				return fail(h, "stopped by the caller");
			break;
		case S_START:
		case S_FIELDS:
		case S_CHUNK_SIZE:
		case S_CHUNK_END:
		case S_TRAILERS:
			if (line_state(h, &p, &n) == -1)
				goto failed;
			break;
		case S_BODY:
		case S_CHUNK_DATA:
			k = n < h->left ? n : (size_t)h->left;
			h->left -= k;
			if (body_bytes(h, p, k) == -1)
				goto failed;
			p += k;
			n -= k;
			if (h->left == 0) {
				if (h->st == S_CHUNK_DATA)
					h->st = S_CHUNK_END;
				else if (end_message(h) == -1)
					goto failed;
			}
			break;
		case S_CLOSE:
			if (body_bytes(h, p, n) == -1)
				goto failed;
			n = 0;
			break;
		case S_TUNNEL:
			h->tunnel_bytes += n;
			if (h->cb.tunnel != NULL && h->cb.tunnel(h->arg, p, n) ==
			    -1)
				return fail(h, "stopped by the caller");
			n = 0;
			break;
		case S_FAILED:
			goto failed;
		}
	}
	return 0;
failed:
	h->ignored_bytes += n;
	return -1;
}

int
cx_http_eof(struct cx_http *h)
{
	switch (h->st) {
	case S_IDLE:
	case S_TUNNEL:
	case S_FAILED:
		return 0;
	case S_CLOSE:
		return end_message(h);
	case S_START:
	case S_FIELDS:
		return fail(h, "the stream ended in the %s header block",
		    what(h));
	case S_BODY:
		return fail(h, "the stream ended after %llu of %llu %s body "
		    "bytes", (unsigned long long)h->body_got,
		    (unsigned long long)(h->body_got + h->left), what(h));
	case S_CHUNK_SIZE:
	case S_CHUNK_DATA:
	case S_CHUNK_END:
		return fail(h, "the stream ended in the chunked %s body "
		    "(after %llu bytes)", what(h),
		    (unsigned long long)h->body_got);
	case S_TRAILERS:
		return fail(h, "the stream ended in the %s trailers", what(h));
	}
	return 0;
}

void
cx_http_tunnel(struct cx_http *h)
{
	if (h->st != S_FAILED)
		h->st = S_TUNNEL;
}

int
cx_http_in_message(const struct cx_http *h)
{
	return h->st != S_IDLE && h->st != S_TUNNEL && h->st != S_FAILED;
}

int
cx_http_failed(const struct cx_http *h)
{
	return h->st == S_FAILED;
}

uint64_t
cx_http_tunnel_bytes(const struct cx_http *h)
{
	return h->tunnel_bytes;
}

uint64_t
cx_http_ignored_bytes(const struct cx_http *h)
{
	return h->ignored_bytes;
}

const char *
cx_http_error(const struct cx_http *h)
{
	return h->err;
}
