/*
 * report.h: the facts of a report: what a trace says, computed once for
 * every renderer (the Markdown report, out_md.c; the HTML report after
 * it), which only writes them out (docs/report.md).
 *
 * The facts are aggregates, collected exchange by exchange: the trace's
 * span, counts, endpoint statistics, SSE event types, the key paths of the
 * payloads, token usage and its cost per turn, per session, per API and
 * for the trace (from the conversation model, conv.h, priced by price.h's
 * table in use), which exchanges each process made, and the timeline (an
 * exchange's times and process, report_timeline.c).
 * The exchanges themselves are not kept (each is freed once emitted);
 * what grows with the trace is capped by the CX_REPORT_MAX_* below, except
 * the per-endpoint timings (one double an exchange, for the medians), the
 * process index (one entry an exchange with a pid) and the timeline (a
 * row of 48 bytes an exchange, plus 4 bytes a WebSocket message, at most
 * CX_REPORT_MAX_TICKS of them an exchange).
 *
 * Use: cx_report_new; cx_report_exchange for each exchange, in start
 * order; cx_report_finish when the trace is read through; then read the
 * struct (read-only); cx_report_free.  Strings are as the traffic had
 * them: a renderer redacts what it shows (output.h's cx_out_redact), except
 * the key paths' examples, redacted already when asked (keypaths.h).
 *
 * Ownership: the report owns everything it points to, until
 * cx_report_free; `procs` and `notes` are the analysis' (output.h's
 * ctx->r), valid only until the pass that collected the report ends.
 */
#ifndef CX_REPORT_H
#define CX_REPORT_H

#include <stddef.h>
#include <stdint.h>

#include "conv.h"
#include "exchange.h"
#include "keypaths.h"
#include "price.h"
#include "procs.h"
#include "trace.h"

#define CX_REPORT_MAX_PATHS       2000   /* distinct key paths a table */
#define CX_REPORT_MAX_ENDPOINTS   500    /* endpoints, and APIs */
#define CX_REPORT_MAX_EVENT_TYPES 200
#define CX_REPORT_MAX_SESSIONS    1000   /* rows of the sessions' table */
#define CX_REPORT_MAX_TURNS       20000  /* rows of the per-turn table */
#define CX_REPORT_MAX_LANES       200    /* processes of the timeline */
#define CX_REPORT_MAX_TICKS       200    /* WebSocket messages' times an
					 * exchange on the timeline */

/* How many exchanges of an endpoint got a status (0: no response). */
struct cx_report_status {
	int              status;
	uint64_t         n;
};

/* Exchanges by "METHOD /path", path segments that look like ids as {id}. */
struct cx_report_endpoint {
	char            *key;           /* "POST /v1/responses/{id}" */
	uint64_t         count;
	struct cx_report_status *st;    /* in order of first sight */
	size_t           nst;
	uint64_t         in, out;       /* body bytes, request / response */
	/* Time to first byte (request and response seen) and duration
	 * (response seen), in ms: how many, and after cx_report_finish
	 * their median and maximum (0 when none). */
	size_t           nttfb, ndur;
	double           ttfb_median, ttfb_max;
	double           dur_median, dur_max;
	double          *ttfb, *dur;    /* the values (collection's) */
	size_t           attfb, adur;
};

/* SSE events (and a WebSocket's server messages) of one type. */
struct cx_report_evtype {
	char            *name;          /* event name, or the JSON "type" */
	uint64_t         n;
	struct cx_keypaths *kp;         /* the key paths of their data */
};

/* A model API turn (conv.h): its aggregates, not its items. */
struct cx_report_turn {
	uint64_t         id;            /* its exchange */
	size_t           index;         /* the turn within the exchange */
	int              ws;            /* on a WebSocket */
	const char      *api;           /* the adapter's name (static) */
	char            *model;         /* asked for, or answered; or NULL */
	char            *answered;      /* the model that answered, when not
					 * the one asked for; or NULL */
	int              warmup;
	struct cx_usage  usage;
	/* What it cost (price.h): priced, no price, or no usage; the row
	 * of the table in use that priced it, or NULL. */
	struct cx_cost   cost;
	const struct cx_price *price;
	double           first_ms;      /* first token after the request's
					 * last byte, ms; -1: unknown */
	size_t           session;       /* its session's number (1, 2 ...) */
};

/* A session's or an API's sums. */
struct cx_report_sum {
	char            *key;           /* the session's key, or NULL */
	size_t           num;           /* the session's number (1, 2 ...);
					 * 0 for an API */
	uint32_t         pid;           /* a session's first pid (0: none) */
	const char      *api;           /* the adapter's name (static) */
	const char      *title;         /* an API's title (static) */
	size_t           turns;
	size_t           with_usage;    /* turns that reported usage */
	struct cx_usage  usage;
	struct cx_cost   cost;
};

/* An exchange's process (the index of cx_report_proc_exchanges). */
struct cx_report_pidex {
	uint32_t         pid;
	uint64_t         id;
};

/*
 * The timeline: an exchange's times (ms after its start, as floats: a
 * row is 48 bytes) and its process's lane.  Renderer-neutral: a renderer
 * draws it as it likes (the HTML report: a bar per exchange, a lane per
 * process, out_html_charts.c).
 */
struct cx_report_tlrow {
	uint64_t         id;            /* the exchange */
	int64_t          start;         /* CLOCK_MONOTONIC ns */
	float            first_ms;      /* the response's first byte; -1:
					 * no response */
	float            end_ms;        /* the last byte (or message) seen */
	int32_t          ep;            /* its endpoint (ep[]); -1: past
					 * MAX_ENDPOINTS */
	int16_t          status;        /* 0: no response */
	uint8_t          error;         /* it had an error */
	uint8_t          ws;            /* a WebSocket session */
	uint32_t         lane;          /* lanes[] */
	uint32_t         nws;           /* WebSocket messages, all */
	uint32_t         tick0, nticks; /* the first MAX_TICKS messages'
					 * times: ticks[tick0 .. +nticks) */
};

/* A process's lane on the timeline; pid 0: no known process (and the
 * processes past MAX_LANES). */
struct cx_report_lane {
	uint32_t         pid;
	char            *comm;          /* NULL: unknown */
	size_t           n;             /* its exchanges */
	/* In the process tree (procs.h), set by cx_report_finish: the lane of
	 * its nearest ancestor that has one (SIZE_MAX: none), its depth under
	 * the lanes above it (0: a root). */
	size_t           parent;
	unsigned         depth;
};

struct cx_report {
	/* The trace: its span (CLOCK_MONOTONIC ns: the header's start, the
	 * last time seen in an exchange or a note) and its totals. */
	int64_t          start, end;
	size_t           exchanges;
	size_t           errors;        /* exchanges with an error */
	uint64_t         connections;
	uint64_t         bytes_req, bytes_resp;
	/* The recorder's "run" note (cxrec run: command, agent, routes...),
	 * parsed, or NULL. */
	struct cJSON    *run;
	/* The analysis' notes and processes (see Ownership). */
	const struct cx_note *notes;
	size_t           nnotes;
	const struct cx_procs *procs;

	/* Endpoints, in order of first sight. */
	struct cx_report_endpoint *ep;
	size_t           nep;
	uint64_t         ep_other;      /* exchanges past MAX_ENDPOINTS */

	/* Event types, in order of first sight; SSE streams' ends. */
	struct cx_report_evtype *ev;
	size_t           nev;
	size_t           ev_last;       /* the last one found (a guess) */
	uint64_t         ev_other;      /* events of types past the cap */
	uint64_t         done;          /* "data: [DONE]" (not events) */

	/* Key paths of the request and (not event-stream) response bodies;
	 * a WebSocket's client text messages count as request bodies. */
	struct cx_keypaths *req_kp, *resp_kp;

	/* Usage: a row a turn (the first MAX_TURNS), the sums of all. */
	struct cx_report_turn *turns;
	size_t           nturns;
	uint64_t         turns_all;     /* in the rows or not */
	struct cx_usage  usage;         /* all turns */
	struct cx_cost   cost;          /* all turns */
	struct cx_report_sum *sessions; /* by session, in order of number */
	size_t           nsessions;
	uint64_t         sessions_other;        /* turns of sessions past
						 * MAX_SESSIONS */
	struct cx_report_sum *apis;     /* by API, in order of first sight */
	size_t           napis;

	/* The timeline: a row an exchange, in start order; its lanes in
	 * order of first sight, and (cx_report_finish) the order to draw
	 * them in, the process tree's (a lane, then the lanes of its
	 * descendants, each in order of first sight; the lane of no known
	 * process last); the WebSocket messages' times (ms after their
	 * exchange's start). */
	struct cx_report_tlrow *tl;
	size_t           ntl, atl;
	struct cx_report_lane *lanes;
	size_t           nlanes;
	size_t          *lane_order;    /* nlanes indexes of lanes[] */
	float           *ticks;
	size_t           nticks, aticks;

	/* Collection's own (not for renderers). */
	int              redact;
	const struct cx_prices *prices; /* costs reckoned at (NULL: built in) */
	struct cx_sessions *sess;
	struct cx_report_turn spare;    /* the row of turns past the table */
	size_t           aturns;
	struct cx_report_pidex *pidex;  /* sorted by cx_report_finish */
	size_t           npidex, apidex;
	struct cx_buf    key;
};

/* A report of the trace whose header is info; redact: the key paths'
 * examples are redacted. */
/* prices: what the costs are reckoned at (price.h; NULL: built in),
 * outliving the report. */
struct cx_report *cx_report_new(const struct cx_file_info *info, int redact,
    const struct cx_prices *prices);
void     cx_report_free(struct cx_report *rep);         /* NULL is fine */

/*
 * A turn as the report took it (cx_report_exchange): its input items new
 * in its session are marked fresh, session is the session's number
 * (cx_sessions_turn); t lives during the call only.
 */
typedef void (*cx_report_turn_fn)(void *arg, struct cx_turn *t,
    size_t session);

/*
 * ex into the facts.  Its turns (its API's adapter runs once) are also
 * handed to fn when it is not NULL, for a renderer that shows them (the
 * report's conversation).  Returns how many turns ex had: 0 when it is not
 * a model API call.
 */
size_t   cx_report_exchange(struct cx_report *rep, const struct cx_exchange *ex,
    cx_report_turn_fn fn, void *arg);
/*
 * The same in two parts that touch disjoint facts, so that two threads
 * can take an exchange at once (each part in exchange order): the
 * payloads' key paths and event types; everything else (returns as
 * cx_report_exchange does).
 */
void     cx_report_payloads(struct cx_report *rep,
    const struct cx_exchange *ex);
size_t   cx_report_exchange_rest(struct cx_report *rep,
    const struct cx_exchange *ex, cx_report_turn_fn fn, void *arg);
/*
 * The same again, part of it done apart: cx_report_turns_build checks
 * whether ex's bodies are JSON and, with turns set, runs ex's adapter and
 * keeps its turns (it reads ex only, so another thread may run it, in
 * exchange order or not); cx_report_exchange_built takes the payloads and
 * the turns into the facts as cx_report_payloads and
 * cx_report_exchange_rest would have (running the adapter itself if
 * turns was not set) and hands the turns to fn; tt is the caller's
 * still, to free with cx_report_turns_free (NULL is fine) on the thread
 * it likes (the one that built it, say: decode_pipe.c says why).
 */
struct cx_report_turns;
struct cx_report_turns *cx_report_turns_build(const struct cx_exchange *ex,
    int turns);
size_t   cx_report_exchange_built(struct cx_report *rep,
    const struct cx_exchange *ex, struct cx_report_turns *tt,
    cx_report_turn_fn fn, void *arg);
void     cx_report_turns_free(struct cx_report_turns *tt);
/*
 * The two as cx_ahead's callbacks (output.h; md and html keep the turns
 * ahead): the turns built, their adapter run only when the format's
 * thread is behind (cx_ahead_is_behind); and freed.
 */
void    *cx_report_turns_ahead(void *arg, const struct cx_exchange *ex);
void     cx_report_turns_drop(void *tt);

/* The trace was read through: r's totals, notes and processes taken. */
void     cx_report_finish(struct cx_report *rep,
    const struct cx_analysis_result *r);


/* The exchanges process pid made, in order (after cx_report_finish): the
 * first, and *n of them; NULL when none. */
const struct cx_report_pidex *cx_report_proc_exchanges(
    const struct cx_report *rep, uint32_t pid, size_t *n);

/* "METHOD /path/{id}" for ex, into b (reset first). */
void     cx_report_endpoint_key(struct cx_buf *b, const struct cx_exchange *ex);

#endif
