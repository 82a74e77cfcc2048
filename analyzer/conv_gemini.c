/*
 * conv_gemini.c: the adapter of the Gemini API and of Code Assist, the
 * Gemini API behind a Google login (conv.h).
 *
 * Claimed: POST .../models/MODEL:generateContent and :streamGenerateContent
 * (any prefix and query: ?alt=sse, ?key=), and Code Assist's POST
 * .../v1internal:generateContent and :streamGenerateContent.  Not
 * :countTokens, :embedContent, loadCodeAssist and the like: no generation.
 *
 * Code Assist wraps the Gemini API's objects: its request is {model,
 * project, user_prompt_id, request: {contents, systemInstruction, tools,
 * generationConfig, session_id}}, its answer and every event of its stream
 * {response: GenerateContentResponse, traceId}.  Both are unwrapped here
 * by shape, so either path may carry either form.
 *
 * A streamed answer (?alt=sse) is SSE `data:` events without event names,
 * each a GenerateContentResponse chunk; without alt=sse the same chunks
 * come as one JSON array.  A non-streamed answer is one chunk.  The chunks'
 * parts are assembled in order: consecutive text parts make one assistant
 * text item, consecutive thought parts one reasoning item, each
 * functionCall a tool call.  usageMetadata repeats in every chunk with
 * the counts so far: the last one wins.  t_first_token and t_last_token
 * are the arrivals of the first and last events with parts; for an answer
 * in one body (JSON, or a JSON array of chunks), its first and last byte.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cJSON.h>

#include "conv.h"
#include "view.h"
#include "xmalloc.h"

#define API_NAME        "gemini"

static const char *const methods[] = {
	":generateContent", ":streamGenerateContent", NULL,
};

/* The length of target's path: up to its query or fragment. */
static size_t
path_len(const char *target)
{
	return strcspn(target, "?#");
}

/*
 * The method's ':' in target's path when the path names one of ours
 * (methods[]) on a model or on Code Assist (v1internal), else NULL.
 */
static const char *
method_colon(const char *target, size_t plen)
{
	for (size_t i = 0; methods[i] != NULL; i++) {
		size_t ml = strlen(methods[i]);
		const char *colon, *seg;

		if (plen < ml || memcmp(target + plen - ml, methods[i], ml) != 0)
			continue;
		colon = target + plen - ml;
		/* the last segment: MODEL or v1internal */
		for (seg = colon; seg > target && seg[-1] != '/'; seg--)
			;
		if (seg == colon)
			return NULL;
		if ((size_t)(colon - seg) == strlen("v1internal") &&
		    memcmp(seg, "v1internal", colon - seg) == 0)
			return colon;
		if (seg - target >= 8 && memcmp(seg - 8, "/models/", 8) == 0)
			return colon;
		return NULL;
	}
	return NULL;
}

static int
claims(const struct cx_exchange *ex)
{
	const char *target = ex->req.target;

	if (ex->req.method == NULL || strcmp(ex->req.method, "POST") != 0 ||
	    target == NULL)
		return 0;
	return method_colon(target, path_len(target)) != NULL;
}

static int
hexval(int c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

/* s[0..n) percent-decoded, malloc'd. */
static char *
url_decode(const char *s, size_t n)
{
	char *d = xmalloc(n + 1), *o = d;

	for (size_t i = 0; i < n; i++) {
		int hi, lo;

		if (s[i] == '%' && i + 2 < n &&
		    (hi = hexval((unsigned char)s[i + 1])) >= 0 &&
		    (lo = hexval((unsigned char)s[i + 2])) >= 0) {
			*o++ = (char)(hi << 4 | lo);
			i += 2;
		} else
			*o++ = s[i];
	}
	*o = '\0';
	return d;
}

/* The model named by the path (.../models/MODEL:method), or NULL. */
static char *
path_model(const char *target)
{
	size_t plen = path_len(target);
	const char *colon = method_colon(target, plen), *seg;

	if (colon == NULL)
		return NULL;
	for (seg = colon; seg > target && seg[-1] != '/'; seg--)
		;
	if (seg - target < 8 || memcmp(seg - 8, "/models/", 8) != 0)
		return NULL;
	return url_decode(seg, (size_t)(colon - seg));
}




/* Append s[0..n) to it's text. */
static void
item_append(struct cx_item *it, const char *s, size_t n)
{
	it->text = xrealloc(it->text, it->len + n + 1);
	memcpy(it->text + it->len, s, n);
	it->len += n;
	it->text[it->len] = '\0';
}


/*
 * Calls and results.  Gemini's functionCall often has no id (the API
 * sends none; Gemini CLI adds its own to the history it sends back, and to
 * the functionResponse), so a functionResponse is linked to the first
 * earlier functionCall not yet answered that has its id, else its name (in
 * order).  A call without an id takes its result's; when neither has one,
 * both get a synthesized "NAME#N", N counting that name's calls in the
 * list from 1.  A functionResponse that matches no call keeps its own id
 * (or none) and a note.
 */
struct pending {
	size_t           item;          /* index in the list */
	size_t           nth;           /* its name's Nth call in the list */
	int              answered;
};

struct links {
	struct pending  *v;
	size_t           n;
};

static void
links_free(struct links *k)
{
	free(k->v);
	memset(k, 0, sizeof(*k));
}

static int
same(const char *a, const char *b)
{
	return a != NULL && b != NULL && strcmp(a, b) == 0;
}

static void
link_call(struct links *k, struct cx_items *l)
{
	const struct cx_item *it = &l->v[l->n - 1];
	size_t nth = 1;

	for (size_t i = 0; i < k->n; i++)
		if (same(l->v[k->v[i].item].name, it->name))
			nth++;
	k->v = xreallocarray(k->v, k->n + 1, sizeof(*k->v));
	k->v[k->n++] = (struct pending){ .item = l->n - 1, .nth = nth };
}

static char *
synth_id(const struct cx_item *call, size_t nth)
{
	return xasprintf("%s#%zu", call->name != NULL ? call->name : "", nth);
}

static void
link_result(struct links *k, struct cx_items *l)
{
	struct cx_item *res = &l->v[l->n - 1], *call;
	struct pending *p = NULL;
	int res_had_id = res->call_id != NULL;

	if (res->call_id != NULL)
		for (size_t i = 0; i < k->n && p == NULL; i++)
			if (!k->v[i].answered &&
			    same(l->v[k->v[i].item].call_id, res->call_id))
				p = &k->v[i];
	for (size_t i = 0; i < k->n && p == NULL; i++)
		if (!k->v[i].answered && l->v[k->v[i].item].call_id == NULL &&
		    same(l->v[k->v[i].item].name, res->name))
			p = &k->v[i];
	if (p == NULL) {
		cx_item_set(&res->note, "a functionResponse with no "
		    "functionCall before it");
		return;
	}
	p->answered = 1;
	call = &l->v[p->item];
	if (call->call_id == NULL) {
		call->call_id = res->call_id != NULL ?
		    xstrndup(res->call_id, strlen(res->call_id)) :
		    synth_id(call, p->nth);
		call->call_id_derived = 1;      /* borrowed or made up */
	}
	cx_item_set(&res->call_id, call->call_id);
	res->call_id_derived = !res_had_id;
}

/* Calls that have no id and no result: "NAME#N". */
static void
links_finish(struct links *k, struct cx_items *l)
{
	for (size_t i = 0; i < k->n; i++) {
		struct cx_item *call = &l->v[k->v[i].item];

		if (call->call_id == NULL) {
			call->call_id = synth_id(call, k->v[i].nth);
			call->call_id_derived = 1;
		}
	}
	links_free(k);
}

static enum cx_role
content_role(const cJSON *content)
{
	const char *r = cx_jstr(content, "role");

	if (r == NULL || strcmp(r, "user") == 0)
		return CX_ROLE_USER;
	if (strcmp(r, "model") == 0)
		return CX_ROLE_ASSISTANT;
	if (strcmp(r, "function") == 0 || strcmp(r, "tool") == 0)
		return CX_ROLE_TOOL;
	if (strcmp(r, "system") == 0)
		return CX_ROLE_SYSTEM;
	return CX_ROLE_NONE;
}

/*
 * One part appended to l.  With join set (a response's chunks), a text
 * part continues the previous text item of the same kind (text or
 * thought), as a stream splits one text over chunks; *run says whether the
 * last item may be continued.
 */
static void
add_part(struct cx_items *l, struct links *k, const cJSON *part,
    enum cx_role role, int join, int *run)
{
	const cJSON *v, *thought = cJSON_GetObjectItemCaseSensitive(part,
	    "thought");
	int is_thought = cJSON_IsTrue(thought);
	struct cx_item *it;

	if (!cJSON_IsObject(part)) {
		it = cx_items_add_json(l, CX_ITEM_OTHER, role, part);
		cx_item_set(&it->note, "a part that is not an object");
		*run = 0;
		return;
	}
	if ((v = cJSON_GetObjectItemCaseSensitive(part, "text")) != NULL &&
	    cJSON_IsString(v)) {
		enum cx_item_kind kind = is_thought ? CX_ITEM_REASONING :
		    CX_ITEM_TEXT;
		enum cx_role r = is_thought ? CX_ROLE_ASSISTANT : role;
		size_t n = strlen(v->valuestring);

		if (join && *run && l->n > 0 && l->v[l->n - 1].kind == kind)
			item_append(&l->v[l->n - 1], v->valuestring, n);
		else
			cx_items_add(l, kind, r, v->valuestring, n);
		*run = 1;
		return;
	}
	*run = 0;
	if ((v = cJSON_GetObjectItemCaseSensitive(part, "functionCall")) !=
	    NULL && cJSON_IsObject(v)) {
		const cJSON *args = cJSON_GetObjectItemCaseSensitive(v, "args");
		char *a = args != NULL ? cx_jtext(args) : xstrndup("{}", 2);

		it = cx_items_add(l, CX_ITEM_TOOL_CALL, CX_ROLE_ASSISTANT, a,
		    strlen(a));
		free(a);
		cx_item_set(&it->name, cx_jstr(v, "name"));
		cx_item_set(&it->call_id, cx_jstr(v, "id"));
		link_call(k, l);
		return;
	}
	if ((v = cJSON_GetObjectItemCaseSensitive(part, "functionResponse")) !=
	    NULL && cJSON_IsObject(v)) {
		it = cx_items_add_json(l, CX_ITEM_TOOL_RESULT, CX_ROLE_TOOL,
		    cJSON_GetObjectItemCaseSensitive(v, "response"));
		cx_item_set(&it->name, cx_jstr(v, "name"));
		cx_item_set(&it->call_id, cx_jstr(v, "id"));
		link_result(k, l);
		return;
	}
	it = cx_items_add_json(l, is_thought ? CX_ITEM_REASONING : CX_ITEM_OTHER,
	    is_thought ? CX_ROLE_ASSISTANT : role, part);
	if (is_thought)
		return;
	if (cJSON_GetObjectItemCaseSensitive(part, "inlineData") != NULL ||
	    cJSON_GetObjectItemCaseSensitive(part, "fileData") != NULL) {
		const cJSON *in = cJSON_GetObjectItemCaseSensitive(part,
		    "inlineData");
		const cJSON *d = in != NULL ? in :
		    cJSON_GetObjectItemCaseSensitive(part, "fileData");
		const char *mime = cx_jstr(d, "mimeType");

		it->note = xasprintf("%s%s%s", in != NULL ? "inline data" :
		    "a file", mime != NULL ? ", " : "", mime != NULL ? mime : "");
	} else if (cJSON_GetArraySize(part) == 1 &&
	    cJSON_GetObjectItemCaseSensitive(part, "thoughtSignature") != NULL) {
		/* only a signature: reasoning the API does not show */
		it->kind = CX_ITEM_REASONING;
		it->role = CX_ROLE_ASSISTANT;
		it->hidden = 1;
		free(it->text);
		it->text = xstrndup("", 0);
		it->len = 0;
	} else
		cx_item_set(&it->note, "a part of a kind not known");
}

/* A Content's parts (or a plain string) appended to l. */
static void
add_content(struct cx_items *l, struct links *k, const cJSON *content,
    enum cx_role role)
{
	const cJSON *parts, *p;
	int run = 0;

	if (cJSON_IsString(content)) {
		cx_items_add(l, CX_ITEM_TEXT, role, content->valuestring,
		    strlen(content->valuestring));
		return;
	}
	parts = cJSON_GetObjectItemCaseSensitive(content, "parts");
	if (!cJSON_IsArray(parts)) {
		struct cx_item *it = cx_items_add_json(l, CX_ITEM_OTHER, role, content);

		cx_item_set(&it->note, "a content without parts");
		return;
	}
	cJSON_ArrayForEach(p, parts)
		add_part(l, k, p, role, 0, &run);
}

/* tools[]: functionDeclarations, else the tool as it is (googleSearch...). */
static void
add_tools(struct cx_turn *t, const cJSON *tools)
{
	const cJSON *tool, *fd, *decls;

	cJSON_ArrayForEach(tool, tools) {
		decls = cJSON_GetObjectItemCaseSensitive(tool,
		    "functionDeclarations");
		if (!cJSON_IsArray(decls)) {
			char *s = cx_jtext(tool);
			const char *name = cJSON_IsObject(tool) &&
			    tool->child != NULL && tool->child->string != NULL ?
			    tool->child->string : "";

			cx_turn_tool(t, name, "a built-in tool", s);
			free(s);
			continue;
		}
		cJSON_ArrayForEach(fd, decls) {
			const cJSON *sch = cJSON_GetObjectItemCaseSensitive(fd,
			    "parametersJsonSchema");
			char *s;

			if (sch == NULL)
				sch = cJSON_GetObjectItemCaseSensitive(fd,
				    "parameters");
			s = sch != NULL ? cx_jtext(sch) : NULL;
			cx_turn_tool(t, cx_jstr(fd, "name"), cx_jstr(fd,
			    "description"), s);
			free(s);
		}
	}
}

/* The request: the model, the session, instructions, tools, contents. */
static void
read_request(struct cx_turn *t, const struct cx_exchange *ex)
{
	const char *why;
	cJSON *body = cx_conv_body_json(&ex->req, &why);
	const cJSON *req, *gc, *c, *contents;
	struct links k = { 0 };

	if (ex->req.target != NULL)
		t->model = path_model(ex->req.target);
	if (body == NULL) {
		cx_items_add_body(&t->input, CX_ROLE_USER, &ex->req, why);
		cx_turn_note(t, "request: %s", why);
		return;
	}
	req = body;
	if (cJSON_GetObjectItemCaseSensitive(body, "contents") == NULL &&
	    cJSON_IsObject(cJSON_GetObjectItemCaseSensitive(body, "request")))
		/* Code Assist's wrapper */
		req = cJSON_GetObjectItemCaseSensitive(body, "request");
	if (t->model == NULL)
		cx_item_set(&t->model, cx_jstr(body, "model"));
	if (t->model == NULL)
		cx_item_set(&t->model, cx_jstr(req, "model"));
	if (t->model != NULL && strncmp(t->model, "models/", 7) == 0)
		memmove(t->model, t->model + 7, strlen(t->model + 7) + 1);
	cx_item_set(&t->session, cx_jstr(req, "session_id"));
	if ((c = cJSON_GetObjectItemCaseSensitive(req, "systemInstruction")) !=
	    NULL || (c = cJSON_GetObjectItemCaseSensitive(req,
	    "system_instruction")) != NULL)
		add_content(&t->instructions, &k, c, CX_ROLE_SYSTEM);
	links_free(&k);
	add_tools(t, cJSON_GetObjectItemCaseSensitive(req, "tools"));
	gc = cJSON_GetObjectItemCaseSensitive(req, "generationConfig");
	if (gc == NULL)
		gc = cJSON_GetObjectItemCaseSensitive(req, "generation_config");
	if (same(cx_jstr(gc, "responseMimeType"), "application/json"))
		cx_turn_note(t, "JSON mode%s",
		    cJSON_GetObjectItemCaseSensitive(gc, "responseSchema") !=
		    NULL || cJSON_GetObjectItemCaseSensitive(gc,
		    "responseJsonSchema") != NULL ? ", with a schema" : "");
	contents = cJSON_GetObjectItemCaseSensitive(req, "contents");
	if (cJSON_IsArray(contents)) {
		cJSON_ArrayForEach(c, contents)
			add_content(&t->input, &k, c, content_role(c));
	} else {
		struct cx_item *it = cx_items_add_json(&t->input, CX_ITEM_OTHER,
		    CX_ROLE_USER, req);

		cx_item_set(&it->note, "a request without contents");
	}
	links_finish(&k, &t->input);
	cJSON_Delete(body);
}


/*
 * usageMetadata in the model's terms (conv.h).  input: promptTokenCount,
 * plus toolUsePromptTokenCount (the results of the API's own tools, such
 * as Google Search, which it reads as input too and counts apart; its
 * totalTokenCount includes them).  output: candidatesTokenCount +
 * thoughtsTokenCount.  The API leaves out a count that is 0 (proto3
 * JSON), but a count it did not send is unknown (-1) by the model's rule.
 */
static void
read_usage(struct cx_usage *u, const cJSON *m)
{
	int64_t prompt = cx_jcount(m, "promptTokenCount");
	int64_t tool = cx_jcount(m, "toolUsePromptTokenCount");
	int64_t cand = cx_jcount(m, "candidatesTokenCount");
	int64_t thoughts = cx_jcount(m, "thoughtsTokenCount");

	cx_usage_init(u);
	if (prompt >= 0 || tool >= 0)
		u->input = (prompt > 0 ? prompt : 0) + (tool > 0 ? tool : 0);
	u->cached = cx_jcount(m, "cachedContentTokenCount");
	if (cand >= 0 || thoughts >= 0)
		u->output = (cand > 0 ? cand : 0) + (thoughts > 0 ? thoughts : 0);
	u->reasoning = thoughts;
	u->api_total = cx_jcount(m, "totalTokenCount");
}

struct answer {
	struct links     k;
	int              run;           /* the last text item may go on */
	int              parts;         /* chunks with parts seen */
	int              usage;         /* usageMetadata seen */
};

/* The API's error object: t->error and an ERROR item. */
static void
read_error(struct cx_turn *t, const cJSON *err)
{
	const char *msg = cx_jstr(err, "message"), *status = cx_jstr(err, "status");
	char *raw = cx_jtext(err);

	free(t->error);
	t->error = xasprintf("%s%s%s", status != NULL ? status : "",
	    status != NULL && msg != NULL ? ": " : "",
	    msg != NULL ? msg : status != NULL ? "" : raw);
	cx_items_add(&t->output, CX_ITEM_ERROR, CX_ROLE_NONE, raw, strlen(raw));
	free(raw);
}

/* One GenerateContentResponse chunk (Code Assist's wrapper unwrapped). */
static void
read_chunk(struct cx_turn *t, struct answer *a, const cJSON *chunk,
    int64_t ts)
{
	const cJSON *r = chunk, *cands, *cand, *parts, *p, *v, *pf;
	const char *s;

	if (cJSON_IsObject(chunk) &&
	    cJSON_GetObjectItemCaseSensitive(chunk, "candidates") == NULL &&
	    cJSON_IsObject(cJSON_GetObjectItemCaseSensitive(chunk, "response")))
		r = cJSON_GetObjectItemCaseSensitive(chunk, "response");
	if (!cJSON_IsObject(r)) {
		struct cx_item *it = cx_items_add_json(&t->output, CX_ITEM_OTHER,
		    CX_ROLE_ASSISTANT, chunk);

		cx_item_set(&it->note, "a chunk that is not an object");
		a->run = 0;
		return;
	}
	if ((v = cJSON_GetObjectItemCaseSensitive(r, "error")) != NULL ||
	    (v = cJSON_GetObjectItemCaseSensitive(chunk, "error")) != NULL) {
		read_error(t, v);
		a->run = 0;
	}
	if ((s = cx_jstr(r, "modelVersion")) != NULL)
		cx_item_set(&t->model_answered, s);
	if ((s = cx_jstr(r, "responseId")) != NULL && t->response_id == NULL)
		cx_item_set(&t->response_id, s);
	if ((v = cJSON_GetObjectItemCaseSensitive(r, "usageMetadata")) != NULL &&
	    cJSON_IsObject(v)) {
		read_usage(&t->usage, v);
		a->usage = 1;
	}
	pf = cJSON_GetObjectItemCaseSensitive(r, "promptFeedback");
	if ((s = cx_jstr(pf, "blockReason")) != NULL) {
		cx_turn_note(t, "prompt blocked: %s", s);
		if (t->stop_reason == NULL)
			cx_item_set(&t->stop_reason, s);
	}
	cands = cJSON_GetObjectItemCaseSensitive(r, "candidates");
	if (cJSON_GetArraySize(cands) > 1)
		cx_turn_note(t, "%d candidates: only the first is read",
		    cJSON_GetArraySize(cands));
	cand = cJSON_GetArrayItem(cands, 0);
	if (cand == NULL)
		return;
	parts = cJSON_GetObjectItemCaseSensitive(
	    cJSON_GetObjectItemCaseSensitive(cand, "content"), "parts");
	if (cJSON_GetArraySize(parts) > 0) {
		if (t->t_first_token == 0)
			t->t_first_token = ts;
		t->t_last_token = ts;
		a->parts++;
	}
	cJSON_ArrayForEach(p, parts)
		add_part(&t->output, &a->k, p, CX_ROLE_ASSISTANT, 1, &a->run);
	if ((s = cx_jstr(cand, "finishReason")) != NULL)
		cx_item_set(&t->stop_reason, s);
	if ((s = cx_jstr(cand, "finishMessage")) != NULL)
		cx_turn_note(t, "finish: %s", s);
}

/* The answer: SSE events, a JSON array of chunks, or one chunk. */
static void
read_response(struct cx_turn *t, const struct cx_exchange *ex)
{
	const struct cx_msg *m = &ex->resp;
	struct answer a = { 0 };

	if (!ex->has_resp)
		return;
	if (m->sse) {
		t->streamed = 1;
		for (size_t i = 0; i < m->nevents; i++) {
			const struct cx_event *e = &m->events[i];
			cJSON *c;

			if (e->data_len == 0)
				continue;
			c = cx_conv_json(e->data, e->data_len);
			if (c == NULL) {
				struct cx_item *it = cx_items_add(&t->output,
				    CX_ITEM_OTHER, CX_ROLE_ASSISTANT, e->data,
				    e->data_len);

				cx_item_set(&it->note, e->partial ?
				    "an event cut short, not JSON" :
				    "an event that is not JSON");
				a.run = 0;
				continue;
			}
			read_chunk(t, &a, c, e->ts);
			cJSON_Delete(c);
		}
	} else {
		const char *why;
		cJSON *body = cx_conv_body_json(m, &why), *c;

		if (body == NULL) {
			if (why != NULL && strcmp(why, "no body") != 0) {
				cx_items_add_body(&t->output, CX_ROLE_ASSISTANT, m,
				    why);
				cx_turn_note(t, "response: %s", why);
			}
		} else if (cJSON_IsArray(body)) {
			t->streamed = 1;
			cJSON_ArrayForEach(c, body)
				read_chunk(t, &a, c, m->t_last);
		} else
			read_chunk(t, &a, body, m->t_last);
		cJSON_Delete(body);
		if (a.parts > 0) {
			/* one answer: its first byte and its last */
			t->t_first_token = m->t_first;
			t->t_last_token = m->t_last;
		}
	}
	links_finish(&a.k, &t->output);
	if (!a.usage && m->status >= 200 && m->status < 300)
		cx_turn_note(t, "no usageMetadata");
}

static size_t
turns(const struct cx_exchange *ex, cx_turn_fn fn, void *arg)
{
	struct cx_turn t;

	cx_turn_init(&t, ex, API_NAME);
	read_request(&t, ex);
	read_response(&t, ex);
	fn(arg, &t);
	cx_turn_free(&t);
	return 1;
}

const struct cx_api cx_api_gemini = {
	.name = API_NAME,
	.title = "Gemini API / Code Assist",
	.claims = claims,
	.turns = turns,
};
