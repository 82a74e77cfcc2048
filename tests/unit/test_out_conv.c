/*
 * test_out_conv.c: the conversation view (analyzer/out_conv.c): a
 * synthetic trace of two codex-shaped turns (a tool call, its output sent
 * back, a custom tool call, an event type nobody knows, a secret and a
 * <script> in a user message) decoded with -f conversation, plain and as
 * Markdown.
 */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <zstd.h>

#include "decode.h"
#include "exchange.h"
#include "output.h"
#include "trace.h"
#include "tracegen.h"

static void
setup(void)
{
	tg_setup("conv");
}

/* A POST of body (zstd-compressed when zst is set), in a session. */
static void
post_s(struct cx_writer *w, uint64_t conn, double t, const char *target,
    const char *body, int zst, const char *session)
{
	char head[512], sh[128] = "";
	size_t n = strlen(body), zn = 0;
	char *z = NULL;

	if (zst) {
		size_t cap = ZSTD_compressBound(n);

		z = malloc(cap);
		zn = ZSTD_compress(z, cap, body, n, 3);
		ck_assert(!ZSTD_isError(zn));
	}
	if (session != NULL)
		snprintf(sh, sizeof(sh), "session_id: %s\r\n", session);
	snprintf(head, sizeof(head), "POST %s HTTP/1.1\r\nHost: 127.0.0.1\r\n"
	    "authorization: Bearer sk-test-throwawayTHROWAWAY1234\r\n"
	    "content-type: application/json\r\n%s%s"
	    "content-length: %zu\r\n\r\n", target, sh,
	    zst ? "content-encoding: zstd\r\n" : "", zst ? zn : n);
	tg_put(w, CX_K_DATA, CX_SRC_RELAY, CX_DIR_REQ, conn, t, head, strlen(head));
	tg_put(w, CX_K_DATA, CX_SRC_RELAY, CX_DIR_REQ, conn, t + 0.1,
	    zst ? z : body, zst ? zn : n);
	free(z);
}

static void
post(struct cx_writer *w, uint64_t conn, double t, const char *target,
    const char *body, int zst)
{
	post_s(w, conn, t, target, body, zst, NULL);
}

/* An event-stream answer of the "event\0data\0" pairs in ev (NULL ends). */
static void
sse(struct cx_writer *w, uint64_t conn, double t, const char *const *ev)
{
	char *body = NULL, head[256];
	size_t len = 0;
	FILE *m = open_memstream(&body, &len);

	for (; *ev != NULL; ev += 2)
		fprintf(m, "event: %s\ndata: %s\n\n", ev[0], ev[1]);
	fclose(m);
	snprintf(head, sizeof(head), "HTTP/1.1 200 OK\r\ncontent-type: "
	    "text/event-stream\r\ncontent-length: %zu\r\n\r\n", len);
	tg_resp(w, conn, t, head);
	tg_resp(w, conn, t + 1, body);
	free(body);
}

#define DEV     "{\"type\":\"message\",\"role\":\"developer\",\"content\":" \
    "[{\"type\":\"input_text\",\"text\":\"<permissions instructions>\"}]}"
#define USER    "{\"type\":\"message\",\"role\":\"user\",\"content\":" \
    "[{\"type\":\"input_text\",\"text\":\"please run <script>alert(1)" \
    "</script> with key sk-proj-SECRETsecretSECRET12345\"}]}"
#define TOOLS   "\"tools\":[{\"type\":\"function\",\"name\":\"exec_command\"," \
    "\"parameters\":{}},{\"type\":\"function\",\"name\":\"write_stdin\"}," \
    "{\"type\":\"custom\",\"name\":\"apply_patch\"},{\"type\":" \
    "\"web_search\"}]"
#define FCALL   "{\"type\":\"function_call\",\"name\":\"exec_command\"," \
    "\"arguments\":\"{\\\"cmd\\\":\\\"echo hi\\\"}\",\"call_id\":\"call_1\"}"
#define PATCH   "*** Begin Patch\\n*** Add File: a.txt\\n+hello\\n*** End Patch"
#define CCALL   "{\"type\":\"custom_tool_call\",\"name\":\"apply_patch\"," \
    "\"input\":\"" PATCH "\",\"call_id\":\"call_2\"}"

static void
write_trace(const char *p)
{
	struct cx_writer *w = tg_create(p);
	static const char *const turn1[] = {
		"response.created", "{\"type\":\"response.created\","
		    "\"response\":{\"id\":\"resp_1\",\"status\":\"in_progress\"}}",
		"response.reasoning_summary_text.delta", "{\"item_id\":\"rs_1\","
		    "\"summary_index\":0,\"delta\":\"Thinking about \"}",
		"response.reasoning_summary_text.delta", "{\"item_id\":\"rs_1\","
		    "\"summary_index\":0,\"delta\":\"echo\"}",
		"response.output_item.done", "{\"item\":{\"id\":\"rs_1\","
		    "\"type\":\"reasoning\",\"summary\":[],"
		    "\"encrypted_content\":\"ENC1\"}}",
		"response.output_item.done", "{\"item\":{\"id\":\"fc_1\","
		    "\"type\":\"function_call\",\"name\":\"exec_command\","
		    "\"arguments\":\"{\\\"cmd\\\":\\\"echo hi\\\"}\","
		    "\"call_id\":\"call_1\"}}",
		"response.output_item.done", "{\"item\":{\"id\":\"ctc_1\","
		    "\"type\":\"custom_tool_call\",\"name\":\"apply_patch\","
		    "\"input\":\"" PATCH "\",\"call_id\":\"call_2\"}}",
		"response.weird_new_thing", "{\"type\":"
		    "\"response.weird_new_thing\",\"payload\":\"xyzzy\"}",
		"response.completed", "{\"type\":\"response.completed\","
		    "\"response\":{\"id\":\"resp_1\",\"status\":\"completed\","
		    "\"usage\":{\"input_tokens\":1234,\"input_tokens_details\":"
		    "{\"cached_tokens\":1000},\"output_tokens\":56,"
		    "\"output_tokens_details\":{\"reasoning_tokens\":7},"
		    "\"total_tokens\":1290}}}",
		NULL,
	};
	static const char *const turn2[] = {
		"response.created", "{\"response\":{\"id\":\"resp_2\"}}",
		"response.output_text.delta", "{\"item_id\":\"msg_2\","
		    "\"content_index\":0,\"delta\":\"Hello\"}",
		"response.output_text.delta", "{\"item_id\":\"msg_2\","
		    "\"content_index\":0,\"delta\":\" wor\"}",
		"response.output_text.delta", "{\"item_id\":\"msg_2\","
		    "\"content_index\":0,\"delta\":\"ld\"}",
		"response.output_item.done", "{\"item\":{\"id\":\"msg_2\","
		    "\"type\":\"message\",\"role\":\"assistant\",\"content\":"
		    "[{\"type\":\"output_text\",\"text\":\"Hello world\"}]}}",
		"response.completed", "{\"response\":{\"id\":\"resp_2\","
		    "\"status\":\"completed\",\"usage\":{\"input_tokens\":2000,"
		    "\"input_tokens_details\":{\"cached_tokens\":1500},"
		    "\"output_tokens\":10,\"output_tokens_details\":"
		    "{\"reasoning_tokens\":0},\"total_tokens\":2010}}}",
		NULL,
	};

	/* Turn 1, API-key shape. */
	post(w, 1, 10, "/v1/responses", "{\"model\":\"gpt-5.2-codex\","
	    "\"instructions\":\"be useful\",\"input\":[" DEV "," USER "],"
	    TOOLS ",\"stream\":true}", 0);
	sse(w, 1, 20, turn1);
	/* Something else in between. */
	{
		const char *g = "GET /backend-api/codex/models?client_version="
		    "0.98.0 HTTP/1.1\r\nHost: h\r\n\r\n";

		tg_put(w, CX_K_DATA, CX_SRC_RELAY, CX_DIR_REQ, 2, 40, g, strlen(g));
		tg_resp(w, 2, 41, "HTTP/1.1 200 OK\r\ncontent-type: application/"
		    "json\r\ncontent-length: 13\r\n\r\n{\"models\":[]}");
	}
	/* Turn 2: the history, the outputs; zstd as in ChatGPT mode. */
	post(w, 3, 50, "/backend-api/codex/responses",
	    "{\"model\":\"gpt-5.2-codex\",\"input\":[" DEV "," USER ","
	    "{\"type\":\"reasoning\",\"summary\":[{\"type\":\"summary_text\","
	    "\"text\":\"Thinking about echo\"}],\"content\":null,"
	    "\"encrypted_content\":\"ENC1\"}," FCALL "," CCALL ","
	    "{\"type\":\"function_call_output\",\"call_id\":\"call_1\","
	    "\"output\":\"Output:\\nhi-from-the-tool\\n\"},"
	    "{\"type\":\"custom_tool_call_output\",\"call_id\":\"call_2\","
	    "\"output\":\"Success ``` A a.txt\"}],"
	    TOOLS ",\"stream\":true}", 1);
	sse(w, 3, 60, turn2);
	cx_writer_close(w);
}

/* cx_out_conversation in Markdown, as the report calls it. */
static char *
markdown(void)
{
	char err[256], *mem = NULL;
	size_t len = 0;
	struct cx_reader *r = cx_reader_open(tg_path, err, sizeof(err));
	struct cx_analysis *a;
	struct cx_out_ctx ctx;
	struct cx_frame f;
	FILE *m;

	ck_assert_msg(r != NULL, "%s", err);
	a = cx_analysis_new(cx_reader_info(r));
	while (cx_reader_next(r, &f) == 1)
		cx_analysis_frame(a, &f);
	cx_analysis_finish(a);
	memset(&ctx, 0, sizeof(ctx));
	ctx.trace_path = tg_path;
	ctx.info = cx_reader_info(r);
	ctx.r = cx_analysis_result(a);
	ctx.redact = 1;
	m = open_memstream(&mem, &len);
	cx_out_conversation(m, &ctx, 1);
	fclose(m);
	cx_analysis_free(a);
	cx_reader_close(r);
	return mem;
}

static size_t
count(const char *s, const char *what)
{
	size_t n = 0;

	while ((s = strstr(s, what)) != NULL) {
		n++;
		s += strlen(what);
	}
	return n;
}

#define HAS(out, s)     ck_assert_msg(strstr(out, s) != NULL, \
    "missing \"%s\" in:\n%s", s, out)
#define HASNT(out, s)   ck_assert_msg(strstr(out, s) == NULL, \
    "unexpected \"%s\" in:\n%s", s, out)
#define ORDER(out, a, b) ck_assert_msg(strstr(out, a) != NULL && \
    strstr(out, b) != NULL && strstr(out, a) < strstr(out, b), \
    "\"%s\" not before \"%s\" in:\n%s", a, b, out)

START_TEST(plain)
{
	char *out, *t2;

	write_trace(tg_path);
	out = tg_decode(tg_path, "conversation", 0, NULL);
	HAS(out, "== Turn 1 ");
	HAS(out, "gpt-5.2-codex  responses  (exchange #1, POST /v1/responses -> 200)");
	t2 = strstr(out, "== Turn 2 ");
	ck_assert_ptr_nonnull(t2);
	HAS(t2, "(exchange #3, POST /backend-api/codex/responses -> 200)");
	/* The other exchange, between the turns. */
	ORDER(out, "#2 GET /backend-api/codex/models?client_version=0.98.0 "
	    "-> 200", "== Turn 2 ");
	/* Turn 1's messages, once: turn 2 resends them. */
	HAS(out, ">> instructions developer:\n      <permissions instructions>\n");
	ck_assert_int_eq(count(out, "<permissions instructions>"), 1);
	HAS(out, ">> user:\n      please run <script>alert(1)</script> with "
	    "key [REDACTED]\n");
	HASNT(out, "SECRETsecret");
	HASNT(out, "THROWAWAY");
	/* The tools, once (they do not change). */
	HAS(out, "tools offered: exec_command, write_stdin, apply_patch, "
	    "web_search\n");
	ck_assert_int_eq(count(out, "tools offered"), 1);
	/* Turn 1's output: reasoning from the deltas, the calls. */
	HAS(out, "<< reasoning (hidden; its summary):\n      Thinking about echo\n");
	HAS(out, "<< call exec_command (call_1):\n      {\n        \"cmd\": "
	    "\"echo hi\"\n      }\n");
	HAS(out, "<< call apply_patch (call_2):\n      *** Begin "
	    "Patch\n      *** Add File: a.txt\n      +hello\n      *** End "
	    "Patch\n");
	/* The unknown event, raw. */
	HAS(out, "<< raw (event response.weird_new_thing):\n");
	HAS(out, "\"payload\": \"xyzzy\"");
	HAS(out, "stop: completed, response id resp_1\n");
	HAS(out, "usage: input 1234 (cached 1000), output 56 (reasoning 7), "
	    "total 1290\n");
	ORDER(out, "usage: input 1234", "== Turn 2 ");
	/* Turn 2: only the tool outputs are new, named by their calls. */
	HAS(t2, ">> tool output exec_command (call_1):\n      Output:\n      "
	    "hi-from-the-tool\n");
	HAS(t2, ">> tool output apply_patch (call_2):\n      Success ``` A "
	    "a.txt\n");
	HASNT(t2, ">> user:");
	HASNT(t2, ">> raw");
	HASNT(t2, "tools offered");
	HAS(t2, "<< assistant:\n      Hello world\n");
	HASNT(t2, "differ");
	HAS(t2, "usage: input 2000 (cached 1500), output 10 (reasoning 0), "
	    "total 2010\n");
	/* The cost of each turn (docs/prices.md: gpt-5.2-codex at $1.75,
	 * cached $0.175, output $14 per million tokens), and of all. */
	HAS(out, "usage: input 1234 (cached 1000), output 56 (reasoning 7), "
	    "total 1290\n   cost: $0.001369 (gpt-5.2-codex, prices read "
	    "2026-12-07)\n");
	HAS(t2, "cost: $0.001278 (gpt-5.2-codex, prices read 2026-12-07)\n");
	HAS(out, "2 turns (responses 2), 1 other exchange; tokens: input 3234 "
	    "(cached 2500), output 66 (reasoning 7), total 3300; cost: "
	    "$0.002646\n");
	free(out);

	out = tg_decode(tg_path, "conversation", 1, NULL);
	HAS(out, "sk-proj-SECRETsecretSECRET12345");
	free(out);
}
END_TEST

START_TEST(md)
{
	char *out;

	write_trace(tg_path);
	out = markdown();
	HAS(out, "### Turn 1\n");
	HAS(out, "### Turn 2\n");
	HAS(out, ", model gpt\\-5.2\\-codex, responses, exchange #1 \\(POST "
	    "/v1/responses &rarr; 200\\)\n");
	HAS(out, "**instructions developer:**\n\n> &lt;permissions "
	    "instructions&gt;\n");
	/* Nothing from the traffic can open a tag. */
	HAS(out, "> please run &lt;script&gt;alert\\(1\\)&lt;/script&gt; "
	    "with key \\[REDACTED\\]");
	HASNT(out, "<script>");
	HASNT(out, "<permissions");
	HASNT(out, "SECRETsecret");
	HAS(out, "tools offered: exec\\_command, write\\_stdin, apply\\_patch,"
	    " web\\_search\n");
	HAS(out, "**call exec\\_command \\(call\\_1\\):**\n\n```json\n{\n"
	    "  \"cmd\": \"echo hi\"\n}\n```\n");
	HAS(out, "```text\n*** Begin Patch\n*** Add File: a.txt\n");
	/* A fence longer than the backticks inside. */
	HAS(out, "````text\nSuccess ``` A a.txt\n````\n");
	HAS(out, "**raw \\(event response.weird\\_new\\_thing\\):**");
	HAS(out, "> Hello world");
	HAS(out, "- usage: input 1234 (cached 1000), output 56 (reasoning 7), "
	    "total 1290\n- cost: $0.001369 \\(gpt\\-5.2\\-codex, prices "
	    "read 2026\\-12\\-07\\)\n");
	free(out);
}
END_TEST

/* A message whose final text differs from its deltas; a stream cut
 * before response.completed; a failed request body. */
START_TEST(odd_streams)
{
	struct cx_writer *w = tg_create(tg_path);
	static const char *const ev[] = {
		"response.output_text.delta", "{\"item_id\":\"m\","
		    "\"delta\":\"Hi thre\"}",
		"response.output_item.done", "{\"item\":{\"id\":\"m\","
		    "\"type\":\"message\",\"role\":\"assistant\",\"content\":"
		    "[{\"type\":\"output_text\",\"text\":\"Hi there\"}]}}",
		"response.output_text.delta", "{\"item_id\":\"m2\","
		    "\"delta\":\"never finished\"}",
		"response.output_item.done", "{\"item\":{\"type\":"
		    "\"brand_new_item\",\"x\":1}}",
		NULL,
	};
	char *out;

	post(w, 1, 10, "/v1/responses", "{\"model\":\"m\",\"input\":\"just "
	    "a string\"}", 0);
	sse(w, 1, 20, ev);
	post(w, 2, 30, "/v1/responses", "not json", 0);
	cx_writer_close(w);
	out = tg_decode(tg_path, "conversation", 0, NULL);
	HAS(out, "<< assistant:\n      Hi there\n");
	HAS(out, "note: the streamed deltas differ");
	HAS(out, "they said: Hi thre\n");
	HAS(out, "<< assistant:\n      never finished\n   note: streamed; "
	    "its output_item.done never came\n");
	HAS(out, "<< raw (item brand_new_item):\n");
	HAS(out, "the stream ended without a final status");
	HAS(out, ">> user:\n      just a string\n");
	HAS(out, ">> raw (the body is not JSON):\n      not json\n");
	HAS(out, "== Turn 2 ");
	free(out);
}
END_TEST

#define MSG(role, text) "{\"type\":\"message\",\"role\":\"" role "\"," \
    "\"content\":[{\"type\":\"input_text\",\"text\":\"" text "\"}]}"
#define OUT(text) "{\"type\":\"message\",\"role\":\"assistant\"," \
    "\"content\":[{\"type\":\"output_text\",\"text\":\"" text "\"}]}"

/* Two conversations interleaved: each turn is compared with its own. */
START_TEST(sessions)
{
	struct cx_writer *w = tg_create(tg_path);
	static const char *const a1[] = {
		"response.output_item.done", "{\"item\":" OUT("answer A1") "}",
		"response.completed", "{\"response\":{\"status\":"
		    "\"completed\"}}",
		NULL,
	};
	static const char *const b1[] = {
		"response.output_item.done", "{\"item\":" OUT("answer B1") "}",
		"response.completed", "{\"response\":{\"status\":"
		    "\"completed\"}}",
		NULL,
	};
	char *out, *t3;

	post_s(w, 1, 10, "/v1/responses", "{\"input\":[" MSG("user",
	    "question A1") "]}", 0, "sess-a");
	sse(w, 1, 11, a1);
	post_s(w, 2, 20, "/v1/responses", "{\"input\":[" MSG("user",
	    "question B1") "]}", 0, "sess-b");
	sse(w, 2, 21, b1);
	post_s(w, 3, 30, "/v1/responses", "{\"input\":[" MSG("user",
	    "question A1") "," OUT("answer A1") "," MSG("user",
	    "question A2") "]}", 0, "sess-a");
	sse(w, 3, 31, a1);
	cx_writer_close(w);
	out = tg_decode(tg_path, "conversation", 0, NULL);
	HAS(out, "   session sess-a\n");
	HAS(out, "   session (switched) sess-b\n");
	t3 = strstr(out, "== Turn 3 ");
	ck_assert_ptr_nonnull(t3);
	HAS(t3, "   session (switched) sess-a\n");
	HAS(t3, ">> user:\n      question A2\n");
	HASNT(t3, "question A1");
	HASNT(t3, ">> assistant");
	ck_assert_int_eq(count(out, "question A1"), 1);
	free(out);
}
END_TEST

/* JSON of the wrong shapes anywhere: shown, never a crash. */
START_TEST(odd_shapes)
{
	struct cx_writer *w = tg_create(tg_path);
	static const char *const ev[] = {
		"response.output_item.done", "{\"item\":[1,2]}",
		"response.output_item.done", "{\"item\":{\"type\":"
		    "\"message\",\"content\":{\"a\":1}}}",
		"response.output_item.done", "{\"item\":{\"type\":"
		    "\"function_call\",\"arguments\":\"not json {\"}}",
		"response.output_item.done", "{\"item\":{\"type\":"
		    "\"reasoning\",\"summary\":\"x\"}}",
		"response.output_text.delta", "{\"delta\":5,"
		    "\"content_index\":1e300}",
		"response.reasoning_summary_text.delta", "{\"delta\":\"r\","
		    "\"summary_index\":-7}",
		"response.completed", "{\"response\":{\"usage\":"
		    "{\"input_tokens\":\"many\"}}}",
		"response.completed", "[]",
		"message", "[DONE]",
		"message", "plain text with <b>",
		NULL,
	};
	char *out;

	post(w, 1, 10, "/v1/responses", "{\"model\":7,\"input\":[1,\"s\","
	    "null,{},{\"type\":\"function_call_output\",\"output\":"
	    "[{\"type\":\"input_text\",\"text\":\"x\"}]}],\"tools\":"
	    "{\"name\":\"t\"}}", 0);
	sse(w, 1, 20, ev);
	post(w, 2, 30, "/v1/responses", "{\"input\":{\"type\":\"message\"}"
	    ",\"tools\":[1,{\"function\":{\"name\":\"chat_tool\"}}]}", 0);
	sse(w, 2, 40, ev);
	cx_writer_close(w);
	out = tg_decode(tg_path, "conversation", 0, NULL);
	HAS(out, "== Turn 2 ");
	HAS(out, "(unknown model)");
	HAS(out, ">> raw (an item that is not an object):\n      1\n");
	HAS(out, "tool output (unknown call):");
	HAS(out, "      not json {\n");
	HAS(out, "<< raw (event message: not a JSON object):\n      plain "
	    "text with <b>\n");
	HAS(out, ">> raw (input neither text nor a list):\n      {\n        \"type\": "
	    "\"message\"\n      }\n");
	HAS(out, "; tokens: input ?, output ?, total ?; cost: ?\n");
	HASNT(out, "cost: $");
	HAS(out, "chat_tool");
	free(out);
	out = markdown();
	HAS(out, "**raw \\(an item that is not an object\\):**");
	/* in a code block, as it came */
	HAS(out, "```text\nplain text with <b>\n```\n");
	free(out);
}
END_TEST

static Suite *
conv_suite(void)
{
	Suite *s = suite_create("out_conv");
	TCase *tc = tcase_create("conversation");

	tcase_add_checked_fixture(tc, setup, tg_teardown);
	tcase_set_timeout(tc, 30);
	tcase_add_test(tc, plain);
	tcase_add_test(tc, md);
	tcase_add_test(tc, odd_streams);
	tcase_add_test(tc, sessions);
	tcase_add_test(tc, odd_shapes);
	suite_add_tcase(s, tc);
	return s;
}

int
main(void)
{
	SRunner *sr = srunner_create(conv_suite());
	int failed;

	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
