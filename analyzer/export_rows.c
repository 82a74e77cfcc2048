/*
 * export_rows.c: a trace into the rows of docs/fleet.md's tables
 * (export_rows.h).  The facts come from where every view gets them: the
 * analysis (exchange.h) streamed exchange by exchange, the report
 * (report.h: sessions, endpoint keys, the run note), the conversation
 * model (conv.h) and its prices (price.h).
 */
#include <cJSON.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "conv.h"
#include "decode.h"
#include "export_rows.h"
#include "exchange.h"
#include "json.h"
#include "jsonw.h"
#include "output.h"
#include "redact.h"
#include "report.h"
#include "view.h"
#include "xmalloc.h"

#define C(n, t)         { n, t, 0 }
#define BIG(n)          { n, "String", 1 }
#define N(a)            (sizeof(a) / sizeof((a)[0]))

static const struct cx_xcolumn sessions_cols[] = {
	C("trace", "String"), C("host", "String"), C("writer_pid", "UInt32"),
	C("agent", "String"), C("agent_version", "String"),
	C("login", "String"), C("start", "Int64"), C("duration", "Int64"),
	C("exchanges", "UInt64"), C("errors", "UInt64"),
	C("turns", "UInt64"), C("input_tokens", "Int64"),
	C("cached_input_tokens", "Int64"), C("output_tokens", "Int64"),
	C("reasoning_tokens", "Int64"), C("cost", "Float64"),
	C("cost_pico", "Int64"), C("bytes_req", "UInt64"),
	C("bytes_resp", "UInt64"),
};
static const struct cx_xcolumn exchanges_cols[] = {
	C("trace", "String"), C("id", "UInt64"), C("start", "Int64"),
	C("ttfb", "Int64"), C("duration", "Int64"), C("method", "String"),
	C("url", "String"), C("host", "String"), C("endpoint", "String"),
	C("status", "Int32"), C("transport", "String"), C("pid", "UInt32"),
	C("comm", "String"), C("bytes_req", "UInt64"),
	C("bytes_resp", "UInt64"), C("error", "String"),
	BIG("request_body"), BIG("response_body"), C("body_cut", "UInt8"),
};
static const struct cx_xcolumn turns_cols[] = {
	C("trace", "String"), C("exchange", "UInt64"), C("idx", "UInt32"),
	C("start", "Int64"), C("api", "String"), C("session", "UInt64"),
	C("session_key", "String"), C("model", "String"),
	C("model_answered", "String"), C("response_id", "String"),
	C("stop_reason", "String"), C("warmup", "UInt8"),
	C("usage", "UInt8"), C("input_tokens", "Int64"),
	C("cached_input_tokens", "Int64"), C("cache_write_tokens", "Int64"),
	C("output_tokens", "Int64"), C("reasoning_tokens", "Int64"),
	C("cost", "Float64"), C("cost_pico", "Int64"), C("priced", "UInt8"),
	C("ttft", "Int64"), C("error", "String"),
};
static const struct cx_xcolumn events_cols[] = {
	C("trace", "String"), C("exchange", "UInt64"), C("idx", "UInt32"),
	C("time", "Int64"), C("type", "String"), BIG("data"),
	C("cut", "UInt8"),
};
static const struct cx_xcolumn tool_calls_cols[] = {
	C("trace", "String"), C("exchange", "UInt64"), C("turn", "UInt32"),
	C("idx", "UInt32"), C("session", "UInt64"), C("call_id", "String"),
	C("name", "String"), BIG("arguments"), C("has_result", "UInt8"),
	BIG("result"), C("result_exchange", "UInt64"), C("cut", "UInt8"),
};
static const struct cx_xcolumn processes_cols[] = {
	C("trace", "String"), C("pid", "UInt32"), C("ppid", "UInt32"),
	C("comm", "String"), C("exe", "String"), C("argv", "Array(String)"),
	C("exec_time", "Int64"), C("exited", "UInt8"),
	C("exit_code", "Int32"), C("via", "String"),
};

static const struct cx_xtable_def tables[CX_X_NTABLES] = {
	{ "sessions", sessions_cols, N(sessions_cols), "trace" },
	{ "exchanges", exchanges_cols, N(exchanges_cols), "trace, id" },
	{ "turns", turns_cols, N(turns_cols), "trace, exchange, idx" },
	{ "events", events_cols, N(events_cols), "trace, exchange, idx" },
	{ "tool_calls", tool_calls_cols, N(tool_calls_cols),
	  "trace, exchange, turn, idx" },
	{ "processes", processes_cols, N(processes_cols), "trace, pid" },
};

const struct cx_xtable_def *
cx_export_table(enum cx_xtable t)
{
	return &tables[t];
}

void
cx_export_trace_id(const struct cx_file_info *info, char id[17])
{
	uint64_t h = UINT64_C(0xcbf29ce484222325);
	char buf[160];
	int n;

	n = snprintf(buf, sizeof(buf), "%.64s|%" PRIu32 "|%" PRId64 "|%"
	    PRId64, info->host, info->writer_pid, info->realtime_ns,
	    info->monotonic_ns);
	for (int i = 0; i < n && i < (int)sizeof(buf); i++) {
		h ^= (uint8_t)buf[i];
		h *= UINT64_C(0x100000001b3);
	}
	snprintf(id, 17, "%016" PRIx64, h);
}

/* A tool call awaiting its result. */
struct pending {
	uint64_t         exchange;
	size_t           turn, idx, session;
	char            *call_id, *name, *args;
	int              derived;       /* call_id made up by the adapter */
};

struct xp {
	const struct cx_export_opts *o;
	cx_export_row_fn fn;
	void            *arg;
	const struct cx_file_info *info;
	char             id[17];
	struct cx_report *rep;
	struct cx_buf    row, tmp, key;
	int              stopped;
	int              skip;          /* delivered before: rows not made */
	struct pending  *calls;         /* FIFO, oldest first */
	size_t           ncalls;
};

static int64_t
wall(const struct xp *x, int64_t mono)
{
	return x->info->realtime_ns + (mono - x->info->monotonic_ns);
}

/* --- a row ------------------------------------------------------------ */

static void
row_begin(struct xp *x)
{
	cx_buf_reset(&x->row);
	cx_jw_raw(&x->row, "{\"trace\":\"");
	cx_jw_raw(&x->row, x->id);
	cx_buf_addc(&x->row, '"');
}

static void
row_end(struct xp *x, enum cx_xtable t)
{
	cx_buf_addc(&x->row, '}');
	if (x->stopped || x->skip)
		return;
	if (x->fn(x->arg, t, (const char *)cx_buf_head(&x->row),
	    cx_buf_used(&x->row)) != 0)
		x->stopped = 1;
}

static void
col(struct xp *x, const char *name)
{
	cx_jw_raw(&x->row, ",\"");
	cx_jw_raw(&x->row, name);
	cx_jw_raw(&x->row, "\":");
}

static void
col_i64(struct xp *x, const char *name, int64_t v)
{
	char buf[32];

	col(x, name);
	snprintf(buf, sizeof(buf), "%" PRId64, v);
	cx_jw_raw(&x->row, buf);
}

static void
col_u64(struct xp *x, const char *name, uint64_t v)
{
	col(x, name);
	cx_jw_u64(&x->row, v);
}

/* A string column; NULL is "".  Not redacted. */
static void
col_plain(struct xp *x, const char *name, const char *s)
{
	col(x, name);
	cx_jw_cstr(&x->row, 0, s != NULL ? s : "");
}

/* A string column, redacted as `as` when asked; NULL is "". */
static void
col_red(struct xp *x, const char *name, enum cx_out_as as, const char *s)
{
	col(x, name);
	if (s == NULL)
		s = "";
	cx_jw_red(&x->row, x->o->redact, as, s, strlen(s));
}

/* How much of p[0..n) fits CX_EXPORT_MAX_TEXT, not cutting a UTF-8
 * sequence. */
static size_t
fit(const char *p, size_t n, int *cut)
{
	if (n <= CX_EXPORT_MAX_TEXT)
		return n;
	*cut = 1;
	n = CX_EXPORT_MAX_TEXT;
	while (n > 0 && ((uint8_t)p[n] & 0xc0) == 0x80)
		n--;
	return n;
}

/* A datum: JSON re-written redacted, else text redacted; cut to fit. */
static void
col_data(struct xp *x, const char *name, const char *p, size_t n, int *cut)
{
	cx_buf_reset(&x->tmp);
	if (cx_json_emit(&x->tmp, p, n, (x->o->redact ? CX_JSON_REDACT : 0) |
	    CX_JSON_SCALAR, NULL) < 0)
		cx_out_redact(&x->tmp, x->o->redact, CX_AS_TEXT, p, n);
	col(x, name);
	cx_jw_str(&x->row, 0, (const char *)cx_buf_head(&x->tmp),
	    fit((const char *)cx_buf_head(&x->tmp), cx_buf_used(&x->tmp),
	    cut));
}

/* A message's body as text: decoded, redacted, binary as base64; "" for
 * none and for an event stream (its events are rows of their own). */
static void
col_body(struct xp *x, const char *name, const struct cx_msg *m, int *cut)
{
	struct cx_view v;

	cx_buf_reset(&x->tmp);
	if (!m->sse && m->body_bytes > 0) {
		cx_view_decode(&v, m);
		if (v.kind == CX_VIEW_UNSET) {
			if (cx_json_emit(&x->tmp, (const char *)v.p, v.n,
			    (x->o->redact ? CX_JSON_REDACT : 0) |
			    (v.json_scalar ? CX_JSON_SCALAR : 0), NULL) >= 0)
				v.kind = CX_VIEW_JSON;
			else
				v.kind = cx_view_classify_text(v.p, v.n);
		}
		if (v.kind == CX_VIEW_TEXT)
			cx_out_redact(&x->tmp, x->o->redact, v.form ?
			    CX_AS_FORM : CX_AS_TEXT, (const char *)v.p, v.n);
		else if (v.kind == CX_VIEW_BINARY)
			cx_json_base64_buf(&x->tmp, v.p, v.n);
		if (v.kind == CX_VIEW_BINARY && cx_buf_used(&x->tmp) >= 2) {
			/* base64 came quoted: keep what is inside */
			x->tmp.off++;
			x->tmp.len--;
		}
		if (v.raw_truncated || v.decoded_truncated)
			*cut = 1;
		cx_view_free(&v);
	}
	col(x, name);
	cx_jw_str(&x->row, 0, (const char *)cx_buf_head(&x->tmp),
	    fit((const char *)cx_buf_head(&x->tmp), cx_buf_used(&x->tmp),
	    cut));
}

/* --- tool calls ------------------------------------------------------ */

static void
call_row(struct xp *x, const struct pending *c, const struct cx_item *res,
    uint64_t res_exchange)
{
	int cut = 0;

	row_begin(x);
	col_u64(x, "exchange", c->exchange);
	col_u64(x, "turn", c->turn);
	col_u64(x, "idx", c->idx);
	col_u64(x, "session", c->session);
	col_red(x, "call_id", CX_AS_TEXT, c->call_id);
	col_red(x, "name", CX_AS_TEXT, c->name);
	col_data(x, "arguments", c->args, strlen(c->args), &cut);
	col_u64(x, "has_result", res != NULL);
	if (res != NULL)
		col_data(x, "result", res->text, res->len, &cut);
	else
		col_plain(x, "result", "");
	col_u64(x, "result_exchange", res_exchange);
	col_u64(x, "cut", (uint64_t)cut);
	row_end(x, CX_X_TOOL_CALLS);
}

/* Emit calls[i] (with its result, or none) and drop it. */
static void
call_done(struct xp *x, size_t i, const struct cx_item *res, uint64_t rex)
{
	struct pending *c = &x->calls[i];

	call_row(x, c, res, rex);
	free(c->call_id);
	free(c->name);
	free(c->args);
	memmove(c, c + 1, (x->ncalls - i - 1) * sizeof(*c));
	x->ncalls--;
}

static void
call_add(struct xp *x, const struct cx_turn *t, size_t idx, size_t session,
    const struct cx_item *it)
{
	struct pending *c;

	if (x->ncalls == CX_EXPORT_MAX_PENDING)
		call_done(x, 0, NULL, 0);
	if (x->calls == NULL)
		x->calls = xcalloc(CX_EXPORT_MAX_PENDING, sizeof(*x->calls));
	c = &x->calls[x->ncalls++];
	c->exchange = cx_xwalk_exchange_id(t->ex);
	c->turn = t->index;
	c->idx = idx;
	c->session = session;
	c->call_id = xstrdup(it->call_id != NULL ? it->call_id : "");
	c->name = xstrdup(it->name != NULL ? it->name : "");
	c->args = xstrdup(it->text != NULL ? it->text : "");
	c->derived = it->call_id_derived;
}

/*
 * The results t's request carries settle the calls awaiting them: by call
 * id; a call whose id the adapter made up (Gemini's calls have none) by
 * its name, the oldest of its session.
 */
static void
call_results(struct xp *x, const struct cx_turn *t, size_t session)
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
				    session && strcmp(x->calls[j].name,
				    it->name) == 0)
					break;
		if (j < x->ncalls)
			call_done(x, j, it, cx_xwalk_exchange_id(t->ex));
	}
}

/* --- turns, events, exchanges ---------------------------------------- */

static int64_t
count(int64_t v)
{
	return v >= 0 ? v : 0;
}

static void
on_turn(void *arg, struct cx_turn *t, size_t session)
{
	struct xp *x = arg;
	struct cx_cost cost;
	const struct cx_price *pr;
	char buf[48];

	cx_cost_init(&cost);
	pr = cx_cost_of_turn(&cost, x->o->prices, t);
	call_results(x, t, session);
	row_begin(x);
	col_u64(x, "exchange", cx_xwalk_exchange_id(t->ex));
	col_u64(x, "idx", t->index);
	col_i64(x, "start", wall(x, t->ex->start));
	col_plain(x, "api", t->api);
	col_u64(x, "session", session);
	col_red(x, "session_key", CX_AS_TEXT, t->session);
	col_red(x, "model", CX_AS_TEXT, t->model);
	col_red(x, "model_answered", CX_AS_TEXT, t->model_answered);
	col_red(x, "response_id", CX_AS_TEXT, t->response_id);
	col_red(x, "stop_reason", CX_AS_TEXT, t->stop_reason);
	col_u64(x, "warmup", t->warmup != 0);
	col_u64(x, "usage", cx_usage_known(&t->usage) != 0);
	col_i64(x, "input_tokens", count(t->usage.input));
	col_i64(x, "cached_input_tokens", count(t->usage.cached));
	col_i64(x, "cache_write_tokens", count(t->usage.cache_write));
	col_i64(x, "output_tokens", count(t->usage.output));
	col_i64(x, "reasoning_tokens", count(t->usage.reasoning));
	col(x, "cost");
	snprintf(buf, sizeof(buf), "%.12f", (double)cost.pico / 1e12);
	cx_jw_raw(&x->row, buf);
	col_i64(x, "cost_pico", cost.pico);
	col_u64(x, "priced", pr != NULL);
	col_i64(x, "ttft", t->t_first_token > 0 && t->t_request > 0 ?
	    t->t_first_token - t->t_request : -1);
	col_red(x, "error", CX_AS_TEXT, t->error);
	row_end(x, CX_X_TURNS);
	for (size_t i = 0; i < t->output.n; i++)
		if (t->output.v[i].kind == CX_ITEM_TOOL_CALL)
			call_add(x, t, i, session, &t->output.v[i]);
}

static void
event_rows(struct xp *x, const struct cx_exchange *ex)
{
	struct cx_ws_events we;
	const struct cx_msg *m = &ex->resp;

	memset(&we, 0, sizeof(we));
	if (ex->nws > 0) {
		cx_out_ws_events(&we, ex);
		m = &we.msg;
	}
	for (size_t i = 0; i < m->nevents; i++) {
		const struct cx_event *e = &m->events[i];
		int cut = e->truncated;

		row_begin(x);
		col_u64(x, "exchange", cx_xwalk_exchange_id(ex));
		col_u64(x, "idx", i);
		col_i64(x, "time", wall(x, e->ts));
		col_red(x, "type", CX_AS_TEXT, e->event);
		col_data(x, "data", e->data, e->data_len, &cut);
		col_u64(x, "cut", (uint64_t)cut);
		row_end(x, CX_X_EVENTS);
	}
	if (ex->nws > 0)
		cx_out_ws_events_free(&we);
}

static const char *
transport(const struct cx_exchange *ex)
{
	if (ex->nws > 0 || (ex->has_resp && ex->resp.status == 101))
		return "websocket";
	if (ex->resp.sse)
		return "sse";
	return "http";
}

static void
exchange_row(struct xp *x, const struct cx_exchange *ex)
{
	int cut = 0;

	row_begin(x);
	col_u64(x, "id", cx_xwalk_exchange_id(ex));
	col_i64(x, "start", wall(x, ex->start));
	col_i64(x, "ttfb", ex->has_req && ex->has_resp ?
	    ex->resp.t_first - ex->req.t_last : -1);
	col_i64(x, "duration", ex->has_resp ? ex->resp.t_last - ex->start :
	    -1);
	col_plain(x, "method", ex->req.method);
	col_red(x, "url", CX_AS_URL, ex->upstream != NULL ? ex->upstream :
	    ex->req.target);
	col_red(x, "host", CX_AS_TEXT, cx_fields_get(&ex->req.fields,
	    "host"));
	cx_report_endpoint_key(&x->key, ex);
	cx_buf_addc(&x->key, '\0');
	col_red(x, "endpoint", CX_AS_URL, (const char *)cx_buf_head(&x->key));
	col_i64(x, "status", ex->has_resp && ex->resp.head_done ?
	    ex->resp.status : 0);
	col_plain(x, "transport", transport(ex));
	col_u64(x, "pid", ex->pid);
	col_plain(x, "comm", ex->comm);
	col_u64(x, "bytes_req", ex->req.body_bytes + ex->tunnel_req);
	col_u64(x, "bytes_resp", ex->resp.body_bytes + ex->tunnel_resp);
	col_red(x, "error", CX_AS_TEXT, ex->error);
	col_body(x, "request_body", &ex->req, &cut);
	col_body(x, "response_body", &ex->resp, &cut);
	col_u64(x, "body_cut", (uint64_t)cut);
	row_end(x, CX_X_EXCHANGES);
}

static void
on_exchange(void *arg, struct cx_exchange *ex)
{
	struct xp *x = arg;

	if (x->stopped)
		return;
	if (!x->skip)
		exchange_row(x, ex);
	cx_report_exchange(x->rep, ex, on_turn, x);
	if (!x->skip)
		event_rows(x, ex);
}

/* --- processes, the session ------------------------------------------ */

static void
process_rows(struct xp *x, const struct cx_procs *procs)
{
	size_t n = procs != NULL ? cx_procs_count(procs) : 0;

	for (size_t i = 0; i < n; i++) {
		const struct cx_proc *p = cx_procs_at(procs, i);
		cJSON *argv = p->argv != NULL ? cJSON_Parse(p->argv) : NULL;
		const cJSON *e;
		int first = 1;

		row_begin(x);
		col_u64(x, "pid", p->pid);
		col_u64(x, "ppid", p->ppid);
		col_plain(x, "comm", p->comm);
		col_red(x, "exe", CX_AS_TEXT, p->exe);
		col(x, "argv");
		cx_buf_addc(&x->row, '[');
		cJSON_ArrayForEach(e, argv) {
			if (!cJSON_IsString(e))
				continue;
			if (!first)
				cx_buf_addc(&x->row, ',');
			first = 0;
			cx_jw_red(&x->row, x->o->redact, CX_AS_TEXT,
			    e->valuestring, strlen(e->valuestring));
		}
		cx_buf_addc(&x->row, ']');
		cJSON_Delete(argv);
		col_i64(x, "exec_time", p->exec_ts != 0 ? wall(x, p->exec_ts) :
		    0);
		col_u64(x, "exited", p->exited != 0);
		col_i64(x, "exit_code", p->exited ? p->exit_code : 0);
		col_plain(x, "via", p->via);
		row_end(x, CX_X_PROCESSES);
	}
}

static const char *
run_str(const struct cx_report *rep, const char *key)
{
	return rep->run != NULL ? cJSON_GetStringValue(
	    cJSON_GetObjectItem(rep->run, key)) : NULL;
}

static void
session_row(struct xp *x)
{
	const struct cx_report *rep = x->rep;
	char buf[48];

	row_begin(x);
	col_red(x, "host", CX_AS_TEXT, x->info->host);
	col_u64(x, "writer_pid", x->info->writer_pid);
	col_plain(x, "agent", run_str(rep, "agent"));
	col_plain(x, "agent_version", run_str(rep, "agent_version"));
	col_plain(x, "login", run_str(rep, "login_mode"));
	col_i64(x, "start", wall(x, rep->start));
	col_i64(x, "duration", rep->end > rep->start ? rep->end - rep->start :
	    0);
	col_u64(x, "exchanges", rep->exchanges);
	col_u64(x, "errors", rep->errors);
	col_u64(x, "turns", rep->turns_all);
	col_i64(x, "input_tokens", count(rep->usage.input));
	col_i64(x, "cached_input_tokens", count(rep->usage.cached));
	col_i64(x, "output_tokens", count(rep->usage.output));
	col_i64(x, "reasoning_tokens", count(rep->usage.reasoning));
	col(x, "cost");
	snprintf(buf, sizeof(buf), "%.12f", (double)rep->cost.pico / 1e12);
	cx_jw_raw(&x->row, buf);
	col_i64(x, "cost_pico", rep->cost.pico);
	col_u64(x, "bytes_req", rep->bytes_req);
	col_u64(x, "bytes_resp", rep->bytes_resp);
	row_end(x, CX_X_SESSIONS);
}

/* --- the walk (export_walk.h) ----------------------------------------- */

static void
walk_begin(void *arg, const struct cx_file_info *info, struct cx_report *rep)
{
	struct xp *x = arg;

	x->info = info;
	x->rep = rep;
	cx_export_trace_id(info, x->id);
}

static void
walk_exchange(void *arg, struct cx_exchange *ex, int skip)
{
	struct xp *x = arg;

	x->skip = skip;
	on_exchange(x, ex);
	x->skip = 0;
}

static void
walk_end(void *arg, const struct cx_analysis_result *r, int skip)
{
	struct xp *x = arg;

	x->skip = skip;
	while (x->ncalls > 0)
		call_done(x, 0, NULL, 0);
	process_rows(x, r->procs);
	session_row(x);
	x->skip = 0;
}

static int
walk_deliver(void *arg)
{
	struct xp *x = arg;

	if (x->stopped)
		return -1;
	return x->o->deliver != NULL ? x->o->deliver(x->arg) : 0;
}

static int
walk_failed(void *arg)
{
	return ((struct xp *)arg)->stopped;
}

int
cx_export_rows(const char *path, const struct cx_export_opts *o,
    cx_export_row_fn fn, void *arg, char *id, char *err, size_t errlen)
{
	static const struct cx_xwalk_ops ops = {
		walk_begin, walk_exchange, walk_end, walk_deliver, walk_failed,
	};
	struct cx_xwalk_opts wo;
	struct xp x;
	int rc;

	cx_xwalk_opts_with(&wo, o->walk, o->redact, o->prices, o->names);
	memset(&x, 0, sizeof(x));
	x.o = o;
	x.fn = fn;
	x.arg = arg;
	cx_buf_init(&x.row, 0);
	cx_buf_init(&x.tmp, 0);
	cx_buf_init(&x.key, 0);
	rc = cx_xwalk(path, &wo, &ops, &x, o->stats, err, errlen);
	if (rc != CX_EXPORT_EINPUT && id != NULL)
		memcpy(id, x.id, sizeof(x.id));
	for (size_t i = 0; i < x.ncalls; i++) {
		free(x.calls[i].call_id);
		free(x.calls[i].name);
		free(x.calls[i].args);
	}
	free(x.calls);
	cx_buf_free(&x.row);
	cx_buf_free(&x.tmp);
	cx_buf_free(&x.key);
	return rc;
}
