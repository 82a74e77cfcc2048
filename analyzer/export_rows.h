/*
 * export_rows.h: a trace as rows for a database (docs/fleet.md): one JSON
 * object per row of six tables (sessions, exchanges, turns, events,
 * tool_calls, processes), the same for any database; no network here (the
 * ClickHouse client is cli/export_clickhouse.c).
 *
 * The schema is declared here once, with ClickHouse types that Debian 12's
 * ClickHouse (18.16) and current ones both read: times are Int64
 * nanoseconds since the epoch (wall clock, from the trace's anchor),
 * durations Int64 ns (-1: unknown), token counts Int64 (0 when the API
 * did not say; `usage` says whether it did).  Every row carries its
 * trace's id (cx_export_trace_id: a hash of the trace's header) and its
 * table's key columns identify it, so rows exported twice are the same
 * rows (a ReplacingMergeTree folds them).
 *
 * Strings are redacted (output.h's cx_out_redact) unless told not to;
 * bodies, event data, tool arguments and results are cut at
 * CX_EXPORT_MAX_TEXT bytes (a `*_cut` column, or `cut`, says so).
 *
 * Ownership: a row's text lives during the callback only.
 */
#ifndef CX_EXPORT_ROWS_H
#define CX_EXPORT_ROWS_H

#include <stddef.h>
#include <stdint.h>

#include "credname.h"
#include "export_walk.h"
#include "price.h"
#include "trace.h"

#define CX_EXPORT_MAX_TEXT      (1024u * 1024)  /* a body, a datum */
#define CX_EXPORT_MAX_PENDING   4096    /* tool calls awaiting a result */

enum cx_xtable {
	CX_X_SESSIONS,
	CX_X_EXCHANGES,
	CX_X_TURNS,
	CX_X_EVENTS,
	CX_X_TOOL_CALLS,
	CX_X_PROCESSES,
	CX_X_NTABLES
};

struct cx_xcolumn {
	const char      *name;
	const char      *type;          /* ClickHouse's: "Int64", "String" */
	int              big;           /* a body or datum: worth a codec */
};

struct cx_xtable_def {
	const char      *name;          /* "exchanges" */
	const struct cx_xcolumn *cols;
	size_t           ncols;
	const char      *key;           /* its ORDER BY: "trace, id" */
};

/* The table t's definition (t < CX_X_NTABLES). */
const struct cx_xtable_def *cx_export_table(enum cx_xtable t);

/* A row of table t: a JSON object of every column of it, len bytes.
 * Returns 0 to go on, anything else to stop the export. */
typedef int (*cx_export_row_fn)(void *arg, enum cx_xtable t,
    const char *row, size_t len);

struct cx_export_opts {
	int              redact;
	/* Costs reckoned at (price.h); NULL: the built-in table. */
	const struct cx_prices *prices;
	/* Credential names redacted (credname.h): the caller's (NULL: the
	 * base), and those a run note in the trace adds, as decode does. */
	const struct cx_credname *names;
	/* How the trace is read (export_walk.h: following it as it grows,
	 * from a cursor), its redact, prices and names replaced by the
	 * above; NULL: once, from its start. */
	const struct cx_xwalk_opts *walk;
	/* export_walk.h's deliver, with fn's arg: get every row handed
	 * over to the destination; NULL: nothing to do. */
	int     (*deliver)(void *arg);
	/* What the walk did (NULL: not asked). */
	struct cx_xwalk_stats *stats;
};

/* The trace's id: 16 hex digits of a hash of its header (host, writer
 * pid, anchor times), into id[17]. */
void     cx_export_trace_id(const struct cx_file_info *info, char id[17]);

/* cx_export_rows' failures */
#define CX_EXPORT_EINPUT        (-1)    /* the trace cannot be read */
#define CX_EXPORT_ESTOPPED      (-2)    /* fn asked to stop */

/*
 * Read the trace at path and hand every row to fn: the exchanges, their
 * turns, events and tool calls as the trace is read (a tool call once its
 * result is seen in a later request, or at the end), then its processes,
 * then its session row.  Rows of exchanges o->walk's cursor holds (and
 * of the end, when it says so) are not handed over; following the trace,
 * processes and the session come when it ends.  id (17 bytes, or NULL)
 * gets the trace's id.
 * Returns 0, or a failure above with one line in err naming the file.
 */
int      cx_export_rows(const char *path, const struct cx_export_opts *o,
    cx_export_row_fn fn, void *arg, char *id, char *err, size_t errlen);

#endif
