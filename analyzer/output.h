/*
 * output.h: the output formats of cxrec decode, and what they share.
 *
 * out_jsonl.c writes one JSON object a line per exchange (docs/jsonl.md);
 * out_text.c a listing for people; out_md.c a Markdown report (rendering
 * the facts of report.h); out_har.c HAR 1.2; out_conv.c the conversation,
 * turn by turn (conv.h); out_html.c the report as one HTML page (the same
 * facts, docs/report-html.md).  All redact unless told not to, through
 * cx_out_redact below (JSON: jsonw.h), and escape what they show for
 * their target through escape.h.
 */
#ifndef CX_OUTPUT_H
#define CX_OUTPUT_H

#include <stdint.h>
#include <stdio.h>

#include "bytebuf.h"
#include "exchange.h"
#include "trace.h"

struct cx_out_ctx {
	const char                      *trace_path;
	const struct cx_file_info       *info;
	/*
	 * The analysis: while the trace is read, its totals so far and the
	 * notes read so far (the exchanges are handed over one by one); at
	 * pass_done, the totals and every note.
	 */
	const struct cx_analysis_result *r;
	const struct cx_reader_stats    *damage;        /* may be NULL */
	int                              redact;
	uint64_t                         max_body;      /* text: 0 = all */
	/* decode --follow: each exchange is written out to the FILE as it
	 * is handed over, nothing held back for the next (decode flushes
	 * the FILE after it). */
	int                              follow;
	/* The prices costs are reckoned at (price.h); NULL: built in. */
	const struct cx_prices          *prices;
};

/*
 * An output format.  Decode reads the trace `passes` times; each time it
 * hands over the exchanges kept by the filters one by one, in order of
 * start, each as soon as it is settled (cx_analysis_stream), and frees it
 * after: memory holds only the exchanges still open and what the format
 * keeps (counters, the report's facts, report.h).  Most formats read the
 * trace once; the report reads it twice, because its statistics and its
 * conversation come before the exchanges.
 */
struct cx_out_format {
	const char *name;               /* decode -f NAME */
	const char *summary;            /* a line for decode --help */
	int      passes;
	/* Start writing to f; ctx is valid until close. */
	void    *(*open)(FILE *f, const struct cx_out_ctx *ctx);
	void     (*exchange)(void *st, int pass, const struct cx_exchange *ex);
	/*
	 * Optional, called before exchange() for each exchange, perhaps on
	 * another thread while exchange() takes the one before: part of the
	 * work that touches nothing exchange() does (NULL: none).
	 */
	void     (*prepare)(void *st, int pass, const struct cx_exchange *ex);
	/* The trace was read through: ctx->r has the totals and the notes. */
	void     (*pass_done)(void *st, int pass);
	/* Finish (ctx->r is gone by then) and free st. */
	void     (*close)(void *st);
};

/*
 * The formats, NULL-terminated, the default first: each is a file
 * out_NAME.c defining `const struct cx_out_format cx_out_NAME_format`
 * and a line in output.c's table.
 */
extern const struct cx_out_format *const cx_out_formats[];
/* The format called name, or NULL. */
const struct cx_out_format *cx_out_find(const char *name);
/*
 * Can fmt be written as the trace grows (decode --follow)?  Not a format
 * that needs the whole trace before it writes (md reads it twice, HAR is
 * one JSON document); output.c's table says which.
 */
int      cx_out_follows(const struct cx_out_format *fmt);

/*
 * Exchanges rendered ahead (out_ahead.c), for a format whose rendering of
 * an exchange can be done apart from the others: its prepare() hands each
 * exchange to cx_ahead_put, which renders those that find the format's
 * thread behind (cx_ahead_behind(1) said so last, on the calling thread;
 * decode.c says before each prepare()) with render(f, arg, ex) into memory (render may return
 * something more to keep with the text, freed with free_extra if never
 * taken); its exchange() writes that text out when cx_ahead_take finds it
 * (1), or takes it with cx_ahead_get (the caller frees the text, or
 * gives it back with cx_ahead_done), else
 * renders ex itself (0).  Both in the same order, each exchange once;
 * prepare() may run on another thread than exchange().
 */
typedef void *(*cx_ahead_render_fn)(FILE *f, void *arg,
    const struct cx_exchange *ex);
struct cx_ahead;
void     cx_ahead_behind(int behind);
int      cx_ahead_is_behind(void);
struct cx_ahead *cx_ahead_new(void (*free_extra)(void *));
void     cx_ahead_free(struct cx_ahead *a);             /* NULL is fine */
void     cx_ahead_put(struct cx_ahead *a, const struct cx_exchange *ex,
    cx_ahead_render_fn render, void *arg);
int      cx_ahead_take(struct cx_ahead *a, const struct cx_exchange *ex,
    FILE *f);
int      cx_ahead_get(struct cx_ahead *a, const struct cx_exchange *ex,
    char **text, size_t *len, void **extra);
/* Something made ahead for every exchange, no text: make(arg, ex) kept
 * for ex, taken back with cx_ahead_get (its text NULL, its len 0);
 * cx_ahead_is_behind says what cx_ahead_put would go by (the last
 * cx_ahead_behind on this thread). */
typedef void *(*cx_ahead_make_fn)(void *arg, const struct cx_exchange *ex);
void     cx_ahead_keep(struct cx_ahead *a, const struct cx_exchange *ex,
    cx_ahead_make_fn make, void *arg);
/* What cx_ahead_get gave (text, extra: either may be NULL), given back
 * by the format's thread once done with it, to be freed (free(), and
 * free_extra) on the thread that made it, at its next cx_ahead_put or
 * cx_ahead_keep (or by cx_ahead_free); cx_ahead_take gives its text back
 * so. */
void     cx_ahead_done(struct cx_ahead *a, char *text, void *extra);

/* Run fmt over an analysis already made (ctx->r->ex, every pass). */
void     cx_out_all(const struct cx_out_format *fmt, FILE *f,
    const struct cx_out_ctx *ctx);

/*
 * The conversation view (out_conv.c) as a part: plain text, or with markdown set,
 * Markdown (escaped) for the report's "Conversation" section.  conv_end
 * writes the summary line and frees c.
 */
struct cx_conv;
struct cx_conv *cx_conv_new(FILE *f, const struct cx_out_ctx *ctx,
    int markdown);
void     cx_conv_exchange(struct cx_conv *c, const struct cx_exchange *ex);
/*
 * The same in parts, for a caller that runs the adapters itself (the
 * report, report.h): a turn, marked by cx_sessions_turn already, with the
 * number it gave; an exchange that is no model API call.
 */
struct cx_turn;
void     cx_conv_turn(struct cx_conv *c, const struct cx_turn *t,
    size_t session);
void     cx_conv_other(struct cx_conv *c, const struct cx_exchange *ex);
void     cx_conv_end(struct cx_conv *c);
/* All of ctx->r's exchanges through the conversation view. */
void     cx_out_conversation(FILE *f, const struct cx_out_ctx *ctx,
    int markdown);

/*
 * Redaction if asked, the one spelling of it for every output: what a
 * string from the traffic is, for the policy of redact.h.
 */
enum cx_out_as {
	CX_AS_TEXT,             /* free text (cx_redact_text) */
	CX_AS_URL,              /* a URL or request target: its query too */
	CX_AS_FORM,             /* an x-www-form-urlencoded body */
};
/* Append s[0..n) to b: redacted as `as` says when redact is set (it is
 * unless --no-redact: ctx->redact), else as it is. */
void     cx_out_redact(struct cx_buf *b, int redact, enum cx_out_as as,
    const char *s, size_t n);
/* A header's value, redacted as its name says when redact is set. */
void     cx_out_redact_header(struct cx_buf *b, int redact, const char *name,
    const char *value);
/* How many bytes of s[0..n) --max-body lets through (ctx->max_body, 0:
 * all), not cutting a UTF-8 sequence. */
size_t   cx_out_shown(const struct cx_out_ctx *ctx, const char *s, size_t n);

/*
 * An exchange's WebSocket messages as a message's events are, for the
 * reports' events blocks: each named "send text", "receive binary", ...,
 * at its time, its data as it is, or "(base64) ..." for binary and text
 * that is not UTF-8.  msg's events point into ex and into the struct:
 * valid until cx_out_ws_events_free, while ex is.
 */
struct cx_ws_events {
	struct cx_msg    msg;           /* events, nevents, events_cut */
	struct cx_event *ev;
	char           (*names)[32];
	struct cx_buf   *bin;
	size_t           n;
};
void     cx_out_ws_events(struct cx_ws_events *we,
    const struct cx_exchange *ex);
void     cx_out_ws_events_free(struct cx_ws_events *we);

/* ts (CLOCK_MONOTONIC ns) as UTC wall-clock time, using the trace's anchor:
 * "2026-11-24T07:07:53.123456Z", or with date 0 "07:07:53.123456". */
void     cx_fmt_time(char *buf, size_t len, const struct cx_file_info *info,
    int64_t ts, int date);
/* A duration in ns as milliseconds with microsecond precision. */
double   cx_ms(int64_t ns);
/* cx_ms(ns) as "%.1f" writes it, into buf (NUL-terminated; len 24 holds
 * any), without printf's exact conversion where the rounding is plain
 * (an event's time, thousands a page); the length written. */
size_t   cx_fmt_ms1(char *buf, size_t len, int64_t ns);
/* "HTTP/1.1" for 11. */
void     cx_fmt_version(char *buf, size_t len, int version);

#endif
