/*
 * out_md.c: the Markdown report (docs/report.md): a header about the
 * trace, warnings, statistics (endpoints, token usage, event types), the
 * key paths of the payloads with their JSON types, the conversation
 * (out_conv.c), then every exchange in full, its blocks in <details>.
 *
 * Everything taken from the traffic goes through escape.h (escaped text,
 * or code blocks with a fence longer than any backtick run inside) and,
 * unless --no-redact, through redact.h first.
 */
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <cJSON.h>

#include "json.h"
#include "jsonw.h"
#include "keypaths.h"
#include "escape.h"
#include "procs.h"
#include "output.h"
#include "redact.h"
#include "view.h"
#include "conv.h"
#include "ws.h"

#define MAX_PATHS       2000    /* distinct key paths a table */
#define MAX_ENDPOINTS   500
#define MAX_EVENT_TYPES 200
#define HEXDUMP_MAX     256

/* --- helpers --------------------------------------------------------- */

/* s[0..n) redacted into b (a URL's query too with url set). */
static void
redacted(struct cx_buf *b, const struct cx_out_ctx *ctx, const char *s,
    size_t n, int url)
{
	cx_buf_reset(b);
	if (!ctx->redact)
		cx_buf_add(b, s, n);
	else if (url)
		cx_redact_query(b, s, n, 0);
	else
		cx_redact_text(b, s, n);
}

/* Traffic text, redacted and escaped, inline. */
static void
rtext(FILE *f, const struct cx_out_ctx *ctx, const char *s, int url,
    int flags)
{
	struct cx_buf b;

	if (s == NULL)
		return;
	cx_buf_init(&b, 0);
	redacted(&b, ctx, s, strlen(s), url);
	cx_md_text(f, (const char *)b.p, b.len, flags);
	cx_buf_free(&b);
}

static void
size(char *buf, size_t len, uint64_t n)
{
	if (n < 1024)
		snprintf(buf, len, "%" PRIu64 " B", n);
	else if (n < 1024 * 1024)
		snprintf(buf, len, "%.1f KiB", (double)n / 1024);
	else if (n < 1024ull * 1024 * 1024)
		snprintf(buf, len, "%.1f MiB", (double)n / (1024 * 1024));
	else
		snprintf(buf, len, "%.2f GiB",
		    (double)n / (1024 * 1024 * 1024));
}

/* The JSON text p[0..n) (checked) redacted, compact or pretty, in b. */
static void
json_text(struct cx_buf *b, const struct cx_out_ctx *ctx, const char *p,
    size_t n, int pretty, int scalar)
{
	char *mem = NULL;
	size_t len = 0;
	FILE *ms = open_memstream(&mem, &len);

	cx_buf_reset(b);
	if (ms == NULL)
		return;
	cx_json_write(ms, p, n, (ctx->redact ? CX_JSON_REDACT : 0) |
	    (pretty ? CX_JSON_PRETTY : 0) | (scalar ? CX_JSON_SCALAR : 0), "");
	fclose(ms);
	cx_buf_add(b, mem, len);
	free(mem);
}

/* How many bytes of s[0..n) --max-body lets through (not inside UTF-8). */
static size_t
shown(const struct cx_out_ctx *ctx, const char *s, size_t n)
{
	size_t k;

	if (ctx->max_body == 0 || n <= ctx->max_body)
		return n;
	k = (size_t)ctx->max_body;
	while (k > 0 && ((uint8_t)s[k] & 0xc0) == 0x80)
		k--;
	return k;
}

static void
code_limited(FILE *f, const struct cx_out_ctx *ctx, const char *info,
    const char *s, size_t n)
{
	size_t k = shown(ctx, s, n);

	cx_md_code(f, info, s, k);
	if (k < n)
		fprintf(f, "*%zu more bytes not shown (--max-body)*\n\n",
		    n - k);
}

static void
details_open(FILE *f, const char *summary)
{
	/* The blank line after </summary> lets Markdown resume. */
	fprintf(f, "<details><summary>%s</summary>\n\n", summary);
}

static void
details_close(FILE *f)
{
	fputs("</details>\n\n", f);
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

/* --- endpoints ------------------------------------------------------- */

struct status_count {
	int              status;        /* 0: no response */
	uint64_t         n;
};

struct endpoint {
	char            *key;           /* "POST /v1/responses" */
	uint64_t         count;
	struct status_count *st;
	size_t           nst;
	double          *ttfb, *dur;
	size_t           nttfb, ndur;
	size_t           attfb, adur;
	uint64_t         in, out;       /* body bytes, request / response */
};

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

/* "METHOD /path/{id}" for an exchange, in b. */
static void
endpoint_key(struct cx_buf *b, const struct cx_exchange *ex)
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

/* A turn's aggregates (its items are not kept). */
struct usage_row {
	uint64_t         id;            /* the exchange */
	size_t           index;         /* its turn within the exchange */
	int              ws;            /* on a WebSocket */
	const char      *api;           /* the adapter's name (static) */
	char            *model;         /* asked for, or answered; or NULL */
	char            *answered;      /* answered, when not the one asked */
	int              warmup;
	struct cx_usage  u;
	double           first_ms;      /* first token after the request; -1 */
};

/* A session's or an API's sums. */
struct usage_sum {
	char            *key;           /* session key, or NULL */
	size_t           num;           /* the session's number */
	uint32_t         pid;           /* a session without key: its pid */
	const char      *api;           /* static */
	const char      *title;         /* the API's title (static) */
	size_t           turns;
	size_t           with_usage;    /* turns whose usage is known */
	struct cx_usage  u;
};

#define MAX_SESSIONS    1000    /* rows of the sessions' table */
#define MAX_TURN_ROWS   20000   /* rows of the per-turn table */

/* Grow an array of n elements (capacity *a) to hold one more. */
static void *
grow(void *p, size_t n, size_t *a, size_t size)
{
	if (n < *a)
		return p;
	*a = *a ? 2 * *a : 16;
	return xreallocarray(p, *a, size);
}

struct stats {
	struct endpoint *ep;
	size_t           nep;
	uint64_t         ep_other;      /* exchanges past MAX_ENDPOINTS */
	struct evtype {
		char            *name;
		uint64_t         n;
		struct cx_keypaths *kp;
	}               *ev;
	size_t           nev;
	uint64_t         ev_other;
	struct cx_keypaths *req_kp, *resp_kp;
	size_t           exchanges;
	size_t           errors;
	int64_t          end;           /* the last time seen */
	struct usage_row *usage;        /* every model API turn */
	size_t           nusage;
	struct usage_row usage_spare;   /* rows past MAX_TURN_ROWS */
	uint64_t         turns;         /* all turns, in the table or not */
	size_t           ausage;
	struct usage_sum *sess;         /* by session (cx_sessions' numbers) */
	size_t           nsess;
	uint64_t         sess_other;    /* turns of sessions past MAX_SESSIONS */
	struct usage_sum *apis;         /* by API */
	size_t           napis;
	struct cx_usage  all;
	struct cx_sessions *sessions;
	const struct cx_exchange *ex;   /* the exchange being counted */
	uint64_t         done;          /* SSE "data: [DONE]" stream ends */
	struct pid_ex {                 /* each exchange's process */
		uint32_t         pid;
		uint64_t         id;
	}               *pidex;
	size_t           npidex;
	size_t           apidex;
};

static struct endpoint *
endpoint(struct stats *s, const char *key)
{
	struct endpoint *e;

	for (size_t i = 0; i < s->nep; i++)
		if (strcmp(s->ep[i].key, key) == 0)
			return &s->ep[i];
	if (s->nep >= MAX_ENDPOINTS)
		return NULL;
	s->ep = xreallocarray(s->ep, s->nep + 1, sizeof(*s->ep));
	e = &s->ep[s->nep++];
	memset(e, 0, sizeof(*e));
	e->key = xstrdup(key);
	return e;
}

static void
add_status(struct endpoint *e, int status)
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

static struct evtype *
evtype(struct stats *s, const char *name, int redact)
{
	for (size_t i = 0; i < s->nev; i++)
		if (strcmp(s->ev[i].name, name) == 0)
			return &s->ev[i];
	if (s->nev >= MAX_EVENT_TYPES)
		return NULL;
	s->ev = xreallocarray(s->ev, s->nev + 1, sizeof(*s->ev));
	s->ev[s->nev].name = xstrdup(name);
	s->ev[s->nev].n = 0;
	s->ev[s->nev].kp = cx_keypaths_new(MAX_PATHS, redact);
	return &s->ev[s->nev++];
}

static void
later(int64_t *end, int64_t t)
{
	if (t > *end)
		*end = t;
}

static void
body_paths(struct cx_keypaths *kp, const struct cx_msg *m)
{
	struct cx_view v;

	cx_view_body(&v, m);
	if (v.kind == CX_VIEW_JSON)
		cx_keypaths_add_text(kp, (const char *)v.p, v.n);
	cx_view_free(&v);
}

static void
stats_init(struct stats *s, const struct cx_out_ctx *ctx)
{
	memset(s, 0, sizeof(*s));
	s->req_kp = cx_keypaths_new(MAX_PATHS, ctx->redact);
	s->resp_kp = cx_keypaths_new(MAX_PATHS, ctx->redact);
	s->end = ctx->info->monotonic_ns;
	s->sessions = cx_sessions_new();
	cx_usage_init(&s->all);
}

static int
usage_known(const struct cx_usage *u)
{
	return u->input >= 0 || u->output >= 0 || u->cached >= 0 ||
	    u->cache_write >= 0 || u->reasoning >= 0 || u->api_total >= 0;
}

/* The row of sums for (api, num) in *v (any api when NULL), added if
 * there is room. */
static struct usage_sum *
usage_sum(struct usage_sum **v, size_t *n, size_t max, const char *api,
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
	cx_usage_init(&(*v)[*n].u);
	return &(*v)[(*n)++];
}

static void
sum_turn(struct usage_sum *m, const struct cx_turn *t)
{
	m->turns++;
	m->with_usage += usage_known(&t->usage);
	cx_usage_add(&m->u, &t->usage);
}

/*
 * A model API turn (cx_turn_fn): its usage, model and first-token time
 * taken, its session's and API's sums added to; the turn itself (its
 * items) is freed by the adapter when this returns.
 */
static void
usage_turn(void *arg, struct cx_turn *t)
{
	struct stats *s = arg;
	const struct cx_api *api = cx_api_of(s->ex);
	const char *name = t->api != NULL ? t->api : "?";
	const char *model = t->model != NULL ? t->model : t->model_answered;
	struct usage_row *r;
	struct usage_sum *m;
	size_t num;
	int is_new = 0;

	s->turns++;
	cx_usage_add(&s->all, &t->usage);
	if (s->nusage >= MAX_TURN_ROWS) {
		/* Past the table's rows: counted in the sums only. */
		r = &s->usage_spare;
		free(r->model);
		free(r->answered);
	} else {
		s->usage = grow(s->usage, s->nusage, &s->ausage,
		    sizeof(*s->usage));
		r = &s->usage[s->nusage++];
	}
	memset(r, 0, sizeof(*r));
	r->id = s->ex->id;
	r->index = t->index;
	r->ws = s->ex->nws > 0;
	r->api = name;
	r->model = model != NULL ? xstrdup(model) : NULL;
	if (t->model != NULL && t->model_answered != NULL &&
	    strcmp(t->model, t->model_answered) != 0)
		r->answered = xstrdup(t->model_answered);
	r->warmup = t->warmup;
	r->u = t->usage;
	r->first_ms = t->t_first_token > 0 && t->t_request > 0 ?
	    cx_ms(t->t_first_token - t->t_request) : -1;

	num = cx_sessions_turn(s->sessions, t, &is_new);
	if ((m = usage_sum(&s->sess, &s->nsess, MAX_SESSIONS, NULL, num)) ==
	    NULL)
		s->sess_other++;
	else {
		if (m->turns == 0) {
			m->api = name;
			m->key = t->session != NULL ? xstrdup(t->session) :
			    NULL;
			m->pid = s->ex->pid;
		}
		sum_turn(m, t);
	}
	if ((m = usage_sum(&s->apis, &s->napis, MAX_ENDPOINTS, name, 0)) !=
	    NULL) {
		m->title = api != NULL ? api->title : name;
		sum_turn(m, t);
	}
}

/* Is this event OpenAI's end of stream, "data: [DONE]"? */
static int
stream_done(const struct cx_event *ev)
{
	return !ev->partial && ev->data_len == 6 &&
	    memcmp(ev->data, "[DONE]", 6) == 0;
}

/* An event (or a WebSocket message) of type name into its counts. */
static void
count_event(struct stats *s, const struct cx_out_ctx *ctx, const char *name,
    const char *data, size_t len)
{
	struct evtype *et = evtype(s, name, ctx->redact);

	if (et == NULL) {
		s->ev_other++;
		return;
	}
	et->n++;
	if (cx_json_check(data, len, 0))
		cx_keypaths_add_text(et->kp, data, len);
}

/*
 * A WebSocket's messages, generic JSON: the client's text messages as
 * request bodies, the server's as events named by their "type" member
 * ("message" when they have none).
 */
static void
ws_stats(struct stats *s, const struct cx_out_ctx *ctx,
    const struct cx_exchange *ex)
{
	for (size_t i = 0; i < ex->nws; i++) {
		const struct cx_wsmsg *w = &ex->ws[i];
		cJSON *o;
		const cJSON *type;

		if (w->opcode != 0x1 || !cx_json_check(w->data, w->len, 0))
			continue;
		if (w->dir == CX_WS_CLIENT) {
			cx_keypaths_add_text(s->req_kp, w->data, w->len);
			continue;
		}
		o = cJSON_ParseWithLength(w->data, w->len);
		type = cJSON_GetObjectItemCaseSensitive(o, "type");
		count_event(s, ctx, cJSON_IsString(type) ? type->valuestring :
		    "message", w->data, w->len);
		cJSON_Delete(o);
	}
}

/* One exchange into the statistics; key is scratch space. */
static void
stats_add(struct stats *s, const struct cx_out_ctx *ctx,
    const struct cx_exchange *ex, struct cx_buf *key)
{
	struct endpoint *e;

	s->exchanges++;
	later(&s->end, ex->start);
	if (ex->has_req)
		later(&s->end, ex->req.t_last);
	if (ex->has_resp)
		later(&s->end, ex->resp.t_last);
	if (ex->error != NULL)
		s->errors++;
	endpoint_key(key, ex);
	if ((e = endpoint(s, (const char *)key->p)) == NULL)
		s->ep_other++;
	else {
		e->count++;
		add_status(e, ex->has_resp && ex->resp.head_done ?
		    ex->resp.status : 0);
		if (ex->has_req && ex->has_resp) {
			e->ttfb = grow(e->ttfb, e->nttfb, &e->attfb,
			    sizeof(double));
			e->ttfb[e->nttfb++] = cx_ms(ex->resp.t_first -
			    ex->req.t_last);
		}
		if (ex->has_resp) {
			e->dur = grow(e->dur, e->ndur, &e->adur,
			    sizeof(double));
			e->dur[e->ndur++] = cx_ms(ex->resp.t_last - ex->start);
		}
		e->in += ex->has_req ? ex->req.body_bytes : 0;
		e->out += ex->has_resp ? ex->resp.body_bytes : 0;
	}
	if (ex->pid != 0) {
		s->pidex = grow(s->pidex, s->npidex, &s->apidex,
		    sizeof(*s->pidex));
		s->pidex[s->npidex].pid = ex->pid;
		s->pidex[s->npidex++].id = ex->id;
	}
	if (ex->has_req)
		body_paths(s->req_kp, &ex->req);
	if (ex->has_resp && !ex->resp.sse)
		body_paths(s->resp_kp, &ex->resp);
	for (size_t j = 0; ex->has_resp && j < ex->resp.nevents; j++) {
		const struct cx_event *ev = &ex->resp.events[j];

		if (stream_done(ev))
			s->done++;
		else
			count_event(s, ctx, ev->event, ev->data, ev->data_len);
	}
	ws_stats(s, ctx, ex);
	s->ex = ex;
	cx_conv_turns(ex, usage_turn, s);
	s->ex = NULL;
}

/* The notes' times count for the end of the trace too. */
static void
stats_notes(struct stats *s, const struct cx_analysis_result *r)
{
	for (size_t i = 0; i < r->nnotes; i++)
		later(&s->end, r->notes[i].ts);
}

static void
stats_free(struct stats *s)
{
	for (size_t i = 0; i < s->nep; i++) {
		free(s->ep[i].key);
		free(s->ep[i].st);
		free(s->ep[i].ttfb);
		free(s->ep[i].dur);
	}
	free(s->ep);
	for (size_t i = 0; i < s->nev; i++) {
		free(s->ev[i].name);
		cx_keypaths_free(s->ev[i].kp);
	}
	free(s->ev);
	cx_keypaths_free(s->req_kp);
	cx_keypaths_free(s->resp_kp);
	for (size_t i = 0; i < s->nusage; i++) {
		free(s->usage[i].model);
		free(s->usage[i].answered);
	}
	free(s->usage_spare.model);
	free(s->usage_spare.answered);
	free(s->usage);
	for (size_t i = 0; i < s->nsess; i++)
		free(s->sess[i].key);
	free(s->sess);
	free(s->apis);
	cx_sessions_free(s->sessions);
	free(s->pidex);
}

/* --- the header ------------------------------------------------------ */

static const cJSON *
run_note(const struct cx_analysis_result *r, cJSON **owned)
{
	*owned = NULL;
	for (size_t i = 0; i < r->nnotes; i++) {
		cJSON *o;

		if (r->notes[i].kind != CX_K_NOTE)
			continue;
		o = cJSON_ParseWithLength(r->notes[i].text, r->notes[i].len);
		if (cJSON_IsObject(o) && cJSON_IsString(cJSON_GetObjectItem(o,
		    "type")) && strcmp(cJSON_GetObjectItem(o,
		    "type")->valuestring, "run") == 0) {
			*owned = o;
			return o;
		}
		cJSON_Delete(o);
	}
	return NULL;
}

static void
row_start(FILE *f, const char *name)
{
	fprintf(f, "| %s | ", name);
}

static void
row_str(FILE *f, const struct cx_out_ctx *ctx, const char *name,
    const cJSON *o, const char *key)
{
	const char *s = cJSON_GetStringValue(cJSON_GetObjectItem(o, key));

	if (s == NULL)
		return;
	row_start(f, name);
	rtext(f, ctx, s, 0, CX_MD_NL_BR);
	fputs(" |\n", f);
}

static void
argv_cell(FILE *f, const struct cx_out_ctx *ctx, const cJSON *argv)
{
	const cJSON *e;
	int first = 1;

	/* Shell words, quoted where needed, as escaped text. */
	cJSON_ArrayForEach(e, argv) {
		const char *s = cJSON_GetStringValue(e);

		if (s == NULL)
			continue;
		fputs(first ? "" : " ", f);
		first = 0;
		if (*s != '\0' && strcspn(s, " \t\n'\"\\$`;&|<>*?()[]{}#~!")
		    == strlen(s))
			rtext(f, ctx, s, 0, 0);
		else {
			struct cx_buf q;

			cx_buf_init(&q, 0);
			cx_buf_addc(&q, '\'');
			for (const char *c = s; *c; c++) {
				if (*c == '\'')
					cx_buf_adds(&q, "'\\''");
				else
					cx_buf_addc(&q, *c);
			}
			cx_buf_addc(&q, '\'');
			rtext(f, ctx, (const char *)q.p, 0, 0);
			cx_buf_free(&q);
		}
	}
}

static void
header(FILE *f, const struct cx_out_ctx *ctx, const struct stats *s)
{
	const struct cx_analysis_result *r = ctx->r;
	const cJSON *run, *v, *e;
	cJSON *owned;
	char when[64], a[32], b[32];

	fputs("# cxrec report: ", f);
	cx_md_texts(f, ctx->trace_path, 0);
	fputs("\n\n| | |\n|---|---|\n", f);
	row_start(f, "trace");
	cx_md_texts(f, ctx->trace_path, CX_MD_NL_BR);
	fputs(" |\n", f);
	row_start(f, "host");
	cx_md_texts(f, ctx->info->host, CX_MD_NL_BR);
	fprintf(f, " |\n| recorded by | pid %" PRIu32 " |\n",
	    ctx->info->writer_pid);
	if ((run = run_note(r, &owned)) != NULL) {
		if (cJSON_IsArray(v = cJSON_GetObjectItem(run, "argv"))) {
			row_start(f, "command");
			argv_cell(f, ctx, v);
			fputs(" |\n", f);
		}
		row_str(f, ctx, "agent", run, "agent");
		row_str(f, ctx, "agent version", run, "agent_version");
		row_str(f, ctx, "reached by", run, "reached_by");
		row_str(f, ctx, "login mode", run, "login_mode");
		row_str(f, ctx, "login detected from", run, "login_reason");
		row_str(f, ctx, "base URL", run, "base_url");
		row_str(f, ctx, "relay listened on", run, "listen");
		if (cJSON_IsArray(v = cJSON_GetObjectItem(run, "routes"))) {
			int first = 1;

			row_start(f, "routes");
			cJSON_ArrayForEach(e, v) {
				const char *pre = cJSON_GetStringValue(
				    cJSON_GetObjectItem(e, "prefix"));
				const char *up = cJSON_GetStringValue(
				    cJSON_GetObjectItem(e, "upstream"));

				if (pre == NULL || up == NULL)
					continue;
				fputs(first ? "" : "<br>", f);
				first = 0;
				rtext(f, ctx, pre, 0, 0);
				fputs(" \xe2\x86\x92 ", f);
				rtext(f, ctx, up, 1, 0);
			}
			fputs(" |\n", f);
		}
		if (cJSON_IsTrue(cJSON_GetObjectItem(run, "insecure")))
			fputs("| insecure | upstream certificates were not "
			    "verified |\n", f);
		row_str(f, ctx, "cxrec version", run, "cxrec_version");
		cJSON_Delete(owned);
	}
	cx_fmt_time(when, sizeof(when), ctx->info, ctx->info->monotonic_ns, 1);
	fprintf(f, "| start (UTC) | %s |\n", when);
	cx_fmt_time(when, sizeof(when), ctx->info, s->end, 1);
	fprintf(f, "| end (UTC) | %s |\n", when);
	fprintf(f, "| duration | %.3f s |\n",
	    cx_ms(s->end - ctx->info->monotonic_ns) / 1000.0);
	size(a, sizeof(a), r->bytes_req);
	size(b, sizeof(b), r->bytes_resp);
	fprintf(f, "| connections | %" PRIu64 " |\n| exchanges | %zu |\n"
	    "| bytes sent (client \xe2\x86\x92 server) | %s (%" PRIu64 ") |\n"
	    "| bytes received (server \xe2\x86\x92 client) | %s (%" PRIu64
	    ") |\n| errors | %zu |\n\n", r->connections, s->exchanges, a,
	    r->bytes_req, b, r->bytes_resp, s->errors);
}

static void
warnings(FILE *f, const struct cx_out_ctx *ctx)
{
	const struct cx_analysis_result *r = ctx->r;
	const struct cx_reader_stats *d = ctx->damage;
	int any = 0;
	char when[64], sz[32];

	if (d != NULL && (d->corrupt_regions > 0 || d->torn_bytes > 0)) {
		fputs("## Warnings\n\n", f);
		any = 1;
		if (d->corrupt_regions > 0)
			fprintf(f, "- The trace is damaged: %" PRIu64
			    " corrupt region%s, %" PRIu64 " bytes skipped; "
			    "the frames in them are missing from this "
			    "report.\n", d->corrupt_regions,
			    d->corrupt_regions == 1 ? "" : "s",
			    d->corrupt_bytes);
		if (d->torn_bytes > 0)
			fprintf(f, "- The trace ends inside a frame (its "
			    "writer stopped mid-write): the last %" PRIu64
			    " bytes were skipped.\n", d->torn_bytes);
	}
	for (size_t i = 0; i < r->nnotes; i++) {
		const struct cx_note *n = &r->notes[i];
		cJSON *o;

		if (n->kind != CX_K_LOSS && n->kind != CX_K_ERROR)
			continue;
		if (!any)
			fputs("## Warnings\n\n", f);
		any = 1;
		cx_fmt_time(when, sizeof(when), ctx->info, n->ts, 0);
		o = cJSON_ParseWithLength(n->text, n->len);
		if (n->kind == CX_K_LOSS && cJSON_IsObject(o)) {
			double fr = cJSON_GetNumberValue(cJSON_GetObjectItem(o,
			    "frames"));
			double by = cJSON_GetNumberValue(cJSON_GetObjectItem(o,
			    "bytes"));
			double en = cJSON_GetNumberValue(cJSON_GetObjectItem(o,
			    "errno"));

			size(sz, sizeof(sz), by > 0 ? (uint64_t)by : 0);
			fprintf(f, "- %s: frames lost: the %s could not record "
			    "%.0f frames (%s)", when, cx_source_name(n->source),
			    fr > 0 ? fr : 0, sz);
			if (en > 0 && en < 4096)
				fprintf(f, ": %s", strerror((int)en));
			fputs("; the exchanges they belonged to may be "
			    "incomplete.\n", f);
		} else {
			const char *e = cJSON_GetStringValue(
			    cJSON_GetObjectItem(o, "error"));
			struct cx_buf b;

			fprintf(f, "- %s: %s from the %s: ", when,
			    n->kind == CX_K_LOSS ? "loss" : "error",
			    cx_source_name(n->source));
			cx_buf_init(&b, 0);
			if (e != NULL)
				redacted(&b, ctx, e, strlen(e), 0);
			else
				redacted(&b, ctx, n->text, n->len, 0);
			cx_md_text(f, (const char *)b.p, b.len, 0);
			cx_buf_free(&b);
			fputc('\n', f);
		}
		cJSON_Delete(o);
	}
	if (any)
		fputc('\n', f);
}

/* --- statistics ------------------------------------------------------ */

/* A token count: "?" when unknown. */
static void
count(FILE *f, int64_t n)
{
	if (n < 0)
		fputs("?", f);
	else
		fprintf(f, "%" PRId64, n);
}

/* "| input | cached | cache write | output | reasoning | total" */
static void
usage_cells(FILE *f, const struct cx_usage *u, int api_total)
{
	const int64_t v[] = { u->input, u->cached, u->cache_write, u->output,
	    u->reasoning, cx_usage_total(u) };

	for (size_t i = 0; i < sizeof(v) / sizeof(v[0]); i++) {
		fputs(" | ", f);
		count(f, v[i]);
	}
	if (api_total && u->api_total >= 0 && u->api_total != v[5])
		fprintf(f, " (API: %" PRId64 ")", u->api_total);
}

#define USAGE_COLS      "input | cached | cache write | output | " \
			"reasoning | total"
#define USAGE_ALIGN     "---:|---:|---:|---:|---:|---:"

static void
usage_turns(FILE *f, const struct cx_out_ctx *ctx, const struct stats *s)
{
	fputs("| turn | exchange | API | model | " USAGE_COLS " | first "
	    "token (ms) |\n|---:|---|---|---|" USAGE_ALIGN "|---:|\n", f);
	for (size_t i = 0; i < s->nusage; i++) {
		const struct usage_row *r = &s->usage[i];

		fprintf(f, "| %zu | [#%" PRIu64 "](#exchange-%" PRIu64 ")", i + 1,
		    r->id, r->id);
		if (r->ws)
			fprintf(f, " request %zu", r->index + 1);
		fputs(" | ", f);
		rtext(f, ctx, r->api, 0, 0);
		if (r->warmup)
			fputs(" \\(warm\\-up\\)", f);
		fputs(" | ", f);
		if (r->model != NULL)
			rtext(f, ctx, r->model, 0, 0);
		else
			fputs("?", f);
		if (r->answered != NULL) {
			fputs(" \\(answered by ", f);
			rtext(f, ctx, r->answered, 0, 0);
			fputs("\\)", f);
		}
		usage_cells(f, &r->u, 1);
		if (r->first_ms >= 0)
			fprintf(f, " | %.1f |\n", r->first_ms);
		else
			fputs(" | ? |\n", f);
	}
	if (s->turns > s->nusage)
		fprintf(f, "| \xe2\x80\xa6 | %" PRIu64 " more turns, in the "
		    "sums only | | | | | | | | | |\n", s->turns - s->nusage);
	fputs("| **all** | | |", f);
	usage_cells(f, &s->all, 0);
	fputs(" | |\n\n", f);
}

static void
usage_sessions(FILE *f, const struct cx_out_ctx *ctx, const struct stats *s)
{
	fputs("By session (the agent's session key; without one, by process "
	    "and API):\n\n| session | API | turns | " USAGE_COLS " |\n"
	    "|---|---|---:|" USAGE_ALIGN "|\n", f);
	for (size_t i = 0; i < s->nsess; i++) {
		const struct usage_sum *m = &s->sess[i];

		fprintf(f, "| %zu: ", m->num);
		if (m->key != NULL)
			rtext(f, ctx, m->key, 0, 0);
		else if (m->pid != 0)
			fprintf(f, "no key, pid %" PRIu32, m->pid);
		else
			fputs("no key, no pid", f);
		fputs(" | ", f);
		rtext(f, ctx, m->api, 0, 0);
		fprintf(f, " | %zu", m->turns);
		usage_cells(f, &m->u, 0);
		fputs(" |\n", f);
	}
	fputc('\n', f);
	if (s->sess_other > 0)
		fprintf(f, "*%" PRIu64 " more turns, of sessions past the first "
		    "%d, are not in the table.*\n\n", s->sess_other,
		    MAX_SESSIONS);
}

static void
usage_apis(FILE *f, const struct cx_out_ctx *ctx, const struct stats *s)
{
	fputs("By API (from each API's own usage fields):\n\n", f);
	for (size_t i = 0; i < s->napis; i++) {
		const struct usage_sum *m = &s->apis[i];

		fputs("- ", f);
		rtext(f, ctx, m->title, 0, 0);
		fputs(" \\(", f);
		rtext(f, ctx, m->api, 0, 0);
		fprintf(f, "\\): %zu turn%s, ", m->turns, m->turns == 1 ? "" :
		    "s");
		if (m->with_usage == m->turns)
			fputs(m->turns == 1 ? "with usage" : "all with usage",
			    f);
		else if (m->with_usage == 0)
			fputs("no usage reported", f);
		else
			fprintf(f, "%zu with usage, %zu without", m->with_usage,
			    m->turns - m->with_usage);
		if (m->with_usage > 0) {
			fputs("; input ", f);
			count(f, m->u.input);
			fputs(", output ", f);
			count(f, m->u.output);
			fputs(", total ", f);
			count(f, cx_usage_total(&m->u));
		}
		fputc('\n', f);
	}
	fputc('\n', f);
}

static void
usage(FILE *f, const struct cx_out_ctx *ctx, const struct stats *s)
{
	fputs("### Token usage\n\n", f);
	if (s->nusage == 0) {
		fputs("No model API call: no exchange is a request of an API "
		    "cxrec understands (docs/conversation.md).\n\n", f);
		return;
	}
	fputs("Per turn (one a model API call; one a request on a WebSocket), "
	    "from each API's own usage fields, one definition for all "
	    "(docs/conversation.md): input is every input token (cached and "
	    "cache writes included), output every output token (reasoning "
	    "included), total = input + output (the API's own total in "
	    "parentheses where it differs); `?`: the API did not say.  "
	    "First token: from the request's last byte to the first output "
	    "event.\n\n", f);
	usage_turns(f, ctx, s);
	usage_sessions(f, ctx, s);
	usage_apis(f, ctx, s);
}

static void
statistics(FILE *f, const struct cx_out_ctx *ctx, struct stats *s)
{
	char a[32], b[32];

	fputs("## Statistics\n\n### Endpoints\n\n", f);
	if (s->nep == 0)
		fputs("No exchanges.\n\n", f);
	else
		fputs("| endpoint | count | status | median TTFB (ms) | "
		    "max TTFB (ms) | median duration (ms) | max duration (ms) "
		    "| request bodies | response bodies |\n"
		    "|---|---:|---|---:|---:|---:|---:|---:|---:|\n", f);
	for (size_t i = 0; i < s->nep; i++) {
		struct endpoint *e = &s->ep[i];

		fputs("| ", f);
		rtext(f, ctx, e->key, 1, 0);
		fprintf(f, " | %" PRIu64 " | ", e->count);
		for (size_t j = 0; j < e->nst; j++) {
			if (e->st[j].status == 0)
				fprintf(f, "%snone\xc3\x97%" PRIu64, j ? ", " :
				    "", e->st[j].n);
			else
				fprintf(f, "%s%d\xc3\x97%" PRIu64, j ? ", " :
				    "", e->st[j].status, e->st[j].n);
		}
		if (e->nttfb)
			fprintf(f, " | %.1f | %.1f", median(e->ttfb, e->nttfb),
			    maximum(e->ttfb, e->nttfb));
		else
			fputs(" | \xe2\x80\x94 | \xe2\x80\x94", f);
		if (e->ndur)
			fprintf(f, " | %.1f | %.1f", median(e->dur, e->ndur),
			    maximum(e->dur, e->ndur));
		else
			fputs(" | \xe2\x80\x94 | \xe2\x80\x94", f);
		size(a, sizeof(a), e->in);
		size(b, sizeof(b), e->out);
		fprintf(f, " | %s | %s |\n", a, b);
	}
	if (s->nep > 0)
		fputc('\n', f);
	if (s->ep_other > 0)
		fprintf(f, "*%" PRIu64 " more exchanges, past %d endpoints, "
		    "are not in the table.*\n\n", s->ep_other, MAX_ENDPOINTS);

	usage(f, ctx, s);

	fputs("### SSE event types\n\n", f);
	if (s->nev == 0)
		fputs("No server-sent events.\n\n", f);
	else
		fputs("| event | count |\n|---|---:|\n", f);
	for (size_t i = 0; i < s->nev; i++) {
		fputs("| ", f);
		rtext(f, ctx, s->ev[i].name, 0, 0);
		fprintf(f, " | %" PRIu64 " |\n", s->ev[i].n);
	}
	if (s->nev > 0)
		fputc('\n', f);
	if (s->ev_other > 0)
		fprintf(f, "*%" PRIu64 " more events, of types past the first "
		    "%d, are not counted.*\n\n", s->ev_other, MAX_EVENT_TYPES);
	if (s->done > 0)
		fprintf(f, "%" PRIu64 " stream%s ended with `data: [DONE]` (the "
		    "stream's end, not an event: not counted above).\n\n",
		    s->done, s->done == 1 ? "" : "s");
}

/* --- processes ------------------------------------------------------- */

#define MAX_PROC_LINES  1000

static int
by_pid(const void *a, const void *b)
{
	const struct pid_ex *x = a, *y = b;

	if (x->pid != y->pid)
		return x->pid < y->pid ? -1 : 1;
	return x->id < y->id ? -1 : x->id > y->id;
}

/* The first of s->pidex (sorted) for pid, or NULL. */
static const struct pid_ex *
first_ex(const struct stats *s, uint32_t pid)
{
	size_t lo = 0, hi = s->npidex;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;

		if (s->pidex[mid].pid < pid)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo < s->npidex && s->pidex[lo].pid == pid ? &s->pidex[lo] :
	    NULL;
}

/* argv (a JSON array's text) as one line of words. */
static void
argv_words(struct cx_buf *b, const char *argv)
{
	cJSON *a = cJSON_Parse(argv), *e;
	int first = 1;

	cJSON_ArrayForEach(e, a) {
		if (!cJSON_IsString(e))
			continue;
		if (!first)
			cx_buf_addc(b, ' ');
		first = 0;
		cx_buf_adds(b, e->valuestring);
	}
	cJSON_Delete(a);
}

struct tree {
	FILE                    *f;
	const struct cx_out_ctx *ctx;
	const struct stats      *s;
	const struct cx_procs   *procs;
	size_t                   lines;
	uint8_t                 *shown;         /* by index in procs */
};

static void
proc_line(struct tree *t, size_t idx, int depth)
{
	const struct cx_proc *p = cx_procs_at(t->procs, idx);
	const struct pid_ex *e = first_ex(t->s, p->pid);
	FILE *f = t->f;
	struct cx_buf b;
	int n = 0;

	t->shown[idx] = 1;
	if (++t->lines > MAX_PROC_LINES)
		return;
	for (int d = 0; d < depth; d++)
		fputs("  ", f);
	fputs("- **", f);
	cx_md_texts(f, p->comm ? p->comm : "?", 0);
	fprintf(f, "** pid %" PRIu32, p->pid);
	if (p->exited && p->signal > 0)
		fprintf(f, ", killed by signal %d", p->signal);
	else if (p->exited)
		fprintf(f, ", exit %d", p->exit_code);
	if (p->argv != NULL || p->exe != NULL) {
		cx_buf_init(&b, 0);
		if (p->argv != NULL)
			argv_words(&b, p->argv);
		if (b.len == 0 && p->exe != NULL)
			cx_buf_adds(&b, p->exe);
		fputs(": ", f);
		rtext(f, t->ctx, b.p != NULL ? (const char *)b.p : "", 0, 0);
		cx_buf_free(&b);
	}
	for (; e != NULL && e < t->s->pidex + t->s->npidex &&
	    e->pid == p->pid; e++) {
		if (n++ == 0)
			fputs(" \xe2\x80\x94 exchanges", f);
		if (n > 50) {
			fputs(" \xe2\x80\xa6", f);
			break;
		}
		fprintf(f, " [#%" PRIu64 "](#exchange-%" PRIu64 ")", e->id,
		    e->id);
	}
	fputc('\n', f);
	/* Its children, in order of first sight. */
	for (size_t i = 0; i < cx_procs_count(t->procs); i++) {
		const struct cx_proc *c = cx_procs_at(t->procs, i);

		if (!t->shown[i] && c->ppid == p->pid && c->pid != p->pid &&
		    depth < 64)
			proc_line(t, i, depth + 1);
	}
}

/*
 * Every process the trace names, as a tree by parent (roots: those whose
 * parent it does not name), each with its exchanges.
 */
static void
processes(FILE *f, const struct cx_out_ctx *ctx, struct stats *s)
{
	const struct cx_procs *procs = ctx->r->procs;
	size_t n = procs != NULL ? cx_procs_count(procs) : 0;
	struct tree t;

	fputs("## Processes\n\n", f);
	if (n == 0) {
		fputs("The trace names no process (no probe events or /proc "
		    "records).\n\n", f);
		return;
	}
	if (s->npidex > 1)
		qsort(s->pidex, s->npidex, sizeof(*s->pidex), by_pid);
	memset(&t, 0, sizeof(t));
	t.f = f;
	t.ctx = ctx;
	t.s = s;
	t.procs = procs;
	t.shown = xcalloc(n, 1);
	fputs("Each process the trace names (by the kernel probe, or from "
	    "/proc when the relay accepted its connection), under its "
	    "parent, with its exchanges.\n\n", f);
	for (size_t i = 0; i < n; i++) {
		const struct cx_proc *p = cx_procs_at(procs, i);

		if (!t.shown[i] && (p->ppid == 0 || cx_procs_get(procs,
		    p->ppid) == NULL))
			proc_line(&t, i, 0);
	}
	/* A cycle in bad data has no root: show what is left flat. */
	for (size_t i = 0; i < n; i++)
		if (!t.shown[i])
			proc_line(&t, i, 0);
	if (t.lines > MAX_PROC_LINES)
		fprintf(f, "\n*%zu more processes are not listed.*\n",
		    t.lines - MAX_PROC_LINES);
	fputc('\n', f);
	free(t.shown);
}

/* --- key paths ------------------------------------------------------- */

static void
paths_table(FILE *f, struct cx_keypaths *kp, const char *what)
{
	char types[128];

	if (cx_keypaths_docs(kp) == 0) {
		fprintf(f, "No JSON %s.\n\n", what);
		return;
	}
	cx_keypaths_sort(kp);
	fprintf(f, "%" PRIu64 " JSON %s.\n\n| path | type | count | example |\n"
	    "|---|---|---:|---|\n", cx_keypaths_docs(kp), what);
	for (size_t i = 0; i < cx_keypaths_count(kp); i++) {
		const struct cx_keypath *p = cx_keypaths_get(kp, i);

		fputs("| ", f);
		if (p->path[0] == '\0')
			fputs("(root)", f);
		else
			cx_md_texts(f, p->path, 0);
		cx_keypath_types(types, sizeof(types), p->types);
		fputs(" | ", f);
		cx_md_texts(f, types, 0);       /* "string|null" */
		fprintf(f, " | %" PRIu64 " | ", p->count);
		/* Examples are redacted by the walker already. */
		cx_md_texts(f, p->example, 0);
		fputs(" |\n", f);
	}
	fputc('\n', f);
	if (cx_keypaths_dropped(kp) > 0)
		fprintf(f, "*Cut at %d distinct paths: %" PRIu64 " more values "
		    "under other paths are not in the table.*\n\n", MAX_PATHS,
		    cx_keypaths_dropped(kp));
}

static void
key_paths(FILE *f, const struct cx_out_ctx *ctx, struct stats *s)
{
	fputs("## Payload key paths\n\n"
	    "Every key path in the JSON payloads, arrays folded to `[]`, with "
	    "its JSON types, how many times it was seen and one example.\n\n"
	    "### Request bodies\n\n", f);
	paths_table(f, s->req_kp, "request bodies");
	fputs("### Response bodies\n\n", f);
	paths_table(f, s->resp_kp, "response bodies (event streams are "
	    "below)");
	for (size_t i = 0; i < s->nev; i++) {
		fputs("### Event ", f);
		rtext(f, ctx, s->ev[i].name, 0, 0);
		fputs("\n\n", f);
		paths_table(f, s->ev[i].kp, "event data");
	}
}

/* --- exchanges ------------------------------------------------------- */

static void
fields_text(struct cx_buf *b, const struct cx_out_ctx *ctx,
    const struct cx_fields *fl, const char *prefix)
{
	for (size_t i = 0; i < fl->n; i++) {
		cx_buf_adds(b, prefix);
		cx_buf_adds(b, fl->v[i].name);
		cx_buf_adds(b, ": ");
		if (ctx->redact)
			cx_redact_header(b, fl->v[i].name, fl->v[i].value);
		else
			cx_buf_adds(b, fl->v[i].value);
		cx_buf_addc(b, '\n');
	}
}

static void
start_line(struct cx_buf *b, const struct cx_out_ctx *ctx,
    const struct cx_msg *m, int req, int status, const char *reason)
{
	char ver[32], num[16];
	struct cx_buf t;

	cx_fmt_version(ver, sizeof(ver), m->version ? m->version : 11);
	cx_buf_init(&t, 0);
	if (req) {
		cx_buf_adds(b, m->method);
		cx_buf_addc(b, ' ');
		redacted(&t, ctx, m->target, strlen(m->target), 1);
		cx_buf_add(b, t.p, t.len);
		cx_buf_addc(b, ' ');
		cx_buf_adds(b, ver);
	} else {
		snprintf(num, sizeof(num), " %d ", status);
		cx_buf_adds(b, ver);
		cx_buf_adds(b, num);
		redacted(&t, ctx, reason, strlen(reason), 0);
		cx_buf_add(b, t.p, t.len);
	}
	cx_buf_addc(b, '\n');
	cx_buf_free(&t);
}

static void
hexdump(struct cx_buf *b, const uint8_t *p, size_t n)
{
	char line[128];

	for (size_t off = 0; off < n; off += 16) {
		int k = snprintf(line, sizeof(line), "%04zx ", off);

		for (size_t i = off; i < off + 16; i++)
			k += snprintf(line + k, sizeof(line) - (size_t)k,
			    i < n ? " %02x" : "   ", i < n ? p[i] : 0);
		k += snprintf(line + k, sizeof(line) - (size_t)k, "  ");
		for (size_t i = off; i < off + 16 && i < n; i++)
			line[k++] = p[i] >= 0x20 && p[i] < 0x7f ? (char)p[i] :
			    '.';
		line[k++] = '\n';
		cx_buf_add(b, line, (size_t)k);
	}
}

static void
body_block(FILE *f, const struct cx_out_ctx *ctx, const struct cx_msg *m,
    const char *what)
{
	struct cx_view v;
	struct cx_buf b;
	char sz[32], dec[32];
	const char *info = NULL, *kind = "";

	cx_view_body(&v, m);
	if (v.kind == CX_VIEW_NONE && v.error == NULL) {
		cx_view_free(&v);
		return;
	}
	cx_buf_init(&b, 0);
	size(sz, sizeof(sz), m->body_bytes);
	switch (v.kind) {
	case CX_VIEW_UNSET:          /* not from cx_view_body */
	case CX_VIEW_NONE:
		break;
	case CX_VIEW_JSON:
		json_text(&b, ctx, (const char *)v.p, v.n, 1, v.json_scalar);
		info = "json";
		kind = "JSON, ";
		break;
	case CX_VIEW_TEXT:
		if (ctx->redact && v.form)
			cx_redact_query(&b, (const char *)v.p, v.n, 1);
		else
			redacted(&b, ctx, (const char *)v.p, v.n, 0);
		kind = "text, ";
		break;
	case CX_VIEW_BINARY:
		hexdump(&b, v.p, v.n > HEXDUMP_MAX ? HEXDUMP_MAX : v.n);
		kind = "binary, ";
		break;
	}
	/* The coding's name comes from the traffic: HTML-escaped. */
	fprintf(f, "<details><summary>%s body (%s%s", what, kind, sz);
	if (v.encoding != NULL) {
		size(dec, sizeof(dec), v.decoded_bytes);
		fputs(", ", f);
		cx_md_html(f, v.encoding, strlen(v.encoding));
		fprintf(f, " \xe2\x86\x92 %s", dec);
	}
	fputs(")</summary>\n\n", f);
	if (v.error != NULL) {
		fputs("**The body could not be decoded** (", f);
		cx_md_texts(f, v.error, 0);
		fputs("): the raw bytes are shown.\n\n", f);
	}
	if (v.raw_truncated)
		fprintf(f, "*The body was longer than %u MiB: only the "
		    "first %u MiB were kept.*\n\n", CX_EXCHANGE_MAX_BODY >> 20,
		    CX_EXCHANGE_MAX_BODY >> 20);
	if (v.decoded_truncated)
		fprintf(f, "*The decoded body was cut at %u MiB.*\n\n",
		    CX_EXCHANGE_MAX_BODY >> 20);
	if (v.kind == CX_VIEW_BINARY) {
		fprintf(f, "%zu bytes of binary data%s.\n", v.n,
		    v.n > HEXDUMP_MAX ? ", the first 256 below" : "");
		cx_md_code(f, NULL, (const char *)b.p, b.len);
	} else if (v.kind != CX_VIEW_NONE)
		code_limited(f, ctx, info, (const char *)b.p, b.len);
	details_close(f);
	cx_buf_free(&b);
	cx_view_free(&v);
}

static void
events_block(FILE *f, const struct cx_out_ctx *ctx,
    const struct cx_exchange *ex, const struct cx_msg *m, const char *title)
{
	struct cx_buf b, d;
	char summary[128], line[64];

	snprintf(summary, sizeof(summary), "%s (%zu)", title, m->nevents);
	details_open(f, summary);
	if (m->sse_error != NULL) {
		fputs("**The event stream could not be decoded** (", f);
		cx_md_texts(f, m->sse_error, 0);
		fputs(").\n\n", f);
	}
	cx_buf_init(&b, 0);
	cx_buf_init(&d, 0);
	for (size_t i = 0; i < m->nevents; i++) {
		const struct cx_event *e = &m->events[i];
		size_t k;

		snprintf(line, sizeof(line), "+%.1fms ", cx_ms(e->ts -
		    ex->start));
		cx_buf_adds(&b, line);
		if (e->id != NULL) {
			cx_buf_adds(&b, "[id ");
			redacted(&d, ctx, e->id, strlen(e->id), 0);
			cx_buf_add(&b, d.p, d.len);
			cx_buf_adds(&b, "] ");
		}
		redacted(&d, ctx, e->event, strlen(e->event), 0);
		cx_buf_add(&b, d.p, d.len);
		cx_buf_addc(&b, ' ');
		if (cx_json_check(e->data, e->data_len, 0))
			json_text(&d, ctx, e->data, e->data_len, 0, 0);
		else
			redacted(&d, ctx, e->data, e->data_len, 0);
		k = shown(ctx, (const char *)d.p, d.len);
		for (size_t j = 0; j < k; j++) {
			/* one line an event */
			if (d.p[j] == '\n')
				cx_buf_adds(&b, "\\n");
			else if (d.p[j] == '\r')
				cx_buf_adds(&b, "\\r");
			else
				cx_buf_addc(&b, d.p[j]);
		}
		if (k < d.len) {
			snprintf(line, sizeof(line), " ... (%zu more bytes)",
			    d.len - k);
			cx_buf_adds(&b, line);
		}
		if (e->partial)
			cx_buf_adds(&b, "  (incomplete: the stream ended "
			    "inside it)");
		if (e->truncated)
			cx_buf_adds(&b, "  (data cut: too long)");
		cx_buf_addc(&b, '\n');
	}
	if (m->nevents > 0)
		cx_md_code(f, NULL, (const char *)b.p, b.len);
	if (m->events_cut)
		fprintf(f, "*More events than %u MiB: the rest were dropped.*"
		    "\n\n", CX_EXCHANGE_MAX_BODY >> 20);
	details_close(f);
	cx_buf_free(&b);
	cx_buf_free(&d);
}

/*
 * The messages after a switch to WebSocket, one a line as events are:
 * "+12.3ms send text {...}" (binary in base64).
 */
static void
ws_block(FILE *f, const struct cx_out_ctx *ctx, const struct cx_exchange *ex)
{
	struct cx_msg m;
	struct cx_event *ev = xcalloc(ex->nws ? ex->nws : 1, sizeof(*ev));
	char (*names)[32] = xcalloc(ex->nws ? ex->nws : 1, sizeof(*names));
	struct cx_buf *bin = xcalloc(ex->nws ? ex->nws : 1, sizeof(*bin));

	memset(&m, 0, sizeof(m));
	for (size_t i = 0; i < ex->nws; i++) {
		const struct cx_wsmsg *w = &ex->ws[i];

		snprintf(names[i], sizeof(names[i]), "%s %s", w->dir == 0 ?
		    "send" : "receive", cx_jw_ws_opcode(w->opcode));
		ev[i].ts = w->ts;
		ev[i].event = names[i];
		ev[i].partial = w->partial;
		ev[i].truncated = w->truncated;
		if (w->opcode == 0x2 || !cx_utf8_valid((const uint8_t *)w->data,
		    w->len)) {
			cx_buf_init(&bin[i], 0);
			cx_buf_adds(&bin[i], "(base64) ");
			cx_json_base64_buf(&bin[i], (const uint8_t *)w->data,
			    w->len);
			ev[i].data = (char *)bin[i].p;
			ev[i].data_len = bin[i].len;
		} else {
			ev[i].data = w->data;
			ev[i].data_len = w->len;
		}
	}
	m.events = ev;
	m.nevents = ex->nws;
	m.events_cut = ex->ws_cut;
	events_block(f, ctx, ex, &m, "WebSocket messages");
	for (size_t i = 0; i < ex->nws; i++)
		cx_buf_free(&bin[i]);
	free(bin);
	free(names);
	free(ev);
}

static void
headers_block(FILE *f, const struct cx_out_ctx *ctx,
    const struct cx_exchange *ex, int req)
{
	const struct cx_msg *m = req ? &ex->req : &ex->resp;
	struct cx_buf b;
	char summary[128];

	cx_buf_init(&b, 0);
	if (!req)
		for (size_t i = 0; i < m->ninterim; i++) {
			start_line(&b, ctx, m, 0, m->interim[i].status,
			    m->interim[i].reason);
			fields_text(&b, ctx, &m->interim[i].fields, "");
			cx_buf_addc(&b, '\n');
		}
	if (m->head_done) {
		start_line(&b, ctx, m, req, m->status, m->reason ?
		    m->reason : "");
		fields_text(&b, ctx, &m->fields, "");
	}
	if (m->trailers.n > 0) {
		cx_buf_adds(&b, "\n(trailers)\n");
		fields_text(&b, ctx, &m->trailers, "");
	}
	snprintf(summary, sizeof(summary), "%s headers (%zu)", req ?
	    "Request" : "Response", m->fields.n);
	details_open(f, summary);
	cx_md_code(f, "http", (const char *)b.p, b.len);
	details_close(f);
	cx_buf_free(&b);
}

static void
exchange(FILE *f, const struct cx_out_ctx *ctx, const struct cx_exchange *ex)
{
	const struct cx_msg *rq = &ex->req, *rs = &ex->resp;
	char when[32], a[32];

	/* An explicit anchor: headings' own ids depend on escaped text. */
	fprintf(f, "<a id=\"exchange-%" PRIu64 "\"></a>\n\n### #%" PRIu64 " ",
	    ex->id, ex->id);
	if (ex->has_req && rq->head_done) {
		rtext(f, ctx, rq->method, 0, 0);
		fputc(' ', f);
		rtext(f, ctx, rq->target, 1, 0);
	} else
		fputs(ex->has_req ? "(request not decoded)" : "(no request)",
		    f);
	fputs(" \xe2\x86\x92 ", f);
	if (ex->has_resp && rs->head_done) {
		fprintf(f, "%d ", rs->status);
		rtext(f, ctx, rs->reason, 0, 0);
	} else
		fputs(ex->has_resp ? "(response not decoded)" :
		    "(no response)", f);
	if (ex->has_resp)
		fprintf(f, " (%.1f ms)", cx_ms(rs->t_last - ex->start));
	if (ex->error != NULL)
		fputs(" \xe2\x80\x94 error", f);
	fputs("\n\n", f);

	cx_fmt_time(when, sizeof(when), ctx->info, ex->start, 0);
	fprintf(f, "- started %s UTC", when);
	if (ex->has_req && ex->has_resp)
		fprintf(f, ", TTFB %.1f ms", cx_ms(rs->t_first - rq->t_last));
	if (ex->has_resp)
		fprintf(f, ", total %.1f ms", cx_ms(rs->t_last - ex->start));
	if (ex->has_req) {
		size(a, sizeof(a), rq->body_bytes);
		fprintf(f, ", request body %s", a);
	}
	if (ex->has_resp) {
		size(a, sizeof(a), rs->body_bytes);
		fprintf(f, ", response body %s", a);
	}
	if (rs->sse)
		fprintf(f, ", %zu event%s", rs->nevents, rs->nevents == 1 ? "" :
		    "s");
	fputc('\n', f);
	fprintf(f, "- %s connection %" PRIu64, cx_source_name(ex->source),
	    ex->conn);
	if (ex->seq != CX_NO_SEQ)
		fprintf(f, ", request %" PRIu64, ex->seq);
	if (ex->pid != 0)
		fprintf(f, ", pid %" PRIu32, ex->pid);
	if (ex->comm != NULL) {
		fputs(" (", f);
		cx_md_texts(f, ex->comm, 0);
		fputc(')', f);
	}
	fputc('\n', f);
	if (ex->upstream != NULL) {
		fputs("- upstream: ", f);
		rtext(f, ctx, ex->upstream, 1, 0);
		if (ex->route != NULL) {
			fputs(" (route ", f);
			rtext(f, ctx, ex->route, 0, 0);
			fputc(')', f);
		}
		fputc('\n', f);
	}
	if (ex->error != NULL) {
		fputs("- **error**: ", f);
		rtext(f, ctx, ex->error, 0, 0);
		fputc('\n', f);
	}
	if (ex->note != NULL) {
		fputs("- note: ", f);
		rtext(f, ctx, ex->note, 0, 0);
		fputc('\n', f);
	}
	if (ex->tunnel_req > 0 || ex->tunnel_resp > 0)
		fprintf(f, "- then %" PRIu64 " bytes up and %" PRIu64 " bytes "
		    "down after the protocol switch, not decoded\n",
		    ex->tunnel_req, ex->tunnel_resp);
	fputc('\n', f);
	if (ex->has_req && rq->head_done) {
		headers_block(f, ctx, ex, 1);
		body_block(f, ctx, rq, "Request");
	}
	if (ex->has_resp && (rs->head_done || rs->ninterim > 0)) {
		headers_block(f, ctx, ex, 0);
		if (rs->sse)
			events_block(f, ctx, ex, &ex->resp, "Response events");
		else
			body_block(f, ctx, rs, "Response");
	}
	if (ex->nws > 0)
		ws_block(f, ctx, ex);
}

/*
 * The report reads the trace three times, keeping only what it counts:
 * first for the header, statistics and key paths, then for the
 * conversation, then for the exchanges.
 */
enum { PASS_STATS, PASS_CONVERSATION, PASS_EXCHANGES, NPASSES };

struct md {
	FILE                    *f;
	const struct cx_out_ctx *ctx;
	struct stats             s;
	struct cx_buf            key;           /* scratch */
	struct cx_conv          *conv;
	size_t                   exchanges;     /* written */
};

static void *
md_open(FILE *f, const struct cx_out_ctx *ctx)
{
	struct md *m = xcalloc(1, sizeof(*m));

	m->f = f;
	m->ctx = ctx;
	stats_init(&m->s, ctx);
	cx_buf_init(&m->key, 0);
	return m;
}

static void
md_exchange(void *st, int pass, const struct cx_exchange *ex)
{
	struct md *m = st;

	switch (pass) {
	case PASS_STATS:
		stats_add(&m->s, m->ctx, ex, &m->key);
		break;
	case PASS_CONVERSATION:
		cx_conv_exchange(m->conv, ex);
		break;
	default:
		exchange(m->f, m->ctx, ex);
		m->exchanges++;
		break;
	}
}

static void
md_pass_done(void *st, int pass)
{
	struct md *m = st;

	switch (pass) {
	case PASS_STATS:
		stats_notes(&m->s, m->ctx->r);
		header(m->f, m->ctx, &m->s);
		warnings(m->f, m->ctx);
		statistics(m->f, m->ctx, &m->s);
		processes(m->f, m->ctx, &m->s);
		key_paths(m->f, m->ctx, &m->s);
		fputs("## Conversation\n\n", m->f);
		m->conv = cx_conv_new(m->f, m->ctx, 1);
		break;
	case PASS_CONVERSATION:
		cx_conv_end(m->conv);
		m->conv = NULL;
		fputs("\n## Exchanges\n\n", m->f);
		break;
	default:
		if (m->exchanges == 0)
			fputs("No exchanges.\n", m->f);
		break;
	}
}

static void
md_close(void *st)
{
	struct md *m = st;

	if (m->conv != NULL)
		cx_conv_end(m->conv);
	stats_free(&m->s);
	cx_buf_free(&m->key);
	free(m);
}

const struct cx_out_format cx_out_md_format = {
	.name = "md",
	.summary = "a Markdown report: statistics, usage, turns",
	.passes = NPASSES,
	.open = md_open,
	.exchange = md_exchange,
	.pass_done = md_pass_done,
	.close = md_close,
};
