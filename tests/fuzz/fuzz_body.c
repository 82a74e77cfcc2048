/*
 * fuzz_body.c: the content decoders (analyzer/body.c: gzip, deflate,
 * zstd, br and lists of them) over any bytes, incremental and whole,
 * under a small cap so bombs are cut: both ways give the same bytes.
 *
 * Input: byte 0 picks the coding, byte 1 the piece size; the rest is the
 * body.
 */
#include <stdlib.h>
#include <string.h>

#include "body.h"
#include "bytebuf.h"
#include "fuzz.h"

#define CAP     (1u << 20)

struct acc {
	uint8_t *p;
	size_t   n;
};

static int
on_out(void *arg, const uint8_t *p, size_t n)
{
	struct acc *a = arg;

	if (a->n + n > CAP)
		abort();        /* past the cap */
	memcpy(a->p + a->n, p, n);
	a->n += n;
	return 0;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const char *const enc[] = {
		"gzip", "deflate", "zstd", "br", "gzip, br", "x-gzip",
		"identity, gzip", "deflate, zstd",
	};
	struct acc a;
	struct cx_decoder *d;
	struct cx_buf whole;
	char err[256];
	int trunc = 0;

	if (size < 2)
		return 0;
	const char *e = enc[data[0] % (sizeof(enc) / sizeof(enc[0]))];
	uint8_t sel = data[1];

	data += 2;
	size -= 2;
	if (!cx_decoder_supported(e) || (d = cx_decoder_new(e, CAP)) == NULL)
		return 0;
	if ((a.p = malloc(CAP)) == NULL) {
		cx_decoder_free(d);
		return 0;
	}
	a.n = 0;
	int bad = 0;
	for (size_t off = 0; off < size && !bad;) {
		size_t n = fuzz_piece(sel, size - off);

		bad = cx_decoder_feed(d, data + off, n, on_out, &a) == -1;
		off += n;
	}
	if (!bad)
		cx_decoder_finish(d);
	if (cx_decoder_total(d) != a.n)
		abort();
	cx_decoder_free(d);

	cx_buf_init(&whole, 0);
	if (cx_decode_all(e, data, size, CAP, &whole, &trunc, err,
	    sizeof(err)) == 0 && !bad && (whole.len != a.n ||
	    (a.n > 0 && memcmp(whole.p, a.p, a.n) != 0)))
		abort();        /* whole and incremental disagree */
	cx_buf_free(&whole);
	free(a.p);
	return 0;
}
