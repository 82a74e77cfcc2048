/*
 * fuzz_http.c: both HTTP/1.1 parsers over any bytes: the analyzer's
 * streaming one (analyzer/http.c), as a request or a response stream fed
 * in pieces, and the relay's head parser (relay/relay_http.c).
 *
 * Input: byte 0 picks request (even) or response (odd) and byte 1 the
 * piece size; the rest is the stream.
 */
#include <stdlib.h>
#include <string.h>

#include "fuzz.h"
#include "http.h"
#include "relay_http.h"

struct seen {
	int     in;             /* begin called, end not yet */
	size_t  body;
};

static int
on_begin(void *arg)
{
	struct seen *s = arg;

	if (s->in)
		abort();        /* begin twice without end */
	s->in = 1;
	return 0;
}

static int
on_head(void *arg, const struct cx_http_head *h)
{
	(void)arg;
	(void)h;
	return 0;
}

static int
on_body(void *arg, const uint8_t *p, size_t n)
{
	struct seen *s = arg;

	if (n > 0 && p == NULL)
		abort();
	s->body += n;
	return 0;
}

static int
on_end(void *arg)
{
	struct seen *s = arg;

	if (!s->in)
		abort();
	s->in = 0;
	return 0;
}

static int
on_tunnel(void *arg, const uint8_t *p, size_t n)
{
	(void)arg;
	(void)p;
	(void)n;
	return 0;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const struct cx_http_cb cb = {
		.begin = on_begin, .head = on_head, .body = on_body,
		.end = on_end, .tunnel = on_tunnel,
	};
	struct seen s = { 0, 0 };
	struct cx_http *h;
	struct rh_head rh;

	if (size < 2)
		return 0;
	int response = data[0] & 1;
	uint8_t sel = data[1];

	data += 2;
	size -= 2;
	h = cx_http_new(response ? CX_HTTP_RESPONSE : CX_HTTP_REQUEST, &cb, &s);
	if (h == NULL)
		return 0;
	fuzz_pieces(sel, data, size, fuzz_http_feed, h);
	cx_http_eof(h);
	(void)cx_http_error(h);
	cx_http_free(h);

	memset(&rh, 0, sizeof(rh));
	if (response)
		rh_parse_response(data, size, &rh);
	else
		rh_parse_request(data, size, &rh);
	return 0;
}
