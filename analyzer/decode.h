/*
 * decode.h: `cxrec decode` as a library call: read a trace, rebuild its
 * HTTP exchanges (exchange.h) and write them as text or JSON lines
 * (output.h, docs/jsonl.md).
 */
#ifndef CX_DECODE_H
#define CX_DECODE_H

#include <signal.h>
#include <stdint.h>
#include <stdio.h>

#include "credname.h"
#include "trace.h"

/* Which exchanges to keep; zero keeps all. */
struct cx_decode_filter {
	int                      has_pid;
	uint32_t                 pid;           /* the client's process */
	int                      tree;          /* ... or a descendant */
	int                      has_conn;
	uint64_t                 conn;          /* the jsonl "conn" id */
	const char              *path;          /* request target prefix */
	int                      has_since;
	int64_t                  since_ns;      /* start, from the trace's */
	int                      has_until;
	int64_t                  until_ns;
};

/* Zero-initialised options are the defaults (text, redacted). */
struct cx_decode_opts {
	struct cx_decode_filter  filter;
	const char              *format;        /* a name in output.h's
						 * table; NULL: the first */
	int                      no_redact;     /* show credentials */
	uint64_t                 max_body;      /* text: bytes a body, 0 all */
	/* The prices of the costs in md and conversation (price.h, --prices;
	 * the caller's, outliving the decode); NULL: the built-in table. */
	const struct cx_prices  *prices;
	/* Credential names redacted (credname.h): the base and, say, every
	 * agent module's; NULL: the base.  A trace's run note adds its own
	 * ("credentials":{"headers":[...],"query":[...]}). */
	const struct cx_credname *names;
	/* Warnings (corrupt or torn trace, recorder losses); NULL: lines
	 * "cxrec: decode: PATH: ..." on stderr. */
	cx_reader_warn_fn        warn;
	void                    *warn_arg;
	/*
	 * decode --follow (decode_follow.c): read on as the trace grows,
	 * each exchange written and out flushed as soon as it settles, until
	 * the trace's writer closes it (its END frame), the file is removed
	 * or replaced, the process that created it is gone (on its own
	 * host), idle_ns pass without a new byte (0: never) or *stop is set
	 * (a signal handler's flag; NULL: none).  Then what the file holds
	 * is finished as at the end of any trace.  Only the formats that
	 * cx_out_follows (output.h).
	 */
	int                      follow;
	int64_t                  idle_ns;
	volatile sig_atomic_t   *stop;
};

/* cx_decode's failures */
#define CX_DECODE_EINPUT        (-1)    /* the trace cannot be read */
#define CX_DECODE_EOUTPUT       (-2)    /* writing to out failed */

/*
 * A time offset: "90" or "90s", "1.5s", "250ms", "2m", "1h".  0, or -1 if
 * s is not one.
 */
int      cx_parse_offset(const char *s, int64_t *ns);

/*
 * A run note's credential names ("credentials":{"headers":[...],
 * "query":[...]}, the names its agent sends secrets under) added to set;
 * f, a frame of any kind (only a run note adds any).
 */
void     cx_decode_note_names(struct cx_credname *set,
    const struct cx_frame *f);

/*
 * Decode trace_path to out.  opts may be NULL.  Returns 0 (also when the
 * trace was damaged: what could be read was decoded and the damage warned
 * about), or CX_DECODE_EINPUT / CX_DECODE_EOUTPUT with a one-line message
 * naming the file in err.
 */
int      cx_decode(const char *trace_path, const struct cx_decode_opts *opts,
    FILE *out, char *err, size_t errlen);

#endif
