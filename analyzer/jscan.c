/* jscan.c: a plain JSON object's members by a scan (jscan.h). */
#include <string.h>

#include "jscan.h"

struct scan {
	const char      *p;
	size_t           n, i;
};

static void
blanks(struct scan *s)
{
	while (s->i < s->n && (s->p[s->i] == ' ' || s->p[s->i] == '\t' ||
	    s->p[s->i] == '\n' || s->p[s->i] == '\r'))
		s->i++;
}

/* The string at s->i (its quote): its text's offset and length; no NUL,
 * no escape but \b \f \n \r \t \" \\ \/. */
static int
string(struct scan *s, size_t *from, size_t *len)
{
	size_t i;

	*from = s->i + 1;
	for (i = *from; i < s->n; i++) {
		char c = s->p[i];

		if (c == '"') {
			*len = i - *from;
			s->i = i + 1;
			return 1;
		}
		if (c == '\0')
			return 0;
		if (c == '\\') {
			if (i + 1 >= s->n || s->p[i + 1] == '\0' ||
			    strchr("bfnrt\"\\/", s->p[i + 1]) == NULL)
				return 0;
			i++;
		}
	}
	return 0;
}

/* A number as RFC 8259 says. */
static int
number(struct scan *s)
{
	size_t i = s->i, start = i;

	if (i < s->n && s->p[i] == '-')
		i++;
	if (i < s->n && s->p[i] == '0')
		i++;
	else if (i < s->n && s->p[i] >= '1' && s->p[i] <= '9')
		while (i < s->n && s->p[i] >= '0' && s->p[i] <= '9')
			i++;
	else
		return 0;
	if (i < s->n && s->p[i] == '.') {
		if (++i >= s->n || s->p[i] < '0' || s->p[i] > '9')
			return 0;
		while (i < s->n && s->p[i] >= '0' && s->p[i] <= '9')
			i++;
	}
	if (i < s->n && (s->p[i] == 'e' || s->p[i] == 'E')) {
		i++;
		if (i < s->n && (s->p[i] == '+' || s->p[i] == '-'))
			i++;
		if (i >= s->n || s->p[i] < '0' || s->p[i] > '9')
			return 0;
		while (i < s->n && s->p[i] >= '0' && s->p[i] <= '9')
			i++;
	}
	if (i - start > 30)
		return 0;
	s->i = i;
	return 1;
}

static int
literal(struct scan *s, const char *w)
{
	size_t k = strlen(w);

	if (s->n - s->i < k || memcmp(s->p + s->i, w, k) != 0)
		return 0;
	s->i += k;
	return 1;
}

static int value(struct scan *s, int depth, enum cx_jscan_type *type,
    size_t *from, size_t *len);

/* The object or array at s->i; at depth 1, the wanted members. */
static int
container(struct scan *s, int depth, struct cx_jscan_member *m, size_t nm)
{
	int obj = s->p[s->i] == '{';
	char close = obj ? '}' : ']';

	if (depth > CX_JSCAN_DEPTH)
		return 0;
	s->i++;
	blanks(s);
	if (s->i < s->n && s->p[s->i] == close) {
		s->i++;
		return 1;
	}
	for (;;) {
		enum cx_jscan_type type;
		size_t kfrom = 0, klen = 0, from, len;

		blanks(s);
		if (obj) {
			if (s->i >= s->n || s->p[s->i] != '"' ||
			    !string(s, &kfrom, &klen))
				return 0;
			blanks(s);
			if (s->i >= s->n || s->p[s->i] != ':')
				return 0;
			s->i++;
			blanks(s);
		}
		if (!value(s, depth, &type, &from, &len))
			return 0;
		/* A key with an escape is none of the keys wanted. */
		for (size_t k = 0; obj && k < nm; k++)
			if (m[k].type == CX_JS_NONE && strlen(m[k].key) ==
			    klen && memcmp(m[k].key, s->p + kfrom, klen) == 0) {
				m[k].type = type;
				m[k].raw = s->p + from;
				m[k].len = len;
			}
		blanks(s);
		if (s->i >= s->n)
			return 0;
		if (s->p[s->i] == ',') {
			s->i++;
			continue;
		}
		if (s->p[s->i] != close)
			return 0;
		s->i++;
		return 1;
	}
}

static int
value(struct scan *s, int depth, enum cx_jscan_type *type, size_t *from,
    size_t *len)
{
	size_t start = s->i;

	if (s->i >= s->n)
		return 0;
	*from = start;
	*type = CX_JS_OTHER;
	switch (s->p[s->i]) {
	case '"':
		*type = CX_JS_STRING;
		return string(s, from, len);
	case '{':
	case '[':
		if (!container(s, depth + 1, NULL, 0))
			return 0;
		break;
	case 't':
		if (!literal(s, "true"))
			return 0;
		break;
	case 'f':
		if (!literal(s, "false"))
			return 0;
		break;
	case 'n':
		if (!literal(s, "null"))
			return 0;
		break;
	default:
		*type = CX_JS_NUMBER;
		if (!number(s))
			return 0;
		break;
	}
	*len = s->i - start;
	return 1;
}

int
cx_jscan_object(const char *p, size_t n, struct cx_jscan_member *m,
    size_t nm)
{
	struct scan s = { p, n, 0 };

	for (size_t k = 0; k < nm; k++) {
		m[k].type = CX_JS_NONE;
		m[k].raw = NULL;
		m[k].len = 0;
	}
	blanks(&s);
	if (s.i >= s.n || s.p[s.i] != '{')
		return 0;
	return container(&s, 1, m, nm);
}

void
cx_jscan_string(struct cx_buf *b, const struct cx_jscan_member *m)
{
	const char *p = m->raw, *end = m->raw + m->len;

	cx_buf_reset(b);
	while (p < end) {
		const char *q = memchr(p, '\\', (size_t)(end - p));
		char c;

		if (q == NULL) {
			cx_buf_add(b, p, (size_t)(end - p));
			break;
		}
		cx_buf_add(b, p, (size_t)(q - p));
		switch (q[1]) {
		case 'b': c = '\b'; break;
		case 'f': c = '\f'; break;
		case 'n': c = '\n'; break;
		case 'r': c = '\r'; break;
		case 't': c = '\t'; break;
		default: c = q[1]; break;       /* " \ / */
		}
		cx_buf_addc(b, c);
		p = q + 2;
	}
	cx_buf_addc(b, '\0');
	b->len--;
}

int
cx_jscan_uint(const struct cx_jscan_member *m, long *v)
{
	long x = 0;

	if (m->type != CX_JS_NUMBER || m->len == 0 || m->len > 9 ||
	    (m->raw[0] == '0' && m->len > 1))
		return 0;
	for (size_t i = 0; i < m->len; i++) {
		if (m->raw[i] < '0' || m->raw[i] > '9')
			return 0;
		x = x * 10 + (m->raw[i] - '0');
	}
	*v = x;
	return 1;
}
