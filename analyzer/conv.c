/*
 * conv.c: the conversation model's table of API adapters, building turns,
 * and usage arithmetic (conv.h).
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cJSON.h>

#include "conv.h"
#include "view.h"
#include "xmalloc.h"

/*
 * The table: one line an API, whose adapter conv_NAME.c defines `const
 * struct cx_api cx_api_NAME`.  The first that claims an exchange has it:
 * Chat Completions last, since it also claims by body shape alone what no
 * other API's path claimed.
 */
#define APIS(X) \
	X(responses) \
	X(anthropic) \
	X(gemini) \
	X(chat)

#define API_EXTERN(name) extern const struct cx_api cx_api_##name;
#define API_ENTRY(name) &cx_api_##name,
APIS(API_EXTERN)

const struct cx_api *const cx_api_table[] = {
	APIS(API_ENTRY)
	NULL
};

const struct cx_api *
cx_api_of(const struct cx_exchange *ex)
{
	if (ex == NULL || !ex->has_req)
		return NULL;
	for (size_t i = 0; cx_api_table[i] != NULL; i++)
		if (cx_api_table[i]->claims(ex))
			return cx_api_table[i];
	return NULL;
}

size_t
cx_conv_turns(const struct cx_exchange *ex, cx_turn_fn fn, void *arg)
{
	const struct cx_api *api = cx_api_of(ex);

	return api != NULL ? api->turns(ex, fn, arg) : 0;
}

/* --- building turns --------------------------------------------------- */

void
cx_turn_init(struct cx_turn *t, const struct cx_exchange *ex,
    const char *api)
{
	memset(t, 0, sizeof(*t));
	t->ex = ex;
	t->api = api;
	cx_usage_init(&t->usage);
	if (ex != NULL && ex->has_req)
		t->t_request = ex->req.t_last;
}

void
cx_items_free(struct cx_items *l)
{
	for (size_t i = 0; i < l->n; i++) {
		struct cx_item *it = &l->v[i];

		free(it->id);
		free(it->name);
		free(it->call_id);
		free(it->text);
		free(it->note);
	}
	free(l->v);
	memset(l, 0, sizeof(*l));
}

void
cx_turn_free(struct cx_turn *t)
{
	if (t == NULL)
		return;
	free(t->session);
	free(t->model);
	free(t->model_answered);
	free(t->response_id);
	free(t->previous_response_id);
	free(t->stop_reason);
	cx_items_free(&t->instructions);
	cx_items_free(&t->input);
	cx_items_free(&t->output);
	for (size_t i = 0; i < t->ntools; i++) {
		free(t->tools[i].name);
		free(t->tools[i].description);
		free(t->tools[i].schema);
	}
	free(t->tools);
	free(t->error);
	free(t->note);
	memset(t, 0, sizeof(*t));
}

struct cx_turn *
cx_turn_take(struct cx_turn *t)
{
	struct cx_turn *h = xmalloc(sizeof(*h));

	*h = *t;
	memset(t, 0, sizeof(*t));
	return h;
}

struct cx_item *
cx_items_add(struct cx_items *l, enum cx_item_kind kind, enum cx_role role,
    const char *text, size_t len)
{
	struct cx_item *it;

	if (l->n == l->cap) {
		l->cap = l->cap ? 2 * l->cap : 8;
		l->v = xreallocarray(l->v, l->cap, sizeof(*l->v));
	}
	it = &l->v[l->n++];
	memset(it, 0, sizeof(*it));
	it->kind = kind;
	it->role = role;
	it->text = xstrndup(text != NULL ? text : "", text != NULL ? len : 0);
	it->len = text != NULL ? len : 0;
	return it;
}

void
cx_item_set(char **field, const char *s)
{
	free(*field);
	*field = s != NULL ? xstrndup(s, strlen(s)) : NULL;
}

void
cx_turn_note(struct cx_turn *t, const char *fmt, ...)
{
	va_list ap;
	char *s, *joined;

	va_start(ap, fmt);
	if (vasprintf(&s, fmt, ap) == -1)
		s = NULL;
	va_end(ap);
	if (s == NULL)
		return;
	if (t->note == NULL) {
		t->note = s;
		return;
	}
	joined = xasprintf("%s; %s", t->note, s);
	free(t->note);
	free(s);
	t->note = joined;
}

void
cx_turn_tool(struct cx_turn *t, const char *name, const char *description,
    const char *schema)
{
	struct cx_tool *tl;

	t->tools = xreallocarray(t->tools, t->ntools + 1, sizeof(*t->tools));
	tl = &t->tools[t->ntools++];
	memset(tl, 0, sizeof(*tl));
	cx_item_set(&tl->name, name != NULL ? name : "");
	cx_item_set(&tl->description, description);
	cx_item_set(&tl->schema, schema);
}

cJSON *
cx_conv_json(const char *p, size_t n)
{
	const char *end = NULL;
	cJSON *o = cJSON_ParseWithLengthOpts(p, n, &end, 0);

	/* cJSON stops after the first value: "502 Bad Gateway" is 502 */
	if (o == NULL || end == NULL)
		return o;
	for (; end < p + n; end++)
		if (*end != ' ' && *end != '\t' && *end != '\r' && *end != '\n') {
			cJSON_Delete(o);
			return NULL;
		}
	return o;
}

const cJSON *
cx_jget(const cJSON *o, const char *key)
{
	return cJSON_IsObject(o) ? cJSON_GetObjectItemCaseSensitive(o, key) :
	    NULL;
}

const char *
cx_jstr(const cJSON *o, const char *key)
{
	return cJSON_GetStringValue(cx_jget(o, key));
}

const cJSON *
cx_jarr(const cJSON *o, const char *key)
{
	const cJSON *v = cx_jget(o, key);

	return cJSON_IsArray(v) ? v : NULL;
}

int64_t
cx_jcount(const cJSON *o, const char *key)
{
	return cx_conv_count(cx_jget(o, key));
}

char *
cx_jtext(const cJSON *v)
{
	char *s = v != NULL ? cJSON_PrintUnformatted(v) : NULL;
	char *r = xstrdup(s != NULL ? s : "null");

	cJSON_free(s);
	return r;
}

enum cx_role
cx_role_of(const char *r, enum cx_role dflt)
{
	static const struct {
		const char      *name;
		enum cx_role     role;
	} roles[] = {
		{ "user", CX_ROLE_USER }, { "assistant", CX_ROLE_ASSISTANT },
		{ "system", CX_ROLE_SYSTEM }, { "developer", CX_ROLE_DEVELOPER },
		{ "tool", CX_ROLE_TOOL }, { "function", CX_ROLE_TOOL },
	};

	for (size_t i = 0; r != NULL && i < sizeof(roles) / sizeof(roles[0]);
	    i++)
		if (strcmp(r, roles[i].name) == 0)
			return roles[i].role;
	return dflt;
}

const char *
cx_role_name(enum cx_role r, const char *dflt)
{
	switch (r) {
	case CX_ROLE_SYSTEM:
		return "system";
	case CX_ROLE_DEVELOPER:
		return "developer";
	case CX_ROLE_USER:
		return "user";
	case CX_ROLE_ASSISTANT:
		return "assistant";
	case CX_ROLE_TOOL:
		return "tool";
	case CX_ROLE_NONE:
		break;
	}
	return dflt;
}

struct cx_item *
cx_items_add_json(struct cx_items *l, enum cx_item_kind kind,
    enum cx_role role, const cJSON *v)
{
	char *s = cx_jtext(v);
	struct cx_item *it = cx_items_add(l, kind, role, s, strlen(s));

	free(s);
	return it;
}

struct cx_item *
cx_items_add_raw(struct cx_items *l, enum cx_role role, const cJSON *v,
    const char *why)
{
	struct cx_item *it = cx_items_add_json(l, CX_ITEM_OTHER, role, v);

	cx_item_set(&it->note, why);
	return it;
}

void
cx_items_add_body(struct cx_items *l, enum cx_role role,
    const struct cx_msg *m, const char *why)
{
	struct cx_view v;
	struct cx_item *it;

	cx_view_body(&v, m);
	it = cx_items_add(l, CX_ITEM_OTHER, role, (const char *)v.p,
	    v.kind != CX_VIEW_NONE && v.p != NULL ? v.n : 0);
	cx_item_set(&it->note, why != NULL ? why : "the body is not JSON");
	cx_view_free(&v);
}

cJSON *
cx_conv_body_json(const struct cx_msg *m, const char **why)
{
	struct cx_view v;
	cJSON *o = NULL;

	if (why != NULL)
		*why = NULL;
	/* Decoded, not classified: cJSON says whether it is JSON. */
	cx_view_decode(&v, m);
	if (v.kind == CX_VIEW_NONE) {
		if (why != NULL)
			*why = "no body";
	} else if (v.error != NULL) {
		if (why != NULL)
			*why = "the body could not be decoded";
	} else if ((o = cx_conv_json((const char *)v.p, v.n)) == NULL &&
	    why != NULL)
		*why = "the body is not JSON";
	cx_view_free(&v);
	return o;
}

/* --- usage -------------------------------------------------------------- */

int64_t
cx_conv_count(const cJSON *v)
{
	if (!cJSON_IsNumber(v) || !(v->valuedouble >= 0 &&
	    v->valuedouble <= (double)CX_COUNT_MAX))
		return -1;
	return (int64_t)v->valuedouble;
}

long
cx_conv_index(const cJSON *v)
{
	if (!cJSON_IsNumber(v) || !(v->valuedouble >= 0 &&
	    v->valuedouble <= 1e6))
		return -1;
	return (long)v->valuedouble;
}

/* a + b, both >= 0, saturating at INT64_MAX. */
static int64_t
sat_add(int64_t a, int64_t b)
{
	return a > INT64_MAX - b ? INT64_MAX : a + b;
}

void
cx_usage_init(struct cx_usage *u)
{
	u->input = u->cached = u->cache_write = u->cache_write_1h = -1;
	u->output = u->reasoning = u->api_total = -1;
}

int
cx_usage_known(const struct cx_usage *u)
{
	return u->input >= 0 || u->output >= 0 || u->cached >= 0 ||
	    u->cache_write >= 0 || u->reasoning >= 0 || u->api_total >= 0;
}

int64_t
cx_usage_total(const struct cx_usage *u)
{
	if (u->input < 0 && u->output < 0)
		return -1;
	return sat_add(u->input > 0 ? u->input : 0, u->output > 0 ?
	    u->output : 0);
}

static void
add1(int64_t *a, int64_t b)
{
	if (b < 0)
		return;
	*a = *a < 0 ? b : sat_add(*a, b);
}

void
cx_usage_add(struct cx_usage *a, const struct cx_usage *b)
{
	add1(&a->input, b->input);
	add1(&a->cached, b->cached);
	add1(&a->cache_write, b->cache_write);
	add1(&a->cache_write_1h, b->cache_write_1h);
	add1(&a->output, b->output);
	add1(&a->reasoning, b->reasoning);
	add1(&a->api_total, b->api_total);
}
