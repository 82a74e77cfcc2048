/*
 * export_walk.h: reading a trace for an export (export_rows.c's rows,
 * export_otlp.c's spans): the reader, the run note's credential names,
 * the analysis streaming exchanges as they settle and the report
 * (report.h) the exporter feeds them to; once to the end, or following
 * the trace as it is written (decode --follow's reader and clock,
 * docs/follow.md) with a cursor (export_cursor.h) saying what an earlier
 * export delivered.
 *
 * The exporter hands what it makes of each exchange to its destination
 * as it likes (batches); ops->deliver asks it to get everything handed
 * over so far to the destination.  Only then are those exchanges added to
 * the cursor, and the cursor saved: an export stopped anywhere resumes
 * without losing an exchange, and hands over again at most what it had
 * not heard delivered.
 *
 * Deliveries come once caught up with what is written (following), at
 * most every o->interval_ns, and as often while a long stretch is read (a
 * trace read from its start), then at the end.
 *
 * Following ends as decode --follow's does (the trace's END frame, the
 * file removed or replaced, its writer gone, o->idle_ns): then the trace
 * is finished as at the end of any trace (exchanges still open with their
 * errors) and ops->end makes the last rows.  Read once, it is finished at
 * its end.  If it is still being written then (no END frame, its writer
 * alive on this host: --idle, a one-shot export of a live trace), what
 * was open is handed over as the end made it but not added to the cursor,
 * and the end is not marked delivered: the export that reads on hands
 * them over again, complete.  Stopped by *o->stop (heeded while
 * following only), the walk delivers what settled and returns without
 * finishing.
 */
#ifndef CX_EXPORT_WALK_H
#define CX_EXPORT_WALK_H

#include <signal.h>
#include <stddef.h>
#include <stdint.h>

#include "credname.h"
#include "exchange.h"
#include "export_cursor.h"
#include "price.h"
#include "report.h"
#include "trace.h"

#define CX_XWALK_INTERVAL_NS    (1000LL * 1000000)      /* 1 s */

struct cx_xwalk_ops {
	/* The trace is open: its header and the report the exchanges go
	 * to (both live until cx_xwalk returns). */
	void    (*begin)(void *arg, const struct cx_file_info *info,
	    struct cx_report *rep);
	/* An exchange settled; the exporter gives it to the report
	 * (cx_report_exchange) and hands over what it makes of it, unless
	 * skip: the cursor holds it, only its state is to be rebuilt. */
	void    (*exchange)(void *arg, struct cx_exchange *ex, int skip);
	/* The trace is read through and the report finished: the last
	 * rows; skip: the cursor says they were delivered. */
	void    (*end)(void *arg, const struct cx_analysis_result *r,
	    int skip);
	/* Get all handed over to the destination: 0 when it has it, -1 to
	 * stop the walk (the exporter said why). */
	int     (*deliver)(void *arg);
	/* Nonzero when the exporter cannot go on (it said why). */
	int     (*failed)(void *arg);
};

struct cx_xwalk_opts {
	int              redact;
	const struct cx_prices *prices;         /* NULL: built-in */
	const struct cx_credname *names;        /* NULL: the base */
	/* Follow the trace as it grows, delivering at most every
	 * interval_ns (0: CX_XWALK_INTERVAL_NS) once caught up. */
	int              follow;
	int64_t          interval_ns;
	int64_t          idle_ns;               /* 0: no limit */
	volatile sig_atomic_t *stop;            /* NULL: none */
	/* What was delivered before (NULL: nothing), added to as the
	 * destination takes more, and saved to cursor_path (NULL: not
	 * saved) each time. */
	struct cx_xcursor *cursor;
	const char      *cursor_path;
	/* Said on standard error by the walk: "cxrec: export: " what. */
	const char      *who;                   /* NULL: "cxrec: export" */
};

/*
 * An exchange's id in every export (the rows' `exchange` and `id`, the
 * spans' ids, the cursor): 1, 2, ... in the order the trace first shows
 * each exchange (exchange.h's `order`), the same however and whenever the
 * trace is read.  `cxrec decode` numbers exchanges in the order it prints
 * them instead: start order for a whole trace (the same numbers, unless a
 * writer's frames came late), settle order while following.
 */
static inline uint64_t
cx_xwalk_exchange_id(const struct cx_exchange *ex)
{
	return ex->order + 1;
}

/* What a walk did. */
struct cx_xwalk_stats {
	uint64_t         exchanges;     /* handed over */
	uint64_t         skipped;       /* in the cursor already */
	int              finished;      /* read to its end (not stopped) */
};

/* An exporter's walk options: base's (NULL: once, from the start, no
 * cursor) with its own redaction, prices and credential names. */
void     cx_xwalk_opts_with(struct cx_xwalk_opts *wo,
    const struct cx_xwalk_opts *base, int redact,
    const struct cx_prices *prices, const struct cx_credname *names);

/* cx_xwalk's results: 0; or export_rows.h's CX_EXPORT_EINPUT (the trace
 * cannot be read, err says why), CX_EXPORT_ESTOPPED (the exporter failed
 * or the cursor could not be saved, said). */
int      cx_xwalk(const char *path, const struct cx_xwalk_opts *o,
    const struct cx_xwalk_ops *ops, void *arg, struct cx_xwalk_stats *st,
    char *err, size_t errlen);

/* The export id of the trace at path (export_rows.h's cx_export_trace_id)
 * into id[17]; -1 with one line in err when it cannot be read. */
int      cx_xwalk_trace_id(const char *path, char id[17], char *err,
    size_t errlen);

#endif
