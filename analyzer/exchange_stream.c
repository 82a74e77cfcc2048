/*
 * exchange_stream.c: handing exchanges over as the trace goes
 * (cx_analysis_stream in exchange.h): each once nothing later can change
 * it or start before it.
 */
#include <stdint.h>
#include <stdlib.h>

#include "exchange_int.h"

#define STREAM_SLACK_NS         (2LL * 1000000000)      /* writers' skew */

/*
 * Can nothing later in the trace change ex?  Its connection is gone, or
 * both its messages are complete, no parser holds it, and it was last
 * touched before horizon.
 */
static int
settled(struct cx_analysis *a, const struct cx_exchange *ex, int64_t horizon)
{
	const struct conn *c = conn_find(a, ex->source, ex->conn);
	int64_t last;

	if (c == NULL)
		return 1;
	if (ex == c->creq || ex == c->cresp || ex == c->tunnel)
		return 0;
	if ((ex->has_req && !ex->req.complete) || !ex->has_resp ||
	    !ex->resp.complete)
		return 0;
	last = ex->req.t_last > ex->resp.t_last ? ex->req.t_last :
	    ex->resp.t_last;
	return last < horizon;
}

uint64_t
cx_exchange_held(const struct cx_exchange *ex)
{
	return cx_buf_used(&ex->req.body) + cx_buf_used(&ex->resp.body) +
	    ex->req.event_bytes + ex->resp.event_bytes + ex->ws_bytes;
}

/*
 * Hand over, in start order, every settled exchange that no unsettled or
 * future exchange can precede; at the end (all) every one.  Following a
 * live trace (a->live): every settled one, whatever is still open.  When
 * the exchanges waiting hold more than STREAM_HOLD_BYTES, those complete
 * go without waiting out the writers' skew (still in start order among
 * those the trace has shown).
 */
void
ex_stream_flush(struct cx_analysis *a, int all)
{
	int64_t horizon = all ? INT64_MAX : a->now - STREAM_SLACK_NS;
	int64_t limit;
	size_t n = 0, keep = 0;

	if (a->r.nex == 0)
		return;
	if (!all) {
		uint64_t bytes = 0;

		for (size_t i = 0; i < a->r.nex && bytes <= STREAM_HOLD_BYTES;
		    i++)
			bytes += cx_exchange_held(a->r.ex[i]);
		if (bytes > STREAM_HOLD_BYTES)
			horizon = INT64_MAX;
	}
	if (!all && a->live && a->clock - CX_FOLLOW_SLACK_NS > horizon)
		horizon = a->clock - CX_FOLLOW_SLACK_NS;
	limit = horizon;
	if (!all && a->live) {
		/* The settled ones to the front, then in start order. */
		for (size_t i = 0; i < a->r.nex; i++)
			if (settled(a, a->r.ex[i], horizon)) {
				struct cx_exchange *t = a->r.ex[n];

				a->r.ex[n++] = a->r.ex[i];
				a->r.ex[i] = t;
			}
		qsort(a->r.ex, n, sizeof(*a->r.ex), ex_cmp_start);
	} else {
		if (!all)
			for (size_t i = 0; i < a->r.nex; i++)
				if (!settled(a, a->r.ex[i], horizon) &&
				    a->r.ex[i]->start < limit)
					limit = a->r.ex[i]->start;
		/* Ready ones to the front, in start order. */
		qsort(a->r.ex, a->r.nex, sizeof(*a->r.ex), ex_cmp_start);
		for (n = 0; n < a->r.nex; n++) {
			struct cx_exchange *ex = a->r.ex[n];
			if (!all && (ex->start >= limit ||
			    !settled(a, ex, horizon)))
				break;
		}
	}
	for (size_t i = 0; i < n; i++) {
		struct cx_exchange *ex = a->r.ex[i];
		struct conn *c = conn_find(a, ex->source, ex->conn);

		if (c != NULL && ex->seq < c->nreqs && c->reqs[ex->seq] == ex)
			c->reqs[ex->seq] = NULL;
		ex_finalize(a, ex);
		ex->id = ++a->emitted;
		a->emit(a->emit_arg, ex);
		if (!a->emit_owns)
			exchange_free(ex);
	}
	for (size_t i = n; i < a->r.nex; i++)
		a->r.ex[keep++] = a->r.ex[i];
	a->r.nex = keep;
}

void
cx_analysis_stream(struct cx_analysis *a, cx_emit_fn fn, void *arg)
{
	a->emit = fn;
	a->emit_arg = arg;
	a->emit_owns = 0;
}

void
cx_analysis_stream_own(struct cx_analysis *a, cx_emit_fn fn, void *arg)
{
	cx_analysis_stream(a, fn, arg);
	a->emit_owns = 1;
}

void
cx_exchange_free(struct cx_exchange *ex)
{
	exchange_free(ex);
}

void
cx_analysis_caught_up(struct cx_analysis *a, int64_t now)
{
	a->live = 1;
	if (now > a->clock)
		a->clock = now;
	if (a->emit != NULL)
		ex_stream_flush(a, 0);
}
