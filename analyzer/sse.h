/*
 * sse.h: an incremental parser for server-sent events (text/event-stream,
 * WHATWG HTML "Server-sent events", section "Parsing an event stream").
 *
 * Feed the stream's bytes as they arrive, split anywhere.  Lines end with
 * CR LF, LF or CR; a leading BOM is skipped; lines starting with ':' are
 * comments; the fields are event, data (several data lines are joined with
 * LF), id and retry.  A blank line dispatches the event if it had data.
 *
 * Unlike a browser, cx_sse_finish also hands over an event the stream ended
 * in the middle of (partial set), so a truncated response shows what came.
 *
 * An event's data is bounded by the max given to cx_sse_new (0: the
 * default, CX_SSE_DEFAULT_MAX): longer data is cut (truncated set) and the
 * rest of it skipped, never buffered.
 */
#ifndef CX_SSE_H
#define CX_SSE_H

#include <stddef.h>
#include <stdint.h>

#define CX_SSE_DEFAULT_MAX      (16u * 1024 * 1024)

struct cx_sse_event {
	const char      *event;         /* "message" if no event field */
	const char      *id;            /* this event's id field, or NULL */
	const char      *data;          /* NUL-terminated; bytes as sent */
	size_t           data_len;
	int              partial;       /* the stream ended inside it */
	int              truncated;     /* data longer than max was cut */
};

/* Called for each event; pointers are valid during the call.  0 or -1. */
typedef int (*cx_sse_event_fn)(void *arg, const struct cx_sse_event *ev);

struct cx_sse;

struct cx_sse *cx_sse_new(size_t max, cx_sse_event_fn fn, void *arg);
void     cx_sse_free(struct cx_sse *s);         /* NULL is fine */
/* 0, or -1 if the callback failed (the parser then ignores the rest). */
int      cx_sse_feed(struct cx_sse *s, const uint8_t *p, size_t n);
/* The stream ended: a pending event (if it has data) is handed over. */
int      cx_sse_finish(struct cx_sse *s);
/* Events dispatched and comment lines seen so far. */
uint64_t cx_sse_events(const struct cx_sse *s);
uint64_t cx_sse_comments(const struct cx_sse *s);

#endif
