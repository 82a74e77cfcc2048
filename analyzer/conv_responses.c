/*
 * conv_responses.c: the OpenAI Responses API (conv.h): POST .../responses
 * (API key: /v1/responses; ChatGPT: /backend-api/codex/responses; any
 * path ending in /responses), answered by an event stream or plain JSON,
 * and its WebSocket transport (GET .../responses, then an Upgrade): each
 * client text message response.create, response.append or
 * response.processed is a turn's request, and the server's messages after
 * it, up to response.completed, .failed, .incomplete or error, are its
 * events (docs/codex-protocol.md).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cJSON.h>

#include "bytebuf.h"
#include "conv.h"
#include "view.h"
#include "ws.h"
#include "xmalloc.h"

#define API     "responses"

/* --- JSON helpers ------------------------------------------------------ */







/* --- the path ---------------------------------------------------------- */

static int
path_is_responses(const char *target)
{
	size_t n;

	if (target == NULL)
		return 0;
	n = strcspn(target, "?#");
	/* ".../responses", and codex's remote compaction, a model call too
	 * (a Responses-shaped answer: output items and usage) */
	return (n >= 10 && memcmp(target + n - 10, "/responses", 10) == 0) ||
	    (n >= 18 && memcmp(target + n - 18, "/responses/compact", 18) == 0);
}

static int
claims(const struct cx_exchange *ex)
{
	const char *m = ex->req.method;

	if (!ex->has_req || !ex->req.head_done || m == NULL ||
	    !path_is_responses(ex->req.target))
		return 0;
	if (strcmp(m, "POST") == 0)
		return 1;
	/* the WebSocket: GET with an Upgrade */
	return strcmp(m, "GET") == 0 && (ex->nws > 0 ||
	    cx_fields_get(&ex->req.fields, "upgrade") != NULL);
}

/* --- items --------------------------------------------------------------- */

/* A content part's text, or NULL (an image, a file, ...). */
static const char *
part_text(const cJSON *part)
{
	const char *t = cx_jstr(part, "text");

	return t != NULL ? t : NULL;
}

/*
 * A message: its text parts joined in one item (a refusal part in one of
 * its own), every other part raw.
 */
static void
add_message(struct cx_items *l, const cJSON *item, enum cx_role dflt)
{
	enum cx_role role = cx_role_of(cx_jstr(item, "role"), dflt);
	const cJSON *content = cx_jget(item, "content"), *part;
	struct cx_buf b;
	struct cx_item *it;
	int parts = 0;

	if (cJSON_IsString(content)) {
		it = cx_items_add(l, CX_ITEM_TEXT, role, content->valuestring,
		    strlen(content->valuestring));
		cx_item_set(&it->id, cx_jstr(item, "id"));
		return;
	}
	if (content != NULL && !cJSON_IsArray(content)) {
		cx_items_add_raw(l, role, item, "a message whose content is neither "
		    "text nor a list");
		return;
	}
	cx_buf_init(&b, 0);
	cJSON_ArrayForEach(part, content) {
		const char *t = part_text(part), *r = cx_jstr(part, "refusal");

		if (t != NULL) {
			if (parts++ > 0)
				cx_buf_adds(&b, "\n");
			cx_buf_adds(&b, t);
		} else if (r != NULL) {
			it = cx_items_add(l, CX_ITEM_REFUSAL, role, r,
			    strlen(r));
			cx_item_set(&it->id, cx_jstr(item, "id"));
		} else {
			char note[96];

			snprintf(note, sizeof(note), "content part %.60s",
			    cx_jstr(part, "type") ? cx_jstr(part, "type") :
			    "(no type)");
			cx_items_add_raw(l, role, part, note);
		}
	}
	if (parts > 0 || cJSON_GetArraySize(content) == 0) {
		it = cx_items_add(l, CX_ITEM_TEXT, role, (const char *)b.p,
		    b.len);
		cx_item_set(&it->id, cx_jstr(item, "id"));
	}
	cx_buf_free(&b);
}

/* A tool's output: a string, or content parts (their texts), else JSON. */
static char *
output_text(const cJSON *out)
{
	struct cx_buf b;
	const cJSON *part;

	if (cJSON_IsString(out))
		return xstrdup(out->valuestring);
	if (!cJSON_IsArray(out))
		return out != NULL ? cx_jtext(out) : xstrdup("");
	cx_buf_init(&b, 0);
	cJSON_ArrayForEach(part, out) {
		const char *t = part_text(part);
		char *s;

		if (b.len > 0)
			cx_buf_adds(&b, "\n");
		if (t != NULL)
			cx_buf_adds(&b, t);
		else if ((s = cx_jtext(part)) != NULL) {
			cx_buf_adds(&b, s);
			free(s);
		}
	}
	return cx_buf_take(&b);
}

/* A reasoning item's summary (and content) texts. */
static void
reasoning_text(const cJSON *item, struct cx_buf *b)
{
	const char *keys[] = { "summary", "content" };
	const cJSON *s;

	for (size_t k = 0; k < 2; k++) {
		if (!cJSON_IsArray(cx_jget(item, keys[k])))
			continue;
		cJSON_ArrayForEach(s, cx_jget(item, keys[k])) {
			const char *t = cx_jstr(s, "text");

			if (t == NULL)
				continue;
			if (b->len > 0)
				cx_buf_adds(b, "\n\n");
			cx_buf_adds(b, t);
		}
	}
}

/* The name a call in l has for call_id, or NULL. */
static const char *
call_name(const struct cx_items *l, const char *call_id)
{
	if (call_id == NULL)
		return NULL;
	for (size_t i = l->n; i-- > 0;)
		if (l->v[i].kind == CX_ITEM_TOOL_CALL &&
		    l->v[i].call_id != NULL && l->v[i].name != NULL &&
		    strcmp(l->v[i].call_id, call_id) == 0)
			return l->v[i].name;
	return NULL;
}

static void tools_from(struct cx_turn *t, const cJSON *tools,
    const char *ns);

/*
 * One item (input or output) into l; dflt: the role of a message without
 * one.  t: for additional_tools, whose tools are the turn's.
 */
static void
add_item(struct cx_turn *t, struct cx_items *l, const cJSON *item,
    enum cx_role dflt)
{
	const char *type = cx_jstr(item, "type");
	struct cx_item *it;
	char note[96];

	if (!cJSON_IsObject(item)) {
		if (cJSON_IsString(item)) {
			cx_items_add(l, CX_ITEM_TEXT, dflt, item->valuestring,
			    strlen(item->valuestring));
			return;
		}
		cx_items_add_raw(l, dflt, item, "an item that is not an object");
		return;
	}
	if (type == NULL && cx_jstr(item, "role") != NULL)
		type = "message";
	if (type == NULL)
		type = "";
	if (strcmp(type, "message") == 0) {
		enum cx_role r = cx_role_of(cx_jstr(item, "role"), dflt);

		/* system and developer messages are instructions */
		if (t != NULL && l == &t->input && (r == CX_ROLE_SYSTEM ||
		    r == CX_ROLE_DEVELOPER))
			l = &t->instructions;
		add_message(l, item, dflt);
	} else if (strcmp(type, "function_call") == 0 ||
	    strcmp(type, "custom_tool_call") == 0) {
		const char *args = cx_jstr(item, strcmp(type, "function_call") ==
		    0 ? "arguments" : "input");

		it = cx_items_add(l, CX_ITEM_TOOL_CALL, CX_ROLE_ASSISTANT,
		    args, args != NULL ? strlen(args) : 0);
		cx_item_set(&it->id, cx_jstr(item, "id"));
		cx_item_set(&it->name, cx_jstr(item, "name"));
		cx_item_set(&it->call_id, cx_jstr(item, "call_id"));
	} else if (strcmp(type, "function_call_output") == 0 ||
	    strcmp(type, "custom_tool_call_output") == 0) {
		char *out = output_text(cx_jget(item, "output"));
		const char *cid = cx_jstr(item, "call_id");

		it = cx_items_add(l, CX_ITEM_TOOL_RESULT, CX_ROLE_TOOL, out,
		    strlen(out));
		free(out);
		cx_item_set(&it->id, cx_jstr(item, "id"));
		cx_item_set(&it->call_id, cid);
		cx_item_set(&it->name, call_name(l, cid));
		if (cid == NULL)
			cx_item_set(&it->note, "a tool result without a "
			    "call_id");
	} else if (strcmp(type, "reasoning") == 0) {
		struct cx_buf b;
		const cJSON *content = cx_jget(item, "content");

		cx_buf_init(&b, 0);
		reasoning_text(item, &b);
		it = cx_items_add(l, CX_ITEM_REASONING, CX_ROLE_ASSISTANT,
		    (const char *)b.p, b.len);
		cx_buf_free(&b);
		cx_item_set(&it->id, cx_jstr(item, "id"));
		/* shown when its own text is there; a summary is not it */
		it->hidden = !(cJSON_IsArray(content) &&
		    cJSON_GetArraySize(content) > 0);
	} else if (strcmp(type, "additional_tools") == 0 && t != NULL) {
		tools_from(t, cx_jget(item, "tools"), NULL);
	} else {
		snprintf(note, sizeof(note), "item %.60s",
		    *type ? type : "(no type)");
		cx_items_add_raw(l, dflt, item, note);
	}
}

/* The tools offered: name, description, parameters (namespaces nest). */
static void
tools_from(struct cx_turn *t, const cJSON *tools, const char *ns)
{
	const cJSON *tl;

	if (tools != NULL && !cJSON_IsArray(tools)) {
		char *raw = cx_jtext(tools);

		cx_turn_note(t, "tools that are not a list: %.200s",
		    raw ? raw : "");
		free(raw);
		return;
	}
	cJSON_ArrayForEach(tl, tools) {
		const cJSON *fn = cx_jget(tl, "function");
		const char *name = cx_jstr(tl, "name"), *type = cx_jstr(tl, "type");
		const cJSON *schema = cx_jget(tl, "parameters");
		const char *desc = cx_jstr(tl, "description");
		char *s;

		if (type != NULL && strcmp(type, "namespace") == 0) {
			tools_from(t, cx_jget(tl, "tools"), name);
			continue;
		}
		if (name == NULL && cJSON_IsObject(fn)) {
			/* the Chat Completions shape */
			name = cx_jstr(fn, "name");
			desc = cx_jstr(fn, "description");
			schema = cx_jget(fn, "parameters");
		}
		if (schema == NULL)
			schema = cx_jget(tl, "format");    /* custom tools */
		if (name == NULL)
			name = type != NULL ? type : "(no name)";
		s = schema != NULL ? cx_jtext(schema) : NULL;
		if (ns != NULL) {
			char *full = xasprintf("%s.%s", ns, name);

			cx_turn_tool(t, full, desc, s);
			free(full);
		} else
			cx_turn_tool(t, name, desc, s);
		free(s);
	}
}

/* --- the request ---------------------------------------------------------- */

static void
request(struct cx_turn *t, const cJSON *body, const struct cx_fields *h)
{
	const cJSON *input = cx_jget(body, "input"), *item, *gen;
	const cJSON *ins = cx_jget(body, "instructions");
	const char *sess = h != NULL ? cx_fields_get(h, "session_id") : NULL;

	if (sess == NULL && h != NULL)
		sess = cx_fields_get(h, "session-id");
	if (sess == NULL)
		sess = cx_jstr(body, "prompt_cache_key");
	cx_item_set(&t->session, sess);
	cx_item_set(&t->model, cx_jstr(body, "model"));
	cx_item_set(&t->previous_response_id, cx_jstr(body,
	    "previous_response_id"));
	if (cJSON_IsString(ins) && *ins->valuestring != '\0')
		cx_items_add(&t->instructions, CX_ITEM_TEXT, CX_ROLE_SYSTEM,
		    ins->valuestring, strlen(ins->valuestring));
	else if (ins != NULL && !cJSON_IsNull(ins) && !cJSON_IsString(ins))
		cx_items_add_raw(&t->instructions, CX_ROLE_SYSTEM, ins,
		    "instructions that are not text");
	tools_from(t, cx_jget(body, "tools"), NULL);
	if (cJSON_IsString(input))
		cx_items_add(&t->input, CX_ITEM_TEXT, CX_ROLE_USER,
		    input->valuestring, strlen(input->valuestring));
	else if (cJSON_IsArray(input)) {
		cJSON_ArrayForEach(item, input)
			add_item(t, &t->input, item, CX_ROLE_USER);
	} else if (input != NULL)
		cx_items_add_raw(&t->input, CX_ROLE_USER, input,
		    "input neither text nor a list");
	/* codex's prewarm: generate false, or an empty input list (a body
	 * without input is no prewarm, just odd) */
	gen = cx_jget(body, "generate");
	if (cJSON_IsFalse(gen) || (cJSON_IsArray(input) &&
	    cJSON_GetArraySize(input) == 0))
		t->warmup = 1;
}

/* A request body that is not JSON: its bytes, raw, as one item. */
static void
request_raw(struct cx_turn *t, const struct cx_msg *m, const char *why)
{
	struct cx_view v;
	struct cx_item *it;

	cx_view_body(&v, m);
	it = cx_items_add(&t->input, CX_ITEM_OTHER, CX_ROLE_USER,
	    (const char *)v.p, v.p != NULL ? v.n : 0);
	cx_item_set(&it->note, why);
	cx_view_free(&v);
}

/* --- the response ------------------------------------------------------- */

/* What a stream said of one output item, by its id (or index). */
struct acc {
	char            *id;
	int              idx;           /* output_index, -1: unknown */
	int              kind;          /* enum cx_item_kind */
	char            *name;
	char            *call_id;
	struct cx_buf    text;
	int              done;
};

struct stream {
	struct acc      *v;
	size_t           n;
	int              final;
	int              items;         /* output_item.done seen */
};

static struct acc *
acc_get(struct stream *st, const char *id, int idx, int kind)
{
	for (size_t i = 0; i < st->n; i++) {
		struct acc *a = &st->v[i];

		if (a->kind != kind)
			continue;
		if (id != NULL && a->id != NULL ? strcmp(a->id, id) == 0 :
		    (id == NULL && a->idx == idx))
			return a;
	}
	st->v = xreallocarray(st->v, st->n + 1, sizeof(*st->v));
	memset(&st->v[st->n], 0, sizeof(st->v[st->n]));
	st->v[st->n].id = id != NULL ? xstrdup(id) : NULL;
	st->v[st->n].idx = idx;
	st->v[st->n].kind = kind;
	cx_buf_init(&st->v[st->n].text, 0);
	return &st->v[st->n++];
}

static void
stream_free(struct stream *st)
{
	for (size_t i = 0; i < st->n; i++) {
		free(st->v[i].id);
		free(st->v[i].name);
		free(st->v[i].call_id);
		cx_buf_free(&st->v[i].text);
	}
	free(st->v);
}

static int
jindex(const cJSON *d, const char *key)
{
	const cJSON *v = cx_jget(d, key);

	return cJSON_IsNumber(v) && v->valuedouble >= 0 &&
	    v->valuedouble < 1e6 ? (int)v->valuedouble : -1;
}

static void
delta(struct stream *st, const cJSON *d, int kind)
{
	const char *s = cx_jstr(d, "delta");
	struct acc *a;

	if (s == NULL)
		return;
	a = acc_get(st, cx_jstr(d, "item_id"), jindex(d, "output_index"), kind);
	cx_buf_adds(&a->text, s);
}

/* Mark the deltas of an item done; fill an output item's empty text. */
static void
item_done(struct stream *st, struct cx_item *it)
{
	for (size_t i = 0; i < st->n; i++) {
		struct acc *a = &st->v[i];

		if (a->id == NULL || it->id == NULL || strcmp(a->id, it->id))
			continue;
		a->done = 1;
		if (it->len > 0 && a->text.len > 0 && (int)it->kind ==
		    a->kind && it->kind != CX_ITEM_REASONING &&
		    (a->text.len != it->len || memcmp(a->text.p, it->text,
		    it->len) != 0)) {
			char *n = xasprintf("the streamed deltas differ from "
			    "the final item; they said: %.*s",
			    (int)(a->text.len > 4096 ? 4096 : a->text.len),
			    (const char *)a->text.p);

			free(it->note);
			it->note = n;
		}
		if (it->len == 0 && a->text.len > 0 &&
		    (int)it->kind == a->kind) {
			free(it->text);
			it->text = xstrndup((const char *)a->text.p,
			    a->text.len);
			it->len = a->text.len;
		}
	}
}

static void
usage(struct cx_turn *t, const cJSON *u)
{
	if (!cJSON_IsObject(u))
		return;
	t->usage.input = cx_jcount(u, "input_tokens");
	t->usage.cached = cx_jcount(cx_jget(u, "input_tokens_details"),
	    "cached_tokens");
	t->usage.output = cx_jcount(u, "output_tokens");
	t->usage.reasoning = cx_jcount(cx_jget(u, "output_tokens_details"),
	    "reasoning_tokens");
	t->usage.api_total = cx_jcount(u, "total_tokens");
}

static void
set_error(struct cx_turn *t, const cJSON *err)
{
	const char *code = cx_jstr(err, "code"), *msg = cx_jstr(err, "message");
	char *s;

	if (cJSON_IsString(err))
		msg = err->valuestring;
	else if (msg == NULL && !cJSON_IsObject(err))
		return;
	if (msg == NULL)
		s = cx_jtext(err);
	else
		s = code != NULL ? xasprintf("%s: %s", code, msg) :
		    xstrdup(msg);
	if (t->error == NULL)
		t->error = s;
	else {
		char *j = xasprintf("%s; %s", t->error, s);

		free(t->error);
		free(s);
		t->error = j;
	}
}

/* A response object (final event's, or a plain JSON answer). */
static void
response_object(struct cx_turn *t, struct stream *st, const cJSON *r)
{
	const char *status = cx_jstr(r, "status");
	const cJSON *inc = cx_jget(r, "incomplete_details"), *err, *item;

	if (!cJSON_IsObject(r))
		return;
	if (cx_jstr(r, "model") != NULL)
		cx_item_set(&t->model_answered, cx_jstr(r, "model"));
	if (cx_jstr(r, "id") != NULL)
		cx_item_set(&t->response_id, cx_jstr(r, "id"));
	if (status != NULL) {
		if (cx_jstr(inc, "reason") != NULL) {
			char *s = xasprintf("%s: %s", status,
			    cx_jstr(inc, "reason"));

			cx_item_set(&t->stop_reason, s);
			free(s);
		} else
			cx_item_set(&t->stop_reason, status);
	}
	err = cx_jget(r, "error");
	if (err != NULL && !cJSON_IsNull(err))
		set_error(t, err);
	usage(t, cx_jget(r, "usage"));
	/* The items, when no output_item.done gave them. */
	if (st == NULL || !st->items) {
		cJSON_ArrayForEach(item, cx_jget(r, "output")) {
			add_item(NULL, &t->output, item, CX_ROLE_ASSISTANT);
			if (st != NULL)
				item_done(st, &t->output.v[t->output.n - 1]);
		}
	}
}

static const char *const quiet_events[] = {
	"response.output_item.added", "response.content_part.added",
	"response.content_part.done", "response.output_text.done",
	"response.reasoning_summary_part.added",
	"response.reasoning_summary_part.done",
	"response.reasoning_summary_text.done", "response.reasoning_text.done",
	"response.function_call_arguments.done",
	"response.custom_tool_call_input.done",
	"response.output_text.annotation.added", "response.refusal.done",
	"response.queued", "response.rate_limits.updated",
	"codex.rate_limits",
};

static int
quiet(const char *name)
{
	for (size_t i = 0; i < sizeof(quiet_events) / sizeof(*quiet_events);
	    i++)
		if (strcmp(name, quiet_events[i]) == 0)
			return 1;
	return 0;
}

static int
output_event(const char *name)
{
	return strncmp(name, "response.output_", 16) == 0 ||
	    strncmp(name, "response.content_part.", 22) == 0 ||
	    strncmp(name, "response.reasoning", 18) == 0 ||
	    strncmp(name, "response.function_call", 22) == 0 ||
	    strncmp(name, "response.custom_tool_call", 25) == 0 ||
	    strncmp(name, "response.refusal", 16) == 0;
}

/* One event (SSE) or server message (WebSocket): name may be NULL. */
static void
event(struct cx_turn *t, struct stream *st, const char *name,
    const char *data, size_t len, int64_t ts, int partial, int truncated)
{
	cJSON *d = NULL;
	struct cx_item *it;
	char note[128];

	if (len == 6 && memcmp(data, "[DONE]", 6) == 0)
		return;                 /* the stream's end */
	d = cJSON_ParseWithLength(data, len);
	if ((name == NULL || strcmp(name, "message") == 0) &&
	    cx_jstr(d, "type") != NULL)
		name = cx_jstr(d, "type");
	if (name == NULL)
		name = "message";
	if (partial || truncated)
		cx_turn_note(t, partial ? "the stream ended inside an event "
		    "(%.60s)" : "an event's data was cut (%.60s)", name);
	if (!cJSON_IsObject(d)) {
		snprintf(note, sizeof(note), "event %.60s: not a JSON object",
		    name);
		it = cx_items_add(&t->output, CX_ITEM_OTHER, CX_ROLE_ASSISTANT,
		    data, len);
		cx_item_set(&it->note, note);
		goto out;
	}
	if (output_event(name)) {
		if (t->t_first_token == 0)
			t->t_first_token = ts;
		t->t_last_token = ts;
	}
	if (strcmp(name, "response.output_text.delta") == 0 ||
	    strcmp(name, "response.refusal.delta") == 0)
		delta(st, d, CX_ITEM_TEXT);
	else if (strcmp(name, "response.reasoning_summary_text.delta") == 0 ||
	    strcmp(name, "response.reasoning_text.delta") == 0)
		delta(st, d, CX_ITEM_REASONING);
	else if (strcmp(name, "response.function_call_arguments.delta") == 0 ||
	    strcmp(name, "response.custom_tool_call_input.delta") == 0)
		delta(st, d, CX_ITEM_TOOL_CALL);
	else if (strcmp(name, "response.output_item.done") == 0) {
		const cJSON *item = cx_jget(d, "item");

		if (cJSON_IsObject(item)) {
			size_t n0 = t->output.n;

			add_item(NULL, &t->output, item, CX_ROLE_ASSISTANT);
			for (size_t i = n0; i < t->output.n; i++)
				item_done(st, &t->output.v[i]);
			st->items = 1;
		} else
			cx_items_add_raw(&t->output, CX_ROLE_ASSISTANT, d,
			    "output_item.done without an item");
	} else if (strcmp(name, "response.output_item.added") == 0) {
		const cJSON *item = cx_jget(d, "item");
		const char *ty = cx_jstr(item, "type");
		struct acc *a;

		if (ty != NULL && (strcmp(ty, "function_call") == 0 ||
		    strcmp(ty, "custom_tool_call") == 0)) {
			a = acc_get(st, cx_jstr(item, "id"),
			    jindex(d, "output_index"), CX_ITEM_TOOL_CALL);
			cx_item_set(&a->name, cx_jstr(item, "name"));
			cx_item_set(&a->call_id, cx_jstr(item, "call_id"));
		}
	} else if (strcmp(name, "response.created") == 0 ||
	    strcmp(name, "response.in_progress") == 0) {
		const cJSON *r = cx_jget(d, "response");

		if (cx_jstr(r, "model") != NULL)
			cx_item_set(&t->model_answered, cx_jstr(r, "model"));
		if (cx_jstr(r, "id") != NULL)
			cx_item_set(&t->response_id, cx_jstr(r, "id"));
	} else if (strcmp(name, "response.completed") == 0 ||
	    strcmp(name, "response.failed") == 0 ||
	    strcmp(name, "response.incomplete") == 0 ||
	    strcmp(name, "response.done") == 0) {
		st->final = 1;
		response_object(t, st, cx_jget(d, "response"));
	} else if (strcmp(name, "error") == 0 ||
	    strcmp(name, "response.error") == 0) {
		const cJSON *err = cx_jget(d, "error");
		char *s;

		st->final = 1;
		set_error(t, err != NULL ? err : d);
		s = cx_jtext(d);
		cx_items_add(&t->output, CX_ITEM_ERROR, CX_ROLE_ASSISTANT, s,
		    s != NULL ? strlen(s) : 0);
		free(s);
	} else if (!quiet(name)) {
		snprintf(note, sizeof(note), "event %.60s", name);
		cx_items_add_raw(&t->output, CX_ROLE_ASSISTANT, d, note);
	}
out:
	cJSON_Delete(d);
}

/* Deltas whose item never came (the stream was cut): items with a note. */
static void
stream_end(struct cx_turn *t, struct stream *st)
{
	for (size_t i = 0; i < st->n; i++) {
		struct acc *a = &st->v[i];
		struct cx_item *it;

		if (a->done || (a->text.len == 0 && a->name == NULL))
			continue;
		it = cx_items_add(&t->output, a->kind, CX_ROLE_ASSISTANT,
		    (const char *)a->text.p, a->text.len);
		cx_item_set(&it->id, a->id);
		cx_item_set(&it->name, a->name);
		cx_item_set(&it->call_id, a->call_id);
		cx_item_set(&it->note, "streamed; its output_item.done never "
		    "came");
	}
	if (!st->final)
		cx_turn_note(t, "the stream ended without a final status");
}

/* A response that is not a stream: a response object, or an error. */
static void
plain_response(struct cx_turn *t, const struct cx_exchange *ex)
{
	const char *why;
	cJSON *o;

	if (!ex->has_resp || !ex->resp.head_done)
		return;
	o = cx_conv_body_json(&ex->resp, &why);
	if (o == NULL) {
		struct cx_view v;
		struct cx_item *it;

		if (ex->resp.body_bytes == 0)
			return;
		cx_view_body(&v, &ex->resp);
		it = cx_items_add(&t->output, CX_ITEM_OTHER,
		    CX_ROLE_ASSISTANT, (const char *)v.p, v.p ? v.n : 0);
		cx_item_set(&it->note, why);
		cx_view_free(&v);
		return;
	}
	if (cJSON_IsObject(cx_jget(o, "error")) || cJSON_IsString(cx_jget(o,
	    "error"))) {
		char *s = cx_jtext(o);

		set_error(t, cx_jget(o, "error"));
		cx_items_add(&t->output, CX_ITEM_ERROR, CX_ROLE_ASSISTANT, s,
		    s ? strlen(s) : 0);
		free(s);
	}
	if (cJSON_IsArray(cx_jget(o, "output")) || cx_jstr(o, "status") != NULL ||
	    cJSON_IsObject(cx_jget(o, "usage")))
		response_object(t, NULL, o);
	else if (!cJSON_IsObject(cx_jget(o, "error")) &&
	    !cJSON_IsString(cx_jget(o, "error")))
		cx_items_add_raw(&t->output, CX_ROLE_ASSISTANT, o,
		    "a response body of an unknown shape");
	cJSON_Delete(o);
}

/* --- turns ---------------------------------------------------------------- */

static size_t
http_turn(const struct cx_exchange *ex, cx_turn_fn fn, void *arg)
{
	struct cx_turn t;
	const char *why;
	cJSON *body;

	cx_turn_init(&t, ex, API);
	body = cx_conv_body_json(&ex->req, &why);
	if (cJSON_IsObject(body))
		request(&t, body, &ex->req.fields);
	else if (ex->req.body_bytes > 0)
		request_raw(&t, &ex->req, why != NULL ? why :
		    "the body is not a JSON object");
	else
		cx_turn_note(&t, "a request without a body");
	cJSON_Delete(body);
	if (ex->has_resp && ex->resp.sse) {
		struct stream st;

		memset(&st, 0, sizeof(st));
		t.streamed = 1;
		for (size_t i = 0; i < ex->resp.nevents; i++) {
			const struct cx_event *e = &ex->resp.events[i];

			event(&t, &st, e->event, e->data, e->data_len, e->ts,
			    e->partial, e->truncated);
		}
		if (ex->resp.events_cut)
			cx_turn_note(&t, "more events than fit in memory: "
			    "the rest were dropped");
		stream_end(&t, &st);
		stream_free(&st);
	} else
		plain_response(&t, ex);
	fn(arg, &t);
	cx_turn_free(&t);
	return 1;
}

/* The "type" of a client text message, or NULL; the JSON in *o. */
static const char *
msg_type(const struct cx_wsmsg *m, cJSON **o)
{
	*o = NULL;
	if (m->opcode != CX_WS_TEXT)
		return NULL;
	*o = cJSON_ParseWithLength(m->data, m->len);
	return cx_jstr(*o, "type");
}

static int
is_request(const char *type)
{
	return type != NULL && (strcmp(type, "response.create") == 0 ||
	    strcmp(type, "response.append") == 0 ||
	    strcmp(type, "response.processed") == 0);
}

static size_t
ws_turns(const struct cx_exchange *ex, cx_turn_fn fn, void *arg)
{
	size_t n = 0, i = 0;

	while (i < ex->nws) {
		const struct cx_wsmsg *q = &ex->ws[i];
		struct stream st;
		struct cx_turn t;
		const cJSON *r;
		cJSON *o = NULL;
		const char *qt;
		size_t k;

		qt = q->dir == CX_WS_CLIENT ? msg_type(q, &o) : NULL;
		if (!is_request(qt)) {
			cJSON_Delete(o);
			i++;
			continue;
		}
		cx_turn_init(&t, ex, API);
		t.index = n;
		t.streamed = 1;
		t.t_request = q->ts;
		/* the fields at the top, or in "response" (older shape) */
		r = cJSON_IsObject(cx_jget(o, "response")) ? cx_jget(o, "response") :
		    o;
		request(&t, r, &ex->req.fields);
		if (strcmp(qt, "response.create") != 0) {
			t.warmup = 0;
			cx_turn_note(&t, "%s", qt);
		}
		cJSON_Delete(o);
		memset(&st, 0, sizeof(st));
		for (k = i + 1; k < ex->nws && !st.final; k++) {
			const struct cx_wsmsg *m = &ex->ws[k];

			if (m->dir == CX_WS_CLIENT) {
				int next = is_request(msg_type(m, &o));

				cJSON_Delete(o);
				if (next)
					break;
				continue;
			}
			if (m->opcode != CX_WS_TEXT)
				continue;
			event(&t, &st, NULL, m->data, m->len, m->ts,
			    m->partial, m->truncated);
		}
		stream_end(&t, &st);
		stream_free(&st);
		i = k;
		n++;
		fn(arg, &t);
		cx_turn_free(&t);
	}
	return n;
}

static size_t
turns(const struct cx_exchange *ex, cx_turn_fn fn, void *arg)
{
	if (ex->nws > 0 || (ex->req.method != NULL &&
	    strcmp(ex->req.method, "GET") == 0))
		return ws_turns(ex, fn, arg);
	return http_turn(ex, fn, arg);
}

const struct cx_api cx_api_responses = {
	.name = "responses",
	.title = "OpenAI Responses",
	.claims = claims,
	.turns = turns,
};
