/*
 * report.c: the facts of a report (report.h), collected exchange by
 * exchange: endpoints, event types, key paths, usage from the
 * conversation model, the processes' exchanges; the timeline's rows in
 * report_timeline.c.
 */
#include <stdlib.h>
#include <string.h>

#include <cJSON.h>

#include "json.h"
#include "output.h"
#include "report.h"
#include "report_timeline.h"
#include "ws.h"

/* --- endpoints ------------------------------------------------------- */

static int
all_of(const char *s, size_t n, const char *set)
{
	for (size_t i = 0; i < n; i++)
		if (s[i] == '\0' || strchr(set, s[i]) == NULL)
			return 0;
	return 1;
}

#define HEX     "0123456789abcdefABCDEF"
#define B64     "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz" \
		"0123456789_-+=~."

/* Does a path segment look like an id? */
static int
id_like(const char *s, size_t n)
{
	size_t digits = 0;

	if (n == 0)
		return 0;
	if (all_of(s, n, "0123456789"))
		return 1;
	if (n == 36 && s[8] == '-' && s[13] == '-' && s[18] == '-' &&
	    s[23] == '-' && all_of(s, 8, HEX) && all_of(s + 9, 4, HEX) &&
	    all_of(s + 14, 4, HEX) && all_of(s + 19, 4, HEX) &&
	    all_of(s + 24, 12, HEX))
		return 1;
	if (n >= 16 && all_of(s, n, HEX))
		return 1;
	for (size_t i = 0; i < n; i++)
		digits += s[i] >= '0' && s[i] <= '9';
	return n >= 20 && digits > 0 && all_of(s, n, B64);
}

void
cx_report_endpoint_key(struct cx_buf *b, const struct cx_exchange *ex)
{
	const char *t, *end, *seg;

	cx_buf_reset(b);
	if (!ex->has_req || !ex->req.head_done) {
		cx_buf_adds(b, ex->has_resp ? "(no request)" : "(error only)");
		return;
	}
	cx_buf_adds(b, ex->req.method);
	cx_buf_addc(b, ' ');
	t = ex->req.target;
	end = t + strcspn(t, "?#");
	/* Segment by segment (an absolute URI's scheme and host too). */
	for (seg = t; seg < end;) {
		const char *slash = memchr(seg, '/', (size_t)(end - seg));
		size_t n = slash ? (size_t)(slash - seg) : (size_t)(end - seg);

		if (id_like(seg, n))
			cx_buf_adds(b, "{id}");
		else
			cx_buf_add(b, seg, n);
		if (slash == NULL)
			break;
		cx_buf_addc(b, '/');
		seg = slash + 1;
	}
}

/* Grow an array of n elements (capacity *a) to hold one more. */
static void *
grow(void *p, size_t n, size_t *a, size_t size)
{
	if (n < *a)
		return p;
	*a = *a ? 2 * *a : 16;
	return xreallocarray(p, *a, size);
}

static struct cx_report_endpoint *
endpoint(struct cx_report *rep, const char *key)
{
	struct cx_report_endpoint *e;

	for (size_t i = 0; i < rep->nep; i++)
		if (strcmp(rep->ep[i].key, key) == 0)
			return &rep->ep[i];
	if (rep->nep >= CX_REPORT_MAX_ENDPOINTS)
		return NULL;
	rep->ep = xreallocarray(rep->ep, rep->nep + 1, sizeof(*rep->ep));
	e = &rep->ep[rep->nep++];
	memset(e, 0, sizeof(*e));
	e->key = xstrdup(key);
	return e;
}

static void
add_status(struct cx_report_endpoint *e, int status)
{
	for (size_t i = 0; i < e->nst; i++)
		if (e->st[i].status == status) {
			e->st[i].n++;
			return;
		}
	e->st = xreallocarray(e->st, e->nst + 1, sizeof(*e->st));
	e->st[e->nst].status = status;
	e->st[e->nst++].n = 1;
}

/* ex into its endpoint's counts; returns the endpoint's index, or -1. */
static int32_t
count_endpoint(struct cx_report *rep, const struct cx_exchange *ex)
{
	struct cx_report_endpoint *e;

	cx_report_endpoint_key(&rep->key, ex);
	if ((e = endpoint(rep, (const char *)rep->key.p)) == NULL) {
		rep->ep_other++;
		return -1;
	}
	e->count++;
	add_status(e, ex->has_resp && ex->resp.head_done ? ex->resp.status :
	    0);
	if (ex->has_req && ex->has_resp) {
		e->ttfb = grow(e->ttfb, e->nttfb, &e->attfb, sizeof(double));
		e->ttfb[e->nttfb++] = cx_ms(ex->resp.t_first - ex->req.t_last);
	}
	if (ex->has_resp) {
		e->dur = grow(e->dur, e->ndur, &e->adur, sizeof(double));
		e->dur[e->ndur++] = cx_ms(ex->resp.t_last - ex->start);
	}
	e->in += ex->has_req ? ex->req.body_bytes : 0;
	e->out += ex->has_resp ? ex->resp.body_bytes : 0;
	return (int32_t)(e - rep->ep);
}

static int
cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

static double
median(double *v, size_t n)
{
	if (n == 0)
		return 0;
	qsort(v, n, sizeof(*v), cmp_double);
	return n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}

static double
maximum(const double *v, size_t n)
{
	double m = n ? v[0] : 0;

	for (size_t i = 1; i < n; i++)
		if (v[i] > m)
			m = v[i];
	return m;
}

/* --- events and key paths -------------------------------------------- */

static struct cx_report_evtype *
evtype(struct cx_report *rep, const char *name)
{
	struct cx_report_evtype *et;

	/* A stream's events come in runs of one type. */
	if (rep->ev_last < rep->nev && strcmp(rep->ev[rep->ev_last].name,
	    name) == 0)
		return &rep->ev[rep->ev_last];
	for (size_t i = 0; i < rep->nev; i++)
		if (strcmp(rep->ev[i].name, name) == 0) {
			rep->ev_last = i;
			return &rep->ev[i];
		}
	if (rep->nev >= CX_REPORT_MAX_EVENT_TYPES)
		return NULL;
	rep->ev = xreallocarray(rep->ev, rep->nev + 1, sizeof(*rep->ev));
	et = &rep->ev[rep->nev++];
	et->name = xstrdup(name);
	et->n = 0;
	et->kp = cx_keypaths_new(CX_REPORT_MAX_PATHS, rep->redact);
	return et;
}

/* An event (or a WebSocket message) of type name into its counts. */
static void
count_event(struct cx_report *rep, const char *name, const char *data,
    size_t len)
{
	struct cx_report_evtype *et = evtype(rep, name);

	if (et == NULL) {
		rep->ev_other++;
		return;
	}
	et->n++;
	if (cx_json_check(data, len, 0))
		cx_keypaths_add_json(et->kp, data, len);
}

/* Is this event OpenAI's end of stream, "data: [DONE]"? */
static int
stream_done(const struct cx_event *ev)
{
	return !ev->partial && ev->data_len == 6 &&
	    memcmp(ev->data, "[DONE]", 6) == 0;
}

/*
 * A WebSocket's messages, generic JSON: the client's text messages as
 * request bodies, the server's as events named by their "type" member
 * ("message" when they have none).
 */
static void
count_ws(struct cx_report *rep, const struct cx_exchange *ex)
{
	for (size_t i = 0; i < ex->nws; i++) {
		const struct cx_wsmsg *w = &ex->ws[i];
		cJSON *o;
		const cJSON *type;

		if (w->opcode != 0x1 || !cx_json_check(w->data, w->len, 0))
			continue;
		if (w->dir == CX_WS_CLIENT) {
			cx_keypaths_add_json(rep->req_kp, w->data, w->len);
			continue;
		}
		o = cJSON_ParseWithLength(w->data, w->len);
		type = cJSON_GetObjectItemCaseSensitive(o, "type");
		count_event(rep, cJSON_IsString(type) ? type->valuestring :
		    "message", w->data, w->len);
		cJSON_Delete(o);
	}
}

/* The payloads; the bodies' checks done before (-1: not). */
static void
count_payloads_as(struct cx_report *rep, const struct cx_exchange *ex,
    int req_json, int resp_json)
{
	if (ex->has_req) {
		if (req_json < 0)
			cx_keypaths_add_body(rep->req_kp, &ex->req);
		else
			cx_keypaths_add_body_as(rep->req_kp, &ex->req,
			    req_json);
	}
	if (ex->has_resp && !ex->resp.sse) {
		if (resp_json < 0)
			cx_keypaths_add_body(rep->resp_kp, &ex->resp);
		else
			cx_keypaths_add_body_as(rep->resp_kp, &ex->resp,
			    resp_json);
	}
	for (size_t j = 0; ex->has_resp && j < ex->resp.nevents; j++) {
		const struct cx_event *ev = &ex->resp.events[j];

		if (stream_done(ev))
			rep->done++;
		else
			count_event(rep, ev->event, ev->data, ev->data_len);
	}
	count_ws(rep, ex);
}

static void
count_payloads(struct cx_report *rep, const struct cx_exchange *ex)
{
	count_payloads_as(rep, ex, -1, -1);
}

/* --- usage ------------------------------------------------------------ */

/* The row of sums for (api, num) in *v (any api when NULL), added if
 * there is room. */
static struct cx_report_sum *
usage_sum(struct cx_report_sum **v, size_t *n, size_t max, const char *api,
    size_t num)
{
	for (size_t i = 0; i < *n; i++)
		if ((*v)[i].num == num && (api == NULL ||
		    strcmp((*v)[i].api, api) == 0))
			return &(*v)[i];
	if (*n >= max)
		return NULL;
	*v = xreallocarray(*v, *n + 1, sizeof(**v));
	memset(&(*v)[*n], 0, sizeof(**v));
	(*v)[*n].api = api != NULL ? api : "?";
	(*v)[*n].num = num;
	cx_usage_init(&(*v)[*n].usage);
	return &(*v)[(*n)++];
}

static void
sum_turn(struct cx_report_sum *m, const struct cx_turn *t,
    const struct cx_cost *cost)
{
	m->turns++;
	m->with_usage += cx_usage_known(&t->usage);
	cx_usage_add(&m->usage, &t->usage);
	cx_cost_add(&m->cost, cost);
}

/* A turn's row: the next of the table, or the spare one past it. */
static void
turn_row(struct cx_report *rep, const struct cx_turn *t,
    const struct cx_cost *cost, const struct cx_price *price, size_t session)
{
	const struct cx_exchange *ex = t->ex;
	const char *model = t->model != NULL ? t->model : t->model_answered;
	struct cx_report_turn *r;

	if (rep->nturns >= CX_REPORT_MAX_TURNS) {
		/* Past the table's rows: counted in the sums only. */
		r = &rep->spare;
		free(r->model);
		free(r->answered);
	} else {
		rep->turns = grow(rep->turns, rep->nturns, &rep->aturns,
		    sizeof(*rep->turns));
		r = &rep->turns[rep->nturns++];
	}
	memset(r, 0, sizeof(*r));
	r->id = ex->id;
	r->index = t->index;
	r->ws = ex->nws > 0;
	r->api = t->api != NULL ? t->api : "?";
	r->model = model != NULL ? xstrdup(model) : NULL;
	if (t->model != NULL && t->model_answered != NULL &&
	    strcmp(t->model, t->model_answered) != 0)
		r->answered = xstrdup(t->model_answered);
	r->warmup = t->warmup;
	r->usage = t->usage;
	r->cost = *cost;
	r->price = price;
	r->first_ms = t->t_first_token > 0 && t->t_request > 0 ?
	    cx_ms(t->t_first_token - t->t_request) : -1;
	r->session = session;
}

/* A turn into the usage: its row, its session's and API's sums; returns
 * its session's number. */
static size_t
count_turn(struct cx_report *rep, struct cx_turn *t)
{
	const struct cx_api *api = cx_api_of(t->ex);
	const char *name = t->api != NULL ? t->api : "?";
	struct cx_report_sum *m;
	const struct cx_price *price;
	struct cx_cost cost;
	size_t num;
	int is_new = 0;

	cx_cost_init(&cost);
	price = cx_cost_of_turn(&cost, rep->prices, t);
	rep->turns_all++;
	cx_usage_add(&rep->usage, &t->usage);
	cx_cost_add(&rep->cost, &cost);
	num = cx_sessions_turn(rep->sess, t, &is_new);
	turn_row(rep, t, &cost, price, num);
	if ((m = usage_sum(&rep->sessions, &rep->nsessions,
	    CX_REPORT_MAX_SESSIONS, NULL, num)) == NULL)
		rep->sessions_other++;
	else {
		if (m->turns == 0) {
			m->api = name;
			m->key = t->session != NULL ? xstrdup(t->session) :
			    NULL;
			m->pid = t->ex->pid;
		}
		sum_turn(m, t, &cost);
	}
	if ((m = usage_sum(&rep->apis, &rep->napis, CX_REPORT_MAX_ENDPOINTS,
	    name, 0)) != NULL) {
		m->title = api != NULL ? api->title : name;
		sum_turn(m, t, &cost);
	}
	return num;
}

struct turn_ctx {
	struct cx_report        *rep;
	cx_report_turn_fn        fn;
	void                    *arg;
};

/* A turn from the adapter (cx_turn_fn): counted, then handed on. */
static void
on_turn(void *arg, struct cx_turn *t)
{
	struct turn_ctx *tc = arg;
	size_t num = count_turn(tc->rep, t);

	if (tc->fn != NULL)
		tc->fn(tc->arg, t, num);
}

/* --- the report ------------------------------------------------------- */

struct cx_report *
cx_report_new(const struct cx_file_info *info, int redact,
    const struct cx_prices *prices)
{
	struct cx_report *rep = xcalloc(1, sizeof(*rep));

	rep->redact = redact;
	rep->prices = prices;
	rep->req_kp = cx_keypaths_new(CX_REPORT_MAX_PATHS, redact);
	rep->resp_kp = cx_keypaths_new(CX_REPORT_MAX_PATHS, redact);
	rep->start = rep->end = info->monotonic_ns;
	rep->sess = cx_sessions_new();
	cx_usage_init(&rep->usage);
	cx_buf_init(&rep->key, 0);
	return rep;
}

static void
later(int64_t *end, int64_t t)
{
	if (t > *end)
		*end = t;
}

size_t
cx_report_exchange(struct cx_report *rep, const struct cx_exchange *ex,
    cx_report_turn_fn fn, void *arg)
{
	cx_report_payloads(rep, ex);
	return cx_report_exchange_rest(rep, ex, fn, arg);
}

void
cx_report_payloads(struct cx_report *rep, const struct cx_exchange *ex)
{
	count_payloads(rep, ex);
}

/* The facts of ex but its payloads' and its turns'. */
static void
count_exchange(struct cx_report *rep, const struct cx_exchange *ex)
{
	rep->exchanges++;
	later(&rep->end, ex->start);
	if (ex->has_req)
		later(&rep->end, ex->req.t_last);
	if (ex->has_resp)
		later(&rep->end, ex->resp.t_last);
	if (ex->error != NULL)
		rep->errors++;
	cx_report_timeline_add(rep, ex, count_endpoint(rep, ex));
	if (ex->pid != 0) {
		rep->pidex = grow(rep->pidex, rep->npidex, &rep->apidex,
		    sizeof(*rep->pidex));
		rep->pidex[rep->npidex].pid = ex->pid;
		rep->pidex[rep->npidex++].id = ex->id;
	}
}

size_t
cx_report_exchange_rest(struct cx_report *rep, const struct cx_exchange *ex,
    cx_report_turn_fn fn, void *arg)
{
	struct turn_ctx tc = { rep, fn, arg };

	count_exchange(rep, ex);
	return cx_conv_turns(ex, on_turn, &tc);
}

/* --- turns built apart ------------------------------------------------ */

struct cx_report_turns {
	int              req_json;      /* the bodies' checks */
	int              resp_json;
	int              built;         /* the turns below */
	struct cx_turn  *v;
	size_t           n, alloc;
	size_t           ret;           /* what the adapter returned */
};

/* A turn from the adapter (cx_turn_fn): kept. */
static void
keep_turn(void *arg, struct cx_turn *t)
{
	struct cx_report_turns *tt = arg;

	tt->v = grow(tt->v, tt->n, &tt->alloc, sizeof(*tt->v));
	tt->v[tt->n++] = *t;
	memset(t, 0, sizeof(*t));       /* the adapter frees an empty one */
}

struct cx_report_turns *
cx_report_turns_build(const struct cx_exchange *ex, int turns)
{
	struct cx_report_turns *tt = xcalloc(1, sizeof(*tt));

	tt->req_json = ex->has_req ? cx_keypaths_body_json(&ex->req) : 0;
	tt->resp_json = ex->has_resp && !ex->resp.sse ?
	    cx_keypaths_body_json(&ex->resp) : 0;
	if (turns) {
		tt->built = 1;
		tt->ret = cx_conv_turns(ex, keep_turn, tt);
	}
	return tt;
}

void
cx_report_turns_free(struct cx_report_turns *tt)
{
	if (tt == NULL)
		return;
	for (size_t i = 0; i < tt->n; i++)
		cx_turn_free(&tt->v[i]);
	free(tt->v);
	free(tt);
}

void *
cx_report_turns_ahead(void *arg, const struct cx_exchange *ex)
{
	(void)arg;
	return cx_report_turns_build(ex, cx_ahead_is_behind());
}

void
cx_report_turns_drop(void *tt)
{
	cx_report_turns_free(tt);
}

size_t
cx_report_exchange_built(struct cx_report *rep, const struct cx_exchange *ex,
    struct cx_report_turns *tt, cx_report_turn_fn fn, void *arg)
{
	struct turn_ctx tc = { rep, fn, arg };
	size_t ret = tt->ret;

	count_payloads_as(rep, ex, tt->req_json, tt->resp_json);
	if (!tt->built)
		return cx_report_exchange_rest(rep, ex, fn, arg);
	count_exchange(rep, ex);
	for (size_t i = 0; i < tt->n; i++)
		on_turn(&tc, &tt->v[i]);
	return ret;
}

/* The first note of the recorder's run (cxrec run), parsed; or NULL. */
static cJSON *
run_note(const struct cx_analysis_result *r)
{
	for (size_t i = 0; i < r->nnotes; i++) {
		cJSON *o;
		const char *type;

		if (r->notes[i].kind != CX_K_NOTE)
			continue;
		o = cJSON_ParseWithLength(r->notes[i].text, r->notes[i].len);
		type = cJSON_GetStringValue(cJSON_GetObjectItem(o, "type"));
		if (cJSON_IsObject(o) && type != NULL &&
		    strcmp(type, "run") == 0)
			return o;
		cJSON_Delete(o);
	}
	return NULL;
}

static int
by_pid(const void *a, const void *b)
{
	const struct cx_report_pidex *x = a, *y = b;

	if (x->pid != y->pid)
		return x->pid < y->pid ? -1 : 1;
	return x->id < y->id ? -1 : x->id > y->id;
}

void
cx_report_finish(struct cx_report *rep, const struct cx_analysis_result *r)
{
	/* The notes' times count for the end of the trace too. */
	for (size_t i = 0; i < r->nnotes; i++)
		later(&rep->end, r->notes[i].ts);
	rep->connections = r->connections;
	rep->bytes_req = r->bytes_req;
	rep->bytes_resp = r->bytes_resp;
	rep->notes = r->notes;
	rep->nnotes = r->nnotes;
	rep->procs = r->procs;
	cJSON_Delete(rep->run);
	rep->run = run_note(r);
	for (size_t i = 0; i < rep->nep; i++) {
		struct cx_report_endpoint *e = &rep->ep[i];

		e->ttfb_median = median(e->ttfb, e->nttfb);
		e->ttfb_max = maximum(e->ttfb, e->nttfb);
		e->dur_median = median(e->dur, e->ndur);
		e->dur_max = maximum(e->dur, e->ndur);
	}
	if (rep->npidex > 1)
		qsort(rep->pidex, rep->npidex, sizeof(*rep->pidex), by_pid);
	cx_keypaths_sort(rep->req_kp);
	cx_keypaths_sort(rep->resp_kp);
	for (size_t i = 0; i < rep->nev; i++)
		cx_keypaths_sort(rep->ev[i].kp);
	cx_report_timeline_tree(rep);
}

const struct cx_report_pidex *
cx_report_proc_exchanges(const struct cx_report *rep, uint32_t pid,
    size_t *n)
{
	size_t lo = 0, hi = rep->npidex, k;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;

		if (rep->pidex[mid].pid < pid)
			lo = mid + 1;
		else
			hi = mid;
	}
	for (k = lo; k < rep->npidex && rep->pidex[k].pid == pid; k++)
		;
	*n = k - lo;
	return *n > 0 ? &rep->pidex[lo] : NULL;
}

void
cx_report_free(struct cx_report *rep)
{
	if (rep == NULL)
		return;
	for (size_t i = 0; i < rep->nep; i++) {
		free(rep->ep[i].key);
		free(rep->ep[i].st);
		free(rep->ep[i].ttfb);
		free(rep->ep[i].dur);
	}
	free(rep->ep);
	for (size_t i = 0; i < rep->nev; i++) {
		free(rep->ev[i].name);
		cx_keypaths_free(rep->ev[i].kp);
	}
	free(rep->ev);
	cx_keypaths_free(rep->req_kp);
	cx_keypaths_free(rep->resp_kp);
	for (size_t i = 0; i < rep->nturns; i++) {
		free(rep->turns[i].model);
		free(rep->turns[i].answered);
	}
	free(rep->spare.model);
	free(rep->spare.answered);
	free(rep->turns);
	for (size_t i = 0; i < rep->nsessions; i++)
		free(rep->sessions[i].key);
	free(rep->sessions);
	free(rep->apis);
	cx_sessions_free(rep->sess);
	free(rep->pidex);
	cx_report_timeline_free(rep);
	cJSON_Delete(rep->run);
	cx_buf_free(&rep->key);
	free(rep);
}
