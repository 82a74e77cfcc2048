/*
 * test_conv_anthropic.c: the Anthropic Messages adapter (conv_anthropic.c)
 * on real traces of Claude Code 2.1.332 against
 * tests/lib/mocks/mock_anthropic.py (tests/data/conv/README), on a
 * non-streamed exchange, and on hand-made exchanges: thinking, redacted
 * thinking, two tool calls, a failed tool's result in blocks, an event
 * nobody knows, bodies that are not JSON, a result with no call; and a
 * table of usage cases.
 *
 * CONV_DUMP=1 prints the model of every turn read from a trace.
 */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "conv.h"
#include "exchange.h"
#include "trace.h"
#include "tracegen.h"

#define DATA    "tests/data/conv/"

/* the X-Claude-Code-Session-Id the hand-made requests carry, or NULL */
static const char *session_hdr = "s-1";

/* With CONV_DUMP set, t's model on stdout. */
static void
dump(const struct cx_turn *t)
{
	if (getenv("CONV_DUMP") != NULL)
		tg_turn_dump(stdout, t, 60);
}

/* --- real traces -------------------------------------------------------- */

static const struct cx_item *
item(const struct cx_items *l, size_t i)
{
	ck_assert_uint_lt(i, l->n);
	return &l->v[i];
}

/* The first item of kind k in l from index from on (asserts there is one). */
static const struct cx_item *
find(const struct cx_items *l, enum cx_item_kind k, size_t from)
{
	const struct cx_item *it = tg_item_find(l, k, from);

	ck_assert_msg(it != NULL, "no %s item", tg_kind_name(k));
	return it;
}

static const char *const claude_traces[] = {
	DATA "anthropic_claude_api-key.bin.zst",
	DATA "anthropic_claude_oauth.bin.zst",
};

/* Claude Code's round trip: Bash called, its result sent back, the
 * final text; with an API key and with OAuth the same model. */
START_TEST(claude_round_trip)
{
	struct cx_analysis *a = tg_analyse(claude_traces[_i]);
	struct tg_turns g = { 0 };
	const struct cx_turn *t0, *t1;
	const struct cx_item *it, *call, *res;
	int bash = 0;

	ck_assert_uint_eq(tg_turns_of(a, tg_api("anthropic"), &g), 2);
	ck_assert_uint_eq(g.n, 2);       /* a turn an exchange */
	for (size_t i = 0; i < g.n; i++)
		dump(g.v[i]);
	t0 = g.v[0];
	t1 = g.v[1];
	for (size_t i = 0; i < 2; i++) {
		const struct cx_turn *t = g.v[i];

		ck_assert_str_eq(t->api, "anthropic");
		ck_assert_int_eq(t->streamed, 1);
		ck_assert_ptr_nonnull(t->session);
		ck_assert_uint_eq(strlen(t->session), 36);      /* a UUID */
		/* opus with a key, sonnet with a subscription */
		ck_assert_ptr_nonnull(strstr(t->model, "claude-"));
		ck_assert_str_eq(t->model_answered, t->model);
		ck_assert_ptr_null(t->error);
		ck_assert_ptr_null(t->note);
		/* the system blocks, each an instruction */
		ck_assert_uint_ge(t->instructions.n, 3);
		for (size_t j = 0; j < t->instructions.n; j++) {
			ck_assert_int_eq(item(&t->instructions, j)->kind, CX_ITEM_TEXT);
			ck_assert_int_eq(item(&t->instructions, j)->role, CX_ROLE_SYSTEM);
		}
		ck_assert_ptr_nonnull(strstr(item(&t->instructions, 1)->text,
		    "Claude Agent SDK"));
		ck_assert_uint_ge(t->ntools, 5);
		/* the thinking block first: omitted, only signed */
		it = item(&t->output, 0);
		ck_assert_int_eq(it->kind, CX_ITEM_REASONING);
		ck_assert_int_eq(it->hidden, 1);
		ck_assert_str_eq(it->text, "");
		ck_assert_uint_eq(t->output.n, 2);
		ck_assert(t->t_first_token > t->t_request);
		ck_assert(t->t_last_token >= t->t_first_token);
		ck_assert_int_eq(t->usage.api_total, -1);
		ck_assert_int_eq(t->usage.reasoning, -1);
		ck_assert_int_ge(t->usage.output, 1);
		ck_assert_int_eq(cx_usage_total(&t->usage),
		    t->usage.input + t->usage.output);
	}
	ck_assert_str_eq(t0->session, t1->session);
	for (size_t j = 0; j < t0->ntools; j++)
		if (strcmp(t0->tools[j].name, "Bash") == 0) {
			bash = 1;
			ck_assert_ptr_nonnull(t0->tools[j].description);
			ck_assert_ptr_nonnull(strstr(t0->tools[j].schema,
			    "\"command\""));
		}
	ck_assert(bash);

	/* turn 1: the user's prompt, Claude Code's role-system message in
	 * the conversation, then the Bash call */
	ck_assert_uint_eq(t0->input.n, 3);
	ck_assert_int_eq(item(&t0->input, 0)->role, CX_ROLE_USER);
	ck_assert_str_eq(item(&t0->input, 1)->text, "run the tool");
	it = item(&t0->input, 2);
	ck_assert_int_eq(it->kind, CX_ITEM_TEXT);
	ck_assert_int_eq(it->role, CX_ROLE_SYSTEM);
	ck_assert_ptr_nonnull(strstr(it->text, "# Environment"));
	ck_assert_ptr_null(it->note);
	ck_assert_str_eq(t0->stop_reason, "tool_use");
	ck_assert_str_eq(t0->response_id, "msg_mock_0001");
	call = item(&t0->output, 1);
	ck_assert_int_eq(call->kind, CX_ITEM_TOOL_CALL);
	ck_assert_int_eq(call->role, CX_ROLE_ASSISTANT);
	ck_assert_str_eq(call->name, "Bash");
	ck_assert_str_eq(call->call_id, "toolu_mock_0003");
	/* the mock's pieces, "{\"command\": \"echo ...", joined, compacted */
	ck_assert_str_eq(call->text, "{\"command\":\"echo cxrec-mock-tool-ok\","
	    "\"description\":\"Print the cxrec marker\"}");
	/* the mock's usage: input_tokens N + cache_creation N/2, no read */
	ck_assert_int_eq(t0->usage.cached, 0);
	ck_assert_int_gt(t0->usage.cache_write, 0);
	ck_assert_int_ge(t0->usage.input - t0->usage.cache_write,
	    2 * t0->usage.cache_write);
	ck_assert_int_le(t0->usage.input - t0->usage.cache_write,
	    2 * t0->usage.cache_write + 1);

	/* turn 2: the history again, the call and its result linked */
	ck_assert_uint_eq(t1->input.n, 6);
	it = item(&t1->input, 3);
	ck_assert_int_eq(it->kind, CX_ITEM_REASONING);
	ck_assert_int_eq(it->role, CX_ROLE_ASSISTANT);
	ck_assert_int_eq(it->hidden, 1);
	it = find(&t1->input, CX_ITEM_TOOL_CALL, 0);
	ck_assert_str_eq(it->call_id, call->call_id);
	ck_assert_str_eq(it->text, "{\"command\":\"echo cxrec-mock-tool-ok\","
	    "\"description\":\"Print the cxrec marker\"}");
	res = find(&t1->input, CX_ITEM_TOOL_RESULT, 0);
	ck_assert_int_eq(res->role, CX_ROLE_TOOL);
	ck_assert_str_eq(res->call_id, "toolu_mock_0003");
	ck_assert_str_eq(res->name, "Bash");
	ck_assert_str_eq(res->text, "cxrec-mock-tool-ok");
	ck_assert_ptr_null(res->note);
	it = item(&t1->output, 1);
	ck_assert_int_eq(it->kind, CX_ITEM_TEXT);
	ck_assert_int_eq(it->role, CX_ROLE_ASSISTANT);
	ck_assert_str_eq(it->text, "Done: the tool printed cxrec-mock-tool-ok.");
	ck_assert_str_eq(t1->stop_reason, "end_turn");
	ck_assert_int_gt(t1->usage.cached, 0);
	ck_assert_int_eq(t1->usage.cache_write, 0);
	ck_assert_int_gt(t1->usage.input, t1->usage.cached);
	tg_turns_free(&g);
	cx_analysis_free(a);
}
END_TEST

/* curl, stream:false, under /anthropic through the relay. */
START_TEST(nostream)
{
	struct cx_analysis *a = tg_analyse(DATA "anthropic_nostream.bin.zst");
	struct tg_turns g = { 0 };
	const struct cx_turn *t;
	const struct cx_item *it;

	ck_assert_uint_eq(tg_turns_of(a, tg_api("anthropic"), &g), 1);
	ck_assert_uint_eq(g.n, 1);
	t = g.v[0];
	dump(t);
	ck_assert_int_eq(t->streamed, 0);
	ck_assert_ptr_null(t->session);
	ck_assert_str_eq(t->model, "claude-sonnet-4-5-20250929");
	ck_assert_str_eq(t->model_answered, "claude-sonnet-4-5-20250929");
	ck_assert_str_eq(t->response_id, "msg_mock_0001");
	ck_assert_str_eq(t->stop_reason, "tool_use");
	ck_assert_uint_eq(t->instructions.n, 1);
	ck_assert_str_eq(item(&t->instructions, 0)->text, "You are a terse assistant.");
	ck_assert_uint_eq(t->input.n, 1);
	ck_assert_int_eq(item(&t->input, 0)->role, CX_ROLE_USER);
	ck_assert_str_eq(item(&t->input, 0)->text, "run the tool");
	ck_assert_uint_eq(t->ntools, 1);
	ck_assert_str_eq(t->tools[0].name, "Bash");
	ck_assert_str_eq(t->tools[0].description, "Run a shell command");
	ck_assert_str_eq(t->tools[0].schema, "{\"type\":\"object\",\"properties\":"
	    "{\"command\":{\"type\":\"string\"}},\"required\":[\"command\"]}");
	ck_assert_uint_eq(t->output.n, 1);
	it = item(&t->output, 0);
	ck_assert_int_eq(it->kind, CX_ITEM_TOOL_CALL);
	ck_assert_str_eq(it->name, "Bash");
	ck_assert_str_eq(it->call_id, "toolu_mock_0002");
	ck_assert_str_eq(it->text, "{\"command\":\"echo cxrec-mock-tool-ok\","
	    "\"description\":\"Print the cxrec marker\"}");
	/* input_tokens 115, cache_creation 57, cache_read 0, output 37 */
	ck_assert_int_eq(t->usage.input, 172);
	ck_assert_int_eq(t->usage.cached, 0);
	ck_assert_int_eq(t->usage.cache_write, 57);
	ck_assert_int_eq(t->usage.output, 37);
	ck_assert_int_eq(t->usage.reasoning, -1);
	ck_assert_int_eq(t->usage.api_total, -1);
	ck_assert_int_eq(cx_usage_total(&t->usage), 209);
	ck_assert_int_eq(t->t_first_token, 0);
	tg_turns_free(&g);
	cx_analysis_free(a);
}
END_TEST

/* --- hand-made exchanges --------------------------------------------------- */

/*
 * One exchange: POST target with body, answered with resp_body (JSON) or,
 * when events is set, with SSE events (NULL-terminated "event\ndata" pairs
 * as "name", "data", ...), one frame each, 10 ms apart.  Its turns in g.
 */
static struct cx_analysis *
exchange(const char *target, const char *body, const char *resp_body,
    const char *const *events, struct tg_turns *g)
{
	struct cx_analysis *a = cx_analysis_new(&tg_info);
	char head[512];
	double ms = 0;

	snprintf(head, sizeof(head), "POST %s HTTP/1.1\r\nHost: 127.0.0.1\r\n"
	    "content-type: application/json\r\n%s%s%s"
	    "content-length: %zu\r\n\r\n", target,
	    session_hdr ? "X-Claude-Code-Session-Id: " : "",
	    session_hdr ? session_hdr : "", session_hdr ? "\r\n" : "",
	    strlen(body));
	tg_feed(a, CX_DIR_REQ, 1, ms, head);
	tg_feed(a, CX_DIR_REQ, 1, ms += 1, body);
	if (events == NULL) {
		snprintf(head, sizeof(head), "HTTP/1.1 200 OK\r\ncontent-type: "
		    "application/json\r\ncontent-length: %zu\r\n\r\n",
		    strlen(resp_body));
		tg_feed(a, CX_DIR_RESP, 1, ms += 100, head);
		tg_feed(a, CX_DIR_RESP, 1, ms += 1, resp_body);
	} else {
		tg_feed(a, CX_DIR_RESP, 1, ms += 100, "HTTP/1.1 200 OK\r\ncontent-type: "
		    "text/event-stream\r\ntransfer-encoding: chunked\r\n\r\n");
		for (size_t i = 0; events[i] != NULL; i += 2) {
			char ev[4096], chunk[4200];
			int n = snprintf(ev, sizeof(ev), "event: %s\ndata: %s\n\n",
			    events[i], events[i + 1]);

			ck_assert(n > 0 && (size_t)n < sizeof(ev));
			snprintf(chunk, sizeof(chunk), "%x\r\n%s\r\n", n, ev);
			tg_feed(a, CX_DIR_RESP, 1, ms += 10, chunk);
		}
		tg_feed(a, CX_DIR_RESP, 1, ms += 1, "0\r\n\r\n");
	}
	cx_analysis_finish(a);
	if (g != NULL)
		tg_turns_of(a, tg_api("anthropic"), g);
	return a;
}

START_TEST(claims_paths)
{
	static const struct {
		const char *target;
		int claimed;
	} cases[] = {
		{ "/v1/messages", 1 },
		{ "/v1/messages?beta=true", 1 },
		{ "/anthropic/v1/messages", 1 },
		{ "/v1/messages/", 1 },
		{ "https://api.anthropic.com/v1/messages?beta=true", 1 },
		{ "/v1/messages/count_tokens", 0 },
		{ "/v1/messages/count_tokens?beta=true", 0 },
		{ "/v1/messages/batches", 0 },
		{ "/v1/models", 0 },
		{ "/v1/chat/completions", 0 },
		{ "/v2/messages", 0 },
	};

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct cx_analysis *a = exchange(cases[i].target,
		    "{\"model\":\"m\",\"messages\":[]}", "{}", NULL, NULL);
		const struct cx_analysis_result *r = cx_analysis_result(a);

		ck_assert_uint_eq(r->nex, 1);
		ck_assert_msg((cx_api_of(r->ex[0]) == tg_api("anthropic")) ==
		    cases[i].claimed, "%s", cases[i].target);
		cx_analysis_free(a);
	}
}
END_TEST

/* Streamed: thinking with its signature, redacted thinking, two tool
 * calls, an event nobody knows, a ping, usage overridden at the end. */
START_TEST(stream_blocks)
{
	static const char *const ev[] = {
		"message_start", "{\"type\":\"message_start\",\"message\":{\"id\":\"msg_1\","
		    "\"model\":\"claude-x\",\"usage\":{\"input_tokens\":10,"
		    "\"cache_read_input_tokens\":100,\"cache_creation_input_tokens\":5,"
		    "\"output_tokens\":1}}}",
		"content_block_start", "{\"type\":\"content_block_start\",\"index\":0,"
		    "\"content_block\":{\"type\":\"thinking\",\"thinking\":\"\",\"signature\":\"\"}}",
		"ping", "{\"type\":\"ping\"}",
		"content_block_delta", "{\"type\":\"content_block_delta\",\"index\":0,"
		    "\"delta\":{\"type\":\"thinking_delta\",\"thinking\":\"Let me \"}}",
		"content_block_delta", "{\"type\":\"content_block_delta\",\"index\":0,"
		    "\"delta\":{\"type\":\"thinking_delta\",\"thinking\":\"think.\"}}",
		"content_block_delta", "{\"type\":\"content_block_delta\",\"index\":0,"
		    "\"delta\":{\"type\":\"signature_delta\",\"signature\":\"SIG\"}}",
		"content_block_stop", "{\"type\":\"content_block_stop\",\"index\":0}",
		"content_block_start", "{\"type\":\"content_block_start\",\"index\":1,"
		    "\"content_block\":{\"type\":\"redacted_thinking\",\"data\":\"ENCRYPTED\"}}",
		"content_block_stop", "{\"type\":\"content_block_stop\",\"index\":1}",
		"content_block_start", "{\"type\":\"content_block_start\",\"index\":2,"
		    "\"content_block\":{\"type\":\"tool_use\",\"id\":\"toolu_a\",\"name\":\"Read\",\"input\":{}}}",
		"content_block_start", "{\"type\":\"content_block_start\",\"index\":3,"
		    "\"content_block\":{\"type\":\"tool_use\",\"id\":\"toolu_b\",\"name\":\"Bash\",\"input\":{}}}",
		"content_block_delta", "{\"type\":\"content_block_delta\",\"index\":2,"
		    "\"delta\":{\"type\":\"input_json_delta\",\"partial_json\":\"{\\\"path\\\":\"}}",
		"content_block_delta", "{\"type\":\"content_block_delta\",\"index\":3,"
		    "\"delta\":{\"type\":\"input_json_delta\",\"partial_json\":\"{\\\"command\\\":\\\"ls\\\"}\"}}",
		"content_block_delta", "{\"type\":\"content_block_delta\",\"index\":2,"
		    "\"delta\":{\"type\":\"input_json_delta\",\"partial_json\":\"\\\"/a\\\"}\"}}",
		"content_block_stop", "{\"type\":\"content_block_stop\",\"index\":2}",
		"content_block_stop", "{\"type\":\"content_block_stop\",\"index\":3}",
		"surprise", "{\"type\":\"surprise\",\"x\":1}",
		"message_delta", "{\"type\":\"message_delta\",\"delta\":{\"stop_reason\":\"tool_use\"},"
		    "\"usage\":{\"output_tokens\":42,\"cache_read_input_tokens\":90,"
		    "\"output_tokens_details\":{\"thinking_tokens\":7}}}",
		"message_stop", "{\"type\":\"message_stop\"}",
		NULL,
	};
	struct tg_turns g = { 0 };
	struct cx_analysis *a = exchange("/v1/messages",
	    "{\"model\":\"claude-x\",\"stream\":true,\"messages\":[{\"role\":\"user\","
	    "\"content\":\"hi\"}]}", NULL, ev, &g);
	const struct cx_turn *t;
	const struct cx_item *it;

	ck_assert_uint_eq(g.n, 1);
	t = g.v[0];
	ck_assert_int_eq(t->streamed, 1);
	ck_assert_str_eq(t->session, "s-1");
	ck_assert_str_eq(t->response_id, "msg_1");
	ck_assert_str_eq(t->stop_reason, "tool_use");
	ck_assert_uint_eq(t->output.n, 5);
	it = item(&t->output, 0);
	ck_assert_int_eq(it->kind, CX_ITEM_REASONING);
	ck_assert_int_eq(it->hidden, 0);
	ck_assert_str_eq(it->text, "Let me think.");
	it = item(&t->output, 1);
	ck_assert_int_eq(it->kind, CX_ITEM_REASONING);
	ck_assert_int_eq(it->hidden, 1);
	ck_assert_str_eq(it->text, "");
	it = item(&t->output, 2);
	ck_assert_int_eq(it->kind, CX_ITEM_TOOL_CALL);
	ck_assert_str_eq(it->call_id, "toolu_a");
	ck_assert_str_eq(it->name, "Read");
	ck_assert_str_eq(it->text, "{\"path\":\"/a\"}");
	it = item(&t->output, 3);
	ck_assert_int_eq(it->kind, CX_ITEM_TOOL_CALL);
	ck_assert_str_eq(it->call_id, "toolu_b");
	ck_assert_str_eq(it->name, "Bash");
	ck_assert_str_eq(it->text, "{\"command\":\"ls\"}");
	it = item(&t->output, 4);
	ck_assert_int_eq(it->kind, CX_ITEM_OTHER);
	ck_assert_str_eq(it->text, "{\"type\":\"surprise\",\"x\":1}");
	ck_assert_ptr_nonnull(strstr(it->note, "surprise"));
	/* in = 10 + 90 (overridden) + 5 */
	ck_assert_int_eq(t->usage.input, 105);
	ck_assert_int_eq(t->usage.cached, 90);
	ck_assert_int_eq(t->usage.cache_write, 5);
	ck_assert_int_eq(t->usage.output, 42);
	ck_assert_int_eq(t->usage.reasoning, 7);
	/* event k at 101 + 10 (k + 1) ms: the first delta is event 3,
	 * the last event 13 */
	ck_assert_int_eq(t->t_first_token - tg_info.monotonic_ns, 141 * 1000000LL);
	ck_assert_int_eq(t->t_last_token - tg_info.monotonic_ns, 241 * 1000000LL);
	ck_assert_int_eq(t->t_request - tg_info.monotonic_ns, 1 * 1000000LL);
	tg_turns_free(&g);
	cx_analysis_free(a);
}
END_TEST

/* An error event, a delta that is not JSON, a block cut by the end. */
START_TEST(stream_error)
{
	static const char *const ev[] = {
		"message_start", "{\"type\":\"message_start\",\"message\":{\"id\":\"msg_2\","
		    "\"model\":\"claude-x\",\"usage\":{\"input_tokens\":3,\"output_tokens\":1}}}",
		"content_block_start", "{\"type\":\"content_block_start\",\"index\":0,"
		    "\"content_block\":{\"type\":\"text\",\"text\":\"\"}}",
		"content_block_delta", "{\"type\":\"content_block_delta\",\"index\":0,"
		    "\"delta\":{\"type\":\"text_delta\",\"text\":\"Hel\"}}",
		"content_block_delta", "not json {",
		"content_block_delta", "{\"type\":\"content_block_delta\",\"index\":0,"
		    "\"delta\":{\"type\":\"citations_delta\",\"citation\":{}}}",
		"error", "{\"type\":\"error\",\"error\":{\"type\":\"overloaded_error\","
		    "\"message\":\"Overloaded\"}}",
		NULL,
	};
	struct tg_turns g = { 0 };
	struct cx_analysis *a = exchange("/v1/messages?beta=true",
	    "{\"model\":\"claude-x\",\"stream\":true,\"messages\":[]}", NULL, ev, &g);
	const struct cx_turn *t;
	const struct cx_item *it;

	ck_assert_uint_eq(g.n, 1);
	t = g.v[0];
	ck_assert_str_eq(t->error, "overloaded_error: Overloaded");
	ck_assert_uint_eq(t->output.n, 3);
	it = item(&t->output, 0);
	ck_assert_int_eq(it->kind, CX_ITEM_OTHER);
	ck_assert_str_eq(it->text, "not json {");
	ck_assert_ptr_nonnull(it->note);
	it = item(&t->output, 1);
	ck_assert_int_eq(it->kind, CX_ITEM_OTHER);
	ck_assert_ptr_nonnull(strstr(it->text, "citations_delta"));
	it = item(&t->output, 2);
	ck_assert_int_eq(it->kind, CX_ITEM_TEXT);
	ck_assert_str_eq(it->text, "Hel");
	ck_assert_ptr_nonnull(strstr(it->note, "stream ended"));
	ck_assert_int_eq(t->usage.input, 3);
	ck_assert_int_eq(t->usage.cached, -1);
	ck_assert_int_eq(t->usage.cache_write, -1);
	ck_assert_int_eq(t->usage.output, 1);
	tg_turns_free(&g);
	cx_analysis_free(a);
}
END_TEST

/* The request side: system string, a role nobody knows, a failed tool's
 * result in blocks (text and an image), a result with no call, thinking
 * and redacted thinking sent back, a document, server tools. */
START_TEST(request_blocks)
{
	static const char body[] =
	    "{\"model\":\"claude-x\",\"system\":\"Be brief.\","
	    "\"metadata\":{\"user_id\":\"u\"},"
	    "\"tools\":[{\"name\":\"Bash\",\"description\":\"shell\",\"input_schema\":{\"type\":\"object\"}},"
	    "{\"type\":\"web_search_20250305\",\"name\":\"web_search\",\"max_uses\":3}],"
	    "\"messages\":["
	    "{\"role\":\"user\",\"content\":[{\"type\":\"text\",\"text\":\"look\"},"
	    "{\"type\":\"document\",\"source\":{\"type\":\"text\",\"data\":\"doc\"}}]},"
	    "{\"role\":\"assistant\",\"content\":["
	    "{\"type\":\"thinking\",\"thinking\":\"hmm\",\"signature\":\"S\"},"
	    "{\"type\":\"redacted_thinking\",\"data\":\"X\"},"
	    "{\"type\":\"tool_use\",\"id\":\"t1\",\"name\":\"Bash\",\"input\":{\"command\":\"false\"}}]},"
	    "{\"role\":\"user\",\"content\":["
	    "{\"type\":\"tool_result\",\"tool_use_id\":\"t1\",\"is_error\":true,"
	    "\"content\":[{\"type\":\"text\",\"text\":\"exit 1\"},{\"type\":\"text\",\"text\":\"no\"},"
	    "{\"type\":\"image\",\"source\":{\"type\":\"base64\",\"data\":\"AAAA\"}}]},"
	    "{\"type\":\"tool_result\",\"tool_use_id\":\"t9\",\"content\":\"orphan\"}]},"
	    "{\"role\":\"robot\",\"content\":\"beep\"}]}";
	struct tg_turns g = { 0 };
	struct cx_analysis *a = exchange("/v1/messages", body,
	    "{\"type\":\"message\",\"id\":\"m\",\"content\":[],\"stop_reason\":\"end_turn\"}",
	    NULL, &g);
	const struct cx_turn *t;
	const struct cx_item *it;

	ck_assert_uint_eq(g.n, 1);
	t = g.v[0];
	ck_assert_uint_eq(t->instructions.n, 1);
	ck_assert_str_eq(item(&t->instructions, 0)->text, "Be brief.");
	ck_assert_uint_eq(t->ntools, 2);
	ck_assert_str_eq(t->tools[1].name, "web_search");
	ck_assert_ptr_nonnull(strstr(t->tools[1].description, "web_search_20250305"));
	ck_assert_uint_eq(t->input.n, 9);
	ck_assert_str_eq(item(&t->input, 0)->text, "look");
	it = item(&t->input, 1);
	ck_assert_int_eq(it->kind, CX_ITEM_OTHER);
	ck_assert_int_eq(it->role, CX_ROLE_USER);
	ck_assert_ptr_nonnull(strstr(it->text, "\"doc\""));
	ck_assert_str_eq(it->note, "a document block");
	it = item(&t->input, 2);
	ck_assert_int_eq(it->kind, CX_ITEM_REASONING);
	ck_assert_str_eq(it->text, "hmm");
	ck_assert_int_eq(it->hidden, 0);
	it = item(&t->input, 3);
	ck_assert_int_eq(it->kind, CX_ITEM_REASONING);
	ck_assert_int_eq(it->hidden, 1);
	it = item(&t->input, 4);
	ck_assert_int_eq(it->kind, CX_ITEM_TOOL_CALL);
	ck_assert_str_eq(it->text, "{\"command\":\"false\"}");
	it = item(&t->input, 5);
	ck_assert_int_eq(it->kind, CX_ITEM_TOOL_RESULT);
	ck_assert_int_eq(it->role, CX_ROLE_TOOL);
	ck_assert_str_eq(it->call_id, "t1");
	ck_assert_str_eq(it->name, "Bash");
	ck_assert_str_eq(it->text, "exit 1\nno");
	ck_assert_str_eq(it->note, "is_error: the tool failed");
	it = item(&t->input, 6);
	ck_assert_int_eq(it->kind, CX_ITEM_OTHER);
	ck_assert_int_eq(it->role, CX_ROLE_TOOL);
	ck_assert_str_eq(it->call_id, "t1");
	ck_assert_ptr_nonnull(strstr(it->text, "AAAA"));
	ck_assert_ptr_nonnull(strstr(it->note, "image"));
	it = item(&t->input, 7);
	ck_assert_int_eq(it->kind, CX_ITEM_TOOL_RESULT);
	ck_assert_str_eq(it->call_id, "t9");
	ck_assert_ptr_null(it->name);
	ck_assert_str_eq(it->text, "orphan");
	ck_assert_ptr_nonnull(strstr(it->note, "no tool_use t9"));
	it = item(&t->input, 8);
	ck_assert_int_eq(it->kind, CX_ITEM_TEXT);
	ck_assert_int_eq(it->role, CX_ROLE_NONE);
	ck_assert_str_eq(it->text, "beep");
	ck_assert_ptr_nonnull(strstr(it->note, "robot"));
	ck_assert_str_eq(t->session, "s-1");   /* the header over user_id */
	ck_assert_int_eq(t->streamed, 0);
	ck_assert_int_eq(t->usage.input, -1);
	ck_assert_int_eq(cx_usage_total(&t->usage), -1);
	tg_turns_free(&g);
	cx_analysis_free(a);
}
END_TEST

/* Bodies that are not JSON, both ways; an error body. */
START_TEST(bad_bodies)
{
	struct tg_turns g = { 0 };
	struct cx_analysis *a = exchange("/v1/messages", "this is not json",
	    "<html>bad gateway</html>", NULL, &g);
	const struct cx_turn *t;
	const struct cx_item *it;

	ck_assert_uint_eq(g.n, 1);
	t = g.v[0];
	ck_assert_str_eq(t->session, "s-1");
	ck_assert_uint_eq(t->input.n, 1);
	it = item(&t->input, 0);
	ck_assert_int_eq(it->kind, CX_ITEM_OTHER);
	ck_assert_str_eq(it->text, "this is not json");
	ck_assert_ptr_nonnull(it->note);
	ck_assert_uint_eq(t->output.n, 1);
	it = item(&t->output, 0);
	ck_assert_int_eq(it->kind, CX_ITEM_OTHER);
	ck_assert_str_eq(it->text, "<html>bad gateway</html>");
	tg_turns_free(&g);
	cx_analysis_free(a);

	a = exchange("/v1/messages", "[1,2]",
	    "{\"type\":\"error\",\"error\":{\"type\":\"invalid_request_error\","
	    "\"message\":\"messages: field required\"}}", NULL, &g);
	ck_assert_uint_eq(g.n, 1);
	t = g.v[0];
	ck_assert_uint_eq(t->input.n, 1);
	ck_assert_str_eq(item(&t->input, 0)->text, "[1,2]");
	ck_assert_str_eq(t->error, "invalid_request_error: messages: field required");
	ck_assert_uint_eq(t->output.n, 0);
	tg_turns_free(&g);
	cx_analysis_free(a);

	/* shapes that are JSON but not the API's */
	a = exchange("/v1/messages", "{\"model\":7,\"system\":5,\"messages\":{},"
	    "\"tools\":[3]}", "{\"type\":\"message\",\"content\":{\"a\":1},"
	    "\"usage\":[]}", NULL, &g);
	ck_assert_uint_eq(g.n, 1);
	t = g.v[0];
	ck_assert_ptr_null(t->model);
	ck_assert_uint_eq(t->instructions.n, 1);
	ck_assert_int_eq(item(&t->instructions, 0)->kind, CX_ITEM_OTHER);
	ck_assert_uint_eq(t->input.n, 1);
	ck_assert_int_eq(item(&t->input, 0)->kind, CX_ITEM_OTHER);
	ck_assert_uint_eq(t->ntools, 1);
	ck_assert_str_eq(t->tools[0].name, "");
	tg_turns_free(&g);
	cx_analysis_free(a);
}
END_TEST

/* Without the header: metadata.user_id's session, either form; none. */
START_TEST(session_fallback)
{
	static const struct {
		const char *body;
		const char *session;
	} cases[] = {
		{ "{\"metadata\":{\"user_id\":\"{\\\"device_id\\\":\\\"d\\\","
		    "\\\"session_id\\\":\\\"abc-1\\\"}\"},\"messages\":[]}", "abc-1" },
		{ "{\"metadata\":{\"user_id\":\"user_h_account_a_session_abc-2\"},"
		    "\"messages\":[]}", "abc-2" },
		{ "{\"metadata\":{\"user_id\":\"plain\"},\"messages\":[]}", NULL },
		{ "{\"messages\":[]}", NULL },
		{ "not json", NULL },
	};

	session_hdr = NULL;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct tg_turns g = { 0 };
		struct cx_analysis *a = exchange("/v1/messages", cases[i].body,
		    "{\"type\":\"message\",\"content\":[]}", NULL, &g);

		ck_assert_uint_eq(g.n, 1);
		if (cases[i].session == NULL)
			ck_assert_msg(g.v[0]->session == NULL, "case %zu", i);
		else
			ck_assert_str_eq(g.v[0]->session, cases[i].session);
		tg_turns_free(&g);
		cx_analysis_free(a);
	}
	session_hdr = "s-1";
}
END_TEST

/* A streamed call whose input never became JSON, one with no deltas, a
 * delta for a block that never started, a stop for none. */
START_TEST(stream_odd_calls)
{
	static const char *const ev[] = {
		"content_block_start", "{\"type\":\"content_block_start\",\"index\":0,"
		    "\"content_block\":{\"type\":\"tool_use\",\"id\":\"t1\",\"name\":\"A\",\"input\":{}}}",
		"content_block_delta", "{\"type\":\"content_block_delta\",\"index\":0,"
		    "\"delta\":{\"type\":\"input_json_delta\",\"partial_json\":\"{\\\"x\\\":\"}}",
		"content_block_stop", "{\"type\":\"content_block_stop\",\"index\":0}",
		"content_block_start", "{\"type\":\"content_block_start\",\"index\":1,"
		    "\"content_block\":{\"type\":\"tool_use\",\"id\":\"t2\",\"name\":\"B\",\"input\":{\"k\":1}}}",
		"content_block_stop", "{\"type\":\"content_block_stop\",\"index\":1}",
		"content_block_delta", "{\"type\":\"content_block_delta\",\"index\":7,"
		    "\"delta\":{\"type\":\"text_delta\",\"text\":\"stray\"}}",
		"content_block_stop", "{\"type\":\"content_block_stop\",\"index\":9}",
		NULL,
	};
	struct tg_turns g = { 0 };
	struct cx_analysis *a = exchange("/v1/messages", "{\"stream\":true,"
	    "\"messages\":[]}", NULL, ev, &g);
	const struct cx_turn *t;
	const struct cx_item *it;

	ck_assert_uint_eq(g.n, 1);
	t = g.v[0];
	ck_assert_uint_eq(t->output.n, 4);
	it = item(&t->output, 0);
	ck_assert_int_eq(it->kind, CX_ITEM_TOOL_CALL);
	ck_assert_str_eq(it->text, "{\"x\":");
	ck_assert_str_eq(it->note, "its input is not JSON");
	it = item(&t->output, 1);
	ck_assert_int_eq(it->kind, CX_ITEM_TOOL_CALL);
	ck_assert_str_eq(it->call_id, "t2");
	ck_assert_str_eq(it->text, "{\"k\":1}");
	it = item(&t->output, 2);
	ck_assert_int_eq(it->kind, CX_ITEM_OTHER);
	ck_assert_ptr_nonnull(strstr(it->text, "\"index\":9"));
	it = item(&t->output, 3);
	ck_assert_int_eq(it->kind, CX_ITEM_OTHER);
	ck_assert_str_eq(it->text, "stray");
	ck_assert_ptr_nonnull(it->note);
	ck_assert_int_eq(t->usage.input, -1);
	ck_assert_int_eq(t->usage.output, -1);
	tg_turns_free(&g);
	cx_analysis_free(a);
}
END_TEST

/* Usage, non-streamed and streamed, field by field. */
START_TEST(usage_table)
{
	static const struct {
		const char *usage;      /* non-streamed: the message's usage */
		const char *delta;      /* streamed: message_delta's, or NULL */
		int64_t in, cached, cache_write, out, reasoning, total;
	} cases[] = {
		{ "{\"input_tokens\":10,\"output_tokens\":5}", NULL,
		    10, -1, -1, 5, -1, 15 },
		{ "{\"input_tokens\":10,\"cache_read_input_tokens\":20,"
		    "\"cache_creation_input_tokens\":30,\"output_tokens\":5}", NULL,
		    60, 20, 30, 5, -1, 65 },
		{ "{\"input_tokens\":10,\"cache_read_input_tokens\":0,"
		    "\"cache_creation_input_tokens\":0,\"output_tokens\":0}", NULL,
		    10, 0, 0, 0, -1, 10 },
		{ "{\"output_tokens\":5}", NULL, -1, -1, -1, 5, -1, 5 },
		{ "{}", NULL, -1, -1, -1, -1, -1, -1 },
		{ "{\"input_tokens\":\"ten\",\"output_tokens\":-3}", NULL,
		    -1, -1, -1, -1, -1, -1 },
		{ "{\"input_tokens\":1,\"output_tokens\":9,"
		    "\"output_tokens_details\":{\"thinking_tokens\":4}}", NULL,
		    1, -1, -1, 9, 4, 10 },
		/* streamed: message_delta's counts win, the rest stay */
		{ "{\"input_tokens\":10,\"cache_read_input_tokens\":20,"
		    "\"cache_creation_input_tokens\":30,\"output_tokens\":1}",
		    "{\"output_tokens\":50}", 60, 20, 30, 50, -1, 110 },
		{ "{\"input_tokens\":10,\"cache_read_input_tokens\":20,"
		    "\"cache_creation_input_tokens\":30,\"output_tokens\":1}",
		    "{\"input_tokens\":11,\"cache_read_input_tokens\":21,"
		    "\"cache_creation_input_tokens\":31,\"output_tokens\":50}",
		    63, 21, 31, 50, -1, 113 },
		{ "{\"input_tokens\":10,\"output_tokens\":1}", "{}",
		    10, -1, -1, 1, -1, 11 },
		{ "{}", "{\"input_tokens\":7,\"output_tokens\":2}",
		    7, -1, -1, 2, -1, 9 },
	};

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct tg_turns g = { 0 };
		struct cx_analysis *a;
		char m[1024], d[1024];
		const struct cx_usage *u;

		if (cases[i].delta == NULL) {
			snprintf(m, sizeof(m), "{\"type\":\"message\",\"id\":\"m\","
			    "\"content\":[],\"usage\":%s}", cases[i].usage);
			a = exchange("/v1/messages", "{\"messages\":[]}", m, NULL, &g);
		} else {
			const char *ev[] = { "message_start", m, "message_delta", d,
			    "message_stop", "{\"type\":\"message_stop\"}", NULL };

			snprintf(m, sizeof(m), "{\"type\":\"message_start\","
			    "\"message\":{\"id\":\"m\",\"usage\":%s}}", cases[i].usage);
			snprintf(d, sizeof(d), "{\"type\":\"message_delta\",\"delta\":"
			    "{\"stop_reason\":\"end_turn\"},\"usage\":%s}", cases[i].delta);
			a = exchange("/v1/messages", "{\"stream\":true,\"messages\":[]}",
			    NULL, ev, &g);
		}
		ck_assert_uint_eq(g.n, 1);
		u = &g.v[0]->usage;
		ck_assert_msg(u->input == cases[i].in && u->cached == cases[i].cached &&
		    u->cache_write == cases[i].cache_write && u->output == cases[i].out &&
		    u->reasoning == cases[i].reasoning && u->api_total == -1 &&
		    cx_usage_total(u) == cases[i].total,
		    "case %zu: in %lld cached %lld write %lld out %lld reasoning %lld",
		    i, (long long)u->input, (long long)u->cached,
		    (long long)u->cache_write, (long long)u->output,
		    (long long)u->reasoning);
		tg_turns_free(&g);
		cx_analysis_free(a);
	}
}
END_TEST

int
main(void)
{
	Suite *s = suite_create("conv_anthropic");
	TCase *tc = tcase_create("core");
	SRunner *sr;
	int failed;

	tg_info.monotonic_ns = 1000000000;
	tg_info.realtime_ns = 1700000000LL * 1000000000;
	tcase_set_timeout(tc, 60);
	tcase_add_loop_test(tc, claude_round_trip, 0,
	    (int)(sizeof(claude_traces) / sizeof(claude_traces[0])));
	tcase_add_test(tc, nostream);
	tcase_add_test(tc, claims_paths);
	tcase_add_test(tc, stream_blocks);
	tcase_add_test(tc, stream_error);
	tcase_add_test(tc, request_blocks);
	tcase_add_test(tc, bad_bodies);
	tcase_add_test(tc, session_fallback);
	tcase_add_test(tc, stream_odd_calls);
	tcase_add_test(tc, usage_table);
	suite_add_tcase(s, tc);
	sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
