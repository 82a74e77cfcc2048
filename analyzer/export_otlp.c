/*
 * export_otlp.c: a trace into OTLP JSON documents of GenAI spans
 * (export_otlp.h).  The facts come from where every view gets them: the
 * analysis (exchange.h) streamed exchange by exchange, the report
 * (report.h: sessions, the run note, processes) and the conversation
 * model (conv.h).
 */
#include <cJSON.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "conv.h"
#include "decode.h"
#include "exchange.h"
#include "export_otlp.h"
#include "export_rows.h"
#include "output.h"
#include "redact.h"
#include "report.h"
#include "xmalloc.h"

/* A session: its span, filled in as its turns come. */
struct osess {
	size_t           num;
	char             span[17];
	char            *conv_id;
	char            *provider;
	int64_t          start, end;        /* wall ns */
	int              error;
};

/* A tool call awaiting its result. */
struct ocall {
	size_t           session;
	char            *call_id, *name;
	int              derived;
	int64_t          end;               /* wall ns: its turn's end */
	uint64_t         exchange;
	size_t           turn, idx;
};

struct ox {
	const struct cx_otlp_opts *o;
	const struct cx_file_info *info;
	char             xid[17];           /* export_rows.h's trace id */
	char             tid[33];
	struct cx_report *rep;
	cJSON           *spans;             /* turns' and tools' */
	struct osess    *sess;
	size_t           nsess, asess;
	struct ocall    *calls;             /* FIFO, oldest first */
	size_t           ncalls;
	struct cx_buf    tmp;
	struct cx_otlp_stats st;
};

/* --- ids, times -------------------------------------------------------- */

static uint64_t
fnv(const char *s)
{
	uint64_t h = UINT64_C(0xcbf29ce484222325);

	for (; *s != '\0'; s++) {
		h ^= (uint8_t)*s;
		h *= UINT64_C(0x100000001b3);
	}
	return h;
}

void
cx_otlp_trace_id(const struct cx_file_info *info, char id[33])
{
	char x[17], buf[40];
	uint64_t h;

	cx_export_trace_id(info, x);
	snprintf(buf, sizeof(buf), "%s|otlp", x);
	h = fnv(buf);
	snprintf(id, 33, "%s%016" PRIx64, x, h != 0 ? h : 1);
}

/* A span id for what (printf), into id[17]: a hash with the trace's. */
static void
span_id(const struct ox *x, char id[17], const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static void
span_id(const struct ox *x, char id[17], const char *fmt, ...)
{
	char buf[160];
	va_list ap;
	uint64_t h;
	int n;

	n = snprintf(buf, sizeof(buf), "%s|", x->tid);
	va_start(ap, fmt);
	vsnprintf(buf + n, sizeof(buf) - (size_t)n, fmt, ap);
	va_end(ap);
	h = fnv(buf);
	snprintf(id, 17, "%016" PRIx64, h != 0 ? h : 1);
}

static int64_t
wall(const struct ox *x, int64_t mono)
{
	return x->info->realtime_ns + (mono - x->info->monotonic_ns);
}

static void
add_nanos(cJSON *o, const char *key, int64_t ns)
{
	char buf[32];

	snprintf(buf, sizeof(buf), "%" PRId64, ns > 0 ? ns : 0);
	cJSON_AddStringToObject(o, key, buf);
}

/* --- attributes -------------------------------------------------------- */

static cJSON *
attr(cJSON *attrs, const char *key, const char *type, cJSON *v)
{
	cJSON *a = cJSON_CreateObject(), *val = cJSON_CreateObject();

	cJSON_AddStringToObject(a, "key", key);
	cJSON_AddItemToObject(val, type, v);
	cJSON_AddItemToObject(a, "value", val);
	cJSON_AddItemToArray(attrs, a);
	return a;
}

/* s redacted when asked, as a new cJSON string. */
static cJSON *
red_string(struct ox *x, const char *s)
{
	cx_buf_reset(&x->tmp);
	cx_out_redact(&x->tmp, x->o->redact, CX_AS_TEXT, s, strlen(s));
	cx_buf_addc(&x->tmp, '\0');
	return cJSON_CreateString((const char *)cx_buf_head(&x->tmp));
}

/* A string attribute, redacted when asked; none for NULL or "". */
static void
attr_str(struct ox *x, cJSON *attrs, const char *key, const char *s)
{
	if (s != NULL && *s != '\0')
		attr(attrs, key, "stringValue", red_string(x, s));
}

static void
attr_plain(cJSON *attrs, const char *key, const char *s)
{
	if (s != NULL && *s != '\0')
		attr(attrs, key, "stringValue", cJSON_CreateString(s));
}

/* An int attribute (a decimal string); none for a count unknown (-1). */
static void
attr_int(cJSON *attrs, const char *key, int64_t v)
{
	char buf[32];

	if (v < 0)
		return;
	snprintf(buf, sizeof(buf), "%" PRId64, v);
	attr(attrs, key, "intValue", cJSON_CreateString(buf));
}

/* A JSON text (content) attribute: v as compact JSON; v is consumed. */
static void
attr_json(struct ox *x, cJSON *attrs, const char *key, cJSON *v)
{
	char *s = cJSON_PrintUnformatted(v);

	if (s != NULL)
		attr(attrs, key, "stringValue", red_string(x, s));
	free(s);
	cJSON_Delete(v);
}

/* --- spans ------------------------------------------------------------- */

static cJSON *
span_new(const struct ox *x, const char *id, const char *parent,
    const char *name, int kind, int64_t start, int64_t end)
{
	cJSON *s = cJSON_CreateObject();

	cJSON_AddStringToObject(s, "traceId", x->tid);
	cJSON_AddStringToObject(s, "spanId", id);
	if (parent != NULL)
		cJSON_AddStringToObject(s, "parentSpanId", parent);
	cJSON_AddStringToObject(s, "name", name);
	cJSON_AddNumberToObject(s, "kind", kind);
	add_nanos(s, "startTimeUnixNano", start);
	add_nanos(s, "endTimeUnixNano", end > start ? end : start);
	cJSON_AddItemToObject(s, "attributes", cJSON_CreateArray());
	return s;
}

static void
span_status(struct ox *x, cJSON *s, int code, const char *msg)
{
	cJSON *st = cJSON_CreateObject();

	if (msg != NULL && *msg != '\0')
		cJSON_AddItemToObject(st, "message", red_string(x, msg));
	cJSON_AddNumberToObject(st, "code", code);
	cJSON_AddItemToObject(s, "status", st);
}

static const char *
provider(const char *api)
{
	if (api == NULL)
		return NULL;
	if (strcmp(api, "responses") == 0 || strcmp(api, "chat") == 0)
		return "openai";
	if (strcmp(api, "anthropic") == 0)
		return "anthropic";
	if (strcmp(api, "gemini") == 0)
		return "gcp.gemini";
	return api;
}

static struct osess *
session(struct ox *x, size_t num, const struct cx_turn *t)
{
	struct osess *s;
	char buf[64];

	for (size_t i = 0; i < x->nsess; i++)
		if (x->sess[i].num == num)
			return &x->sess[i];
	if (x->nsess == x->asess) {
		x->asess = x->asess ? 2 * x->asess : 16;
		x->sess = xrealloc(x->sess, x->asess * sizeof(*x->sess));
	}
	s = &x->sess[x->nsess++];
	memset(s, 0, sizeof(*s));
	s->num = num;
	/* Named by its first turn: the same whatever order sessions are
	 * seen in (a followed trace hands exchanges over as they settle). */
	span_id(x, s->span, "session|%" PRIu64 "|%zu",
	    cx_xwalk_exchange_id(t->ex), t->index);
	if (t->session != NULL)
		s->conv_id = xstrdup(t->session);
	else {
		snprintf(buf, sizeof(buf), "%s-%zu", x->xid, num);
		s->conv_id = xstrdup(buf);
	}
	s->provider = xstrdup(provider(t->api));
	x->st.sessions++;
	return s;
}

/* --- content ----------------------------------------------------------- */

/* A tool call's arguments: the JSON they are, else the text. */
static cJSON *
json_or_text(const char *text)
{
	cJSON *v = text != NULL ? cJSON_Parse(text) : NULL;

	return v != NULL ? v : cJSON_CreateString(text != NULL ? text : "");
}

static cJSON *
part(const struct cx_item *it)
{
	cJSON *p = cJSON_CreateObject();
	const char *text = it->text != NULL ? it->text : "";

	switch (it->kind) {
	case CX_ITEM_TEXT:
	case CX_ITEM_REFUSAL:
		cJSON_AddStringToObject(p, "type", "text");
		cJSON_AddStringToObject(p, "content", text);
		break;
	case CX_ITEM_REASONING:
		cJSON_AddStringToObject(p, "type", "reasoning");
		cJSON_AddStringToObject(p, "content", text);
		break;
	case CX_ITEM_TOOL_CALL:
		cJSON_AddStringToObject(p, "type", "tool_call");
		if (it->call_id != NULL && !it->call_id_derived)
			cJSON_AddStringToObject(p, "id", it->call_id);
		cJSON_AddStringToObject(p, "name", it->name != NULL ?
		    it->name : "");
		cJSON_AddItemToObject(p, "arguments", json_or_text(it->text));
		break;
	case CX_ITEM_TOOL_RESULT:
		cJSON_AddStringToObject(p, "type", "tool_call_response");
		if (it->call_id != NULL && !it->call_id_derived)
			cJSON_AddStringToObject(p, "id", it->call_id);
		cJSON_AddStringToObject(p, "response", text);
		break;
	default:
		cJSON_AddStringToObject(p, "type", it->kind == CX_ITEM_ERROR ?
		    "error" : "other");
		cJSON_AddStringToObject(p, "content", text);
		break;
	}
	return p;
}

static const char *
role_of(const struct cx_item *it, const char *dflt)
{
	if (it->kind == CX_ITEM_TOOL_RESULT)
		return "tool";
	return cx_role_name(it->role, dflt);
}

/* Items as messages: consecutive items of one role in one message. */
static cJSON *
messages(const struct cx_items *l, const char *dflt, const char *finish)
{
	cJSON *msgs = cJSON_CreateArray(), *m = NULL, *parts = NULL;
	const char *cur = NULL;

	for (size_t i = 0; i < l->n; i++) {
		const char *r = role_of(&l->v[i], dflt);

		if (m == NULL || strcmp(r, cur) != 0) {
			m = cJSON_CreateObject();
			cJSON_AddStringToObject(m, "role", r);
			parts = cJSON_AddArrayToObject(m, "parts");
			if (finish != NULL)
				cJSON_AddStringToObject(m, "finish_reason",
				    finish);
			cJSON_AddItemToArray(msgs, m);
			cur = r;
		}
		cJSON_AddItemToArray(parts, part(&l->v[i]));
	}
	return msgs;
}

static void
content(struct ox *x, cJSON *attrs, const struct cx_turn *t)
{
	cJSON *v;

	attr_json(x, attrs, "gen_ai.input.messages",
	    messages(&t->input, "user", NULL));
	attr_json(x, attrs, "gen_ai.output.messages",
	    messages(&t->output, "assistant", t->stop_reason != NULL ?
	    t->stop_reason : ""));
	if (t->instructions.n > 0) {
		v = cJSON_CreateArray();
		for (size_t i = 0; i < t->instructions.n; i++)
			cJSON_AddItemToArray(v, part(&t->instructions.v[i]));
		attr_json(x, attrs, "gen_ai.system_instructions", v);
	}
	if (t->ntools > 0) {
		v = cJSON_CreateArray();
		for (size_t i = 0; i < t->ntools; i++) {
			cJSON *d = cJSON_CreateObject();

			cJSON_AddStringToObject(d, "type", "function");
			cJSON_AddStringToObject(d, "name", t->tools[i].name !=
			    NULL ? t->tools[i].name : "");
			if (t->tools[i].description != NULL)
				cJSON_AddStringToObject(d, "description",
				    t->tools[i].description);
			if (t->tools[i].schema != NULL)
				cJSON_AddItemToObject(d, "parameters",
				    json_or_text(t->tools[i].schema));
			cJSON_AddItemToArray(v, d);
		}
		attr_json(x, attrs, "gen_ai.tool.definitions", v);
	}
}

/* --- turns and tool calls ---------------------------------------------- */

/* A turn's times (wall ns): a WebSocket's turn from its request message,
 * an HTTP one from its exchange's start; to its last output or the
 * response's last byte. */
static void
turn_times(const struct ox *x, const struct cx_turn *t, int64_t *start,
    int64_t *end)
{
	const struct cx_exchange *ex = t->ex;
	int64_t s = ex->start, e;

	if (ex->nws > 0 && t->t_request > 0)
		s = t->t_request;
	e = s;
	if (ex->nws == 0 && ex->has_resp && ex->resp.t_last > e)
		e = ex->resp.t_last;
	if (t->t_first_token > e)
		e = t->t_first_token;
	if (t->t_last_token > e)
		e = t->t_last_token;
	*start = wall(x, s);
	*end = wall(x, e);
}

static void
tool_span(struct ox *x, const struct ocall *c, const struct osess *s,
    int64_t end)
{
	char id[17], name[160];
	cJSON *sp, *attrs;

	span_id(x, id, "tool|%" PRIu64 "|%zu|%zu", c->exchange, c->turn,
	    c->idx);
	snprintf(name, sizeof(name), "execute_tool %s", c->name);
	sp = span_new(x, id, s->span, name, CX_OTLP_KIND_INTERNAL, c->end,
	    end);
	attrs = cJSON_GetObjectItem(sp, "attributes");
	attr_plain(attrs, "gen_ai.operation.name", "execute_tool");
	attr_str(x, attrs, "gen_ai.tool.name", c->name);
	if (!c->derived)
		attr_str(x, attrs, "gen_ai.tool.call.id", c->call_id);
	attr_str(x, attrs, "gen_ai.conversation.id", s->conv_id);
	span_status(x, sp, CX_OTLP_STATUS_UNSET, NULL);
	cJSON_AddItemToArray(x->spans, sp);
	x->st.tools++;
}

static void
call_drop(struct ox *x, size_t i)
{
	free(x->calls[i].call_id);
	free(x->calls[i].name);
	memmove(&x->calls[i], &x->calls[i + 1], (x->ncalls - i - 1) *
	    sizeof(*x->calls));
	x->ncalls--;
}

/* The results t's request carries end the calls awaiting them (by call
 * id; a call whose id the adapter made up, by its name: the oldest of its
 * session), each a span to start (wall ns). */
static void
call_results(struct ox *x, const struct cx_turn *t, const struct osess *s,
    int64_t start)
{
	for (size_t i = 0; i < t->input.n && x->ncalls > 0; i++) {
		const struct cx_item *it = &t->input.v[i];
		size_t j;

		if (it->kind != CX_ITEM_TOOL_RESULT || it->call_id == NULL)
			continue;
		for (j = 0; j < x->ncalls; j++)
			if (strcmp(x->calls[j].call_id, it->call_id) == 0)
				break;
		if (j == x->ncalls && it->name != NULL && it->fresh)
			for (j = 0; j < x->ncalls; j++)
				if (x->calls[j].derived && x->calls[j].session ==
				    s->num && strcmp(x->calls[j].name,
				    it->name) == 0)
					break;
		if (j == x->ncalls)
			continue;
		tool_span(x, &x->calls[j], s, start);
		call_drop(x, j);
	}
}

static void
call_add(struct ox *x, const struct cx_turn *t, size_t idx, size_t session,
    int64_t end)
{
	const struct cx_item *it = &t->output.v[idx];
	struct ocall *c;

	if (x->ncalls == CX_EXPORT_MAX_PENDING)
		call_drop(x, 0);
	if (x->calls == NULL)
		x->calls = xcalloc(CX_EXPORT_MAX_PENDING, sizeof(*x->calls));
	c = &x->calls[x->ncalls++];
	c->session = session;
	c->call_id = xstrdup(it->call_id != NULL ? it->call_id : "");
	c->name = xstrdup(it->name != NULL ? it->name : "");
	c->derived = it->call_id_derived;
	c->end = end;
	c->exchange = cx_xwalk_exchange_id(t->ex);
	c->turn = t->index;
	c->idx = idx;
}

/* error.type (low cardinality: the HTTP status, else _OTHER) and the
 * status' message, when the model call failed; NULL when it did not. */
static const char *
failure(const struct cx_turn *t, char *type, size_t n, const char **msg)
{
	const struct cx_exchange *ex = t->ex;
	int status = ex->has_resp && ex->resp.head_done ? ex->resp.status : 0;

	*msg = t->error != NULL ? t->error : ex->error;
	if (status >= 400) {
		snprintf(type, n, "%d", status);
		if (*msg == NULL)
			*msg = ex->resp.reason;
		return type;
	}
	if (*msg != NULL) {
		snprintf(type, n, "_OTHER");
		return type;
	}
	return NULL;
}

static void
on_turn(void *arg, struct cx_turn *t, size_t num)
{
	struct ox *x = arg;
	const struct cx_exchange *ex = t->ex;
	const char *host = cx_fields_get(&ex->req.fields, "host"), *etype;
	const char *msg = NULL;
	struct osess *s = session(x, num, t);
	int64_t start, end;
	char id[17], name[256], buf[64];
	cJSON *sp, *attrs, *arr;

	turn_times(x, t, &start, &end);
	if (s->start == 0 || start < s->start)
		s->start = start;
	if (end > s->end)
		s->end = end;
	call_results(x, t, s, start);
	span_id(x, id, "turn|%" PRIu64 "|%zu", cx_xwalk_exchange_id(ex),
	    t->index);
	snprintf(name, sizeof(name), "chat%s%.200s", t->model != NULL ? " " :
	    "", t->model != NULL ? t->model : "");
	sp = span_new(x, id, s->span, name, CX_OTLP_KIND_CLIENT, start, end);
	attrs = cJSON_GetObjectItem(sp, "attributes");
	attr_plain(attrs, "gen_ai.operation.name", "chat");
	attr_plain(attrs, "gen_ai.provider.name", provider(t->api));
	attr_str(x, attrs, "gen_ai.request.model", t->model);
	attr_str(x, attrs, "gen_ai.response.model", t->model_answered);
	attr_str(x, attrs, "gen_ai.response.id", t->response_id);
	if (t->stop_reason != NULL) {
		cJSON *w = cJSON_CreateObject();

		arr = cJSON_CreateObject();
		cJSON_AddItemToObject(w, "stringValue", red_string(x,
		    t->stop_reason));
		cJSON_AddItemToArray(cJSON_AddArrayToObject(arr, "values"), w);
		attr(attrs, "gen_ai.response.finish_reasons", "arrayValue",
		    arr);
	}
	attr_str(x, attrs, "gen_ai.conversation.id", s->conv_id);
	attr_int(attrs, "gen_ai.usage.input_tokens", t->usage.input);
	attr_int(attrs, "gen_ai.usage.output_tokens", t->usage.output);
	attr_int(attrs, "gen_ai.usage.cache_read.input_tokens",
	    t->usage.cached);
	attr_int(attrs, "gen_ai.usage.cache_creation.input_tokens",
	    t->usage.cache_write);
	attr_int(attrs, "gen_ai.usage.reasoning.output_tokens",
	    t->usage.reasoning);
	if (host != NULL) {
		const char *colon = strrchr(host, ':');

		if (colon != NULL && host[0] != '[' && strchr(host, ':') ==
		    colon) {
			snprintf(buf, sizeof(buf), "%.*s", (int)(colon - host),
			    host);
			attr_str(x, attrs, "server.address", buf);
			attr_int(attrs, "server.port", atol(colon + 1));
		} else
			attr_str(x, attrs, "server.address", host);
	}
	if (ex->pid != 0) {
		const char *cmd = ex->comm;
		cJSON *argv = ex->proc != NULL && ex->proc->argv != NULL ?
		    cJSON_Parse(ex->proc->argv) : NULL;
		const char *a0 = cJSON_GetStringValue(cJSON_GetArrayItem(argv,
		    0));

		if (a0 != NULL)
			cmd = a0;
		else if (ex->proc != NULL && ex->proc->exe != NULL)
			cmd = ex->proc->exe;
		attr_int(attrs, "process.pid", ex->pid);
		attr_str(x, attrs, "process.command", cmd);
		cJSON_Delete(argv);
	}
	if ((etype = failure(t, buf, sizeof(buf), &msg)) != NULL) {
		attr_plain(attrs, "error.type", etype);
		span_status(x, sp, CX_OTLP_STATUS_ERROR, msg);
		s->error = 1;
	} else
		span_status(x, sp, CX_OTLP_STATUS_UNSET, NULL);
	if (x->o->content)
		content(x, attrs, t);
	cJSON_AddItemToArray(x->spans, sp);
	x->st.turns++;
	for (size_t i = 0; i < t->output.n; i++)
		if (t->output.v[i].kind == CX_ITEM_TOOL_CALL)
			call_add(x, t, i, num, end);
}

static void
on_exchange(void *arg, struct cx_exchange *ex)
{
	struct ox *x = arg;

	cx_report_exchange(x->rep, ex, on_turn, x);
}

/* --- documents --------------------------------------------------------- */

static const char *
run_str(const struct cx_report *rep, const char *key)
{
	return rep->run != NULL ? cJSON_GetStringValue(
	    cJSON_GetObjectItem(rep->run, key)) : NULL;
}

static cJSON *
session_span(struct ox *x, const struct osess *s)
{
	const char *agent = run_str(x->rep, "agent");
	char name[160];
	cJSON *sp, *attrs;

	snprintf(name, sizeof(name), "invoke_agent%s%.100s", agent != NULL ?
	    " " : "", agent != NULL ? agent : "");
	sp = span_new(x, s->span, NULL, name, CX_OTLP_KIND_INTERNAL,
	    s->start, s->end);
	attrs = cJSON_GetObjectItem(sp, "attributes");
	attr_plain(attrs, "gen_ai.operation.name", "invoke_agent");
	attr_plain(attrs, "gen_ai.provider.name", s->provider);
	attr_plain(attrs, "gen_ai.agent.name", agent);
	attr_str(x, attrs, "gen_ai.conversation.id", s->conv_id);
	span_status(x, sp, s->error ? CX_OTLP_STATUS_ERROR :
	    CX_OTLP_STATUS_UNSET, NULL);
	return sp;
}

static cJSON *
resource(struct ox *x)
{
	cJSON *r = cJSON_CreateObject();
	cJSON *attrs = cJSON_AddArrayToObject(r, "attributes");

	attr_plain(attrs, "service.name", "cxrec");
	attr_plain(attrs, "service.version", CXREC_VERSION);
	attr_plain(attrs, "gen_ai.agent.name", run_str(x->rep, "agent"));
	attr_plain(attrs, "gen_ai.agent.version", run_str(x->rep,
	    "agent_version"));
	attr_str(x, attrs, "host.name", x->info->host);
	attr_plain(attrs, "cxrec.trace.id", x->xid);
	return r;
}

/* Hand x->spans over in documents; 0, or -1 when fn stopped. */
static int
documents(struct ox *x, cx_otlp_doc_fn fn, void *arg)
{
	size_t batch = x->o->batch > 0 ? x->o->batch : CX_OTLP_BATCH;
	int rc = 0;

	while (rc == 0 && cJSON_GetArraySize(x->spans) > 0) {
		cJSON *doc = cJSON_CreateObject();
		cJSON *rs = cJSON_AddArrayToObject(doc, "resourceSpans");
		cJSON *r = cJSON_CreateObject(), *ss, *scope, *spans;
		char *text;

		cJSON_AddItemToArray(rs, r);
		cJSON_AddItemToObject(r, "resource", resource(x));
		ss = cJSON_AddArrayToObject(r, "scopeSpans");
		scope = cJSON_CreateObject();
		cJSON_AddItemToArray(ss, scope);
		cJSON_AddItemToObject(scope, "scope", cJSON_CreateObject());
		cJSON_AddStringToObject(cJSON_GetObjectItem(scope, "scope"),
		    "name", "cxrec");
		cJSON_AddStringToObject(cJSON_GetObjectItem(scope, "scope"),
		    "version", CXREC_VERSION);
		spans = cJSON_AddArrayToObject(scope, "spans");
		for (size_t i = 0; i < batch && x->spans->child != NULL; i++)
			cJSON_AddItemToArray(spans, cJSON_DetachItemFromArray(
			    x->spans, 0));
		text = cJSON_PrintUnformatted(doc);
		cJSON_Delete(doc);
		if (text == NULL || fn(arg, text, strlen(text)) != 0)
			rc = -1;
		else
			x->st.documents++;
		free(text);
	}
	return rc;
}

/* --- the walk (export_walk.h) ----------------------------------------- */

struct owalk {
	struct ox       *x;
	cx_otlp_doc_fn   fn;
	void            *arg;
	int              stopped;
};

static void
walk_begin(void *arg, const struct cx_file_info *info, struct cx_report *rep)
{
	struct ox *x = ((struct owalk *)arg)->x;

	x->info = info;
	x->rep = rep;
	cx_export_trace_id(info, x->xid);
	cx_otlp_trace_id(info, x->tid);
}

/* Drop the spans past the first n (made for what was delivered before). */
static void
spans_cut(struct ox *x, int n)
{
	while (cJSON_GetArraySize(x->spans) > n)
		cJSON_DeleteItemFromArray(x->spans, n);
}

static void
walk_exchange(void *arg, struct cx_exchange *ex, int skip)
{
	struct ox *x = ((struct owalk *)arg)->x;
	struct cx_otlp_stats was = x->st;
	int n = cJSON_GetArraySize(x->spans);

	on_exchange(x, ex);
	if (skip) {
		spans_cut(x, n);
		x->st = was;
	}
}

static void
walk_end(void *arg, const struct cx_analysis_result *r, int skip)
{
	struct ox *x = ((struct owalk *)arg)->x;

	(void)r;
	if (skip)
		return;
	for (size_t i = 0; i < x->nsess; i++)
		cJSON_AddItemToArray(x->spans, session_span(x, &x->sess[i]));
	x->st.sessions = x->nsess;
}

static int
walk_deliver(void *arg)
{
	struct owalk *w = arg;

	if (w->stopped || documents(w->x, w->fn, w->arg) == -1) {
		w->stopped = 1;
		return -1;
	}
	return 0;
}

static int
walk_failed(void *arg)
{
	return ((struct owalk *)arg)->stopped;
}

int
cx_export_otlp(const char *path, const struct cx_otlp_opts *o,
    cx_otlp_doc_fn fn, void *arg, char *id, struct cx_otlp_stats *st,
    char *err, size_t errlen)
{
	static const struct cx_xwalk_ops ops = {
		walk_begin, walk_exchange, walk_end, walk_deliver, walk_failed,
	};
	struct cx_xwalk_opts wo;
	struct owalk w;
	struct ox x;
	int rc;

	cx_xwalk_opts_with(&wo, o->walk, o->redact, NULL, o->names);
	memset(&x, 0, sizeof(x));
	x.o = o;
	cx_buf_init(&x.tmp, 0);
	x.spans = cJSON_CreateArray();
	w.x = &x;
	w.fn = fn;
	w.arg = arg;
	w.stopped = 0;
	rc = cx_xwalk(path, &wo, &ops, &w, o->stats, err, errlen);
	if (rc != CX_EXPORT_EINPUT && id != NULL)
		memcpy(id, x.tid, sizeof(x.tid));
	while (x.ncalls > 0)
		call_drop(&x, 0);
	free(x.calls);
	for (size_t i = 0; i < x.nsess; i++) {
		free(x.sess[i].conv_id);
		free(x.sess[i].provider);
	}
	free(x.sess);
	cJSON_Delete(x.spans);
	cx_buf_free(&x.tmp);
	if (st != NULL)
		*st = x.st;
	return rc;
}
