/*
 * export_walk.c: reading a trace for an export, once or following it,
 * with its cursor (export_walk.h).  Following is decode --follow's
 * (decode_follow.c): the same reader, clock and ends.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "decode.h"
#include "decode_int.h"
#include "export_rows.h"
#include "export_walk.h"
#include "redact.h"
#include "xmalloc.h"

#define TICK_NS         (50LL * 1000000)
#define READ_CHECK      4096    /* frames between looks at the clock */

struct walk {
	const struct cx_xwalk_opts *o;
	const struct cx_xwalk_ops *ops;
	void            *arg;
	struct cx_credname names;
	uint64_t        *pend;          /* handed over, not yet delivered */
	size_t           npend, apend;
	int64_t          last;          /* the last delivery, cx_now_ns */
	int              failed;
	int              end_frame;     /* the trace's END was read */
	size_t           last_settled;  /* pend[] past it: not for the
					 * cursor (SIZE_MAX: all are) */
	int              replaced;      /* the file was removed or replaced */
	struct cx_xwalk_stats st;
};

static const char *
who(const struct walk *w)
{
	return w->o->who != NULL ? w->o->who : "cxrec: export";
}

static void
on_exchange(void *arg, struct cx_exchange *ex)
{
	struct walk *w = arg;
	uint64_t id = cx_xwalk_exchange_id(ex);
	int skip = w->o->cursor != NULL && cx_xcursor_has(w->o->cursor, id);

	w->ops->exchange(w->arg, ex, skip);
	if (skip) {
		w->st.skipped++;
		return;
	}
	w->st.exchanges++;
	if (w->npend == w->apend) {
		w->apend = w->apend ? w->apend * 2 : 64;
		w->pend = xreallocarray(w->pend, w->apend, sizeof(*w->pend));
	}
	w->pend[w->npend++] = id;
}

/* Deliver what was handed over; move the cursor and save it.  0, or -1
 * (said) to stop. */
static int
deliver(struct walk *w, int ended)
{
	struct cx_xcursor *c = w->o->cursor;
	char err[600];

	w->last = cx_now_ns();
	if (w->ops->deliver(w->arg) == -1) {
		w->failed = 1;
		return -1;
	}
	if (c == NULL) {
		w->npend = 0;
		return 0;
	}
	if (w->last_settled != SIZE_MAX && w->last_settled < w->npend)
		w->npend = w->last_settled;
	for (size_t i = 0; i < w->npend; i++)
		if (cx_xcursor_add(c, w->pend[i]) == -1) {
			fprintf(stderr, "%s: the cursor holds %d ranges of "
			    "exchanges, its most: not saved further\n", who(w),
			    CX_XCURSOR_MAX_RANGES);
			w->failed = 1;
			return -1;
		}
	w->npend = 0;
	if (ended)
		cx_xcursor_set_ended(c);
	if (w->o->cursor_path != NULL && cx_xcursor_save(c, w->o->cursor_path,
	    err, sizeof(err)) == -1) {
		fprintf(stderr, "%s: cursor %s\n", who(w), err);
		w->failed = 1;
		return -1;
	}
	return 0;
}

static int64_t
interval(const struct walk *w)
{
	return w->o->interval_ns > 0 ? w->o->interval_ns :
	    CX_XWALK_INTERVAL_NS;
}

static int
failed(struct walk *w)
{
	if (!w->failed && w->ops->failed(w->arg))
		w->failed = 1;
	return w->failed;
}

static int
stopping(const struct walk *w)
{
	return w->o->stop != NULL && *w->o->stop;
}

/*
 * The frames the reader has, to the analysis; 1 if an END was among them.
 * Every READ_CHECK frames (a long backlog: a trace read from its start),
 * what was handed over is delivered once an interval has passed, and a
 * stop is heeded.
 */
static int
read_frames(struct walk *w, struct cx_reader *rd, struct cx_analysis *a)
{
	struct cx_frame f;
	unsigned n = 0;
	int end = 0;

	while (!failed(w) && cx_reader_next(rd, &f) == 1) {
		if (f.kind == CX_K_END)
			end = w->end_frame = 1;
		cx_decode_note_names(&w->names, &f);
		cx_analysis_frame(a, &f);
		if (++n % READ_CHECK != 0)
			continue;
		if (stopping(w))
			break;
		if (w->npend > 0 && cx_now_ns() - w->last >= interval(w))
			deliver(w, 0);
	}
	return end;
}

/* Follow the trace; 1 to finish it, 0 when stopped. */
static int
follow(struct walk *w, struct cx_reader *rd, struct cx_analysis *a)
{
	const struct cx_file_info *info = cx_reader_info(rd);
	int64_t grew = cx_now_ns();
	int local = decode_same_host(info);
	char why[300];

	cx_reader_set_follow(rd, 1);
	for (;;) {
		struct timespec tick = { 0, TICK_NS };
		int ended = read_frames(w, rd, a), g;

		if (failed(w))
			return 0;
		cx_analysis_caught_up(a, decode_clock(info, local));
		if (ended)
			break;
		if (stopping(w))
			return 0;
		if (w->npend > 0 && cx_now_ns() - w->last >= interval(w) &&
		    deliver(w, 0) == -1)
			return 0;
		if ((g = cx_reader_grow(rd, why, sizeof(why))) == 1) {
			grew = cx_now_ns();
			continue;
		}
		if (g == -1) {
			fprintf(stderr, "%s: %s: stopped following it\n",
			    who(w), why);
			w->replaced = 1;
			break;
		}
		if (local && decode_writer_gone(info)) {
			fprintf(stderr, "%s: its writer (pid %u) is gone "
			    "without closing it: stopped following it\n",
			    who(w), info->writer_pid);
			break;
		}
		if (w->o->idle_ns > 0 && cx_now_ns() - grew >= w->o->idle_ns)
			break;
		nanosleep(&tick, NULL);         /* a signal cuts it short */
	}
	/* What was written meanwhile, read as the end of a finished trace. */
	cx_reader_grow(rd, why, sizeof(why));
	cx_reader_set_follow(rd, 0);
	read_frames(w, rd, a);
	return !failed(w);
}

/*
 * Is what the trace holds all it will: its END read, the file replaced or
 * removed, its writer gone, or written on another host (whose writer
 * cannot be asked)?  Else it is still being written (a one-shot export
 * of a live trace, --idle): what is open now is not its end.
 */
static int
is_final(const struct walk *w, const struct cx_file_info *info)
{
	return w->end_frame || w->replaced || !decode_same_host(info) ||
	    decode_writer_gone(info);
}

int
cx_xwalk(const char *path, const struct cx_xwalk_opts *o,
    const struct cx_xwalk_ops *ops, void *arg, struct cx_xwalk_stats *st,
    char *err, size_t errlen)
{
	const struct cx_credname *prev;
	const struct cx_file_info *info;
	struct cx_analysis *a;
	struct cx_report *rep;
	struct cx_reader *rd;
	struct walk w;
	int finish;

	if ((rd = cx_reader_open(path, err, errlen)) == NULL)
		return CX_EXPORT_EINPUT;
	cx_reader_set_release(rd, 1);
	memset(&w, 0, sizeof(w));
	w.o = o;
	w.ops = ops;
	w.arg = arg;
	w.last = cx_now_ns();
	w.last_settled = SIZE_MAX;
	if (o->names != NULL)
		w.names = *o->names;
	else
		cx_credname_init(&w.names);
	prev = cx_redact_use_names(&w.names);
	info = cx_reader_info(rd);
	rep = cx_report_new(info, o->redact, o->prices);
	a = cx_analysis_new(info);
	ops->begin(arg, info, rep);
	cx_analysis_stream(a, on_exchange, &w);
	if (o->follow)
		finish = follow(&w, rd, a);
	else {
		read_frames(&w, rd, a);
		finish = !failed(&w);
	}
	if (finish) {
		const struct cx_analysis_result *r;
		int final = is_final(&w, info);
		size_t settled;

		/* Still being written: what has settled by now goes first, as
		 * following it would, so that only what is open is not. */
		if (!final)
			cx_analysis_caught_up(a, decode_clock(info,
			    decode_same_host(info)));
		settled = w.npend;
		cx_analysis_finish(a);
		r = cx_analysis_result(a);
		cx_report_finish(rep, r);
		ops->end(arg, r, o->cursor != NULL &&
		    cx_xcursor_ended(o->cursor));
		/* A trace still being written: what was open is handed over
		 * as the end made it, but left out of the cursor, for the
		 * export that reads on to take again. */
		if (!final)
			w.last_settled = settled;
		if (!failed(&w) && deliver(&w, final) == 0)
			w.st.finished = final;
	} else if (!w.failed && w.npend > 0)
		deliver(&w, 0);
	cx_redact_use_names(prev);
	cx_report_free(rep);
	cx_analysis_free(a);
	cx_reader_close(rd);
	free(w.pend);
	if (st != NULL)
		*st = w.st;
	if (w.failed) {
		snprintf(err, errlen, "%s: export stopped", path);
		return CX_EXPORT_ESTOPPED;
	}
	return 0;
}

void
cx_xwalk_opts_with(struct cx_xwalk_opts *wo, const struct cx_xwalk_opts *base,
    int redact, const struct cx_prices *prices,
    const struct cx_credname *names)
{
	if (base != NULL)
		*wo = *base;
	else
		memset(wo, 0, sizeof(*wo));
	wo->redact = redact;
	wo->prices = prices;
	wo->names = names;
}

int
cx_xwalk_trace_id(const char *path, char id[17], char *err, size_t errlen)
{
	struct cx_reader *rd;

	if ((rd = cx_reader_open(path, err, errlen)) == NULL)
		return -1;
	cx_export_trace_id(cx_reader_info(rd), id);
	cx_reader_close(rd);
	return 0;
}
