/*
 * out_har_int.h: INTERNAL to the HAR format (out_har.c, out_har_fields.c);
 * nothing else includes it.  The format's public face is cx_out_har_format
 * (output.h).
 */
#ifndef CX_OUT_HAR_INT_H
#define CX_OUT_HAR_INT_H

#include <stdio.h>

#include "bytebuf.h"
#include "exchange.h"
#include "output.h"

/* out_har.c: a buffer's content as a JSON string. */
void     har_bstr(FILE *f, const struct cx_buf *b);

/* out_har_fields.c: headers[] of fl; cookies[] of a request's Cookie
 * fields or (response) a response's Set-Cookie fields. */
void     har_headers(FILE *f, const struct cx_out_ctx *ctx,
    const struct cx_fields *fl);
void     har_cookies(FILE *f, const struct cx_out_ctx *ctx,
    const struct cx_fields *fl, int response);

#endif
