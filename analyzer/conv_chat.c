/*
 * conv_chat.c: the OpenAI Chat Completions adapter (conv.h).
 *
 * Claims a POST to .../chat/completions (any prefix), or a POST whose JSON
 * body has a `messages` array and no `input` (and nothing of Anthropic's
 * Messages API: its path, its header, a top-level `system` or
 * `anthropic_version`).
 *
 * Request: `messages` (system/developer to the instructions; user,
 * assistant with its tool_calls and refusal, tool results named after the
 * call an earlier assistant message made), `tools` (and the old
 * `functions`), `model`, `stream`.  Response: one JSON body (choices[0]'s
 * message, finish_reason, usage) or an event stream of `data:` chunks whose
 * choices[0].delta pieces are joined: text, reasoning, refusal, and tool
 * calls merged by their index (the first delta of an index carries its id
 * and name, later ones append to its arguments); the usage chunk (empty
 * choices) that stream_options.include_usage asks for; `data: [DONE]` ends
 * the stream and is neither an item nor a note.
 *
 * Usage: prompt_tokens is the input (cached_tokens of it read from the
 * cache), completion_tokens the output (reasoning_tokens of it), and
 * total_tokens the API's own total.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cJSON.h>

#include "bytebuf.h"
#include "conv.h"
#include "view.h"
#include "xmalloc.h"

#define API     "chat"

/* --- JSON helpers ------------------------------------------------------ */








/* --- claims ------------------------------------------------------------- */

/* Does target's path (before any query) end with suffix? */
static int
path_ends(const char *target, const char *suffix)
{
	size_t n, k = strlen(suffix);

	if (target == NULL)
		return 0;
	n = strcspn(target, "?#");
	return n >= k && memcmp(target + n - k, suffix, k) == 0;
}

static int
claims(const struct cx_exchange *ex)
{
	const struct cx_msg *q = &ex->req;
	cJSON *body;
	int yes;

	if (!ex->has_req || !q->head_done || q->method == NULL ||
	    strcmp(q->method, "POST") != 0)
		return 0;
	if (path_ends(q->target, "/chat/completions"))
		return 1;
	/* By its body's shape, unless it is Anthropic's (same `messages`). */
	if (path_ends(q->target, "/messages") ||
	    cx_fields_get(&q->fields, "anthropic-version") != NULL)
		return 0;
	if ((body = cx_conv_body_json(q, NULL)) == NULL)
		return 0;
	yes = cJSON_IsArray(cx_jget(body, "messages")) &&
	    cx_jget(body, "input") == NULL && cx_jget(body, "system") == NULL &&
	    cx_jget(body, "anthropic_version") == NULL &&
	    cx_jget(body, "contents") == NULL;
	cJSON_Delete(body);
	return yes;
}

/* --- the request --------------------------------------------------------- */


/*
 * content (a string, or an array of parts): its text parts joined by
 * newlines in one item of kind (unless there is none), a refusal part in a
 * CX_ITEM_REFUSAL, every other part raw.  Returns the text item's index
 * in l, or NO_ITEM (the items after it may have moved the list).
 */
#define NO_ITEM SIZE_MAX

static size_t
add_content(struct cx_items *l, enum cx_item_kind kind, enum cx_role role,
    const cJSON *content)
{
	const cJSON *part;
	size_t at = NO_ITEM;
	struct cx_buf b;
	int ntext = 0;

	if (content == NULL || cJSON_IsNull(content))
		return NO_ITEM;
	if (cJSON_IsString(content)) {
		cx_items_add(l, kind, role, content->valuestring,
		    strlen(content->valuestring));
		return l->n - 1;
	}
	if (!cJSON_IsArray(content)) {
		cx_items_add_raw(l, role, content, "content that is neither text nor "
		    "an array of parts");
		return NO_ITEM;
	}
	cx_buf_init(&b, 0);
	cJSON_ArrayForEach(part, content) {
		const char *type = cx_jstr(part, "type"), *s;

		if ((s = cx_jstr(part, "text")) != NULL && (type == NULL ||
		    strcmp(type, "text") == 0)) {
			if (ntext++ > 0)
				cx_buf_adds(&b, "\n");
			cx_buf_adds(&b, s);
		}
	}
	if (ntext > 0) {
		cx_items_add(l, kind, role, (const char *)b.p, b.len);
		at = l->n - 1;
	}
	free(b.p);
	cJSON_ArrayForEach(part, content) {
		const char *type = cx_jstr(part, "type"), *s;

		if (cx_jstr(part, "text") != NULL && (type == NULL ||
		    strcmp(type, "text") == 0))
			continue;
		if (type != NULL && strcmp(type, "refusal") == 0 &&
		    (s = cx_jstr(part, "refusal")) != NULL) {
			cx_items_add(l, CX_ITEM_REFUSAL, role, s, strlen(s));
			continue;
		}
		cx_items_add_raw(l, role, part, "a content part that is not text");
	}
	return at;
}

/* One tool call of an assistant message's tool_calls. */
static void
add_call(struct cx_items *l, const cJSON *c)
{
	const char *type = cx_jstr(c, "type");
	const cJSON *fn = cx_jget(c, "function"), *cu = cx_jget(c, "custom");
	const char *args = NULL;
	struct cx_item *it;

	if (cJSON_IsObject(fn) && (type == NULL ||
	    strcmp(type, "function") == 0))
		args = cx_jstr(fn, "arguments");
	else if (cJSON_IsObject(cu) && type != NULL &&
	    strcmp(type, "custom") == 0) {
		fn = cu;
		args = cx_jstr(cu, "input");
	} else {
		it = cx_items_add_raw(l, CX_ROLE_ASSISTANT, c, "a tool call of a kind "
		    "not known");
		cx_item_set(&it->call_id, cx_jstr(c, "id"));
		return;
	}
	it = cx_items_add(l, CX_ITEM_TOOL_CALL, CX_ROLE_ASSISTANT, args,
	    args != NULL ? strlen(args) : 0);
	cx_item_set(&it->call_id, cx_jstr(c, "id"));
	cx_item_set(&it->name, cx_jstr(fn, "name"));
	if (cx_jstr(fn, "name") == NULL)
		cx_item_set(&it->note, "a tool call without a name");
}

/* The name of the call with id call_id among the items so far, or NULL. */
static const char *
call_name(const struct cx_items *l, const char *call_id)
{
	for (size_t i = l->n; call_id != NULL && i-- > 0;) {
		const struct cx_item *it = &l->v[i];

		if (it->kind == CX_ITEM_TOOL_CALL && it->call_id != NULL &&
		    strcmp(it->call_id, call_id) == 0)
			return it->name;
	}
	return NULL;
}

/* An assistant message, from a request or a non-streamed response. */
static void
add_assistant(struct cx_items *l, const cJSON *msg)
{
	const cJSON *calls = cx_jget(msg, "tool_calls"), *c;
	const cJSON *fc = cx_jget(msg, "function_call");
	const char *s;

	if ((s = cx_jstr(msg, "reasoning_content")) != NULL ||
	    (s = cx_jstr(msg, "reasoning")) != NULL)
		cx_items_add(l, CX_ITEM_REASONING, CX_ROLE_ASSISTANT, s,
		    strlen(s));
	add_content(l, CX_ITEM_TEXT, CX_ROLE_ASSISTANT, cx_jget(msg, "content"));
	if ((s = cx_jstr(msg, "refusal")) != NULL)
		cx_items_add(l, CX_ITEM_REFUSAL, CX_ROLE_ASSISTANT, s,
		    strlen(s));
	cJSON_ArrayForEach(c, cx_jarr(msg, "tool_calls"))
		add_call(l, c);
	if (calls != NULL && !cJSON_IsArray(calls) && !cJSON_IsNull(calls))
		cx_items_add_raw(l, CX_ROLE_ASSISTANT, calls, "tool_calls that are not "
		    "an array");
	if (cJSON_IsObject(fc)) {       /* the old single function call */
		struct cx_item *it;

		s = cx_jstr(fc, "arguments");
		it = cx_items_add(l, CX_ITEM_TOOL_CALL, CX_ROLE_ASSISTANT, s,
		    s != NULL ? strlen(s) : 0);
		cx_item_set(&it->name, cx_jstr(fc, "name"));
	}
}

/* A tool's (or an old function's) result. */
static void
add_result(struct cx_turn *t, const cJSON *msg)
{
	const char *id = cx_jstr(msg, "tool_call_id"), *name;
	size_t at = add_content(&t->input, CX_ITEM_TOOL_RESULT, CX_ROLE_TOOL,
	    cx_jget(msg, "content"));
	struct cx_item *it;

	if (at == NO_ITEM) {
		cx_items_add(&t->input, CX_ITEM_TOOL_RESULT, CX_ROLE_TOOL,
		    "", 0);
		at = t->input.n - 1;
	}
	it = &t->input.v[at];
	cx_item_set(&it->call_id, id);
	if ((name = call_name(&t->input, id)) == NULL)
		name = cx_jstr(msg, "name");       /* role function */
	cx_item_set(&it->name, name);
	if (id != NULL && call_name(&t->input, id) == NULL &&
	    strcmp(cx_jstr(msg, "role"), "tool") == 0) {
		char *why = xasprintf("no earlier tool call %s in this request",
		    id);

		cx_item_set(&it->note, why);
		free(why);
	} else if (id == NULL && strcmp(cx_jstr(msg, "role"), "tool") == 0)
		cx_item_set(&it->note, "a tool result without tool_call_id");
}

static void
add_message(struct cx_turn *t, const cJSON *msg)
{
	const char *r = cx_jstr(msg, "role");
	enum cx_role role = cx_role_of(r, CX_ROLE_NONE);
	char *why;

	switch (role) {
	case CX_ROLE_SYSTEM:
	case CX_ROLE_DEVELOPER:
		add_content(&t->instructions, CX_ITEM_TEXT, role,
		    cx_jget(msg, "content"));
		return;
	case CX_ROLE_USER:
		add_content(&t->input, CX_ITEM_TEXT, role,
		    cx_jget(msg, "content"));
		return;
	case CX_ROLE_ASSISTANT:
		add_assistant(&t->input, msg);
		return;
	case CX_ROLE_TOOL:
		add_result(t, msg);
		return;
	case CX_ROLE_NONE:
		break;
	}
	why = r != NULL ? xasprintf("a message of role %s", r) :
	    xstrdup("a message without a role");
	cx_items_add_raw(&t->input, CX_ROLE_NONE, msg, why);
	free(why);
}

static void
add_tool(struct cx_turn *t, const cJSON *tool)
{
	const char *type = cx_jstr(tool, "type");
	const cJSON *fn = cx_jget(tool, "function");
	char *schema;

	if (!cJSON_IsObject(fn))
		fn = cx_jget(tool, "custom");
	if (!cJSON_IsObject(fn) && cx_jstr(tool, "name") != NULL)
		fn = tool;                      /* `functions`: no wrapper */
	if (!cJSON_IsObject(fn) || cx_jstr(fn, "name") == NULL) {
		/* a built-in or unknown kind: its type as the name, raw */
		schema = cx_jtext(tool);
		cx_turn_tool(t, type != NULL ? type : "?", NULL, schema);
		free(schema);
		return;
	}
	const cJSON *sch = cx_jget(fn, "parameters") != NULL ?
	    cx_jget(fn, "parameters") : cx_jget(fn, "format");
	schema = sch != NULL ? cx_jtext(sch) : NULL;
	cx_turn_tool(t, cx_jstr(fn, "name"), cx_jstr(fn, "description"), schema);
	free(schema);
}

static void
request(struct cx_turn *t, const cJSON *body)
{
	const cJSON *v;
	const char *key = cx_jstr(body, "prompt_cache_key");

	cx_item_set(&t->model, cx_jstr(body, "model"));
	/* the agent's key for its conversation, if it sends one */
	if (key == NULL)
		key = cx_fields_get(&t->ex->req.fields, "session_id");
	cx_item_set(&t->session, key);
	v = cx_jget(body, "messages");
	if (!cJSON_IsArray(v))
		cx_turn_note(t, "the request has no messages array");
	cJSON_ArrayForEach(v, cx_jarr(body, "messages"))
		add_message(t, v);
	cJSON_ArrayForEach(v, cx_jarr(body, "tools"))
		add_tool(t, v);
	cJSON_ArrayForEach(v, cx_jarr(body, "functions"))
		add_tool(t, v);
}

/* --- the response --------------------------------------------------------- */

static void
usage(struct cx_usage *u, const cJSON *o)
{
	if (!cJSON_IsObject(o))
		return;
	u->input = cx_jcount(o, "prompt_tokens");
	u->cached = cx_jcount(cx_jget(o, "prompt_tokens_details"), "cached_tokens");
	u->output = cx_jcount(o, "completion_tokens");
	u->reasoning = cx_jcount(cx_jget(o, "completion_tokens_details"),
	    "reasoning_tokens");
	u->api_total = cx_jcount(o, "total_tokens");
}

/* The API's error object (or string): what it says (malloc'd). */
static char *
error_text(const cJSON *err)
{
	const char *m = cJSON_IsString(err) ? err->valuestring :
	    cx_jstr(err, "message");
	char *s = m != NULL ? xstrdup(m) : cx_jtext(err);

	return s != NULL ? s : xstrdup("");
}

/* The error: t->error (the first) and an item in l. */
static void
api_error(struct cx_turn *t, struct cx_items *l, const cJSON *err)
{
	char *s = error_text(err);

	cx_items_add(l, CX_ITEM_ERROR, CX_ROLE_NONE, s, strlen(s));
	if (t->error == NULL)
		t->error = s;
	else
		free(s);
}

/* A non-streamed answer: one chat.completion object. */
static void
plain(struct cx_turn *t, const struct cx_msg *m)
{
	const char *why;
	cJSON *body = cx_conv_body_json(m, &why);
	const cJSON *choices, *c;
	size_t i = 0, before;

	if (body == NULL) {
		if (m->body_bytes > 0 || m->body.len > 0)
			cx_items_add_body(&t->output, CX_ROLE_NONE, m, why);
		else
			cx_turn_note(t, "the response has %s", why);
		return;
	}
	cx_item_set(&t->response_id, cx_jstr(body, "id"));
	cx_item_set(&t->model_answered, cx_jstr(body, "model"));
	usage(&t->usage, cx_jget(body, "usage"));
	if (cx_jget(body, "error") != NULL && !cJSON_IsNull(cx_jget(body, "error")))
		api_error(t, &t->output, cx_jget(body, "error"));
	choices = cx_jget(body, "choices");
	before = t->output.n;
	cJSON_ArrayForEach(c, cx_jarr(body, "choices")) {
		if (i++ > 0) {
			cx_items_add_raw(&t->output, CX_ROLE_ASSISTANT, c, "a choice "
			    "other than the first");
			continue;
		}
		cx_item_set(&t->stop_reason, cx_jstr(c, "finish_reason"));
		if (cJSON_IsObject(cx_jget(c, "message")))
			add_assistant(&t->output, cx_jget(c, "message"));
		else
			cx_items_add_raw(&t->output, CX_ROLE_ASSISTANT, c, "a choice "
			    "without a message");
	}
	if (!cJSON_IsArray(choices) && cx_jget(body, "error") == NULL)
		cx_items_add_raw(&t->output, CX_ROLE_NONE, body, "an answer of unknown "
		    "shape");
	if (t->output.n > before) {     /* the whole answer came at once */
		t->t_first_token = m->t_first;
		t->t_last_token = m->t_last;
	}
	cJSON_Delete(body);
}

/*
 * A streamed answer's pieces, in the order they first came: text,
 * reasoning, refusal, each tool call (by its index), errors, and chunks
 * kept raw.
 */
enum piece_kind {
	P_TEXT, P_REASONING, P_REFUSAL, P_CALL, P_ERROR, P_OTHER
};

struct piece {
	enum piece_kind  kind;
	long             index;         /* P_CALL: the delta's index */
	struct cx_buf    text;
	char            *id;
	char            *name;
	char            *note;          /* P_OTHER */
};

struct pieces {
	struct piece    *v;
	size_t           n;
	size_t           cap;
};

static struct piece *
piece_new(struct pieces *ps, enum piece_kind kind, long index)
{
	struct piece *p;

	if (ps->n == ps->cap) {
		ps->cap = ps->cap ? 2 * ps->cap : 8;
		ps->v = xreallocarray(ps->v, ps->cap, sizeof(*ps->v));
	}
	p = &ps->v[ps->n++];
	memset(p, 0, sizeof(*p));
	p->kind = kind;
	p->index = index;
	cx_buf_init(&p->text, 0);
	return p;
}

/* The piece of kind (and index) so far, else a new one. */
static struct piece *
piece(struct pieces *ps, enum piece_kind kind, long index)
{
	for (size_t i = 0; i < ps->n; i++)
		if (ps->v[i].kind == kind && ps->v[i].index == index)
			return &ps->v[i];
	return piece_new(ps, kind, index);
}

static void
piece_raw(struct pieces *ps, const char *s, size_t n, const char *why)
{
	struct piece *p = piece_new(ps, P_OTHER, 0);

	if (s != NULL)
		cx_buf_add(&p->text, s, n);
	p->note = xstrdup(why);
}

static void
pieces_free(struct pieces *ps)
{
	for (size_t i = 0; i < ps->n; i++) {
		free(ps->v[i].text.p);
		free(ps->v[i].id);
		free(ps->v[i].name);
		free(ps->v[i].note);
	}
	free(ps->v);
}

/* The pieces as the turn's output items. */
static void
pieces_out(struct cx_turn *t, const struct pieces *ps)
{
	static const enum cx_item_kind kinds[] = {
		[P_TEXT] = CX_ITEM_TEXT,
		[P_REASONING] = CX_ITEM_REASONING,
		[P_REFUSAL] = CX_ITEM_REFUSAL,
		[P_CALL] = CX_ITEM_TOOL_CALL,
		[P_ERROR] = CX_ITEM_ERROR,
		[P_OTHER] = CX_ITEM_OTHER,
	};

	for (size_t i = 0; i < ps->n; i++) {
		const struct piece *p = &ps->v[i];
		struct cx_item *it = cx_items_add(&t->output, kinds[p->kind],
		    p->kind >= P_ERROR ? CX_ROLE_NONE : CX_ROLE_ASSISTANT,
		    p->text.p != NULL ? (const char *)p->text.p : "",
		    p->text.len);

		cx_item_set(&it->call_id, p->id);
		cx_item_set(&it->name, p->name);
		cx_item_set(&it->note, p->note);
		if (p->kind == P_CALL && p->name == NULL)
			cx_item_set(&it->note, "a tool call whose deltas "
			    "named no function");
	}
}

/* A string value worth appending (present, not empty). */
static const char *
piece_str(const cJSON *o, const char *key)
{
	const char *s = cx_jstr(o, key);

	return s != NULL && *s != '\0' ? s : NULL;
}

/* One tool_calls delta (or an old function_call one, index -1). */
static void
call_delta(struct pieces *ps, const cJSON *d, long index)
{
	const cJSON *fn = cx_jget(d, "function");
	struct piece *p = piece(ps, P_CALL, index);
	const char *s;

	if (!cJSON_IsObject(fn))
		fn = d;                         /* function_call */
	if ((s = piece_str(d, "id")) != NULL && p->id == NULL)
		p->id = xstrdup(s);
	if ((s = piece_str(fn, "name")) != NULL) {
		if (p->name == NULL)
			p->name = xstrdup(s);
		else if (strcmp(p->name, s) != 0) {
			char *n = xasprintf("%s%s", p->name, s);

			free(p->name);
			p->name = n;
		}
	}
	if ((s = cx_jstr(fn, "arguments")) != NULL)
		cx_buf_adds(&p->text, s);
}

/* The delta keys read here, or carrying nothing of the conversation. */
static int
delta_key_known(const char *k)
{
	static const char *const known[] = {
		"role", "content", "refusal", "tool_calls", "function_call",
		"reasoning_content", "reasoning", "reasoning_details",
		"annotations",
	};

	for (size_t i = 0; i < sizeof(known) / sizeof(*known); i++)
		if (strcmp(k, known[i]) == 0)
			return 1;
	return 0;
}

/* choices[0].delta; 1 if it carried output (text, a call, reasoning). */
static int
delta(struct pieces *ps, const cJSON *d)
{
	const cJSON *calls = cx_jarr(d, "tool_calls"), *c, *k;
	const char *s;
	long pos = 0;
	int out = 0;

	if ((s = piece_str(d, "reasoning_content")) != NULL ||
	    (s = piece_str(d, "reasoning")) != NULL) {
		cx_buf_adds(&piece(ps, P_REASONING, 0)->text, s);
		out = 1;
	}
	if ((s = piece_str(d, "content")) != NULL) {
		cx_buf_adds(&piece(ps, P_TEXT, 0)->text, s);
		out = 1;
	}
	cJSON_ArrayForEach(c, cx_jarr(d, "content"))
		if ((s = piece_str(c, "text")) != NULL) {  /* parts */
			cx_buf_adds(&piece(ps, P_TEXT, 0)->text, s);
			out = 1;
		}
	if ((s = piece_str(d, "refusal")) != NULL) {
		cx_buf_adds(&piece(ps, P_REFUSAL, 0)->text, s);
		out = 1;
	}
	cJSON_ArrayForEach(c, calls) {
		const cJSON *ix = cx_jget(c, "index");
		long index = cx_conv_index(ix) >= 0 ? cx_conv_index(ix) : pos;

		call_delta(ps, c, index);
		pos++;
		out = 1;
	}
	if (cJSON_IsObject(cx_jget(d, "function_call"))) {
		call_delta(ps, cx_jget(d, "function_call"), -1);
		out = 1;
	}
	cJSON_ArrayForEach(k, d)
		if (!delta_key_known(k->string) && !cJSON_IsNull(k)) {
			char *raw = cx_jtext(d), *why = xasprintf("a delta with "
			    "%s", k->string);

			piece_raw(ps, raw, raw != NULL ? strlen(raw) : 0, why);
			free(raw);
			free(why);
			break;
		}
	return out;
}

/* One `data:` chunk; 1 if it carried output. */
static int
chunk(struct cx_turn *t, struct pieces *ps, const cJSON *o, int *other_choices)
{
	const cJSON *choices = cx_jget(o, "choices"), *c, *u = cx_jget(o, "usage");
	const cJSON *err = cx_jget(o, "error");
	int out = 0, known = 0;

	if (t->response_id == NULL)
		cx_item_set(&t->response_id, cx_jstr(o, "id"));
	if (t->model_answered == NULL)
		cx_item_set(&t->model_answered, cx_jstr(o, "model"));
	if (cJSON_IsObject(u)) {
		usage(&t->usage, u);
		known = 1;
	}
	if (err != NULL && !cJSON_IsNull(err)) {
		char *m = error_text(err);

		cx_buf_adds(&piece_new(ps, P_ERROR, 0)->text, m);
		if (t->error == NULL)
			t->error = m;
		else
			free(m);
		known = 1;
	}
	if (cJSON_IsArray(choices))
		known = 1;
	cJSON_ArrayForEach(c, cx_jarr(o, "choices")) {
		const cJSON *ix = cx_jget(c, "index");
		const char *fin = cx_jstr(c, "finish_reason");

		if (cJSON_IsNumber(ix) && ix->valuedouble != 0) {
			(*other_choices)++;
			continue;
		}
		if (fin != NULL)
			cx_item_set(&t->stop_reason, fin);
		if (cJSON_IsObject(cx_jget(c, "delta")))
			out |= delta(ps, cx_jget(c, "delta"));
		else if (cx_jget(c, "delta") != NULL) {
			char *raw = cx_jtext(c);

			piece_raw(ps, raw, raw != NULL ? strlen(raw) : 0,
			    "a choice whose delta is not an object");
			free(raw);
		}
	}
	if (!known) {
		char *raw = cx_jtext(o);

		piece_raw(ps, raw, raw != NULL ? strlen(raw) : 0,
		    "a chunk of unknown shape");
		free(raw);
	}
	return out;
}

/* Is this event's data the stream's end, `[DONE]`? */
static int
is_done(const struct cx_event *e)
{
	size_t n = e->data_len;
	const char *d = e->data;

	while (n > 0 && (d[n - 1] == ' ' || d[n - 1] == '\n' ||
	    d[n - 1] == '\r'))
		n--;
	while (n > 0 && *d == ' ')
		d++, n--;
	return n == 6 && memcmp(d, "[DONE]", 6) == 0;
}

static void
streamed(struct cx_turn *t, const struct cx_msg *m, int include_usage)
{
	struct pieces ps;
	int done = 0, other_choices = 0, got_usage = 0, after = 0;

	memset(&ps, 0, sizeof(ps));
	t->streamed = 1;
	for (size_t i = 0; i < m->nevents; i++) {
		const struct cx_event *e = &m->events[i];
		cJSON *o;

		if (is_done(e)) {
			done = 1;
			continue;
		}
		if (e->data_len == 0)
			continue;
		o = cJSON_ParseWithLength(e->data, e->data_len);
		if (o == NULL) {
			piece_raw(&ps, e->data, e->data_len, e->partial ?
			    "a chunk cut short" : "a chunk that is not JSON");
			continue;
		}
		if (done && after++ == 0)
			cx_turn_note(t, "chunks after [DONE]");
		if (cJSON_IsObject(cx_jget(o, "usage")))
			got_usage = 1;
		if (chunk(t, &ps, o, &other_choices)) {
			if (t->t_first_token == 0)
				t->t_first_token = e->ts;
			t->t_last_token = e->ts;
		}
		cJSON_Delete(o);
	}
	pieces_out(t, &ps);
	pieces_free(&ps);
	if (other_choices > 0)
		cx_turn_note(t, "%d deltas of choices other than the first "
		    "not shown", other_choices);
	if (m->events_cut)
		cx_turn_note(t, "events were dropped at the size cap");
	if (m->sse_error != NULL)
		cx_turn_note(t, "the stream could not be decoded: %s",
		    m->sse_error);
	if (!done)
		cx_turn_note(t, "the stream ended without [DONE]");
	if (include_usage && !got_usage)
		cx_turn_note(t, "no usage chunk");
}

/* --- turns ----------------------------------------------------------------- */

static size_t
turns(const struct cx_exchange *ex, cx_turn_fn fn, void *arg)
{
	struct cx_turn t;
	const char *why;
	cJSON *body;
	int include_usage = 0;

	cx_turn_init(&t, ex, API);
	body = cx_conv_body_json(&ex->req, &why);
	if (body != NULL) {
		request(&t, body);
		include_usage = cJSON_IsTrue(cx_jget(cx_jget(body, "stream_options"),
		    "include_usage"));
	} else if (ex->req.body_bytes > 0 || ex->req.body.len > 0)
		cx_items_add_body(&t.input, CX_ROLE_NONE, &ex->req, why);
	else
		cx_turn_note(&t, "the request has %s", why);
	cJSON_Delete(body);
	if (!ex->has_resp)
		cx_turn_note(&t, "no response");
	else if (ex->resp.sse)
		streamed(&t, &ex->resp, include_usage);
	else
		plain(&t, &ex->resp);
	if (ex->has_resp && ex->resp.status >= 400 && t.error == NULL) {
		char *s = xasprintf("HTTP %d%s%s", ex->resp.status,
		    ex->resp.reason != NULL ? " " : "",
		    ex->resp.reason != NULL ? ex->resp.reason : "");

		t.error = s;
	}
	fn(arg, &t);
	cx_turn_free(&t);
	return 1;
}

const struct cx_api cx_api_chat = {
	.name = "chat",
	.title = "OpenAI Chat Completions",
	.claims = claims,
	.turns = turns,
};
