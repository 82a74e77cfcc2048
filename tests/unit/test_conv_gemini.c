/*
 * test_conv_gemini.c: the Gemini adapter (analyzer/conv_gemini.c) on two
 * recorded traces of Gemini CLI 0.61.0 against
 * tests/lib/mocks/mock_gemini.py (tests/data/conv/README: the API-key run,
 * the router's JSON-mode generateContent then two streamGenerateContent
 * turns with the run_shell_command round trip; the same through Code
 * Assist with a Google login), then on hand-made exchanges: thought parts,
 * two functionCalls in one turn, a functionResponse without a call, no
 * usageMetadata, a chunk that is not JSON, a part of an unknown kind; and
 * its usage arithmetic.
 *
 * GEMINI_DUMP=1 prints the turns of the recorded traces.
 */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "conv.h"
#include "exchange.h"
#include "trace.h"
#include "tracegen.h"

#ifndef DATA_DIR
#define DATA_DIR        "tests/data/conv"
#endif

static void
setup(void)
{
	tg_setup("conv-gemini");
}

/* With GEMINI_DUMP set, t's model on stdout. */
static void
dump(const struct cx_turn *t)
{
	if (getenv("GEMINI_DUMP") != NULL)
		tg_turn_dump(stdout, t, 70);
}

/* --- the recorded traces ------------------------------------------------ */

struct trace {
	struct cx_analysis *a;
	const struct cx_analysis_result *res;
	size_t           claimed;
	size_t           nturns;
};

/* Load the trace, hand every exchange the gemini adapter claims to it. */
static void
load(struct trace *tr, const char *name, struct tg_turns *g)
{
	char p[512];

	memset(tr, 0, sizeof(*tr));
	snprintf(p, sizeof(p), "%s/%s", DATA_DIR, name);
	tr->a = tg_analyse(p);
	tr->res = cx_analysis_result(tr->a);
	for (size_t i = 0; i < tr->res->nex; i++) {
		const struct cx_exchange *ex = tr->res->ex[i];
		const struct cx_api *api = cx_api_of(ex);
		size_t before = g->n;

		if (api == NULL || strcmp(api->name, "gemini") != 0)
			continue;
		tr->claimed++;
		tr->nturns += cx_conv_turns(ex, tg_turns_take, g);
		for (size_t j = before; j < g->n; j++)
			dump(g->v[j]);
	}
}

static void
unload(struct trace *tr)
{
	cx_analysis_free(tr->a);
}

/* The router's JSON-mode call: the same in both runs but for the session. */
static void
check_router(const struct cx_turn *t)
{
	ck_assert_str_eq(t->api, "gemini");
	ck_assert_int_eq(t->streamed, 0);
	ck_assert_ptr_nonnull(t->note);
	ck_assert_ptr_nonnull(strstr(t->note, "JSON mode, with a schema"));
	ck_assert_uint_eq(t->instructions.n, 1);
	ck_assert_int_eq(t->instructions.v[0].role, CX_ROLE_SYSTEM);
	ck_assert_ptr_nonnull(strstr(t->instructions.v[0].text,
	    "Task Routing AI"));
	ck_assert_uint_eq(t->ntools, 0);
	ck_assert_uint_eq(t->input.n, 2);
	ck_assert_int_eq(t->input.v[1].kind, CX_ITEM_TEXT);
	ck_assert_int_eq(t->input.v[1].role, CX_ROLE_USER);
	ck_assert_str_eq(t->input.v[1].text, "run the tool");
	ck_assert_uint_eq(t->output.n, 1);
	ck_assert_int_eq(t->output.v[0].kind, CX_ITEM_TEXT);
	ck_assert_int_eq(t->output.v[0].role, CX_ROLE_ASSISTANT);
	ck_assert_ptr_nonnull(strstr(t->output.v[0].text,
	    "\"complexity_score\": 10"));
	ck_assert_str_eq(t->stop_reason, "STOP");
	ck_assert_int_gt(t->t_first_token, 0);
	ck_assert_int_ge(t->t_last_token, t->t_first_token);
	ck_assert_int_ge(t->t_first_token, t->t_request);
}

/* The first stream: a thought, then the call of run_shell_command. */
static void
check_call(const struct cx_turn *t)
{
	const struct cx_tool *sh = tg_tool(t, "run_shell_command");

	ck_assert_int_eq(t->streamed, 1);
	ck_assert_ptr_null(t->note);
	ck_assert_uint_gt(t->ntools, 5);
	ck_assert_ptr_nonnull(sh);
	ck_assert_ptr_nonnull(sh->description);
	ck_assert_ptr_nonnull(sh->schema);
	ck_assert_ptr_nonnull(strstr(sh->schema, "\"command\""));
	ck_assert_uint_eq(t->instructions.n, 1);
	ck_assert_ptr_nonnull(strstr(t->instructions.v[0].text,
	    "You are Gemini CLI"));
	ck_assert_uint_eq(t->input.n, 2);
	ck_assert_str_eq(t->input.v[1].text, "run the tool");
	ck_assert_uint_eq(t->output.n, 2);
	ck_assert_int_eq(t->output.v[0].kind, CX_ITEM_REASONING);
	ck_assert_int_eq(t->output.v[0].hidden, 0);
	ck_assert_str_eq(t->output.v[0].text, "**Running the check**\n\n"
	    "The user wants the tool run; a harmless echo will do.");
	ck_assert_int_eq(t->output.v[1].kind, CX_ITEM_TOOL_CALL);
	ck_assert_str_eq(t->output.v[1].name, "run_shell_command");
	/* the API sends no id: synthesized */
	ck_assert_str_eq(t->output.v[1].call_id, "run_shell_command#1");
	ck_assert_str_eq(t->output.v[1].text, "{\"command\":\"echo "
	    "cxrec-mock-tool-ok\",\"description\":\"Print the cxrec marker\"}");
	ck_assert_str_eq(t->stop_reason, "STOP");
	ck_assert_int_gt(t->t_first_token, t->t_request);
	ck_assert_int_ge(t->t_last_token, t->t_first_token);
}

/* The second stream: the call and its result sent back, the answer. */
static void
check_answer(const struct cx_turn *t)
{
	const struct cx_item *call = tg_item_find(&t->input,
	    CX_ITEM_TOOL_CALL, 0);
	const struct cx_item *res = tg_item_find(&t->input,
	    CX_ITEM_TOOL_RESULT, 0);

	ck_assert_int_eq(t->streamed, 1);
	ck_assert_uint_eq(t->input.n, 4);
	ck_assert_ptr_eq(call, &t->input.v[2]);
	ck_assert_ptr_eq(res, &t->input.v[3]);
	ck_assert_int_eq(call->role, CX_ROLE_ASSISTANT);
	ck_assert_str_eq(call->name, "run_shell_command");
	/* Gemini CLI's own id, on the call and its result */
	ck_assert_ptr_nonnull(call->call_id);
	ck_assert_int_eq(strncmp(call->call_id, "run_shell_command_", 18), 0);
	ck_assert_str_eq(res->call_id, call->call_id);
	ck_assert_str_eq(res->name, "run_shell_command");
	ck_assert_int_eq(res->role, CX_ROLE_TOOL);
	ck_assert_ptr_null(res->note);
	ck_assert_ptr_nonnull(strstr(res->text, "Output: cxrec-mock-tool-ok"));
	ck_assert_uint_eq(t->output.n, 2);
	ck_assert_int_eq(t->output.v[0].kind, CX_ITEM_REASONING);
	ck_assert_int_eq(t->output.v[1].kind, CX_ITEM_TEXT);
	/* four chunks, one text */
	ck_assert_str_eq(t->output.v[1].text,
	    "Done: the tool printed cxrec-mock-tool-ok.");
	ck_assert_str_eq(t->stop_reason, "STOP");
	ck_assert_int_gt(t->t_last_token, t->t_first_token);
	ck_assert_int_eq(t->usage.output, 13 + 19);
	ck_assert_int_eq(t->usage.reasoning, 19);
	ck_assert_int_eq(cx_usage_total(&t->usage), t->usage.api_total);
}

START_TEST(api_key_run)
{
	struct tg_turns g = { 0 };
	struct trace tr;
	const struct cx_turn *t;

	load(&tr, "gemini_api.bin.zst", &g);
	ck_assert_uint_eq(tr.res->nex, 3);
	ck_assert_uint_eq(tr.claimed, 3);
	ck_assert_uint_eq(g.n, 3);
	for (size_t i = 0; i < g.n; i++)
		ck_assert_ptr_null(g.v[i]->session);    /* none with a key */

	t = g.v[0];
	check_router(t);
	ck_assert_str_eq(t->model, "gemini-3.5-flash-lite");
	ck_assert_str_eq(t->model_answered, "gemini-3.5-flash-lite");
	ck_assert_str_eq(t->response_id, "cxrecMockResp0001");
	ck_assert_int_eq(t->usage.input, 860);
	ck_assert_int_eq(t->usage.cached, 0);
	ck_assert_int_eq(t->usage.output, 25);
	ck_assert_int_eq(t->usage.reasoning, 0);
	ck_assert_int_eq(t->usage.api_total, 885);
	ck_assert_int_eq(t->usage.cache_write, -1);

	t = g.v[1];
	check_call(t);
	ck_assert_str_eq(t->model, "gemini-3.8-flash");
	ck_assert_str_eq(t->model_answered, "gemini-3.8-flash");

	t = g.v[2];
	check_answer(t);
	ck_assert_int_eq(t->usage.input, 11798);
	ck_assert_int_eq(t->usage.cached, 8848);
	ck_assert_int_eq(t->usage.api_total, 11830);
	tg_turns_free(&g);
	unload(&tr);
}
END_TEST

START_TEST(code_assist_run)
{
	struct tg_turns g = { 0 };
	struct trace tr;

	load(&tr, "gemini_google.bin.zst", &g);
	/* tokeninfo, userinfo, loadCodeAssist, onboardUser, quotas... not */
	ck_assert_uint_gt(tr.res->nex, 10);
	ck_assert_uint_eq(tr.claimed, 3);
	ck_assert_uint_eq(g.n, 3);
	check_router(g.v[0]);
	check_call(g.v[1]);
	check_answer(g.v[2]);
	ck_assert_str_eq(g.v[0]->model, "gemini-3.1-flash-lite");
	for (size_t i = 0; i < g.n; i++) {
		if (i > 0)
			ck_assert_str_eq(g.v[i]->model,
			    "gemini-3-flash-preview");
		ck_assert_ptr_nonnull(g.v[i]->model_answered);
		ck_assert_ptr_nonnull(g.v[i]->response_id);
	}
	/* Code Assist's request.session_id: the same for the two streams */
	ck_assert_ptr_nonnull(g.v[1]->session);
	ck_assert_str_eq(g.v[1]->session, g.v[2]->session);
	ck_assert_int_eq(g.v[2]->usage.input, 11818);
	ck_assert_int_eq(g.v[2]->usage.cached, 8863);
	ck_assert_int_eq(g.v[2]->usage.api_total, 11850);
	tg_turns_free(&g);
	unload(&tr);
}
END_TEST

/* --- hand-made exchanges -------------------------------------------------- */

struct fake {
	struct cx_exchange ex;
	struct cx_event  ev[16];
};

/* A POST of body to target; resp (when not NULL) a JSON answer, or the
 * SSE events' data in sse (NULL-terminated) when sse is not NULL. */
static void
fake(struct fake *f, const char *target, const char *body, const char *resp,
    const char *const *sse)
{
	memset(f, 0, sizeof(*f));
	f->ex.has_req = 1;
	f->ex.req.method = (char *)"POST";
	f->ex.req.target = (char *)target;
	f->ex.req.body.p = (uint8_t *)body;
	f->ex.req.body.len = strlen(body);
	f->ex.req.t_last = 1000;
	if (resp == NULL && sse == NULL)
		return;
	f->ex.has_resp = 1;
	f->ex.resp.status = 200;
	f->ex.resp.t_first = 2000;
	f->ex.resp.t_last = 3000;
	if (resp != NULL) {
		f->ex.resp.body.p = (uint8_t *)resp;
		f->ex.resp.body.len = strlen(resp);
		return;
	}
	f->ex.resp.sse = 1;
	f->ex.resp.events = f->ev;
	for (size_t i = 0; sse[i] != NULL; i++) {
		ck_assert_uint_lt(i, 16);
		f->ev[i].ts = 2000 + 100 * (int64_t)i;
		f->ev[i].event = (char *)"message";
		f->ev[i].data = (char *)sse[i];
		f->ev[i].data_len = strlen(sse[i]);
		f->ex.resp.nevents = i + 1;
	}
}

/* The one turn of f. */
static struct cx_turn *
one(struct fake *f, struct tg_turns *g)
{
	ck_assert_ptr_eq(cx_api_of(&f->ex), cx_api_of(&f->ex));
	ck_assert_ptr_nonnull(cx_api_of(&f->ex));
	ck_assert_str_eq(cx_api_of(&f->ex)->name, "gemini");
	ck_assert_uint_eq(cx_conv_turns(&f->ex, tg_turns_take, g), 1);
	ck_assert_uint_eq(g->n, 1);
	return g->v[0];
}

START_TEST(claims_paths)
{
	static const struct {
		const char *method, *target;
		int yes;
	} c[] = {
		{ "POST", "/v1beta/models/gemini-2.5-pro:generateContent", 1 },
		{ "POST", "/v1beta/models/gemini-2.5-pro:streamGenerateContent"
		    "?alt=sse", 1 },
		{ "POST", "/v1/models/m:generateContent?key=AIzaX", 1 },
		{ "POST", "https://generativelanguage.googleapis.com/v1alpha/"
		    "models/m:streamGenerateContent", 1 },
		{ "POST", "/v1/projects/p/locations/l/publishers/google/models/"
		    "m:generateContent", 1 },
		{ "POST", "/v1internal:generateContent", 1 },
		{ "POST", "/v1internal:streamGenerateContent?alt=sse", 1 },
		{ "POST", "/v1beta/models/m:countTokens", 0 },
		{ "POST", "/v1beta/models/m:embedContent", 0 },
		{ "POST", "/v1internal:loadCodeAssist", 0 },
		{ "POST", "/v1internal:countTokens", 0 },
		{ "GET", "/v1beta/models/m:generateContent", 0 },
		{ "POST", "/v1beta/models/:generateContent", 0 },
		{ "POST", "/generateContent", 0 },
		{ "POST", "/v1beta/foo:generateContent", 0 },
		{ "POST", "/v1/chat/completions", 0 },
	};
	struct cx_exchange ex;
	extern const struct cx_api cx_api_gemini;

	for (size_t i = 0; i < sizeof(c) / sizeof(c[0]); i++) {
		memset(&ex, 0, sizeof(ex));
		ex.has_req = 1;
		ex.req.method = (char *)c[i].method;
		ex.req.target = (char *)c[i].target;
		ck_assert_msg(cx_api_gemini.claims(&ex) == c[i].yes, "%s %s",
		    c[i].method, c[i].target);
	}
}
END_TEST

START_TEST(model_from_path)
{
	struct fake f;
	struct tg_turns g = { 0 };

	fake(&f, "/v1beta/models/tuned%2Dmodel%2F1:generateContent?key=k",
	    "{\"model\":\"models/other\",\"contents\":[]}", NULL, NULL);
	ck_assert_str_eq(one(&f, &g)->model, "tuned-model/1");
	ck_assert_uint_eq(g.v[0]->output.n, 0);
	tg_turns_free(&g);
	fake(&f, "/v1internal:generateContent",
	    "{\"model\":\"models/gemini-x\",\"request\":{\"contents\":[]}}",
	    NULL, NULL);
	ck_assert_str_eq(one(&f, &g)->model, "gemini-x");
	ck_assert_ptr_null(g.v[0]->session);
	tg_turns_free(&g);
}
END_TEST

START_TEST(thought_parts)
{
	static const char *const ev[] = {
		"{\"candidates\":[{\"content\":{\"role\":\"model\",\"parts\":"
		    "[{\"text\":\"Let me \",\"thought\":true}]}}]}",
		"{\"candidates\":[{\"content\":{\"role\":\"model\",\"parts\":"
		    "[{\"text\":\"think.\",\"thought\":true},{\"text\":\"Hi\"}]}}]}",
		"{\"candidates\":[{\"content\":{\"role\":\"model\",\"parts\":"
		    "[{\"text\":\" there\"}]}}]}",
		"{\"candidates\":[{\"content\":{\"role\":\"model\",\"parts\":"
		    "[{\"thoughtSignature\":\"c2ln\"}]},\"finishReason\":"
		    "\"MAX_TOKENS\"}],\"usageMetadata\":{\"promptTokenCount\":5,"
		    "\"candidatesTokenCount\":3,\"thoughtsTokenCount\":4,"
		    "\"totalTokenCount\":12},\"modelVersion\":\"g-1\","
		    "\"responseId\":\"r1\"}",
		NULL,
	};
	struct fake f;
	struct tg_turns g = { 0 };
	const struct cx_turn *t;

	fake(&f, "/v1beta/models/g:streamGenerateContent?alt=sse",
	    "{\"contents\":[{\"role\":\"user\",\"parts\":[{\"text\":\"hi\"}]},"
	    "{\"role\":\"model\",\"parts\":[{\"text\":\"old thought\","
	    "\"thought\":true},{\"text\":\"old answer\"}]}],"
	    "\"systemInstruction\":\"be brief\"}", NULL, ev);
	t = one(&f, &g);
	dump(t);
	ck_assert_uint_eq(t->instructions.n, 1);
	ck_assert_str_eq(t->instructions.v[0].text, "be brief");
	ck_assert_uint_eq(t->input.n, 3);
	ck_assert_int_eq(t->input.v[1].kind, CX_ITEM_REASONING);
	ck_assert_int_eq(t->input.v[2].kind, CX_ITEM_TEXT);
	ck_assert_int_eq(t->input.v[2].role, CX_ROLE_ASSISTANT);
	ck_assert_uint_eq(t->output.n, 3);
	ck_assert_int_eq(t->output.v[0].kind, CX_ITEM_REASONING);
	ck_assert_str_eq(t->output.v[0].text, "Let me think.");
	ck_assert_int_eq(t->output.v[1].kind, CX_ITEM_TEXT);
	ck_assert_str_eq(t->output.v[1].text, "Hi there");
	/* a signature alone: reasoning not shown */
	ck_assert_int_eq(t->output.v[2].kind, CX_ITEM_REASONING);
	ck_assert_int_eq(t->output.v[2].hidden, 1);
	ck_assert_str_eq(t->output.v[2].text, "");
	ck_assert_str_eq(t->stop_reason, "MAX_TOKENS");
	ck_assert_str_eq(t->model_answered, "g-1");
	ck_assert_str_eq(t->response_id, "r1");
	ck_assert_int_eq(t->t_first_token, 2000);
	ck_assert_int_eq(t->t_last_token, 2300);
	ck_assert_int_eq(t->usage.output, 7);
	ck_assert_int_eq(t->usage.reasoning, 4);
	ck_assert_int_eq(t->usage.cached, -1);
	ck_assert_int_eq(cx_usage_total(&t->usage), 12);
	tg_turns_free(&g);
}
END_TEST

START_TEST(two_calls)
{
	static const char *const ev[] = {
		"{\"candidates\":[{\"content\":{\"role\":\"model\",\"parts\":"
		    "[{\"functionCall\":{\"name\":\"read\",\"args\":{\"p\":\"a\"}}},"
		    "{\"functionCall\":{\"name\":\"read\",\"args\":{\"p\":\"b\"}}}]}}]}",
		"{\"candidates\":[{\"content\":{\"role\":\"model\",\"parts\":"
		    "[{\"functionCall\":{\"name\":\"ls\",\"id\":\"own-id\"}}]}}]}",
		NULL,
	};
	/* history: two calls of read without ids, answered in order */
	static const char body[] = "{\"contents\":["
	    "{\"role\":\"user\",\"parts\":[{\"text\":\"go\"}]},"
	    "{\"role\":\"model\",\"parts\":[{\"functionCall\":{\"name\":\"read\","
	    "\"args\":{\"p\":\"a\"}}},{\"functionCall\":{\"name\":\"read\","
	    "\"args\":{\"p\":\"b\"}}},{\"functionCall\":{\"name\":\"ls\","
	    "\"id\":\"x9\"}}]},"
	    "{\"role\":\"user\",\"parts\":[{\"functionResponse\":{\"name\":"
	    "\"ls\",\"id\":\"x9\",\"response\":{\"o\":0}}},"
	    "{\"functionResponse\":{\"name\":\"read\",\"response\":{\"o\":1}}},"
	    "{\"functionResponse\":{\"name\":\"read\",\"id\":\"cli-2\","
	    "\"response\":{\"o\":2}}}]}]}";
	struct fake f;
	struct tg_turns g = { 0 };
	const struct cx_turn *t;

	fake(&f, "/v1beta/models/g:streamGenerateContent?alt=sse", body, NULL,
	    ev);
	t = one(&f, &g);
	dump(t);
	ck_assert_uint_eq(t->input.n, 7);
	ck_assert_str_eq(t->input.v[1].call_id, "read#1");
	ck_assert_str_eq(t->input.v[2].call_id, "cli-2");
	ck_assert_str_eq(t->input.v[3].call_id, "x9");
	ck_assert_str_eq(t->input.v[4].call_id, "x9");
	ck_assert_str_eq(t->input.v[5].call_id, "read#1");
	ck_assert_str_eq(t->input.v[5].text, "{\"o\":1}");
	ck_assert_str_eq(t->input.v[6].call_id, "cli-2");
	for (size_t i = 4; i < 7; i++)
		ck_assert_ptr_null(t->input.v[i].note);
	ck_assert_uint_eq(t->output.n, 3);
	ck_assert_str_eq(t->output.v[0].call_id, "read#1");
	ck_assert_str_eq(t->output.v[0].text, "{\"p\":\"a\"}");
	ck_assert_str_eq(t->output.v[1].call_id, "read#2");
	ck_assert_str_eq(t->output.v[1].text, "{\"p\":\"b\"}");
	ck_assert_str_eq(t->output.v[2].call_id, "own-id");
	ck_assert_str_eq(t->output.v[2].text, "{}");
	/* no usageMetadata: unknown, and said */
	ck_assert_int_eq(t->usage.input, -1);
	ck_assert_int_eq(t->usage.output, -1);
	ck_assert_int_eq(cx_usage_total(&t->usage), -1);
	ck_assert_str_eq(t->note, "no usageMetadata");
	tg_turns_free(&g);
}
END_TEST

START_TEST(result_without_call)
{
	struct fake f;
	struct tg_turns g = { 0 };
	const struct cx_turn *t;

	fake(&f, "/v1beta/models/g:generateContent",
	    "{\"contents\":[{\"role\":\"user\",\"parts\":[{\"functionResponse\":"
	    "{\"name\":\"ghost\",\"response\":{\"x\":1}}},{\"functionResponse\":"
	    "{\"name\":\"ghost2\",\"id\":\"i2\",\"response\":{}}}]}]}",
	    "{\"candidates\":[{\"content\":{\"parts\":[{\"text\":\"ok\"}]}}],"
	    "\"usageMetadata\":{\"promptTokenCount\":3}}", NULL);
	t = one(&f, &g);
	ck_assert_uint_eq(t->input.n, 2);
	ck_assert_int_eq(t->input.v[0].kind, CX_ITEM_TOOL_RESULT);
	ck_assert_str_eq(t->input.v[0].name, "ghost");
	ck_assert_ptr_null(t->input.v[0].call_id);
	ck_assert_ptr_nonnull(t->input.v[0].note);
	ck_assert_str_eq(t->input.v[0].text, "{\"x\":1}");
	ck_assert_str_eq(t->input.v[1].call_id, "i2");
	ck_assert_ptr_nonnull(t->input.v[1].note);
	ck_assert_uint_eq(t->output.n, 1);
	ck_assert_str_eq(t->output.v[0].text, "ok");
	ck_assert_int_eq(t->t_first_token, 2000);
	ck_assert_int_eq(t->t_last_token, 3000);
	ck_assert_int_eq(t->usage.input, 3);
	ck_assert_int_eq(t->usage.output, -1);
	tg_turns_free(&g);
}
END_TEST

START_TEST(bad_chunks)
{
	static const char *const ev[] = {
		"{\"candidates\":[{\"content\":{\"parts\":[{\"text\":\"a\"}]}}]}",
		"not json {",
		"{\"candidates\":[]} trailing",
		"{\"candidates\":[{\"content\":{\"parts\":[{\"text\":\"b\"},"
		    "{\"executableCode\":{\"code\":\"print(1)\"}},{\"text\":\"c\"},"
		    "{\"inlineData\":{\"mimeType\":\"image/png\",\"data\":\"AA==\"}},"
		    "7]}}]}",
		"[1,2]",
		"{\"error\":{\"code\":429,\"message\":\"quota\",\"status\":"
		    "\"RESOURCE_EXHAUSTED\"}}",
		"",
		NULL,
	};
	struct fake f;
	struct tg_turns g = { 0 };
	const struct cx_turn *t;

	fake(&f, "/v1internal:streamGenerateContent?alt=sse",
	    "{\"request\":{\"contents\":[{\"role\":\"user\",\"parts\":[{\"fileData\":"
	    "{\"mimeType\":\"text/plain\",\"fileUri\":\"gs://x\"}},{\"weird\":1}]},"
	    "{\"parts\":[]},{\"role\":\"user\"}],\"session_id\":\"s-1\"}}", NULL, ev);
	t = one(&f, &g);
	dump(t);
	ck_assert_str_eq(t->session, "s-1");
	ck_assert_uint_eq(t->input.n, 3);
	ck_assert_int_eq(t->input.v[0].kind, CX_ITEM_OTHER);
	ck_assert_str_eq(t->input.v[0].note, "a file, text/plain");
	ck_assert_int_eq(t->input.v[1].kind, CX_ITEM_OTHER);
	ck_assert_str_eq(t->input.v[1].text, "{\"weird\":1}");
	ck_assert_ptr_nonnull(t->input.v[1].note);
	ck_assert_int_eq(t->input.v[2].kind, CX_ITEM_OTHER);
	ck_assert_ptr_nonnull(t->input.v[2].note);
	/* a, not JSON, JSON and more, b, code, c, image, 7, [1,2], error */
	ck_assert_uint_eq(t->output.n, 10);
	ck_assert_str_eq(t->output.v[0].text, "a");
	ck_assert_int_eq(t->output.v[1].kind, CX_ITEM_OTHER);
	ck_assert_str_eq(t->output.v[1].text, "not json {");
	ck_assert_str_eq(t->output.v[1].note, "an event that is not JSON");
	ck_assert_int_eq(t->output.v[2].kind, CX_ITEM_OTHER);
	ck_assert_str_eq(t->output.v[2].text, "{\"candidates\":[]} trailing");
	ck_assert_str_eq(t->output.v[3].text, "b");
	ck_assert_int_eq(t->output.v[4].kind, CX_ITEM_OTHER);
	ck_assert_ptr_nonnull(strstr(t->output.v[4].text, "executableCode"));
	ck_assert_str_eq(t->output.v[4].note, "a part of a kind not known");
	ck_assert_str_eq(t->output.v[5].text, "c");
	ck_assert_str_eq(t->output.v[6].note, "inline data, image/png");
	ck_assert_int_eq(t->output.v[7].kind, CX_ITEM_OTHER);
	ck_assert_str_eq(t->output.v[7].text, "7");
	ck_assert_int_eq(t->output.v[8].kind, CX_ITEM_OTHER);
	ck_assert_int_eq(t->output.v[9].kind, CX_ITEM_ERROR);
	ck_assert_str_eq(t->error, "RESOURCE_EXHAUSTED: quota");
	tg_turns_free(&g);

	/* bodies that are not JSON, both ways */
	fake(&f, "/v1beta/models/g:generateContent", "<html>",
	    "502 Bad Gateway", NULL);
	t = one(&f, &g);
	ck_assert_uint_eq(t->input.n, 1);
	ck_assert_int_eq(t->input.v[0].kind, CX_ITEM_OTHER);
	ck_assert_str_eq(t->input.v[0].text, "<html>");
	ck_assert_str_eq(t->input.v[0].note, "the body is not JSON");
	ck_assert_uint_eq(t->output.n, 1);
	ck_assert_str_eq(t->output.v[0].text, "502 Bad Gateway");
	ck_assert_ptr_nonnull(t->note);
	tg_turns_free(&g);

	/* not streamed: a JSON array of chunks, an error status */
	fake(&f, "/v1beta/models/g:streamGenerateContent",
	    "{\"contents\":[]}", "[{\"candidates\":[{\"content\":{\"parts\":"
	    "[{\"text\":\"x\"}]}}]},{\"candidates\":[{\"content\":{\"parts\":"
	    "[{\"text\":\"y\"}]},\"finishReason\":\"STOP\"}]}]", NULL);
	t = one(&f, &g);
	ck_assert_int_eq(t->streamed, 1);
	ck_assert_uint_eq(t->output.n, 1);
	ck_assert_str_eq(t->output.v[0].text, "xy");
	tg_turns_free(&g);
	fake(&f, "/v1beta/models/g:generateContent", "{\"contents\":[]}",
	    "{\"error\":{\"code\":400,\"message\":\"bad\"}}", NULL);
	f.ex.resp.status = 400;
	t = one(&f, &g);
	ck_assert_str_eq(t->error, "bad");
	ck_assert_ptr_null(t->note);
	tg_turns_free(&g);
	/* no response at all */
	fake(&f, "/v1beta/models/g:generateContent", "", NULL, NULL);
	t = one(&f, &g);
	ck_assert_uint_eq(t->output.n, 0);
	ck_assert_uint_eq(t->input.n, 1);
	tg_turns_free(&g);
}
END_TEST

/* usageMetadata -> the model's usage: every field present or not. */
START_TEST(usage_table)
{
	static const struct {
		const char *meta;
		int64_t input, cached, output, reasoning, api_total, total;
	} c[] = {
		{ "{\"promptTokenCount\":100,\"candidatesTokenCount\":20,"
		    "\"thoughtsTokenCount\":5,\"cachedContentTokenCount\":60,"
		    "\"totalTokenCount\":125}", 100, 60, 25, 5, 125, 125 },
		/* no total from the API: computed, api_total unknown */
		{ "{\"promptTokenCount\":100,\"candidatesTokenCount\":20}",
		    100, -1, 20, -1, -1, 120 },
		/* only thoughts so far (a stream's first chunk) */
		{ "{\"promptTokenCount\":7,\"thoughtsTokenCount\":3}",
		    7, -1, 3, 3, -1, 10 },
		/* the API's own tools' results: input too */
		{ "{\"promptTokenCount\":10,\"toolUsePromptTokenCount\":4,"
		    "\"candidatesTokenCount\":1,\"totalTokenCount\":15}",
		    14, -1, 1, -1, 15, 15 },
		{ "{\"toolUsePromptTokenCount\":4}", 4, -1, -1, -1, -1, 4 },
		/* only the prompt: output unknown */
		{ "{\"promptTokenCount\":11667,\"totalTokenCount\":11667}",
		    11667, -1, -1, -1, 11667, 11667 },
		{ "{}", -1, -1, -1, -1, -1, -1 },
		/* nonsense counts: unknown */
		{ "{\"promptTokenCount\":\"9\",\"candidatesTokenCount\":-2}",
		    -1, -1, -1, -1, -1, -1 },
		{ "{\"cachedContentTokenCount\":0,\"promptTokenCount\":0}",
		    0, 0, -1, -1, -1, 0 },
	};

	for (size_t i = 0; i < sizeof(c) / sizeof(c[0]); i++) {
		char resp[512];
		struct fake f;
		struct tg_turns g = { 0 };
		const struct cx_turn *t;

		snprintf(resp, sizeof(resp), "{\"candidates\":[],"
		    "\"usageMetadata\":%s}", c[i].meta);
		fake(&f, "/v1beta/models/g:generateContent",
		    "{\"contents\":[]}", resp, NULL);
		t = one(&f, &g);
		ck_assert_msg(t->usage.input == c[i].input &&
		    t->usage.cached == c[i].cached &&
		    t->usage.cache_write == -1 &&
		    t->usage.output == c[i].output &&
		    t->usage.reasoning == c[i].reasoning &&
		    t->usage.api_total == c[i].api_total &&
		    cx_usage_total(&t->usage) == c[i].total,
		    "case %zu (%s): %lld %lld %lld %lld %lld %lld", i, c[i].meta,
		    (long long)t->usage.input, (long long)t->usage.cached,
		    (long long)t->usage.output, (long long)t->usage.reasoning,
		    (long long)t->usage.api_total,
		    (long long)cx_usage_total(&t->usage));
		tg_turns_free(&g);
	}
}
END_TEST

/* A stream repeats usageMetadata: the last one wins. */
START_TEST(usage_last_wins)
{
	static const char *const ev[] = {
		"{\"candidates\":[{\"content\":{\"parts\":[{\"text\":\"a\"}]}}],"
		    "\"usageMetadata\":{\"promptTokenCount\":9,"
		    "\"candidatesTokenCount\":1,\"totalTokenCount\":10}}",
		"{\"candidates\":[{\"content\":{\"parts\":[{\"text\":\"b\"}]}}],"
		    "\"usageMetadata\":{\"promptTokenCount\":9,"
		    "\"candidatesTokenCount\":2,\"totalTokenCount\":11}}",
		"{\"candidates\":[{\"finishReason\":\"STOP\"}],"
		    "\"usageMetadata\":{\"promptTokenCount\":9,"
		    "\"candidatesTokenCount\":3,\"cachedContentTokenCount\":4,"
		    "\"totalTokenCount\":12}}",
		NULL,
	};
	struct fake f;
	struct tg_turns g = { 0 };
	const struct cx_turn *t;

	fake(&f, "/v1beta/models/g:streamGenerateContent?alt=sse",
	    "{\"contents\":[]}", NULL, ev);
	t = one(&f, &g);
	ck_assert_int_eq(t->usage.output, 3);
	ck_assert_int_eq(t->usage.cached, 4);
	ck_assert_int_eq(t->usage.api_total, 12);
	/* the last chunk has no parts: not a token */
	ck_assert_int_eq(t->t_first_token, 2000);
	ck_assert_int_eq(t->t_last_token, 2100);
	ck_assert_str_eq(t->output.v[0].text, "ab");
	tg_turns_free(&g);
}
END_TEST

/* Every prefix of a request and of an event: no crash, nothing lost. */
START_TEST(cut_everywhere)
{
	static const char body[] = "{\"request\":{\"contents\":[{\"role\":"
	    "\"model\",\"parts\":[{\"functionCall\":{\"name\":\"f\","
	    "\"args\":{\"a\":[1,\"\\u00e9\"]}}},{\"text\":\"t\","
	    "\"thought\":true}]},{\"parts\":[{\"functionResponse\":{"
	    "\"name\":\"f\",\"response\":{}}}]}],\"tools\":[{"
	    "\"functionDeclarations\":[{\"name\":\"f\"}]},{\"googleSearch\":"
	    "{}}],\"session_id\":\"s\"}}";
	static const char chunk[] = "{\"response\":{\"candidates\":[{"
	    "\"content\":{\"parts\":[{\"text\":\"x\"},{\"functionCall\":"
	    "{\"name\":\"f\"}}]},\"finishReason\":\"STOP\"}],"
	    "\"usageMetadata\":{\"promptTokenCount\":1}},\"traceId\":\"t\"}";
	char b[sizeof(body)], c[sizeof(chunk)];
	const char *ev[3] = { c, c, NULL };

	for (size_t n = 0; n < sizeof(body); n++) {
		struct fake f;
		struct tg_turns g = { 0 };
		const struct cx_turn *t;

		memcpy(b, body, n);
		b[n] = '\0';
		memcpy(c, chunk, n < sizeof(chunk) ? n : sizeof(chunk) - 1);
		c[n < sizeof(chunk) ? n : sizeof(chunk) - 1] = '\0';
		fake(&f, "/v1internal:streamGenerateContent?alt=sse", b, NULL,
		    ev);
		t = one(&f, &g);
		if (n < sizeof(body) - 1)
			ck_assert_uint_ge(t->input.n, 1);
		else {
			ck_assert_uint_eq(t->input.n, 3);
			ck_assert_uint_eq(t->ntools, 2);
			ck_assert_str_eq(t->tools[1].name, "googleSearch");
			ck_assert_str_eq(t->input.v[2].call_id, "f#1");
		}
		if (n > 0 && n < sizeof(chunk) - 1)
			ck_assert_uint_eq(t->output.n, 2);
		tg_turns_free(&g);
	}
}
END_TEST

static Suite *
suite(void)
{
	Suite *s = suite_create("conv_gemini");
	TCase *tc = tcase_create("core");

	tcase_add_checked_fixture(tc, setup, tg_teardown);
	tcase_set_timeout(tc, 30);
	tcase_add_test(tc, api_key_run);
	tcase_add_test(tc, code_assist_run);
	tcase_add_test(tc, claims_paths);
	tcase_add_test(tc, model_from_path);
	tcase_add_test(tc, thought_parts);
	tcase_add_test(tc, two_calls);
	tcase_add_test(tc, result_without_call);
	tcase_add_test(tc, bad_chunks);
	tcase_add_test(tc, usage_table);
	tcase_add_test(tc, usage_last_wins);
	tcase_add_test(tc, cut_everywhere);
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
