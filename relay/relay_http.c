/* relay_http.c: HTTP/1.1 heads and body framing for the relay. */
#include <ctype.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "relay_http.h"

/* RFC 9110 tchar */
static int
is_tchar(uint8_t c)
{
	if (isalnum(c))
		return 1;
	return c != 0 && strchr("!#$%&'*+-.^_`|~", c) != NULL;
}

static const uint8_t *
find_head_end(const uint8_t *buf, size_t len)
{
	const uint8_t *p = memmem(buf, len, "\r\n\r\n", 4);

	return p ? p + 4 : NULL;
}

int
rh_header_is(const uint8_t *buf, const struct rh_header *hd, const char *name)
{
	return hd->name.len == strlen(name) &&
	    strncasecmp((const char *)buf + hd->name.off, name, hd->name.len) == 0;
}

/* Does the comma-separated value contain token (case-insensitive)? */
static int
value_has_token(const uint8_t *v, size_t len, const char *token)
{
	size_t tl = strlen(token), i = 0;

	while (i < len) {
		while (i < len && (v[i] == ' ' || v[i] == '\t' || v[i] == ','))
			i++;
		size_t s = i;
		while (i < len && v[i] != ',')
			i++;
		size_t e = i;
		while (e > s && (v[e - 1] == ' ' || v[e - 1] == '\t'))
			e--;
		if (e - s == tl && strncasecmp((const char *)v + s, token, tl) == 0)
			return 1;
	}
	return 0;
}

static int
bad(struct rh_head *h, const char *why)
{
	snprintf(h->why, sizeof(h->why), "%s", why);
	return RH_BAD;
}

/* Header lines from p to end (end points at the final CRLF CRLF + 4). */
static int
parse_headers(const uint8_t *buf, size_t p, size_t end, struct rh_head *h)
{
	int keep_alive = 0, te_seen = 0;

	h->content_length = -1;
	while (p < end - 2) {
		const uint8_t *eol = memmem(buf + p, end - p, "\r\n", 2);
		size_t e = (size_t)(eol - buf), n = p, v;

		if (buf[p] == ' ' || buf[p] == '\t')
			return bad(h, "obsolete line folding in headers");
		while (n < e && is_tchar(buf[n]))
			n++;
		if (n == p || n >= e || buf[n] != ':')
			return bad(h, "malformed header line");
		if (h->nheaders >= RH_MAX_HEADERS)
			return RH_TOO_LARGE;
		v = n + 1;
		while (v < e && (buf[v] == ' ' || buf[v] == '\t'))
			v++;
		size_t ve = e;
		while (ve > v && (buf[ve - 1] == ' ' || buf[ve - 1] == '\t'))
			ve--;
		for (size_t i = v; i < ve; i++)
			if (buf[i] == '\0' || buf[i] == '\r' || buf[i] == '\n')
				return bad(h, "control character in a header value");
		struct rh_header *hd = &h->headers[h->nheaders++];
		hd->name.off = (uint32_t)p;
		hd->name.len = (uint32_t)(n - p);
		hd->value.off = (uint32_t)v;
		hd->value.len = (uint32_t)(ve - v);
		if (rh_header_is(buf, hd, "content-length")) {
			int64_t cl = 0;
			if (ve == v)
				return bad(h, "empty Content-Length");
			for (size_t i = v; i < ve; i++) {
				if (!isdigit(buf[i]) || cl > (INT64_MAX - 9) / 10)
					return bad(h, "invalid Content-Length");
				cl = cl * 10 + (buf[i] - '0');
			}
			if (h->content_length >= 0 && h->content_length != cl)
				return bad(h, "conflicting Content-Length headers");
			h->content_length = cl;
		} else if (rh_header_is(buf, hd, "transfer-encoding")) {
			/* chunked must come last; anything else we cannot frame */
			size_t s = ve;
			while (s > v && buf[s - 1] != ',')
				s--;
			while (s < ve && (buf[s] == ' ' || buf[s] == '\t'))
				s++;
			if (ve - s == 7 && strncasecmp((const char *)buf + s,
			    "chunked", 7) == 0)
				h->chunked = 1;
			else
				h->chunked = -1;
			te_seen = 1;
		} else if (rh_header_is(buf, hd, "connection")) {
			if (value_has_token(buf + v, ve - v, "close"))
				h->conn_close = 1;
			if (value_has_token(buf + v, ve - v, "keep-alive"))
				keep_alive = 1;
		} else if (rh_header_is(buf, hd, "upgrade")) {
			h->upgrade = 1;
		}
		p = e + 2;
	}
	if (te_seen && h->content_length >= 0)
		return bad(h, "both Transfer-Encoding and Content-Length");
	if (h->minor == 0 && !keep_alive)
		h->conn_close = 1;
	return 0;
}

static int
parse_version(const uint8_t *p, size_t len, int *minor)
{
	if (len != 8 || memcmp(p, "HTTP/1.", 7) != 0 ||
	    (p[7] != '0' && p[7] != '1'))
		return -1;
	*minor = p[7] - '0';
	return 0;
}

int
rh_parse_request(const uint8_t *buf, size_t len, struct rh_head *h)
{
	const uint8_t *end, *eol;
	size_t p = 0, sp1, sp2, e;
	int rc;

	memset(h, 0, offsetof(struct rh_head, headers));
	/* Tolerate empty lines before a request (RFC 9112 2.2). */
	while (p + 1 < len && buf[p] == '\r' && buf[p + 1] == '\n')
		p += 2;
	if ((end = find_head_end(buf + p, len - p)) == NULL) {
		if (len > RH_MAX_HEAD)
			return RH_TOO_LARGE;
		/* A request line that is plainly not HTTP fails early. */
		for (size_t i = p; i < len && buf[i] != ' '; i++)
			if (!is_tchar(buf[i]) && buf[i] != '\r' && buf[i] != '\n')
				return bad(h, "malformed request line");
		return RH_MORE;
	}
	h->head_len = (size_t)(end - buf);
	if (h->head_len > RH_MAX_HEAD)
		return RH_TOO_LARGE;
	eol = memmem(buf + p, h->head_len - p, "\r\n", 2);
	e = (size_t)(eol - buf);
	for (sp1 = p; sp1 < e && is_tchar(buf[sp1]); sp1++)
		;
	if (sp1 == p || sp1 >= e || buf[sp1] != ' ')
		return bad(h, "malformed request line");
	for (sp2 = sp1 + 1; sp2 < e && buf[sp2] > ' ' && buf[sp2] < 0x7f; sp2++)
		;
	if (sp2 == sp1 + 1 || sp2 >= e || buf[sp2] != ' ')
		return bad(h, "malformed request target");
	if (parse_version(buf + sp2 + 1, e - sp2 - 1, &h->minor) == -1)
		return bad(h, "unsupported HTTP version (HTTP/1.0 or HTTP/1.1 only)");
	h->method.off = (uint32_t)p;
	h->method.len = (uint32_t)(sp1 - p);
	h->target.off = (uint32_t)(sp1 + 1);
	h->target.len = (uint32_t)(sp2 - sp1 - 1);
	if ((rc = parse_headers(buf, e + 2, h->head_len, h)) != 0)
		return rc;
	if (h->chunked < 0)
		return bad(h, "unsupported Transfer-Encoding");
	return (int)h->head_len;
}

int
rh_parse_response(const uint8_t *buf, size_t len, struct rh_head *h)
{
	const uint8_t *end, *eol;
	size_t e;
	int rc;

	memset(h, 0, offsetof(struct rh_head, headers));
	if ((end = find_head_end(buf, len)) == NULL)
		return len > RH_MAX_HEAD ? RH_TOO_LARGE : RH_MORE;
	h->head_len = (size_t)(end - buf);
	if (h->head_len > RH_MAX_HEAD)
		return RH_TOO_LARGE;
	eol = memmem(buf, h->head_len, "\r\n", 2);
	e = (size_t)(eol - buf);
	if (e < 12 || parse_version(buf, 8, &h->minor) == -1 || buf[8] != ' ' ||
	    !isdigit(buf[9]) || !isdigit(buf[10]) || !isdigit(buf[11]) ||
	    (e > 12 && buf[12] != ' '))
		return bad(h, "malformed status line");
	h->status = (buf[9] - '0') * 100 + (buf[10] - '0') * 10 + (buf[11] - '0');
	if ((rc = parse_headers(buf, e + 2, h->head_len, h)) != 0)
		return rc;
	return (int)h->head_len;
}

/* --- chunked framing ------------------------------------------------------- */

enum {
	CS_SIZE,        /* hex digits */
	CS_EXT,         /* extension, up to CR */
	CS_SIZE_LF,
	CS_DATA,
	CS_DATA_CR,
	CS_DATA_LF,
	CS_TRAILER,     /* start of a trailer line (or the final CRLF) */
	CS_TRAILER_LINE,
	CS_TRAILER_LF,
	CS_FINAL_LF,
};

#define RH_MAX_CHUNK_LINE       4096

void
rh_body_init(struct rh_body *b, enum rh_body_mode mode, uint64_t len)
{
	memset(b, 0, sizeof(*b));
	b->mode = mode;
	b->left = len;
	b->cstate = CS_SIZE;
	if (mode == RH_BODY_NONE || (mode == RH_BODY_LENGTH && len == 0))
		b->done = 1;
}

static int
hexval(uint8_t c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	c = (uint8_t)tolower(c);
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	return -1;
}

static size_t
chunked_feed(struct rh_body *b, const uint8_t *p, size_t len)
{
	size_t i = 0;

	while (i < len && !b->done && !b->bad) {
		uint8_t c = p[i];

		switch (b->cstate) {
		case CS_SIZE:
			if (hexval(c) >= 0) {
				if (b->left >> 60) {
					b->bad = 1;
					break;
				}
				b->left = b->left * 16 + (uint64_t)hexval(c);
				b->linelen++;
			} else if (b->linelen == 0) {
				b->bad = 1;
			} else if (c == '\r') {
				b->cstate = CS_SIZE_LF;
			} else if (c == ';' || c == ' ' || c == '\t') {
				b->cstate = CS_EXT;
			} else {
				b->bad = 1;
			}
			i++;
			break;
		case CS_EXT:
			if (c == '\r')
				b->cstate = CS_SIZE_LF;
			else if (++b->linelen > RH_MAX_CHUNK_LINE)
				b->bad = 1;
			i++;
			break;
		case CS_SIZE_LF:
			if (c != '\n') {
				b->bad = 1;
				break;
			}
			i++;
			b->linelen = 0;
			b->cstate = b->left ? CS_DATA : CS_TRAILER;
			break;
		case CS_DATA: {
			size_t n = len - i;
			if (n > b->left)
				n = (size_t)b->left;
			b->left -= n;
			i += n;
			if (b->left == 0)
				b->cstate = CS_DATA_CR;
			break;
		}
		case CS_DATA_CR:
			if (c != '\r')
				b->bad = 1;
			else
				b->cstate = CS_DATA_LF;
			i++;
			break;
		case CS_DATA_LF:
			if (c != '\n')
				b->bad = 1;
			else
				b->cstate = CS_SIZE;
			i++;
			break;
		case CS_TRAILER:
			if (c == '\r') {
				b->cstate = CS_FINAL_LF;
			} else {
				b->cstate = CS_TRAILER_LINE;
				b->linelen = 1;
			}
			i++;
			break;
		case CS_TRAILER_LINE:
			if (c == '\r')
				b->cstate = CS_TRAILER_LF;
			else if (++b->linelen > RH_MAX_CHUNK_LINE)
				b->bad = 1;
			i++;
			break;
		case CS_TRAILER_LF:
			if (c != '\n')
				b->bad = 1;
			b->cstate = CS_TRAILER;
			i++;
			break;
		case CS_FINAL_LF:
			if (c != '\n')
				b->bad = 1;
			else
				b->done = 1;
			i++;
			break;
		}
	}
	return i;
}

size_t
rh_body_feed(struct rh_body *b, const uint8_t *p, size_t len)
{
	size_t n;

	if (b->done)
		return 0;
	switch (b->mode) {
	case RH_BODY_NONE:
		b->done = 1;
		return 0;
	case RH_BODY_LENGTH:
		n = len < b->left ? len : (size_t)b->left;
		b->left -= n;
		if (b->left == 0)
			b->done = 1;
		return n;
	case RH_BODY_CHUNKED:
		return chunked_feed(b, p, len);
	case RH_BODY_CLOSE:
	case RH_BODY_TUNNEL:
		return len;
	}
	return 0;
}
