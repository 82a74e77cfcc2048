/*
 * export_cursor.h: how far an export of one trace to one destination got
 * (docs/fleet.md, "Continuous export"): the exchanges whose rows or spans
 * the destination acknowledged, and whether the trace's end (its last tool
 * calls, processes, session) was delivered too.  An export resumed from it
 * reads the trace again (its conversations are rebuilt from the start)
 * but hands over only what the cursor does not hold.
 *
 * Exchanges are named by their export ids (export_walk.h's
 * cx_xwalk_exchange_id: 1, 2, ... in the order the trace first shows each,
 * the same however the trace is read); they settle nearly in that order,
 * so the set is kept as ranges of ids: [1, low] and a few more.
 *
 * The file is one line of text, replaced whole (written aside as
 * PATH.tmp.PID, synced, renamed over), so a crash leaves the old cursor or
 * the new one:
 *
 *   cxrec-export-cursor 1 trace=ID ended=0|1 done=1-17,19,21-22
 *
 * Memory: at most CX_XCURSOR_MAX_RANGES ranges.
 */
#ifndef CX_EXPORT_CURSOR_H
#define CX_EXPORT_CURSOR_H

#include <stddef.h>
#include <stdint.h>

#include "bytebuf.h"

#define CX_XCURSOR_MAX_RANGES   4096

struct cx_xcursor;

/* An empty cursor for the trace whose export id (export_rows.h's
 * cx_export_trace_id) is trace_id. */
struct cx_xcursor *cx_xcursor_new(const char *trace_id);
void     cx_xcursor_free(struct cx_xcursor *c);         /* NULL is fine */

/*
 * The cursor in the file at path for trace_id: a missing file, or one
 * about another trace (the path reused by a new recording), is an empty
 * cursor (*other set to 1 for the latter, when other is not NULL).  NULL
 * with one line in err when the file cannot be read or is not a cursor.
 */
struct cx_xcursor *cx_xcursor_load(const char *path, const char *trace_id,
    int *other, char *err, size_t errlen);
/* The same from text[0..n) (any bytes), the file's name for err. */
struct cx_xcursor *cx_xcursor_parse(const char *text, size_t n,
    const char *trace_id, int *other, const char *name, char *err,
    size_t errlen);
/* Its line, added to b. */
void     cx_xcursor_text(const struct cx_xcursor *c, struct cx_buf *b);
/* Write it to path (path.tmp, fsync, rename); 0, or -1 with one line in
 * err. */
int      cx_xcursor_save(const struct cx_xcursor *c, const char *path,
    char *err, size_t errlen);

/* Is exchange id delivered?  Add it (0; -1 when the ranges are full). */
int      cx_xcursor_has(const struct cx_xcursor *c, uint64_t id);
int      cx_xcursor_add(struct cx_xcursor *c, uint64_t id);
/* Was the trace's end delivered?  Say it was. */
int      cx_xcursor_ended(const struct cx_xcursor *c);
void     cx_xcursor_set_ended(struct cx_xcursor *c);
/* Exchanges it holds. */
uint64_t cx_xcursor_count(const struct cx_xcursor *c);

#endif
