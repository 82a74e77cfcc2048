/*
 * report_timeline.c: the timeline's facts (report.h): a row an exchange
 * (its start, first byte and end, its status, its process's lane) and
 * the times of a WebSocket's first CX_REPORT_MAX_TICKS messages.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "output.h"
#include "procs.h"
#include "report_timeline.h"

static void *
grow(void *p, size_t n, size_t *a, size_t more, size_t size)
{
	if (n + more <= *a)
		return p;
	while (*a < n + more)
		*a = *a ? 2 * *a : 16;
	return xreallocarray(p, *a, size);
}

/* The lane of ex's process: found, added, or the lane of pid 0. */
static uint32_t
lane(struct cx_report *rep, const struct cx_exchange *ex)
{
	const char *comm = ex->comm;
	uint32_t pid = ex->pid;
	size_t i;

	if (comm == NULL && ex->proc != NULL)
		comm = ex->proc->comm;
	for (;;) {
		for (i = 0; i < rep->nlanes; i++)
			if (rep->lanes[i].pid == pid)
				break;
		if (i < rep->nlanes || pid == 0 ||
		    rep->nlanes < CX_REPORT_MAX_LANES - 1)
			break;
		pid = 0;                /* past the cap */
		comm = NULL;
	}
	if (i == rep->nlanes) {
		rep->lanes = xreallocarray(rep->lanes, rep->nlanes + 1,
		    sizeof(*rep->lanes));
		memset(&rep->lanes[i], 0, sizeof(rep->lanes[i]));
		rep->lanes[i].pid = pid;
		rep->nlanes++;
	}
	if (rep->lanes[i].comm == NULL && pid != 0 && comm != NULL)
		rep->lanes[i].comm = xstrdup(comm);
	rep->lanes[i].n++;
	return (uint32_t)i;
}

static float
after(const struct cx_exchange *ex, int64_t t)
{
	return t > ex->start ? (float)cx_ms(t - ex->start) : 0;
}

void
cx_report_timeline_add(struct cx_report *rep, const struct cx_exchange *ex,
    int32_t ep)
{
	struct cx_report_tlrow *r;
	int64_t end = ex->start;
	size_t k;

	rep->tl = grow(rep->tl, rep->ntl, &rep->atl, 1, sizeof(*rep->tl));
	r = &rep->tl[rep->ntl++];
	memset(r, 0, sizeof(*r));
	r->id = ex->id;
	r->start = ex->start;
	r->ep = ep;
	r->first_ms = -1;
	if (ex->has_req && ex->req.t_last > end)
		end = ex->req.t_last;
	if (ex->has_resp) {
		r->first_ms = after(ex, ex->resp.t_first);
		if (ex->resp.t_last > end)
			end = ex->resp.t_last;
		if (ex->resp.head_done && ex->resp.status > 0 &&
		    ex->resp.status < 1000)
			r->status = (int16_t)ex->resp.status;
	}
	r->error = ex->error != NULL;
	r->ws = ex->nws > 0;
	r->nws = ex->nws > UINT32_MAX ? UINT32_MAX : (uint32_t)ex->nws;
	k = ex->nws < CX_REPORT_MAX_TICKS ? ex->nws : CX_REPORT_MAX_TICKS;
	rep->ticks = grow(rep->ticks, rep->nticks, &rep->aticks, k,
	    sizeof(*rep->ticks));
	r->tick0 = (uint32_t)rep->nticks;
	r->nticks = (uint32_t)k;
	for (size_t i = 0; i < ex->nws; i++) {
		if (i < k)
			rep->ticks[rep->nticks++] = after(ex, ex->ws[i].ts);
		if (ex->ws[i].ts > end)
			end = ex->ws[i].ts;
	}
	r->end_ms = after(ex, end);
	r->lane = lane(rep, ex);
}

#define MAX_ANCESTRY    64      /* parents walked up, at most */

/* The lane of pid, or SIZE_MAX. */
static size_t
lane_of(const struct cx_report *rep, uint32_t pid)
{
	for (size_t i = 0; i < rep->nlanes; i++)
		if (rep->lanes[i].pid == pid && pid != 0)
			return i;
	return SIZE_MAX;
}

/* Lane j, then the lanes under it, into lane_order from *k. */
static void
place(struct cx_report *rep, size_t j, unsigned depth, uint8_t *done,
    size_t *k)
{
	done[j] = 1;
	rep->lanes[j].depth = depth;
	rep->lane_order[(*k)++] = j;
	for (size_t i = 0; i < rep->nlanes; i++)
		if (!done[i] && rep->lanes[i].parent == j)
			place(rep, i, depth + 1, done, k);
}

void
cx_report_timeline_tree(struct cx_report *rep)
{
	uint8_t *done;
	size_t k = 0, none = SIZE_MAX;

	free(rep->lane_order);
	rep->lane_order = xcalloc(rep->nlanes ? rep->nlanes : 1,
	    sizeof(*rep->lane_order));
	for (size_t j = 0; j < rep->nlanes; j++) {
		struct cx_report_lane *ln = &rep->lanes[j];
		const struct cx_proc *p = rep->procs != NULL && ln->pid != 0 ?
		    cx_procs_get(rep->procs, ln->pid) : NULL;

		ln->parent = SIZE_MAX;
		for (int up = 0; p != NULL && p->ppid != 0 && up < MAX_ANCESTRY;
		    up++) {
			if ((ln->parent = lane_of(rep, p->ppid)) != SIZE_MAX)
				break;
			p = cx_procs_get(rep->procs, p->ppid);
		}
		if (ln->parent == j)
			ln->parent = SIZE_MAX;
	}
	/* Depth first from the roots; what a cycle of parents leaves out
	 * (bad data), as roots after them; no known process last. */
	done = xcalloc(rep->nlanes ? rep->nlanes : 1, 1);
	for (int pass = 0; pass < 2; pass++)
		for (size_t j = 0; j < rep->nlanes; j++) {
			if (done[j])
				continue;
			if (rep->lanes[j].pid == 0) {
				none = j;
				continue;
			}
			if (pass == 0 && rep->lanes[j].parent != SIZE_MAX)
				continue;
			if (pass == 1)
				rep->lanes[j].parent = SIZE_MAX;
			place(rep, j, 0, done, &k);
		}
	if (none != SIZE_MAX)
		place(rep, none, 0, done, &k);
	free(done);
}

void
cx_report_timeline_free(struct cx_report *rep)
{
	free(rep->lane_order);
	for (size_t i = 0; i < rep->nlanes; i++)
		free(rep->lanes[i].comm);
	free(rep->lanes);
	free(rep->tl);
	free(rep->ticks);
}
