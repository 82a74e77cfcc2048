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

/* One byte of a JSON string's inside, escaped, into e; its length. */
static size_t
esc_byte(unsigned char c, char e[7])
{
	switch (c) {
	case '"':  memcpy(e, "\\\"", 2); return 2;
	case '\\': memcpy(e, "\\\\", 2); return 2;
	case '\n': memcpy(e, "\\n", 2); return 2;
	case '\r': memcpy(e, "\\r", 2); return 2;
	case '\t': memcpy(e, "\\t", 2); return 2;
	default:
		if (c < 0x20 || c == 0x7f) {
			snprintf(e, 7, "\\u%04x", c);
			return 6;
		}
		e[0] = (char)c;
		return 1;
	}
}

/*
 * A quoted, escaped string, cut with "..." where it does not fit (after
 * keeping tail more bytes free): 0 whole, 1 cut, -1 (nothing written)
 * if not even "..." fits.
 */
static int
put_string(struct cx_jobj *j, const char *s, size_t n, size_t tail)
{
	char e[7];
	size_t i, el, need = 2;

	for (i = 0; i < n; i++)
		need += esc_byte((unsigned char)s[i], e);
	if (room(j, need + tail)) {
		put(j, "\"", 1);
		for (i = 0; i < n; i++)
			put(j, e, esc_byte((unsigned char)s[i], e));
		put(j, "\"", 1);
		return 0;
	}
	if (!room(j, 5 + tail))
		return -1;
	put(j, "\"", 1);
	for (i = 0; i < n; i++) {
		el = esc_byte((unsigned char)s[i], e);
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
