/*
 * out_ahead.c: exchanges rendered ahead on the reading thread (output.h).
 *
 * With the format on a thread of its own (decode_pipe.c) the reading
 * thread may have time to spare: where an exchange's rendering depends on
 * nothing but the exchange, it is rendered there, into memory, and the
 * format's thread writes it out in its turn.  Both threads take the
 * exchanges in the same order, so a FIFO pairs them up.  Which ones: those
 * put while the format's thread is behind, busy with an exchange and
 * several waiting (the caller says, cx_ahead_behind); the others are left
 * to it.  So the two threads share the work as their speeds say (each
 * thread's share varies with the trace and with what else the machine
 * runs), and with the format on the reading thread nothing is rendered
 * ahead.  The output is the same whichever thread renders an exchange.
 *
 * What the format's thread is done with goes back to the reading thread,
 * which made it, to be freed there (cx_ahead_done, and the text written
 * by cx_ahead_take): glibc's free() of another thread's block takes that
 * thread's arena lock, which the reading thread holds most of the time it
 * allocates (decode_pipe.c says more).
 *
 * Memory: the rendered text of the exchanges waiting in the pipe (a few
 * MiB of exchanges, decode_pipe.c), and of those written since the
 * reading thread last put or kept one.
 */
#include <pthread.h>
#include <stdlib.h>

#include "log.h"
#include "output.h"
#include "xmalloc.h"

struct ahead_item {
	uint64_t         id;
	char            *text;
	size_t           len;
	void            *extra;
	struct ahead_item *next;
};

struct cx_ahead {
	pthread_mutex_t  mu;
	struct ahead_item *head, *tail;
	struct ahead_item *done;        /* given back, to be freed */
	void           (*free_extra)(void *);
};

/* The reading thread's: is the format's thread behind? */
static _Thread_local int behind_now;

void
cx_ahead_behind(int behind)
{
	behind_now = behind;
}

int
cx_ahead_is_behind(void)
{
	return behind_now;
}

struct cx_ahead *
cx_ahead_new(void (*free_extra)(void *))
{
	struct cx_ahead *a = xcalloc(1, sizeof(*a));

	a->free_extra = free_extra;
	pthread_mutex_init(&a->mu, NULL);
	return a;
}

static void
free_items(struct cx_ahead *a, struct ahead_item *it)
{
	while (it != NULL) {
		struct ahead_item *next = it->next;

		if (it->extra != NULL && a->free_extra != NULL)
			a->free_extra(it->extra);
		free(it->text);
		free(it);
		it = next;
	}
}

void
cx_ahead_free(struct cx_ahead *a)
{
	if (a == NULL)
		return;
	free_items(a, a->head);
	free_items(a, a->done);
	pthread_mutex_destroy(&a->mu);
	free(a);
}

/* On the reading thread: what was given back, freed. */
static void
reap(struct cx_ahead *a)
{
	struct ahead_item *d;

	pthread_mutex_lock(&a->mu);
	d = a->done;
	a->done = NULL;
	pthread_mutex_unlock(&a->mu);
	free_items(a, d);
}

static void
give_back(struct cx_ahead *a, struct ahead_item *it)
{
	pthread_mutex_lock(&a->mu);
	it->next = a->done;
	a->done = it;
	pthread_mutex_unlock(&a->mu);
}

void
cx_ahead_done(struct cx_ahead *a, char *text, void *extra)
{
	struct ahead_item *it;

	if (text == NULL && extra == NULL)
		return;
	it = xcalloc(1, sizeof(*it));
	it->text = text;
	it->extra = extra;
	give_back(a, it);
}


static void
append(struct cx_ahead *a, struct ahead_item *it)
{
	pthread_mutex_lock(&a->mu);
	if (a->tail != NULL)
		a->tail->next = it;
	else
		a->head = it;
	a->tail = it;
	pthread_mutex_unlock(&a->mu);
}

void
cx_ahead_put(struct cx_ahead *a, const struct cx_exchange *ex,
    cx_ahead_render_fn render, void *arg)
{
	struct ahead_item *it;
	FILE *m;

	reap(a);
	if (!behind_now)
		return;
	it = xcalloc(1, sizeof(*it));
	it->id = ex->id;
	if ((m = open_memstream(&it->text, &it->len)) == NULL)
		fatalx("decode: out of memory");
	it->extra = render(m, arg, ex);
	if (fclose(m) != 0)
		fatalx("decode: out of memory");
	append(a, it);
}

void
cx_ahead_keep(struct cx_ahead *a, const struct cx_exchange *ex,
    cx_ahead_make_fn make, void *arg)
{
	struct ahead_item *it;

	reap(a);
	it = xcalloc(1, sizeof(*it));
	it->id = ex->id;
	it->extra = make(arg, ex);
	append(a, it);
}

/* The item rendered ahead for ex, taken out of the FIFO; or NULL. */
static struct ahead_item *
take(struct cx_ahead *a, const struct cx_exchange *ex)
{
	struct ahead_item *it;

	pthread_mutex_lock(&a->mu);
	it = a->head;
	if (it == NULL || it->id != ex->id) {
		pthread_mutex_unlock(&a->mu);
		return NULL;
	}
	a->head = it->next;
	if (a->head == NULL)
		a->tail = NULL;
	pthread_mutex_unlock(&a->mu);
	return it;
}

int
cx_ahead_take(struct cx_ahead *a, const struct cx_exchange *ex, FILE *f)
{
	struct ahead_item *it = take(a, ex);

	if (it == NULL)
		return 0;
	fwrite(it->text, 1, it->len, f);
	it->extra = NULL;
	give_back(a, it);
	return 1;
}

int
cx_ahead_get(struct cx_ahead *a, const struct cx_exchange *ex, char **text,
    size_t *len, void **extra)
{
	struct ahead_item *it = take(a, ex);

	if (it == NULL)
		return 0;
	*text = it->text;
	*len = it->len;
	*extra = it->extra;
	free(it);
	return 1;
}
