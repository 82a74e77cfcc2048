/*
 * out_md.h: what the Markdown report's files share (internal to out_md.c,
 * the report's sections from the facts of report.h, out_md_usage.c, its
 * token usage and cost, and out_md_exchange.c, the sections of one
 * exchange).
 */
#ifndef CX_OUT_MD_H
#define CX_OUT_MD_H

#include <stdint.h>
#include <stdio.h>

#include "exchange.h"
#include "output.h"

/* Traffic text (s may be NULL: nothing), redacted as text or, with url
 * set, as a URL, then escaped inline (escape.h's CX_MD_* flags). */
void     cx_mdr_text(FILE *f, const struct cx_out_ctx *ctx, const char *s,
    int url, int flags);
/* A byte count for people: "512 B", "1.5 KiB", "2.0 MiB", "1.25 GiB". */
void     cx_mdr_size(char *buf, size_t len, uint64_t n);
/* The "Token usage" section: per turn, session and API, with cost. */
struct cx_report;
void     cx_mdr_usage(FILE *f, const struct cx_out_ctx *ctx,
    const struct cx_report *rep);
/* One exchange's section: an anchor "exchange-ID", a heading, then its
 * blocks. */
void     cx_mdr_exchange(FILE *f, const struct cx_out_ctx *ctx,
    const struct cx_exchange *ex);

#endif
