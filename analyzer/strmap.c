/* strmap.c: bounded string map, open addressing (see strmap.h). */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "strmap.h"
#include "xmalloc.h"

struct slot {
	char            *key;           /* NULL: free */
	char            *value;
};

struct cx_strmap {
	struct slot     *slot;
	size_t           nslot;         /* a power of two, over 2 * max */
	size_t           n;
	size_t           max;
};

static size_t
hash(const char *s)
{
	uint64_t h = 0xcbf29ce484222325ull;

	for (; *s != '\0'; s++)
		h = (h ^ (uint8_t)*s) * 0x100000001b3ull;
	return (size_t)h;
}

struct cx_strmap *
cx_strmap_new(size_t max)
{
	struct cx_strmap *m = xcalloc(1, sizeof(*m));

	m->max = max > 0 ? max : 1;
	m->nslot = 16;
	while (m->nslot < 2 * m->max)
		m->nslot *= 2;
	m->slot = xcalloc(m->nslot, sizeof(*m->slot));
	return m;
}

/* Empty it: only the slots in use are visited, and none once all are. */
static void
clear(struct cx_strmap *m)
{
	for (size_t i = 0; i < m->nslot && m->n > 0; i++) {
		if (m->slot[i].key == NULL)
			continue;
		free(m->slot[i].key);
		free(m->slot[i].value);
		m->slot[i].key = m->slot[i].value = NULL;
		m->n--;
	}
}

void
cx_strmap_free(struct cx_strmap *m)
{
	if (m == NULL)
		return;
	clear(m);
	free(m->slot);
	free(m);
}

/* The slot holding key, or the free slot where it would go. */
static struct slot *
find(const struct cx_strmap *m, const char *key)
{
	size_t h = hash(key) & (m->nslot - 1);

	while (m->slot[h].key != NULL && strcmp(m->slot[h].key, key) != 0)
		h = (h + 1) & (m->nslot - 1);
	return &m->slot[h];
}

void
cx_strmap_put(struct cx_strmap *m, const char *key, const char *value)
{
	struct slot *s = find(m, key);

	if (s->key != NULL) {
		free(s->value);
		s->value = xstrdup(value);
		return;
	}
	if (m->n >= m->max) {
		clear(m);
		s = find(m, key);
	}
	s->key = xstrdup(key);
	s->value = xstrdup(value);
	m->n++;
}

const char *
cx_strmap_get(const struct cx_strmap *m, const char *key)
{
	const struct slot *s = find(m, key);

	return s->key != NULL ? s->value : NULL;
}

size_t
cx_strmap_count(const struct cx_strmap *m)
{
	return m->n;
}
