/*
 * output.h: the output formats of cxrec decode, and what they share.
 *
 * out_jsonl.c writes one JSON object a line per exchange (docs/jsonl.md);
 * out_text.c a listing for people.  Both redact unless told not to.
 */
#ifndef CX_OUTPUT_H
#define CX_OUTPUT_H

#include <stdint.h>
#include <stdio.h>

#include "exchange.h"
#include "trace.h"

struct cx_out_ctx {
	const char                      *trace_path;
	const struct cx_file_info       *info;
	const struct cx_analysis_result *r;
	const struct cx_reader_stats    *damage;        /* may be NULL */
	int                              redact;
	uint64_t                         max_body;      /* text: 0 = all */
};

void     cx_out_jsonl(FILE *f, const struct cx_out_ctx *ctx);
/* One exchange's line, for streaming (cx_analysis_stream). */
void     cx_out_jsonl_exchange(FILE *f, const struct cx_out_ctx *ctx,
    const struct cx_exchange *ex);
void     cx_out_text(FILE *f, const struct cx_out_ctx *ctx);
/* The Markdown report (out_md.c). */
void     cx_out_md(FILE *f, const struct cx_out_ctx *ctx);
/* HAR 1.2 (out_har.c). */
void     cx_out_har(FILE *f, const struct cx_out_ctx *ctx);
/*
 * The codex view, turn by turn (out_conv.c): plain text, or with markdown
 * set, Markdown (escaped) for the report's "Conversation" section.
 */
void     cx_out_conversation(FILE *f, const struct cx_out_ctx *ctx,
    int markdown);

/*
 * Bytes for a terminal: controls and invalid UTF-8 as \xNN; with nl set a
 * newline starts a new line with prefix, otherwise it shows as \n.
 */
void     cx_out_term(FILE *f, const char *s, size_t n, int nl,
    const char *prefix);

/* ts (CLOCK_MONOTONIC ns) as UTC wall-clock time, using the trace's anchor:
 * "2026-11-24T07:07:53.123456Z", or with date 0 "07:07:53.123456". */
void     cx_fmt_time(char *buf, size_t len, const struct cx_file_info *info,
    int64_t ts, int date);
/* A duration in ns as milliseconds with microsecond precision. */
double   cx_ms(int64_t ns);
/* "HTTP/1.1" for 11. */
void     cx_fmt_version(char *buf, size_t len, int version);

#endif
