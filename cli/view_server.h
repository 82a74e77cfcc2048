/*
 * view_server.h: the live view's small HTTP server (cxrec view, cxrec run
 * --view; docs/view.md).  It listens on a loopback address and answers
 * under a random token only (http://127.0.0.1:PORT/TOKEN/):
 *
 *   GET /TOKEN/         the page (live.h's cx_live_page)
 *   GET /TOKEN/events   server-sent events: a reading of the trace of its
 *                       own from the start (cx_live), following it
 *   GET /TOKEN/report   the HTML report of the trace as it is now
 *                       (decode --format html, in a child process)
 *   anything else       404
 *
 * One thread and poll(2); each viewer reads the trace file itself, at its
 * own pace (a viewer that reads slowly waits, with at most
 * VIEW_OUT_HIGH bytes queued), so no viewer slows another or the
 * recording.
 */
#ifndef CX_VIEW_SERVER_H
#define CX_VIEW_SERVER_H

#include <signal.h>

#include "live.h"

#define VIEW_MAX_CLIENTS        64
#define VIEW_OUT_HIGH           (1u << 20)

struct view_opts {
	const char              *trace;
	const char              *listen;        /* NULL: 127.0.0.1:0 */
	struct cx_live_opts      live;
};

struct view_server;

/* Listen (loopback only); NULL with a one-line err (a port in use...). */
struct view_server *view_server_new(const struct view_opts *o, char *err,
    size_t errlen);
/* "http://127.0.0.1:PORT/TOKEN/" */
const char *view_server_url(const struct view_server *s);
/*
 * Serve until *stop is set; then give each viewer a last reading and up
 * to half a second to take it.  0, or -1 if poll failed.
 */
int      view_server_run(struct view_server *s, volatile sig_atomic_t *stop);
void     view_server_free(struct view_server *s);      /* NULL is fine */
/*
 * cmd_view.c: serve o until *stop, the URL on stderr (and opened, with
 * open_browser): an exit status, what went wrong said in one line.
 */
int      view_serve(const struct view_opts *o, int open_browser,
    volatile sig_atomic_t *stop);
/* Open url in the desktop's browser (xdg-open), or say why not. */
void     view_open_browser(const char *url);

#endif
