/*
 * fuzz_chunked.c: the chunked transfer-coding decoders over any bytes:
 * the relay's (rh_body, which finds where a body ends) and the analyzer's
 * (a response whose head says chunked).  Both must agree on where a
 * well-formed chunked body ends.
 *
 * Input: byte 0 the piece size; the rest is the body.
 */
#include <stdlib.h>
#include <string.h>

#include "fuzz.h"
#include "http.h"
#include "relay_http.h"

static int
on_end(void *arg)
{
	(*(int *)arg)++;
	return 0;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const char head[] =
	    "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n";
	static const struct cx_http_cb cb = { .end = on_end };
	struct rh_body b;
	struct cx_http *h;
	size_t off, used = 0;
	int ends = 0;

	if (size < 1)
		return 0;
	uint8_t sel = data[0];

	data++;
	size--;
	rh_body_init(&b, RH_BODY_CHUNKED, 0);
	for (off = 0; off < size && !b.done && !b.bad;) {
		size_t n = fuzz_piece(sel, size - off);
		size_t k = rh_body_feed(&b, data + off, n);

		if (k > n)
			abort();
		used += k;
		off += n;
		if (k < n)
			break;
	}

	h = cx_http_new(CX_HTTP_RESPONSE, &cb, &ends);
	if (h == NULL)
		return 0;
	cx_http_feed(h, (const uint8_t *)head, sizeof(head) - 1);
	/* Only the body the relay took: the analyzer must end it there too. */
	fuzz_pieces(sel, data, used, fuzz_http_feed, h);
	if (b.done && !b.bad && !cx_http_failed(h) && ends != 1)
		abort();        /* the relay saw the end, the analyzer did not */
	cx_http_eof(h);
	cx_http_free(h);
	return 0;
}
