/*
 * live.h: the live view's side of the analysis (cxrec view, docs/view.md):
 * a trace, read as it is written, as the messages of a server-sent event
 * stream that its page (cx_live_page) turns into the report's sections,
 * growing.
 *
 * One cx_live is one viewer's reading of the trace, from its first frame:
 * a viewer connecting late gets the story so far, then what comes.  It
 * reads the file only (decode --follow's reader and clock, decode_int.h),
 * never the recorder's memory, so a viewer can neither slow nor block the
 * recording.  Its messages, each an SSE event whose first data line is
 * its key and whose other lines are HTML written by the report's
 * renderers (out_html.h: redacted unless no_redact, escaped):
 *
 *   event: ex     KEY open|done, then the exchange's <article>
 *                 (replacing what KEY had)
 *   event: turn   KEY open|done, then the exchange's conversation turns
 *                 (done) or its answers so far (open)
 *   event: state  a line saying where the reading is
 *   event: end    the trace is done (its writer closed it, it was
 *                 removed, its writer is gone): why; nothing follows
 *
 * KEY is the exchange's creation order in the trace: the same for every
 * viewer and every reading of the same trace.  An open exchange is sent
 * again when it changed, at most every CX_LIVE_REFRESH_NS, or every 20
 * times what drawing it took last, if more (a long WebSocket session).
 *
 * Memory: the exchanges still open, the report's facts (report.h), and
 * per open exchange a few words.
 */
#ifndef CX_LIVE_H
#define CX_LIVE_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "bytebuf.h"
#include "credname.h"

#define CX_LIVE_REFRESH_NS      (100LL * 1000000)

struct cx_prices;

struct cx_live_opts {
	int                      no_redact;
	uint64_t                 max_body;      /* a body's bytes shown; 0 all */
	const struct cx_prices  *prices;        /* NULL: built in */
	const struct cx_credname *names;        /* NULL: the base */
};

struct cx_live;

/* NULL with a one-line reason in err when path is not a readable trace. */
struct cx_live *cx_live_open(const char *path, const struct cx_live_opts *o,
    char *err, size_t errlen);
void     cx_live_free(struct cx_live *l);           /* NULL is fine */

/*
 * Read what the trace holds now (at most a slice of it, so that one viewer
 * catching up does not hold up the others) and append the messages it
 * makes to out.  CX_LIVE_MORE: there is more to read, call again at
 * once; CX_LIVE_WAIT: it is all read, call again in a moment (the view
 * polls every 50 ms); CX_LIVE_DONE: the trace is done and the last
 * message was `end`.
 */
#define CX_LIVE_DONE    0
#define CX_LIVE_WAIT    1
#define CX_LIVE_MORE    2
int      cx_live_poll(struct cx_live *l, struct cx_buf *out);

/* The page (live_page.c): GET /TOKEN/, which reads `events` beside it. */
void     cx_live_page(FILE *f, const char *trace_path);

#endif
