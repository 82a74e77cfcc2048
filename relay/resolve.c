/* resolve.c: host names resolved in threads, cached per route (resolve.h). */
#include <errno.h>
#include <netdb.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "resolve.h"
#include "trace.h"
#include "xmalloc.h"

#define RESOLVE_TTL_NS  (60LL * 1000000000)
#define RESOLVE_FAIL_NS (1LL * 1000000000)     /* a failure stands this long */

enum { SLOT_IDLE, SLOT_RUNNING };

/* What a lookup thread hands back. */
struct done {
	int              ready;
	struct addrinfo *ai;            /* NULL: failed */
	char             err[400];
};

/*
 * Shared between the loop and the lookup threads, under lock.  refs: the
 * resolver itself plus one per running thread; the last one frees it.
 */
struct shared {
	pthread_mutex_t  lock;
	int              refs;
	int              orphaned;      /* the resolver is gone */
	int              notify_fd;
	int              nslots;
	struct done     *done;
};

struct slot {
	int              state;
	char             host[256];     /* what the slot holds */
	char             port[NI_MAXSERV];
	struct addr_list addrs;
	int              have;          /* addrs holds a result */
	int64_t          expires;
	char             err[400];      /* the last lookup failed: why */
	int64_t          fail_until;    /* report that failure until then */
};

struct resolver {
	struct shared   *sh;
	int              nslots;
	struct slot     *slots;
};

struct job {
	struct shared   *sh;
	int              slot;
	char             host[256];
	char             port[NI_MAXSERV];
};

static void
shared_unref(struct shared *sh)
{
	int last;

	pthread_mutex_lock(&sh->lock);
	last = --sh->refs == 0;
	pthread_mutex_unlock(&sh->lock);
	if (!last)
		return;
	for (int i = 0; i < sh->nslots; i++)
		if (sh->done[i].ai != NULL)
			freeaddrinfo(sh->done[i].ai);
	pthread_mutex_destroy(&sh->lock);
	free(sh->done);
	free(sh);
}

static void *
lookup(void *arg)
{
	struct job *j = arg;
	struct shared *sh = j->sh;
	struct addrinfo hints, *ai = NULL;
	char err[400] = "";
	int e;

	memset(&hints, 0, sizeof(hints));
	hints.ai_family = AF_UNSPEC;
	hints.ai_socktype = SOCK_STREAM;
	hints.ai_flags = AI_ADDRCONFIG;
	e = getaddrinfo(j->host, j->port, &hints, &ai);
	if (e == EAI_NONAME || e == EAI_ADDRFAMILY || e == EAI_NODATA) {
		/* AI_ADDRCONFIG hides loopback-only names on bare machines */
		hints.ai_flags = 0;
		e = getaddrinfo(j->host, j->port, &hints, &ai);
	}
	if (e != 0) {
		snprintf(err, sizeof(err), "cannot resolve %s: %s", j->host,
		    e == EAI_SYSTEM ? strerror(errno) : gai_strerror(e));
		ai = NULL;
	}
	pthread_mutex_lock(&sh->lock);
	if (sh->orphaned) {
		if (ai != NULL)
			freeaddrinfo(ai);
	} else {
		struct done *d = &sh->done[j->slot];
		if (d->ai != NULL)
			freeaddrinfo(d->ai);
		d->ai = ai;
		snprintf(d->err, sizeof(d->err), "%s", err);
		d->ready = 1;
		uint64_t one = 1;
		ssize_t n = write(sh->notify_fd, &one, sizeof(one));
		(void)n;        /* an eventfd only fails when full */
	}
	pthread_mutex_unlock(&sh->lock);
	shared_unref(sh);
	free(j);
	return NULL;
}

struct resolver *
resolver_new(int nslots, int notify_fd)
{
	struct resolver *res = xcalloc(1, sizeof(*res));

	res->nslots = nslots;
	res->slots = xcalloc((size_t)nslots, sizeof(*res->slots));
	res->sh = xcalloc(1, sizeof(*res->sh));
	pthread_mutex_init(&res->sh->lock, NULL);
	res->sh->refs = 1;
	res->sh->notify_fd = notify_fd;
	res->sh->nslots = nslots;
	res->sh->done = xcalloc((size_t)nslots, sizeof(*res->sh->done));
	return res;
}

void
resolver_free(struct resolver *res)
{
	if (res == NULL)
		return;
	pthread_mutex_lock(&res->sh->lock);
	res->sh->orphaned = 1;
	pthread_mutex_unlock(&res->sh->lock);
	shared_unref(res->sh);
	free(res->slots);
	free(res);
}

static void
copy_addrs(struct addr_list *out, const struct addrinfo *ai)
{
	out->n = 0;
	for (; ai != NULL && out->n < RESOLVE_MAX_ADDRS; ai = ai->ai_next) {
		if (ai->ai_addrlen > sizeof(out->a[0]))
			continue;
		memcpy(&out->a[out->n], ai->ai_addr, ai->ai_addrlen);
		out->len[out->n] = ai->ai_addrlen;
		out->n++;
	}
}

void
resolver_collect(struct resolver *res)
{
	struct shared *sh = res->sh;

	pthread_mutex_lock(&sh->lock);
	for (int i = 0; i < res->nslots; i++) {
		struct done *d = &sh->done[i];
		struct slot *s = &res->slots[i];

		if (!d->ready)
			continue;
		s->state = SLOT_IDLE;
		if (d->ai != NULL) {
			copy_addrs(&s->addrs, d->ai);
			freeaddrinfo(d->ai);
			d->ai = NULL;
			if (s->addrs.n > 0) {
				s->have = 1;
				s->expires = cx_now_ns() + RESOLVE_TTL_NS;
			} else {
				snprintf(s->err, sizeof(s->err), "no usable "
				    "address");
				s->fail_until = cx_now_ns() + RESOLVE_FAIL_NS;
			}
		} else {
			snprintf(s->err, sizeof(s->err), "%s", d->err);
			s->fail_until = cx_now_ns() + RESOLVE_FAIL_NS;
		}
		d->ready = 0;
	}
	pthread_mutex_unlock(&sh->lock);
}

/* Start a lookup thread for slot; 0, or -1 with err. */
static int
start(struct resolver *res, int slot, const char *host, const char *port,
    char *err, size_t errlen)
{
	struct job *j = xcalloc(1, sizeof(*j));
	pthread_attr_t attr;
	pthread_t t;
	int rc;

	j->sh = res->sh;
	j->slot = slot;
	snprintf(j->host, sizeof(j->host), "%s", host);
	snprintf(j->port, sizeof(j->port), "%s", port);
	pthread_mutex_lock(&res->sh->lock);
	res->sh->refs++;
	pthread_mutex_unlock(&res->sh->lock);
	pthread_attr_init(&attr);
	pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED);
	pthread_attr_setstacksize(&attr, 256 * 1024);
	rc = pthread_create(&t, &attr, lookup, j);
	pthread_attr_destroy(&attr);
	if (rc != 0) {
		shared_unref(res->sh);
		free(j);
		snprintf(err, errlen, "cannot start a name lookup: %s",
		    strerror(rc));
		return -1;
	}
	res->slots[slot].state = SLOT_RUNNING;
	snprintf(res->slots[slot].host, sizeof(res->slots[slot].host), "%s",
	    host);
	snprintf(res->slots[slot].port, sizeof(res->slots[slot].port), "%s",
	    port);
	return 0;
}

int
resolver_get(struct resolver *res, int slot, const char *host,
    const char *port, struct addr_list *out, char *err, size_t errlen)
{
	struct addrinfo hints, *ai;
	struct slot *s;

	if (slot < 0 || slot >= res->nslots) {
		snprintf(err, errlen, "no such route");
		return RESOLVE_FAIL;
	}
	s = &res->slots[slot];
	/* Address literals need no lookup. */
	memset(&hints, 0, sizeof(hints));
	hints.ai_socktype = SOCK_STREAM;
	hints.ai_flags = AI_NUMERICHOST | AI_NUMERICSERV;
	if (getaddrinfo(host, port, &hints, &ai) == 0) {
		copy_addrs(out, ai);
		freeaddrinfo(ai);
		return RESOLVE_OK;
	}
	/* What a slot cannot hold whole would never be found in it again. */
	if (strlen(host) >= sizeof(s->host) || strlen(port) >= sizeof(s->port)) {
		snprintf(err, errlen, "cannot resolve %.40s...: %s too long",
		    host, strlen(host) >= sizeof(s->host) ? "host name" : "port");
		return RESOLVE_FAIL;
	}
	int64_t now = cx_now_ns();
	if (s->host[0] != '\0' && (strcmp(s->host, host) != 0 ||
	    strcmp(s->port, port) != 0)) {
		/* Another host's slot: its lookup ends first, then ours. */
		if (s->state == SLOT_RUNNING)
			return RESOLVE_WAIT;
		s->have = 0;
		s->fail_until = 0;
	}
	if (s->have) {
		/* Stale: still used, and refreshed behind it. */
		if (now > s->expires && now >= s->fail_until &&
		    s->state == SLOT_IDLE)
			start(res, slot, host, port, err, errlen);
		*out = s->addrs;
		return RESOLVE_OK;
	}
	if (s->state == SLOT_IDLE && now < s->fail_until) {
		/* Everyone waiting hears of the failure; later, try again. */
		snprintf(err, errlen, "%s", s->err);
		return RESOLVE_FAIL;
	}
	if (s->state == SLOT_IDLE && start(res, slot, host, port, err,
	    errlen) == -1)
		return RESOLVE_FAIL;
	return RESOLVE_WAIT;
}
