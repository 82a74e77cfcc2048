/* procs.c: processes, and the connect/open join (see procs.h). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "procs.h"
#include "xmalloc.h"

#define NBUCKETS        1024

/* One half of a join, waiting for the other. */
struct half {
	uint64_t         key;           /* hash of "client|server" */
	char            *text;          /* "client|server" */
	int64_t          ts;
	uint8_t          source;        /* opens */
	uint64_t         conn;
	uint32_t         pid;           /* connects */
	uint32_t         tid;
	char             comm[17];
};

/* A ring of halves: the oldest goes when a new one needs the room. */
struct ring {
	struct half      h[CX_PROCS_PENDING];
	size_t           head;          /* next slot to fill */
	size_t           n;
};

struct pnode {
	struct pnode    *next;
	struct cx_proc   p;
};

struct cx_procs {
	cx_procs_join_fn fn;
	void            *arg;
	struct pnode    *buckets[NBUCKETS];
	struct cx_proc **all;           /* in order of first sight */
	size_t           n;
	size_t           a;
	struct ring      opens;
	struct ring      connects;
};

struct cx_procs *
cx_procs_new(cx_procs_join_fn fn, void *arg)
{
	struct cx_procs *t = xcalloc(1, sizeof(*t));

	t->fn = fn;
	t->arg = arg;
	return t;
}

static void
ring_clear(struct ring *r)
{
	for (size_t i = 0; i < CX_PROCS_PENDING; i++) {
		free(r->h[i].text);
		r->h[i].text = NULL;
	}
	r->n = 0;
}

void
cx_procs_free(struct cx_procs *t)
{
	if (t == NULL)
		return;
	for (size_t b = 0; b < NBUCKETS; b++)
		while (t->buckets[b] != NULL) {
			struct pnode *n = t->buckets[b];

			t->buckets[b] = n->next;
			free(n->p.comm);
			free(n->p.exe);
			free(n->p.argv);
			free(n);
		}
	free(t->all);
	ring_clear(&t->opens);
	ring_clear(&t->connects);
	free(t);
}

struct cx_proc *
cx_procs_get(const struct cx_procs *t, uint32_t pid)
{
	for (struct pnode *n = t->buckets[pid % NBUCKETS]; n != NULL;
	    n = n->next)
		if (n->p.pid == pid)
			return &n->p;
	return NULL;
}

struct cx_proc *
cx_procs_add(struct cx_procs *t, uint32_t pid)
{
	struct cx_proc *p = cx_procs_get(t, pid);
	struct pnode *n;

	if (p != NULL)
		return p;
	n = xcalloc(1, sizeof(*n));
	n->p.pid = pid;
	n->next = t->buckets[pid % NBUCKETS];
	t->buckets[pid % NBUCKETS] = n;
	if (t->n == t->a) {
		t->a = t->a ? 2 * t->a : 64;
		t->all = xreallocarray(t->all, t->a, sizeof(*t->all));
	}
	t->all[t->n++] = &n->p;
	return &n->p;
}

size_t
cx_procs_count(const struct cx_procs *t)
{
	return t->n;
}

const struct cx_proc *
cx_procs_at(const struct cx_procs *t, size_t i)
{
	return i < t->n ? t->all[i] : NULL;
}

int
cx_procs_descends(const struct cx_procs *t, uint32_t pid, uint32_t ancestor)
{
	/* Bounded: a cycle in bad data must not loop forever. */
	for (int depth = 0; pid != 0 && depth < 1024; depth++) {
		const struct cx_proc *p;

		if (pid == ancestor)
			return 1;
		if ((p = cx_procs_get(t, pid)) == NULL)
			return 0;
		pid = p->ppid;
	}
	return 0;
}

/* --- the join ---------------------------------------------------------- */

/*
 * "1.2.3.4:80" for "[::ffff:1.2.3.4]:80": writers may see one connection
 * from either side of a dual-stack socket.
 */
static void
norm(char *out, size_t len, const char *addr)
{
	static const char mapped[] = "[::ffff:";
	const char *close;

	if (strncmp(addr, mapped, sizeof(mapped) - 1) == 0 &&
	    (close = strchr(addr, ']')) != NULL &&
	    memchr(addr, '.', (size_t)(close - addr)) != NULL) {
		size_t n = (size_t)(close - addr) - (sizeof(mapped) - 1);

		if (n >= len)
			n = len - 1;
		memcpy(out, addr + sizeof(mapped) - 1, n);
		snprintf(out + n, len - n, "%s", close + 1);
		return;
	}
	snprintf(out, len, "%s", addr);
}

static uint64_t
hash(const char *s)
{
	uint64_t h = 0xcbf29ce484222325ull;

	for (; *s != '\0'; s++)
		h = (h ^ (uint8_t)*s) * 0x100000001b3ull;
	return h;
}

static char *
key_text(const char *client, const char *server)
{
	char a[128], b[128];

	norm(a, sizeof(a), client);
	norm(b, sizeof(b), server);
	return xasprintf("%s|%s", a, b);
}

/* The half in r for this key nearest in time to ts, taken out; or -1. */
static long
ring_take(struct ring *r, uint64_t key, const char *text, int64_t ts)
{
	long best = -1;
	int64_t bestd = 0;

	for (size_t k = 0; k < r->n; k++) {
		size_t i = (r->head + CX_PROCS_PENDING - 1 - k) %
		    CX_PROCS_PENDING;
		struct half *h = &r->h[i];
		int64_t d = h->ts > ts ? h->ts - ts : ts - h->ts;

		if (h->text == NULL || h->key != key ||
		    strcmp(h->text, text) != 0 || d > CX_PROCS_JOIN_NS)
			continue;
		if (best == -1 || d < bestd) {
			best = (long)i;
			bestd = d;
		}
	}
	return best;
}

static struct half *
ring_put(struct ring *r)
{
	struct half *h = &r->h[r->head];

	free(h->text);
	memset(h, 0, sizeof(*h));
	r->head = (r->head + 1) % CX_PROCS_PENDING;
	if (r->n < CX_PROCS_PENDING)
		r->n++;
	return h;
}

static void
ring_drop(struct half *h)
{
	free(h->text);
	h->text = NULL;                 /* a hole, skipped */
}

void
cx_procs_open(struct cx_procs *t, uint8_t source, uint64_t conn,
    const char *peer, const char *local, int64_t ts)
{
	char *text = key_text(peer, local);
	uint64_t key = hash(text);
	long i = ring_take(&t->connects, key, text, ts);
	struct half *h;

	if (i >= 0) {
		h = &t->connects.h[i];
		t->fn(t->arg, source, conn, h->pid, h->tid, h->comm);
		ring_drop(h);
		free(text);
		return;
	}
	h = ring_put(&t->opens);
	h->key = key;
	h->text = text;
	h->ts = ts;
	h->source = source;
	h->conn = conn;
}

void
cx_procs_connect(struct cx_procs *t, uint32_t pid, uint32_t tid,
    const char *comm, const char *src, const char *dst, int64_t ts)
{
	char *text = key_text(src, dst);
	uint64_t key = hash(text);
	long i = ring_take(&t->opens, key, text, ts);
	struct half *h;

	if (i >= 0) {
		h = &t->opens.h[i];
		t->fn(t->arg, h->source, h->conn, pid, tid, comm);
		ring_drop(h);
		free(text);
		return;
	}
	h = ring_put(&t->connects);
	h->key = key;
	h->text = text;
	h->ts = ts;
	h->pid = pid;
	h->tid = tid;
	snprintf(h->comm, sizeof(h->comm), "%s", comm ? comm : "");
}
