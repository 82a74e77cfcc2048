/*
 * conv_responses_request.c: the OpenAI Responses API's request (see
 * conv_responses.c): its session, model, instructions, tools and input
 * items; and the item model itself (messages, tool calls and their
 * results, reasoning), which the response's output items share.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cJSON.h>

#include "bytebuf.h"
#include "conv.h"
#include "conv_responses_int.h"
#include "view.h"
#include "xmalloc.h"

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
void
responses_add_item(struct cx_turn *t, struct cx_items *l,
    const cJSON *item, enum cx_role dflt)
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

void
responses_request(struct cx_turn *t, const cJSON *body,
    const struct cx_fields *h)
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
			responses_add_item(t, &t->input, item, CX_ROLE_USER);
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
void
responses_request_raw(struct cx_turn *t, const struct cx_msg *m,
    const char *why)
{
	struct cx_view v;
	struct cx_item *it;

	cx_view_body(&v, m);
	it = cx_items_add(&t->input, CX_ITEM_OTHER, CX_ROLE_USER,
	    (const char *)v.p, v.p != NULL ? v.n : 0);
	cx_item_set(&it->note, why);
	cx_view_free(&v);
}
