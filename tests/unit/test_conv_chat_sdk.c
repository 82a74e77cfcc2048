/*
 * test_conv_chat_sdk.c: the Chat Completions adapter (analyzer/conv_chat.c)
 * on a real trace: the official `openai` npm SDK 7.60.0
 * (tests/lib/peers/sdk_client.js) through `cxrec relay` to
 * tests/lib/mocks/mock_upstream.py (tests/data/conv/README):
 * a streamed tool round trip (tool-call argument deltas by index, the
 * usage chunk, [DONE]), the same without streaming, and a Responses call
 * this adapter must leave alone; then the same trace with every byte in a
 * frame of its own.  The hand-made exchanges are in test_conv_chat.c.
 */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "conv.h"
#include "exchange.h"
#include "trace.h"
#include "tracegen.h"

extern const struct cx_api cx_api_chat;

#define SDK_TRACE       "tests/data/conv/chat_sdk_openai.bin"

/* ex's one turn (asserting the chat adapter has it). */
static struct cx_turn *
turn_of(const struct cx_exchange *ex)
{
	return tg_turn_one(ex, &cx_api_chat);
}

/* --- the SDK's trace ----------------------------------------------------- */

#define ARGS    "{\"command\": \"echo cxrec-mock-tool-ok\"}"
#define FINAL   "Done: the tool printed cxrec-mock-tool-ok."

static void
check_tools(const struct cx_turn *t)
{
	ck_assert_uint_eq(t->ntools, 1);
	ck_assert_str_eq(t->tools[0].name, "run_command");
	ck_assert_str_eq(t->tools[0].description,
	    "Run a shell command and return its output.");
	ck_assert_str_eq(t->tools[0].schema, "{\"type\":\"object\","
	    "\"properties\":{\"command\":{\"type\":\"string\"}},"
	    "\"required\":[\"command\"]}");
}

static void
check_usage(const struct cx_usage *u, int64_t in, int64_t out, int64_t tot)
{
	ck_assert_int_eq(u->input, in);
	ck_assert_int_eq(u->cached, 0);
	ck_assert_int_eq(u->cache_write, -1);
	ck_assert_int_eq(u->output, out);
	ck_assert_int_eq(u->reasoning, 0);
	ck_assert_int_eq(u->api_total, tot);
	ck_assert_int_eq(cx_usage_total(u), tot);
}

START_TEST(sdk_streamed)
{
	struct cx_analysis *an;
	const struct cx_analysis_result *res;
	const struct cx_exchange *ex;
	struct cx_turn *t;

	an = tg_analyse(SDK_TRACE);
	res = cx_analysis_result(an);
	ck_assert_uint_eq(res->nex, 5);

	/* Turn 1: the tool call, from four deltas of index 0. */
	ex = res->ex[0];
	ck_assert(ex->resp.sse);
	t = turn_of(ex);
	ck_assert(t->streamed);
	ck_assert_str_eq(t->model, "gpt-5.2");
	ck_assert_str_eq(t->model_answered, "gpt-5.2");
	ck_assert_str_eq(t->response_id, "chatcmpl-mock-0001");
	ck_assert_str_eq(t->stop_reason, "tool_calls");
	ck_assert_ptr_null(t->session);
	ck_assert_ptr_null(t->error);
	ck_assert_msg(t->note == NULL, "note: %s", t->note);
	ck_assert_uint_eq(t->instructions.n, 0);
	ck_assert_uint_eq(t->input.n, 1);
	TG_ITEM(t->input, 0, CX_ITEM_TEXT, CX_ROLE_USER, "run the tool");
	check_tools(t);
	ck_assert_uint_eq(t->output.n, 1);
	TG_ITEM(t->output, 0, CX_ITEM_TOOL_CALL, CX_ROLE_ASSISTANT, ARGS);
	ck_assert_str_eq(t->output.v[0].name, "run_command");
	ck_assert_str_eq(t->output.v[0].call_id, "call_mock_0001");
	check_usage(&t->usage, 120, 24, 144);
	/* 7 events: 4 with tool_calls, finish, usage, [DONE] */
	ck_assert_uint_eq(ex->resp.nevents, 7);
	ck_assert_str_eq(ex->resp.events[6].data, "[DONE]");
	ck_assert_int_eq(t->t_first_token, ex->resp.events[0].ts);
	ck_assert_int_eq(t->t_last_token, ex->resp.events[3].ts);
	ck_assert_int_le(t->t_request, t->t_first_token);
	tg_turn_free(t);

	/* Turn 2: the call and its result sent back, the final text. */
	ex = res->ex[1];
	t = turn_of(ex);
	ck_assert_msg(t->note == NULL, "note: %s", t->note);
	ck_assert_uint_eq(t->input.n, 3);
	TG_ITEM(t->input, 0, CX_ITEM_TEXT, CX_ROLE_USER, "run the tool");
	TG_ITEM(t->input, 1, CX_ITEM_TOOL_CALL, CX_ROLE_ASSISTANT, ARGS);
	ck_assert_str_eq(t->input.v[1].call_id, "call_mock_0001");
	ck_assert_str_eq(t->input.v[1].name, "run_command");
	TG_ITEM(t->input, 2, CX_ITEM_TOOL_RESULT, CX_ROLE_TOOL,
	    "cxrec-mock-tool-ok\n");
	ck_assert_str_eq(t->input.v[2].call_id, "call_mock_0001");
	ck_assert_str_eq(t->input.v[2].name, "run_command");
	ck_assert_ptr_null(t->input.v[2].note);
	check_tools(t);
	ck_assert_uint_eq(t->output.n, 1);
	TG_ITEM(t->output, 0, CX_ITEM_TEXT, CX_ROLE_ASSISTANT, FINAL);
	ck_assert_str_eq(t->stop_reason, "stop");
	check_usage(&t->usage, 160, 16, 176);
	/* role chunk with "" content, 5 pieces, finish, usage, [DONE] */
	ck_assert_uint_eq(ex->resp.nevents, 9);
	ck_assert_int_eq(t->t_first_token, ex->resp.events[1].ts);
	ck_assert_int_eq(t->t_last_token, ex->resp.events[5].ts);
	tg_turn_free(t);
	cx_analysis_free(an);
}
END_TEST

START_TEST(sdk_plain)
{
	struct cx_analysis *an;
	const struct cx_analysis_result *res;
	const struct cx_exchange *ex;
	struct cx_turn *t;

	an = tg_analyse(SDK_TRACE);
	res = cx_analysis_result(an);
	ex = res->ex[2];
	ck_assert(!ex->resp.sse);
	t = turn_of(ex);
	ck_assert(!t->streamed);
	ck_assert_msg(t->note == NULL, "note: %s", t->note);
	ck_assert_str_eq(t->response_id, "chatcmpl-mock-0003");
	ck_assert_str_eq(t->stop_reason, "tool_calls");
	TG_ITEM(t->input, 0, CX_ITEM_TEXT, CX_ROLE_USER, "run the tool");
	check_tools(t);
	ck_assert_uint_eq(t->output.n, 1);
	TG_ITEM(t->output, 0, CX_ITEM_TOOL_CALL, CX_ROLE_ASSISTANT, ARGS);
	ck_assert_str_eq(t->output.v[0].call_id, "call_mock_0003");
	ck_assert_str_eq(t->output.v[0].name, "run_command");
	check_usage(&t->usage, 120, 24, 144);
	ck_assert_int_eq(t->t_first_token, ex->resp.t_first);
	ck_assert_int_eq(t->t_last_token, ex->resp.t_last);
	tg_turn_free(t);

	ex = res->ex[3];
	t = turn_of(ex);
	/* the SDK sent the message back as it came: refusal null etc. */
	ck_assert_uint_eq(t->input.n, 3);
	TG_ITEM(t->input, 1, CX_ITEM_TOOL_CALL, CX_ROLE_ASSISTANT, ARGS);
	TG_ITEM(t->input, 2, CX_ITEM_TOOL_RESULT, CX_ROLE_TOOL,
	    "cxrec-mock-tool-ok\n");
	ck_assert_str_eq(t->input.v[2].name, "run_command");
	ck_assert_uint_eq(t->output.n, 1);
	TG_ITEM(t->output, 0, CX_ITEM_TEXT, CX_ROLE_ASSISTANT, FINAL);
	ck_assert_str_eq(t->stop_reason, "stop");
	check_usage(&t->usage, 160, 16, 176);
	tg_turn_free(t);

	/* the Responses call is not this adapter's */
	ck_assert(!cx_api_chat.claims(res->ex[4]));
	cx_analysis_free(an);
}
END_TEST

/* The models of every chat exchange of the trace at path, one string. */
static char *
dump_trace(const char *path)
{
	struct cx_analysis *an = tg_analyse(path);
	struct tg_turns g = { NULL, 0 };
	char *all = NULL;
	size_t n = 0;
	FILE *m = open_memstream(&all, &n);

	tg_turns_of(an, &cx_api_chat, &g);
	for (size_t i = 0; i < g.n; i++)
		tg_turn_dump(m, g.v[i], 0);
	tg_turns_free(&g);
	cx_analysis_free(an);
	fclose(m);
	return all;
}

/*
 * The SDK's trace again with every byte of every connection in a frame of
 * its own (same times): the same models.
 */
START_TEST(sdk_split_bytes)
{
	char err[256], *whole, *split;
	struct cx_reader *r;
	struct cx_writer *w;
	struct cx_frame f;

	tg_setup("conv-chat-split");
	r = cx_reader_open(SDK_TRACE, err, sizeof(err));
	ck_assert_msg(r != NULL, "%s", err);
	w = tg_create(tg_path);
	while (cx_reader_next(r, &f) == 1) {
		struct cx_frame one = f;

		if (f.kind != CX_K_DATA || f.len <= 1) {
			ck_assert_int_eq(cx_writer_put(w, &f), 0);
			continue;
		}
		one.len = 1;
		for (uint32_t i = 0; i < f.len; i++) {
			one.payload = f.payload + i;
			ck_assert_int_eq(cx_writer_put(w, &one), 0);
		}
	}
	cx_writer_close(w);
	cx_reader_close(r);
	whole = dump_trace(SDK_TRACE);
	split = dump_trace(tg_path);
	ck_assert_ptr_nonnull(strstr(whole, "call_mock_0001"));
	ck_assert_str_eq(split, whole);
	free(whole);
	free(split);
	tg_teardown();
}
END_TEST

static Suite *
suite(void)
{
	Suite *s = suite_create("conv_chat_sdk");
	TCase *tc = tcase_create("sdk");

	tcase_add_test(tc, sdk_streamed);
	tcase_add_test(tc, sdk_plain);
	tcase_add_test(tc, sdk_split_bytes);
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
	return failed ? EXIT_FAILURE : 0;
}
