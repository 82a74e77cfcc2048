/*
 * test_report.c: report.c, the facts of a report, read straight from its
 * struct: a synthetic trace (a run note; two Responses turns streamed,
 * with usage, from pid 4242; an exchange the relay could not forward; a
 * GET with an id in its path; a loss) analysed, its exchanges handed to
 * cx_report_exchange one by one, then cx_report_finish.
 */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cJSON.h>

#include "exchange.h"
#include "report.h"
#include "trace.h"
#include "tracegen.h"

static void
setup(void)
{
	tg_setup("report");
}

static void
put(struct cx_writer *w, uint8_t kind, uint8_t dir_, uint64_t conn, double t,
    const char *s)
{
	tg_put(w, kind, CX_SRC_RELAY, dir_, conn, t, s, strlen(s));
}

static const char *body =
    "{\"model\":\"gpt-5\",\"input\":[{\"type\":\"message\",\"role\":"
    "\"user\",\"content\":[{\"type\":\"input_text\",\"text\":\"hi\"}]}],"
    "\"stream\":true}";

/* A streamed Responses call on conn at t ms; input/output its usage. */
static void
turn(struct cx_writer *w, uint64_t conn, double t, int input, int output)
{
	char buf[2048];

	put(w, CX_K_OPEN, 0, conn, t, "{\"peer\":\"127.0.0.1:50001\","
	    "\"pid\":4242,\"comm\":\"codex\"}");
	snprintf(buf, sizeof(buf), "POST /v1/responses HTTP/1.1\r\nHost: h\r\n"
	    "Content-Type: application/json\r\nContent-Length: %zu\r\n\r\n%s",
	    strlen(body), body);
	put(w, CX_K_DATA, CX_DIR_REQ, conn, t + 1, buf);
	put(w, CX_K_DATA, CX_DIR_RESP, conn, t + 10, "HTTP/1.1 200 OK\r\n"
	    "Content-Type: text/event-stream\r\n\r\n");
	put(w, CX_K_DATA, CX_DIR_RESP, conn, t + 11, "event: "
	    "response.output_text.delta\ndata: {\"type\":"
	    "\"response.output_text.delta\",\"delta\":\"Hi\"}\n\n");
	snprintf(buf, sizeof(buf), "event: response.completed\ndata: "
	    "{\"type\":\"response.completed\",\"response\":{\"id\":\"r%d\","
	    "\"model\":\"gpt-5\",\"usage\":{\"input_tokens\":%d,"
	    "\"output_tokens\":%d,\"total_tokens\":%d}}}\n\ndata: [DONE]\n\n",
	    input, input, output, input + output);
	put(w, CX_K_DATA, CX_DIR_RESP, conn, t + 20, buf);
	put(w, CX_K_CLOSE, 0, conn, t + 21, "{\"by\":\"upstream\"}");
}

static void
write_trace(const char *p)
{
	struct cx_writer *w = tg_create(p);

	put(w, CX_K_NOTE, 0, 0, 0.5, "{\"type\":\"run\",\"agent\":\"codex\","
	    "\"argv\":[\"codex\",\"exec\"]}");
	turn(w, 1, 10, 100, 20);
	put(w, CX_K_OPEN, 0, 2, 50, "{\"peer\":\"127.0.0.1:50002\"}");
	put(w, CX_K_DATA, CX_DIR_REQ, 2, 51, "POST /v1/responses HTTP/1.1\r\n"
	    "Host: h\r\nContent-Type: application/json\r\nContent-Length: 2"
	    "\r\n\r\n{}");
	put(w, CX_K_ERROR, 0, 2, 52, "{\"seq\":0,\"error\":\"upstream down\"}");
	put(w, CX_K_CLOSE, 0, 2, 54, "{\"by\":\"client\"}");
	turn(w, 3, 60, 1000, 3);
	put(w, CX_K_OPEN, 0, 4, 100, "{\"peer\":\"127.0.0.1:50004\"}");
	put(w, CX_K_DATA, CX_DIR_REQ, 4, 101, "GET /v1/files/12345/content?x=1 "
	    "HTTP/1.1\r\nHost: h\r\n\r\n");
	put(w, CX_K_DATA, CX_DIR_RESP, 4, 110, "HTTP/1.1 404 Not Found\r\n"
	    "Content-Type: application/json\r\nContent-Length: 8\r\n\r\n"
	    "{\"n\":2}\n");
	put(w, CX_K_CLOSE, 0, 4, 111, "{\"by\":\"client\"}");
	put(w, CX_K_LOSS, 0, 0, 300, "{\"frames\":1,\"bytes\":10}");
	cx_writer_close(w);
}

struct seen {
	size_t           turns;
	size_t           session[8];
};

static void
on_turn(void *arg, struct cx_turn *t, size_t session)
{
	struct seen *s = arg;

	ck_assert_ptr_nonnull(t->ex);
	ck_assert_uint_lt(s->turns, 8);
	s->session[s->turns++] = session;
}

START_TEST(facts)
{
	struct cx_reader *r;
	struct cx_analysis *a;
	const struct cx_analysis_result *res;
	struct cx_report *rep;
	struct cx_frame f;
	struct seen seen;
	const struct cx_report_endpoint *e;
	const struct cx_report_pidex *px;
	size_t n, claimed = 0;
	char err[256];

	write_trace(tg_path);
	ck_assert_ptr_nonnull(r = cx_reader_open(tg_path, err, sizeof(err)));
	a = cx_analysis_new(cx_reader_info(r));
	while (cx_reader_next(r, &f) == 1)
		cx_analysis_frame(a, &f);
	cx_analysis_finish(a);
	res = cx_analysis_result(a);
	ck_assert_uint_eq(res->nex, 4);

	rep = cx_report_new(cx_reader_info(r), 1, NULL);
	memset(&seen, 0, sizeof(seen));
	for (size_t i = 0; i < res->nex; i++)
		claimed += cx_report_exchange(rep, res->ex[i], on_turn, &seen) >
		    0;
	cx_report_finish(rep, res);

	/* The adapters ran once an exchange, each turn handed on. */
	ck_assert_uint_eq(seen.turns, 3);      /* #2's {} is a turn too */
	ck_assert_uint_eq(claimed, 3);
	ck_assert_uint_eq(seen.session[0], 1);
	ck_assert_uint_eq(seen.session[2], seen.session[0]);

	ck_assert_uint_eq(rep->exchanges, 4);
	ck_assert_uint_eq(rep->errors, 1);
	ck_assert_uint_eq(rep->connections, res->connections);
	ck_assert_int_eq(rep->start, tg_info.monotonic_ns);
	ck_assert_int_eq(rep->end, tg_info.monotonic_ns + 300 * MS);
	ck_assert_ptr_nonnull(rep->run);
	ck_assert_str_eq(cJSON_GetStringValue(cJSON_GetObjectItem(rep->run,
	    "agent")), "codex");

	/* Endpoints: ids folded, statuses counted, timings summarised. */
	ck_assert_uint_eq(rep->nep, 2);
	e = &rep->ep[0];
	ck_assert_str_eq(e->key, "POST /v1/responses");
	ck_assert_uint_eq(e->count, 3);
	ck_assert_uint_eq(e->nst, 2);
	ck_assert_int_eq(e->st[0].status, 200);
	ck_assert_uint_eq(e->st[0].n, 2);
	ck_assert_int_eq(e->st[1].status, 0);
	ck_assert_uint_eq(e->ndur, 2);
	ck_assert(e->dur_median > 19.0 && e->dur_median < 21.0);
	ck_assert_str_eq(rep->ep[1].key, "GET /v1/files/{id}/content");
	ck_assert_int_eq(rep->ep[1].st[0].status, 404);
	ck_assert(rep->ep[1].ttfb_max > 8.0 && rep->ep[1].ttfb_max < 10.0);

	/* Events: two types, the [DONE]s apart; their key paths. */
	ck_assert_uint_eq(rep->nev, 2);
	ck_assert_str_eq(rep->ev[0].name, "response.output_text.delta");
	ck_assert_uint_eq(rep->ev[0].n, 2);
	ck_assert_uint_eq(rep->done, 2);
	ck_assert_uint_eq(cx_keypaths_docs(rep->ev[1].kp), 2);
	ck_assert_uint_eq(cx_keypaths_docs(rep->req_kp), 3);
	ck_assert_uint_eq(cx_keypaths_docs(rep->resp_kp), 1);

	/* Usage: a row a turn, the sums by session and by API. */
	ck_assert_uint_eq(rep->nturns, 3);
	ck_assert_uint_eq(rep->turns_all, 3);
	ck_assert_str_eq(rep->turns[0].api, "responses");
	ck_assert_str_eq(rep->turns[0].model, "gpt-5");
	ck_assert_int_eq(rep->turns[0].usage.input, 100);
	ck_assert(rep->turns[0].first_ms > 9.0);
	ck_assert_int_eq(rep->turns[1].usage.input, -1);
	ck_assert_int_eq(rep->usage.input, 1100);
	ck_assert_int_eq(rep->usage.output, 23);
	ck_assert_uint_eq(rep->napis, 1);
	ck_assert_uint_eq(rep->apis[0].turns, 3);
	ck_assert_uint_eq(rep->apis[0].with_usage, 2);
	ck_assert_str_eq(rep->apis[0].title, "OpenAI Responses");
	ck_assert_uint_ge(rep->nsessions, 1);
	ck_assert_uint_eq(rep->sessions[0].num, 1);
	ck_assert_uint_eq(rep->sessions[0].pid, 4242);
	ck_assert(cx_usage_known(&rep->turns[0].usage));
	ck_assert(!cx_usage_known(&rep->turns[1].usage));

	/* The processes' exchanges, in order. */
	px = cx_report_proc_exchanges(rep, 4242, &n);
	ck_assert_uint_eq(n, 2);
	ck_assert_uint_eq(px[0].id, 1);
	ck_assert_uint_eq(px[1].id, 3);
	ck_assert_ptr_null(cx_report_proc_exchanges(rep, 7, &n));
	ck_assert_uint_eq(n, 0);

	/* The timeline: a row an exchange, in order, 48 bytes each; a lane
	 * for pid 4242, one for no known process. */
	ck_assert_uint_eq(sizeof(struct cx_report_tlrow), 48);
	ck_assert_uint_eq(rep->ntl, 4);
	ck_assert_uint_eq(rep->nlanes, 2);
	ck_assert_uint_eq(rep->lanes[0].pid, 4242);
	ck_assert_str_eq(rep->lanes[0].comm, "codex");
	ck_assert_uint_eq(rep->lanes[0].n, 2);
	ck_assert_uint_eq(rep->lanes[1].pid, 0);
	ck_assert_uint_eq(rep->lanes[1].n, 2);
	ck_assert_uint_eq(rep->tl[0].id, 1);
	ck_assert_uint_eq(rep->tl[0].lane, 0);
	ck_assert_int_eq(rep->tl[0].status, 200);
	ck_assert_int_eq(rep->tl[0].ep, 0);
	ck_assert(rep->tl[0].first_ms > 8.5 && rep->tl[0].first_ms < 9.5);
	/* to the close, 20 ms after the request */
	ck_assert(rep->tl[0].end_ms > 19.5 && rep->tl[0].end_ms < 20.5);
	ck_assert_uint_eq(rep->tl[1].lane, 1);
	ck_assert(rep->tl[1].error);
	ck_assert_int_eq(rep->tl[1].status, 0);
	ck_assert(rep->tl[1].first_ms < 0);
	ck_assert_int_eq(rep->tl[3].status, 404);
	ck_assert_int_eq(rep->tl[3].ep, 1);
	ck_assert_uint_eq(rep->tl[3].nticks, 0);
	ck_assert_uint_eq(rep->turns[0].session, seen.session[0]);

	cx_report_free(rep);
	cx_report_free(NULL);
	cx_analysis_free(a);
	cx_reader_close(r);
}
END_TEST

/* One exchange on conn at t, of process pid (the relay's /proc record;
 * none for pid 0). */
static void
client_exchange(struct cx_writer *w, uint64_t conn, double t, uint32_t pid,
    uint32_t ppid, const char *comm)
{
	char js[256];

	put(w, CX_K_OPEN, 0, conn, t, "{\"peer\":\"127.0.0.1:1\"}");
	if (pid != 0) {
		snprintf(js, sizeof(js), "{\"event\":\"client\",\"pid\":%u,"
		    "\"ppid\":%u,\"comm\":\"%s\",\"tid\":null,\"via\":"
		    "\"proc\"}", pid, ppid, comm);
		put(w, CX_K_PROC, 0, conn, t + 0.1, js);
	}
	put(w, CX_K_DATA, CX_DIR_REQ, conn, t + 0.2,
	    "GET /x HTTP/1.1\r\nHost: a\r\n\r\n");
	put(w, CX_K_DATA, CX_DIR_RESP, conn, t + 0.5,
	    "HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n");
	put(w, CX_K_CLOSE, 0, conn, t + 0.6, "{}");
}

/*
 * The timeline's lanes in the process tree's order: a process's lane,
 * then its descendants' (through processes without exchanges), then the
 * other roots, no known process last; first sight does not decide.
 */
START_TEST(lanes_in_the_process_tree)
{
	struct cx_writer *w = tg_create(tg_path);
	static const char *const execs[] = {
		"{\"event\":\"exec\",\"pid\":100,\"ppid\":1,\"comm\":\"sh\"}",
		"{\"event\":\"exec\",\"pid\":101,\"ppid\":100,\"comm\":\"codex\"}",
		"{\"event\":\"exec\",\"pid\":102,\"ppid\":101,\"comm\":\"bash\"}",
		"{\"event\":\"exec\",\"pid\":103,\"ppid\":102,\"comm\":\"curl\"}",
	};
	static const uint32_t want[] = { 101, 103, 300, 0 };
	static const unsigned depth[] = { 0, 1, 0, 0 };
	struct cx_report *rep;
	struct cx_analysis *a;
	struct cx_reader *r;
	struct cx_frame f;
	char err[256];

	for (size_t i = 0; i < 4; i++)
		tg_put(w, CX_K_PROC, CX_SRC_PROBE, 0, 0, 1 + (double)i,
		    execs[i], strlen(execs[i]));
	client_exchange(w, 1, 10, 101, 100, "codex");
	client_exchange(w, 3, 15, 300, 1, "curl");  /* seen before 103 */
	client_exchange(w, 2, 20, 103, 102, "curl");
	client_exchange(w, 4, 25, 0, 0, NULL);
	cx_writer_close(w);

	ck_assert_ptr_nonnull(r = cx_reader_open(tg_path, err, sizeof(err)));
	a = cx_analysis_new(cx_reader_info(r));
	while (cx_reader_next(r, &f) == 1)
		cx_analysis_frame(a, &f);
	cx_analysis_finish(a);
	rep = cx_report_new(cx_reader_info(r), 1, NULL);
	for (size_t i = 0; i < cx_analysis_result(a)->nex; i++)
		cx_report_exchange(rep, cx_analysis_result(a)->ex[i], NULL,
		    NULL);
	cx_report_finish(rep, cx_analysis_result(a));
	ck_assert_uint_eq(rep->nlanes, 4);
	ck_assert_uint_eq(rep->lanes[1].pid, 300);      /* first sight */
	for (size_t k = 0; k < 4; k++) {
		const struct cx_report_lane *ln =
		    &rep->lanes[rep->lane_order[k]];

		ck_assert_uint_eq(ln->pid, want[k]);
		ck_assert_uint_eq(ln->depth, depth[k]);
	}
	ck_assert_uint_eq(rep->lanes[rep->lane_order[1]].parent,
	    rep->lane_order[0]);
	cx_report_free(rep);
	cx_analysis_free(a);
	cx_reader_close(r);
}
END_TEST

/* An exchange's endpoint: ids (numbers, UUIDs, long hex or tokens)
 * folded, the query dropped. */
START_TEST(endpoint_keys)
{
	static const struct {
		const char *target, *key;
	} cases[] = {
		{ "/v1/models", "GET /v1/models" },
		{ "/v1/threads/123/runs?x=1", "GET /v1/threads/{id}/runs" },
		{ "/a/0b7e6a3c-1d2e-4f50-8a9b-0123456789ab",
		  "GET /a/{id}" },
		{ "/a/0123456789abcdef#f", "GET /a/{id}" },
		{ "/a/resp_0123456789abcdefghij", "GET /a/{id}" },
		{ "/a/abcdefghijklmnopqrstu", "GET /a/abcdefghijklmnopqrstu" },
	};
	struct cx_exchange ex;
	struct cx_buf b;

	cx_buf_init(&b, 0);
	memset(&ex, 0, sizeof(ex));
	cx_report_endpoint_key(&b, &ex);
	ck_assert_str_eq((const char *)b.p, "(error only)");
	ex.has_req = 1;
	ex.req.head_done = 1;
	ex.req.method = (char *)"GET";
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		ex.req.target = (char *)cases[i].target;
		cx_report_endpoint_key(&b, &ex);
		ck_assert_str_eq((const char *)b.p, cases[i].key);
	}
	cx_buf_free(&b);
}
END_TEST

static Suite *
report_suite(void)
{
	Suite *s = suite_create("report");
	TCase *tc = tcase_create("report");

	tcase_add_checked_fixture(tc, setup, tg_teardown);
	tcase_add_test(tc, facts);
	tcase_add_test(tc, endpoint_keys);
	tcase_add_test(tc, lanes_in_the_process_tree);
	suite_add_tcase(s, tc);
	return s;
}

int
main(void)
{
	SRunner *sr = srunner_create(report_suite());
	int failed;

	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
