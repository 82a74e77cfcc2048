/*
 * conv_anthropic.c: the Anthropic Messages API (POST .../v1/messages,
 * Claude Code's ?beta=true too) in the conversation model (conv.h).
 *
 * Request: `system` (a string or text blocks) -> instructions; `messages`
 * -> input, block by block: text, tool_use (a call, its input as JSON
 * text), tool_result (named after the tool_use it answers, when the
 * request holds it), thinking / redacted_thinking (reasoning), server
 * tools' calls and results, anything else (image, document, ...) kept
 * raw.  A message whose role is "system" inside `messages` (Claude Code
 * 2.1.332 sends one after the first user message) stays where it is, in
 * input, as text with CX_ROLE_SYSTEM.  `tools` -> tools (a server tool,
 * one with a `type`, says its type in the description).
 *
 * Response: the message (non-streamed) or its events, assembled block by
 * block (by index) into the same items.  Usage, per conv.h: input =
 * input_tokens + cache_read_input_tokens + cache_creation_input_tokens,
 * cached = cache_read, cache_write = cache_creation (of it, cache_write_1h =
 * cache_creation.ephemeral_1h_input_tokens), output =
 * output_tokens (message_delta's, the final count, overrides
 * message_start's), reasoning = output_tokens_details.thinking_tokens
 * when sent; Anthropic sends no total.
 */
#include <stdlib.h>
#include <string.h>

#include <cJSON.h>

#include "bytebuf.h"
#include "conv.h"
#include "view.h"
#include "xmalloc.h"

#define API     "anthropic"

/* --- claims ----------------------------------------------------------- */

static int
claims(const struct cx_exchange *ex)
{
	const char *t = ex->req.target, *q;
	size_t n;
	static const char suffix[] = "/v1/messages";

	if (ex->req.method == NULL || t == NULL ||
	    strcmp(ex->req.method, "POST") != 0)
		return 0;
	q = strpbrk(t, "?#");
	n = q != NULL ? (size_t)(q - t) : strlen(t);
	while (n > 1 && t[n - 1] == '/')
		n--;
	return n >= sizeof(suffix) - 1 &&
	    memcmp(t + n - (sizeof(suffix) - 1), suffix, sizeof(suffix) - 1) == 0;
}

/* --- small JSON helpers ------------------------------------------------- */




static struct cx_item *
add_str(struct cx_items *l, enum cx_item_kind kind, enum cx_role role,
    const char *s)
{
	return cx_items_add(l, kind, role, s, s != NULL ? strlen(s) : 0);
}


/* --- usage --------------------------------------------------------------- */

/* Anthropic's own counts, -1 where not (yet) sent. */
struct ausage {
	int64_t in, cache_read, cache_write, write_1h, out, thinking;
};

static void
ausage_init(struct ausage *a)
{
	a->in = a->cache_read = a->cache_write = a->write_1h = -1;
	a->out = a->thinking = -1;
}

/* What u says overrides what a had, field by field. */
static void
ausage_merge(struct ausage *a, const cJSON *u)
{
	const cJSON *d;
	int64_t v;

	if (!cJSON_IsObject(u))
		return;
	if ((v = cx_jcount(u, "input_tokens")) >= 0)
		a->in = v;
	if ((v = cx_jcount(u, "cache_read_input_tokens")) >= 0)
		a->cache_read = v;
	if ((v = cx_jcount(u, "cache_creation_input_tokens")) >= 0)
		a->cache_write = v;
	d = cJSON_GetObjectItemCaseSensitive(u, "cache_creation");
	if (cJSON_IsObject(d) &&
	    (v = cx_jcount(d, "ephemeral_1h_input_tokens")) >= 0)
		a->write_1h = v;
	if ((v = cx_jcount(u, "output_tokens")) >= 0)
		a->out = v;
	d = cJSON_GetObjectItemCaseSensitive(u, "output_tokens_details");
	if (cJSON_IsObject(d) && (v = cx_jcount(d, "thinking_tokens")) >= 0)
		a->thinking = v;
}

static void
ausage_to(const struct ausage *a, struct cx_usage *u)
{
	cx_usage_init(u);
	if (a->in >= 0 || a->cache_read >= 0 || a->cache_write >= 0)
		u->input = (a->in > 0 ? a->in : 0) +
		    (a->cache_read > 0 ? a->cache_read : 0) +
		    (a->cache_write > 0 ? a->cache_write : 0);
	u->cached = a->cache_read;
	u->cache_write = a->cache_write;
	u->cache_write_1h = a->write_1h;
	u->output = a->out;
	u->reasoning = a->thinking;
}

/* --- content blocks ------------------------------------------------------ */

/* The tool_use ids and names of the request, to name the results. */
struct calls {
	const char     **id;
	const char     **name;
	size_t           n;
};

static const char *
calls_name(const struct calls *c, const char *id, int *found)
{
	*found = 0;
	if (id == NULL)
		return NULL;
	for (size_t i = c->n; i-- > 0;)
		if (strcmp(c->id[i], id) == 0) {
			*found = 1;
			return c->name[i];
		}
	return NULL;
}

static void
calls_add(struct calls *c, const char *id, const char *name)
{
	if (id == NULL)
		return;
	c->id = xreallocarray(c->id, c->n + 1, sizeof(*c->id));
	c->name = xreallocarray(c->name, c->n + 1, sizeof(*c->name));
	c->id[c->n] = id;
	c->name[c->n++] = name;
}

static void
calls_free(struct calls *c)
{
	free(c->id);
	free(c->name);
}

static int
ends_with(const char *s, const char *suffix)
{
	size_t n = strlen(s), m = strlen(suffix);

	return n >= m && strcmp(s + n - m, suffix) == 0;
}

/* A tool_result's content: a string, or its text blocks joined with "\n";
 * other blocks (images) become OTHER items after it. */
static void
add_tool_result(struct cx_items *l, const cJSON *b, const struct calls *c,
    struct cx_items *extra)
{
	const cJSON *content = cJSON_GetObjectItemCaseSensitive(b, "content");
	const char *id = cx_jstr(b, "tool_use_id"), *name;
	struct cx_buf text = { 0 };
	struct cx_item *it;
	const cJSON *p;
	int found, first = 1;
	char *s;

	if (cJSON_IsString(content))
		cx_buf_adds(&text, content->valuestring);
	else if (cJSON_IsArray(content)) {
		cJSON_ArrayForEach(p, content) {
			const char *ty = cx_jstr(p, "type"), *tx = cx_jstr(p, "text");
			struct cx_item *o;

			if (ty != NULL && strcmp(ty, "text") == 0 && tx != NULL) {
				if (!first)
					cx_buf_addc(&text, '\n');
				cx_buf_adds(&text, tx);
				first = 0;
				continue;
			}
			o = cx_items_add_json(extra, CX_ITEM_OTHER, CX_ROLE_TOOL, p);
			cx_item_set(&o->call_id, id);
			s = xasprintf("a %s block in the result of %s",
			    ty != NULL ? ty : "typeless", id != NULL ? id : "?");
			o->note = s;
		}
	} else if (content != NULL && !cJSON_IsNull(content)) {
		s = cJSON_PrintUnformatted(content);
		cx_buf_adds(&text, s != NULL ? s : "");
		free(s);
	}
	it = cx_items_add(l, CX_ITEM_TOOL_RESULT, CX_ROLE_TOOL,
	    text.p != NULL ? (const char *)text.p : "", text.len);
	cx_buf_free(&text);
	cx_item_set(&it->call_id, id);
	name = calls_name(c, id, &found);
	cx_item_set(&it->name, name);
	if (cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(b, "is_error")))
		it->note = xstrdup("is_error: the tool failed");
	if (!found) {
		s = xasprintf("%s%sno tool_use %s earlier in the request",
		    it->note != NULL ? it->note : "", it->note != NULL ? "; " : "",
		    id != NULL ? id : "(no tool_use_id)");
		free(it->note);
		it->note = s;
	}
}

/*
 * One content block of a message (request or response) as items of l in
 * role's voice.  c collects tool_use ids (NULL: not needed).
 */
static void
add_block(struct cx_items *l, enum cx_role role, const cJSON *b,
    struct calls *c)
{
	const char *ty = cx_jstr(b, "type");
	struct cx_item *it;

	if (ty == NULL) {
		it = cx_items_add_json(l, CX_ITEM_OTHER, role, b);
		cx_item_set(&it->note, cJSON_IsObject(b) ?
		    "a content block without a type" : "a content block that is not an object");
		return;
	}
	if (strcmp(ty, "text") == 0 && cx_jstr(b, "text") != NULL) {
		add_str(l, CX_ITEM_TEXT, role, cx_jstr(b, "text"));
	} else if ((strcmp(ty, "tool_use") == 0 ||
	    strcmp(ty, "server_tool_use") == 0 ||
	    strcmp(ty, "mcp_tool_use") == 0) && cx_jstr(b, "id") != NULL) {
		const cJSON *in = cJSON_GetObjectItemCaseSensitive(b, "input");

		it = cx_items_add_json(l, CX_ITEM_TOOL_CALL, role, in);
		cx_item_set(&it->call_id, cx_jstr(b, "id"));
		cx_item_set(&it->name, cx_jstr(b, "name"));
		if (strcmp(ty, "tool_use") != 0)
			it->note = xasprintf("%s: run by the API", ty);
		if (c != NULL)
			calls_add(c, cx_jstr(b, "id"), cx_jstr(b, "name"));
	} else if (strcmp(ty, "tool_result") == 0) {
		struct cx_items extra = { 0 };

		add_tool_result(l, b, c != NULL ? c : &(struct calls){ 0 },
		    &extra);
		for (size_t i = 0; i < extra.n; i++) {
			/* moved over: l takes the strings */
			struct cx_item *e = cx_items_add(l, extra.v[i].kind,
			    extra.v[i].role, extra.v[i].text, extra.v[i].len);

			cx_item_set(&e->call_id, extra.v[i].call_id);
			cx_item_set(&e->note, extra.v[i].note);
		}
		cx_items_free(&extra);
	} else if (ends_with(ty, "_tool_result") && cx_jstr(b, "tool_use_id") != NULL) {
		/* web_search_tool_result and the like: the API's own tools */
		int found;

		it = cx_items_add_json(l, CX_ITEM_TOOL_RESULT, CX_ROLE_TOOL,
		    cJSON_GetObjectItemCaseSensitive(b, "content"));
		cx_item_set(&it->call_id, cx_jstr(b, "tool_use_id"));
		if (c != NULL)
			cx_item_set(&it->name, calls_name(c, it->call_id, &found));
		it->note = xasprintf("%s: the API's own tool", ty);
	} else if (strcmp(ty, "thinking") == 0) {
		const char *th = cx_jstr(b, "thinking");

		it = add_str(l, CX_ITEM_REASONING, role, th);
		it->hidden = th == NULL || th[0] == '\0';
	} else if (strcmp(ty, "redacted_thinking") == 0) {
		it = add_str(l, CX_ITEM_REASONING, role, "");
		it->hidden = 1;
	} else {
		/* image, document, search_result, container_upload, ... */
		it = cx_items_add_json(l, CX_ITEM_OTHER, role, b);
		it->note = xasprintf("a %s block", ty);
	}
}

static enum cx_role
role_of(const char *r)
{
	if (r == NULL)
		return CX_ROLE_NONE;
	if (strcmp(r, "user") == 0)
		return CX_ROLE_USER;
	if (strcmp(r, "assistant") == 0)
		return CX_ROLE_ASSISTANT;
	if (strcmp(r, "system") == 0)
		return CX_ROLE_SYSTEM;
	return CX_ROLE_NONE;
}

/* --- the request ---------------------------------------------------------- */

static void
session_of(struct cx_turn *t, const cJSON *body)
{
	const char *s = cx_fields_get(&t->ex->req.fields,
	    "X-Claude-Code-Session-Id");
	const cJSON *md;
	const char *uid, *p;
	cJSON *u;

	if (s != NULL && s[0] != '\0') {
		cx_item_set(&t->session, s);
		return;
	}
	/* Claude Code's metadata.user_id: JSON with a session_id (2.1),
	 * or user_..._account_..._session_<uuid> (before). */
	md = cJSON_GetObjectItemCaseSensitive(body, "metadata");
	if ((uid = cx_jstr(md, "user_id")) == NULL)
		return;
	if ((u = cJSON_Parse(uid)) != NULL) {
		if ((s = cx_jstr(u, "session_id")) != NULL && s[0] != '\0')
			cx_item_set(&t->session, s);
		cJSON_Delete(u);
	} else if ((p = strstr(uid, "_session_")) != NULL && p[9] != '\0')
		cx_item_set(&t->session, p + 9);
}

static void
request(struct cx_turn *t, const cJSON *body)
{
	const cJSON *sys = cJSON_GetObjectItemCaseSensitive(body, "system");
	const cJSON *msgs = cJSON_GetObjectItemCaseSensitive(body, "messages");
	const cJSON *tools = cJSON_GetObjectItemCaseSensitive(body, "tools");
	const cJSON *m, *b;
	struct calls calls = { 0 };
	struct cx_item *it;

	cx_item_set(&t->model, cx_jstr(body, "model"));
	session_of(t, body);
	if (cJSON_IsString(sys))
		add_str(&t->instructions, CX_ITEM_TEXT, CX_ROLE_SYSTEM,
		    sys->valuestring);
	else if (cJSON_IsArray(sys))
		cJSON_ArrayForEach(b, sys)
			add_block(&t->instructions, CX_ROLE_SYSTEM, b, NULL);
	else if (sys != NULL) {
		it = cx_items_add_json(&t->instructions, CX_ITEM_OTHER, CX_ROLE_SYSTEM,
		    sys);
		cx_item_set(&it->note, "system is neither a string nor blocks");
	}

	if (msgs != NULL && !cJSON_IsArray(msgs)) {
		it = cx_items_add_json(&t->input, CX_ITEM_OTHER, CX_ROLE_NONE, msgs);
		cx_item_set(&it->note, "messages is not an array");
	}
	cJSON_ArrayForEach(m, (cJSON_IsArray(msgs) ? msgs : NULL)) {
		const cJSON *content = cJSON_GetObjectItemCaseSensitive(m,
		    "content");
		const char *rs = cx_jstr(m, "role");
		enum cx_role role = role_of(rs);
		size_t first = t->input.n;

		if (cJSON_IsString(content))
			add_str(&t->input, CX_ITEM_TEXT, role,
			    content->valuestring);
		else if (cJSON_IsArray(content))
			cJSON_ArrayForEach(b, content)
				add_block(&t->input, role, b, &calls);
		else {
			it = cx_items_add_json(&t->input, CX_ITEM_OTHER, role, m);
			cx_item_set(&it->note, "a message without content");
		}
		if (role == CX_ROLE_NONE)
			for (size_t i = first; i < t->input.n; i++)
				if (t->input.v[i].note == NULL)
					t->input.v[i].note = xasprintf(
					    "a message of role %s",
					    rs != NULL ? rs : "(none)");
	}
	calls_free(&calls);

	cJSON_ArrayForEach(b, (cJSON_IsArray(tools) ? tools : NULL)) {
		const char *ty = cx_jstr(b, "type"), *desc = cx_jstr(b, "description");
		const cJSON *sch = cJSON_GetObjectItemCaseSensitive(b,
		    "input_schema");
		char *s, *d = NULL;

		if (ty != NULL && strcmp(ty, "custom") != 0) {
			/* a server tool: web_search_20250305, bash_20250124... */
			d = desc != NULL ? xasprintf("(%s) %s", ty, desc) :
			    xasprintf("(%s)", ty);
			s = cJSON_PrintUnformatted(sch != NULL ? sch : b);
		} else
			s = sch != NULL ? cJSON_PrintUnformatted(sch) : NULL;
		cx_turn_tool(t, cx_jstr(b, "name"), d != NULL ? d : desc, s);
		free(d);
		free(s);
	}
}

/* --- the response ----------------------------------------------------------- */

static void
set_error(struct cx_turn *t, const cJSON *o)
{
	const cJSON *e = cJSON_GetObjectItemCaseSensitive(o, "error");
	const char *ty = cx_jstr(e, "type"), *msg = cx_jstr(e, "message");
	char *s;

	if (ty == NULL && msg == NULL) {
		s = cJSON_PrintUnformatted(e != NULL ? e : o);
		if (s == NULL)
			return;
	} else
		s = xasprintf("%s%s%s", ty != NULL ? ty : "",
		    ty != NULL && msg != NULL ? ": " : "", msg != NULL ? msg : "");
	if (t->error != NULL) {
		char *j = xasprintf("%s; %s", t->error, s);

		free(s);
		s = j;
	}
	free(t->error);
	t->error = s;
}

static void
message_head(struct cx_turn *t, const cJSON *msg, struct ausage *au)
{
	const char *sr = cx_jstr(msg, "stop_reason");

	cx_item_set(&t->response_id, cx_jstr(msg, "id"));
	cx_item_set(&t->model_answered, cx_jstr(msg, "model"));
	if (sr != NULL)
		cx_item_set(&t->stop_reason, sr);
	ausage_merge(au, cJSON_GetObjectItemCaseSensitive(msg, "usage"));
}

static void
response_body(struct cx_turn *t)
{
	const struct cx_msg *r = &t->ex->resp;
	const char *why, *ty;
	struct ausage au;
	const cJSON *b;
	cJSON *o;

	ausage_init(&au);
	if ((o = cx_conv_body_json(r, &why)) == NULL) {
		if (r->body_bytes > 0 || r->body.len > 0)
			cx_items_add_body(&t->output, CX_ROLE_ASSISTANT, r, why);
		else
			cx_turn_note(t, "the response has %s", why ? why : "no body");
		if (r->status >= 400 && t->error == NULL)
			t->error = xasprintf("HTTP %d", r->status);
		return;
	}
	ty = cx_jstr(o, "type");
	if ((ty != NULL && strcmp(ty, "error") == 0) ||
	    cJSON_GetObjectItemCaseSensitive(o, "error") != NULL)
		set_error(t, o);
	else if (ty != NULL && strcmp(ty, "message") != 0) {
		struct cx_item *it = cx_items_add_json(&t->output, CX_ITEM_OTHER,
		    CX_ROLE_ASSISTANT, o);

		it->note = xasprintf("a response of type %s", ty);
	} else {
		const cJSON *content = cJSON_GetObjectItemCaseSensitive(o,
		    "content");

		message_head(t, o, &au);
		cJSON_ArrayForEach(b, (cJSON_IsArray(content) ? content : NULL))
			add_block(&t->output, CX_ROLE_ASSISTANT, b, NULL);
	}
	if (r->status >= 400 && t->error == NULL)
		t->error = xasprintf("HTTP %d", r->status);
	ausage_to(&au, &t->usage);
	cJSON_Delete(o);
}

/* A content block being streamed. */
struct sblock {
	long             index;
	cJSON           *start;         /* content_block_start's block */
	struct cx_buf    text;          /* text, thinking, or input JSON */
	int              open;
};

struct stream {
	struct cx_turn  *t;
	struct sblock   *b;
	size_t           n;
};

static struct sblock *
sblock_of(struct stream *s, long index, int make)
{
	for (size_t i = s->n; i-- > 0;)
		if (s->b[i].index == index && s->b[i].open)
			return &s->b[i];
	if (!make)
		return NULL;
	s->b = xreallocarray(s->b, s->n + 1, sizeof(*s->b));
	memset(&s->b[s->n], 0, sizeof(*s->b));
	s->b[s->n].index = index;
	s->b[s->n].open = 1;
	return &s->b[s->n++];
}

/* The block's item (it ended, or the stream did), into the output. */
static void
sblock_close(struct stream *s, struct sblock *sb, const char *note)
{
	struct cx_turn *t = s->t;
	const char *ty = cx_jstr(sb->start, "type");
	const char *text = sb->text.p != NULL ? (const char *)sb->text.p : "";
	struct cx_item *it = NULL;

	if (!sb->open)
		return;
	sb->open = 0;
	if (ty == NULL) {
		it = add_str(&t->output, CX_ITEM_OTHER, CX_ROLE_ASSISTANT, text);
		cx_item_set(&it->note, "deltas for a block that never started");
	} else if (strcmp(ty, "text") == 0) {
		it = cx_items_add(&t->output, CX_ITEM_TEXT, CX_ROLE_ASSISTANT,
		    text, sb->text.len);
	} else if (strcmp(ty, "thinking") == 0) {
		it = cx_items_add(&t->output, CX_ITEM_REASONING,
		    CX_ROLE_ASSISTANT, text, sb->text.len);
		it->hidden = sb->text.len == 0;
	} else if (strcmp(ty, "tool_use") == 0 ||
	    strcmp(ty, "server_tool_use") == 0 ||
	    strcmp(ty, "mcp_tool_use") == 0) {
		/* the input's pieces joined, printed as the request's are
		 * (compact), kept as sent when they are not JSON */
		cJSON *in = sb->text.len > 0 ? cJSON_ParseWithLength(text,
		    sb->text.len) : NULL;

		if (sb->text.len > 0 && in == NULL) {
			it = cx_items_add(&t->output, CX_ITEM_TOOL_CALL,
			    CX_ROLE_ASSISTANT, text, sb->text.len);
			cx_item_set(&it->note, "its input is not JSON");
		} else
			it = cx_items_add_json(&t->output, CX_ITEM_TOOL_CALL,
			    CX_ROLE_ASSISTANT, in != NULL ? in :
			    cJSON_GetObjectItemCaseSensitive(sb->start, "input"));
		cJSON_Delete(in);
		cx_item_set(&it->call_id, cx_jstr(sb->start, "id"));
		cx_item_set(&it->name, cx_jstr(sb->start, "name"));
		if (strcmp(ty, "tool_use") != 0)
			it->note = xasprintf("%s: run by the API", ty);
	} else if (sb->text.len == 0) {
		/* redacted_thinking, server tools' results, and blocks
		 * unknown: whole in content_block_start */
		size_t before = t->output.n;

		add_block(&t->output, CX_ROLE_ASSISTANT, sb->start, NULL);
		if (t->output.n > before)
			it = &t->output.v[t->output.n - 1];
	} else {
		it = add_str(&t->output, CX_ITEM_OTHER, CX_ROLE_ASSISTANT, text);
		it->note = xasprintf("a %s block with deltas", ty);
	}
	if (it != NULL && sb->text.cut)
		cx_item_set(&it->note, "cut: too long");
	if (it != NULL && note != NULL) {
		char *j = it->note != NULL ? xasprintf("%s; %s", it->note,
		    note) : xstrdup(note);

		free(it->note);
		it->note = j;
	}
}

static void
unknown_event(struct stream *s, const struct cx_event *ev, const char *why)
{
	struct cx_item *it = cx_items_add(&s->t->output, CX_ITEM_OTHER,
	    CX_ROLE_ASSISTANT, ev->data, ev->data_len);

	it->note = xasprintf("%s (event %s)", why,
	    ev->event != NULL ? ev->event : "?");
}

static void
delta(struct stream *s, const struct cx_event *ev, const cJSON *o)
{
	const cJSON *d = cJSON_GetObjectItemCaseSensitive(o, "delta");
	const cJSON *ix = cJSON_GetObjectItemCaseSensitive(o, "index");
	const char *ty = cx_jstr(d, "type"), *p = NULL;
	struct sblock *sb;

	if (!cJSON_IsNumber(ix) || ty == NULL) {
		unknown_event(s, ev, "a content_block_delta without index or type");
		return;
	}
	if (strcmp(ty, "text_delta") == 0)
		p = cx_jstr(d, "text");
	else if (strcmp(ty, "input_json_delta") == 0)
		p = cx_jstr(d, "partial_json");
	else if (strcmp(ty, "thinking_delta") == 0)
		p = cx_jstr(d, "thinking");
	else if (strcmp(ty, "signature_delta") == 0)
		p = "";
	if (p == NULL) {
		/* citations_delta and kinds not known here */
		unknown_event(s, ev, "a content_block_delta of a kind not known");
		return;
	}
	/* a signature only seals the thinking: nothing to show */
	sb = sblock_of(s, cx_conv_index(ix), 1);
	cx_buf_adds(&sb->text, p);
	if (s->t->t_first_token == 0)
		s->t->t_first_token = ev->ts;
	s->t->t_last_token = ev->ts;
}

static void
one_event(struct stream *s, const struct cx_event *ev, struct ausage *au)
{
	struct cx_turn *t = s->t;
	const cJSON *ix, *d;
	struct sblock *sb;
	const char *ty;
	cJSON *o;

	if ((o = cJSON_ParseWithLength(ev->data, ev->data_len)) == NULL) {
		unknown_event(s, ev, ev->partial ?
		    "an event the stream ended inside" : "event data that is not JSON");
		return;
	}
	if ((ty = cx_jstr(o, "type")) == NULL)
		ty = ev->event != NULL ? ev->event : "";
	ix = cJSON_GetObjectItemCaseSensitive(o, "index");
	if (strcmp(ty, "ping") == 0 || strcmp(ty, "message_stop") == 0) {
		/* nothing to keep */
	} else if (strcmp(ty, "message_start") == 0) {
		message_head(t, cJSON_GetObjectItemCaseSensitive(o, "message"), au);
	} else if (strcmp(ty, "content_block_start") == 0 && cJSON_IsNumber(ix) &&
	    cJSON_IsObject(cJSON_GetObjectItemCaseSensitive(o, "content_block"))) {
		if ((sb = sblock_of(s, cx_conv_index(ix), 0)) != NULL)
			sblock_close(s, sb, "started again before it stopped");
		sb = sblock_of(s, cx_conv_index(ix), 1);
		sb->start = cJSON_DetachItemFromObjectCaseSensitive(o,
		    "content_block");
		/* a text block may come with text already */
		if ((ty = cx_jstr(sb->start, "type")) != NULL &&
		    strcmp(ty, "text") == 0 && cx_jstr(sb->start, "text") != NULL)
			cx_buf_adds(&sb->text, cx_jstr(sb->start, "text"));
		else if (ty != NULL && strcmp(ty, "thinking") == 0 &&
		    cx_jstr(sb->start, "thinking") != NULL)
			cx_buf_adds(&sb->text, cx_jstr(sb->start, "thinking"));
	} else if (strcmp(ty, "content_block_delta") == 0) {
		delta(s, ev, o);
	} else if (strcmp(ty, "content_block_stop") == 0 && cJSON_IsNumber(ix)) {
		if ((sb = sblock_of(s, cx_conv_index(ix), 0)) != NULL)
			sblock_close(s, sb, NULL);
		else
			unknown_event(s, ev, "a content_block_stop for no open block");
	} else if (strcmp(ty, "message_delta") == 0) {
		d = cJSON_GetObjectItemCaseSensitive(o, "delta");
		if (cx_jstr(d, "stop_reason") != NULL)
			cx_item_set(&t->stop_reason, cx_jstr(d, "stop_reason"));
		ausage_merge(au, cJSON_GetObjectItemCaseSensitive(o, "usage"));
	} else if (strcmp(ty, "error") == 0) {
		set_error(t, o);
	} else
		unknown_event(s, ev, "an event of a kind not known");
	cJSON_Delete(o);
}

static void
response_stream(struct cx_turn *t)
{
	const struct cx_msg *r = &t->ex->resp;
	struct stream s = { .t = t };
	struct ausage au;

	ausage_init(&au);
	for (size_t i = 0; i < r->nevents; i++)
		one_event(&s, &r->events[i], &au);
	for (size_t i = 0; i < s.n; i++) {
		sblock_close(&s, &s.b[i], "the stream ended before the block did");
		cJSON_Delete(s.b[i].start);
		cx_buf_free(&s.b[i].text);
	}
	free(s.b);
	if (r->events_cut)
		cx_turn_note(t, "events dropped at the size cap");
	if (r->sse_error != NULL)
		cx_turn_note(t, "the stream could not be decoded: %s", r->sse_error);
	if (r->status >= 400 && t->error == NULL)
		t->error = xasprintf("HTTP %d", r->status);
	ausage_to(&au, &t->usage);
}

/* --- turns ------------------------------------------------------------------ */

static size_t
turns(const struct cx_exchange *ex, cx_turn_fn fn, void *arg)
{
	struct cx_turn t;
	const char *why;
	cJSON *body;

	cx_turn_init(&t, ex, API);
	if ((body = cx_conv_body_json(&ex->req, &why)) != NULL &&
	    cJSON_IsObject(body)) {
		const cJSON *st = cJSON_GetObjectItemCaseSensitive(body,
		    "stream");

		request(&t, body);
		t.streamed = cJSON_IsTrue(st);
	} else {
		const char *s = cx_fields_get(&ex->req.fields,
		    "X-Claude-Code-Session-Id");

		cx_item_set(&t.session, s);
		cx_items_add_body(&t.input, CX_ROLE_NONE, &ex->req, body != NULL ?
		    "the body is not a JSON object" : why);
	}
	cJSON_Delete(body);

	if (!ex->has_resp)
		cx_turn_note(&t, "no response");
	else if (ex->resp.sse || ex->resp.nevents > 0) {
		t.streamed = 1;
		response_stream(&t);
	} else
		response_body(&t);
	fn(arg, &t);
	cx_turn_free(&t);
	return 1;
}

const struct cx_api cx_api_anthropic = {
	.name = API,
	.title = "Anthropic Messages",
	.claims = claims,
	.turns = turns,
};
