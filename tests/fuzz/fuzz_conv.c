/*
 * fuzz_conv.c: the conversation model's adapters (conv.h) over an
 * exchange built from fuzzed parts, and the sessions over their turns:
 * no crash, no leak.
 *
 * Input: byte 0 the mode (bit 0: WebSocket messages rather than an HTTP
 * exchange; bit 1: a plain response body rather than an event stream;
 * bits 2-4: the request's path), then parts separated by NUL bytes: the
 * request body (the first client message on a WebSocket), then the
 * events: "NAME\x01DATA" for SSE (no \x01: a "message"), or, on a
 * WebSocket, a first byte whose bit 0 is the direction (0: the client).
 * Every adapter's turns run on it, whether it claims it or not.
 */
#include <stdlib.h>
#include <string.h>

#include "conv.h"
#include "fuzz.h"
#include "ws.h"
#include "xmalloc.h"

#define MAX_PARTS       256

static const char *const paths[] = {
	"/v1/responses", "/backend-api/codex/responses?x=1",
	"/v1/chat/completions", "/v1/messages?beta=true",
	"/v1beta/models/gemini-2.5-pro:streamGenerateContent?alt=sse",
	"/v1internal:generateContent", "/v1beta/models/m:generateContent",
	"/other",
};

static struct cx_sessions *sessions;

static void
on_turn(void *arg, struct cx_turn *t)
{
	int is_new;

	(void)arg;
	cx_sessions_turn(sessions, t, &is_new);
	(void)cx_usage_total(&t->usage);
	if (t->input.n % 2 == 1) {
		/* a caller that keeps its turn */
		struct cx_turn *h = cx_turn_take(t);

		cx_turn_free(h);
		free(h);
	}
}

/* p[0..n) as a NUL-terminated copy. */
static char *
dup(const uint8_t *p, size_t n)
{
	return xstrndup((const char *)p, n);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct cx_exchange ex;
	struct cx_event ev[MAX_PARTS];
	struct cx_wsmsg ws[MAX_PARTS];
	const uint8_t *part[MAX_PARTS];
	size_t plen[MAX_PARTS], np = 0, nev = 0, nws = 0, i;
	uint8_t mode;
	char *body, *resp_body = NULL;

	if (size < 1)
		return 0;
	mode = data[0];
	data++;
	size--;
	/* the parts */
	for (i = 0; np < MAX_PARTS; ) {
		const uint8_t *z = memchr(data + i, 0, size - i);
		size_t end = z != NULL ? (size_t)(z - data) : size;

		part[np] = data + i;
		plen[np++] = end - i;
		if (z == NULL)
			break;
		i = end + 1;
	}
	memset(&ex, 0, sizeof(ex));
	memset(ev, 0, sizeof(ev));
	memset(ws, 0, sizeof(ws));
	ex.id = 1;
	ex.pid = 42;
	ex.has_req = ex.has_resp = 1;
	ex.req.head_done = ex.req.complete = 1;
	ex.resp.head_done = ex.resp.complete = 1;
	ex.resp.status = 200;
	ex.req.version = ex.resp.version = 11;
	ex.req.target = (char *)paths[(mode >> 2) % (sizeof(paths) /
	    sizeof(*paths))];
	ex.req.method = (char *)((mode & 1) ? "GET" : "POST");
	body = dup(part[0], plen[0]);
	if (mode & 1) {
		/* a WebSocket: the first part the client's, then any */
		for (i = 0; i < np; i++) {
			const uint8_t *p = part[i];
			size_t n = plen[i];

			ws[nws].dir = CX_WS_CLIENT;
			if (i > 0 && n > 0) {
				ws[nws].dir = p[0] & 1;
				ws[nws].opcode = (p[0] & 2) ? CX_WS_BINARY :
				    CX_WS_TEXT;
				p++;
				n--;
			} else
				ws[nws].opcode = CX_WS_TEXT;
			ws[nws].ts = (int64_t)(i + 1) * 1000;
			ws[nws].data = dup(p, n);
			ws[nws].len = n;
			nws++;
		}
		ex.ws = ws;
		ex.nws = nws;
		ex.resp.status = 101;
	} else {
		ex.req.body.p = (uint8_t *)body;
		ex.req.body.len = plen[0];
		ex.req.body_bytes = plen[0];
		if (mode & 2) {
			if (np > 1) {
				resp_body = dup(part[1], plen[1]);
				ex.resp.body.p = (uint8_t *)resp_body;
				ex.resp.body.len = plen[1];
				ex.resp.body_bytes = plen[1];
			}
		} else {
			ex.resp.sse = 1;
			for (i = 1; i < np; i++) {
				const uint8_t *sep = memchr(part[i], 1,
				    plen[i]);
				size_t nl = sep ? (size_t)(sep - part[i]) : 0;

				ev[nev].ts = (int64_t)i * 1000;
				ev[nev].event = sep ? dup(part[i], nl) :
				    xstrdup("message");
				ev[nev].data = sep ? dup(sep + 1, plen[i] -
				    nl - 1) : dup(part[i], plen[i]);
				ev[nev].data_len = sep ? plen[i] - nl - 1 :
				    plen[i];
				ev[nev].partial = i + 1 == np && (mode & 0x80);
				nev++;
			}
			ex.resp.events = ev;
			ex.resp.nevents = nev;
		}
	}
	sessions = cx_sessions_new();
	(void)cx_api_of(&ex);
	cx_conv_turns(&ex, on_turn, NULL);
	for (i = 0; cx_api_table[i] != NULL; i++)
		cx_api_table[i]->turns(&ex, on_turn, NULL);
	cx_sessions_free(sessions);
	sessions = NULL;
	for (i = 0; i < nev; i++) {
		free(ev[i].event);
		free(ev[i].data);
	}
	for (i = 0; i < nws; i++)
		free(ws[i].data);
	free(body);
	free(resp_body);
	return 0;
}
