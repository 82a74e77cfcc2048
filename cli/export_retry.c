/* export_retry.c: backoff for a destination that does not answer
 * (export_retry.h). */
#include <inttypes.h>
#include <stdio.h>
#include <time.h>

#include "export_retry.h"
#include "trace.h"

void
cx_retry_init(struct cx_retry *r, volatile sig_atomic_t *stop)
{
	r->stop = stop;
	r->delay = 0;
	r->since = 0;
	r->attempts = 0;
}

static int
stopping(const struct cx_retry *r)
{
	return r->stop != NULL && *r->stop;
}

int
cx_retry_wait(struct cx_retry *r, const char *why)
{
	int64_t end;

	if (stopping(r))
		return -1;
	if (r->delay == 0) {
		fprintf(stderr, "cxrec: export: %s: retrying (nothing is "
		    "lost: the trace holds it)\n", why);
		r->delay = CX_RETRY_FIRST_NS;
		r->since = cx_now_ns();
	}
	r->attempts++;
	/* In short sleeps: a signal may come between the check and one. */
	end = cx_now_ns() + r->delay;
	while (!stopping(r) && cx_now_ns() < end) {
		struct timespec ts = { 0, 50 * 1000000 };

		nanosleep(&ts, NULL);
	}
	r->delay *= 2;
	if (r->delay > CX_RETRY_MAX_NS)
		r->delay = CX_RETRY_MAX_NS;
	return stopping(r) ? -1 : 0;
}

void
cx_retry_ok(struct cx_retry *r, const char *what)
{
	if (r->delay == 0)
		return;
	fprintf(stderr, "cxrec: export: %s answers again after %.1f s (%"
	    PRIu64 " attempts)\n", what != NULL ? what : "the destination",
	    (double)(cx_now_ns() - r->since) / 1e9, r->attempts);
	r->delay = 0;
	r->attempts = 0;
}
