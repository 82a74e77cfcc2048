/*
 * test_conv_chat.c: the Chat Completions adapter (analyzer/conv_chat.c).
 *
 * A real trace: the official `openai` npm SDK 7.60.0
 * (tests/lib/peers/sdk_client.js) through `cxrec relay` to
 * tests/lib/mocks/mock_upstream.py (tests/data/conv/README):
 * a streamed tool round trip (tool-call argument deltas by index, the
 * usage chunk, [DONE]), the same without streaming, and a Responses call
 * this adapter must leave alone.  Then hand-made exchanges: two parallel
 * tool calls interleaved by index, a stream without its usage chunk or
 * [DONE], content as arrays of parts, bodies that are not JSON, chunks of
 * unknown shapes, what is claimed and what is not, and a table of usage
 * objects.
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

/* --- loading a trace, collecting turns ---------------------------------- */

struct loaded {
	struct cx_analysis      *a;
	const struct cx_analysis_result *res;
};

static void
load(struct loaded *l, const char *path)
{
	l->a = tg_analyse(path);
	l->res = cx_analysis_result(l->a);
}

static void
unload(struct loaded *l)
{
	cx_analysis_free(l->a);
}

static void
take(void *arg, struct cx_turn *t)
{
	struct cx_turn **out = arg;

	ck_assert_ptr_null(*out);
	*out = cx_turn_take(t);
}

/* ex's one turn through the table (asserting the chat adapter has it). */
static struct cx_turn *
turn_of(const struct cx_exchange *ex)
{
	struct cx_turn *t = NULL;

	ck_assert_ptr_eq(cx_api_of(ex), &cx_api_chat);
	ck_assert_uint_eq(cx_conv_turns(ex, take, &t), 1);
	ck_assert_ptr_nonnull(t);
	ck_assert_str_eq(t->api, "chat");
	return t;
}

static void
turn_drop(struct cx_turn *t)
{
	cx_turn_free(t);
	free(t);
}

static const char *
data_path(const char *name)
{
	static char p[512];
	const char *f = __FILE__, *s = strstr(f, "unit/test_conv_chat.c");

	snprintf(p, sizeof(p), "%.*sdata/conv/%s", s != NULL ?
	    (int)(s - f) : 0, f, name);
	return p;
}

#define ITEM(l, i, k, r, txt) do { \
	ck_assert_uint_gt((l).n, (i)); \
	ck_assert_int_eq((l).v[i].kind, (k)); \
	ck_assert_int_eq((l).v[i].role, (r)); \
	if ((txt) != NULL) \
		ck_assert_str_eq((l).v[i].text, (const char *)(txt)); \
} while (0)

#define NOTE_HAS(s, what) ck_assert_msg((s) != NULL && strstr((s), \
    (what)) != NULL, "note \"%s\" lacks \"%s\"", (s) ? (s) : "(null)", what)

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
	struct loaded l;
	const struct cx_exchange *ex;
	struct cx_turn *t;

	load(&l, data_path("chat_sdk_openai.bin"));
	ck_assert_uint_eq(l.res->nex, 5);

	/* Turn 1: the tool call, from four deltas of index 0. */
	ex = l.res->ex[0];
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
	ITEM(t->input, 0, CX_ITEM_TEXT, CX_ROLE_USER, "run the tool");
	check_tools(t);
	ck_assert_uint_eq(t->output.n, 1);
	ITEM(t->output, 0, CX_ITEM_TOOL_CALL, CX_ROLE_ASSISTANT, ARGS);
	ck_assert_str_eq(t->output.v[0].name, "run_command");
	ck_assert_str_eq(t->output.v[0].call_id, "call_mock_0001");
	check_usage(&t->usage, 120, 24, 144);
	/* 7 events: 4 with tool_calls, finish, usage, [DONE] */
	ck_assert_uint_eq(ex->resp.nevents, 7);
	ck_assert_str_eq(ex->resp.events[6].data, "[DONE]");
	ck_assert_int_eq(t->t_first_token, ex->resp.events[0].ts);
	ck_assert_int_eq(t->t_last_token, ex->resp.events[3].ts);
	ck_assert_int_le(t->t_request, t->t_first_token);
	turn_drop(t);

	/* Turn 2: the call and its result sent back, the final text. */
	ex = l.res->ex[1];
	t = turn_of(ex);
	ck_assert_msg(t->note == NULL, "note: %s", t->note);
	ck_assert_uint_eq(t->input.n, 3);
	ITEM(t->input, 0, CX_ITEM_TEXT, CX_ROLE_USER, "run the tool");
	ITEM(t->input, 1, CX_ITEM_TOOL_CALL, CX_ROLE_ASSISTANT, ARGS);
	ck_assert_str_eq(t->input.v[1].call_id, "call_mock_0001");
	ck_assert_str_eq(t->input.v[1].name, "run_command");
	ITEM(t->input, 2, CX_ITEM_TOOL_RESULT, CX_ROLE_TOOL,
	    "cxrec-mock-tool-ok\n");
	ck_assert_str_eq(t->input.v[2].call_id, "call_mock_0001");
	ck_assert_str_eq(t->input.v[2].name, "run_command");
	ck_assert_ptr_null(t->input.v[2].note);
	check_tools(t);
	ck_assert_uint_eq(t->output.n, 1);
	ITEM(t->output, 0, CX_ITEM_TEXT, CX_ROLE_ASSISTANT, FINAL);
	ck_assert_str_eq(t->stop_reason, "stop");
	check_usage(&t->usage, 160, 16, 176);
	/* role chunk with "" content, 5 pieces, finish, usage, [DONE] */
	ck_assert_uint_eq(ex->resp.nevents, 9);
	ck_assert_int_eq(t->t_first_token, ex->resp.events[1].ts);
	ck_assert_int_eq(t->t_last_token, ex->resp.events[5].ts);
	turn_drop(t);
	unload(&l);
}
END_TEST

START_TEST(sdk_plain)
{
	struct loaded l;
	const struct cx_exchange *ex;
	struct cx_turn *t;

	load(&l, data_path("chat_sdk_openai.bin"));
	ex = l.res->ex[2];
	ck_assert(!ex->resp.sse);
	t = turn_of(ex);
	ck_assert(!t->streamed);
	ck_assert_msg(t->note == NULL, "note: %s", t->note);
	ck_assert_str_eq(t->response_id, "chatcmpl-mock-0003");
	ck_assert_str_eq(t->stop_reason, "tool_calls");
	ITEM(t->input, 0, CX_ITEM_TEXT, CX_ROLE_USER, "run the tool");
	check_tools(t);
	ck_assert_uint_eq(t->output.n, 1);
	ITEM(t->output, 0, CX_ITEM_TOOL_CALL, CX_ROLE_ASSISTANT, ARGS);
	ck_assert_str_eq(t->output.v[0].call_id, "call_mock_0003");
	ck_assert_str_eq(t->output.v[0].name, "run_command");
	check_usage(&t->usage, 120, 24, 144);
	ck_assert_int_eq(t->t_first_token, ex->resp.t_first);
	ck_assert_int_eq(t->t_last_token, ex->resp.t_last);
	turn_drop(t);

	ex = l.res->ex[3];
	t = turn_of(ex);
	/* the SDK sent the message back as it came: refusal null etc. */
	ck_assert_uint_eq(t->input.n, 3);
	ITEM(t->input, 1, CX_ITEM_TOOL_CALL, CX_ROLE_ASSISTANT, ARGS);
	ITEM(t->input, 2, CX_ITEM_TOOL_RESULT, CX_ROLE_TOOL,
	    "cxrec-mock-tool-ok\n");
	ck_assert_str_eq(t->input.v[2].name, "run_command");
	ck_assert_uint_eq(t->output.n, 1);
	ITEM(t->output, 0, CX_ITEM_TEXT, CX_ROLE_ASSISTANT, FINAL);
	ck_assert_str_eq(t->stop_reason, "stop");
	check_usage(&t->usage, 160, 16, 176);
	turn_drop(t);

	/* the Responses call is not this adapter's */
	ck_assert(!cx_api_chat.claims(l.res->ex[4]));
	unload(&l);
}
END_TEST

/* t as text: everything of the model, times relative to the request. */
static void
dump_items(FILE *m, const char *what, const struct cx_items *l)
{
	for (size_t i = 0; i < l->n; i++) {
		const struct cx_item *it = &l->v[i];

		fprintf(m, "%s %d %d id=%s name=%s call=%s hidden=%d note=%s "
		    "[%zu]%s\n", what, it->kind, it->role, it->id ? it->id : "",
		    it->name ? it->name : "", it->call_id ? it->call_id : "",
		    it->hidden, it->note ? it->note : "", it->len, it->text);
	}
}

static char *
dump(const struct cx_turn *t)
{
	char *s = NULL;
	size_t n = 0;
	FILE *m = open_memstream(&s, &n);
	const struct cx_usage *u = &t->usage;

	fprintf(m, "%s %s %s %s %s %d session=%s\n", t->api, t->model,
	    t->model_answered, t->response_id, t->stop_reason, t->streamed,
	    t->session ? t->session : "");
	dump_items(m, "instr", &t->instructions);
	dump_items(m, "in", &t->input);
	dump_items(m, "out", &t->output);
	for (size_t i = 0; i < t->ntools; i++)
		fprintf(m, "tool %s %s %s\n", t->tools[i].name,
		    t->tools[i].description, t->tools[i].schema);
	fprintf(m, "usage %lld %lld %lld %lld %lld %lld\n",
	    (long long)u->input, (long long)u->cached,
	    (long long)u->cache_write, (long long)u->output,
	    (long long)u->reasoning, (long long)u->api_total);
	fprintf(m, "times %lld %lld note=%s error=%s\n",
	    (long long)(t->t_first_token - t->t_request),
	    (long long)(t->t_last_token - t->t_request),
	    t->note ? t->note : "", t->error ? t->error : "");
	fclose(m);
	return s;
}

/* The models of every exchange of the trace at path, one string. */
static char *
dump_trace(const char *path)
{
	struct loaded l;
	char *all = NULL;
	size_t n = 0;
	FILE *m = open_memstream(&all, &n);

	load(&l, path);
	for (size_t i = 0; i < l.res->nex; i++) {
		struct cx_turn *t = NULL;

		if (cx_api_of(l.res->ex[i]) != &cx_api_chat)
			continue;
		cx_conv_turns(l.res->ex[i], take, &t);
		if (t != NULL) {
			char *d = dump(t);

			fputs(d, m);
			free(d);
			turn_drop(t);
		}
	}
	unload(&l);
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
	r = cx_reader_open(data_path("chat_sdk_openai.bin"), err, sizeof(err));
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
	whole = dump_trace(data_path("chat_sdk_openai.bin"));
	split = dump_trace(tg_path);
	ck_assert_ptr_nonnull(strstr(whole, "call_mock_0001"));
	ck_assert_str_eq(split, whole);
	free(whole);
	free(split);
	tg_teardown();
}
END_TEST

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
	struct loaded l;
	struct cx_turn *t;
	const struct cx_exchange *ex;

	stream(w, 1, 10, REQ_STREAM, chunks);
	cx_writer_close(w);
	load(&l, tg_path);
	ck_assert_uint_eq(l.res->nex, 1);
	ex = l.res->ex[0];
	t = turn_of(ex);
	ck_assert_msg(t->note == NULL, "note: %s", t->note);
	ck_assert_str_eq(t->model, "m1");
	ck_assert_str_eq(t->model_answered, "m1-2025");
	ck_assert_uint_eq(t->output.n, 2);
	ITEM(t->output, 0, CX_ITEM_TOOL_CALL, CX_ROLE_ASSISTANT,
	    "{\"path\":\"a.txt\"}");
	ck_assert_str_eq(t->output.v[0].call_id, "call_a");
	ck_assert_str_eq(t->output.v[0].name, "read_file");
	ITEM(t->output, 1, CX_ITEM_TOOL_CALL, CX_ROLE_ASSISTANT,
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
	turn_drop(t);
	unload(&l);
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
	struct loaded l;
	struct cx_turn *t;

	stream(w, 1, 10, REQ_STREAM, chunks);
	cx_writer_close(w);
	load(&l, tg_path);
	t = turn_of(l.res->ex[0]);
	ck_assert_uint_eq(t->output.n, 1);
	ITEM(t->output, 0, CX_ITEM_TEXT, CX_ROLE_ASSISTANT, "Hello!");
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
	ck_assert_int_eq(t->t_first_token, l.res->ex[0]->resp.events[0].ts);
	ck_assert_int_eq(t->t_last_token, l.res->ex[0]->resp.events[2].ts);
	turn_drop(t);
	unload(&l);
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
	struct loaded l;
	struct cx_turn *t;

	exchange(w, 1, 10, "POST", "/openai/v1/chat/completions", REQ_PARTS,
	    200, "application/json", RESP_PARTS);
	cx_writer_close(w);
	load(&l, tg_path);
	t = turn_of(l.res->ex[0]);
	ck_assert_str_eq(t->session, "sess-7");
	ck_assert_uint_eq(t->instructions.n, 2);
	ITEM(t->instructions, 0, CX_ITEM_TEXT, CX_ROLE_SYSTEM,
	    "be brief\nbe kind");
	ITEM(t->instructions, 1, CX_ITEM_TEXT, CX_ROLE_DEVELOPER, "use tools");
	ck_assert_uint_eq(t->input.n, 7);
	ITEM(t->input, 0, CX_ITEM_TEXT, CX_ROLE_USER, "what is this?");
	ITEM(t->input, 1, CX_ITEM_OTHER, CX_ROLE_USER, NULL);
	ck_assert_ptr_nonnull(strstr(t->input.v[1].text, "image_url"));
	ck_assert_ptr_nonnull(t->input.v[1].note);
	ITEM(t->input, 2, CX_ITEM_TEXT, CX_ROLE_ASSISTANT, "let me see");
	ITEM(t->input, 3, CX_ITEM_TOOL_CALL, CX_ROLE_ASSISTANT, "{}");
	ITEM(t->input, 4, CX_ITEM_TOOL_RESULT, CX_ROLE_TOOL, "a cat");
	ck_assert_str_eq(t->input.v[4].name, "look");
	ck_assert_str_eq(t->input.v[4].call_id, "c9");
	ck_assert_ptr_null(t->input.v[4].note);
	/* a result with no call: kept, said */
	ITEM(t->input, 5, CX_ITEM_TOOL_RESULT, CX_ROLE_TOOL, "lost");
	ck_assert_ptr_null(t->input.v[5].name);
	NOTE_HAS(t->input.v[5].note, "c404");
	ITEM(t->input, 6, CX_ITEM_OTHER, CX_ROLE_NONE, NULL);
	NOTE_HAS(t->input.v[6].note, "wizard");
	ck_assert_ptr_nonnull(strstr(t->input.v[6].text, "abracadabra"));
	ck_assert_uint_eq(t->ntools, 2);
	ck_assert_str_eq(t->tools[0].name, "look");
	ck_assert_ptr_null(t->tools[0].schema);
	ck_assert_str_eq(t->tools[1].name, "web_search_preview");
	/* the answer: reasoning, text, refusal; the second choice raw */
	ck_assert_uint_eq(t->output.n, 4);
	ITEM(t->output, 0, CX_ITEM_REASONING, CX_ROLE_ASSISTANT,
	    "cats are cats");
	ck_assert_int_eq(t->output.v[0].hidden, 0);
	ITEM(t->output, 1, CX_ITEM_TEXT, CX_ROLE_ASSISTANT, "A cat.");
	ITEM(t->output, 2, CX_ITEM_REFUSAL, CX_ROLE_ASSISTANT, "no dogs");
	ITEM(t->output, 3, CX_ITEM_OTHER, CX_ROLE_ASSISTANT, NULL);
	ck_assert_ptr_nonnull(strstr(t->output.v[3].text, "Another cat."));
	ck_assert_int_eq(t->usage.input, -1);
	ck_assert_int_eq(cx_usage_total(&t->usage), -1);
	turn_drop(t);
	unload(&l);
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
	struct loaded l;
	struct cx_turn *t;

	exchange(w, 1, 10, "POST", "/v1/chat/completions", REQ_GROW, 200,
	    "application/json", "{\"choices\":[]}");
	cx_writer_close(w);
	load(&l, tg_path);
	t = turn_of(l.res->ex[0]);
	ck_assert_uint_eq(t->input.n, 9);
	ITEM(t->input, 7, CX_ITEM_TOOL_RESULT, CX_ROLE_TOOL, "took it");
	ck_assert_str_eq(t->input.v[7].call_id, "k1");
	ck_assert_str_eq(t->input.v[7].name, "shot");
	ITEM(t->input, 8, CX_ITEM_OTHER, CX_ROLE_TOOL, NULL);
	ck_assert_ptr_nonnull(strstr(t->input.v[8].text, "image_url"));
	ck_assert_uint_eq(t->output.n, 0);
	turn_drop(t);
	unload(&l);
}
END_TEST

START_TEST(not_json)
{
	struct cx_writer *w = tg_create(tg_path);
	struct loaded l;
	struct cx_turn *t;

	exchange(w, 1, 10, "POST", "/v1/chat/completions", "model=gpt&x={",
	    502, "text/html", "<html>bad gateway</html>");
	exchange(w, 2, 20, "POST", "/v1/chat/completions", "{\"messages\":"
	    "\"not an array\"}", 429, "application/json", "{\"error\":"
	    "{\"message\":\"Rate limit reached\",\"type\":\"requests\"}}");
	cx_writer_close(w);
	load(&l, tg_path);
	ck_assert_uint_eq(l.res->nex, 2);
	t = turn_of(l.res->ex[0]);
	ck_assert_uint_eq(t->input.n, 1);
	ITEM(t->input, 0, CX_ITEM_OTHER, CX_ROLE_NONE, "model=gpt&x={");
	NOTE_HAS(t->input.v[0].note, "not JSON");
	ck_assert_uint_eq(t->output.n, 1);
	ITEM(t->output, 0, CX_ITEM_OTHER, CX_ROLE_NONE,
	    "<html>bad gateway</html>");
	ck_assert_str_eq(t->error, "HTTP 502 Bad Gateway");
	turn_drop(t);

	t = turn_of(l.res->ex[1]);
	NOTE_HAS(t->note, "no messages array");
	ck_assert_uint_eq(t->output.n, 1);
	ITEM(t->output, 0, CX_ITEM_ERROR, CX_ROLE_NONE, "Rate limit reached");
	ck_assert_str_eq(t->error, "Rate limit reached");
	ck_assert_int_eq(t->t_first_token, 0);
	turn_drop(t);
	unload(&l);
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
	struct loaded l;
	struct cx_turn *t;

	stream(w, 1, 10, REQ_STREAM, chunks);
	cx_writer_close(w);
	load(&l, tg_path);
	t = turn_of(l.res->ex[0]);
	/* pieces in the order they first came */
	ck_assert_uint_eq(t->output.n, 6);
	ITEM(t->output, 0, CX_ITEM_OTHER, CX_ROLE_NONE, "{\"weird\":1}");
	NOTE_HAS(t->output.v[0].note, "unknown shape");
	ITEM(t->output, 1, CX_ITEM_OTHER, CX_ROLE_NONE, "this is not json");
	NOTE_HAS(t->output.v[1].note, "not JSON");
	ITEM(t->output, 2, CX_ITEM_TEXT, CX_ROLE_ASSISTANT, "AB");
	ITEM(t->output, 3, CX_ITEM_OTHER, CX_ROLE_NONE, NULL);
	NOTE_HAS(t->output.v[3].note, "audio");
	ITEM(t->output, 4, CX_ITEM_OTHER, CX_ROLE_NONE, NULL);
	NOTE_HAS(t->output.v[4].note, "not an object");
	ITEM(t->output, 5, CX_ITEM_ERROR, CX_ROLE_NONE, "overloaded");
	ck_assert_str_eq(t->error, "overloaded");
	NOTE_HAS(t->note, "no usage chunk");
	ck_assert_ptr_null(strstr(t->note, "[DONE]"));
	turn_drop(t);
	unload(&l);
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
	struct loaded l;

	for (size_t i = 0; i < n; i++)
		exchange(w, i + 1, 10.0 * (double)(i + 1), rows[i].method,
		    rows[i].target, rows[i].body, 200, "application/json",
		    "{}");
	cx_writer_close(w);
	load(&l, tg_path);
	ck_assert_uint_eq(l.res->nex, n);
	for (size_t i = 0; i < n; i++)
		ck_assert_msg(cx_api_chat.claims(l.res->ex[i]) ==
		    rows[i].claimed, "row %zu: %s %s", i, rows[i].method,
		    rows[i].target);
	unload(&l);
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
	struct loaded l;
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
	load(&l, tg_path);
	ck_assert_uint_eq(l.res->nex, 2 * n);
	for (size_t i = 0; i < n; i++) {
		struct cx_turn *t = turn_of(l.res->ex[2 * i]);

		check_row(t, &usage_rows[i], i, "plain");
		turn_drop(t);
		t = turn_of(l.res->ex[2 * i + 1]);
		check_row(t, &usage_rows[i], i, "streamed");
		turn_drop(t);
	}
	unload(&l);
}
END_TEST

static Suite *
suite(void)
{
	Suite *s = suite_create("conv_chat");
	TCase *tc = tcase_create("sdk");

	tcase_add_test(tc, sdk_streamed);
	tcase_add_test(tc, sdk_plain);
	tcase_add_test(tc, sdk_split_bytes);
	suite_add_tcase(s, tc);
	tc = tcase_create("handmade");
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
