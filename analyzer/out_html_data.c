/*
 * out_html_data.c: the JSON a page carries as data (its JSON bodies and
 * big JSON messages, drawn as trees when opened; out_html.h): each in a
 * <script> element that never runs, escaped by cx_html_json, whole or as
 * its difference from one written shortly before.
 *
 * An agent resends its whole conversation with every request, so each
 * request body holds the one before it: a 300-turn session's 52 MB of
 * request bodies hold half a megabyte of distinct text.  A body that
 * shares most of its text with one of the last KEEP written is written
 * as the part in between, with the base's id and how many characters of
 * the base's beginning and end surround it (in UTF-16 code units, as the
 * page's script counts):
 *
 *   <script type="text/x-cxrec-delta" id="jN" data-base="jM"
 *    data-p="PREFIX" data-s="SUFFIX">THE MIDDLE</script>
 *
 * The page rebuilds the text (the base's, recursively) when the body is
 * opened.  The text compared is the escaped text, valid UTF-8 without
 * "<", so the middle is written as it is and can end nothing.
 *
 * Memory: the last KEEP texts, those of at most KEEP_MAX bytes.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "escape.h"
#include "scan.h"
#include "log.h"
#include "out_html.h"
#include "xmalloc.h"

#define KEEP            4
#define KEEP_MAX        (16u << 20)
#define DELTA_MIN       1024            /* bytes shared, at least */

struct kept {
	unsigned long    id;
	char            *text;          /* escaped; NULL: none */
	size_t           len;
	int              lent;          /* replayed: given back, not freed */
};

struct cx_htdata {
	unsigned long    ids;
	struct kept      kept[KEEP];
	size_t           next;          /* the slot to fill next */
	/* Deferred (cx_htdata_new_deferred): what was set aside. */
	int              deferred;
	struct cx_htdefer *marks, *last;
	/* The replayed texts, when done with (cx_htdata_give_back). */
	void           (*give)(void *arg, char *text);
	void            *give_arg;
};

/* A piece of data set aside: its escaped text, and where in the output
 * it goes. */
struct cx_htdefer {
	long             pos;
	char            *text;
	size_t           len;
	struct cx_htdefer *next;
};

struct cx_htdata *
cx_htdata_new(void)
{
	return xcalloc(1, sizeof(struct cx_htdata));
}

struct cx_htdata *
cx_htdata_new_deferred(void)
{
	struct cx_htdata *d = cx_htdata_new();

	d->deferred = 1;
	return d;
}

void
cx_htdefer_free(struct cx_htdefer *m)
{
	while (m != NULL) {
		struct cx_htdefer *next = m->next;

		free(m->text);
		free(m);
		m = next;
	}
}

void
cx_htdata_free(struct cx_htdata *d)
{
	if (d == NULL)
		return;
	for (size_t i = 0; i < KEEP; i++)
		free(d->kept[i].text);
	cx_htdefer_free(d->marks);
	free(d);
}

void
cx_htdata_give_back(struct cx_htdata *d, void (*give)(void *arg,
    char *text), void *arg)
{
	d->give = give;
	d->give_arg = arg;
}

/* A text d is done with: freed, or given back if it was replayed. */
static void
drop(struct cx_htdata *d, char *text, int lent)
{
	if (text != NULL && lent && d != NULL && d->give != NULL)
		d->give(d->give_arg, text);
	else
		free(text);
}

struct cx_htdefer *
cx_htdata_take_deferred(struct cx_htdata *d)
{
	struct cx_htdefer *m = d->marks;

	d->marks = d->last = NULL;
	return m;
}

/* UTF-16 code units of UTF-8 text s[0..n): 2 for a 4-byte sequence. */
static size_t
units(const char *s, size_t n)
{
	size_t u = 0, i = 0;

#if defined(__SSE2__)
	/* 16 bytes at a time: all but continuation bytes, and one more for
	 * the lead byte of a 4-byte sequence. */
	for (; i + 16 <= n; i += 16) {
		__m128i v = _mm_loadu_si128((const __m128i *)(const void *)
		    (s + i));
		unsigned cont = (unsigned)_mm_movemask_epi8(_mm_cmplt_epi8(v,
		    _mm_set1_epi8(-64)));
		unsigned four = (unsigned)_mm_movemask_epi8(_mm_and_si128(
		    _mm_cmpgt_epi8(v, _mm_set1_epi8(-17)), _mm_cmplt_epi8(v,
		    _mm_setzero_si128())));

		u += 16 - (size_t)__builtin_popcount(cont) +
		    (size_t)__builtin_popcount(four);
	}
#endif
	for (; i < n; i++) {
		unsigned char c = (unsigned char)s[i];

		if ((c & 0xc0) != 0x80)
			u += c >= 0xf0 ? 2 : 1;
	}
	return u;
}

/* The common beginning and end of a and b (not overlapping), each cut
 * back to a character's boundary. */
static void
common(const char *a, size_t na, const char *b, size_t nb, size_t *pre,
    size_t *suf)
{
	size_t p = 0, s = 0, max = na < nb ? na : nb;
	uint64_t x, y;

	/* A page at a time (memcmp), eight bytes, then the byte where
	 * they differ. */
	while (p + 4096 <= max && memcmp(a + p, b + p, 4096) == 0)
		p += 4096;
	while (p + 8 <= max) {
		memcpy(&x, a + p, 8);
		memcpy(&y, b + p, 8);
		if (x != y)
			break;
		p += 8;
	}
	while (p < max && a[p] == b[p])
		p++;
	while (p > 0 && p < nb && ((unsigned char)b[p] & 0xc0) == 0x80)
		p--;
	while (s + 4096 <= max - p && memcmp(a + na - s - 4096,
	    b + nb - s - 4096, 4096) == 0)
		s += 4096;
	while (s + 8 <= max - p) {
		memcpy(&x, a + na - s - 8, 8);
		memcpy(&y, b + nb - s - 8, 8);
		if (x != y)
			break;
		s += 8;
	}
	while (s < max - p && a[na - 1 - s] == b[nb - 1 - s])
		s++;
	while (s > 0 && ((unsigned char)b[nb - s] & 0xc0) == 0x80)
		s--;
	*pre = p;
	*suf = s;
}

/* p[0..n) escaped for a script element, into a string of its own. */
static char *
escaped(const char *p, size_t n, size_t *len)
{
	char *text = NULL;
	FILE *m;

	*len = 0;
	if ((m = open_memstream(&text, len)) == NULL)
		fatalx("the HTML report: out of memory");
	cx_html_json(m, p, n);
	if (fclose(m) != 0)
		fatalx("the HTML report: out of memory");
	return text;
}

static void write_data(FILE *f, struct cx_htdata *d, char *text,
    size_t len, int lent);

void
cx_htr_data(FILE *f, struct cx_htdata *d, const char *p, size_t n)
{
	size_t len;
	char *text = escaped(p, n, &len);

	if (d != NULL && d->deferred) {
		struct cx_htdefer *m = xcalloc(1, sizeof(*m));

		fflush(f);
		m->pos = ftell(f);
		m->text = text;
		m->len = len;
		if (d->last != NULL)
			d->last->next = m;
		else
			d->marks = m;
		d->last = m;
		return;
	}
	write_data(f, d, text, len, 0);
}

void
cx_htr_data_replay(FILE *f, struct cx_htdata *d, const char *text,
    size_t len, struct cx_htdefer *marks)
{
	long at = 0;

	for (struct cx_htdefer *m = marks; m != NULL; m = m->next) {
		fwrite(text + at, 1, (size_t)(m->pos - at), f);
		at = m->pos;
		write_data(f, d, m->text, m->len, 1);
		m->text = NULL;
	}
	fwrite(text + at, 1, len - (size_t)at, f);
	cx_htdefer_free(marks);
}

/* The escaped text[0..len) (taken over; lent: made on the thread that
 * rendered ahead, cx_htdata_give_back) as a script element. */
static void
write_data(FILE *f, struct cx_htdata *d, char *text, size_t len, int lent)
{
	static unsigned long solo;      /* ids when there is no d */
	size_t pre = 0, suf = 0, best = 0, bp = 0, bs = 0;
	struct kept *base = NULL;
	unsigned long id;

	id = d != NULL ? ++d->ids : ++solo;
	for (size_t i = 0; d != NULL && i < KEEP; i++) {
		struct kept *k = &d->kept[i];

		if (k->text == NULL)
			continue;
		common(k->text, k->len, text, len, &pre, &suf);
		if (pre + suf > best) {
			best = pre + suf;
			bp = pre;
			bs = suf;
			base = k;
		}
	}
	if (base != NULL && best >= DELTA_MIN && best >= len / 4) {
		fprintf(f, "<script type=\"text/x-cxrec-delta\" id=\"j%lu\" "
		    "data-base=\"j%lu\" data-p=\"%zu\" data-s=\"%zu\">", id,
		    base->id, units(text, bp), units(text + len - bs, bs));
		fwrite(text + bp, 1, len - bp - bs, f);
	} else {
		fprintf(f, "<script type=\"application/json\" id=\"j%lu\">",
		    id);
		fwrite(text, 1, len, f);
	}
	fputs("</script>", f);
	if (d == NULL || len > KEEP_MAX) {
		drop(d, text, lent);
		return;
	}
	drop(d, d->kept[d->next].text, d->kept[d->next].lent);
	d->kept[d->next] = (struct kept){ id, text, len, lent };
	d->next = (d->next + 1) % KEEP;
}
