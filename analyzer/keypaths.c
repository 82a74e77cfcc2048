/* keypaths.c: the key paths of JSON documents (see keypaths.h). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bytebuf.h"
#include "exchange.h"
#include "json.h"
#include "keypaths.h"
#include "redact.h"
#include "scan.h"
#include "view.h"

/* What the text walk's buffers may keep between documents. */
#define KEEP_MAX        (64u << 10)

struct cx_keypaths {
	struct cx_keypath *v;
	size_t           n;
	size_t           alloc;
	size_t          *slot;          /* index + 1; 0: empty */
	uint64_t        *shash;         /* the hash of slot[j]'s path */
	size_t          *slen;          /* and its length */
	size_t           nslot;         /* a power of two */
	size_t           max;
	int              redact;
	uint64_t         docs;
	uint64_t         dropped;
	int              sorted;        /* slot[] no longer matches v[] */
	struct cx_buf    path, str;     /* the text walk's, kept between */
};

#define HASH0   14695981039346656037ull

/* FNV-1a of s[0..n) after what h hashed (HASH0: nothing). */
static uint64_t
hash_more(uint64_t h, const char *s, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		h ^= (uint8_t)s[i];
		h *= 1099511628211ull;
	}
	return h;
}

struct cx_keypaths *
cx_keypaths_new(size_t max_paths, int redact)
{
	struct cx_keypaths *kp = xcalloc(1, sizeof(*kp));

	kp->max = max_paths;
	kp->redact = redact;
	kp->nslot = 64;
	kp->slot = xcalloc(kp->nslot, sizeof(*kp->slot));
	kp->shash = xcalloc(kp->nslot, sizeof(*kp->shash));
	kp->slen = xcalloc(kp->nslot, sizeof(*kp->slen));
	cx_buf_init(&kp->path, 0);
	cx_buf_init(&kp->str, 0);
	return kp;
}

void
cx_keypaths_free(struct cx_keypaths *kp)
{
	if (kp == NULL)
		return;
	for (size_t i = 0; i < kp->n; i++) {
		free(kp->v[i].path);
		free(kp->v[i].example);
	}
	free(kp->v);
	free(kp->slot);
	free(kp->shash);
	free(kp->slen);
	cx_buf_free(&kp->path);
	cx_buf_free(&kp->str);
	free(kp);
}

static void
rehash(struct cx_keypaths *kp, size_t nslot)
{
	free(kp->slot);
	free(kp->shash);
	free(kp->slen);
	kp->nslot = nslot;
	kp->slot = xcalloc(nslot, sizeof(*kp->slot));
	kp->shash = xcalloc(nslot, sizeof(*kp->shash));
	kp->slen = xcalloc(nslot, sizeof(*kp->slen));
	for (size_t i = 0; i < kp->n; i++) {
		const char *p = kp->v[i].path;
		size_t n = strlen(p);
		uint64_t h = hash_more(HASH0, p, n);
		size_t j = h & (nslot - 1);

		while (kp->slot[j] != 0)
			j = (j + 1) & (nslot - 1);
		kp->slot[j] = i + 1;
		kp->shash[j] = h;
		kp->slen[j] = n;
	}
	kp->sorted = 0;
}

/* The entry for path[0..n) (whose hash_more is h), made if there is
 * room; NULL if not. */
static struct cx_keypath *
lookup_h(struct cx_keypaths *kp, const char *path, size_t n, uint64_t h)
{
	size_t j;

	if (kp->sorted)
		rehash(kp, kp->nslot);
	j = h & (kp->nslot - 1);
	while (kp->slot[j] != 0) {
		struct cx_keypath *e = &kp->v[kp->slot[j] - 1];

		if (kp->shash[j] == h && kp->slen[j] == n &&
		    memcmp(e->path, path, n) == 0)
			return e;
		j = (j + 1) & (kp->nslot - 1);
	}
	if (kp->max != 0 && kp->n >= kp->max)
		return NULL;
	if (kp->n == kp->alloc) {
		kp->alloc = kp->alloc ? kp->alloc * 2 : 32;
		kp->v = xreallocarray(kp->v, kp->alloc, sizeof(*kp->v));
	}
	memset(&kp->v[kp->n], 0, sizeof(kp->v[kp->n]));
	kp->v[kp->n].path = xmalloc(n + 1);
	memcpy(kp->v[kp->n].path, path, n);
	kp->v[kp->n].path[n] = '\0';
	kp->slot[j] = ++kp->n;
	kp->shash[j] = h;
	kp->slen[j] = n;
	if (kp->n * 2 > kp->nslot)
		rehash(kp, kp->nslot * 2);
	return &kp->v[kp->n - 1];
}

static struct cx_keypath *
lookup(struct cx_keypaths *kp, const char *path, size_t n)
{
	return lookup_h(kp, path, n, hash_more(HASH0, path, n));
}

static unsigned
type_of(const cJSON *v)
{
	if (cJSON_IsString(v))
		return CX_KT_STRING;
	if (cJSON_IsNumber(v))
		return CX_KT_NUMBER;
	if (cJSON_IsBool(v))
		return CX_KT_BOOLEAN;
	if (cJSON_IsNull(v))
		return CX_KT_NULL;
	if (cJSON_IsObject(v))
		return CX_KT_OBJECT;
	if (cJSON_IsArray(v))
		return CX_KT_ARRAY;
	return 0;
}

/* Cut s at about CX_KEYPATH_EXAMPLE characters (not inside UTF-8). */
static size_t
cut_len(const char *s, size_t n, int *cut)
{
	size_t i = 0, chars = 0, k;

	while (i < n && chars < CX_KEYPATH_EXAMPLE) {
		k = cx_utf8_seq((const uint8_t *)s + i, n - i);
		i += k ? k : 1;
		chars++;
	}
	*cut = i < n;
	return i;
}

/* The example for a string value s[0..n) (decoded, no NUL). */
static char *
example_str(const struct cx_keypaths *kp, const char *s, size_t n,
    int secret)
{
	struct cx_buf b, r;
	size_t k, len = 0;
	int cut;
	char *mem = NULL;
	FILE *ms;

	cx_buf_init(&b, 0);
	cx_buf_init(&r, 0);
	if (secret && n > 0)
		cx_buf_adds(&r, CX_REDACTED);
	else if (kp->redact)
		cx_redact_text(&r, s, n);
	else
		cx_buf_add(&r, s, n);
	k = cut_len((const char *)r.p, r.len, &cut);
	/* As a JSON string: quotes and newlines escaped. */
	if ((ms = open_memstream(&mem, &len)) != NULL) {
		cx_json_str(ms, (const char *)r.p, k);
		fclose(ms);
		cx_buf_add(&b, mem, len > 0 ? len - 1 : 0);
		cx_buf_adds(&b, cut ? "\xe2\x80\xa6\"" : "\"");
		free(mem);
	}
	cx_buf_free(&r);
	return cx_buf_take(&b);
}

static char *
example(const struct cx_keypaths *kp, const cJSON *v, int secret)
{
	struct cx_buf b;
	char *num;

	if (cJSON_IsString(v))
		return example_str(kp, v->valuestring,
		    strlen(v->valuestring), secret);
	cx_buf_init(&b, 0);
	if (secret && !cJSON_IsNull(v))
		cx_buf_adds(&b, CX_REDACTED);
	else if (cJSON_IsNumber(v) || cJSON_IsBool(v) || cJSON_IsNull(v)) {
		if ((num = cJSON_PrintUnformatted(v)) != NULL) {
			cx_buf_adds(&b, num);
			cJSON_free(num);
		}
	}
	return cx_buf_take(&b);
}

static int
ident(const char *k)
{
	if (!((*k >= 'a' && *k <= 'z') || (*k >= 'A' && *k <= 'Z') ||
	    *k == '_' || *k == '$'))
		return 0;
	for (k++; *k != '\0'; k++)
		if (!((*k >= 'a' && *k <= 'z') || (*k >= 'A' && *k <= 'Z') ||
		    (*k >= '0' && *k <= '9') || *k == '_' || *k == '$'))
			return 0;
	return 1;
}

/* `["k"]`: the key as a JSON string (valid UTF-8 whatever it holds). */
static void
quoted_key(struct cx_buf *path, const char *k)
{
	char *mem = NULL;
	size_t len = 0;
	FILE *ms = open_memstream(&mem, &len);

	if (ms == NULL)
		return;
	cx_json_str(ms, k, strlen(k));
	fclose(ms);
	cx_buf_addc(path, '[');
	cx_buf_add(path, mem, len);
	cx_buf_addc(path, ']');
	free(mem);
}

static void
walk(struct cx_keypaths *kp, struct cx_buf *path, const cJSON *v,
    int secret, int root)
{
	struct cx_keypath *e;
	const cJSON *c;
	size_t mark = path->len;

	if (!root || !(cJSON_IsObject(v) || cJSON_IsArray(v))) {
		e = lookup(kp, (const char *)path->p, path->len);
		if (e == NULL)
			kp->dropped++;
		else {
			e->types |= type_of(v);
			e->count++;
			if (e->example == NULL && !cJSON_IsObject(v) &&
			    !cJSON_IsArray(v))
				e->example = example(kp, v, secret);
		}
	}
	if (cJSON_IsArray(v)) {
		cJSON_ArrayForEach(c, v) {
			cx_buf_adds(path, "[]");
			walk(kp, path, c, secret, 0);
			path->len = mark;
			path->p[mark] = '\0';
		}
	} else if (cJSON_IsObject(v)) {
		cJSON_ArrayForEach(c, v) {
			const char *k = c->string ? c->string : "";

			if (ident(k)) {
				if (path->len > 0)
					cx_buf_addc(path, '.');
				cx_buf_adds(path, k);
			} else
				quoted_key(path, k);
			walk(kp, path, c, secret || (kp->redact &&
			    cx_redact_is_secret_key(k, strlen(k)) &&
			    !cJSON_IsNull(c)), 0);
			path->len = mark;
			path->p[mark] = '\0';
		}
	}
}

void
cx_keypaths_add(struct cx_keypaths *kp, const cJSON *doc)
{
	struct cx_buf path;

	if (doc == NULL)
		return;
	kp->docs++;
	cx_buf_init(&path, 0);
	cx_buf_addc(&path, 'x');        /* so that p is allocated */
	path.len = 0;
	path.p[0] = '\0';
	walk(kp, &path, doc, 0, 1);
	cx_buf_free(&path);
}

int
cx_keypaths_add_text(struct cx_keypaths *kp, const char *p, size_t n)
{
	cJSON *doc = cJSON_ParseWithLength(p, n);

	if (doc == NULL)
		return -1;
	cx_keypaths_add(kp, doc);
	cJSON_Delete(doc);
	return 0;
}

/*
 * The same walk over JSON text, without building a tree: most of the
 * report's time went to cJSON's allocations for big bodies.  The text is
 * valid JSON (cx_json_check) without \u escapes, so every string's
 * decoded form is what cJSON's would be (cJSON treats \u escapes its own
 * way: a lone surrogate fails the document, \u0000 ends a string; such
 * documents take the cJSON walk).
 */
struct tw {
	struct cx_keypaths *kp;
	const char      *p;
	size_t           n;
	size_t           i;
	struct cx_buf   *path;
	struct cx_buf   *str;           /* a decoded string */
};

static void
tw_ws(struct tw *w)
{
	while (w->i < w->n && (w->p[w->i] == ' ' || w->p[w->i] == '\t' ||
	    w->p[w->i] == '\n' || w->p[w->i] == '\r'))
		w->i++;
}

/* The string at w->i (its quote), decoded into w->str (NUL-terminated);
 * w->i past its closing quote. */
static void
tw_string(struct tw *w)
{
	const uint8_t *p = (const uint8_t *)w->p;
	size_t i = w->i + 1, from = i;

	cx_buf_reset(w->str);
	for (;;) {
		i = cx_scan(p, i, w->n, CX_SC_JSON);
		if (i >= w->n)
			break;
		if (p[i] == '"')
			break;
		if (p[i] != '\\') {
			i++;
			continue;
		}
		cx_buf_add(w->str, p + from, i - from);
		if (i + 1 >= w->n)
			break;
		switch (p[i + 1]) {
		case 'b': cx_buf_addc(w->str, '\b'); break;
		case 'f': cx_buf_addc(w->str, '\f'); break;
		case 'n': cx_buf_addc(w->str, '\n'); break;
		case 'r': cx_buf_addc(w->str, '\r'); break;
		case 't': cx_buf_addc(w->str, '\t'); break;
		default: cx_buf_addc(w->str, p[i + 1]); break;
		}
		i += 2;
		from = i;
	}
	if (i > w->n)
		i = w->n;
	cx_buf_add(w->str, p + from, i - from);
	cx_buf_addc(w->str, '\0');
	w->str->len--;
	w->i = i < w->n ? i + 1 : i;
}

/* The value at w->i, its path w->path (whose hash_more is h). */
static void
tw_value(struct tw *w, int secret, int root, uint64_t h)
{
	struct cx_keypaths *kp = w->kp;
	struct cx_buf *path = w->path;
	size_t mark = path->len, start;
	unsigned type;
	struct cx_keypath *e;
	char c;

	tw_ws(w);
	if (w->i >= w->n)
		return;
	c = w->p[w->i];
	type = c == '{' ? CX_KT_OBJECT : c == '[' ? CX_KT_ARRAY :
	    c == '"' ? CX_KT_STRING : c == 't' || c == 'f' ? CX_KT_BOOLEAN :
	    c == 'n' ? CX_KT_NULL : CX_KT_NUMBER;
	e = NULL;
	if (!root || (type != CX_KT_OBJECT && type != CX_KT_ARRAY)) {
		e = lookup_h(kp, (const char *)path->p, path->len, h);
		if (e == NULL)
			kp->dropped++;
		else {
			e->types |= type;
			e->count++;
			if (e->example != NULL || type == CX_KT_OBJECT ||
			    type == CX_KT_ARRAY)
				e = NULL;       /* no example to take */
		}
	}
	start = w->i;
	switch (type) {
	case CX_KT_STRING:
		tw_string(w);
		if (e != NULL)
			e->example = example_str(kp, (const char *)w->str->p,
			    w->str->len, secret);
		return;
	case CX_KT_BOOLEAN:
	case CX_KT_NULL:
	case CX_KT_NUMBER:
		/* a number or a literal: up to the next , ] } or blank */
		while (w->i < w->n && w->p[w->i] != ',' && w->p[w->i] != ']' &&
		    w->p[w->i] != '}' && w->p[w->i] != ' ' &&
		    w->p[w->i] != '\n' && w->p[w->i] != '\r' &&
		    w->p[w->i] != '\t')
			w->i++;
		if (e != NULL) {
			cJSON *v = cJSON_ParseWithLength(w->p + start,
			    w->i - start);

			if (v != NULL)
				e->example = example(kp, v, secret);
			cJSON_Delete(v);
		}
		return;
	case CX_KT_ARRAY:
		w->i++;
		tw_ws(w);
		if (w->i < w->n && w->p[w->i] == ']') {
			w->i++;
			return;
		}
		while (w->i < w->n) {
			cx_buf_add(path, "[]", 2);
			tw_value(w, secret, 0, hash_more(h, "[]", 2));
			path->len = mark;
			path->p[mark] = '\0';
			tw_ws(w);
			if (w->i < w->n && w->p[w->i] == ',') {
				w->i++;
				continue;
			}
			w->i++;         /* ] */
			return;
		}
		return;
	case CX_KT_OBJECT:
		w->i++;
		tw_ws(w);
		if (w->i < w->n && w->p[w->i] == '}') {
			w->i++;
			return;
		}
		while (w->i < w->n) {
			const char *k;
			int sec;

			tw_ws(w);
			tw_string(w);
			k = (const char *)w->str->p;
			tw_ws(w);
			w->i++;         /* : */
			tw_ws(w);
			if (ident(k)) {
				if (path->len > 0)
					cx_buf_addc(path, '.');
				cx_buf_add(path, k, w->str->len);
			} else
				quoted_key(path, k);
			sec = secret || (kp->redact &&
			    cx_redact_is_secret_key(k, w->str->len) &&
			    !(w->i < w->n && w->p[w->i] == 'n'));
			tw_value(w, sec, 0, hash_more(h, (const char *)path->p +
			    mark, path->len - mark));
			path->len = mark;
			path->p[mark] = '\0';
			tw_ws(w);
			if (w->i < w->n && w->p[w->i] == ',') {
				w->i++;
				continue;
			}
			w->i++;         /* } */
			return;
		}
		return;
	}
}

/* Does p[0..n) hold "\\u" (perhaps as an escaped backslash and a u)? */
static int
has_u_escape(const uint8_t *p, size_t n)
{
	size_t i = 0;

#if defined(__SSE2__)
	while (i + 17 <= n) {
		__m128i a = _mm_loadu_si128((const __m128i *)(const void *)
		    (p + i));
		__m128i b = _mm_loadu_si128((const __m128i *)(const void *)
		    (p + i + 1));

		if (_mm_movemask_epi8(_mm_and_si128(_mm_cmpeq_epi8(a,
		    _mm_set1_epi8('\\')), _mm_cmpeq_epi8(b,
		    _mm_set1_epi8('u')))) != 0)
			return 1;
		i += 16;
	}
#endif
	for (; i + 1 < n; i++)
		if (p[i] == '\\' && p[i + 1] == 'u')
			return 1;
	return 0;
}

void
cx_keypaths_add_json(struct cx_keypaths *kp, const char *p, size_t n)
{
	struct cx_buf *path;
	struct tw w;

	if (has_u_escape((const uint8_t *)p, n)) {
		cx_keypaths_add_text(kp, p, n);
		return;
	}
	kp->docs++;
	path = &kp->path;
	cx_buf_reset(path);
	cx_buf_addc(path, 'x');         /* so that p is allocated */
	path->len = 0;
	path->p[0] = '\0';
	memset(&w, 0, sizeof(w));
	w.kp = kp;
	w.p = p;
	w.n = n;
	w.path = path;
	w.str = &kp->str;
	tw_value(&w, 0, 1, HASH0);
	/* kept small: there is one a JSON event type */
	if (kp->str.alloc > KEEP_MAX || kp->path.alloc > KEEP_MAX) {
		cx_buf_free(&kp->str);
		cx_buf_free(&kp->path);
		cx_buf_init(&kp->str, 0);
		cx_buf_init(&kp->path, 0);
	}
}

uint64_t
cx_keypaths_docs(const struct cx_keypaths *kp)
{
	return kp->docs;
}

size_t
cx_keypaths_count(const struct cx_keypaths *kp)
{
	return kp->n;
}

static int
by_path(const void *a, const void *b)
{
	return strcmp(((const struct cx_keypath *)a)->path,
	    ((const struct cx_keypath *)b)->path);
}

void
cx_keypaths_sort(struct cx_keypaths *kp)
{
	if (kp->n > 1)
		qsort(kp->v, kp->n, sizeof(*kp->v), by_path);
	kp->sorted = 1;
}

const struct cx_keypath *
cx_keypaths_get(const struct cx_keypaths *kp, size_t i)
{
	return i < kp->n ? &kp->v[i] : NULL;
}

uint64_t
cx_keypaths_dropped(const struct cx_keypaths *kp)
{
	return kp->dropped;
}

void
cx_keypath_types(char *buf, size_t len, unsigned types)
{
	static const char *names[] = { "string", "number", "boolean", "null",
	    "object", "array" };
	size_t off = 0;

	if (len == 0)
		return;
	buf[0] = '\0';
	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
		if (!(types & (1u << i)))
			continue;
		snprintf(buf + off, len - off, "%s%s", off ? "|" : "",
		    names[i]);
		off += strlen(buf + off);
		if (off >= len - 1)
			break;
	}
}

void
cx_keypaths_add_body(struct cx_keypaths *kp, const struct cx_msg *m)
{
	struct cx_view v;

	cx_view_body(&v, m);
	if (v.kind == CX_VIEW_JSON)
		cx_keypaths_add_json(kp, (const char *)v.p, v.n);
	cx_view_free(&v);
}

int
cx_keypaths_body_json(const struct cx_msg *m)
{
	struct cx_view v;
	int json;

	cx_view_body(&v, m);
	json = v.kind == CX_VIEW_JSON;
	cx_view_free(&v);
	return json;
}

void
cx_keypaths_add_body_as(struct cx_keypaths *kp, const struct cx_msg *m,
    int json)
{
	struct cx_view v;

	if (!json)
		return;
	cx_view_decode(&v, m);
	if (v.kind == CX_VIEW_UNSET)
		cx_keypaths_add_json(kp, (const char *)v.p, v.n);
	cx_view_free(&v);
}
