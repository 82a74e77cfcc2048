/*
 * conv_session.c: sessions and new input (conv.h).
 *
 * A session is found by the turn's session key, else by its process and
 * API.  It remembers its previous turn only, as digests of its input and
 * output items (agents send the output back as input next time): for each
 * item the first 16 bytes of the SHA-256 of its identity by id (when the
 * API gave one) and of its content (kind, role, name, call id, text), so
 * the traffic cannot make two items look the same, and memory does not
 * grow with the history.  An input item is not fresh when it matches one
 * of those, each matched at most once (a history holds repeats).
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/evp.h>

#include "conv.h"
#include "log.h"
#include "xmalloc.h"

struct digest {
	uint8_t          d[16];
};

struct known {
	struct digest    id;
	struct digest    content;
	int              has_id;
};

struct sess {
	char            *key;
	struct known    *known;         /* the previous turn's items */
	size_t           nknown;
};

struct cx_sessions {
	struct sess     *v;
	size_t           n;
	size_t           cap;
	size_t          *slot;          /* hash of keys: index + 1 */
	size_t           nslot;         /* a power of two, or 0 */
};

struct cx_sessions *
cx_sessions_new(void)
{
	return xcalloc(1, sizeof(struct cx_sessions));
}

void
cx_sessions_free(struct cx_sessions *s)
{
	if (s == NULL)
		return;
	for (size_t i = 0; i < s->n; i++) {
		free(s->v[i].key);
		free(s->v[i].known);
	}
	free(s->v);
	free(s->slot);
	free(s);
}

static size_t
key_hash(const char *k)
{
	size_t h = 14695981039346656037u;

	for (; *k != '\0'; k++)
		h = (h ^ (unsigned char)*k) * 1099511628211u;
	return h;
}

static void
sess_index(struct cx_sessions *s, size_t i)
{
	size_t h;

	if (2 * s->n > s->nslot) {
		size_t n = s->nslot ? s->nslot * 2 : 64;

		free(s->slot);
		s->slot = xcalloc(n, sizeof(*s->slot));
		s->nslot = n;
		for (size_t k = 0; k < s->n; k++)
			if (k != i)
				sess_index(s, k);
	}
	h = key_hash(s->v[i].key) & (s->nslot - 1);
	while (s->slot[h] != 0)
		h = (h + 1) & (s->nslot - 1);
	s->slot[h] = i + 1;
}

/* The session's index for key, added if new (*is_new says). */
static size_t
sess_get(struct cx_sessions *s, const char *key, int *is_new)
{
	size_t i;

	if (s->nslot > 0)
		for (size_t h = key_hash(key) & (s->nslot - 1); s->slot[h] != 0;
		    h = (h + 1) & (s->nslot - 1))
			if (strcmp(s->v[s->slot[h] - 1].key, key) == 0) {
				*is_new = 0;
				return s->slot[h] - 1;
			}
	if (s->n == s->cap) {
		s->cap = s->cap ? 2 * s->cap : 16;
		s->v = xreallocarray(s->v, s->cap, sizeof(*s->v));
	}
	i = s->n++;
	memset(&s->v[i], 0, sizeof(s->v[i]));
	s->v[i].key = xstrdup(key);
	sess_index(s, i);
	*is_new = 1;
	return i;
}

/* SHA-256 over parts separated by 0x1f, cut to 16 bytes. */
static struct digest
digest(const char *const *part, const size_t *len, size_t n)
{
	unsigned char md[EVP_MAX_MD_SIZE];
	unsigned int mdlen = 0;
	struct digest h;
	EVP_MD_CTX *c = EVP_MD_CTX_new();
	int ok = c != NULL && EVP_DigestInit_ex(c, EVP_sha256(), NULL) == 1;

	for (size_t i = 0; ok && i < n; i++)
		ok = EVP_DigestUpdate(c, part[i], len[i]) == 1 &&
		    EVP_DigestUpdate(c, "\x1f", 1) == 1;
	if (!ok || EVP_DigestFinal_ex(c, md, &mdlen) != 1 ||
	    mdlen < sizeof(h.d))
		fatalx("SHA-256 failed");
	EVP_MD_CTX_free(c);
	memcpy(h.d, md, sizeof(h.d));
	return h;
}

static size_t
slen(const char *s)
{
	return s != NULL ? strlen(s) : 0;
}

static struct known
identity(const struct cx_item *it)
{
	char kind[24];
	const char *p[6];
	size_t l[6];
	struct known k;

	snprintf(kind, sizeof(kind), "%d/%d", (int)it->kind, (int)it->role);
	p[0] = kind;
	l[0] = strlen(kind);
	p[1] = it->name ? it->name : "";
	l[1] = slen(it->name);
	p[2] = it->call_id ? it->call_id : "";
	l[2] = slen(it->call_id);
	p[3] = it->text ? it->text : "";
	l[3] = it->text ? it->len : 0;
	/* a tool call's result is the same result without its name */
	if (it->kind == CX_ITEM_TOOL_RESULT)
		l[1] = 0;
	k.content = digest(p, l, 4);
	memset(&k.id, 0, sizeof(k.id));
	k.has_id = it->id != NULL && *it->id != '\0';
	if (k.has_id) {
		p[1] = it->id;
		l[1] = strlen(it->id);
		k.id = digest(p, l, 2);
	}
	return k;
}

static int
same(const struct known *a, const struct known *b)
{
	if (a->has_id && b->has_id &&
	    memcmp(a->id.d, b->id.d, sizeof(a->id.d)) == 0)
		return 1;
	return memcmp(a->content.d, b->content.d, sizeof(a->content.d)) == 0;
}

size_t
cx_sessions_turn(struct cx_sessions *s, struct cx_turn *t, int *is_new)
{
	char key[64];
	const char *k = t->session;
	struct sess *se;
	struct known *now;
	uint8_t *used;
	size_t i, n, nn = 0;

	if (k == NULL) {
		snprintf(key, sizeof(key), "\x1fpid %u %s",
		    t->ex != NULL ? t->ex->pid : 0u, t->api ? t->api : "");
		k = key;
	}
	i = sess_get(s, k, is_new);
	se = &s->v[i];
	used = xcalloc(se->nknown ? se->nknown : 1, 1);
	n = t->input.n + t->output.n;
	now = xcalloc(n ? n : 1, sizeof(*now));
	for (size_t j = 0; j < t->input.n; j++) {
		struct cx_item *it = &t->input.v[j];

		now[nn] = identity(it);
		it->fresh = 1;
		for (size_t m = 0; m < se->nknown; m++)
			if (!used[m] && same(&se->known[m], &now[nn])) {
				used[m] = 1;
				it->fresh = 0;
				break;
			}
		nn++;
	}
	for (size_t j = 0; j < t->output.n; j++)
		now[nn++] = identity(&t->output.v[j]);
	free(used);
	free(se->known);
	se->known = now;
	se->nknown = nn;
	return i + 1;
}
