/*
 * protocol.c: what a recorded agent speaks (protocol.h): each trace read
 * once, streaming, its exchanges folded into bounded tables by endpoint,
 * the conversation model asked for the tools and instructions, the calls'
 * order kept; then the whole as its JSON model.
 */
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/evp.h>

#include "conv.h"
#include "exchange.h"
#include "keypaths.h"
#include "log.h"
#include "output.h"
#include "protocol.h"
#include "redact.h"
#include "report.h"
#include "xmalloc.h"

#define MAX_STATUSES    32
#define MAX_SET         8               /* hosts, routes, ... an endpoint */
#define MAX_PATHS       2000            /* key paths a table */
#define INSTR_MAX       (1u << 20)      /* an instruction's text kept */
#define FIRST_LINES     3

enum { T_PLAIN = 1, T_SSE = 2, T_WS = 4 };

struct strset {
	char            *v[MAX_SET];
	size_t           n;
	int              more;          /* past MAX_SET */
};

struct header {
	char            *name;          /* lower case */
	char            *value;         /* the first, redacted */
	uint64_t         count;
	int              varies;
	int              varies_folded; /* ... once cx_protocol_fold'ed */
};

struct headers {
	struct header    v[CX_PROTOCOL_MAX_HEADERS];
	size_t           n;
};

struct evtype {
	char            *name;
	uint64_t         count;
	struct cx_keypaths *kp;
};

struct evtypes {
	struct evtype    v[CX_PROTOCOL_MAX_EVENTS];
	size_t           n;
};

struct endpoint {
	char            *key;           /* "METHOD /path/{id}" */
	uint64_t         count;
	unsigned         transports;
	struct { int status; uint64_t n; } st[MAX_STATUSES];
	size_t           nst;
	struct strset    hosts, via;
	struct headers   req_h, resp_h;
	struct cx_keypaths *req_kp, *resp_kp;
	struct evtypes   sse, ws_client, ws_server;
	int              model;         /* a model API's (conv.h) */
};

struct tool {
	char            *name;
	char            *description;
	char            *schema;        /* the first seen */
	uint64_t         count;         /* turns offering it */
	int              varies;        /* another schema seen */
};

struct instr {
	char             sha[65];
	char            *role;
	size_t           bytes;
	uint64_t         count;
	char            *text;          /* INSTR_MAX at most */
};

struct trace {
	char            *path;
	cJSON           *run;           /* its run note, or NULL */
	uint64_t         exchanges;
	uint32_t        *calls;         /* endpoint index | MODEL_BIT */
	size_t           ncalls;
};

#define MODEL_BIT       0x80000000u

struct cx_protocol {
	int              redact, full, stable;
	struct endpoint *ep[CX_PROTOCOL_MAX_ENDPOINTS];
	size_t           nep;
	struct tool      tools[CX_PROTOCOL_MAX_TOOLS];
	size_t           ntools;
	struct instr     ins[CX_PROTOCOL_MAX_INSTRUCTIONS];
	size_t           nins;
	struct trace    *traces;
	size_t           ntraces;
	uint64_t         dropped;       /* things past a table's cap */
	struct cx_buf    b;             /* scratch */
};

/* --- small tables ------------------------------------------------------ */

static void
set_add(struct strset *s, const char *v)
{
	for (size_t i = 0; i < s->n; i++)
		if (strcmp(s->v[i], v) == 0)
			return;
	if (s->n == MAX_SET)
		s->more = 1;
	else
		s->v[s->n++] = xstrdup(v);
}

static void
set_free(struct strset *s)
{
	for (size_t i = 0; i < s->n; i++)
		free(s->v[i]);
}

static void
header_add(struct cx_protocol *p, struct headers *h, const char *name,
    const char *value)
{
	struct header *x = NULL;
	char *lower = xstrdup(name), *v;

	for (char *c = lower; *c != '\0'; c++)
		if (*c >= 'A' && *c <= 'Z')
			*c = (char)(*c - 'A' + 'a');
	cx_buf_reset(&p->b);
	cx_out_redact_header(&p->b, p->redact, name, value);
	cx_buf_addc(&p->b, '\0');
	v = (char *)p->b.p;
	for (size_t i = 0; i < h->n; i++)
		if (strcmp(h->v[i].name, lower) == 0) {
			x = &h->v[i];
			break;
		}
	if (x == NULL) {
		if (h->n == CX_PROTOCOL_MAX_HEADERS) {
			p->dropped++;
			free(lower);
			return;
		}
		x = &h->v[h->n++];
		x->name = lower;
		x->value = xstrdup(v);
		lower = NULL;
	} else if (strcmp(x->value, v) != 0) {
		char *a = cx_protocol_fold(x->value), *b = cx_protocol_fold(v);

		x->varies = 1;
		x->varies_folded |= strcmp(a, b) != 0;
		free(a);
		free(b);
	}
	x->count++;
	free(lower);
}

static struct evtype *
evtype_of(struct cx_protocol *p, struct evtypes *t, const char *name)
{
	for (size_t i = 0; i < t->n; i++)
		if (strcmp(t->v[i].name, name) == 0)
			return &t->v[i];
	if (t->n == CX_PROTOCOL_MAX_EVENTS) {
		p->dropped++;
		return NULL;
	}
	t->v[t->n].name = xstrdup(name);
	t->v[t->n].count = 0;
	t->v[t->n].kp = cx_keypaths_new(MAX_PATHS, p->redact);
	return &t->v[t->n++];
}

/* A message's data: its type (its JSON "type", else "(no type)") counted
 * and its key paths walked. */
static void
event_add(struct cx_protocol *p, struct evtypes *t, const char *name,
    const char *data, size_t len)
{
	cJSON *o = cJSON_ParseWithLength(data, len);
	const char *type = name;
	struct evtype *e;

	if (type == NULL)
		type = cJSON_IsObject(o) && cJSON_GetStringValue(
		    cJSON_GetObjectItem(o, "type")) != NULL ?
		    cJSON_GetStringValue(cJSON_GetObjectItem(o, "type")) :
		    o != NULL ? "(no type)" : "(not JSON)";
	if ((e = evtype_of(p, t, type)) != NULL) {
		e->count++;
		if (o != NULL)
			cx_keypaths_add(e->kp, o);
	}
	cJSON_Delete(o);
}

static void
evtypes_free(struct evtypes *t)
{
	for (size_t i = 0; i < t->n; i++) {
		free(t->v[i].name);
		cx_keypaths_free(t->v[i].kp);
	}
}

/* --- an exchange ------------------------------------------------------- */

/* "https://host[:port]" of an absolute URL; a loopback port as "*" (a
 * mock's, different each run). */
static void
origin(char *out, size_t len, const char *url)
{
	const char *h = strstr(url, "://"), *end, *colon;

	if (h == NULL) {
		snprintf(out, len, "%s", url);
		return;
	}
	end = strchr(h + 3, '/');
	if (end == NULL)
		end = url + strlen(url);
	colon = memchr(h + 3, ':', (size_t)(end - h - 3));
	if (colon != NULL && (strncmp(h + 3, "127.", 4) == 0 ||
	    strncmp(h + 3, "[::1]", 5) == 0 || strncmp(h + 3, "localhost",
	    9) == 0))
		snprintf(out, len, "%.*s:*", (int)(colon - url), url);
	else
		snprintf(out, len, "%.*s", (int)(end - url), url);
}

static struct endpoint *
endpoint_of(struct cx_protocol *p, const struct cx_exchange *ex,
    size_t *index)
{
	struct endpoint *e;

	cx_report_endpoint_key(&p->b, ex);
	cx_buf_addc(&p->b, '\0');
	for (size_t i = 0; i < p->nep; i++)
		if (strcmp(p->ep[i]->key, (const char *)p->b.p) == 0) {
			*index = i;
			return p->ep[i];
		}
	if (p->nep == CX_PROTOCOL_MAX_ENDPOINTS) {
		p->dropped++;
		return NULL;
	}
	e = xcalloc(1, sizeof(*e));
	e->key = xstrdup((const char *)p->b.p);
	e->req_kp = cx_keypaths_new(MAX_PATHS, p->redact);
	e->resp_kp = cx_keypaths_new(MAX_PATHS, p->redact);
	*index = p->nep;
	p->ep[p->nep++] = e;
	return e;
}

static void
status_add(struct endpoint *e, int status)
{
	for (size_t i = 0; i < e->nst; i++)
		if (e->st[i].status == status) {
			e->st[i].n++;
			return;
		}
	if (e->nst < MAX_STATUSES) {
		e->st[e->nst].status = status;
		e->st[e->nst++].n = 1;
	}
}

static void
sha256_hex(char out[65], const char *s, size_t n)
{
	unsigned char md[EVP_MAX_MD_SIZE];
	unsigned int len = 0;

	if (EVP_Digest(s, n, md, &len, EVP_sha256(), NULL) != 1 || len != 32)
		fatalx("protocol: SHA-256 failed");
	for (unsigned i = 0; i < len; i++)
		snprintf(out + 2 * i, 3, "%02x", md[i]);
}

/* A turn's tools and instructions. */
static void
on_turn(void *arg, struct cx_turn *t)
{
	struct cx_protocol *p = arg;

	for (size_t i = 0; i < t->ntools; i++) {
		const struct cx_tool *tl = &t->tools[i];
		struct tool *x = NULL;

		if (tl->name == NULL)
			continue;
		for (size_t j = 0; j < p->ntools; j++)
			if (strcmp(p->tools[j].name, tl->name) == 0) {
				x = &p->tools[j];
				break;
			}
		if (x == NULL) {
			if (p->ntools == CX_PROTOCOL_MAX_TOOLS) {
				p->dropped++;
				continue;
			}
			x = &p->tools[p->ntools++];
			x->name = xstrdup(tl->name);
			x->description = tl->description != NULL ?
			    xstrdup(tl->description) : NULL;
			x->schema = tl->schema != NULL ? xstrdup(tl->schema) :
			    NULL;
		} else if ((x->schema == NULL) != (tl->schema == NULL) ||
		    (x->schema != NULL && strcmp(x->schema, tl->schema) != 0))
			x->varies = 1;
		x->count++;
	}
	for (size_t i = 0; i < t->instructions.n; i++) {
		const struct cx_item *it = &t->instructions.v[i];
		char sha[65];
		struct instr *x = NULL;

		if (it->kind != CX_ITEM_TEXT)
			continue;
		sha256_hex(sha, it->text, it->len);
		for (size_t j = 0; j < p->nins; j++)
			if (strcmp(p->ins[j].sha, sha) == 0) {
				x = &p->ins[j];
				break;
			}
		if (x == NULL) {
			if (p->nins == CX_PROTOCOL_MAX_INSTRUCTIONS) {
				p->dropped++;
				continue;
			}
			x = &p->ins[p->nins++];
			memcpy(x->sha, sha, sizeof(sha));
			x->role = xstrdup(cx_role_name(it->role, "other"));
			x->bytes = it->len;
			x->text = xstrndup(it->text, it->len < INSTR_MAX ?
			    it->len : INSTR_MAX);
		}
		x->count++;
	}
}

static void
exchange(void *arg, struct cx_exchange *ex)
{
	struct cx_protocol *p = arg;
	struct trace *tr = &p->traces[p->ntraces - 1];
	struct endpoint *e;
	char host[300];
	size_t idx;
	int model;

	tr->exchanges++;
	if (!ex->has_req || !ex->req.head_done ||
	    (e = endpoint_of(p, ex, &idx)) == NULL)
		return;
	model = cx_api_of(ex) != NULL;
	e->count++;
	e->model |= model;
	if (tr->ncalls < CX_PROTOCOL_MAX_CALLS) {
		tr->calls = xreallocarray(tr->calls, tr->ncalls + 1,
		    sizeof(*tr->calls));
		tr->calls[tr->ncalls++] = (uint32_t)idx | (model ? MODEL_BIT :
		    0);
	}
	e->transports |= ex->nws > 0 ? T_WS : ex->has_resp && ex->resp.sse ?
	    T_SSE : T_PLAIN;
	status_add(e, ex->has_resp && ex->resp.head_done ? ex->resp.status : 0);
	if (ex->upstream != NULL) {
		origin(host, sizeof(host), ex->upstream);
		set_add(&e->hosts, host);
	}
	set_add(&e->via, ex->source != CX_SRC_RELAY ?
	    cx_source_name(ex->source) : ex->route != NULL ? "route" :
	    "proxy");
	for (size_t i = 0; i < ex->req.fields.n; i++)
		header_add(p, &e->req_h, ex->req.fields.v[i].name,
		    ex->req.fields.v[i].value);
	cx_keypaths_add_body(e->req_kp, &ex->req);
	if (ex->has_resp) {
		for (size_t i = 0; i < ex->resp.fields.n; i++)
			header_add(p, &e->resp_h, ex->resp.fields.v[i].name,
			    ex->resp.fields.v[i].value);
		if (ex->resp.sse)
			for (size_t i = 0; i < ex->resp.nevents; i++)
				event_add(p, &e->sse, ex->resp.events[i].event,
				    ex->resp.events[i].data,
				    ex->resp.events[i].data_len);
		else
			cx_keypaths_add_body(e->resp_kp, &ex->resp);
	}
	for (size_t i = 0; i < ex->nws; i++) {
		const struct cx_wsmsg *m = &ex->ws[i];

		if (m->opcode != 1)     /* text messages only */
			continue;
		event_add(p, m->dir == 0 ? &e->ws_client : &e->ws_server, NULL,
		    m->data, m->len);
	}
	if (model)
		cx_conv_turns(ex, on_turn, p);
}

/* --- a trace ----------------------------------------------------------- */

int
cx_protocol_add_trace(struct cx_protocol *p, const char *path, char *err,
    size_t errlen)
{
	const struct cx_analysis_result *r;
	struct cx_analysis *a;
	struct cx_reader *rd;
	struct cx_frame f;
	struct trace *tr;

	if ((rd = cx_reader_open(path, err, errlen)) == NULL)
		return -1;
	cx_reader_set_release(rd, 1);
	p->traces = xreallocarray(p->traces, p->ntraces + 1,
	    sizeof(*p->traces));
	tr = &p->traces[p->ntraces++];
	memset(tr, 0, sizeof(*tr));
	tr->path = xstrdup(path);
	a = cx_analysis_new(cx_reader_info(rd));
	cx_analysis_stream(a, exchange, p);
	while (cx_reader_next(rd, &f) == 1)
		cx_analysis_frame(a, &f);
	cx_analysis_finish(a);
	r = cx_analysis_result(a);
	for (size_t i = 0; i < r->nnotes && tr->run == NULL; i++) {
		cJSON *o;

		if (r->notes[i].kind != CX_K_NOTE)
			continue;
		o = cJSON_ParseWithLength(r->notes[i].text, r->notes[i].len);
		if (cJSON_IsObject(o) && cJSON_GetStringValue(
		    cJSON_GetObjectItem(o, "type")) != NULL && strcmp(
		    cJSON_GetStringValue(cJSON_GetObjectItem(o, "type")),
		    "run") == 0)
			tr->run = o;
		else
			cJSON_Delete(o);
	}
	cx_analysis_free(a);
	cx_reader_close(rd);
	return 0;
}

struct cx_protocol *
cx_protocol_new(int redact, int full)
{
	struct cx_protocol *p = xcalloc(1, sizeof(*p));

	p->redact = redact;
	p->full = full;
	cx_buf_init(&p->b, 0);
	return p;
}

static void
headers_free(struct headers *h)
{
	for (size_t i = 0; i < h->n; i++) {
		free(h->v[i].name);
		free(h->v[i].value);
	}
}

void
cx_protocol_free(struct cx_protocol *p)
{
	if (p == NULL)
		return;
	for (size_t i = 0; i < p->nep; i++) {
		struct endpoint *e = p->ep[i];

		free(e->key);
		set_free(&e->hosts);
		set_free(&e->via);
		headers_free(&e->req_h);
		headers_free(&e->resp_h);
		cx_keypaths_free(e->req_kp);
		cx_keypaths_free(e->resp_kp);
		evtypes_free(&e->sse);
		evtypes_free(&e->ws_client);
		evtypes_free(&e->ws_server);
		free(e);
	}
	for (size_t i = 0; i < p->ntools; i++) {
		free(p->tools[i].name);
		free(p->tools[i].description);
		free(p->tools[i].schema);
	}
	for (size_t i = 0; i < p->nins; i++) {
		free(p->ins[i].role);
		free(p->ins[i].text);
	}
	for (size_t i = 0; i < p->ntraces; i++) {
		free(p->traces[i].path);
		cJSON_Delete(p->traces[i].run);
		free(p->traces[i].calls);
	}
	free(p->traces);
	cx_buf_free(&p->b);
	free(p);
}

/* --- the model --------------------------------------------------------- */

static cJSON *
strings(const struct strset *s)
{
	cJSON *a = cJSON_CreateArray();

	for (size_t i = 0; i < s->n; i++)
		cJSON_AddItemToArray(a, cJSON_CreateString(s->v[i]));
	if (s->more)
		cJSON_AddItemToArray(a, cJSON_CreateString("..."));
	return a;
}

static int
by_name(const void *a, const void *b)
{
	return strcmp(((const struct header *)a)->name,
	    ((const struct header *)b)->name);
}

static cJSON *
headers_json(const struct cx_protocol *p, struct headers *h)
{
	cJSON *a = cJSON_CreateArray();

	qsort(h->v, h->n, sizeof(h->v[0]), by_name);
	for (size_t i = 0; i < h->n; i++) {
		cJSON *o = cJSON_CreateObject();

		cJSON_AddStringToObject(o, "name", h->v[i].name);
		cJSON_AddNumberToObject(o, "count", (double)h->v[i].count);
		cJSON_AddBoolToObject(o, "constant", p->stable ?
		    !h->v[i].varies_folded : !h->v[i].varies);
		if (p->stable) {
			char *v = cx_protocol_fold(h->v[i].value);

			cJSON_AddStringToObject(o, "example", v);
			free(v);
		} else
			cJSON_AddStringToObject(o, "example", h->v[i].value);
		cJSON_AddItemToArray(a, o);
	}
	return a;
}

static cJSON *
keys_json(const struct cx_protocol *p, struct cx_keypaths *kp)
{
	cJSON *a = cJSON_CreateArray();
	char types[64];

	cx_keypaths_sort(kp);
	for (size_t i = 0; i < cx_keypaths_count(kp); i++) {
		const struct cx_keypath *k = cx_keypaths_get(kp, i);
		cJSON *o = cJSON_CreateObject();

		cJSON_AddStringToObject(o, "path", k->path);
		cx_keypath_types(types, sizeof(types), k->types);
		cJSON_AddStringToObject(o, "types", types);
		cJSON_AddNumberToObject(o, "count", (double)k->count);
		if (k->example != NULL && !p->stable)
			cJSON_AddStringToObject(o, "example", k->example);
		cJSON_AddItemToArray(a, o);
	}
	return a;
}

static int
by_evname(const void *a, const void *b)
{
	return strcmp(((const struct evtype *)a)->name,
	    ((const struct evtype *)b)->name);
}

static cJSON *
events_json(const struct cx_protocol *p, struct evtypes *t)
{
	cJSON *a = cJSON_CreateArray();

	qsort(t->v, t->n, sizeof(t->v[0]), by_evname);
	for (size_t i = 0; i < t->n; i++) {
		cJSON *o = cJSON_CreateObject();

		cJSON_AddStringToObject(o, "type", t->v[i].name);
		cJSON_AddNumberToObject(o, "count", (double)t->v[i].count);
		cJSON_AddItemToObject(o, "keys", keys_json(p, t->v[i].kp));
		cJSON_AddItemToArray(a, o);
	}
	return a;
}

static int
by_key(const void *a, const void *b)
{
	return strcmp((*(struct endpoint *const *)a)->key,
	    (*(struct endpoint *const *)b)->key);
}

static int
by_status(const void *a, const void *b)
{
	return *(const int *)a - *(const int *)b;
}

static cJSON *
endpoint_json(const struct cx_protocol *p, struct endpoint *e)
{
	cJSON *o = cJSON_CreateObject(), *t = cJSON_CreateArray(), *st, *rq,
	    *rs;
	char num[16];

	cJSON_AddStringToObject(o, "endpoint", e->key);
	cJSON_AddNumberToObject(o, "count", (double)e->count);
	cJSON_AddBoolToObject(o, "model_api", e->model);
	if (e->transports & T_PLAIN)
		cJSON_AddItemToArray(t, cJSON_CreateString("plain"));
	if (e->transports & T_SSE)
		cJSON_AddItemToArray(t, cJSON_CreateString("sse"));
	if (e->transports & T_WS)
		cJSON_AddItemToArray(t, cJSON_CreateString("websocket"));
	cJSON_AddItemToObject(o, "transports", t);
	qsort(e->st, e->nst, sizeof(e->st[0]), by_status);
	st = cJSON_AddObjectToObject(o, "statuses");
	for (size_t i = 0; i < e->nst; i++) {
		snprintf(num, sizeof(num), "%d", e->st[i].status);
		cJSON_AddNumberToObject(st, num, (double)e->st[i].n);
	}
	cJSON_AddItemToObject(o, "hosts", strings(&e->hosts));
	cJSON_AddItemToObject(o, "via", strings(&e->via));
	rq = cJSON_AddObjectToObject(o, "request");
	cJSON_AddItemToObject(rq, "headers", headers_json(p, &e->req_h));
	cJSON_AddItemToObject(rq, "body", keys_json(p, e->req_kp));
	rs = cJSON_AddObjectToObject(o, "response");
	cJSON_AddItemToObject(rs, "headers", headers_json(p, &e->resp_h));
	cJSON_AddItemToObject(rs, "body", keys_json(p, e->resp_kp));
	cJSON_AddItemToObject(rs, "events", events_json(p, &e->sse));
	if (e->transports & T_WS) {
		cJSON *ws = cJSON_AddObjectToObject(o, "websocket");

		cJSON_AddItemToObject(ws, "client", events_json(p,
		    &e->ws_client));
		cJSON_AddItemToObject(ws, "server", events_json(p,
		    &e->ws_server));
	}
	return o;
}

static int
by_tool(const void *a, const void *b)
{
	return strcmp(((const struct tool *)a)->name,
	    ((const struct tool *)b)->name);
}

static int
by_instr(const void *a, const void *b)
{
	const struct instr *x = a, *y = b;
	int c = strcmp(x->role, y->role);

	return c != 0 ? c : strcmp(x->sha, y->sha);
}

static cJSON *
tools_json(struct cx_protocol *p)
{
	cJSON *a = cJSON_CreateArray();

	qsort(p->tools, p->ntools, sizeof(p->tools[0]), by_tool);
	for (size_t i = 0; i < p->ntools; i++) {
		const struct tool *t = &p->tools[i];
		cJSON *o = cJSON_CreateObject(), *schema;

		cJSON_AddStringToObject(o, "name", t->name);
		cJSON_AddNumberToObject(o, "count", (double)t->count);
		if (t->description != NULL)
			cJSON_AddStringToObject(o, "description",
			    t->description);
		schema = t->schema != NULL ? cJSON_Parse(t->schema) : NULL;
		cJSON_AddItemToObject(o, "schema", schema != NULL ? schema :
		    cJSON_CreateNull());
		cJSON_AddBoolToObject(o, "schema_varies", t->varies);
		cJSON_AddItemToArray(a, o);
	}
	return a;
}

static cJSON *
instructions_json(struct cx_protocol *p)
{
	cJSON *a = cJSON_CreateArray();

	qsort(p->ins, p->nins, sizeof(p->ins[0]), by_instr);
	for (size_t i = 0; i < p->nins; i++) {
		const struct instr *x = &p->ins[i];
		cJSON *o = cJSON_CreateObject(), *lines = cJSON_CreateArray();
		const char *s = x->text;

		cJSON_AddStringToObject(o, "role", x->role);
		cJSON_AddStringToObject(o, "sha256", x->sha);
		cJSON_AddNumberToObject(o, "bytes", (double)x->bytes);
		cJSON_AddNumberToObject(o, "count", (double)x->count);
		for (int k = 0; k < FIRST_LINES && *s != '\0'; k++) {
			const char *nl = strchr(s, '\n');
			size_t n = nl != NULL ? (size_t)(nl - s) : strlen(s);
			char *line = xstrndup(s, n > 200 ? 200 : n);

			cJSON_AddItemToArray(lines, cJSON_CreateString(line));
			free(line);
			s += n + (nl != NULL);
		}
		cJSON_AddItemToObject(o, "first_lines", lines);
		if (p->full)
			cJSON_AddStringToObject(o, "text", x->text);
		cJSON_AddItemToArray(a, o);
	}
	return a;
}

static int
by_str(const void *a, const void *b)
{
	return strcmp(cJSON_GetStringValue(*(cJSON *const *)a),
	    cJSON_GetStringValue(*(cJSON *const *)b));
}

/* a's strings in bytewise order. */
static void
sort_strings(cJSON *a)
{
	int n = cJSON_GetArraySize(a), i;
	cJSON **v;

	if (n < 2)
		return;
	v = xreallocarray(NULL, (size_t)n, sizeof(*v));
	for (i = 0; i < n; i++)
		v[i] = cJSON_DetachItemFromArray(a, 0);
	qsort(v, (size_t)n, sizeof(*v), by_str);
	for (i = 0; i < n; i++)
		cJSON_AddItemToArray(a, v[i]);
	free(v);
}

/* Add s to a (an array of strings) unless it is there. */
static void
once(cJSON *a, const char *s)
{
	cJSON *e;

	cJSON_ArrayForEach(e, a)
		if (strcmp(cJSON_GetStringValue(e), s) == 0)
			return;
	cJSON_AddItemToArray(a, cJSON_CreateString(s));
}

/*
 * The order of the calls: those before the first model call (startup),
 * the model calls, those between model calls (per turn: how many of the
 * gaps between model calls had each); then the first trace's calls in
 * order, runs of one endpoint as one entry with its times.
 */
static cJSON *
sequence_json(const struct cx_protocol *p)
{
	cJSON *o = cJSON_CreateObject();
	cJSON *startup = cJSON_AddArrayToObject(o, "startup");
	cJSON *model = cJSON_AddArrayToObject(o, "model");
	cJSON *between = cJSON_AddArrayToObject(o, "between_model_calls");
	cJSON *calls = cJSON_AddArrayToObject(o, "calls");

	for (size_t t = 0; t < p->ntraces; t++) {
		const struct trace *tr = &p->traces[t];
		int seen_model = 0;

		for (size_t i = 0; i < tr->ncalls; i++) {
			const char *key = p->ep[tr->calls[i] &
			    ~MODEL_BIT]->key;

			if (tr->calls[i] & MODEL_BIT) {
				seen_model = 1;
				once(model, key);
			} else
				once(seen_model ? between : startup, key);
		}
	}
	if (p->stable) {
		/* Calls made at once come in any order: before or after the
		 * first model call is a race; one set, sorted, and no list. */
		cJSON *other = cJSON_AddArrayToObject(o, "other");
		cJSON *e;

		cJSON_ArrayForEach(e, startup)
			once(other, e->valuestring);
		cJSON_ArrayForEach(e, between)
			once(other, e->valuestring);
		cJSON_DeleteItemFromObject(o, "startup");
		cJSON_DeleteItemFromObject(o, "between_model_calls");
		cJSON_DeleteItemFromObject(o, "calls");
		sort_strings(model);
		sort_strings(other);
	} else if (p->ntraces > 0) {
		const struct trace *tr = &p->traces[0];
		cJSON *last = NULL;
		uint32_t prev = UINT32_MAX;

		for (size_t i = 0; i < tr->ncalls && cJSON_GetArraySize(calls) <
		    200; i++) {
			uint32_t c = tr->calls[i] & ~MODEL_BIT;

			if (c == prev && last != NULL) {
				cJSON *n = cJSON_GetObjectItem(last, "times");

				cJSON_SetNumberValue(n, n->valuedouble + 1);
				continue;
			}
			last = cJSON_CreateObject();
			cJSON_AddStringToObject(last, "endpoint",
			    p->ep[c]->key);
			cJSON_AddNumberToObject(last, "times", 1);
			cJSON_AddItemToArray(calls, last);
			prev = c;
		}
	}
	return o;
}

static void
trace_json(const struct cx_protocol *p, cJSON *a, const struct trace *tr)
{
	static const char *const keys[] = { "agent", "agent_version",
	    "reached_by", "login_mode", "cxrec_version" };
	cJSON *o = cJSON_CreateObject();

	cJSON_AddStringToObject(o, "path", p->stable && strrchr(tr->path,
	    '/') != NULL ? strrchr(tr->path, '/') + 1 : tr->path);
	for (size_t i = 0; i < sizeof(keys) / sizeof(keys[0]); i++) {
		const char *v = cJSON_GetStringValue(cJSON_GetObjectItem(
		    tr->run, keys[i]));

		cJSON_AddItemToObject(o, keys[i], v != NULL ?
		    cJSON_CreateString(v) : cJSON_CreateNull());
	}
	cJSON_AddNumberToObject(o, "exchanges", (double)tr->exchanges);
	cJSON_AddItemToArray(a, o);
}

cJSON *
cx_protocol_json(struct cx_protocol *p)
{
	/* The endpoints sorted apart: the calls hold their indexes. */
	struct endpoint **sorted = xreallocarray(NULL, p->nep + 1,
	    sizeof(*sorted));
	cJSON *o = cJSON_CreateObject(), *a;

	memcpy(sorted, p->ep, p->nep * sizeof(*sorted));
	qsort(sorted, p->nep, sizeof(*sorted), by_key);
	cJSON_AddNumberToObject(o, "cxrec_protocol", CX_PROTOCOL_VERSION);
	a = cJSON_AddArrayToObject(o, "traces");
	for (size_t i = 0; i < p->ntraces; i++)
		trace_json(p, a, &p->traces[i]);
	a = cJSON_AddArrayToObject(o, "endpoints");
	for (size_t i = 0; i < p->nep; i++)
		cJSON_AddItemToArray(a, endpoint_json(p, sorted[i]));
	cJSON_AddItemToObject(o, "tools", tools_json(p));
	cJSON_AddItemToObject(o, "instructions", instructions_json(p));
	cJSON_AddItemToObject(o, "sequence", sequence_json(p));
	cJSON_AddNumberToObject(o, "dropped", (double)p->dropped);
	free(sorted);
	return o;
}

void
cx_protocol_set_stable(struct cx_protocol *p, int on)
{
	p->stable = on;
}

/*
 * What stays random once folded (a WebSocket key, a nonce, a token), in
 * place: each run of base64 characters holding upper and lower case
 * letters, 16 or more with a digit or "#", or 20 or more, as "…".
 */
static void
scrub(char *s)
{
	static const char b64[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnop"
	    "qrstuvwxyz0123456789+/=_-#";
	char *o = s;

	while (*s != '\0') {
		size_t n = strspn(s, b64);
		int up = 0, low = 0, dig = 0;

		for (size_t i = 0; i < n; i++) {
			up |= s[i] >= 'A' && s[i] <= 'Z';
			low |= s[i] >= 'a' && s[i] <= 'z';
			dig |= (s[i] >= '0' && s[i] <= '9') || s[i] == '#';
		}
		if (n >= 16 && up && low && (dig || n >= 20)) {
			memcpy(o, "\xe2\x80\xa6", 3);     /* n >= 3 */
			o += 3;
			s += n;
		} else if (n > 0) {
			memmove(o, s, n);
			o += n;
			s += n;
		} else
			*o++ = *s++;
	}
	*o = '\0';
}

char *
cx_protocol_fold(const char *s)
{
	char *out = xmalloc(strlen(s) + 1), *o = out;

	while (*s != '\0') {
		size_t n = strspn(s, "0123456789abcdefABCDEF-");
		size_t d = strspn(s, "0123456789");
		const char *digit = strpbrk(s, "0123456789");

		if (n >= 8 && digit != NULL && (size_t)(digit - s) < n) {
			*o++ = '#';
			s += n;
		} else if (d > 0) {
			*o++ = '#';
			s += d;
		} else
			*o++ = *s++;
	}
	*o = '\0';
	scrub(out);
	return out;
}

cJSON *
cx_protocol_parse(const char *text, size_t len, char *err, size_t errlen)
{
	cJSON *o = cJSON_ParseWithLength(text, len), *v;

	if (!cJSON_IsObject(o)) {
		snprintf(err, errlen, "not a protocol's JSON (cxrec protocol "
		    "--format json)");
		cJSON_Delete(o);
		return NULL;
	}
	v = cJSON_GetObjectItem(o, "cxrec_protocol");
	if (!cJSON_IsNumber(v)) {
		snprintf(err, errlen, "not a protocol's JSON: no "
		    "\"cxrec_protocol\" version");
		cJSON_Delete(o);
		return NULL;
	}
	if (v->valuedouble != CX_PROTOCOL_VERSION) {
		snprintf(err, errlen, "a protocol of version %g: this cxrec "
		    "reads version %d", v->valuedouble, CX_PROTOCOL_VERSION);
		cJSON_Delete(o);
		return NULL;
	}
	return o;
}
