/*
 * fuzz_sse.c: the server-sent events parser (analyzer/sse.c) over any
 * bytes fed in pieces: every event's data is NUL-terminated at its
 * length and within the cap.
 *
 * Input: byte 0 the piece size, byte 1 the cap (in 64-byte steps, 0 for
 * none); the rest is the stream.
 */
#include <stdlib.h>
#include <string.h>

#include "fuzz.h"
#include "sse.h"

static int
on_event(void *arg, const struct cx_sse_event *ev)
{
	size_t max = *(size_t *)arg;

	if (ev->event == NULL || ev->data == NULL)
		abort();
	if (ev->data[ev->data_len] != '\0')
		abort();
	if (max != 0 && ev->data_len > max)
		abort();
	(void)strlen(ev->event);
	return 0;
}

static void
feed(void *s, const uint8_t *p, size_t n)
{
	cx_sse_feed(s, p, n);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct cx_sse *s;
	size_t max;

	if (size < 2)
		return 0;
	uint8_t sel = data[0];

	max = (size_t)data[1] * 64;
	data += 2;
	size -= 2;
	if ((s = cx_sse_new(max, on_event, &max)) == NULL)
		return 0;
	fuzz_pieces(sel, data, size, feed, s);
	cx_sse_finish(s);
	cx_sse_free(s);
	return 0;
}
