/*
 * test_decode.c: cxrec decode end to end (analyzer/decode.c): the
 * scenario of tracegen.h torn at the end, clients closing mid-stream,
 * empty and random traces, a Gemini key in every format, processes
 * from the frames, and the filters (--pid, --conn, --path, --since,
 * --until).  What each format writes: test_out_*.c; the command line:
 * test_cmd_decode.c.
 */
#include <check.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <cJSON.h>

#include "credname.h"
#include "decode.h"
#include "trace.h"
#include "tracegen.h"

static void
setup(void)
{
	tg_setup("decode");
}

#define ASSERT_NUM(o, p, v)     ck_assert_double_eq_tol(tg_jnum(o, p), v, 1e-9)

START_TEST(torn_trace)
{
	struct tg_warnings warn;
	cJSON *all;
	char *out;

	tg_scenario(tg_path, 1);
	out = tg_decode(tg_path, "jsonl", 0, &warn);
	ck_assert_ptr_nonnull(strstr(warn.text, "incomplete frame"));
	all = tg_jlines(out);
	free(out);
	out = tg_decode(tg_path, "text", 0, NULL);
	ck_assert_ptr_nonnull(strstr(out, "!! damaged trace: 0 corrupt regions "
	    "(0 bytes skipped), 30 bytes of an incomplete frame at the end"));
	/* Every exchange the torn frame did not touch is there. */
	ck_assert_int_eq(cJSON_GetArraySize(all), 7);
	ck_assert_str_eq(tg_jstr(cJSON_GetArrayItem(all, 0),
	    "response.sse.2.data"), "line1\nline2");
	cJSON_Delete(all);
	free(out);
}
END_TEST

/*
 * codex hangs up right after response.completed, before the last chunk:
 * that is a note, not an error.  Hanging up before the final event is an
 * error.
 */
START_TEST(client_closes_after_final_event)
{
	static const char *rq = "POST /v1/responses HTTP/1.1\r\nHost: x\r\n"
	    "Content-Length: 2\r\n\r\n{}";
	static const char *head = "HTTP/1.1 200 OK\r\nContent-Type: "
	    "text/event-stream\r\nTransfer-Encoding: chunked\r\n\r\n";
	static const char *ev1 = "27\r\nevent: response.created\ndata: "
	    "{\"a\":1}\n\n\r\n";
	static const char *ev2 = "29\r\nevent: response.completed\ndata: "
	    "{\"a\":2}\n\n\r\n";
	struct cx_writer *w = tg_create(tg_path);
	cJSON *all;
	char *out;

	for (uint64_t conn = 1; conn <= 2; conn++) {
		tg_json(w, CX_K_OPEN, conn, 0, "{\"peer\":\"127.0.0.1:1\"}");
		tg_req(w, conn, 1, rq);
		tg_resp(w, conn, 2, head);
		tg_resp(w, conn, 3, ev1);
		if (conn == 1)
			tg_resp(w, conn, 4, ev2);
		tg_json(w, CX_K_ERROR, conn, 5, "{\"seq\":0,\"error\":\"client "
		    "closed the connection mid-exchange\"}");
		tg_json(w, CX_K_CLOSE, conn, 5, "{\"by\":\"client\",\"reason\":"
		    "\"client closed\"}");
	}
	cx_writer_close(w);
	out = tg_decode(tg_path, "jsonl", 0, NULL);
	all = tg_jlines(out);
	free(out);
	ck_assert_int_eq(cJSON_GetArraySize(all), 2);
	const cJSON *done = cJSON_GetArrayItem(all, 0);
	const cJSON *cut = cJSON_GetArrayItem(all, 1);
	ck_assert_msg(tg_jnull(done, "error"), "error: %s", tg_jstr(done, "error"));
	ck_assert_ptr_nonnull(strstr(tg_jstr(done, "note"), "after the stream's "
	    "final event (response.completed)"));
	ck_assert_str_eq(tg_jstr(done, "response.sse.1.event"), "response.completed");
	ck_assert_ptr_nonnull(strstr(tg_jstr(cut, "error"), "client closed"));
	ck_assert_ptr_null(cJSON_GetObjectItem(cut, "note"));
	cJSON_Delete(all);
}
END_TEST

/*
 * The recorder stops (a run's end: the agent exited as soon as it had the
 * final event) before the last chunk's end was relayed: a note after the
 * final event, an error before it.
 */
START_TEST(recording_stops_after_final_event)
{
	static const char *rq = "POST /v1/responses HTTP/1.1\r\nHost: x\r\n"
	    "Content-Length: 2\r\n\r\n{}";
	static const char *head = "HTTP/1.1 200 OK\r\nContent-Type: "
	    "text/event-stream\r\nTransfer-Encoding: chunked\r\n\r\n";
	static const char *ev1 = "27\r\nevent: response.created\ndata: "
	    "{\"a\":1}\n\n\r\n";
	static const char *ev2 = "29\r\nevent: response.completed\ndata: "
	    "{\"a\":2}\n\n\r\n";
	struct cx_writer *w = tg_create(tg_path);
	const cJSON *done, *cut;
	cJSON *all;
	char *out;

	for (uint64_t conn = 1; conn <= 2; conn++) {
		tg_json(w, CX_K_OPEN, conn, 0, "{\"peer\":\"127.0.0.1:1\"}");
		tg_req(w, conn, 1, rq);
		tg_resp(w, conn, 2, head);
		tg_resp(w, conn, 3, ev1);
		if (conn == 1)
			tg_resp(w, conn, 4, ev2);
		tg_json(w, CX_K_CLOSE, conn, 5, "{\"by\":\"relay\",\"reason\":"
		    "\"relay stopped\"}");
	}
	cx_writer_close(w);
	out = tg_decode(tg_path, "jsonl", 0, NULL);
	all = tg_jlines(out);
	free(out);
	ck_assert_int_eq(cJSON_GetArraySize(all), 2);
	done = cJSON_GetArrayItem(all, 0);
	cut = cJSON_GetArrayItem(all, 1);
	ck_assert_msg(tg_jnull(done, "error"), "error: %s", tg_jstr(done, "error"));
	ck_assert_ptr_nonnull(strstr(tg_jstr(done, "note"), "the recording "
	    "stopped after the stream's final event (response.completed)"));
	ck_assert_ptr_nonnull(strstr(tg_jstr(cut, "error"), "relay stopped"));
	cJSON_Delete(all);
}
END_TEST

/*
 * A client hanging up a WebSocket after its 101 (codex 0.171.0 does so on
 * exit, without a close frame): the relay's "client closed the connection
 * mid-exchange" about the tunnel is a note on the upgraded exchange, not an
 * exchange "(no request) -> (no response)" of its own.
 */
START_TEST(client_closes_tunnel)
{
	static const char *rq = "GET /v1/responses HTTP/1.1\r\nHost: x\r\n"
	    "Connection: Upgrade\r\nUpgrade: websocket\r\n"
	    "Sec-WebSocket-Version: 13\r\n"
	    "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n\r\n";
	static const char *head = "HTTP/1.1 101 Switching Protocols\r\n"
	    "Upgrade: websocket\r\nConnection: Upgrade\r\n"
	    "Sec-WebSocket-Accept: s3pPLMBiTxaQ9kYGzzhZRbK+xOo=\r\n\r\n";
	struct cx_writer *w = tg_create(tg_path);
	cJSON *all;
	char *out;

	tg_json(w, CX_K_OPEN, 1, 0, "{\"peer\":\"127.0.0.1:1\"}");
	tg_req(w, 1, 1, rq);
	tg_resp(w, 1, 2, head);
	tg_resp(w, 1, 3, "\x81\x02hi");
	tg_json(w, CX_K_ERROR, 1, 4, "{\"seq\":-1,\"error\":\"client "
	    "closed the connection mid-exchange\"}");
	tg_json(w, CX_K_CLOSE, 1, 4, "{\"by\":\"client\",\"reason\":"
	    "\"client closed\"}");
	cx_writer_close(w);
	out = tg_decode(tg_path, "jsonl", 0, NULL);
	all = tg_jlines(out);
	free(out);
	ck_assert_int_eq(cJSON_GetArraySize(all), 1);
	const cJSON *ws = cJSON_GetArrayItem(all, 0);
	ck_assert_msg(tg_jnull(ws, "error"), "error: %s", tg_jstr(ws, "error"));
	ck_assert_ptr_nonnull(strstr(tg_jstr(ws, "note"), "after the protocol "
	    "switch"));
	ck_assert_str_eq(tg_jstr(ws, "websocket.0.data"), "hi");
	cJSON_Delete(all);
}
END_TEST

START_TEST(empty_trace)
{
	struct cx_writer *w = tg_create(tg_path);
	char *out;

	cx_writer_close(w);
	out = tg_decode(tg_path, "jsonl", 0, NULL);
	ck_assert_str_eq(out, "");
	free(out);
	out = tg_decode(tg_path, "text", 0, NULL);
	ck_assert_ptr_nonnull(strstr(out, "0 exchanges, 0 errors"));
	free(out);
}
END_TEST

/*
 * Random traces: frames of any kind, source and direction, HTTP pieces
 * damaged at random, JSON payloads that may be anything.  Decode must
 * finish, and every line it prints must be JSON.
 */
START_TEST(random_traces)
{
	static const char *pieces[] = {
		"POST /v1/responses HTTP/1.1\r\nContent-Length: 5\r\n\r\nhello",
		"GET / HTTP/1.1\r\nHost: h\r\n\r\n",
		"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\nContent-Type: "
		"text/event-stream\r\n\r\n",
		"1c\r\ndata: {\"token\":\"sk-aaaaaaaaaaaaaaaaaaaa\"}\n\n\r\n",
		"0\r\n\r\n",
		"HTTP/1.1 100 Continue\r\n\r\n",
		"HTTP/1.1 200 OK\r\nContent-Encoding: gzip\r\nContent-Length: 4"
		"\r\n\r\n\x1f\x8b\x08\x00",
		"HTTP/1.1 101 Switching Protocols\r\n\r\n\x81\x01x",
		"{\"seq\":0,\"upstream\":\"https://x/y?token=abc\"}",
		"{\"seq\":1,\"error\":\"boom\"}", "{\"error\":\"conn\"}",
		"{\"by\":\"client\"}", "{\"pid\":7,\"comm\":\"c\"}", "[1,2]",
		"{\"seq\":-1}", "{\"seq\":1e300}", "",
		"{\"type\":\"run\",\"argv\":[\"a b\",\"it's\"],\"routes\":[1]}",
	};
	unsigned r = 99;
	int total = 0;

	for (int round = 0; round < 150; round++) {
		struct cx_writer *w;
		char *out, *text;
		cJSON *all;

		unlink(tg_path);
		w = tg_create(tg_path);
		for (int i = 0; i < 40; i++) {
			char buf[300];
			size_t len;
			struct cx_frame f;

			r = r * 1103515245 + 12345;
			len = strlen(pieces[(r >> 8) % (sizeof(pieces) /
			    sizeof(pieces[0]))]);
			memcpy(buf, pieces[(r >> 8) % (sizeof(pieces) /
			    sizeof(pieces[0]))], len);
			if (len > 0 && (r >> 20) % 3 == 0)
				buf[(r >> 4) % len] = (char)(r >> 12);
			if (len > 1 && (r >> 22) % 4 == 0)
				len = (r >> 3) % len;
			memset(&f, 0, sizeof(f));
			f.kind = (uint8_t)(1 + (r >> 14) % 9);
			f.source = (uint8_t)(1 + (r >> 17) % 5);
			f.dir = (uint8_t)((r >> 19) % 3);
			f.flags = (r >> 23) % 7 == 0 ? CX_F_CONT : 0;
			f.conn = (r >> 25) % 3;
			f.ts_ns = tg_info.monotonic_ns + (int64_t)((r >> 9) % 1000) *
			    MS - 100 * MS;
			f.pid = (r >> 27) % 2 ? 0 : 77;
			f.payload = (const uint8_t *)buf;
			f.len = (uint32_t)len;
			ck_assert_int_eq(cx_writer_put(w, &f), 0);
		}
		cx_writer_close(w);
		out = tg_decode(tg_path, "jsonl", round % 2, NULL);
		all = tg_jlines(out);
		total += cJSON_GetArraySize(all);
		cJSON_Delete(all);
		free(out);
		text = tg_decode(tg_path, "text", 0, NULL);
		ck_assert_ptr_nonnull(strstr(text, " exchange"));
		free(text);
	}
	ck_assert_int_gt(total, 500);
}
END_TEST

/* A Google API key: "AIza" and 35 more; GMID a piece of it. */
#define GKEY    "AIzaSyA1b2C3d4E5f6G7h8I9j0K_lMnOpQrStUv"
#define GMID    "b2C3d4E5f6G7h8"

/* Gemini's traffic with its key in the query, its header, its bodies. */
static void
write_gemini(const char *p, int note)
{
	static const char run[] = "{\"type\":\"run\",\"argv\":[\"gemini\"],"
	    "\"credentials\":{\"headers\":[\"x-agent-secret\"],"
	    "\"query\":[\"sig\"]}}";
	static const char body[] = "{\"contents\":[{\"role\":\"user\","
	    "\"parts\":[{\"text\":\"my key is " GKEY "\"}]}]}";
	static const char sse[] = "data: {\"candidates\":[{\"content\":"
	    "{\"parts\":[{\"text\":\"echo " GKEY "\"}],\"role\":\"model\"}}]}"
	    "\r\n\r\n";
	char req[2048], resp[1024];
	struct cx_writer *w = tg_create(p);
	int n;

	if (note)
		tg_put(w, CX_K_NOTE, CX_SRC_CLI, 0, 0, 1, run, strlen(run));
	n = snprintf(req, sizeof(req), "POST /v1beta/models/gemini-2.5-pro:"
	    "streamGenerateContent?alt=sse&key=" GKEY "&sig=s1gn4ture HTTP/1.1"
	    "\r\nHost: generativelanguage.googleapis.com\r\n"
	    "x-goog-api-key: " GKEY "\r\nX-Agent-Secret: agent-s3cr3t\r\n"
	    "Content-Type: application/json\r\nContent-Length: %zu\r\n\r\n%s",
	    strlen(body), body);
	tg_put(w, CX_K_DATA, CX_SRC_RELAY, CX_DIR_REQ, 1, 10, req, (size_t)n);
	n = snprintf(resp, sizeof(resp), "HTTP/1.1 200 OK\r\n"
	    "Content-Type: text/event-stream\r\nContent-Length: %zu\r\n"
	    "\r\n%s", strlen(sse), sse);
	tg_put(w, CX_K_DATA, CX_SRC_RELAY, CX_DIR_RESP, 1, 20, resp,
	    (size_t)n);
	tg_put(w, CX_K_CLOSE, CX_SRC_RELAY, 0, 1, 30, "{\"by\":\"client\"}",
	    15);
	cx_writer_close(w);
}

/*
 * Gemini's key (AIza..., in ?key=, x-goog-api-key, bodies and events)
 * hidden in every format; the names the run note adds (a header, a query
 * parameter) too, and the names given in the options without the note.
 */
START_TEST(gemini_key_every_format)
{
	static const char *const fmts[] = { "text", "jsonl", "md", "har",
	    "conversation" };
	struct cx_decode_opts opts;
	struct cx_credname names;
	char *out, *mem = NULL, err[256], p2[320];
	size_t len = 0;
	FILE *f;

	write_gemini(tg_path, 1);
	for (size_t i = 0; i < sizeof(fmts) / sizeof(*fmts); i++) {
		out = tg_decode(tg_path, fmts[i], 0, NULL);
		ck_assert_msg(strstr(out, GMID) == NULL, "format %s: %s",
		    fmts[i], out);
		ck_assert_msg(strstr(out, "s1gn4ture") == NULL,
		    "format %s: %s", fmts[i], out);
		ck_assert_msg(strstr(out, "agent-s3cr3t") == NULL,
		    "format %s: %s", fmts[i], out);
		if (strcmp(fmts[i], "conversation") != 0)
			ck_assert_msg(strstr(out, "AIzaS...StUv") != NULL,
			    "format %s: %s", fmts[i], out);
		free(out);
		/* --no-redact: all there. */
		out = tg_decode(tg_path, fmts[i], 1, NULL);
		if (strcmp(fmts[i], "conversation") != 0)
			ck_assert_ptr_nonnull(strstr(out, "key=" GKEY));
		free(out);
	}
	out = tg_decode(tg_path, "jsonl", 0, NULL);
	ck_assert_ptr_nonnull(strstr(out, "?alt=sse&key=AIzaS...StUv&sig="
	    "[REDACTED]"));
	ck_assert_ptr_nonnull(strstr(out, "[\"x-goog-api-key\","
	    "\"AIzaS...StUv\"]"));
	ck_assert_ptr_nonnull(strstr(out, "[\"X-Agent-Secret\","
	    "\"[REDACTED]\"]"));
	free(out);
	out = tg_decode(tg_path, "har", 0, NULL);
	ck_assert_ptr_nonnull(strstr(out, "{\"name\":\"key\",\"value\":"
	    "\"AIzaS...StUv\"}"));
	ck_assert_ptr_nonnull(strstr(out, "{\"name\":\"sig\",\"value\":"
	    "\"[REDACTED]\"}"));
	free(out);

	/* Without the note: the extra names are not known... */
	snprintf(p2, sizeof(p2), "%s/nonote.bin", tg_dir);
	write_gemini(p2, 0);
	out = tg_decode(p2, "jsonl", 0, NULL);
	ck_assert_ptr_null(strstr(out, GMID));
	ck_assert_ptr_nonnull(strstr(out, "agent-s3cr3t"));
	ck_assert_ptr_nonnull(strstr(out, "s1gn4ture"));
	free(out);
	/* ... unless the caller gives them (the CLI: every agent's). */
	cx_credname_init(&names);
	cx_credname_add_header(&names, "X-Agent-Secret");
	cx_credname_add_query(&names, "sig");
	memset(&opts, 0, sizeof(opts));
	opts.format = "jsonl";
	opts.names = &names;
	f = open_memstream(&mem, &len);
	ck_assert_int_eq(cx_decode(p2, &opts, f, err, sizeof(err)), 0);
	fclose(f);
	ck_assert_ptr_null(strstr(mem, "agent-s3cr3t"));
	ck_assert_ptr_null(strstr(mem, "s1gn4ture"));
	free(mem);
	/* The set was decode's for that call only. */
	out = tg_decode(p2, "jsonl", 0, NULL);
	ck_assert_ptr_nonnull(strstr(out, "agent-s3cr3t"));
	free(out);
}
END_TEST

/* The relay's open frame for conn. */
static void
put_open(struct cx_writer *w, uint64_t conn, double t, const char *json)
{
	tg_put(w, CX_K_OPEN, CX_SRC_RELAY, 0, conn, t, json, strlen(json));
}

/* A proc frame from the probe (or the relay, with conn). */
static void
put_proc(struct cx_writer *w, uint8_t source, uint64_t conn, double t,
    const char *json)
{
	tg_put(w, CX_K_PROC, source, 0, conn, t, json, strlen(json));
}

/*
 * Processes from proc frames: the probe's connect joined with the relay's
 * open by the two addresses (the connect first for one connection, after
 * for the other), exec and exit building the tree, the relay's /proc
 * record naming a third connection; then jsonl's process object, --pid
 * with and without --tree, the text line, the report's Processes section.
 */
START_TEST(processes_from_frames)
{
	static const char req[] = "GET /v1/models HTTP/1.1\r\nHost: a\r\n\r\n";
	static const char resp[] = "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok";
	struct cx_writer *w = tg_create(tg_path);
	struct cx_decode_opts opts;
	char *out, *mem = NULL, err[256];
	size_t len = 0;
	cJSON *all, *e;
	FILE *f;

	put_proc(w, CX_SRC_PROBE, 0, 1, "{\"event\":\"exec\",\"pid\":100,"
	    "\"tid\":100,\"ppid\":1,\"comm\":\"sh\",\"exe\":\"/bin/sh\","
	    "\"argv\":[\"sh\",\"-c\",\"x\"]}");
	put_proc(w, CX_SRC_PROBE, 0, 2, "{\"event\":\"exec\",\"pid\":101,"
	    "\"tid\":101,\"ppid\":100,\"comm\":\"codex\",\"exe\":\"/x/codex\","
	    "\"argv\":[\"codex\",\"exec\",\"--key=sk-abcdefghijklmnopqrstuvwxyz"
	    "0123456789ABCD\"]}");
	/* conn 1: the probe's connect before the relay's open */
	put_proc(w, CX_SRC_PROBE, 0, 3, "{\"event\":\"connect\",\"pid\":101,"
	    "\"tid\":105,\"comm\":\"codex\",\"thread\":\"tokio-runtime-w\","
	    "\"src\":\"127.0.0.1:40000\",\"dst\":\"127.0.0.1:8080\"}");
	put_open(w, 1, 4, "{\"peer\":\"127.0.0.1:40000\","
	    "\"local\":\"127.0.0.1:8080\"}");
	tg_put(w, CX_K_DATA, CX_SRC_RELAY, CX_DIR_REQ, 1, 5, req, strlen(req));
	tg_put(w, CX_K_DATA, CX_SRC_RELAY, CX_DIR_RESP, 1, 6, resp,
	    strlen(resp));
	/* conn 2: a fork without exec (known by its exit) connects; the
	 * relay's open comes first */
	put_open(w, 2, 10, "{\"peer\":\"[::ffff:127.0.0.1]:40001\","
	    "\"local\":\"[::ffff:127.0.0.1]:8080\"}");
	tg_put(w, CX_K_DATA, CX_SRC_RELAY, CX_DIR_REQ, 2, 11, req, strlen(req));
	put_proc(w, CX_SRC_PROBE, 0, 12, "{\"event\":\"connect\",\"pid\":102,"
	    "\"tid\":102,\"comm\":\"sh\",\"src\":\"127.0.0.1:40001\","
	    "\"dst\":\"127.0.0.1:8080\"}");
	tg_put(w, CX_K_DATA, CX_SRC_RELAY, CX_DIR_RESP, 2, 13, resp,
	    strlen(resp));
	put_proc(w, CX_SRC_PROBE, 0, 14, "{\"event\":\"exit\",\"pid\":102,"
	    "\"comm\":\"sh\",\"ppid\":100,\"signal\":9}");
	/* conn 3: the relay's /proc record (no tid) */
	put_open(w, 3, 20, "{\"peer\":\"127.0.0.1:40002\","
	    "\"local\":\"127.0.0.1:8080\"}");
	put_proc(w, CX_SRC_RELAY, 3, 20.5, "{\"event\":\"client\",\"pid\":300,"
	    "\"ppid\":1,\"comm\":\"curl\",\"exe\":\"/usr/bin/curl\",\"argv\":"
	    "[\"curl\",\"x\"],\"tid\":null,\"via\":\"proc\"}");
	tg_put(w, CX_K_DATA, CX_SRC_RELAY, CX_DIR_REQ, 3, 21, req, strlen(req));
	tg_put(w, CX_K_DATA, CX_SRC_RELAY, CX_DIR_RESP, 3, 22, resp,
	    strlen(resp));
	cx_writer_close(w);

	out = tg_decode(tg_path, "jsonl", 0, NULL);
	all = tg_jlines(out);
	ck_assert_int_eq(cJSON_GetArraySize(all), 3);
	e = cJSON_GetArrayItem(all, 0);
	ck_assert_int_eq(cJSON_GetNumberValue(cJSON_GetObjectItem(e, "pid")),
	    101);
	ck_assert_int_eq(cJSON_GetNumberValue(cJSON_GetObjectItem(e, "tid")),
	    105);
	ck_assert_str_eq(tg_jstr(e, "comm"), "codex");
	ck_assert_str_eq(tg_jstr(e, "process.exe"), "/x/codex");
	ck_assert_str_eq(tg_jstr(e, "process.via"), "probe");
	ck_assert_int_eq(cJSON_GetNumberValue(cJSON_GetObjectItem(
	    cJSON_GetObjectItem(e, "process"), "ppid")), 100);
	/* a key on a command line is redacted like any */
	ck_assert_ptr_null(strstr(out, "sk-abcdefghijklmnopqrstuvwxyz"));
	e = cJSON_GetArrayItem(all, 1);
	ck_assert_int_eq(cJSON_GetNumberValue(cJSON_GetObjectItem(e, "pid")),
	    102);
	ck_assert_int_eq(cJSON_GetNumberValue(cJSON_GetObjectItem(
	    cJSON_GetObjectItem(e, "process"), "ppid")), 100);
	e = cJSON_GetArrayItem(all, 2);
	ck_assert_int_eq(cJSON_GetNumberValue(cJSON_GetObjectItem(e, "pid")),
	    300);
	ck_assert(cJSON_IsNull(cJSON_GetObjectItem(e, "tid")));
	ck_assert_str_eq(tg_jstr(e, "process.via"), "proc");
	cJSON_Delete(all);
	free(out);

	/* --pid 100: nothing of its own; with --tree its children's two */
	for (int tree = 0; tree < 2; tree++) {
		memset(&opts, 0, sizeof(opts));
		opts.format = "jsonl";
		opts.filter.has_pid = 1;
		opts.filter.pid = 100;
		opts.filter.tree = tree;
		mem = NULL;
		len = 0;
		f = open_memstream(&mem, &len);
		ck_assert_int_eq(cx_decode(tg_path, &opts, f, err, sizeof(err)),
		    0);
		fclose(f);
		all = tg_jlines(mem);
		ck_assert_int_eq(cJSON_GetArraySize(all), tree ? 2 : 0);
		cJSON_Delete(all);
		free(mem);
	}

	out = tg_decode(tg_path, "text", 0, NULL);
	ck_assert_ptr_nonnull(strstr(out, "#1 "));
	ck_assert_ptr_nonnull(strstr(out, " codex 101/105  GET /v1/models"));
	ck_assert_ptr_nonnull(strstr(out, " curl 300  GET /v1/models"));
	free(out);
	out = tg_decode(tg_path, "md", 0, NULL);
	ck_assert_ptr_nonnull(strstr(out, "## Processes"));
	ck_assert_msg(strstr(out, "- **sh** pid 100: sh \\-c x\n"
	    "  - **codex** pid 101: codex exec") != NULL, "%s", out);
	ck_assert_ptr_nonnull(strstr(out, "  - **sh** pid 102, killed by "
	    "signal 9 \xe2\x80\x94 exchanges [#2](#exchange-2)"));
	ck_assert_ptr_nonnull(strstr(out, "- **curl** pid 300: curl x "
	    "\xe2\x80\x94 exchanges [#3](#exchange-3)"));
	free(out);
}
END_TEST

/* --- the filters ---------------------------------------------------------- */

/* A GET of target answered, frames carrying the client's pid (as the
 * preload's and the probe's do). */
static void
pid_exchange(struct cx_writer *w, uint64_t conn, uint32_t pid, double ms,
    const char *target)
{
	char req[256];
	const char *resp = "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok";

	snprintf(req, sizeof(req), "GET %s HTTP/1.1\r\nHost: x\r\n\r\n", target);
	tg_put_pid(w, CX_K_DATA, CX_SRC_RELAY, CX_DIR_REQ, conn, pid, ms, req,
	    strlen(req));
	tg_put_pid(w, CX_K_DATA, CX_SRC_RELAY, CX_DIR_RESP, conn, pid, ms + 1,
	    resp, strlen(resp));
}

static void
filter_trace(void)
{
	struct cx_writer *w = tg_create(tg_path);

	pid_exchange(w, 11, 100, 100, "/v1/responses");
	pid_exchange(w, 11, 100, 2000, "/v1/models");
	pid_exchange(w, 22, 200, 5000, "/backend-api/codex/responses");
	cx_writer_close(w);
}

/* The targets decode keeps, space-separated. */
static char *
kept(const struct cx_decode_filter *flt)
{
	struct cx_decode_opts o;
	char *buf, *line, *save, *out;

	memset(&o, 0, sizeof(o));
	o.format = "jsonl";
	o.filter = *flt;
	buf = tg_decode_opts(tg_path, &o);
	out = calloc(1, strlen(buf) + 1);
	for (line = strtok_r(buf, "\n", &save); line != NULL;
	    line = strtok_r(NULL, "\n", &save)) {
		char *u = strstr(line, "\"url\":\"");
		ck_assert_ptr_nonnull(u);
		u += 7;
		if (out[0])
			strcat(out, " ");
		strncat(out, u, strcspn(u, "\""));
	}
	free(buf);
	return out;
}

#define KEPT(flt, want) do { char *k_ = kept(flt); \
	ck_assert_str_eq(k_, want); free(k_); } while (0)

START_TEST(filters)
{
	struct cx_decode_filter flt;

	filter_trace();
	memset(&flt, 0, sizeof(flt));
	KEPT(&flt, "/v1/responses /v1/models /backend-api/codex/responses");
	flt.has_pid = 1;
	flt.pid = 100;
	KEPT(&flt, "/v1/responses /v1/models");
	memset(&flt, 0, sizeof(flt));
	flt.has_conn = 1;
	flt.conn = 22;
	KEPT(&flt, "/backend-api/codex/responses");
	memset(&flt, 0, sizeof(flt));
	flt.path = "/v1/";
	KEPT(&flt, "/v1/responses /v1/models");
	memset(&flt, 0, sizeof(flt));
	flt.has_since = 1;
	flt.since_ns = 1000000000;
	KEPT(&flt, "/v1/models /backend-api/codex/responses");
	flt.has_until = 1;
	flt.until_ns = 3000000000;
	KEPT(&flt, "/v1/models");
	flt.path = "/backend-api/";
	KEPT(&flt, "");
}
END_TEST

START_TEST(parse_offset)
{
	int64_t ns;

	ck_assert_int_eq(cx_parse_offset("90", &ns), 0);
	ck_assert_int_eq(ns, 90000000000LL);
	ck_assert_int_eq(cx_parse_offset("1.5s", &ns), 0);
	ck_assert_int_eq(ns, 1500000000LL);
	ck_assert_int_eq(cx_parse_offset("250ms", &ns), 0);
	ck_assert_int_eq(ns, 250000000LL);
	ck_assert_int_eq(cx_parse_offset("2m", &ns), 0);
	ck_assert_int_eq(ns, 120000000000LL);
	ck_assert_int_eq(cx_parse_offset("1h", &ns), 0);
	ck_assert_int_eq(cx_parse_offset("1x", &ns), -1);
	ck_assert_int_eq(cx_parse_offset("-1", &ns), -1);
	ck_assert_int_eq(cx_parse_offset("", &ns), -1);
	ck_assert_int_eq(cx_parse_offset("nan", &ns), -1);
}
END_TEST

static Suite *
decode_suite(void)
{
	Suite *s = suite_create("decode");
	TCase *tc = tcase_create("decode");

	tcase_add_checked_fixture(tc, setup, tg_teardown);
	tcase_set_timeout(tc, 30);
	tcase_add_test(tc, torn_trace);
	tcase_add_test(tc, empty_trace);
	tcase_add_test(tc, client_closes_after_final_event);
	tcase_add_test(tc, recording_stops_after_final_event);
	tcase_add_test(tc, client_closes_tunnel);
	tcase_add_test(tc, random_traces);
	tcase_add_test(tc, processes_from_frames);
	tcase_add_test(tc, gemini_key_every_format);
	tcase_add_test(tc, filters);
	tcase_add_test(tc, parse_offset);
	suite_add_tcase(s, tc);
	return s;
}

int
main(void)
{
	SRunner *sr = srunner_create(decode_suite());
	int failed;

	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
