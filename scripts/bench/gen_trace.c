/*
 * gen_trace: write a cxrec trace of N codex-like exchanges, for the decode
 * benchmark (scripts/bench/decode_bench.sh, docs/performance.md "## decode").
 *
 * Each exchange is recorded the way the relay records one codex request
 * (relay/relay.c, docs/trace-format.md): one connection per exchange, an
 * open frame, the request as the client sent it (head, then body: dir 1),
 * a route frame after the head, the response exactly as the client got it
 * (head, then every SSE event as its own chunk and its own data frame with
 * its own timestamp: dir 2), the terminating chunk, a close frame.
 * Timestamps are synthetic but realistic: ~0.3-0.6 s to the first byte,
 * events 1-40 ms apart, 0.5-4 s between exchanges (a tool running).
 *
 * The request is POST /v1/responses with codex 0.98.0's headers
 * (docs/codex-protocol.md) and a ~18-23 KB JSON body of codex's shape; the
 * response is 200 text/event-stream, chunked, 40-60 events of the shapes
 * tests/lib/mocks/mock_upstream.py sends.  Everything but the file header, the
 * connection ids and the timestamps' base is a function of --seed.
 *
 * --dump FILE also writes every exchange's request and response bytes to
 * FILE for gen_flows.py (the equivalent mitmproxy flow file):
 *   "CXDUMP1\n" i64 realtime_base_ns
 *   then per exchange: "CXEX" u32 index u32 peer_port
 *                      i64 t_open i64 t_req_end i64 t_resp_start
 *                      i64 t_resp_end (ns after realtime_base_ns)
 *                      u32 req_len req  u32 resp_len resp
 *   all integers little-endian.
 *
 * --session N --turn-bytes B writes one codex session of N turns instead
 * (a new session every 4-12 turns otherwise), each request resending the
 * same instructions and every earlier turn, about B bytes of JSON each: the
 * bodies grow from ~20 KB by about B a turn, as a long session's do (the
 * HTML report's benchmark, scripts/bench/html_open.sh).
 *
 * usage: gen_trace -o FILE [--size BYTES | --exchanges N |
 *                  --session N --turn-bytes B] [--seed S] [--dump FILE]
 * Prints one line of statistics on stdout (exchanges, trace bytes, largest
 * exchange, request body bytes).
 *
 * gen_codex.c makes the exchanges; this file writes them out.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "../../common/trace.h"
#include "gen_codex.h"

/* --- output ---------------------------------------------------------------- */

static uint64_t trace_bytes = CX_FILE_HEADER_LEN;

static void
put(struct cx_writer *w, uint8_t kind, uint8_t dir, uint64_t conn,
    int64_t ts, uint32_t pid, const void *p, size_t n)
{
	struct cx_frame f;

	memset(&f, 0, sizeof(f));
	f.kind = kind;
	f.source = CX_SRC_RELAY;
	f.dir = dir;
	f.conn = conn;
	f.ts_ns = ts;
	f.pid = pid;
	f.tid = pid;
	f.payload = p;
	f.len = (uint32_t)n;
	if (cx_writer_put(w, &f) == -1) {
		fprintf(stderr, "gen_trace: writing the trace: %s\n",
		    strerror(cx_writer_last_errno(w)));
		exit(1);
	}
	trace_bytes += CX_FRAME_HEADER_LEN * (1 + n / (CX_FRAME_MAX_PAYLOAD +
	    1)) + n;
}

static void
w32(FILE *fp, uint32_t v)
{
	uint8_t b[4] = { (uint8_t)v, (uint8_t)(v >> 8), (uint8_t)(v >> 16),
	    (uint8_t)(v >> 24) };
	fwrite(b, 1, 4, fp);
}

static void
w64(FILE *fp, int64_t v)
{
	w32(fp, (uint32_t)((uint64_t)v & 0xffffffffu));
	w32(fp, (uint32_t)((uint64_t)v >> 32));
}

static void
usage(void)
{
	fprintf(stderr, "usage: gen_trace -o FILE [--size BYTES | --exchanges "
	    "N | --session N --turn-bytes B] [--seed S] [--dump FILE]\n");
	exit(2);
}

int
main(int argc, char **argv)
{
	const char *out = NULL, *dump = NULL;
	uint64_t size = 1ULL << 30, nex = 0, seed = 1, turn_bytes = 0;
	int one_session = 0;
	char err[256];

	for (int i = 1; i < argc; i++) {
		const char *a = argv[i];
		if (i + 1 >= argc)
			usage();
		if (strcmp(a, "-o") == 0)
			out = argv[++i];
		else if (strcmp(a, "--size") == 0)
			size = strtoull(argv[++i], NULL, 0);
		else if (strcmp(a, "--exchanges") == 0)
			nex = strtoull(argv[++i], NULL, 0);
		else if (strcmp(a, "--seed") == 0)
			seed = strtoull(argv[++i], NULL, 0);
		else if (strcmp(a, "--dump") == 0)
			dump = argv[++i];
		else if (strcmp(a, "--session") == 0) {
			nex = strtoull(argv[++i], NULL, 0);
			one_session = 1;
		} else if (strcmp(a, "--turn-bytes") == 0)
			turn_bytes = strtoull(argv[++i], NULL, 0);
		else
			usage();
	}
	if (out == NULL || (one_session && (nex == 0 || turn_bytes == 0)) ||
	    (!one_session && turn_bytes != 0))
		usage();
	gen_seed(seed);

	struct cx_writer *w = cx_writer_create(out, CX_W_KEEP_OLD, err,
	    sizeof(err));
	if (w == NULL) {
		fprintf(stderr, "gen_trace: %s\n", err);
		return 1;
	}
	FILE *dfp = NULL;
	struct timespec rt;
	clock_gettime(CLOCK_REALTIME, &rt);
	int64_t mono0 = cx_now_ns();
	int64_t real0 = (int64_t)rt.tv_sec * 1000000000 + rt.tv_nsec;
	if (dump != NULL) {
		if ((dfp = fopen(dump, "wb")) == NULL) {
			fprintf(stderr, "gen_trace: %s: %s\n", dump,
			    strerror(errno));
			return 1;
		}
		fwrite("CXDUMP1\n", 1, 8, dfp);
		w64(dfp, real0);
	}

	uint32_t pid = (uint32_t)getpid();
	int64_t t = mono0;
	uint64_t done = 0, largest = 0, largest_trace = 0, wire = 0, bodies = 0;
	char session[37];
	int turn = 0;
	uuid(session);
	while (nex ? done < nex : trace_bytes < size) {
		struct sb head = { 0 }, body = { 0 };
		struct resp r = { 0 };
		char json[512];
		uint64_t before = trace_bytes;

		/* A new codex session every 4-12 turns. */
		if (!one_session && turn > (int)rnd(4, 12)) {
			uuid(session);
			turn = 0;
		}
		make_request(&head, &body, session, turn,
		    (size_t)turn_bytes);
		make_response(&r, (int)done, session);
		turn++;

		uint64_t c = cx_writer_new_conn(w);
		unsigned port = 32768 + (unsigned)(done % 28000);
		int64_t t_open = t;
		snprintf(json, sizeof(json), "{\"peer\":\"127.0.0.1:%u\","
		    "\"local\":\"127.0.0.1:8080\"}", port);
		put(w, CX_K_OPEN, 0, c, t, pid, json, strlen(json));
		t += US(rnd(60, 200));
		put(w, CX_K_DATA, CX_DIR_REQ, c, t, 0, head.p, head.len);
		t += US(rnd(5, 30));
		snprintf(json, sizeof(json), "{\"seq\":0,\"method\":\"POST\","
		    "\"target\":\"/v1/responses\",\"upstream\":"
		    "\"https://api.openai.com/v1/responses\",\"route\":\"/\"}");
		put(w, CX_K_ROUTE, 0, c, t, pid, json, strlen(json));
		t += US(rnd(5, 30));
		put(w, CX_K_DATA, CX_DIR_REQ, c, t, 0, body.p, body.len);
		int64_t t_req_end = t;
		t += MS(rnd(250, 600));
		put(w, CX_K_DATA, CX_DIR_RESP, c, t, 0, r.bytes.p, r.head_len);
		int64_t t_resp = t;
		for (int i = 0; i < r.nev; i++) {
			t += r.ev[i].gap_ns;
			put(w, CX_K_DATA, CX_DIR_RESP, c, t, 0,
			    r.bytes.p + r.ev[i].off, r.ev[i].len);
		}
		int64_t t_resp_end = t;
		t += US(rnd(100, 800));
		snprintf(json, sizeof(json), "{\"by\":\"client\",\"reason\":"
		    "\"client closed\"}");
		put(w, CX_K_CLOSE, 0, c, t, pid, json, strlen(json));

		uint64_t ex = head.len + body.len + r.bytes.len;
		wire += ex;
		bodies += body.len;
		if (ex > largest)
			largest = ex;
		if (trace_bytes - before > largest_trace)
			largest_trace = trace_bytes - before;
		if (dfp != NULL) {
			fwrite("CXEX", 1, 4, dfp);
			w32(dfp, (uint32_t)done);
			w32(dfp, port);
			w64(dfp, t_open - mono0);
			w64(dfp, t_req_end - mono0);
			w64(dfp, t_resp - mono0);
			w64(dfp, t_resp_end - mono0);
			w32(dfp, (uint32_t)(head.len + body.len));
			fwrite(head.p, 1, head.len, dfp);
			fwrite(body.p, 1, body.len, dfp);
			w32(dfp, (uint32_t)r.bytes.len);
			fwrite(r.bytes.p, 1, r.bytes.len, dfp);
		}
		free(head.p);
		free(body.p);
		free(r.bytes.p);
		free(r.ev);
		done++;
		/* The tool runs, or the user types: 0.5-4 s. */
		t += MS(rnd(500, 4000));
	}
	cx_writer_close(w);
	if (dfp != NULL && fclose(dfp) != 0) {
		fprintf(stderr, "gen_trace: %s: %s\n", dump, strerror(errno));
		return 1;
	}
	printf("exchanges %" PRIu64 " trace_bytes %" PRIu64 " wire_bytes %"
	    PRIu64 " largest_exchange_wire %" PRIu64
	    " largest_exchange_trace %" PRIu64 " request_bodies %" PRIu64 "\n",
	    done, trace_bytes, wire, largest, largest_trace, bodies);
	return 0;
}
