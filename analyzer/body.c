/* body.c: incremental content decoding with a size cap (see body.h). */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <zlib.h>
#include <zstd.h>

#include "body.h"

enum codec {
	C_ZSTD,
	C_GZIP,
	C_DEFLATE,
};

struct cx_decoder {
	enum codec       codec;
	uint64_t         max;
	uint64_t         total;
	int              truncated;
	int              failed;
	int              started;       /* deflate: the wrapper is known */
	int              in_stream;     /* inside a frame / member */
	int              member_done;   /* gzip: a member just ended */
	int              ended;         /* deflate: the stream ended */
	uint8_t          hold[2];       /* deflate: first bytes, undecided */
	size_t           nhold;
	ZSTD_DStream    *zs;
	z_stream         z;
	int              z_inited;
	uint8_t          outbuf[64 * 1024];
	char             err[200];
};

static enum codec
codec_of(const char *enc, int *ok)
{
	*ok = 1;
	if (strcasecmp(enc, "zstd") == 0)
		return C_ZSTD;
	if (strcasecmp(enc, "gzip") == 0 || strcasecmp(enc, "x-gzip") == 0)
		return C_GZIP;
	if (strcasecmp(enc, "deflate") == 0)
		return C_DEFLATE;
	*ok = 0;
	return C_ZSTD;
}

int
cx_decoder_supported(const char *encoding)
{
	int ok;

	if (encoding == NULL)
		return 0;
	codec_of(encoding, &ok);
	return ok;
}

struct cx_decoder *
cx_decoder_new(const char *encoding, uint64_t max)
{
	struct cx_decoder *d;
	enum codec c;
	int ok;

	if (encoding == NULL)
		return NULL;
	c = codec_of(encoding, &ok);
	if (!ok)
		return NULL;
	d = xcalloc(1, sizeof(*d));
	d->codec = c;
	d->max = max ? max : CX_BODY_MAX_DECODED;
	if (c == C_ZSTD) {
		if ((d->zs = ZSTD_createDStream()) == NULL) {
			free(d);
			return NULL;
		}
		ZSTD_initDStream(d->zs);
	} else if (c == C_GZIP) {
		if (inflateInit2(&d->z, 16 + MAX_WBITS) != Z_OK) {
			free(d);
			return NULL;
		}
		d->z_inited = 1;
		d->started = 1;
	}
	return d;
}

void
cx_decoder_free(struct cx_decoder *d)
{
	if (d == NULL)
		return;
	ZSTD_freeDStream(d->zs);
	if (d->z_inited)
		inflateEnd(&d->z);
	free(d);
}

static int
dfail(struct cx_decoder *d, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

static int
dfail(struct cx_decoder *d, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(d->err, sizeof(d->err), fmt, ap);
	va_end(ap);
	d->failed = 1;
	return -1;
}

/* Hand over produced bytes, up to the cap. */
static int
emit(struct cx_decoder *d, size_t n, cx_decoder_out_fn out, void *arg)
{
	if (n > d->max - d->total) {
		n = (size_t)(d->max - d->total);
		d->truncated = 1;
	}
	d->total += n;
	if (n > 0 && out != NULL && out(arg, d->outbuf, n) == -1)
		return dfail(d, "stopped by the caller");
	return 0;
}

static int
feed_zstd(struct cx_decoder *d, const uint8_t *in, size_t n,
    cx_decoder_out_fn out, void *arg)
{
	ZSTD_inBuffer ib = { in, n, 0 };

	while (!d->truncated && (ib.pos < ib.size || d->in_stream)) {
		ZSTD_outBuffer ob = { d->outbuf, sizeof(d->outbuf), 0 };
		size_t r = ZSTD_decompressStream(d->zs, &ob, &ib);

		if (ZSTD_isError(r))
			return dfail(d, "zstd: %s", ZSTD_getErrorName(r));
		d->in_stream = r != 0;
		if (emit(d, ob.pos, out, arg) == -1)
			return -1;
		/* Out of input with the output not full: wait for more. */
		if (ob.pos < ob.size && ib.pos == ib.size)
			break;
	}
	return 0;
}

static int
feed_zlib(struct cx_decoder *d, const uint8_t *in, size_t n,
    cx_decoder_out_fn out, void *arg)
{
	while (n > 0 && !d->truncated) {
		/* zlib counts in uInt: at most 1 GiB at a time. */
		size_t k = n > (1u << 30) ? (1u << 30) : n;
		int full = 0;

		d->z.next_in = (Bytef *)(uintptr_t)in;
		d->z.avail_in = (uInt)k;
		in += k;
		n -= k;
		while (!d->truncated && (d->z.avail_in > 0 || full)) {
			int r;

			if (d->ended) {
				/* Bytes after a deflate stream: ignored. */
				d->z.avail_in = 0;
				break;
			}
			if (d->member_done) {
				/* Another gzip member follows the first. */
				if (d->z.avail_in == 0)
					break;
				inflateReset(&d->z);
				d->member_done = 0;
			}
			d->in_stream = 1;
			d->z.next_out = d->outbuf;
			d->z.avail_out = sizeof(d->outbuf);
			r = inflate(&d->z, Z_NO_FLUSH);
			if (r != Z_OK && r != Z_STREAM_END && r != Z_BUF_ERROR)
				return dfail(d, "%s: %s", d->codec == C_GZIP ?
				    "gzip" : "deflate", d->z.msg ? d->z.msg :
				    "corrupt data");
			full = d->z.avail_out == 0;
			if (emit(d, sizeof(d->outbuf) - d->z.avail_out, out,
			    arg) == -1)
				return -1;
			if (r == Z_STREAM_END) {
				d->in_stream = 0;
				full = 0;
				if (d->codec == C_GZIP)
					d->member_done = 1;
				else
					d->ended = 1;
			} else if (r == Z_BUF_ERROR)
				break;          /* no progress possible */
		}
	}
	return 0;
}

/* deflate: zlib-wrapped if the first two bytes say so, raw otherwise. */
static int
start_deflate(struct cx_decoder *d)
{
	int zlib = d->nhold == 2 && (d->hold[0] & 0x0f) == 8 &&
	    ((d->hold[0] << 8) | d->hold[1]) % 31 == 0;

	if (inflateInit2(&d->z, zlib ? MAX_WBITS : -MAX_WBITS) != Z_OK)
		return dfail(d, "deflate: cannot initialise zlib");
	d->z_inited = 1;
	d->started = 1;
	return 0;
}

int
cx_decoder_feed(struct cx_decoder *d, const uint8_t *in, size_t n,
    cx_decoder_out_fn out, void *arg)
{
	if (d->failed)
		return -1;
	if (d->truncated || n == 0)
		return 0;
	if (d->codec == C_ZSTD)
		return feed_zstd(d, in, n, out, arg);
	if (!d->started) {
		while (d->nhold < 2 && n > 0) {
			d->hold[d->nhold++] = *in++;
			n--;
		}
		if (d->nhold < 2)
			return 0;
		if (start_deflate(d) == -1)
			return -1;
		if (feed_zlib(d, d->hold, 2, out, arg) == -1)
			return -1;
	}
	return feed_zlib(d, in, n, out, arg);
}

int
cx_decoder_finish(struct cx_decoder *d)
{
	if (d->failed)
		return -1;
	if (d->truncated)
		return 0;
	if (!d->started && d->codec == C_DEFLATE && d->nhold > 0)
		return dfail(d, "deflate: data ends too soon");
	if (d->in_stream)
		return dfail(d, "%s: the data ends inside a compressed stream",
		    d->codec == C_ZSTD ? "zstd" : d->codec == C_GZIP ? "gzip" :
		    "deflate");
	return 0;
}

uint64_t
cx_decoder_total(const struct cx_decoder *d)
{
	return d->total;
}

int
cx_decoder_truncated(const struct cx_decoder *d)
{
	return d->truncated;
}

const char *
cx_decoder_error(const struct cx_decoder *d)
{
	return d->err;
}

static int
to_buf(void *arg, const uint8_t *p, size_t n)
{
	cx_buf_add(arg, p, n);
	return 0;
}

int
cx_decode_all(const char *encoding, const uint8_t *in, size_t n,
    uint64_t max, struct cx_buf *out, int *truncated, char *err,
    size_t errlen)
{
	struct cx_decoder *d;
	int rc;

	cx_buf_reset(out);
	out->max = 0;
	*truncated = 0;
	if ((d = cx_decoder_new(encoding, max)) == NULL) {
		snprintf(err, errlen, "content encoding \"%s\" is not "
		    "supported", encoding ? encoding : "");
		return -1;
	}
	rc = cx_decoder_feed(d, in, n, to_buf, out);
	if (rc == 0)
		rc = cx_decoder_finish(d);
	*truncated = cx_decoder_truncated(d);
	if (rc == -1)
		snprintf(err, errlen, "%s", cx_decoder_error(d));
	cx_decoder_free(d);
	return rc;
}
