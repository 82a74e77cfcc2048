/*
 * fuzz_ws.c: the WebSocket frame parser with permessage-deflate
 * (analyzer/ws.c) over any bytes, both directions interleaved.
 *
 * Input: byte 0 picks the negotiated extension (none, deflate, deflate
 * without context takeover, small windows), byte 1 the piece size and
 * byte 2 how pieces alternate between the directions; the rest is the
 * stream.
 */
#include <stdlib.h>

#include "fuzz.h"
#include "ws.h"

static int
on_msg(void *arg, const struct cx_ws_msg *m)
{
	(void)arg;
	if (m->len > CX_WS_MAX_MSG)
		abort();
	if (m->len > 0 && m->data == NULL)
		abort();
	return 0;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const char *const ext[] = {
		NULL,
		"permessage-deflate",
		"permessage-deflate; client_no_context_takeover; "
		    "server_no_context_takeover",
		"permessage-deflate; client_max_window_bits=9; "
		    "server_max_window_bits=10",
		"permessage-deflate; server_max_window_bits=8",
		"x-unknown",
	};
	struct cx_ws *w;

	if (size < 3)
		return 0;
	const char *e = ext[data[0] % (sizeof(ext) / sizeof(ext[0]))];
	uint8_t sel = data[1], alt = data[2];

	data += 3;
	size -= 3;
	if ((w = cx_ws_new(e, on_msg, NULL)) == NULL)
		return 0;
	for (size_t off = 0, i = 0; off < size; i++) {
		size_t n = fuzz_piece(sel, size - off);
		enum cx_ws_dir d = (alt >> (i % 8)) & 1 ? CX_WS_SERVER :
		    CX_WS_CLIENT;

		cx_ws_feed(w, d, data + off, n);
		off += n;
	}
	cx_ws_finish(w);
	(void)cx_ws_error(w, CX_WS_CLIENT);
	(void)cx_ws_error(w, CX_WS_SERVER);
	cx_ws_free(w);
	return 0;
}
