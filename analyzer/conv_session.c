/*
 * conv_session.c: sessions and new input (conv.h).
 *
 * A session is found by the turn's session key, else by its process and
 * API; within it, the thread whose previous turn the input repeats most.
 * A thread remembers
 * its previous turn only, as digests of its input and output items (agents send the output back as input next time): for each
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

/* Sessions remembered at most; past that they are forgotten and start
 * afresh (their numbers are not reused). */
#define MAX_SESSIONS    4096
/* Threads of a session remembered: its main conversation and the side
 * calls it interleaves (gemini-cli's router, Claude Code's small calls),
 * told apart by what their input repeats. */
#define MAX_THREADS     4

struct digest {
	uint8_t          d[16];
};

struct known {
	struct digest    id;
	struct digest    content;
	struct digest    loose;         /* content without the call id */
	int              has_id;
	int              derived;       /* its call id was made up */
};

struct thread {
	uint64_t         used;          /* when last used (turn counter) */
	struct known    *known;         /* its previous turn's items */
	size_t           nknown;
};

struct sess {
	char            *key;
	size_t           num;           /* its number, 1, 2, ... */
	struct thread    th[MAX_THREADS];
	size_t           nth;
};

struct cx_sessions {
	struct sess     *v;
	size_t           n;
	size_t           cap;
	size_t          *slot;          /* hash of keys: index + 1 */
	size_t           nslot;         /* a power of two, or 0 */
	size_t           numbered;      /* sessions numbered so far */
	uint64_t         clock;
	/* SHA-256 and a context, made once (digest): per item they cost
	 * more than the hashing. */
	EVP_MD          *sha;
	EVP_MD_CTX      *md;
};

struct cx_sessions *
cx_sessions_new(void)
{
	return xcalloc(1, sizeof(struct cx_sessions));
}

/* Forget every session (their keys and digests). */
static void
forget(struct cx_sessions *s)
{
	for (size_t i = 0; i < s->n; i++) {
		free(s->v[i].key);
		for (size_t j = 0; j < s->v[i].nth; j++)
			free(s->v[i].th[j].known);
	}
	s->n = 0;
	if (s->slot != NULL)
		memset(s->slot, 0, s->nslot * sizeof(*s->slot));
}

void
cx_sessions_free(struct cx_sessions *s)
{
	if (s == NULL)
		return;
	forget(s);
	free(s->v);
	free(s->slot);
	EVP_MD_CTX_free(s->md);
	EVP_MD_free(s->sha);
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
	if (s->n >= MAX_SESSIONS)
		forget(s);              /* memory stays bounded */
	if (s->n == s->cap) {
		s->cap = s->cap ? 2 * s->cap : 16;
		s->v = xreallocarray(s->v, s->cap, sizeof(*s->v));
	}
	i = s->n++;
	memset(&s->v[i], 0, sizeof(s->v[i]));
	s->v[i].key = xstrdup(key);
	s->v[i].num = ++s->numbered;
	sess_index(s, i);
	*is_new = 1;
	return i;
}

/* SHA-256 over parts separated by 0x1f, cut to 16 bytes. */
static struct digest
digest(struct cx_sessions *s, const char *const *part, const size_t *len,
    size_t n)
{
	unsigned char md[EVP_MAX_MD_SIZE];
	unsigned int mdlen = 0;
	struct digest h;
	int ok;

	if (s->md == NULL) {
		s->sha = EVP_MD_fetch(NULL, "SHA256", NULL);
		s->md = EVP_MD_CTX_new();
	}
	ok = s->sha != NULL && s->md != NULL &&
	    EVP_DigestInit_ex2(s->md, s->sha, NULL) == 1;
	for (size_t i = 0; ok && i < n; i++)
		ok = EVP_DigestUpdate(s->md, part[i], len[i]) == 1 &&
		    EVP_DigestUpdate(s->md, "\x1f", 1) == 1;
	if (!ok || EVP_DigestFinal_ex(s->md, md, &mdlen) != 1 ||
	    mdlen < sizeof(h.d))
		fatalx("SHA-256 failed");
	memcpy(h.d, md, sizeof(h.d));
	return h;
}

static size_t
slen(const char *s)
{
	return s != NULL ? strlen(s) : 0;
}

static struct known
identity(struct cx_sessions *s, const struct cx_item *it)
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
	k.content = digest(s, p, l, 4);
	/* An id the adapter made up or borrowed is no identity: such an
	 * item also matches by content without it (loose). */
	l[2] = 0;
	k.loose = digest(s, p, l, 4);
	k.derived = it->call_id_derived;
	memset(&k.id, 0, sizeof(k.id));
	k.has_id = it->id != NULL && *it->id != '\0';
	if (k.has_id) {
		p[1] = it->id;
		l[1] = strlen(it->id);
		k.id = digest(s, p, l, 2);
	}
	return k;
}

/*
 * An open-addressing table over the previous turn's digests (by content,
 * and by id): each input item is looked up in O(1), each remembered item
 * matched at most once (a history holds repeats).
 */
struct table {
	size_t          *slot;          /* index + 1 into known */
	size_t           mask;
};

static size_t
dhash(const struct digest *d)
{
	size_t h;

	memcpy(&h, d->d, sizeof(h));
	return h;
}

enum { BY_ID, BY_CONTENT, BY_LOOSE };

static const struct digest *
pick(const struct known *k, int by)
{
	return by == BY_ID ? &k->id : by == BY_CONTENT ? &k->content :
	    &k->loose;
}

static void
table_build(struct table *tb, const struct known *k, size_t n, int by)
{
	size_t sz = 16;

	while (sz < 2 * n + 2)
		sz *= 2;
	tb->slot = xcalloc(sz, sizeof(*tb->slot));
	tb->mask = sz - 1;
	for (size_t i = 0; i < n; i++) {
		const struct digest *d = pick(&k[i], by);
		size_t h;

		if (by == BY_ID && !k[i].has_id)
			continue;
		for (h = dhash(d) & tb->mask; tb->slot[h] != 0;
		    h = (h + 1) & tb->mask)
			;
		tb->slot[h] = i + 1;
	}
}

/*
 * An unused remembered item with the same digest as q; -1 if none.  By
 * BY_LOOSE only where one of the two has a made-up call id.
 */
static ssize_t
table_find(const struct table *tb, const struct known *k, const uint8_t *used,
    const struct known *q, int by)
{
	const struct digest *d = pick(q, by);

	for (size_t h = dhash(d) & tb->mask; tb->slot[h] != 0;
	    h = (h + 1) & tb->mask) {
		size_t i = tb->slot[h] - 1;

		if (!used[i] && memcmp(pick(&k[i], by)->d, d->d,
		    sizeof(d->d)) == 0 && (by != BY_LOOSE || q->derived ||
		    k[i].derived))
			return (ssize_t)i;
	}
	return -1;
}

/*
 * How many of the input items now[0..nin) the thread's previous turn
 * holds, each of its items matched once; with fresh set, each input
 * item's fresh flag is set too.
 */
static size_t
match(const struct thread *th, const struct known *now, size_t nin,
    struct cx_item *items)
{
	struct table by_id, by_content, by_loose;
	uint8_t *used = xcalloc(th->nknown ? th->nknown : 1, 1);
	size_t hits = 0;

	table_build(&by_id, th->known, th->nknown, BY_ID);
	table_build(&by_content, th->known, th->nknown, BY_CONTENT);
	table_build(&by_loose, th->known, th->nknown, BY_LOOSE);
	for (size_t j = 0; j < nin; j++) {
		ssize_t m = -1;

		if (now[j].has_id)
			m = table_find(&by_id, th->known, used, &now[j], BY_ID);
		if (m < 0)
			m = table_find(&by_content, th->known, used, &now[j],
			    BY_CONTENT);
		if (m < 0)
			m = table_find(&by_loose, th->known, used, &now[j],
			    BY_LOOSE);
		if (m >= 0) {
			used[m] = 1;
			hits++;
		}
		if (items != NULL)
			items[j].fresh = m < 0;
	}
	free(by_id.slot);
	free(by_content.slot);
	free(by_loose.slot);
	free(used);
	return hits;
}

size_t
cx_sessions_turn(struct cx_sessions *s, struct cx_turn *t, int *is_new)
{
	char key[64];
	const char *k = t->session;
	struct sess *se;
	struct thread *th = NULL;
	struct known *now;
	size_t i, n, nn = 0, best = 0;

	if (k == NULL) {
		snprintf(key, sizeof(key), "\x1fpid %u %s",
		    t->ex != NULL ? t->ex->pid : 0u, t->api ? t->api : "");
		k = key;
	}
	i = sess_get(s, k, is_new);
	se = &s->v[i];
	n = t->input.n + t->output.n;
	now = xcalloc(n ? n : 1, sizeof(*now));
	for (size_t j = 0; j < t->input.n; j++)
		now[nn++] = identity(s, &t->input.v[j]);
	for (size_t j = 0; j < t->output.n; j++)
		now[nn++] = identity(s, &t->output.v[j]);
	/*
	 * The thread this turn continues: the one whose previous turn holds
	 * most of its input (a side call, such as gemini-cli's router, is a
	 * thread of its own and does not break the main one's diff); ties
	 * go to the latest.
	 */
	for (size_t j = 0; j < se->nth; j++) {
		size_t h = match(&se->th[j], now, t->input.n, NULL);

		if (h > best || (h == best && h > 0 && th != NULL &&
		    se->th[j].used > th->used)) {
			best = h;
			th = &se->th[j];
		}
	}
	if (th == NULL) {
		/* Nothing known: a new thread (the least recently used one's
		 * place when all are taken); all its input is new. */
		if (se->nth < MAX_THREADS)
			th = &se->th[se->nth++];
		else {
			th = &se->th[0];
			for (size_t j = 1; j < se->nth; j++)
				if (se->th[j].used < th->used)
					th = &se->th[j];
			free(th->known);
		}
		memset(th, 0, sizeof(*th));
		for (size_t j = 0; j < t->input.n; j++)
			t->input.v[j].fresh = 1;
	} else
		match(th, now, t->input.n, t->input.v);
	th->used = ++s->clock;
	free(th->known);
	th->known = now;
	th->nknown = nn;
	return se->num;
}
