/*
 * report_timeline.c: the timeline's facts (report.h): a row an exchange
 * (its start, first byte and end, its status, its process's lane) and
 * the times of a WebSocket's first CX_REPORT_MAX_TICKS messages.
 */
#include <stdlib.h>
#include <string.h>

#include "output.h"
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

void
cx_report_timeline_free(struct cx_report *rep)
{
	for (size_t i = 0; i < rep->nlanes; i++)
		free(rep->lanes[i].comm);
	free(rep->lanes);
	free(rep->tl);
	free(rep->ticks);
}
