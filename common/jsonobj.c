/* jsonobj.c: JSON objects built into a fixed buffer (jsonobj.h). */
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "jsonobj.h"

/* Room left for n more bytes, keeping the closers and the NUL. */
static int
room(const struct cx_jobj *j, size_t n)
{
	return j->len + n + (size_t)j->depth + 1 <= j->cap;
}

static void
put(struct cx_jobj *j, const char *s, size_t n)
{
	memcpy(j->p + j->len, s, n);
	j->len += n;
	j->p[j->len] = '\0';
}

/* The length of the UTF-8 sequence at s[0..n), or 0 if it is not one. */
static size_t
utf8_len(const unsigned char *s, size_t n)
{
	size_t k;
	uint32_t c;

	if (s[0] >= 0xc2 && s[0] <= 0xdf)
		k = 2, c = s[0] & 0x1f;
	else if (s[0] >= 0xe0 && s[0] <= 0xef)
		k = 3, c = s[0] & 0x0f;
	else if (s[0] >= 0xf0 && s[0] <= 0xf4)
		k = 4, c = s[0] & 0x07;
	else
		return 0;
	if (n < k)
		return 0;
	for (size_t i = 1; i < k; i++) {
		if ((s[i] & 0xc0) != 0x80)
			return 0;
		c = c << 6 | (s[i] & 0x3f);
	}
	/* overlong, surrogates, past U+10FFFF */
	if ((k == 3 && (c < 0x800 || (c >= 0xd800 && c <= 0xdfff))) ||
	    (k == 4 && (c < 0x10000 || c > 0x10ffff)))
		return 0;
	return k;
}

/*
 * The character at s[0..n), escaped, into e: its length; *adv: the bytes
 * it took.  A byte that is not part of valid UTF-8 becomes \u00XX (read
 * as Latin-1), so the result is always valid JSON and no byte is lost.
 */
static size_t
esc_char(const unsigned char *s, size_t n, char e[7], size_t *adv)
{
	size_t k;

	*adv = 1;
	switch (s[0]) {
	case '"':  memcpy(e, "\\\"", 2); return 2;
	case '\\': memcpy(e, "\\\\", 2); return 2;
	case '\n': memcpy(e, "\\n", 2); return 2;
	case '\r': memcpy(e, "\\r", 2); return 2;
	case '\t': memcpy(e, "\\t", 2); return 2;
	}
	if (s[0] < 0x20 || s[0] == 0x7f || (s[0] >= 0x80 &&
	    (k = utf8_len(s, n)) == 0)) {
		snprintf(e, 7, "\\u%04x", s[0]);
		return 6;
	}
	if (s[0] < 0x80) {
		e[0] = (char)s[0];
		return 1;
	}
	memcpy(e, s, k);
	*adv = k;
	return k;
}

/*
 * A quoted, escaped string, cut with "..." where it does not fit (after
 * keeping tail more bytes free): 0 whole, 1 cut, -1 (nothing written)
 * if not even "..." fits.  Cut between characters, never inside one.
 */
static int
put_string(struct cx_jobj *j, const char *str, size_t n, size_t tail)
{
	const unsigned char *s = (const unsigned char *)str;
	char e[7];
	size_t i, el, adv, need = 2;

	for (i = 0; i < n; i += adv)
		need += esc_char(s + i, n - i, e, &adv);
	if (room(j, need + tail)) {
		put(j, "\"", 1);
		for (i = 0; i < n; i += adv)
			put(j, e, esc_char(s + i, n - i, e, &adv));
		put(j, "\"", 1);
		return 0;
	}
	if (!room(j, 5 + tail))
		return -1;
	put(j, "\"", 1);
	for (i = 0; i < n; i += adv) {
		el = esc_char(s + i, n - i, e, &adv);
		if (!room(j, el + 4 + tail))
			break;
		put(j, e, el);
	}
	put(j, "...\"", 4);
	return 1;
}

/* The comma and the key before a value; 0, or -1 (nothing written). */
static int
member(struct cx_jobj *j, const char *key)
{
	size_t at = j->len;

	if (j->depth == 0 || j->skip > 0) {
		j->cut = 1;
		return -1;      /* ended, or inside a container left out */
	}
	if (!j->first) {
		if (!room(j, 1))
			goto none;
		put(j, ",", 1);
	}
	if (key != NULL) {
		/* keys are whole or not at all */
		if (put_string(j, key, strlen(key), 1) != 0)
			goto none;
		put(j, ":", 1);
	}
	return 0;
none:
	j->len = at;
	j->p[at] = '\0';
	j->cut = 1;
	return -1;
}

/* A member whose value is v[0..n), unescaped (or left out). */
static void
plain(struct cx_jobj *j, const char *key, const char *v, size_t n)
{
	size_t at = j->len;

	if (member(j, key) == -1)
		return;
	if (!room(j, n)) {
		j->len = at;
		j->p[at] = '\0';
		j->cut = 1;
		return;
	}
	put(j, v, n);
	j->first = 0;
}

void
cx_jobj_begin(struct cx_jobj *j, char *buf, size_t cap)
{
	memset(j, 0, sizeof(*j));
	j->p = buf;
	j->cap = cap;
	if (cap < 3) {
		if (cap > 0)
			buf[0] = '\0';
		j->cut = 1;
		return;
	}
	j->depth = 1;
	j->close[0] = '}';
	j->first = 1;
	put(j, "{", 1);
}

void
cx_jobj_strn(struct cx_jobj *j, const char *key, const char *s, size_t n)
{
	size_t at = j->len;
	int rc;

	if (s == NULL || member(j, key) == -1)
		return;
	if ((rc = put_string(j, s, n, 0)) == -1) {
		j->len = at;
		j->p[at] = '\0';
		j->cut = 1;
		return;
	}
	if (rc == 1)
		j->cut = 1;
	j->first = 0;
}

void
cx_jobj_str(struct cx_jobj *j, const char *key, const char *s)
{
	if (s != NULL)
		cx_jobj_strn(j, key, s, strlen(s));
}

void
cx_jobj_i64(struct cx_jobj *j, const char *key, int64_t v)
{
	char b[24];

	plain(j, key, b, (size_t)snprintf(b, sizeof(b), "%" PRId64, v));
}

void
cx_jobj_u64(struct cx_jobj *j, const char *key, uint64_t v)
{
	char b[24];

	plain(j, key, b, (size_t)snprintf(b, sizeof(b), "%" PRIu64, v));
}

void
cx_jobj_bool(struct cx_jobj *j, const char *key, int v)
{
	plain(j, key, v ? "true" : "false", v ? 4 : 5);
}

void
cx_jobj_raw(struct cx_jobj *j, const char *key, const char *json)
{
	if (json != NULL)
		plain(j, key, json, strlen(json));
}

static void
open_container(struct cx_jobj *j, const char *key, char open, char close)
{
	size_t at = j->len;

	/* left out: so is everything in it, up to its cx_jobj_close */
	if (j->depth >= CX_JOBJ_DEPTH || member(j, key) == -1) {
		j->skip++;
		j->cut = 1;
		return;
	}
	/* the opener and, from now on, its closer */
	if (!room(j, 2)) {
		j->len = at;
		j->p[at] = '\0';
		j->skip++;
		j->cut = 1;
		return;
	}
	put(j, &open, 1);
	j->close[j->depth++] = close;
	j->first = 1;
}

void
cx_jobj_object(struct cx_jobj *j, const char *key)
{
	open_container(j, key, '{', '}');
}

void
cx_jobj_array(struct cx_jobj *j, const char *key)
{
	open_container(j, key, '[', ']');
}

void
cx_jobj_close(struct cx_jobj *j)
{
	if (j->skip > 0) {
		j->skip--;
		return;
	}
	if (j->depth <= 1)
		return;         /* the outer object ends with cx_jobj_end */
	j->depth--;
	put(j, &j->close[j->depth], 1);
	j->first = 0;
}

size_t
cx_jobj_end(struct cx_jobj *j)
{
	while (j->depth > 0) {
		j->depth--;
		put(j, &j->close[j->depth], 1);
	}
	return j->len;
}
