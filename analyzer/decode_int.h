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

/* One pass over the trace: where its frames go. */
struct decode_run {
	struct cx_reader        *r;
	struct cx_analysis      *a;
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

#endif
