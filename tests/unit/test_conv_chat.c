/*
 * test_conv_chat.c: the Chat Completions adapter (analyzer/conv_chat.c) on
 * hand-made exchanges: two parallel tool calls interleaved by index, a
 * stream without its usage chunk or [DONE], content as arrays of parts,
 * bodies that are not JSON, chunks of unknown shapes, what is claimed and
 * what is not, a table of usage objects, and every chunk and the request
 * cut at every byte.  The SDK's recorded trace is in test_conv_chat_sdk.c.
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

/* ex's one turn (asserting the chat adapter has it). */
static struct cx_turn *
turn_of(const struct cx_exchange *ex)
{
	return tg_turn_one(ex, &cx_api_chat);
}

#define NOTE_HAS(s, what) ck_assert_msg((s) != NULL && strstr((s), \
    (what)) != NULL, "note \"%s\" lacks \"%s\"", (s) ? (s) : "(null)", what)

/* --- hand-made exchanges -------------------------------------------------- */

static void
setup(void)
{
	tg_setup("conv-chat");
}

static void
put_close(struct cx_writer *w, uint64_t conn, double t)
{
	static const char by[] = "{\"by\":\"upstream\",\"reason\":\"eof\"}";

	tg_put(w, CX_K_CLOSE, CX_SRC_RELAY, CX_DIR_REQ, conn, t, by,
	    sizeof(by) - 1);
}

/*
 * One exchange on its own connection at t ms: method target with body,
 * answered with status and content type ctype, body resp.
 */
static void
exchange(struct cx_writer *w, uint64_t conn, double t, const char *method,
    const char *target, const char *body, int status, const char *ctype,
    const char *resp)
{
	char head[512];

	snprintf(head, sizeof(head), "%s %s HTTP/1.1\r\nHost: 127.0.0.1\r\n"
	    "content-type: application/json\r\ncontent-length: %zu\r\n\r\n",
	    method, target, strlen(body));
	tg_req(w, conn, t, head);
	tg_req(w, conn, t + 0.1, body);
	snprintf(head, sizeof(head), "HTTP/1.1 %d %s\r\ncontent-type: %s\r\n"
	    "content-length: %zu\r\n\r\n", status, status == 200 ? "OK" :
	    "Bad Gateway", ctype, strlen(resp));
	tg_resp(w, conn, t + 1, head);
	tg_resp(w, conn, t + 2, resp);
	put_close(w, conn, t + 3);
}

/* A stream of `data:` chunks (NULL ends), each arriving 1 ms apart. */
static void
stream(struct cx_writer *w, uint64_t conn, double t, const char *body,
    const char *const *chunks)
{
	char head[512], *all = NULL;
	size_t len = 0, n = 0;
	FILE *m = open_memstream(&all, &len);

	for (const char *const *c = chunks; *c != NULL; c++)
		fprintf(m, "data: %s\n\n", *c);
	fclose(m);
	snprintf(head, sizeof(head), "POST /v1/chat/completions HTTP/1.1\r\n"
	    "Host: 127.0.0.1\r\ncontent-type: application/json\r\n"
	    "content-length: %zu\r\n\r\n", strlen(body));
	tg_req(w, conn, t, head);
	tg_req(w, conn, t + 0.1, body);
	snprintf(head, sizeof(head), "HTTP/1.1 200 OK\r\ncontent-type: "
	    "text/event-stream\r\ncontent-length: %zu\r\n\r\n", len);
	tg_resp(w, conn, t + 1, head);
	/* one frame a chunk */
	for (const char *const *c = chunks; *c != NULL; c++, n++) {
		char *one = NULL;
		size_t olen = 0;
		FILE *o = open_memstream(&one, &olen);

		fprintf(o, "data: %s\n\n", *c);
		fclose(o);
		tg_resp(w, conn, t + 2 + (double)n, one);
		free(one);
	}
	free(all);
	put_close(w, conn, t + 3 + (double)n);
}

#define REQ_STREAM "{\"model\":\"m1\",\"stream\":true,\"stream_options\":" \
    "{\"include_usage\":true},\"messages\":[{\"role\":\"user\"," \
    "\"content\":\"look around\"}]}"
#define CK(rest) "{\"id\":\"c1\",\"model\":\"m1-2025\",\"choices\":" \
    "[{\"index\":0," rest "}]}"

START_TEST(parallel_calls)
{
	static const char *const chunks[] = {
		CK("\"delta\":{\"role\":\"assistant\",\"content\":null}"),
		CK("\"delta\":{\"tool_calls\":[{\"index\":0,\"id\":\"call_a\","
		    "\"type\":\"function\",\"function\":{\"name\":\"read_file\","
		    "\"arguments\":\"\"}}]}"),
		CK("\"delta\":{\"tool_calls\":[{\"index\":1,\"id\":\"call_b\","
		    "\"type\":\"function\",\"function\":{\"name\":\"list_dir\","
		    "\"arguments\":\"{\\\"di\"}}]}"),
		CK("\"delta\":{\"tool_calls\":[{\"index\":0,\"function\":"
		    "{\"arguments\":\"{\\\"path\\\":\"}}]}"),
		CK("\"delta\":{\"tool_calls\":[{\"index\":1,\"function\":"
		    "{\"arguments\":\"r\\\":\\\".\\\"}\"}}]}"),
		CK("\"delta\":{\"tool_calls\":[{\"index\":0,\"function\":"
		    "{\"arguments\":\"\\\"a.txt\\\"}\"}}]}"),
		CK("\"delta\":{},\"finish_reason\":\"tool_calls\""),
		"{\"id\":\"c1\",\"choices\":[],\"usage\":{\"prompt_tokens\":50,"
		    "\"completion_tokens\":30,\"total_tokens\":80,"
		    "\"prompt_tokens_details\":{\"cached_tokens\":32},"
		    "\"completion_tokens_details\":{\"reasoning_tokens\":12}}}",
		"[DONE]",
		NULL,
	};
	struct cx_writer *w = tg_create(tg_path);
	struct cx_analysis *an;
	const struct cx_analysis_result *res;
	struct cx_turn *t;
	const struct cx_exchange *ex;

	stream(w, 1, 10, REQ_STREAM, chunks);
	cx_writer_close(w);
	an = tg_analyse(tg_path);
	res = cx_analysis_result(an);
	ck_assert_uint_eq(res->nex, 1);
	ex = res->ex[0];
	t = turn_of(ex);
	ck_assert_msg(t->note == NULL, "note: %s", t->note);
	ck_assert_str_eq(t->model, "m1");
	ck_assert_str_eq(t->model_answered, "m1-2025");
	ck_assert_uint_eq(t->output.n, 2);
	TG_ITEM(t->output, 0, CX_ITEM_TOOL_CALL, CX_ROLE_ASSISTANT,
	    "{\"path\":\"a.txt\"}");
	ck_assert_str_eq(t->output.v[0].call_id, "call_a");
	ck_assert_str_eq(t->output.v[0].name, "read_file");
	TG_ITEM(t->output, 1, CX_ITEM_TOOL_CALL, CX_ROLE_ASSISTANT,
	    "{\"dir\":\".\"}");
	ck_assert_str_eq(t->output.v[1].call_id, "call_b");
	ck_assert_str_eq(t->output.v[1].name, "list_dir");
	ck_assert_str_eq(t->stop_reason, "tool_calls");
	ck_assert_int_eq(t->usage.input, 50);
	ck_assert_int_eq(t->usage.cached, 32);
	ck_assert_int_eq(t->usage.output, 30);
	ck_assert_int_eq(t->usage.reasoning, 12);
	ck_assert_int_eq(t->usage.api_total, 80);
	ck_assert_int_eq(t->t_first_token, ex->resp.events[1].ts);
	ck_assert_int_eq(t->t_last_token, ex->resp.events[5].ts);
	ck_assert_int_lt(t->t_first_token, t->t_last_token);
	tg_turn_free(t);
	cx_analysis_free(an);
}
END_TEST

START_TEST(no_usage_chunk)
{
	static const char *const chunks[] = {
		CK("\"delta\":{\"role\":\"assistant\",\"content\":\"Hel\"}"),
		CK("\"delta\":{\"content\":\"lo\"}"),
		CK("\"delta\":{\"content\":[{\"type\":\"text\",\"text\":"
		    "\"!\"}]}"),
		CK("\"delta\":{},\"finish_reason\":\"length\""),
		NULL,
	};
	struct cx_writer *w = tg_create(tg_path);
	struct cx_analysis *an;
	const struct cx_analysis_result *res;
	struct cx_turn *t;

	stream(w, 1, 10, REQ_STREAM, chunks);
	cx_writer_close(w);
	an = tg_analyse(tg_path);
	res = cx_analysis_result(an);
	t = turn_of(res->ex[0]);
	ck_assert_uint_eq(t->output.n, 1);
	TG_ITEM(t->output, 0, CX_ITEM_TEXT, CX_ROLE_ASSISTANT, "Hello!");
	ck_assert_str_eq(t->stop_reason, "length");
	ck_assert_int_eq(t->usage.input, -1);
	ck_assert_int_eq(t->usage.cached, -1);
	ck_assert_int_eq(t->usage.cache_write, -1);
	ck_assert_int_eq(t->usage.output, -1);
	ck_assert_int_eq(t->usage.reasoning, -1);
	ck_assert_int_eq(t->usage.api_total, -1);
	ck_assert_int_eq(cx_usage_total(&t->usage), -1);
	NOTE_HAS(t->note, "no usage chunk");
	NOTE_HAS(t->note, "without [DONE]");
	ck_assert_int_eq(t->t_first_token, res->ex[0]->resp.events[0].ts);
	ck_assert_int_eq(t->t_last_token, res->ex[0]->resp.events[2].ts);
	tg_turn_free(t);
	cx_analysis_free(an);
}
END_TEST

#define REQ_PARTS "{\"model\":\"m2\",\"messages\":[" \
    "{\"role\":\"system\",\"content\":[{\"type\":\"text\",\"text\":" \
    "\"be brief\"},{\"type\":\"text\",\"text\":\"be kind\"}]}," \
    "{\"role\":\"developer\",\"content\":\"use tools\"}," \
    "{\"role\":\"user\",\"content\":[{\"type\":\"text\",\"text\":\"what " \
    "is this?\"},{\"type\":\"image_url\",\"image_url\":{\"url\":" \
    "\"data:image/png;base64,AAAA\"}}]}," \
    "{\"role\":\"assistant\",\"content\":[{\"type\":\"text\",\"text\":" \
    "\"let me see\"}],\"tool_calls\":[{\"id\":\"c9\",\"type\":" \
    "\"function\",\"function\":{\"name\":\"look\",\"arguments\":\"{}\"}}]}," \
    "{\"role\":\"tool\",\"tool_call_id\":\"c9\",\"content\":[{\"type\":" \
    "\"text\",\"text\":\"a cat\"}]}," \
    "{\"role\":\"tool\",\"tool_call_id\":\"c404\",\"content\":\"lost\"}," \
    "{\"role\":\"wizard\",\"content\":\"abracadabra\"}]," \
    "\"tools\":[{\"type\":\"function\",\"function\":{\"name\":\"look\"}}," \
    "{\"type\":\"web_search_preview\"}],\"prompt_cache_key\":\"sess-7\"}"
#define RESP_PARTS "{\"id\":\"c2\",\"model\":\"m2\",\"choices\":[{\"index\":" \
    "0,\"message\":{\"role\":\"assistant\",\"reasoning_content\":" \
    "\"cats are cats\",\"content\":\"A cat.\",\"refusal\":\"no dogs\"}," \
    "\"finish_reason\":\"stop\"},{\"index\":1,\"message\":{\"content\":" \
    "\"Another cat.\"}}]}"

START_TEST(content_parts)
{
	struct cx_writer *w = tg_create(tg_path);
	struct cx_analysis *an;
	const struct cx_analysis_result *res;
	struct cx_turn *t;

	exchange(w, 1, 10, "POST", "/openai/v1/chat/completions", REQ_PARTS,
	    200, "application/json", RESP_PARTS);
	cx_writer_close(w);
	an = tg_analyse(tg_path);
	res = cx_analysis_result(an);
	t = turn_of(res->ex[0]);
	ck_assert_str_eq(t->session, "sess-7");
	ck_assert_uint_eq(t->instructions.n, 2);
	TG_ITEM(t->instructions, 0, CX_ITEM_TEXT, CX_ROLE_SYSTEM,
	    "be brief\nbe kind");
	TG_ITEM(t->instructions, 1, CX_ITEM_TEXT, CX_ROLE_DEVELOPER,
	    "use tools");
	ck_assert_uint_eq(t->input.n, 7);
	TG_ITEM(t->input, 0, CX_ITEM_TEXT, CX_ROLE_USER, "what is this?");
	TG_ITEM(t->input, 1, CX_ITEM_OTHER, CX_ROLE_USER, NULL);
	ck_assert_ptr_nonnull(strstr(t->input.v[1].text, "image_url"));
	ck_assert_ptr_nonnull(t->input.v[1].note);
	TG_ITEM(t->input, 2, CX_ITEM_TEXT, CX_ROLE_ASSISTANT, "let me see");
	TG_ITEM(t->input, 3, CX_ITEM_TOOL_CALL, CX_ROLE_ASSISTANT, "{}");
	TG_ITEM(t->input, 4, CX_ITEM_TOOL_RESULT, CX_ROLE_TOOL, "a cat");
	ck_assert_str_eq(t->input.v[4].name, "look");
	ck_assert_str_eq(t->input.v[4].call_id, "c9");
	ck_assert_ptr_null(t->input.v[4].note);
	/* a result with no call: kept, said */
	TG_ITEM(t->input, 5, CX_ITEM_TOOL_RESULT, CX_ROLE_TOOL, "lost");
	ck_assert_ptr_null(t->input.v[5].name);
	NOTE_HAS(t->input.v[5].note, "c404");
	TG_ITEM(t->input, 6, CX_ITEM_OTHER, CX_ROLE_NONE, NULL);
	NOTE_HAS(t->input.v[6].note, "wizard");
	ck_assert_ptr_nonnull(strstr(t->input.v[6].text, "abracadabra"));
	ck_assert_uint_eq(t->ntools, 2);
	ck_assert_str_eq(t->tools[0].name, "look");
	ck_assert_ptr_null(t->tools[0].schema);
	ck_assert_str_eq(t->tools[1].name, "web_search_preview");
	/* the answer: reasoning, text, refusal; the second choice raw */
	ck_assert_uint_eq(t->output.n, 4);
	TG_ITEM(t->output, 0, CX_ITEM_REASONING, CX_ROLE_ASSISTANT,
	    "cats are cats");
	ck_assert_int_eq(t->output.v[0].hidden, 0);
	TG_ITEM(t->output, 1, CX_ITEM_TEXT, CX_ROLE_ASSISTANT, "A cat.");
	TG_ITEM(t->output, 2, CX_ITEM_REFUSAL, CX_ROLE_ASSISTANT, "no dogs");
	TG_ITEM(t->output, 3, CX_ITEM_OTHER, CX_ROLE_ASSISTANT, NULL);
	ck_assert_ptr_nonnull(strstr(t->output.v[3].text, "Another cat."));
	ck_assert_int_eq(t->usage.input, -1);
	ck_assert_int_eq(cx_usage_total(&t->usage), -1);
	tg_turn_free(t);
	cx_analysis_free(an);
}
END_TEST

/* A tool result whose parts are text and an image, as the list grows. */
#define U(n)    "{\"role\":\"user\",\"content\":\"u" #n "\"},"
#define REQ_GROW "{\"messages\":[" U(1) U(2) U(3) U(4) U(5) U(6) \
    "{\"role\":\"assistant\",\"tool_calls\":[{\"id\":\"k1\",\"type\":" \
    "\"function\",\"function\":{\"name\":\"shot\",\"arguments\":\"{}\"}}]}," \
    "{\"role\":\"tool\",\"tool_call_id\":\"k1\",\"content\":[{\"type\":" \
    "\"text\",\"text\":\"took it\"},{\"type\":\"image_url\",\"image_url\":" \
    "{\"url\":\"data:image/png;base64,AAAA\"}}]}]}"

START_TEST(result_parts)
{
	struct cx_writer *w = tg_create(tg_path);
	struct cx_analysis *an;
	const struct cx_analysis_result *res;
	struct cx_turn *t;

	exchange(w, 1, 10, "POST", "/v1/chat/completions", REQ_GROW, 200,
	    "application/json", "{\"choices\":[]}");
	cx_writer_close(w);
	an = tg_analyse(tg_path);
	res = cx_analysis_result(an);
	t = turn_of(res->ex[0]);
	ck_assert_uint_eq(t->input.n, 9);
	TG_ITEM(t->input, 7, CX_ITEM_TOOL_RESULT, CX_ROLE_TOOL, "took it");
	ck_assert_str_eq(t->input.v[7].call_id, "k1");
	ck_assert_str_eq(t->input.v[7].name, "shot");
	TG_ITEM(t->input, 8, CX_ITEM_OTHER, CX_ROLE_TOOL, NULL);
	ck_assert_ptr_nonnull(strstr(t->input.v[8].text, "image_url"));
	ck_assert_uint_eq(t->output.n, 0);
	tg_turn_free(t);
	cx_analysis_free(an);
}
END_TEST

START_TEST(not_json)
{
	struct cx_writer *w = tg_create(tg_path);
	struct cx_analysis *an;
	const struct cx_analysis_result *res;
	struct cx_turn *t;

	exchange(w, 1, 10, "POST", "/v1/chat/completions", "model=gpt&x={",
	    502, "text/html", "<html>bad gateway</html>");
	exchange(w, 2, 20, "POST", "/v1/chat/completions", "{\"messages\":"
	    "\"not an array\"}", 429, "application/json", "{\"error\":"
	    "{\"message\":\"Rate limit reached\",\"type\":\"requests\"}}");
	cx_writer_close(w);
	an = tg_analyse(tg_path);
	res = cx_analysis_result(an);
	ck_assert_uint_eq(res->nex, 2);
	t = turn_of(res->ex[0]);
	ck_assert_uint_eq(t->input.n, 1);
	TG_ITEM(t->input, 0, CX_ITEM_OTHER, CX_ROLE_NONE, "model=gpt&x={");
	NOTE_HAS(t->input.v[0].note, "not JSON");
	ck_assert_uint_eq(t->output.n, 1);
	TG_ITEM(t->output, 0, CX_ITEM_OTHER, CX_ROLE_NONE,
	    "<html>bad gateway</html>");
	ck_assert_str_eq(t->error, "HTTP 502 Bad Gateway");
	tg_turn_free(t);

	t = turn_of(res->ex[1]);
	NOTE_HAS(t->note, "no messages array");
	ck_assert_uint_eq(t->output.n, 1);
	TG_ITEM(t->output, 0, CX_ITEM_ERROR, CX_ROLE_NONE,
	    "Rate limit reached");
	ck_assert_str_eq(t->error, "Rate limit reached");
	ck_assert_int_eq(t->t_first_token, 0);
	tg_turn_free(t);
	cx_analysis_free(an);
}
END_TEST

START_TEST(unknown_chunks)
{
	static const char *const chunks[] = {
		"{\"weird\":1}",
		"this is not json",
		CK("\"delta\":{\"content\":\"A\"}"),
		CK("\"delta\":{\"audio\":{\"id\":\"au_1\"},\"content\":\"B\"}"),
		CK("\"delta\":\"sideways\""),
		"{\"error\":{\"message\":\"overloaded\"}}",
		"[DONE]",
		NULL,
	};
	struct cx_writer *w = tg_create(tg_path);
	struct cx_analysis *an;
	const struct cx_analysis_result *res;
	struct cx_turn *t;

	stream(w, 1, 10, REQ_STREAM, chunks);
	cx_writer_close(w);
	an = tg_analyse(tg_path);
	res = cx_analysis_result(an);
	t = turn_of(res->ex[0]);
	/* pieces in the order they first came */
	ck_assert_uint_eq(t->output.n, 6);
	TG_ITEM(t->output, 0, CX_ITEM_OTHER, CX_ROLE_NONE, "{\"weird\":1}");
	NOTE_HAS(t->output.v[0].note, "unknown shape");
	TG_ITEM(t->output, 1, CX_ITEM_OTHER, CX_ROLE_NONE, "this is not json");
	NOTE_HAS(t->output.v[1].note, "not JSON");
	TG_ITEM(t->output, 2, CX_ITEM_TEXT, CX_ROLE_ASSISTANT, "AB");
	TG_ITEM(t->output, 3, CX_ITEM_OTHER, CX_ROLE_NONE, NULL);
	NOTE_HAS(t->output.v[3].note, "audio");
	TG_ITEM(t->output, 4, CX_ITEM_OTHER, CX_ROLE_NONE, NULL);
	NOTE_HAS(t->output.v[4].note, "not an object");
	TG_ITEM(t->output, 5, CX_ITEM_ERROR, CX_ROLE_NONE, "overloaded");
	ck_assert_str_eq(t->error, "overloaded");
	NOTE_HAS(t->note, "no usage chunk");
	ck_assert_ptr_null(strstr(t->note, "[DONE]"));
	tg_turn_free(t);
	cx_analysis_free(an);
}
END_TEST

START_TEST(claiming)
{
	static const struct {
		const char      *method;
		const char      *target;
		const char      *body;
		int              claimed;
	} rows[] = {
		{ "POST", "/v1/chat/completions", "{}", 1 },
		{ "POST", "/api/chat/completions?x=1", "not json", 1 },
		{ "GET", "/v1/chat/completions", "", 0 },
		{ "POST", "/v1/llm", "{\"messages\":[]}", 1 },
		{ "POST", "/v1/llm", "{\"messages\":[],\"input\":\"x\"}", 0 },
		{ "POST", "/v1/messages", "{\"messages\":[]}", 0 },
		{ "POST", "/v1/llm", "{\"messages\":[],\"system\":\"s\"}", 0 },
		{ "POST", "/v1/llm", "{\"messages\":{}}", 0 },
		{ "POST", "/v1/projects/p/models/c:rawPredict", "{\"messages\":"
		    "[],\"anthropic_version\":\"vertex-2023-10-16\"}", 0 },
		{ "POST", "/v1/responses", "{\"input\":\"hi\"}", 0 },
		{ "POST", "/v1beta/models/g:generateContent",
		    "{\"contents\":[]}", 0 },
	};
	size_t n = sizeof(rows) / sizeof(*rows);
	struct cx_writer *w = tg_create(tg_path);
	struct cx_analysis *an;
	const struct cx_analysis_result *res;

	for (size_t i = 0; i < n; i++)
		exchange(w, i + 1, 10.0 * (double)(i + 1), rows[i].method,
		    rows[i].target, rows[i].body, 200, "application/json",
		    "{}");
	cx_writer_close(w);
	an = tg_analyse(tg_path);
	res = cx_analysis_result(an);
	ck_assert_uint_eq(res->nex, n);
	for (size_t i = 0; i < n; i++)
		ck_assert_msg(cx_api_chat.claims(res->ex[i]) ==
		    rows[i].claimed, "row %zu: %s %s", i, rows[i].method,
		    rows[i].target);
	cx_analysis_free(an);
}
END_TEST

/* --- every chunk and the request cut at every byte ---------------------- */

static const char *const cut_chunks[] = {
	CK("\"delta\":{\"role\":\"assistant\",\"reasoning_content\":\"hm\"}"),
	CK("\"delta\":{\"content\":\"Hi\",\"refusal\":\"no\"}"),
	CK("\"delta\":{\"tool_calls\":[{\"index\":0,\"id\":\"call_a\","
	    "\"type\":\"function\",\"function\":{\"name\":\"read_file\","
	    "\"arguments\":\"{\\\"p\"}}]}"),
	CK("\"delta\":{\"tool_calls\":[{\"index\":0,\"function\":"
	    "{\"arguments\":\"\\\":1}\"}}]},\"finish_reason\":\"tool_calls\""),
	"{\"error\":{\"message\":\"x\"}}",
	"{\"id\":\"c1\",\"choices\":[],\"usage\":{\"prompt_tokens\":5,"
	    "\"completion_tokens\":3,\"total_tokens\":8}}",
	"[DONE]",
};

/* n[0]: turns seen, n[1]: the last one's output items. */
static void
cut_fn(void *arg, struct cx_turn *t)
{
	size_t *n = arg;

	n[0]++;
	n[1] = t->output.n;
}

/*
 * An exchange built in memory (the adapter reads only the model of an
 * exchange): its request body and its events, chunk i cut to k bytes.
 */
START_TEST(cut_every_byte)
{
	size_t nc = sizeof(cut_chunks) / sizeof(*cut_chunks), runs = 0;
	struct cx_event ev[sizeof(cut_chunks) / sizeof(*cut_chunks)];
	static char target[] = "/v1/chat/completions", post[] = "POST";
	struct cx_exchange ex;

	memset(&ex, 0, sizeof(ex));
	ex.has_req = ex.has_resp = 1;
	ex.req.head_done = ex.resp.head_done = 1;
	ex.req.method = post;
	ex.req.target = target;
	ex.resp.status = 200;
	ex.resp.sse = 1;
	ex.resp.events = ev;
	ex.resp.nevents = nc;
	/* the stream: each chunk cut at every byte */
	ex.req.body.p = (uint8_t *)(uintptr_t)REQ_STREAM;
	ex.req.body.len = strlen(REQ_STREAM);
	for (size_t i = 0; i < nc; i++) {
		size_t len = strlen(cut_chunks[i]);

		for (size_t k = 0; k <= len; k++) {
			char *cut = strndup(cut_chunks[i], k);
			size_t n[2] = { 0, 0 };

			for (size_t j = 0; j < nc; j++) {
				memset(&ev[j], 0, sizeof(ev[j]));
				ev[j].ts = (int64_t)(j + 1) * MS;
				ev[j].data = (char *)(uintptr_t)(j == i ? cut :
				    cut_chunks[j]);
				ev[j].data_len = strlen(ev[j].data);
				ev[j].partial = j == i && k < len;
			}
			ck_assert_uint_eq(cx_api_chat.turns(&ex, cut_fn, n), 1);
			ck_assert_uint_eq(n[0], 1);
			ck_assert_uint_ge(n[1], 3);
			free(cut);
			runs++;
		}
	}
	/* the request cut at every byte, no answer */
	ex.has_resp = 0;
	for (size_t k = 0; k <= strlen(REQ_PARTS); k++) {
		size_t n[2] = { 0, 0 };

		ex.req.body.p = (uint8_t *)(uintptr_t)REQ_PARTS;
		ex.req.body.len = k;
		ck_assert_uint_eq(cx_api_chat.turns(&ex, cut_fn, n), 1);
		ck_assert_uint_eq(n[0], 1);
		runs++;
	}
	ck_assert_uint_gt(runs, 1000);
}
END_TEST

/* --- usage: the table ----------------------------------------------------- */

static const struct usage_row {
	const char      *usage;         /* the usage value's JSON, or NULL */
	int64_t          input, cached, output, reasoning, api_total, total;
} usage_rows[] = {
	/* everything */
	{ "{\"prompt_tokens\":1200,\"completion_tokens\":300,"
	    "\"total_tokens\":1500,\"prompt_tokens_details\":{\"cached_tokens\":"
	    "1024},\"completion_tokens_details\":{\"reasoning_tokens\":256}}",
	    1200, 1024, 300, 256, 1500, 1500 },
	/* no total: computed; no details: unknown, not 0 */
	{ "{\"prompt_tokens\":10,\"completion_tokens\":5}",
	    10, -1, 5, -1, -1, 15 },
	/* a known zero stays 0 */
	{ "{\"prompt_tokens\":0,\"completion_tokens\":0,\"total_tokens\":0,"
	    "\"prompt_tokens_details\":{\"cached_tokens\":0}}",
	    0, 0, 0, -1, 0, 0 },
	/* the API's total kept apart when it disagrees */
	{ "{\"prompt_tokens\":10,\"completion_tokens\":5,\"total_tokens\":99}",
	    10, -1, 5, -1, 99, 15 },
	/* input only */
	{ "{\"prompt_tokens\":7}", 7, -1, -1, -1, -1, 7 },
	/* details without their counts, counts of the wrong type */
	{ "{\"prompt_tokens\":\"12\",\"completion_tokens\":-3,"
	    "\"prompt_tokens_details\":null,\"completion_tokens_details\":{}}",
	    -1, -1, -1, -1, -1, -1 },
	/* null, and none at all */
	{ "null", -1, -1, -1, -1, -1, -1 },
	{ NULL, -1, -1, -1, -1, -1, -1 },
};

static void
check_row(const struct cx_turn *t, const struct usage_row *r, size_t i,
    const char *how)
{
	const struct cx_usage *u = &t->usage;

	ck_assert_msg(u->input == r->input && u->cached == r->cached &&
	    u->cache_write == -1 && u->output == r->output &&
	    u->reasoning == r->reasoning && u->api_total == r->api_total &&
	    cx_usage_total(u) == r->total, "row %zu (%s): got %lld %lld %lld "
	    "%lld %lld %lld total %lld", i, how, (long long)u->input,
	    (long long)u->cached, (long long)u->cache_write,
	    (long long)u->output, (long long)u->reasoning,
	    (long long)u->api_total, (long long)cx_usage_total(u));
}

START_TEST(usage_table)
{
	size_t n = sizeof(usage_rows) / sizeof(*usage_rows);
	struct cx_writer *w = tg_create(tg_path);
	struct cx_analysis *an;
	const struct cx_analysis_result *res;
	char plainb[1024], chunk[1024];

	/* each row twice: in a plain answer, in a stream's usage chunk */
	for (size_t i = 0; i < n; i++) {
		const char *u = usage_rows[i].usage;
		const char *chunks[] = { CK("\"delta\":{\"content\":\"x\"}"),
			chunk, "[DONE]", NULL };

		snprintf(plainb, sizeof(plainb), "{\"id\":\"p\",\"choices\":"
		    "[{\"index\":0,\"message\":{\"content\":\"x\"},"
		    "\"finish_reason\":\"stop\"}]%s%s}", u ? ",\"usage\":" : "",
		    u ? u : "");
		snprintf(chunk, sizeof(chunk), "{\"id\":\"s\",\"choices\":[]%s%s}",
		    u ? ",\"usage\":" : "", u ? u : "");
		exchange(w, 2 * i + 1, 100.0 * (double)i, "POST",
		    "/v1/chat/completions", "{\"messages\":[]}", 200,
		    "application/json", plainb);
		stream(w, 2 * i + 2, 100.0 * (double)i + 50, REQ_STREAM, chunks);
	}
	cx_writer_close(w);
	an = tg_analyse(tg_path);
	res = cx_analysis_result(an);
	ck_assert_uint_eq(res->nex, 2 * n);
	for (size_t i = 0; i < n; i++) {
		struct cx_turn *t = turn_of(res->ex[2 * i]);

		check_row(t, &usage_rows[i], i, "plain");
		tg_turn_free(t);
		t = turn_of(res->ex[2 * i + 1]);
		check_row(t, &usage_rows[i], i, "streamed");
		tg_turn_free(t);
	}
	cx_analysis_free(an);
}
END_TEST

static Suite *
suite(void)
{
	Suite *s = suite_create("conv_chat");
	TCase *tc = tcase_create("handmade");

	tcase_add_checked_fixture(tc, setup, tg_teardown);
	tcase_add_test(tc, parallel_calls);
	tcase_add_test(tc, no_usage_chunk);
	tcase_add_test(tc, content_parts);
	tcase_add_test(tc, result_parts);
	tcase_add_test(tc, not_json);
	tcase_add_test(tc, unknown_chunks);
	tcase_add_test(tc, claiming);
	tcase_add_test(tc, usage_table);
	tcase_add_test(tc, cut_every_byte);
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
