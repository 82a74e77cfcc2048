/*
 * out_html.h: what the HTML report's files share (internal to them):
 * out_html.c, the page and the report's sections from the facts of
 * report.h; out_html_conv.c, the conversation turn by turn (conv.h);
 * out_html_exchange.c, one exchange; out_html_charts.c, the timeline and
 * the charts of the turns, as inline SVG.
 *
 * Everything taken from the traffic is redacted unless --no-redact
 * (output.h's cx_out_redact) and written as escaped text (escape.h's
 * cx_html_text): never as markup, never as a link or a source.
 */
#ifndef CX_OUT_HTML_H
#define CX_OUT_HTML_H

#include <stdint.h>
#include <stdio.h>

#include "conv.h"
#include "exchange.h"
#include "output.h"

/*
 * A page's head (out_html.c), for the report and the live view
 * (live_page.c): <!DOCTYPE> to <body>, the page's one style sheet, and a
 * Content-Security-Policy that lets run only that style and `script`
 * (the page's one script, the JSON trees' code in front of it, by their
 * SHA-256) and allows connections to
 * `connect` ("'none'", "'self'"); the title is `title` and then path,
 * escaped.
 */
void     cx_htr_head(FILE *f, const char *title, const char *path,
    const char *script, const char *connect);
/* The page's one <script>: the JSON trees of the bodies, then `script`
 * (what cx_htr_head allowed). */
void     cx_htr_script(FILE *f, const char *script);
/* Traffic text s[0..n) redacted as `as` says (when ctx->redact), then
 * escaped; s NULL: nothing. */
void     cx_htr_text(FILE *f, const struct cx_out_ctx *ctx, const char *s,
    size_t n, enum cx_out_as as);
void     cx_htr_texts(FILE *f, const struct cx_out_ctx *ctx, const char *s,
    int url);
/* Text already redacted, in <pre class="cls">, cut at --max-body with a
 * line saying how much was left out. */
void     cx_htr_pre(FILE *f, const struct cx_out_ctx *ctx, const char *cls,
    const char *s, size_t n);
/* JSON text pretty-printed and redacted in a <pre>; text that is not JSON
 * redacted as text. */
void     cx_htr_json(FILE *f, const struct cx_out_ctx *ctx, const char *cls,
    const char *s, size_t n);
/* A byte count for people: "512 B", "1.5 KiB", ... */
void     cx_htr_size(char *buf, size_t len, uint64_t n);
/* A token count: "?" when unknown (< 0). */
void     cx_htr_count(FILE *f, int64_t n);

/* The conversation: turns as the report hands them over (report.h's
 * cx_report_turn_fn), written to f; row is the turn's row of the facts
 * (its usage and cost). */
struct cx_htconv;
struct cx_report;
struct cx_htconv *cx_htconv_new(FILE *f, const struct cx_out_ctx *ctx);
void     cx_htconv_turn(struct cx_htconv *c, const struct cx_turn *t,
    size_t session, const struct cx_report *rep);
/*
 * A turn still being answered (the live view, live.c): a heading and its
 * answer so far, the output's items; index: the turn's within its
 * exchange.
 */
void     cx_htconv_answer(FILE *f, const struct cx_out_ctx *ctx,
    const struct cx_turn *t, size_t index);
/* How many turns it wrote; then frees c. */
size_t   cx_htconv_end(struct cx_htconv *c);

/* The timeline's section (report.h's tl): an inline SVG, a bar an
 * exchange linked to it, a lane a process (out_html_charts.c). */
void     cx_htr_timeline(FILE *f, const struct cx_out_ctx *ctx,
    const struct cx_report *rep);
/* The charts of the turns (report.h's turns): tokens per turn, stacked,
 * and the context's size; nothing when there are no turns. */
void     cx_htr_charts(FILE *f, const struct cx_report *rep);

/*
 * A streamed exchange's chart (out_html_charts.c): each of its n events'
 * (or WebSocket messages') arrival, ms after ex's start, against its
 * number, a dot each and a step line through them, for at most
 * CX_HTR_MAX_STREAM_POINTS of them (evenly sampled, the first and the
 * last among them); nothing when n < 2.
 */
#define CX_HTR_MAX_STREAM_POINTS 500
void     cx_htr_stream_chart(FILE *f, const struct cx_exchange *ex,
    const struct cx_event *ev, size_t n);

/*
 * The JSON a page carries as data, drawn as trees when opened
 * (out_html_data.c): JSON text p[0..n) (valid, compact, redacted) as a
 * <script> element that never runs, whole, or, with d, as its difference
 * from one of the last few d wrote (an agent's request holds the one
 * before it).  Without d (the live view, whose articles are replaced)
 * each is whole.
 */
struct cx_htdata;
struct cx_htdata *cx_htdata_new(void);
void     cx_htdata_free(struct cx_htdata *d);          /* NULL is fine */
void     cx_htr_data(FILE *f, struct cx_htdata *d, const char *p, size_t n);
/*
 * Data set aside, for an exchange rendered ahead on another thread
 * (output.h's cx_ahead): with a deferred d, cx_htr_data only escapes the
 * text and notes where in f (a memory stream) it goes;
 * cx_htdata_take_deferred hands over what was noted (NULL: nothing), and
 * cx_htr_data_replay writes the rendered text[0..len) to f with the data
 * put in, through the real d, in order (and frees marks).
 */
struct cx_htdefer;
struct cx_htdata *cx_htdata_new_deferred(void);
struct cx_htdefer *cx_htdata_take_deferred(struct cx_htdata *d);
void     cx_htr_data_replay(FILE *f, struct cx_htdata *d, const char *text,
    size_t len, struct cx_htdefer *marks);
void     cx_htdefer_free(struct cx_htdefer *m);         /* NULL is fine */
/* The replayed data's texts, once d is done with them, handed to
 * give(arg, text) (to be freed on the thread that made them: output.h's
 * cx_ahead_done), not freed; cx_htdata_free frees those it still has. */
void     cx_htdata_give_back(struct cx_htdata *d,
    void (*give)(void *arg, char *text), void *arg);
/* One exchange's <article id="exchange-ID">; row: its timeline row
 * (report.h), for its filters' keys and its stream's chart, or NULL;
 * data: where its JSON goes (cx_htr_data), or NULL. */
struct cx_report_tlrow;
void     cx_htr_exchange(FILE *f, const struct cx_out_ctx *ctx,
    const struct cx_exchange *ex, const struct cx_report_tlrow *row,
    struct cx_htdata *data);

/*
 * The filters (out_html_filter.c): the header's <select>s (process: a
 * lane's index; endpoint: ep[]'s index, -1 past the table; status: the
 * class, status / 100, 0 no response) and the "errors only" checkbox;
 * the keys of an element as data-p, data-e, data-s, data-x (numbers only;
 * nothing for a NULL row); whether a row failed (an error, no response,
 * a status of 400 or more); the timeline row of exchange id, looked for
 * from *cursor on (rows and exchanges come in the same order), or NULL.
 */
void     cx_htr_filters(FILE *f, const struct cx_out_ctx *ctx,
    const struct cx_report *rep);
void     cx_htr_keys(FILE *f, const struct cx_report_tlrow *r);
int      cx_htr_bad(const struct cx_report_tlrow *r);
const struct cx_report_tlrow *cx_htr_row(const struct cx_report *rep,
    uint64_t id, size_t *cursor);

#endif
