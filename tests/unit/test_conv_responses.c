/*
 * test_conv_responses.c: the OpenAI Responses adapter (conv_responses.c)
 * on recorded traces of the real codex (0.98.0 over HTTP SSE, 0.171.0
 * over the WebSocket: tests/data/conv/README), on the usage of plain JSON
 * answers (table-driven), and on hand-made bad input.
 */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "conv.h"
#include "tracegen.h"
#include "ws.h"

static const struct cx_api *
responses_api(void)
{
	for (size_t i = 0; cx_api_table[i] != NULL; i++)
		if (strcmp(cx_api_table[i]->name, "responses") == 0)
			return cx_api_table[i];
	return NULL;
}

START_TEST(codex098_http)
{
	struct cx_analysis *a;
	struct tg_turns ct = { 0 };
	const struct cx_turn *t;
	const struct cx_item *it;

	a = tg_analyse("tests/data/conv/codex098-http.bin.gz");
	tg_turns_of(a, NULL, &ct);
	ck_assert_uint_eq(cx_analysis_result(a)->nex, 2);
	ck_assert_uint_eq(ct.n, 2);
	t = ct.v[0];
	ck_assert_str_eq(t->api, "responses");
	ck_assert_ptr_eq(cx_api_of(t->ex), responses_api());
	ck_assert_str_eq(t->model, "gpt-5.2-codex");
	ck_assert_ptr_nonnull(t->session);
	ck_assert_int_eq(t->streamed, 1);
	ck_assert_int_eq(t->warmup, 0);
	/* instructions, and the developer message from the input */
	ck_assert_uint_eq(t->instructions.n, 2);
	ck_assert_int_eq(t->instructions.v[0].role, CX_ROLE_SYSTEM);
	ck_assert(strstr(t->instructions.v[0].text, "You are Codex") != NULL);
	ck_assert_int_eq(t->instructions.v[1].role, CX_ROLE_DEVELOPER);
	ck_assert(strstr(t->instructions.v[1].text,
	    "<permissions instructions>") != NULL);
	ck_assert(tg_has_tool(t, "exec_command"));
	ck_assert(tg_has_tool(t, "apply_patch"));
	ck_assert_ptr_nonnull(t->tools[0].schema);
	/* the input: user messages, the prompt last */
	ck_assert_uint_ge(t->input.n, 3);
	for (size_t i = 0; i < t->input.n; i++)
		ck_assert_int_eq(t->input.v[i].role, CX_ROLE_USER);
	it = &t->input.v[t->input.n - 1];
	ck_assert_int_eq(it->kind, CX_ITEM_TEXT);
	ck_assert_int_eq(it->role, CX_ROLE_USER);
	ck_assert_str_eq(it->text, "run the tool");
	/* the output: hidden reasoning with its summary, the call */
	it = tg_item_find(&t->output, CX_ITEM_REASONING, 0);
	ck_assert_ptr_nonnull(it);
	ck_assert_int_eq(it->hidden, 1);
	ck_assert(strstr(it->text, "Running the check") != NULL);
	it = tg_item_find(&t->output, CX_ITEM_TOOL_CALL, 0);
	ck_assert_ptr_nonnull(it);
	ck_assert_str_eq(it->name, "exec_command");
	ck_assert_str_eq(it->call_id, "call_mock_0001");
	ck_assert(strstr(it->text, "\"cmd\": \"echo cxrec-mock-tool-ok\"") !=
	    NULL);
	ck_assert_uint_eq(tg_item_count(&t->output, CX_ITEM_OTHER), 0);
	ck_assert_str_eq(t->stop_reason, "completed");
	ck_assert_str_eq(t->response_id, "resp_mock_0001");
	ck_assert_str_eq(t->model_answered, "gpt-5.2-codex");
	ck_assert_int_eq(t->usage.input, 1200);
	ck_assert_int_eq(t->usage.cached, 0);
	ck_assert_int_eq(t->usage.cache_write, -1);
	ck_assert_int_eq(t->usage.output, 60);
	ck_assert_int_eq(t->usage.reasoning, 32);
	ck_assert_int_eq(t->usage.api_total, 1260);
	ck_assert_int_eq(cx_usage_total(&t->usage), 1260);
	ck_assert_int_gt(t->t_request, 0);
	ck_assert_int_ge(t->t_first_token, t->t_request);
	ck_assert_int_ge(t->t_last_token, t->t_first_token);
	ck_assert_ptr_null(t->error);
	ck_assert_ptr_null(t->note);

	/* turn 2: the history resent, the tool's output linked to its call */
	t = ct.v[1];
	ck_assert_str_eq(t->session, ct.v[0]->session);
	it = tg_item_find(&t->input, CX_ITEM_TOOL_RESULT, 0);
	ck_assert_ptr_nonnull(it);
	ck_assert_str_eq(it->call_id, "call_mock_0001");
	ck_assert_str_eq(it->name, "exec_command");
	ck_assert_int_eq(it->role, CX_ROLE_TOOL);
	ck_assert(strstr(it->text, "cxrec-mock-tool-ok") != NULL);
	ck_assert_ptr_nonnull(tg_item_find(&t->input, CX_ITEM_TOOL_CALL, 0));
	ck_assert_uint_eq(t->output.n, 1);
	ck_assert_int_eq(t->output.v[0].kind, CX_ITEM_TEXT);
	ck_assert_int_eq(t->output.v[0].role, CX_ROLE_ASSISTANT);
	ck_assert_str_eq(t->output.v[0].text,
	    "Done: the tool printed cxrec-mock-tool-ok.");
	ck_assert_int_eq(t->usage.input, 1400);
	ck_assert_int_eq(t->usage.cached, 1152);
	ck_assert_int_eq(t->usage.output, 20);
	ck_assert_int_eq(t->usage.reasoning, 0);
	tg_turns_free(&ct);
	cx_analysis_free(a);
}
END_TEST

START_TEST(codex171_ws)
{
	struct cx_analysis *a;
	struct tg_turns ct = { 0 };
	const struct cx_turn *t;
	const struct cx_item *it;

	a = tg_analyse("tests/data/conv/codex171-ws.bin.gz");
	tg_turns_of(a, NULL, &ct);
	ck_assert_uint_eq(cx_analysis_result(a)->nex, 1);
	ck_assert_uint_gt(cx_analysis_result(a)->ex[0]->nws, 0);
	ck_assert_uint_eq(ct.n, 3);
	for (size_t i = 0; i < 3; i++) {
		t = ct.v[i];
		ck_assert_uint_eq(t->index, i);
		ck_assert_int_eq(t->streamed, 1);
		ck_assert_str_eq(t->model, "gpt-6.2-sol");
		ck_assert_ptr_nonnull(t->session);
		ck_assert_str_eq(t->session, ct.v[0]->session);
		ck_assert_str_eq(t->stop_reason, "completed");
		ck_assert_ptr_null(t->error);
	}
	/* the prewarm */
	t = ct.v[0];
	ck_assert_int_eq(t->warmup, 1);
	ck_assert_uint_eq(t->input.n, 0);
	ck_assert_uint_eq(t->output.n, 0);
	ck_assert_str_eq(t->response_id, "resp_mock_0001");
	/* the turn: tools from additional_tools, the prompt, the call */
	t = ct.v[1];
	ck_assert_int_eq(t->warmup, 0);
	ck_assert_str_eq(t->previous_response_id, "resp_mock_0001");
	ck_assert(tg_has_tool(t, "functions.exec"));
	ck_assert_uint_eq(t->instructions.n, 4);       /* developer */
	ck_assert(strstr(t->instructions.v[0].text, "You are Codex") != NULL);
	ck_assert_uint_eq(tg_item_count(&t->input, CX_ITEM_OTHER), 0);
	it = &t->input.v[t->input.n - 1];
	ck_assert_str_eq(it->text, "run the tool");
	it = tg_item_find(&t->output, CX_ITEM_TOOL_CALL, 0);
	ck_assert_ptr_nonnull(it);
	ck_assert_str_eq(it->name, "exec_command");
	ck_assert_str_eq(it->call_id, "call_mock_0002");
	ck_assert_int_gt(t->t_request, ct.v[0]->t_request);
	ck_assert_int_ge(t->t_first_token, t->t_request);
	ck_assert_int_ge(t->t_last_token, t->t_first_token);
	ck_assert_int_eq(t->usage.input, 1200);
	ck_assert_int_eq(t->usage.reasoning, 32);
	/* the tool's output alone, after previous_response_id */
	t = ct.v[2];
	ck_assert_str_eq(t->previous_response_id, "resp_mock_0002");
	ck_assert_uint_eq(t->input.n, 1);
	it = &t->input.v[0];
	ck_assert_int_eq(it->kind, CX_ITEM_TOOL_RESULT);
	ck_assert_str_eq(it->call_id, "call_mock_0002");
	ck_assert(strstr(it->text, "cxrec-mock-tool-ok") != NULL);
	ck_assert_str_eq(t->output.v[0].text,
	    "Done: the tool printed cxrec-mock-tool-ok.");
	ck_assert_int_eq(t->usage.cached, 1152);
	tg_turns_free(&ct);
	cx_analysis_free(a);
}
END_TEST

/* --- hand-made exchanges ------------------------------------------------ */

struct mk {
	struct cx_exchange       ex;
	struct cx_event          ev[16];
	struct cx_wsmsg          ws[16];
};

/* POST target with body; events as name, data pairs (NULL-ended), or
 * a plain response body when plain is set. */
static void
mk_http(struct mk *m, const char *target, const char *body,
    const char *const *events, const char *plain)
{
	memset(m, 0, sizeof(*m));
	m->ex.id = 1;
	m->ex.has_req = m->ex.has_resp = 1;
	m->ex.req.head_done = m->ex.req.complete = 1;
	m->ex.resp.head_done = m->ex.resp.complete = 1;
	m->ex.resp.status = 200;
	m->ex.req.method = (char *)"POST";
	m->ex.req.target = (char *)target;
	m->ex.req.t_last = 1000;
	m->ex.req.body.p = (uint8_t *)body;
	m->ex.req.body.len = m->ex.req.body_bytes = strlen(body);
	if (plain != NULL) {
		m->ex.resp.body.p = (uint8_t *)plain;
		m->ex.resp.body.len = m->ex.resp.body_bytes = strlen(plain);
		return;
	}
	m->ex.resp.sse = 1;
	for (size_t i = 0; events != NULL && events[2 * i] != NULL; i++) {
		struct cx_event *e = &m->ev[i];

		e->ts = 2000 + (int64_t)i;
		e->event = (char *)events[2 * i];
		e->data = (char *)events[2 * i + 1];
		e->data_len = strlen(e->data);
		m->ex.resp.nevents++;
	}
	m->ex.resp.events = m->ev;
}

struct one {
	size_t           n;
	struct cx_turn  *t;
};

static void
keep(void *arg, struct cx_turn *t)
{
	struct one *o = arg;

	o->n++;
	if (o->t == NULL)
		o->t = cx_turn_take(t);
}

static struct cx_turn *
run(struct mk *m, size_t *n)
{
	struct one o = { 0, NULL };

	ck_assert_ptr_eq(cx_api_of(&m->ex), responses_api());
	*n = cx_conv_turns(&m->ex, keep, &o);
	ck_assert_uint_eq(*n, o.n);
	return o.t;
}

static void
drop(struct cx_turn *t)
{
	cx_turn_free(t);
	free(t);
}

/* Usage of plain JSON answers: what is missing stays unknown. */
START_TEST(usage_table)
{
	static const struct {
		const char      *usage;
		int64_t          in, cached, out, reasoning, api_total, total;
	} tab[] = {
		{ "{\"input_tokens\":10,\"output_tokens\":5,\"total_tokens\":15}",
		    10, -1, 5, -1, 15, 15 },
		{ "{\"input_tokens\":10,\"output_tokens\":5}",
		    10, -1, 5, -1, -1, 15 },
		{ "{\"input_tokens\":100,\"input_tokens_details\":"
		    "{\"cached_tokens\":80},\"output_tokens\":7,"
		    "\"output_tokens_details\":{\"reasoning_tokens\":3},"
		    "\"total_tokens\":107}", 100, 80, 7, 3, 107, 107 },
		{ "{\"output_tokens\":4}", -1, -1, 4, -1, -1, 4 },
		{ "{\"input_tokens\":\"many\",\"output_tokens\":-3}",
		    -1, -1, -1, -1, -1, -1 },
		{ "{}", -1, -1, -1, -1, -1, -1 },
		{ "7", -1, -1, -1, -1, -1, -1 },
	};

	for (size_t i = 0; i < sizeof(tab) / sizeof(*tab); i++) {
		char body[512];
		struct mk m;
		struct cx_turn *t;
		size_t n;

		snprintf(body, sizeof(body), "{\"id\":\"r\",\"object\":"
		    "\"response\",\"status\":\"completed\",\"output\":[],"
		    "\"usage\":%s}", tab[i].usage);
		mk_http(&m, "/v1/responses", "{\"model\":\"m\",\"input\":"
		    "\"hi\"}", NULL, body);
		t = run(&m, &n);
		ck_assert_uint_eq(n, 1);
		ck_assert_int_eq(t->streamed, 0);
		ck_assert_msg(t->usage.input == tab[i].in &&
		    t->usage.cached == tab[i].cached &&
		    t->usage.cache_write == -1 &&
		    t->usage.output == tab[i].out &&
		    t->usage.reasoning == tab[i].reasoning &&
		    t->usage.api_total == tab[i].api_total &&
		    cx_usage_total(&t->usage) == tab[i].total,
		    "row %zu: %s", i, tab[i].usage);
		ck_assert_str_eq(t->stop_reason, "completed");
		ck_assert_uint_eq(t->input.n, 1);
		ck_assert_int_eq(t->input.v[0].role, CX_ROLE_USER);
		drop(t);
	}
}
END_TEST

START_TEST(claims)
{
	static const struct {
		const char *method, *target;
		int nws, claimed;
	} tab[] = {
		{ "POST", "/v1/responses", 0, 1 },
		{ "POST", "/backend-api/codex/responses", 0, 1 },
		{ "POST", "/proxy/openai/v1/responses?api-version=1", 0, 1 },
		{ "GET", "/v1/responses", 1, 1 },
		{ "GET", "/v1/responses", 0, 0 },
		{ "POST", "/v1/chat/completions", 0, 0 },
		{ "POST", "/v1/responses/compact", 0, 1 },
		{ "POST", "/v1/responses/compactx", 0, 0 },
		{ "POST", "/responsesx", 0, 0 },
	};

	for (size_t i = 0; i < sizeof(tab) / sizeof(*tab); i++) {
		struct mk m;

		mk_http(&m, tab[i].target, "{}", NULL, "{}");
		m.ex.req.method = (char *)tab[i].method;
		m.ex.nws = (size_t)tab[i].nws;
		m.ex.ws = m.ws;
		ck_assert_msg(responses_api()->claims(&m.ex) ==
		    tab[i].claimed, "row %zu", i);
	}
}
END_TEST

/* Bad input: kept raw with a note, never dropped, never a crash. */
START_TEST(bad_input)
{
	static const char *const ev[] = {
		"response.created", "{\"response\":{\"id\":\"r1\","
		    "\"model\":\"gpt-x\"}}",
		"response.weird_new_thing", "{\"type\":"
		    "\"response.weird_new_thing\",\"payload\":1}",
		"message", "not json at all",
		"response.output_text.delta", "{\"item_id\":\"m1\","
		    "\"delta\":\"half an ans\"}",
		"response.output_item.added", "{\"output_index\":1,\"item\":"
		    "{\"id\":\"fc1\",\"type\":\"function_call\",\"name\":\"t\","
		    "\"call_id\":\"c9\"}}",
		"response.function_call_arguments.delta", "{\"item_id\":"
		    "\"fc1\",\"output_index\":1,\"delta\":\"{\\\"a\\\":\"}",
		"message", "[DONE]",
		NULL,
	};
	static const char *const ev_err[] = {
		"error", "{\"type\":\"error\",\"error\":{\"code\":\"rate\","
		    "\"message\":\"slow down\"}}",
		NULL,
	};
	struct mk m;
	struct cx_turn *t;
	const struct cx_item *it;
	size_t n;

	/* a body that is not JSON, and a stream of odd events */
	mk_http(&m, "/v1/responses", "not json {", ev, NULL);
	t = run(&m, &n);
	ck_assert_uint_eq(n, 1);
	ck_assert_uint_eq(t->input.n, 1);
	ck_assert_int_eq(t->input.v[0].kind, CX_ITEM_OTHER);
	ck_assert_str_eq(t->input.v[0].text, "not json {");
	ck_assert_ptr_nonnull(t->input.v[0].note);
	ck_assert_str_eq(t->model_answered, "gpt-x");
	ck_assert_str_eq(t->response_id, "r1");
	it = tg_item_find(&t->output, CX_ITEM_OTHER, 0);
	ck_assert_ptr_nonnull(it);
	ck_assert(strstr(it->note, "response.weird_new_thing") != NULL);
	it = tg_item_find(&t->output, CX_ITEM_OTHER, (size_t)(it - t->output.v) +
	    1);
	ck_assert_ptr_nonnull(it);
	ck_assert_str_eq(it->text, "not json at all");
	/* deltas whose item never came */
	it = tg_item_find(&t->output, CX_ITEM_TEXT, 0);
	ck_assert_ptr_nonnull(it);
	ck_assert_str_eq(it->text, "half an ans");
	ck_assert_ptr_nonnull(it->note);
	it = tg_item_find(&t->output, CX_ITEM_TOOL_CALL, 0);
	ck_assert_ptr_nonnull(it);
	ck_assert_str_eq(it->name, "t");
	ck_assert_str_eq(it->call_id, "c9");
	ck_assert_str_eq(it->text, "{\"a\":");
	ck_assert_uint_eq(t->output.n, 4);      /* [DONE] is no item */
	ck_assert(strstr(t->note, "without a final status") != NULL);
	ck_assert_int_eq(t->t_first_token, 2003);
	ck_assert_int_eq(t->t_last_token, 2005);
	drop(t);

	/* a tool result with no call, items of odd shapes */
	mk_http(&m, "/v1/responses", "{\"input\":[{\"type\":"
	    "\"function_call_output\",\"call_id\":\"nobody\",\"output\":"
	    "\"x\"},{\"type\":\"function_call_output\",\"output\":[{\"type\":"
	    "\"input_text\",\"text\":\"y\"}]},7,{\"type\":\"brand_new\"},"
	    "{\"role\":\"user\",\"content\":{\"a\":1}}],\"tools\":{}}",
	    ev_err, NULL);
	t = run(&m, &n);
	ck_assert_uint_eq(t->input.n, 5);
	ck_assert_int_eq(t->input.v[0].kind, CX_ITEM_TOOL_RESULT);
	ck_assert_str_eq(t->input.v[0].call_id, "nobody");
	ck_assert_ptr_null(t->input.v[0].name);
	ck_assert_int_eq(t->input.v[1].kind, CX_ITEM_TOOL_RESULT);
	ck_assert_str_eq(t->input.v[1].text, "y");
	ck_assert_ptr_nonnull(t->input.v[1].note);
	for (size_t i = 2; i < 5; i++) {
		ck_assert_int_eq(t->input.v[i].kind, CX_ITEM_OTHER);
		ck_assert_ptr_nonnull(t->input.v[i].note);
	}
	ck_assert_str_eq(t->error, "rate: slow down");
	ck_assert_int_eq(t->output.v[0].kind, CX_ITEM_ERROR);
	ck_assert(strstr(t->note, "tools that are not a list") != NULL);
	drop(t);

	/* a plain answer that is not JSON */
	mk_http(&m, "/v1/responses", "{\"input\":\"hi\"}", NULL,
	    "<html>bad gateway</html>");
	m.ex.resp.status = 502;
	t = run(&m, &n);
	ck_assert_uint_eq(t->output.n, 1);
	ck_assert_int_eq(t->output.v[0].kind, CX_ITEM_OTHER);
	ck_assert_str_eq(t->output.v[0].text, "<html>bad gateway</html>");
	drop(t);
}
END_TEST

/* A socket: response.append and response.processed are requests; a
 * turn ends at its final event; a server message before any is none. */
START_TEST(ws_shapes)
{
	static const struct {
		int dir;
		const char *data;
	} msgs[] = {
		{ 1, "{\"type\":\"hello\"}" },
		{ 0, "{\"type\":\"response.create\",\"model\":\"m\","
		    "\"input\":[{\"role\":\"user\",\"content\":\"q\"}]}" },
		{ 1, "{\"type\":\"response.output_item.done\",\"item\":"
		    "{\"type\":\"message\",\"role\":\"assistant\",\"content\":"
		    "[{\"type\":\"output_text\",\"text\":\"a\"}]}}" },
		{ 1, "{\"type\":\"response.failed\",\"response\":{\"status\":"
		    "\"failed\",\"error\":{\"message\":\"boom\"}}}" },
		{ 1, "{\"type\":\"late\"}" },
		{ 0, "{\"type\":\"response.append\",\"input\":[]}" },
		{ 0, "{\"type\":\"response.processed\"}" },
		{ 1, "{\"type\":\"response.incomplete\",\"response\":"
		    "{\"status\":\"incomplete\",\"incomplete_details\":"
		    "{\"reason\":\"max_output_tokens\"}}}" },
	};
	struct tg_turns got = { 0 };
	struct mk m;

	memset(&got, 0, sizeof(got));

	mk_http(&m, "/v1/responses", "", NULL, "");
	m.ex.req.method = (char *)"GET";
	for (size_t i = 0; i < sizeof(msgs) / sizeof(*msgs); i++) {
		m.ws[i].dir = (uint8_t)msgs[i].dir;
		m.ws[i].opcode = CX_WS_TEXT;
		m.ws[i].ts = 100 + (int64_t)i;
		m.ws[i].data = (char *)msgs[i].data;
		m.ws[i].len = strlen(msgs[i].data);
	}
	m.ex.ws = m.ws;
	m.ex.nws = sizeof(msgs) / sizeof(*msgs);
	ck_assert_ptr_eq(cx_api_of(&m.ex), responses_api());
	ck_assert_uint_eq(cx_conv_turns(&m.ex, tg_turns_take, &got), 3);
	ck_assert_str_eq(got.v[0]->input.v[0].text, "q");
	ck_assert_str_eq(got.v[0]->output.v[0].text, "a");
	ck_assert_str_eq(got.v[0]->stop_reason, "failed");
	ck_assert_str_eq(got.v[0]->error, "boom");
	ck_assert_int_eq(got.v[0]->t_request, 101);
	/* the message after the final event belongs to no turn */
	ck_assert_uint_eq(got.v[0]->output.n, 1);
	ck_assert_int_eq(got.v[1]->warmup, 0);
	ck_assert(strstr(got.v[1]->note, "response.append") != NULL);
	ck_assert_str_eq(got.v[2]->stop_reason,
	    "incomplete: max_output_tokens");
	tg_turns_free(&got);
}
END_TEST

static Suite *
suite(void)
{
	Suite *s = suite_create("conv_responses");
	TCase *tc = tcase_create("responses");

	tcase_set_timeout(tc, 30);
	tcase_add_test(tc, codex098_http);
	tcase_add_test(tc, codex171_ws);
	tcase_add_test(tc, usage_table);
	tcase_add_test(tc, claims);
	tcase_add_test(tc, bad_input);
	tcase_add_test(tc, ws_shapes);
	suite_add_tcase(s, tc);
	return s;
}

int
main(void)
{
	SRunner *sr = srunner_create(suite());
	int failed;

	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
