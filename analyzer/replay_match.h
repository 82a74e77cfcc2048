/*
 * replay_match.h: a trace as the table of recorded exchanges a replay
 * answers from (cxrec replay, cxrec run --replay; docs/replay.md), and
 * which of them answers a new request.
 *
 * An entry is an exchange whose request head and response were recorded
 * whole: a response that ended (or a switch to WebSocket, 101, whatever
 * its messages).  Each carries its endpoint key (report.h's
 * cx_report_endpoint_key: "METHOD /path/{id}", ids folded, the query
 * dropped) and the tokens of its decoded request body.  What a torn or
 * cut trace holds incomplete is not an entry: requests for it are not
 * matched (and answered 501 by the server).
 *
 * Matching a request: the entries of its key; among those not yet served,
 * the one whose request body is most like it (the share of body tokens the
 * two have in common), the earliest on a tie: in order for an agent that
 * re-runs the same way, by body for one that reorders.  When every entry
 * of the key was served, the most alike again if it is a retry (likeness
 * at least CX_REPLAY_RETRY).  Otherwise no match, and why (what the trace
 * holds).
 *
 * Ownership: the table owns its analysis, entries and their strings;
 * pointers it returns are valid until cx_replay_free.
 */
#ifndef CX_REPLAY_MATCH_H
#define CX_REPLAY_MATCH_H

#include <stddef.h>
#include <stdint.h>

#include "exchange.h"

/* The likeness at which a request repeats one already answered. */
#define CX_REPLAY_RETRY         0.9

struct cx_replay_entry {
	const struct cx_exchange *ex;   /* its request, response, events, ws */
	char                    *key;   /* "METHOD /path/{id}" */
	uint64_t                *tok;   /* its request body's tokens, sorted */
	size_t                   ntok;
	unsigned                 served;        /* times matched */
};

/* What a match found. */
struct cx_replay_hit {
	const struct cx_replay_entry *e;        /* NULL: none, why says */
	double                   score;         /* body likeness, 0..1 */
	int                      again;         /* every entry of its key had
						 * been served: a retry */
};

struct cx_replay;

/*
 * The table of the trace at path; NULL with a one-line err if it is not a
 * readable trace.  Problems of the trace (a torn tail, corrupt bytes) are
 * counted in *damaged (may be NULL), not said.
 */
struct cx_replay *cx_replay_open(const char *path, unsigned *damaged,
    char *err, size_t errlen);
/* The table of a finished analysis, which it takes over (tests). */
struct cx_replay *cx_replay_from(struct cx_analysis *a);
void     cx_replay_free(struct cx_replay *rp);          /* NULL is fine */

size_t   cx_replay_count(const struct cx_replay *rp);
const struct cx_replay_entry *cx_replay_entry(const struct cx_replay *rp,
    size_t i);
/* Exchanges the trace holds that are not entries (incomplete). */
size_t   cx_replay_incomplete(const struct cx_replay *rp);

/*
 * The hosts the recording reached through cxrec's forward proxy (the Host
 * of each of its exchanges, without the port), each once, to fn: where a
 * replay's proxy must send them.
 */
typedef void (*cx_replay_host_fn)(void *arg, const char *host);
void     cx_replay_proxy_hosts(const struct cx_replay *rp, cx_replay_host_fn fn,
    void *arg);

/* "METHOD /path/{id}" of a request, as the entries' keys (malloc'd). */
char    *cx_replay_key(const char *method, const char *target);

/*
 * The entry to answer the request with (method, target as sent, its body
 * as sent with its Content-Encoding or NULL), marked served; or none, with
 * why (one line: the key, and what the trace holds for it or like it).
 */
struct cx_replay_hit cx_replay_match(struct cx_replay *rp, const char *method,
    const char *target, const char *encoding, const uint8_t *body,
    size_t len, char *why, size_t whylen);

/* The likeness of two token lists (sorted): shared / all, 1 if both empty. */
double   cx_replay_likeness(const uint64_t *a, size_t na, const uint64_t *b,
    size_t nb);
/* The tokens of a body (decoded, if encoding is one body.h knows), sorted;
 * *n of them, malloc'd (NULL when none). */
uint64_t *cx_replay_tokens(const char *encoding, const uint8_t *body,
    size_t len, size_t *n);

#endif
