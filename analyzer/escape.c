/* escape.c: text from a trace for a terminal, Markdown or HTML (escape.h). */
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "json.h"
#include "escape.h"
#include "scan.h"

/* Characters with a meaning somewhere in (GitHub-flavoured) Markdown. */
#define MD_SPECIALS     "\\`*_[]()#+-!|~$"

/*
 * The length of a character to copy as is at p (UTF-8, not a control
 * character), or 0: it is written as \xNN.
 */
static size_t
printable(const uint8_t *p, size_t n)
{
	size_t k;

	if (*p >= 0x20 && *p < 0x7f)
		return 1;
	if (*p < 0x80)
		return 0;
	k = cx_utf8_seq(p, n);
	/* C1 controls (U+0080..U+009F) are escaped. */
	if (k == 2 && p[0] == 0xc2 && p[1] < 0xa0)
		return 0;
	return k;
}

/* --- a terminal ------------------------------------------------------- */

/*
 * The end of the run from i of bytes a terminal shows as they are:
 * printable ASCII, tab, and UTF-8 sequences that are not controls.  Found
 * 16 bytes at a time where it can be (scan.h), and written with one
 * fwrite: a stdio call a byte was most of the text listing's time.
 */
static size_t
term_run(const uint8_t *p, size_t i, size_t n)
{
	size_t k;

	for (;;) {
#if defined(__SSE2__)
		while (i + 16 <= n) {
			__m128i v = _mm_loadu_si128((const __m128i *)
			    (const void *)(p + i));
			/* Signed: controls, and every byte from 0x80 up. */
			__m128i c = _mm_cmplt_epi8(v, _mm_set1_epi8(0x20));
			__m128i d = _mm_cmpeq_epi8(v, _mm_set1_epi8(0x7f));
			unsigned m = (unsigned)_mm_movemask_epi8(
			    _mm_or_si128(c, d));

			if (m != 0) {
				i += (size_t)__builtin_ctz(m);
				break;
			}
			i += 16;
		}
#endif
		while (i < n && p[i] >= 0x20 && p[i] < 0x7f)
			i++;
		if (i >= n)
			return n;
		if (p[i] == '\t')
			i++;
		else if (p[i] >= 0x80 && (k = printable(p + i, n - i)) > 0)
			i += k;
		else
			return i;
	}
}

void
cx_out_term(FILE *f, const char *s, size_t n, int nl, const char *prefix)
{
	const uint8_t *p = (const uint8_t *)s;
	size_t i = 0, k;

	while (i < n) {
		uint8_t c = p[i];

		if ((k = term_run(p, i, n)) > i) {
			fwrite(p + i, 1, k - i, f);
			i = k;
		} else if (c == '\n' && nl) {
			fputc('\n', f);
			fputs(prefix, f);
			i++;
		} else if (c == '\r' && nl && i + 1 < n && p[i + 1] == '\n') {
			i++;
		} else if (c == '\n') {
			fputs("\\n", f);
			i++;
		} else {
			fprintf(f, "\\x%02x", c);
			i++;
		}
	}
}

/* --- Markdown --------------------------------------------------------- */

/*
 * Bytes written as they are: printable ASCII, tab and newline in code
 * blocks (CODE); printable ASCII but & < > " in HTML attributes (ATTR);
 * printable ASCII but & < > and MD_SPECIALS in Markdown text (MD).
 */
#define CODE    0x01
#define ATTR    0x02
#define MD      0x04
static const uint8_t plain[256] = {
	0, 0, 0, 0, 0, 0, 0, 0, 0, 1, 1, 0, 0, 0, 0, 0,	/* 0x00 */
	0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,	/* 0x10 */
	7, 3, 5, 3, 3, 7, 1, 7, 3, 3, 3, 3, 7, 3, 7, 7,	/* 0x20 */
	7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 1, 7, 1, 7,	/* 0x30 */
	7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7,	/* 0x40 */
	7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 3, 3, 3, 7, 3,	/* 0x50 */
	3, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7,	/* 0x60 */
	7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 3, 7, 3, 0,	/* 0x70 */
	0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,	/* 0x80 */
	0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,	/* 0x90 */
	0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,	/* 0xa0 */
	0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,	/* 0xb0 */
	0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,	/* 0xc0 */
	0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,	/* 0xd0 */
	0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,	/* 0xe0 */
	0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,	/* 0xf0 */
};

/* The end of the run of bytes of class cls from i. */
static size_t
span(const uint8_t *p, size_t i, size_t n, uint8_t cls)
{
	while (i < n && (plain[p[i]] & cls))
		i++;
	return i;
}

static void
text(FILE *f, const char *s, size_t n, int flags, int html_only)
{
	const uint8_t *p = (const uint8_t *)s;
	const uint8_t cls = html_only ? ATTR : MD;
	size_t i = 0, k;

	while (i < n) {
		uint8_t c = p[i];

		if ((k = span(p, i, n, cls)) > i) {
			fwrite(p + i, 1, k - i, f);
			i = k;
			continue;
		}
		if (c == '&')
			fputs("&amp;", f);
		else if (c == '<')
			fputs("&lt;", f);
		else if (c == '>')
			fputs("&gt;", f);
		else if (c == '"' && html_only)
			fputs("&quot;", f);
		else if (c == '\r' && i + 1 < n && p[i + 1] == '\n')
			;
		else if (c == '\n' || c == '\r')
			fputs(!html_only && (flags & CX_MD_NL_BR) ? "<br>" :
			    " ", f);
		else if (c == '\t')
			fputc(' ', f);
		else if (!html_only && c != '\0' &&
		    strchr(MD_SPECIALS, c) != NULL)
			fprintf(f, "\\%c", c);
		else if ((k = printable(p + i, n - i)) > 0) {
			fwrite(p + i, 1, k, f);
			i += k;
			continue;
		} else
			fprintf(f, html_only ? "\\x%02x" : "\\\\x%02x", c);
		i++;
	}
}

void
cx_md_text(FILE *f, const char *s, size_t n, int flags)
{
	text(f, s, n, flags, 0);
}

void
cx_md_texts(FILE *f, const char *s, int flags)
{
	if (s != NULL)
		text(f, s, strlen(s), flags, 0);
}

/* Markdown's specials in prose (MD_SPECIALS differs: $ is left, = : too). */
#define PROSE_SPECIALS  "\\`*_{}[]()#+-!|~=:"

/*
 * The end of the run from i of what prose writes as it is once past a
 * line's start: printable ASCII but & < > and PROSE_SPECIALS, tab, and
 * UTF-8 sequences that are not controls.
 */
static const uint8_t plain_prose[256] = {
	0, 0, 0, 0, 0, 0, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0,	/* 0x00 */
	0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,	/* 0x10 */
	1, 0, 1, 0, 1, 1, 0, 1, 0, 0, 0, 0, 1, 0, 1, 1,	/* 0x20 */
	1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 0, 1, 0, 0, 0, 1,	/* 0x30 */
	1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1,	/* 0x40 */
	1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 0, 0, 0, 1, 0,	/* 0x50 */
	0, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1,	/* 0x60 */
	1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 0, 0, 0, 0, 0,	/* 0x70 */
	0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,	/* 0x80 */
	0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,	/* 0x90 */
	0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,	/* 0xa0 */
	0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,	/* 0xb0 */
	0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,	/* 0xc0 */
	0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,	/* 0xd0 */
	0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,	/* 0xe0 */
	0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,	/* 0xf0 */
};

static size_t
prose_run(const uint8_t *p, size_t i, size_t n)
{
	size_t k;

	while (i < n) {
		if (plain_prose[p[i]])
			i++;
		else if (p[i] >= 0x80 && (k = printable(p + i, n - i)) > 0)
			i += k;
		else
			break;
	}
	return i;
}

void
cx_md_prose(FILE *f, const char *s, size_t n, int nl, const char *prefix)
{
	const uint8_t *p = (const uint8_t *)s;
	size_t i = 0, k;
	int bol = 1;

	while (i < n) {
		uint8_t c = p[i];

		if ((!bol || (c != ' ' && c != '\t' && (c < '0' || c > '9'))) &&
		    (k = prose_run(p, i, n)) > i) {
			fwrite(p + i, 1, k - i, f);
			i = k;
			bol = 0;
			continue;
		}
		if (c == '\r' && i + 1 < n && p[i + 1] == '\n' && nl) {
			i++;
			continue;
		}
		if (c == '\n') {
			if (nl) {
				fputs(bol ? "\n" : "  \n", f);
				fputs(prefix, f);
				bol = 1;
			} else
				fputs("\\\\n", f);
			i++;
			continue;
		}
		if (bol && (c == ' ' || c == '\t')) {
			fputs(c == ' ' ? "&#32;" : "&#9;", f);
			i++;
			continue;
		}
		if (bol && c >= '0' && c <= '9') {
			/* "1." and "1)" would start a list */
			size_t j = i;

			while (j < n && p[j] >= '0' && p[j] <= '9')
				j++;
			fwrite(p + i, 1, j - i, f);
			if (j < n && p[j] == '.') {
				fputs("\\.", f);
				j++;
			}
			i = j;
			bol = 0;
			continue;
		}
		bol = 0;
		if (c == '&')
			fputs("&amp;", f);
		else if (c == '<')
			fputs("&lt;", f);
		else if (c == '>')
			fputs("&gt;", f);
		else if (c != '\0' && strchr(PROSE_SPECIALS, c) != NULL)
			fprintf(f, "\\%c", c);
		else if (c == '\t' || (c >= 0x20 && c < 0x7f))
			fputc(c, f);
		else if ((k = printable(p + i, n - i)) > 0) {
			fwrite(p + i, 1, k, f);
			i += k;
			continue;
		} else
			fprintf(f, "\\\\x%02x", c);
		i++;
	}
}

void
cx_md_html(FILE *f, const char *s, size_t n)
{
	text(f, s, n, 0, 1);
}

size_t
cx_md_fence_len(const char *s, size_t n)
{
	size_t run, longest = 0;
	const char *q = s, *end = s + n;

	while ((q = memchr(q, '`', (size_t)(end - q))) != NULL) {
		for (run = 0; q < end && *q == '`'; q++)
			run++;
		if (run > longest)
			longest = run;
	}
	return longest >= 3 ? longest + 1 : 3;
}

static void
fence(FILE *f, size_t len)
{
	for (size_t i = 0; i < len; i++)
		fputc('`', f);
}

/* The end of the run from i of what a code block writes as it is
 * (CODE: printable ASCII, tab, newline), 16 bytes at a time. */
static size_t
code_run(const uint8_t *p, size_t i, size_t n)
{
#if defined(__SSE2__)
	while (i + 16 <= n) {
		__m128i v = _mm_loadu_si128((const __m128i *)(const void *)
		    (p + i));
		/* Signed: controls, and every byte from 0x80 up. */
		__m128i c = _mm_andnot_si128(_mm_or_si128(_mm_cmpeq_epi8(v,
		    _mm_set1_epi8('\n')), _mm_cmpeq_epi8(v,
		    _mm_set1_epi8('\t'))), _mm_cmplt_epi8(v,
		    _mm_set1_epi8(0x20)));
		__m128i d = _mm_cmpeq_epi8(v, _mm_set1_epi8(0x7f));
		unsigned m = (unsigned)_mm_movemask_epi8(_mm_or_si128(c, d));

		if (m != 0)
			return i + (size_t)__builtin_ctz(m);
		i += 16;
	}
#endif
	return span(p, i, n, CODE);
}

void
cx_md_code(FILE *f, const char *info, const char *s, size_t n)
{
	const uint8_t *p = (const uint8_t *)s;
	size_t len = cx_md_fence_len(s, n), i = 0, k;

	if (n > 0 && p[n - 1] == '\n')
		n -= n > 1 && p[n - 2] == '\r' ? 2 : 1;
	fputc('\n', f);
	fence(f, len);
	if (info != NULL)
		fputs(info, f);
	fputc('\n', f);
	while (i < n) {
		uint8_t c = p[i];

		if ((k = code_run(p, i, n)) > i) {
			fwrite(p + i, 1, k - i, f);
			i = k;
			continue;
		}
		if (c == '\n' || c == '\t')
			fputc(c, f);
		else if (c == '\r' && i + 1 < n && p[i + 1] == '\n')
			;
		else if ((k = printable(p + i, n - i)) > 0) {
			fwrite(p + i, 1, k, f);
			i += k;
			continue;
		} else
			fprintf(f, "\\x%02x", c);
		i++;
	}
	fputc('\n', f);
	fence(f, len);
	fputs("\n\n", f);
}

/* --- HTML ------------------------------------------------------------- */

/* The entity for c, or NULL when c is written as it is. */
static const char *
entity(uint8_t c)
{
	switch (c) {
	case '&':
		return "&amp;";
	case '<':
		return "&lt;";
	case '>':
		return "&gt;";
	case '"':
		return "&quot;";
	case '\'':
		return "&#39;";
	}
	return NULL;
}

/*
 * The length of the run at p[0..n) that HTML text (html: 1) or JSON for a
 * script element (html: 0) writes as it is: printable ASCII but the
 * characters it escapes, and UTF-8 sequences that are not controls.
 * Written with one fwrite: byte by byte, stdio's call per byte was most
 * of the report's time.
 */
static size_t
plain_run(const uint8_t *p, size_t n, int html)
{
	size_t i = 0, k;

	while (i < n) {
		uint8_t c;

#if defined(__SSE2__)
		while (i + 16 <= n) {
			__m128i v = _mm_loadu_si128((const __m128i *)
			    (const void *)(p + i));
			/* Signed: controls, and every byte from 0x80 up. */
			__m128i m = _mm_or_si128(_mm_cmplt_epi8(v,
			    _mm_set1_epi8(0x20)), _mm_or_si128(
			    _mm_cmpeq_epi8(v, _mm_set1_epi8(0x7f)),
			    _mm_or_si128(_mm_cmpeq_epi8(v, _mm_set1_epi8('&')),
			    _mm_or_si128(_mm_cmpeq_epi8(v, _mm_set1_epi8('<')),
			    _mm_cmpeq_epi8(v, _mm_set1_epi8('>'))))));
			unsigned bits;

			if (html)
				m = _mm_or_si128(m, _mm_or_si128(
				    _mm_cmpeq_epi8(v, _mm_set1_epi8('"')),
				    _mm_cmpeq_epi8(v, _mm_set1_epi8('\''))));
			if ((bits = (unsigned)_mm_movemask_epi8(m)) != 0) {
				i += (size_t)__builtin_ctz(bits);
				break;
			}
			i += 16;
		}
		if (i >= n)
			break;
#endif
		c = p[i];
		if (c >= 0x20 && c < 0x7f) {
			if (c == '&' || c == '<' || c == '>' ||
			    (html && (c == '"' || c == '\'')))
				break;
			i++;
		} else if (c >= 0x80 && (k = printable(p + i, n - i)) > 0)
			i += k;
		else
			break;
	}
	return i;
}

/* Escaped text gathered before stdio: a JSON event's text is mostly
 * short runs between quotes (each an entity), a call or two each. */
struct hbuf {
	FILE            *f;
	size_t           n;
	char             b[4096];
};

static void
hb_flush(struct hbuf *h)
{
	if (h->n > 0)
		fwrite(h->b, 1, h->n, h->f);
	h->n = 0;
}

static void
hb_put(struct hbuf *h, const void *p, size_t k)
{
	if (k > sizeof(h->b) - h->n) {
		hb_flush(h);
		if (k >= sizeof(h->b)) {
			fwrite(p, 1, k, h->f);
			return;
		}
	}
	memcpy(h->b + h->n, p, k);
	h->n += k;
}

/*
 * s[0..n) for an HTML page: as text (json 0: entities, CR before LF
 * dropped, \xNN) or as the JSON of a script element (json 1: \u00XX).
 */
static void
html_escaped(FILE *f, const char *s, size_t n, int json)
{
	const uint8_t *p = (const uint8_t *)s;
	size_t i = 0, k;
	struct hbuf h;
	char x[8];

	h.f = f;
	h.n = 0;
	while (i < n) {
		uint8_t c = p[i];
		const char *e;

		if ((k = plain_run(p + i, n - i, !json)) > 0) {
			hb_put(&h, p + i, k);
			i += k;
			continue;
		}
		i++;
		if (!json && (e = entity(c)) != NULL)
			hb_put(&h, e, strlen(e));
		else if (!json && c == '\r' && i < n && p[i] == '\n')
			;
		else if (c == '\n' || c == '\t' || (json && c == '\r'))
			hb_put(&h, &c, 1);
		else
			hb_put(&h, x, (size_t)snprintf(x, sizeof(x), json ?
			    "\\u%04x" : "\\x%02x", c));
	}
	hb_flush(&h);
}

void
cx_html_text(FILE *f, const char *s, size_t n)
{
	html_escaped(f, s, n, 0);
}

void
cx_html_texts(FILE *f, const char *s)
{
	if (s != NULL)
		cx_html_text(f, s, strlen(s));
}

void
cx_html_json(FILE *f, const char *s, size_t n)
{
	html_escaped(f, s, n, 1);
}
