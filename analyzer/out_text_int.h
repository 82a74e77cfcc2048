/*
 * out_text_int.h: INTERNAL to the text listing (out_text.c,
 * out_text_exchange.c); nothing else includes it.  The format's public
 * face is cx_out_text_format (output.h).
 *
 * Everything here writes for a terminal (cx_out_term): nothing in a trace
 * can drive it; ctx->redact says whether secrets are redacted.
 */
#ifndef CX_OUT_TEXT_INT_H
#define CX_OUT_TEXT_INT_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "bytebuf.h"
#include "exchange.h"
#include "output.h"

/* out_text.c */
void     text_tputs(FILE *f, const char *s);
void     text_rputs(FILE *f, const struct cx_out_ctx *ctx, const char *s);
void     text_rurl(FILE *f, const struct cx_out_ctx *ctx, const char *s);
/* n bytes as "123B", "1.2KB", ... into buf. */
void     text_size(char *buf, size_t len, uint64_t n);
void     text_json_out(FILE *f, const struct cx_out_ctx *ctx, const char *p,
    size_t n, int pretty, int scalar, const char *indent);

/* out_text_exchange.c: one exchange, then an empty line. */
void     text_show_exchange(FILE *f, const struct cx_out_ctx *ctx,
    const struct cx_exchange *ex);

#endif
