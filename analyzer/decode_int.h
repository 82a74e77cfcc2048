/*
 * decode_int.h: what decode.c and decode_follow.c share (internal to
 * cx_decode, decode.h).
 */
#ifndef CX_DECODE_INT_H
#define CX_DECODE_INT_H

#include <stdio.h>

#include "credname.h"
#include "decode.h"
#include "exchange.h"
#include "trace.h"

struct decode_pipe;

/* One pass over the trace: where its frames go. */
struct decode_run {
	struct cx_reader        *r;
	struct cx_analysis      *a;
	/* The format's thread (decode_pipe.c), or NULL: frames that change
	 * what a format may read wait for it to catch up. */
	struct decode_pipe      *pipe;
	struct cx_credname      *names;         /* a run note adds to them */
	FILE                    *out;
	cx_reader_warn_fn        warn;
	void                    *warn_arg;
};

/* One frame to the analysis (and its run note's names to the policy). */
void     decode_frame(struct decode_run *d, const struct cx_frame *f);

/*
 * decode.c: the frames the reader has (cx_reader_next until it returns
 * 0) to the analysis; 1 if an END frame was among them.
 */
int      decode_read(struct decode_run *d);

/*
 * decode_follow.c: read d->r into d->a as the trace grows, handing over
 * what settles (cx_analysis_caught_up), until following ends as decode.h
 * says (opts->follow), then read what the file holds as a finished
 * trace.  The caller finishes the analysis.  0, or -1 if writing d->out
 * failed.
 */
int      decode_follow(struct decode_run *d, const struct cx_decode_opts *o);
/*
 * decode_follow.c's clock, for every reader of a growing trace (the live
 * view too): was the trace written on this host; now on the trace's clock
 * (local: CLOCK_MONOTONIC, else the wall clock through the header's
 * anchor); is the process that created it gone (ask on its host only).
 */
int      decode_same_host(const struct cx_file_info *info);
int64_t  decode_clock(const struct cx_file_info *info, int local);
int      decode_writer_gone(const struct cx_file_info *info);

/*
 * decode_pipe.c: fmt's exchange() on a thread of its own, the caller's
 * thread reading the trace.  decode_pipe_new starts it (NULL if it could
 * not); decode_pipe_push hands it ex (it frees it), waiting while the
 * exchanges waiting hold too much; decode_pipe_drain waits until every
 * exchange pushed is written: call it before anything the format reads
 * changes, and before pass_done; decode_pipe_free ends it.
 */
struct cx_out_format;
struct decode_pipe *decode_pipe_new(const struct cx_out_format *fmt,
    void *st);
void     decode_pipe_push(struct decode_pipe *p, int pass,
    struct cx_exchange *ex);
void     decode_pipe_drain(struct decode_pipe *p);
/* Is the format's thread behind: busy with an exchange, several more (or
 * half the queue's bytes) waiting? */
int      decode_pipe_busy(struct decode_pipe *p);
void     decode_pipe_free(struct decode_pipe *p);      /* NULL is fine */

#endif
