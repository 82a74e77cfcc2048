/*
 * jsonw.h: the pieces of JSON output that jsonl and HAR share, appended to
 * a byte buffer: strings redacted as text, URLs, header lists, numbers and
 * milliseconds.  A buffer, not a FILE, because most pieces are a few bytes
 * and the output of one exchange is written out in large blocks
 * (cx_jw_flush).
 *
 * With redact set, strings go through redact.h's policy (cx_out_redact); without, they are
 * written as they are (always as valid JSON: cx_json_str_buf).
 */
#ifndef CX_JSONW_H
#define CX_JSONW_H

#include <stdint.h>
#include <stdio.h>

#include "bytebuf.h"
#include "exchange.h"
#include "output.h"

/* Flush b to f when it holds at least this much (and at the end). */
#define CX_JW_FLUSH     (64u * 1024)

/* A string, redacted as `as` says if asked (output.h's cx_out_redact). */
void     cx_jw_red(struct cx_buf *b, int redact, enum cx_out_as as,
    const char *s, size_t n);
/* A string, redacted as text if asked. */
void     cx_jw_str(struct cx_buf *b, int redact, const char *s, size_t n);
/* A C string so, or null. */
void     cx_jw_cstr(struct cx_buf *b, int redact, const char *s);
/* A URL or request target (secret query parameters too), or null. */
void     cx_jw_url(struct cx_buf *b, int redact, const char *s);
/* Header fields as [["name","value"],...], credentials redacted. */
void     cx_jw_fields(struct cx_buf *b, int redact, const struct cx_fields *fl);
/* What is known of a process (procs.h), or null (docs/jsonl.md). */
void     cx_jw_process(struct cx_buf *b, int redact, const struct cx_proc *p);
/* A WebSocket opcode's name ("text", "binary", "close", ...). */
const char *cx_jw_ws_opcode(int opcode);
/* An unsigned integer. */
void     cx_jw_u64(struct cx_buf *b, uint64_t v);
/* A duration in ns as milliseconds, three decimals ("12.345"). */
void     cx_jw_ms(struct cx_buf *b, int64_t ns);
/* Append a C string / a character (no escaping: for the output's syntax). */
void     cx_jw_raw(struct cx_buf *b, const char *s);
/* Write b to f and empty it; with all 0, only if it holds CX_JW_FLUSH. */
void     cx_jw_flush(struct cx_buf *b, FILE *f, int all);

#endif
