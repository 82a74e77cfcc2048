/* json.c: JSON writing and re-writing (see json.h). */
#include <string.h>

#include "bytebuf.h"
#include "json.h"
#include "redact.h"
#include "scan.h"

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

/*
 * The special byte at p[0] (n bytes left) as JSON: its escape, or a valid
 * UTF-8 sequence as it is, into e (*len bytes).  Returns the number of
 * input bytes it stands for.
 */
static size_t
str_special(char e[6], size_t *len, const uint8_t *p, size_t n)
{
	static const char hex[] = "0123456789abcdef";
	uint8_t c = p[0];
	size_t k;

	*len = 2;
	e[0] = '\\';
	if (c >= 0x80 && (k = cx_utf8_seq(p, n)) > 0) {
		memcpy(e, p, k);
		*len = k;
		return k;
	}
	switch (c) {
	case '"':	e[1] = '"'; break;
	case '\\':	e[1] = '\\'; break;
	case '\n':	e[1] = 'n'; break;
	case '\r':	e[1] = 'r'; break;
	case '\t':	e[1] = 't'; break;
	case '\b':	e[1] = 'b'; break;
	case '\f':	e[1] = 'f'; break;
	default:
		if (c < 0x20) {
			memcpy(e, "\\u00", 4);
			e[4] = hex[c >> 4];
			e[5] = hex[c & 15];
			*len = 6;
		} else {
			/* Not UTF-8: the Latin-1 character. */
			e[0] = (char)(0xc0 | c >> 6);
			e[1] = (char)(0x80 | (c & 0x3f));
		}
		break;
	}
	return 1;
}

void
cx_json_str_buf(struct cx_buf *b, const char *s, size_t n)
{
	const uint8_t *p = (const uint8_t *)s;
	size_t i = 0, j, len;
	char e[6];

	cx_buf_addc(b, '"');
	while (i < n) {
		j = cx_scan(p, i, n, CX_SC_JSON);
		cx_buf_add(b, p + i, j - i);
		if (j >= n)
			break;
		i = j + str_special(e, &len, p + j, n - j);
		cx_buf_add(b, e, len);
	}
	cx_buf_addc(b, '"');
}

/* Gathered into a buffer of its own, written a few KiB at a time: a
 * stdio call per escape was most of what JSON text in a string cost. */
struct strout {
	FILE            *f;
	size_t           o;
	char             buf[4096];
};

static void
strout_add(struct strout *w, const void *p, size_t n)
{
	if (w->o + n > sizeof(w->buf)) {
		fwrite(w->buf, 1, w->o, w->f);
		w->o = 0;
		if (n > sizeof(w->buf)) {
			fwrite(p, 1, n, w->f);
			return;
		}
	}
	memcpy(w->buf + w->o, p, n);
	w->o += n;
}

void
cx_json_str(FILE *f, const char *s, size_t n)
{
	const uint8_t *p = (const uint8_t *)s;
	size_t i = 0, j, len;
	struct strout w;
	char e[6];

	w.f = f;
	w.o = 0;
	strout_add(&w, "\"", 1);
	while (i < n) {
		j = cx_scan(p, i, n, CX_SC_JSON);
		strout_add(&w, p + i, j - i);
		if (j >= n)
			break;
		i = j + str_special(e, &len, p + j, n - j);
		strout_add(&w, e, len);
	}
	strout_add(&w, "\"", 1);
	fwrite(w.buf, 1, w.o, f);
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
cx_json_base64_buf(struct cx_buf *b, const uint8_t *p, size_t n)
{
	static const char tab[] =
	    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
	char q[4];
	size_t i;

	cx_buf_addc(b, '"');
	for (i = 0; i + 3 <= n; i += 3) {
		uint32_t v = (uint32_t)p[i] << 16 | (uint32_t)p[i + 1] << 8 |
		    p[i + 2];

		q[0] = tab[v >> 18];
		q[1] = tab[(v >> 12) & 63];
		q[2] = tab[(v >> 6) & 63];
		q[3] = tab[v & 63];
		cx_buf_add(b, q, 4);
	}
	if (n - i > 0) {
		uint32_t v = (uint32_t)p[i] << 16 |
		    (n - i == 2 ? (uint32_t)p[i + 1] << 8 : 0);

		q[0] = tab[v >> 18];
		q[1] = tab[(v >> 12) & 63];
		q[2] = n - i == 2 ? tab[(v >> 6) & 63] : '=';
		q[3] = '=';
		cx_buf_add(b, q, 4);
	}
	cx_buf_addc(b, '"');
}

void
cx_json_base64(FILE *f, const uint8_t *p, size_t n)
{
	putc('"', f);
	cx_base64(f, p, n);
	putc('"', f);
}

/* --- the re-writer --------------------------------------------------- */

/*
 * One pass both checks and writes: with o NULL it only checks.  Output
 * goes to a byte buffer, so that a text found not to be JSON halfway can
 * be taken back (cx_json_emit).
 */
struct jctx {
	const char      *p;
	size_t           n;
	size_t           i;
	struct cx_buf   *o;             /* NULL: check only */
	int              flags;
	const char      *indent;
	int              depth;
	long             redacted;
	int              lone;          /* the last string had a lone surrogate */
	int              esc;           /* ... had an escape */
	int              slow;          /* ... cannot be copied as it is */
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

static inline void
out(struct jctx *c, const char *s, size_t n)
{
	if (c->o != NULL)
		cx_buf_add(c->o, s, n);
}

/*
 * The quick test before cx_redact_json_suspect for the byte at s[i] of a
 * string's content (n bytes on): "sk-", "eyJ", "AIza", "be"/"Be"/"BE".
 */
static inline int
maybe_secret(const char *s, size_t n, size_t i)
{
	switch (s[i]) {
	case '-':
		return i >= 2 && s[i - 2] == 's' && s[i - 1] == 'k';
	case 'J':
		return i >= 2 && s[i - 2] == 'e' && s[i - 1] == 'y';
	case 'z':
		return i >= 2 && s[i - 2] == 'A' && s[i - 1] == 'I';
	default:
		return i + 1 < n && (s[i + 1] | 0x20) == 'e';
	}
}

static void
newline(struct jctx *c)
{
	if (c->o == NULL || !(c->flags & CX_JSON_PRETTY))
		return;
	static const char spaces[] = "                                "
	    "                                ";         /* 64 */
	size_t n = 2 * (size_t)c->depth;

	out(c, "\n", 1);
	if (c->indent != NULL && c->indent[0] != '\0')
		out(c, c->indent, strlen(c->indent));
	for (; n > sizeof(spaces) - 1; n -= sizeof(spaces) - 1)
		out(c, spaces, sizeof(spaces) - 1);
	out(c, spaces, n);
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

/*
 * A string token at c->i (the opening quote).  On success c->i is past the
 * closing quote and [*start, c->i) is the raw token; c->esc tells whether
 * it has escapes, and c->slow whether it has a \u or \/ escape or, with
 * red set, bytes where a secret may be (redact.h): then it must be decoded
 * before it is redacted or written.  With decode set, the content is
 * decoded into c->tmp (lone surrogates become U+FFFD, c->lone is set).
 * Non-ASCII bytes must be valid UTF-8.
 */
static int
string(struct jctx *c, size_t *start, int decode, int red)
{
	const uint8_t *p = (const uint8_t *)c->p;
	const unsigned cls = CX_SC_JSON | (red ? CX_SC_SECRET : 0);
	size_t s0 = c->i + 1, i = s0, from = s0, k;

	*start = c->i;
	c->lone = c->esc = c->slow = 0;
	if (decode)
		cx_buf_reset(&c->tmp);
	for (;;) {
		uint32_t cp, lo;

		i = cx_scan(p, i, c->n, cls);
		if (i >= c->n)
			return -1;
		if (p[i] == '"')
			break;
		if (p[i] >= 0x80) {
			if ((k = cx_utf8_seq(p + i, c->n - i)) == 0)
				return -1;
			i += k;
			continue;
		}
		if (p[i] < 0x20)
			return -1;
		if (p[i] != '\\') {
			/* where a secret may be */
			if (!c->slow && maybe_secret(c->p + s0, c->n - s0,
			    i - s0) && cx_redact_json_suspect(c->p + s0,
			    c->n - s0, i - s0))
				c->slow = 1;
			i++;
			continue;
		}
		/* an escape */
		if (decode)
			cx_buf_add(&c->tmp, p + from, i - from);
		if (i + 1 >= c->n)
			return -1;
		c->esc = 1;
		switch (p[i + 1]) {
		case '"':
			if (red && !c->slow && cx_redact_json_suspect(c->p + s0,
			    c->n - s0, i - s0))
				c->slow = 1;
			/* FALLTHROUGH */
		case '\\':
			cp = p[i + 1];
			i += 2;
			break;
		case '/':
			cp = '/';
			i += 2;
			c->slow = 1;
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
			c->slow = 1;
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
		from = i;
	}
	if (decode)
		cx_buf_add(&c->tmp, p + from, i - from);
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
literal(struct jctx *c, const char *word, size_t n)
{
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
 * with U+FFFD in its place.  Most strings need neither: one scan finds
 * that, and only the others are decoded.
 */
static int
string_value(struct jctx *c)
{
	int redact = (c->flags & CX_JSON_REDACT) && c->o != NULL;
	size_t start, k = 0;

	if (string(c, &start, 0, redact) == -1)
		return -1;
	if (c->o == NULL)
		return 0;
	if (!c->slow) {
		out(c, c->p + start, c->i - start);
		return 0;
	}
	c->i = start;
	if (string(c, &start, 1, 0) == -1)
		return -1;
	if (redact) {
		cx_buf_reset(&c->red);
		k = cx_redact_text(&c->red, (const char *)c->tmp.p, c->tmp.len);
		c->redacted += (long)k;
	}
	if (k > 0)
		cx_json_str_buf(c->o, (const char *)c->red.p, c->red.len);
	else if (c->lone)
		cx_json_str_buf(c->o, (const char *)c->tmp.p, c->tmp.len);
	else
		out(c, c->p + start, c->i - start);
	return 0;
}

static int value(struct jctx *c);

/* The value of a secret key: checked, and replaced unless empty. */
static int
secret_value(struct jctx *c)
{
	struct cx_buf *o = c->o;
	size_t start = c->i;
	int rc;

	if (c->n - c->i >= 4 && memcmp(c->p + c->i, "null", 4) == 0)
		return value(c);
	if (c->n - c->i >= 2 && memcmp(c->p + c->i, "\"\"", 2) == 0)
		return value(c);
	if (o != NULL && c->i < c->n && c->p[c->i] == '"') {
		/* A string: the same partial form as secrets elsewhere. */
		size_t s0;
		if (string(c, &s0, 1, 0) == -1)
			return -1;
		cx_buf_reset(&c->red);
		cx_redact_secret(&c->red, (const char *)c->tmp.p, c->tmp.len);
		cx_json_str_buf(o, (const char *)c->red.p, c->red.len);
		c->redacted++;
		return 0;
	}
	c->o = NULL;
	rc = value(c);
	c->o = o;
	if (rc == 0 && c->i > start) {
		out(c, "\"" CX_REDACTED "\"", strlen(CX_REDACTED) + 2);
		c->redacted++;
	}
	return rc;
}

/* An object's key at c->i: written; is it a secret's (when redacting)? */
static int
key(struct jctx *c, int *secret)
{
	int redact = (c->flags & CX_JSON_REDACT) != 0;
	size_t start;

	*secret = 0;
	if (c->i >= c->n || c->p[c->i] != '"' ||
	    string(c, &start, 0, 0) == -1)
		return -1;
	out(c, c->p + start, c->i - start);
	if (!redact)
		return 0;
	if (!c->esc) {
		*secret = cx_redact_is_secret_key(c->p + start + 1,
		    c->i - start - 2);
		return 0;
	}
	c->i = start;
	if (string(c, &start, 1, 0) == -1)
		return -1;
	*secret = cx_redact_is_secret_key((const char *)c->tmp.p, c->tmp.len);
	return 0;
}

static int
container(struct jctx *c, int obj)
{
	const char close = obj ? '}' : ']';
	const int pretty = (c->flags & CX_JSON_PRETTY) != 0;
	int first = 1;

	if (++c->depth > CX_JSON_MAX_DEPTH)
		return -1;
	out(c, obj ? "{" : "[", 1);
	c->i++;
	ws(c);
	if (c->i < c->n && c->p[c->i] == close) {
		c->i++;
		c->depth--;
		out(c, &close, 1);
		return 0;
	}
	for (;;) {
		int secret = 0;

		if (!first)
			out(c, ",", 1);
		first = 0;
		if (pretty)
			newline(c);
		ws(c);
		if (obj) {
			if (key(c, &secret) == -1)
				return -1;
			ws(c);
			if (c->i >= c->n || c->p[c->i] != ':')
				return -1;
			c->i++;
			out(c, ": ", pretty ? 2 : 1);
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
		if (c->p[c->i] != close)
			return -1;
		c->i++;
		c->depth--;
		if (pretty)
			newline(c);
		out(c, &close, 1);
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
		return literal(c, "true", 4);
	case 'f':
		return literal(c, "false", 5);
	case 'n':
		return literal(c, "null", 4);
	default:
		return number(c);
	}
}

static long
run(struct cx_buf *o, const char *p, size_t n, int flags, const char *indent)
{
	struct jctx c;
	size_t mark = o != NULL ? o->len : 0;
	int rc;

	memset(&c, 0, sizeof(c));
	c.p = p;
	c.n = n;
	c.o = o;
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
	if (rc == -1 && o != NULL) {
		o->len = mark;
		if (o->p != NULL)
			o->p[mark] = '\0';
	}
	return rc == -1 ? -1 : c.redacted;
}

int
cx_json_check(const char *p, size_t n, int flags)
{
	return run(NULL, p, n, flags & ~CX_JSON_REDACT, NULL) >= 0;
}

long
cx_json_emit(struct cx_buf *b, const char *p, size_t n, int flags,
    const char *indent)
{
	return run(b, p, n, flags, indent);
}

long
cx_json_write(FILE *f, const char *p, size_t n, int flags, const char *indent)
{
	struct cx_buf b;
	long rc;

	cx_buf_init(&b, 0);
	rc = run(&b, p, n, flags, indent);
	if (rc >= 0)
		fwrite(b.p, 1, b.len, f);
	cx_buf_free(&b);
	return rc;
}
