/* body.c: incremental content decoding with a size cap (see body.h). */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <brotli/decode.h>
#include <zlib.h>
#include <zstd.h>

#include "body.h"

enum codec {
	C_ZSTD,
	C_GZIP,
	C_DEFLATE,
	C_BROTLI,
};

/* One coding of a Content-Encoding list. */
struct stage {
	enum codec       codec;
	uint64_t         max;
	uint64_t         total;
	int              truncated;
	int              failed;
	int              started;       /* deflate: the wrapper is known */
	int              in_stream;     /* inside a frame / member */
	int              member_done;   /* gzip: a member just ended */
	int              ended;         /* deflate, br: the stream ended */
	uint8_t          hold[2];       /* deflate: first bytes, undecided */
	size_t           nhold;
	ZSTD_DStream    *zs;
	z_stream         z;
	int              z_inited;
	BrotliDecoderState *br;
	uint8_t          outbuf[64 * 1024];
	char             err[200];
};

/*
 * The decoder: one stage per coding, in decoding order (the last coding
 * applied first).  Input goes to st[0]; st[i]'s output is st[i + 1]'s
 * input; the last stage's output is the caller's.
 */
#define MAX_STAGES      8

struct cx_decoder {
	struct stage    *st;
	size_t           n;
};

/* How a stage hands its output on. */
struct link {
	struct cx_decoder *d;
	size_t           next;          /* the stage fed, d->n: the caller */
	cx_decoder_out_fn out;
	void            *arg;
};

static int
codec_of(const char *enc, size_t len, enum codec *c)
{
	if (len == 4 && strncasecmp(enc, "zstd", 4) == 0)
		*c = C_ZSTD;
	else if ((len == 4 && strncasecmp(enc, "gzip", 4) == 0) ||
	    (len == 6 && strncasecmp(enc, "x-gzip", 6) == 0))
		*c = C_GZIP;
	else if (len == 7 && strncasecmp(enc, "deflate", 7) == 0)
		*c = C_DEFLATE;
	else if (len == 2 && strncasecmp(enc, "br", 2) == 0)
		*c = C_BROTLI;
	else
		return -1;
	return 0;
}

/*
 * The codings of a Content-Encoding value, in the order applied
 * ("gzip, br": gzip, then br); "identity" is skipped.  The count, or -1 if
 * one is not supported or there are too many.
 */
static int
parse_codings(const char *enc, enum codec *c)
{
	int n = 0;

	while (*enc != '\0') {
		size_t len;

		while (*enc == ' ' || *enc == '\t' || *enc == ',')
			enc++;
		for (len = 0; enc[len] != '\0' && enc[len] != ',' &&
		    enc[len] != ' ' && enc[len] != '\t'; len++)
			;
		if (len == 0)
			break;
		if (!(len == 8 && strncasecmp(enc, "identity", 8) == 0)) {
			if (n == MAX_STAGES || codec_of(enc, len, &c[n]) == -1)
				return -1;
			n++;
		}
		enc += len;
		while (*enc == ' ' || *enc == '\t')
			enc++;
		if (*enc != '\0' && *enc != ',')
			return -1;
	}
	return n;
}

int
cx_decoder_supported(const char *encoding)
{
	enum codec c[MAX_STAGES];

	return encoding != NULL && parse_codings(encoding, c) > 0;
}

static const char *
codec_name(enum codec c)
{
	switch (c) {
	case C_ZSTD:
		return "zstd";
	case C_GZIP:
		return "gzip";
	case C_DEFLATE:
		return "deflate";
	case C_BROTLI:
		return "br";
	}
	return "?";
}

static int
stage_init(struct stage *s, enum codec c, uint64_t max)
{
	s->codec = c;
	s->max = max;
	switch (c) {
	case C_ZSTD:
		if ((s->zs = ZSTD_createDStream()) == NULL)
			return -1;
		ZSTD_initDStream(s->zs);
		break;
	case C_GZIP:
		if (inflateInit2(&s->z, 16 + MAX_WBITS) != Z_OK)
			return -1;
		s->z_inited = 1;
		s->started = 1;
		break;
	case C_DEFLATE:
		break;
	case C_BROTLI:
		if ((s->br = BrotliDecoderCreateInstance(NULL, NULL, NULL)) ==
		    NULL)
			return -1;
		break;
	}
	return 0;
}

static void
stage_free(struct stage *s)
{
	ZSTD_freeDStream(s->zs);
	if (s->z_inited)
		inflateEnd(&s->z);
	if (s->br != NULL)
		BrotliDecoderDestroyInstance(s->br);
}

void
cx_decoder_free(struct cx_decoder *d)
{
	if (d == NULL)
		return;
	for (size_t i = 0; i < d->n; i++)
		stage_free(&d->st[i]);
	free(d->st);
	free(d);
}

struct cx_decoder *
cx_decoder_new(const char *encoding, uint64_t max)
{
	enum codec c[MAX_STAGES];
	struct cx_decoder *d;
	int n;

	if (encoding == NULL || (n = parse_codings(encoding, c)) <= 0)
		return NULL;
	d = xcalloc(1, sizeof(*d));
	d->st = xcalloc((size_t)n, sizeof(*d->st));
	for (int i = 0; i < n; i++) {
		/* Decoded in reverse order of application. */
		if (stage_init(&d->st[d->n], c[n - 1 - i], max ? max :
		    CX_BODY_MAX_DECODED) == -1) {
			cx_decoder_free(d);
			return NULL;
		}
		d->n++;
	}
	return d;
}

static int
dfail(struct stage *d, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

static int
dfail(struct stage *d, const char *fmt, ...)
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
emit(struct stage *d, size_t n, cx_decoder_out_fn out, void *arg)
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
feed_zstd(struct stage *d, const uint8_t *in, size_t n,
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
feed_brotli(struct stage *d, const uint8_t *in, size_t n,
    cx_decoder_out_fn out, void *arg)
{
	size_t avail_in = n;
	const uint8_t *next_in = in;

	while (!d->truncated && !d->ended) {
		uint8_t *next_out = d->outbuf;
		size_t avail_out = sizeof(d->outbuf);
		BrotliDecoderResult r = BrotliDecoderDecompressStream(d->br,
		    &avail_in, &next_in, &avail_out, &next_out, NULL);

		if (r == BROTLI_DECODER_RESULT_ERROR)
			return dfail(d, "br: %s", BrotliDecoderErrorString(
			    BrotliDecoderGetErrorCode(d->br)));
		d->in_stream = 1;
		if (emit(d, sizeof(d->outbuf) - avail_out, out, arg) == -1)
			return -1;
		if (r == BROTLI_DECODER_RESULT_SUCCESS) {
			/* Bytes after the stream are ignored (as deflate). */
			d->in_stream = 0;
			d->ended = 1;
		} else if (r == BROTLI_DECODER_RESULT_NEEDS_MORE_INPUT)
			break;
	}
	return 0;
}

static int
feed_zlib(struct stage *d, const uint8_t *in, size_t n,
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
start_deflate(struct stage *d)
{
	int zlib = d->nhold == 2 && (d->hold[0] & 0x0f) == 8 &&
	    ((d->hold[0] << 8) | d->hold[1]) % 31 == 0;

	if (inflateInit2(&d->z, zlib ? MAX_WBITS : -MAX_WBITS) != Z_OK)
		return dfail(d, "deflate: cannot initialise zlib");
	d->z_inited = 1;
	d->started = 1;
	return 0;
}

static int
stage_feed(struct stage *d, const uint8_t *in, size_t n,
    cx_decoder_out_fn out, void *arg)
{
	if (d->failed)
		return -1;
	if (d->truncated || n == 0)
		return 0;
	if (d->codec == C_ZSTD)
		return feed_zstd(d, in, n, out, arg);
	if (d->codec == C_BROTLI)
		return feed_brotli(d, in, n, out, arg);
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

/* A stage's output, fed to the next one (or to the caller). */
static int
link_out(void *arg, const uint8_t *p, size_t n)
{
	struct link *l = arg;

	if (l->next == l->d->n)
		return l->out != NULL ? l->out(l->arg, p, n) : 0;
	return stage_feed(&l->d->st[l->next], p, n, link_out, l + 1);
}

int
cx_decoder_feed(struct cx_decoder *d, const uint8_t *in, size_t n,
    cx_decoder_out_fn out, void *arg)
{
	struct link l[MAX_STAGES];

	if (d->n == 1)
		return stage_feed(&d->st[0], in, n, out, arg);
	for (size_t i = 0; i < d->n; i++) {
		l[i].d = d;
		l[i].next = i + 1;
		l[i].out = out;
		l[i].arg = arg;
	}
	return stage_feed(&d->st[0], in, n, link_out, &l[0]);
}

static int
stage_finish(struct stage *d)
{
	if (d->failed)
		return -1;
	if (d->truncated)
		return 0;
	if (!d->started && d->codec == C_DEFLATE && d->nhold > 0)
		return dfail(d, "deflate: data ends too soon");
	if (d->in_stream)
		return dfail(d, "%s: the data ends inside a compressed stream",
		    codec_name(d->codec));
	return 0;
}

int
cx_decoder_finish(struct cx_decoder *d)
{
	for (size_t i = 0; i < d->n; i++) {
		if (stage_finish(&d->st[i]) == -1)
			return -1;
		/* A stage cut at the cap cut the input of the next. */
		if (d->st[i].truncated)
			return 0;
	}
	return 0;
}

uint64_t
cx_decoder_total(const struct cx_decoder *d)
{
	return d->st[d->n - 1].total;
}

int
cx_decoder_truncated(const struct cx_decoder *d)
{
	for (size_t i = 0; i < d->n; i++)
		if (d->st[i].truncated)
			return 1;
	return 0;
}

const char *
cx_decoder_error(const struct cx_decoder *d)
{
	/* A failure further down the chain stops the stages before it. */
	for (size_t i = d->n; i-- > 0;)
		if (d->st[i].failed)
			return d->st[i].err;
	return "";
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
