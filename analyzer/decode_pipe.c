/*
 * decode_pipe.c: the format on a thread of its own (decode_int.h).
 *
 * Reading the trace and reassembling its exchanges (the reader's CRCs,
 * the HTTP parsers, bodies decoded) is one stage; writing an exchange out
 * in the format is the other.  On two cores they run side by side: the
 * caller's thread reads and hands over each exchange as it settles, in
 * order; this thread writes them, in that order, and frees them.  The
 * output is the one of a single thread: the format sees the same
 * exchanges in the same order, and whatever else of the analysis it reads
 * (the notes, the processes, the names redacted) the caller changes only
 * once every exchange handed over before is written (decode_pipe_drain).
 *
 * Freed where allocated: glibc's free() of a block another thread's arena
 * holds takes that arena's lock, which the reading thread holds most of
 * the time it allocates (it allocates every exchange); on two busy threads
 * they met thousands of times a second (a futex wait each, both threads
 * stalled).  The writer leaves each exchange written in a list of its
 * own, and the caller's thread frees them when it next hands one over
 * (or waits, or asks whether the writer is busy).
 *
 * Memory: the exchanges waiting or written and not yet freed, at most
 * PIPE_BYTES of bodies, events and messages (and always one, whatever
 * its size), on top of what the analysis holds.
 */
#include <pthread.h>
#include <stdlib.h>

#include "decode_int.h"
#include "output.h"
#include "xmalloc.h"

#define PIPE_BYTES      (4u << 20)
#define PIPE_SLOTS      1024
#define PIPE_EX_COST    1024            /* heads, fields: per exchange */
/* The writer is woken for this many exchanges (or bytes) at a time: a
 * wake-up an exchange cost more than small exchanges take to write. */
#define PIPE_BATCH      32
#define PIPE_BATCH_BYTES (1u << 20)
/* The writer is behind (busy, and this many exchanges or half the bytes
 * waiting): the reader may take some of its work (decode_pipe_busy). */
#define PIPE_BEHIND     8

struct decode_pipe {
	const struct cx_out_format *fmt;
	void            *st;
	pthread_t        thread;
	pthread_mutex_t  mu;
	pthread_cond_t   more;          /* to the writer: an exchange, or stop */
	pthread_cond_t   room;          /* to the reader: room, or drained */
	struct {
		struct cx_exchange *ex;
		int              pass;
		uint64_t         cost;
	}                q[PIPE_SLOTS];
	size_t           head;          /* the next to write */
	size_t           n;             /* waiting, or being written */
	uint64_t         bytes;         /* their cost */
	int              stop;
	int              idle;          /* the writer waits for more */
	int              waiting;       /* the reader waits for room */
	/* Written, for the reader to free: the writer fills one list, the
	 * reader takes it and frees its exchanges while the writer fills
	 * the other (no list allocated by one thread and freed by the
	 * other). */
	struct cx_exchange *done[2][PIPE_SLOTS];
	int              dcur;          /* the list being filled */
	size_t           ndone;
};

/* The exchanges written, taken out of the list (p->mu held); the caller
 * frees them with free_done once it has let go of the lock. */
static struct cx_exchange **
take_done(struct decode_pipe *p, size_t *n)
{
	struct cx_exchange **d = p->done[p->dcur];

	*n = p->ndone;
	if (p->ndone > 0) {
		p->dcur ^= 1;
		p->ndone = 0;
	}
	return d;
}

static void
free_done(struct cx_exchange **d, size_t n)
{
	for (size_t i = 0; i < n; i++)
		cx_exchange_free(d[i]);
}

static void *
writer(void *arg)
{
	struct decode_pipe *p = arg;

	pthread_mutex_lock(&p->mu);
	for (;;) {
		struct cx_exchange *ex;
		int pass;
		uint64_t cost;

		while (p->n == 0 && !p->stop) {
			p->idle = 1;
			pthread_cond_wait(&p->more, &p->mu);
			p->idle = 0;
		}
		if (p->n == 0)
			break;
		ex = p->q[p->head].ex;
		pass = p->q[p->head].pass;
		cost = p->q[p->head].cost;
		pthread_mutex_unlock(&p->mu);
		p->fmt->exchange(p->st, pass, ex);
		pthread_mutex_lock(&p->mu);
		/* At most PIPE_SLOTS written and not freed: the reader takes
		 * them before it hands over one more. */
		p->done[p->dcur][p->ndone++] = ex;
		p->head = (p->head + 1) % PIPE_SLOTS;
		p->n--;
		p->bytes -= cost;
		/* The reader, once there is room for several (or drained):
		 * not a wake-up an exchange. */
		if (p->waiting && (p->n == 0 || (p->n <= PIPE_SLOTS / 2 &&
		    p->bytes <= PIPE_BYTES / 2)))
			pthread_cond_signal(&p->room);
	}
	pthread_mutex_unlock(&p->mu);
	return NULL;
}

struct decode_pipe *
decode_pipe_new(const struct cx_out_format *fmt, void *st)
{
	struct decode_pipe *p = xcalloc(1, sizeof(*p));
	int rc;

	p->fmt = fmt;
	p->st = st;
	pthread_mutex_init(&p->mu, NULL);
	pthread_cond_init(&p->more, NULL);
	pthread_cond_init(&p->room, NULL);
	if ((rc = pthread_create(&p->thread, NULL, writer, p)) != 0) {
		pthread_cond_destroy(&p->more);
		pthread_cond_destroy(&p->room);
		pthread_mutex_destroy(&p->mu);
		free(p);
		return NULL;
	}
	return p;
}

void
decode_pipe_push(struct decode_pipe *p, int pass, struct cx_exchange *ex)
{
	uint64_t cost = cx_exchange_held(ex) + PIPE_EX_COST;
	struct cx_exchange **d;
	size_t nd;

	pthread_mutex_lock(&p->mu);
	while (p->n == PIPE_SLOTS || (p->n > 0 && p->bytes + cost >
	    PIPE_BYTES)) {
		if (p->idle)
			pthread_cond_signal(&p->more);
		p->waiting = 1;
		pthread_cond_wait(&p->room, &p->mu);
		p->waiting = 0;
	}
	d = take_done(p, &nd);
	p->q[(p->head + p->n) % PIPE_SLOTS].ex = ex;
	p->q[(p->head + p->n) % PIPE_SLOTS].pass = pass;
	p->q[(p->head + p->n) % PIPE_SLOTS].cost = cost;
	p->n++;
	p->bytes += cost;
	if (p->idle && (p->n >= PIPE_BATCH || p->bytes >= PIPE_BATCH_BYTES))
		pthread_cond_signal(&p->more);
	pthread_mutex_unlock(&p->mu);
	free_done(d, nd);
}

int
decode_pipe_busy(struct decode_pipe *p)
{
	struct cx_exchange **d;
	size_t nd;
	int busy;

	pthread_mutex_lock(&p->mu);
	busy = !p->idle && (p->n >= PIPE_BEHIND ||
	    p->bytes >= PIPE_BYTES / 2);
	d = take_done(p, &nd);
	pthread_mutex_unlock(&p->mu);
	free_done(d, nd);
	return busy;
}

void
decode_pipe_drain(struct decode_pipe *p)
{
	struct cx_exchange **d;
	size_t nd;

	pthread_mutex_lock(&p->mu);
	while (p->n > 0) {
		if (p->idle)
			pthread_cond_signal(&p->more);
		p->waiting = 1;
		pthread_cond_wait(&p->room, &p->mu);
		p->waiting = 0;
	}
	d = take_done(p, &nd);
	pthread_mutex_unlock(&p->mu);
	free_done(d, nd);
}

void
decode_pipe_free(struct decode_pipe *p)
{
	if (p == NULL)
		return;
	pthread_mutex_lock(&p->mu);
	p->stop = 1;
	pthread_cond_signal(&p->more);
	pthread_mutex_unlock(&p->mu);
	pthread_join(p->thread, NULL);
	free_done(p->done[p->dcur], p->ndone);
	pthread_cond_destroy(&p->more);
	pthread_cond_destroy(&p->room);
	pthread_mutex_destroy(&p->mu);
	free(p);
}
