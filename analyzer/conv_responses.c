/*
 * conv_responses.c: the OpenAI Responses API (conv.h): POST .../responses
 * (API key: /v1/responses; ChatGPT: /backend-api/codex/responses; any
 * path ending in /responses), answered by an event stream or plain JSON,
 * and its WebSocket transport (GET .../responses, then an Upgrade): each
 * client text message response.create, response.append or
 * response.processed is a turn's request, and the server's messages after
 * it, up to response.completed, .failed, .incomplete or error, are its
 * events (docs/codex-protocol.md).
 *
 * Here: what the adapter claims, the answer (a stream's events, SSE or
 * WebSocket, put together into output items; or a plain JSON response)
 * and the turns.  The request and the item model: conv_responses_request.c.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cJSON.h>

#include "bytebuf.h"
#include "conv.h"
#include "conv_responses_int.h"
#include "jscan.h"
#include "view.h"
#include "ws.h"
#include "xmalloc.h"

#define API     "responses"

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
			responses_add_item(NULL, &t->output, item,
			    CX_ROLE_ASSISTANT);
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

/*
 * The deltas and the quiet events, most of a stream, scanned (jscan.h)
 * rather than parsed when they are plain objects: what event() below does
 * with them, in the same order.  0: not taken, for cJSON to parse.
 */
static int
scanned_event(struct cx_turn *t, struct stream *st, const char *name,
    const char *data, size_t len, int64_t ts, int partial, int truncated)
{
	struct cx_jscan_member m[3] = { { .key = "delta" },
	    { .key = "item_id" }, { .key = "output_index" } };
	struct cx_buf text, id;
	struct acc *a;
	long idx = -1;
	int kind;

	if (strcmp(name, "response.output_text.delta") == 0 ||
	    strcmp(name, "response.refusal.delta") == 0)
		kind = CX_ITEM_TEXT;
	else if (strcmp(name, "response.reasoning_summary_text.delta") == 0 ||
	    strcmp(name, "response.reasoning_text.delta") == 0)
		kind = CX_ITEM_REASONING;
	else if (strcmp(name, "response.function_call_arguments.delta") == 0 ||
	    strcmp(name, "response.custom_tool_call_input.delta") == 0)
		kind = CX_ITEM_TOOL_CALL;
	else if (strcmp(name, "response.output_item.added") != 0 &&
	    quiet(name))
		kind = -1;
	else
		return 0;
	if (!cx_jscan_object(data, len, m, 3))
		return 0;
	/* jindex's: any other number is cJSON's to read */
	if (m[2].type == CX_JS_NUMBER && !cx_jscan_uint(&m[2], &idx))
		return 0;
	if (idx >= 1000000)
		idx = -1;
	if (partial || truncated)
		cx_turn_note(t, partial ? "the stream ended inside an event "
		    "(%.60s)" : "an event's data was cut (%.60s)", name);
	if (output_event(name)) {
		if (t->t_first_token == 0)
			t->t_first_token = ts;
		t->t_last_token = ts;
	}
	if (kind < 0 || m[0].type != CX_JS_STRING)
		return 1;
	cx_buf_init(&text, 0);
	cx_buf_init(&id, 0);
	cx_jscan_string(&text, &m[0]);
	if (m[1].type == CX_JS_STRING)
		cx_jscan_string(&id, &m[1]);
	a = acc_get(st, m[1].type == CX_JS_STRING ? (const char *)id.p : NULL,
	    (int)idx, kind);
	cx_buf_adds(&a->text, (const char *)text.p);
	cx_buf_free(&text);
	cx_buf_free(&id);
	return 1;
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
	if (name != NULL && strcmp(name, "message") != 0 &&
	    scanned_event(t, st, name, data, len, ts, partial, truncated))
		return;
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

			responses_add_item(NULL, &t->output, item,
			    CX_ROLE_ASSISTANT);
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
		responses_request(&t, body, &ex->req.fields);
	else if (ex->req.body_bytes > 0)
		responses_request_raw(&t, &ex->req, why != NULL ?
		    why : "the body is not a JSON object");
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
		responses_request(&t, r, &ex->req.fields);
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
