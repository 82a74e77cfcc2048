/* json.c: JSON writing and re-writing (see json.h). */
#include <string.h>

#include "bytebuf.h"
#include "json.h"
#include "redact.h"

size_t
cx_utf8_seq(const uint8_t *p, size_t n)
{
	uint8_t c = p[0];
	uint32_t cp;
	size_t len;

	if (c < 0x80)
		return 1;
	if (c >= 0xc2 && c <= 0xdf)
		len = 2, cp = c & 0x1f;
	else if (c >= 0xe0 && c <= 0xef)
		len = 3, cp = c & 0x0f;
	else if (c >= 0xf0 && c <= 0xf4)
		len = 4, cp = c & 0x07;
	else
		return 0;
	if (n < len)
		return 0;
	for (size_t i = 1; i < len; i++) {
		if ((p[i] & 0xc0) != 0x80)
			return 0;
		cp = cp << 6 | (p[i] & 0x3f);
	}
	if ((len == 3 && cp < 0x800) || (len == 4 && cp < 0x10000) ||
	    cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff))
		return 0;
	return len;
}

int
cx_utf8_valid(const uint8_t *p, size_t n)
{
	size_t i = 0, k;

	while (i < n) {
		if (p[i] < 0x80) {
			i++;
			continue;
		}
		if ((k = cx_utf8_seq(p + i, n - i)) == 0)
			return 0;
		i += k;
	}
	return 1;
}

void
cx_json_str(FILE *f, const char *s, size_t n)
{
	const uint8_t *p = (const uint8_t *)s;
	size_t i = 0, from = 0, k;

	putc('"', f);
	while (i < n) {
		uint8_t c = p[i];

		if (c >= 0x20 && c != '"' && c != '\\' && c < 0x80) {
			i++;
			continue;
		}
		if (c >= 0x80 && (k = cx_utf8_seq(p + i, n - i)) > 0) {
			i += k;
			continue;
		}
		fwrite(p + from, 1, i - from, f);
		switch (c) {
		case '"':	fputs("\\\"", f); break;
		case '\\':	fputs("\\\\", f); break;
		case '\n':	fputs("\\n", f); break;
		case '\r':	fputs("\\r", f); break;
		case '\t':	fputs("\\t", f); break;
		case '\b':	fputs("\\b", f); break;
		case '\f':	fputs("\\f", f); break;
		default:
			if (c < 0x20)
				fprintf(f, "\\u%04x", c);
			else {
				/* Not UTF-8: the Latin-1 character. */
				putc(0xc0 | c >> 6, f);
				putc(0x80 | (c & 0x3f), f);
			}
			break;
		}
		i++;
		from = i;
	}
	fwrite(p + from, 1, n - from, f);
	putc('"', f);
}

void
cx_json_cstr(FILE *f, const char *s)
{
	if (s == NULL)
		fputs("null", f);
	else
		cx_json_str(f, s, strlen(s));
}

void
cx_base64(FILE *f, const uint8_t *p, size_t n)
{
	static const char tab[] =
	    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
	char out[4 * 1024];
	size_t o = 0, i;

	for (i = 0; i + 3 <= n; i += 3) {
		uint32_t v = (uint32_t)p[i] << 16 | (uint32_t)p[i + 1] << 8 |
		    p[i + 2];

		out[o++] = tab[v >> 18];
		out[o++] = tab[(v >> 12) & 63];
		out[o++] = tab[(v >> 6) & 63];
		out[o++] = tab[v & 63];
		if (o == sizeof(out)) {
			fwrite(out, 1, o, f);
			o = 0;
		}
	}
	if (n - i == 1) {
		uint32_t v = (uint32_t)p[i] << 16;

		out[o++] = tab[v >> 18];
		out[o++] = tab[(v >> 12) & 63];
		out[o++] = '=';
		out[o++] = '=';
	} else if (n - i == 2) {
		uint32_t v = (uint32_t)p[i] << 16 | (uint32_t)p[i + 1] << 8;

		out[o++] = tab[v >> 18];
		out[o++] = tab[(v >> 12) & 63];
		out[o++] = tab[(v >> 6) & 63];
		out[o++] = '=';
	}
	fwrite(out, 1, o, f);
}

void
cx_json_base64(FILE *f, const uint8_t *p, size_t n)
{
	putc('"', f);
	cx_base64(f, p, n);
	putc('"', f);
}

/* --- the re-writer --------------------------------------------------- */

struct jctx {
	const char      *p;
	size_t           n;
	size_t           i;
	FILE            *f;             /* NULL: check only */
	int              flags;
	const char      *indent;
	int              depth;
	long             redacted;
	int              lone;          /* the last string had a lone surrogate */
	struct cx_buf    tmp;           /* a decoded string */
	struct cx_buf    red;           /* ... redacted */
};

static void
ws(struct jctx *c)
{
	while (c->i < c->n && (c->p[c->i] == ' ' || c->p[c->i] == '\t' ||
	    c->p[c->i] == '\n' || c->p[c->i] == '\r'))
		c->i++;
}

static void
out(struct jctx *c, const char *s, size_t n)
{
	if (c->f != NULL)
		fwrite(s, 1, n, c->f);
}

static void
newline(struct jctx *c)
{
	if (c->f == NULL || !(c->flags & CX_JSON_PRETTY))
		return;
	putc('\n', c->f);
	if (c->indent != NULL)
		fputs(c->indent, c->f);
	for (int d = 0; d < c->depth; d++)
		fputs("  ", c->f);
}

static int
hex4(const char *p, uint32_t *v)
{
	*v = 0;
	for (int i = 0; i < 4; i++) {
		int c = p[i], d;

		if (c >= '0' && c <= '9')
			d = c - '0';
		else if (c >= 'a' && c <= 'f')
			d = c - 'a' + 10;
		else if (c >= 'A' && c <= 'F')
			d = c - 'A' + 10;
		else
			return -1;
		*v = *v << 4 | (uint32_t)d;
	}
	return 0;
}

static void
put_utf8(struct cx_buf *b, uint32_t cp)
{
	uint8_t u[4];
	size_t n;

	if (cp < 0x80) {
		u[0] = (uint8_t)cp;
		n = 1;
	} else if (cp < 0x800) {
		u[0] = (uint8_t)(0xc0 | cp >> 6);
		u[1] = (uint8_t)(0x80 | (cp & 0x3f));
		n = 2;
	} else if (cp < 0x10000) {
		u[0] = (uint8_t)(0xe0 | cp >> 12);
		u[1] = (uint8_t)(0x80 | ((cp >> 6) & 0x3f));
		u[2] = (uint8_t)(0x80 | (cp & 0x3f));
		n = 3;
	} else {
		u[0] = (uint8_t)(0xf0 | cp >> 18);
		u[1] = (uint8_t)(0x80 | ((cp >> 12) & 0x3f));
		u[2] = (uint8_t)(0x80 | ((cp >> 6) & 0x3f));
		u[3] = (uint8_t)(0x80 | (cp & 0x3f));
		n = 4;
	}
	cx_buf_add(b, u, n);
}

/* Bytes a JSON string holds as they are: not '"', '\\' or a control. */
#define P16 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1
#define Z16 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0
static const uint8_t plain_byte[256] = {
	Z16, Z16,                                       /* 0x00-0x1f */
	1, 1, 0, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, /* 0x20: '"' */
	P16, P16,
	1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 0, 1, 1, 1,      /* 0x50: 0x5c '\\' */
	P16, P16,
	P16, P16, P16, P16, P16, P16, P16, P16,         /* 0x80-0xff */
};
#undef P16
#undef Z16

/*
 * A string token at c->i (the opening quote).  On success c->i is past the
 * closing quote and [*start, c->i) is the raw token.  With decode set, the
 * content is decoded into c->tmp (lone surrogates become U+FFFD).
 */
static int
string(struct jctx *c, size_t *start, int decode)
{
	size_t i = c->i + 1;

	*start = c->i;
	c->lone = 0;
	if (decode)
		cx_buf_reset(&c->tmp);
	for (;;) {
		size_t from = i;
		uint32_t cp, lo;

		while (i < c->n && plain_byte[(uint8_t)c->p[i]])
			i++;
		if (decode)
			cx_buf_add(&c->tmp, c->p + from, i - from);
		if (i >= c->n || (uint8_t)c->p[i] < 0x20)
			return -1;
		if (c->p[i] == '"')
			break;
		/* an escape */
		if (i + 1 >= c->n)
			return -1;
		switch (c->p[i + 1]) {
		case '"': case '\\': case '/':
			cp = (uint8_t)c->p[i + 1];
			i += 2;
			break;
		case 'b': cp = '\b'; i += 2; break;
		case 'f': cp = '\f'; i += 2; break;
		case 'n': cp = '\n'; i += 2; break;
		case 'r': cp = '\r'; i += 2; break;
		case 't': cp = '\t'; i += 2; break;
		case 'u':
			if (c->n - i < 6 || hex4(c->p + i + 2, &cp) == -1)
				return -1;
			i += 6;
			if (cp >= 0xd800 && cp <= 0xdbff && c->n - i >= 6 &&
			    c->p[i] == '\\' && c->p[i + 1] == 'u' &&
			    hex4(c->p + i + 2, &lo) == 0 && lo >= 0xdc00 &&
			    lo <= 0xdfff) {
				cp = 0x10000 + ((cp - 0xd800) << 10) +
				    (lo - 0xdc00);
				i += 6;
			} else if (cp >= 0xd800 && cp <= 0xdfff) {
				cp = 0xfffd;
				c->lone = 1;
			}
			break;
		default:
			return -1;
		}
		if (decode)
			put_utf8(&c->tmp, cp);
	}
	c->i = i + 1;
	return 0;
}

static int
number(struct jctx *c)
{
	size_t i = c->i, start = c->i;

	if (i < c->n && c->p[i] == '-')
		i++;
	if (i < c->n && c->p[i] == '0')
		i++;
	else if (i < c->n && c->p[i] >= '1' && c->p[i] <= '9')
		while (i < c->n && c->p[i] >= '0' && c->p[i] <= '9')
			i++;
	else
		return -1;
	if (i < c->n && c->p[i] == '.') {
		if (++i >= c->n || c->p[i] < '0' || c->p[i] > '9')
			return -1;
		while (i < c->n && c->p[i] >= '0' && c->p[i] <= '9')
			i++;
	}
	if (i < c->n && (c->p[i] == 'e' || c->p[i] == 'E')) {
		i++;
		if (i < c->n && (c->p[i] == '+' || c->p[i] == '-'))
			i++;
		if (i >= c->n || c->p[i] < '0' || c->p[i] > '9')
			return -1;
		while (i < c->n && c->p[i] >= '0' && c->p[i] <= '9')
			i++;
	}
	out(c, c->p + start, i - start);
	c->i = i;
	return 0;
}

static int
literal(struct jctx *c, const char *word)
{
	size_t n = strlen(word);

	if (c->n - c->i < n || memcmp(c->p + c->i, word, n) != 0)
		return -1;
	out(c, word, n);
	c->i += n;
	return 0;
}

/*
 * Write a string value, redacting inside it if asked.  Strings are copied
 * as written unless redacted, or unless they hold a lone surrogate escape
 * (valid JSON grammar, but many parsers refuse it): those are re-escaped
 * with U+FFFD in its place.
 */
static int
string_value(struct jctx *c)
{
	int redact = (c->flags & CX_JSON_REDACT) && c->f != NULL;
	size_t start, k = 0;

	if (string(c, &start, c->f != NULL) == -1)
		return -1;
	if (c->f == NULL)
		return 0;
	if (redact) {
		cx_buf_reset(&c->red);
		k = cx_redact_text(&c->red, (const char *)c->tmp.p, c->tmp.len);
		c->redacted += (long)k;
	}
	if (k > 0)
		cx_json_str(c->f, (const char *)c->red.p, c->red.len);
	else if (c->lone)
		cx_json_str(c->f, (const char *)c->tmp.p, c->tmp.len);
	else
		out(c, c->p + start, c->i - start);
	return 0;
}

static int value(struct jctx *c);

/* The value of a secret key: checked, and replaced unless empty. */
static int
secret_value(struct jctx *c)
{
	FILE *f = c->f;
	size_t start = c->i;
	int rc;

	if (c->n - c->i >= 4 && memcmp(c->p + c->i, "null", 4) == 0)
		return value(c);
	if (c->n - c->i >= 2 && memcmp(c->p + c->i, "\"\"", 2) == 0)
		return value(c);
	if (f != NULL && c->i < c->n && c->p[c->i] == '"') {
		/* A string: the same partial form as secrets elsewhere. */
		size_t s0;
		if (string(c, &s0, 1) == -1)
			return -1;
		cx_buf_reset(&c->red);
		cx_redact_secret(&c->red, (const char *)c->tmp.p, c->tmp.len);
		cx_json_str(f, (const char *)c->red.p, c->red.len);
		c->redacted++;
		return 0;
	}
	c->f = NULL;
	rc = value(c);
	c->f = f;
	if (rc == 0 && c->i > start) {
		out(c, "\"" CX_REDACTED "\"", strlen(CX_REDACTED) + 2);
		c->redacted++;
	}
	return rc;
}

static int
container(struct jctx *c, int obj)
{
	int first = 1;

	if (++c->depth > CX_JSON_MAX_DEPTH)
		return -1;
	out(c, obj ? "{" : "[", 1);
	c->i++;
	ws(c);
	if (c->i < c->n && c->p[c->i] == (obj ? '}' : ']')) {
		c->i++;
		c->depth--;
		out(c, obj ? "}" : "]", 1);
		return 0;
	}
	for (;;) {
		int secret = 0;

		if (!first)
			out(c, ",", 1);
		first = 0;
		newline(c);
		ws(c);
		if (obj) {
			size_t start;

			if (c->i >= c->n || c->p[c->i] != '"' ||
			    string(c, &start, c->flags & CX_JSON_REDACT) == -1)
				return -1;
			out(c, c->p + start, c->i - start);
			secret = (c->flags & CX_JSON_REDACT) &&
			    cx_redact_is_secret_key((const char *)c->tmp.p,
			    c->tmp.len);
			ws(c);
			if (c->i >= c->n || c->p[c->i] != ':')
				return -1;
			c->i++;
			out(c, ": ", (c->flags & CX_JSON_PRETTY) ? 2 : 1);
			ws(c);
		}
		if ((secret ? secret_value(c) : value(c)) == -1)
			return -1;
		ws(c);
		if (c->i >= c->n)
			return -1;
		if (c->p[c->i] == ',') {
			c->i++;
			continue;
		}
		if (c->p[c->i] != (obj ? '}' : ']'))
			return -1;
		c->i++;
		c->depth--;
		newline(c);
		out(c, obj ? "}" : "]", 1);
		return 0;
	}
}

static int
value(struct jctx *c)
{
	ws(c);
	if (c->i >= c->n)
		return -1;
	switch (c->p[c->i]) {
	case '{':
		return container(c, 1);
	case '[':
		return container(c, 0);
	case '"':
		return string_value(c);
	case 't':
		return literal(c, "true");
	case 'f':
		return literal(c, "false");
	case 'n':
		return literal(c, "null");
	default:
		return number(c);
	}
}

static long
run(FILE *f, const char *p, size_t n, int flags, const char *indent)
{
	struct jctx c;
	int rc;

	memset(&c, 0, sizeof(c));
	c.p = p;
	c.n = n;
	c.f = f;
	c.flags = flags;
	c.indent = indent;
	cx_buf_init(&c.tmp, 0);
	cx_buf_init(&c.red, 0);
	ws(&c);
	if (c.i >= n || (!(flags & CX_JSON_SCALAR) && p[c.i] != '{' &&
	    p[c.i] != '['))
		rc = -1;
	else
		rc = value(&c);
	if (rc == 0) {
		ws(&c);
		if (c.i != n)
			rc = -1;
	}
	cx_buf_free(&c.tmp);
	cx_buf_free(&c.red);
	return rc == -1 ? -1 : c.redacted;
}

int
cx_json_check(const char *p, size_t n, int flags)
{
	if (!cx_utf8_valid((const uint8_t *)p, n))
		return 0;
	return run(NULL, p, n, flags & ~CX_JSON_REDACT, NULL) >= 0;
}

long
cx_json_write(FILE *f, const char *p, size_t n, int flags, const char *indent)
{
	return run(f, p, n, flags, indent);
}
