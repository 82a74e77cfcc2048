/*
 * body.h: content decoding (Content-Encoding zstd, gzip, deflate, br, and
 * lists of them such as "gzip, br") with a cap on the decoded size.
 *
 * A decoder is incremental, so an encoded event stream can be decoded as it
 * arrives: feed the encoded bytes in order and the decoded bytes come out
 * through the callback.  Output past max is not produced: the decoder
 * stops, sets "truncated", and ignores the rest of its input (a bomb costs
 * nothing).  Multi-frame zstd and multi-member gzip are decoded whole;
 * "deflate" is zlib-wrapped data or, as some servers send, raw deflate;
 * bytes after the end of a deflate or br stream are ignored.  A list of
 * codings was applied in the order given and is decoded in reverse, each
 * stage's output capped at max too.
 */
#ifndef CX_BODY_H
#define CX_BODY_H

#include <stddef.h>
#include <stdint.h>

#include "bytebuf.h"

#define CX_BODY_MAX_DECODED     (256u * 1024 * 1024)

/* Is this Content-Encoding value one we decode (every coding in it)?
 * "identity" is skipped in a list; alone it is not a coding. */
int      cx_decoder_supported(const char *encoding);

/* Called with decoded bytes; return 0, or -1 to stop with an error. */
typedef int (*cx_decoder_out_fn)(void *arg, const uint8_t *p, size_t n);

struct cx_decoder;

/* NULL if the encoding is not supported.  max 0: CX_BODY_MAX_DECODED. */
struct cx_decoder *cx_decoder_new(const char *encoding, uint64_t max);
void     cx_decoder_free(struct cx_decoder *d);         /* NULL is fine */
/* 0, or -1 if the data is corrupt (cx_decoder_error); it then stays failed. */
int      cx_decoder_feed(struct cx_decoder *d, const uint8_t *in, size_t n,
    cx_decoder_out_fn out, void *arg);
/* The input ended: 0, or -1 if it stopped inside a compressed stream. */
int      cx_decoder_finish(struct cx_decoder *d);
uint64_t cx_decoder_total(const struct cx_decoder *d);  /* bytes produced */
int      cx_decoder_truncated(const struct cx_decoder *d);
const char *cx_decoder_error(const struct cx_decoder *d);  /* "" if none */

/*
 * Decode a whole body into out (which is reset first; its max is ignored,
 * the cap is max).  Returns 0, or -1 with a message in err; out then holds
 * whatever was decoded before the error.  *truncated says the cap was hit.
 */
int      cx_decode_all(const char *encoding, const uint8_t *in, size_t n,
    uint64_t max, struct cx_buf *out, int *truncated, char *err,
    size_t errlen);

#endif
