/*
 * exchange.c: reassemble connections and build exchanges (see exchange.h).
 */
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <cJSON.h>

#include "body.h"
#include "exchange.h"
#include "http.h"
#include "procs.h"
#include "sse.h"
#include "ws.h"

#define NBUCKETS                4096
#define MAX_JSON_PAYLOAD        (16u * 1024 * 1024)
#define MAX_ERROR_TEXT          4096

/* A ROUTE or ERROR for a request whose bytes have not arrived (yet). */
struct pend {
	uint64_t         seq;
	int64_t          ts;
	char            *upstream;
	char            *route;
	char            *error;
};

/* A JSON payload split over CX_F_CONT frames, being put together. */
struct frag {
	struct frag     *next;
	uint8_t          kind;
	uint8_t          source;
	uint64_t         conn;
	uint32_t         pid;
	uint32_t         tid;
	struct cx_buf    buf;
};

struct conn {
	struct conn     *next;          /* hash chain */
	struct cx_analysis *a;
	uint8_t          source;
	uint64_t         id;
	int64_t          now;           /* ts of the frame being fed */
	uint32_t         pid;
	uint32_t         tid;
	char            *comm;
	struct cx_http  *req;
	struct cx_http  *resp;
	struct cx_exchange **reqs;      /* by seq */
	size_t           nreqs;
	size_t           areqs;
	size_t           qhead;         /* reqs[qhead..] await a response */
	struct cx_exchange *creq;       /* request being parsed */
	struct cx_exchange *cresp;      /* response being parsed */
	int64_t          resp_begin;
	int              interim;       /* cresp's current message is 1xx */
	struct cx_exchange *tunnel;     /* switched protocols */
	struct cx_ws    *ws;            /* ... to WebSocket (ws.h) */
	struct cx_sse   *sse;
	struct cx_decoder *dec;
	struct pend     *pend;
	size_t           npend;
	/*
	 * TLS seen by the preload: the wire's bytes are ciphertext (tls
	 * set by the first bytes: a TLS record), counted, not parsed; the
	 * plaintext (CX_F_PLAIN frames) is parsed instead.
	 */
	int              tls;
	int              plain;         /* plaintext has come */
	uint64_t         tls_bytes[2];  /* ciphertext each way */
	/* A proxy tunnel's bytes, passed on but not recorded (its close). */
	uint64_t         unrecorded[2];
	int              tunnelled;
	char            *origin;        /* "https://host:port" (preload) */
	uint64_t         fed;           /* bytes given to the parsers */
};

struct cx_analysis {
	struct cx_file_info      info;
	struct conn             *buckets[NBUCKETS];
	struct frag             *frags;
	struct cx_procs         *procs;
	size_t                   aex;
	size_t                   anotes;
	uint64_t                 order;
	struct cx_analysis_result r;
	/* streaming (cx_analysis_stream) */
	cx_emit_fn               emit;
	void                    *emit_arg;
	int64_t                  now;           /* latest frame time */
	uint64_t                 emitted;
	unsigned                 since_flush;
};

#define STREAM_SLACK_NS         (2LL * 1000000000)      /* writers' skew */
static void stream_flush(struct cx_analysis *a, int all);
#define STREAM_FLUSH_FRAMES     256

/* --- small helpers ----------------------------------------------------- */

const char *
cx_fields_get(const struct cx_fields *f, const char *name)
{
	for (size_t i = 0; i < f->n; i++)
		if (strcasecmp(f->v[i].name, name) == 0)
			return f->v[i].value;
	return NULL;
}

static void
fields_copy(struct cx_fields *dst, const struct cx_http_field *src, size_t n)
{
	dst->v = xcalloc(n, sizeof(*dst->v));
	dst->n = n;
	for (size_t i = 0; i < n; i++) {
		dst->v[i].name = xstrdup(src[i].name);
		dst->v[i].value = xstrdup(src[i].value);
	}
}

static void
fields_free(struct cx_fields *f)
{
	for (size_t i = 0; i < f->n; i++) {
		free(f->v[i].name);
		free(f->v[i].value);
	}
	free(f->v);
	f->v = NULL;
	f->n = 0;
}

static void
add_error(struct cx_exchange *ex, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

/* Remember why the client went away; decided at the end (client_done). */
static void
set_client_closed(struct cx_exchange *ex, const char *msg)
{
	if (ex->client_closed == NULL)
		ex->client_closed = xstrdup(msg);
}

static void
add_error(struct cx_exchange *ex, const char *fmt, ...)
{
	char msg[1024];
	va_list ap;
	size_t old;
	char *e;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	if (ex->error == NULL) {
		ex->error = xstrdup(msg);
		return;
	}
	old = strlen(ex->error);
	if (old > MAX_ERROR_TEXT || strstr(ex->error, msg) != NULL)
		return;
	e = xasprintf("%s; %s", ex->error, msg);
	free(ex->error);
	ex->error = e;
}

/* A string member of a JSON object, or NULL. */
static const char *
jstr(const cJSON *o, const char *key)
{
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, key);

	return cJSON_IsString(v) ? v->valuestring : NULL;
}

/* A non-negative integer member, or -1. */
static double
jnum(const cJSON *o, const char *key)
{
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, key);

	return cJSON_IsNumber(v) && v->valuedouble >= 0 ? v->valuedouble : -1;
}

/* --- exchanges --------------------------------------------------------- */

static void
msg_init(struct cx_msg *m)
{
	memset(m, 0, sizeof(*m));
	cx_buf_init(&m->body, CX_EXCHANGE_MAX_BODY);
}

static void
msg_free(struct cx_msg *m)
{
	free(m->method);
	free(m->target);
	free(m->reason);
	fields_free(&m->fields);
	fields_free(&m->trailers);
	cx_buf_free(&m->body);
	for (size_t i = 0; i < m->ninterim; i++) {
		free(m->interim[i].reason);
		fields_free(&m->interim[i].fields);
	}
	free(m->interim);
	for (size_t i = 0; i < m->nevents; i++)
		free(m->events[i].data);       /* event and id are in it */
	free(m->events);
	free(m->sse_encoding);
	free(m->sse_error);
}

static void
exchange_free(struct cx_exchange *ex)
{
	if (ex == NULL)
		return;
	msg_free(&ex->req);
	msg_free(&ex->resp);
	free(ex->comm);
	free(ex->upstream);
	free(ex->route);
	free(ex->error);
	free(ex->client_closed);
	free(ex->note);
	for (size_t i = 0; i < ex->nws; i++) {
		free(ex->ws[i].data);
		free(ex->ws[i].note);
	}
	free(ex->ws);
	free(ex);
}

static struct cx_exchange *
exchange_new(struct cx_analysis *a, uint8_t source, uint64_t conn, int64_t ts)
{
	struct cx_exchange *ex = xcalloc(1, sizeof(*ex));

	ex->order = a->order++;
	ex->source = source;
	ex->conn = conn;
	ex->seq = CX_NO_SEQ;
	ex->start = ts;
	msg_init(&ex->req);
	msg_init(&ex->resp);
	if (a->r.nex == a->aex) {
		a->aex = a->aex ? a->aex * 2 : 64;
		a->r.ex = xreallocarray(a->r.ex, a->aex, sizeof(*a->r.ex));
	}
	a->r.ex[a->r.nex++] = ex;
	return ex;
}

static struct cx_exchange *
conn_exchange(struct conn *c)
{
	struct cx_exchange *ex = exchange_new(c->a, c->source, c->id, c->now);

	ex->pid = c->pid;
	ex->tid = c->tid;
	ex->comm = c->comm ? xstrdup(c->comm) : NULL;
	return ex;
}

static void
set_route(struct cx_exchange *ex, const char *upstream, const char *route)
{
	if (upstream != NULL) {
		free(ex->upstream);
		ex->upstream = xstrdup(upstream);
	}
	if (route != NULL) {
		free(ex->route);
		ex->route = xstrdup(route);
	}
}

/* --- connections ------------------------------------------------------- */

static size_t
hash(uint8_t source, uint64_t id)
{
	uint64_t h = (id ^ ((uint64_t)source << 56)) * 0x9e3779b97f4a7c15ull;

	return (size_t)(h >> 52) % NBUCKETS;
}

static struct conn *
conn_find(struct cx_analysis *a, uint8_t source, uint64_t id)
{
	struct conn *c;

	for (c = a->buckets[hash(source, id)]; c != NULL; c = c->next)
		if (c->source == source && c->id == id)
			return c;
	return NULL;
}

static int req_begin(void *);
static int req_head(void *, const struct cx_http_head *);
static int req_body(void *, const uint8_t *, size_t);
static int req_trailers(void *, const struct cx_http_field *, size_t);
static int req_end(void *);
static int resp_begin(void *);
static int resp_head(void *, const struct cx_http_head *);
static int resp_body(void *, const uint8_t *, size_t);
static int resp_trailers(void *, const struct cx_http_field *, size_t);
static int resp_end(void *);
static int req_tunnel(void *, const uint8_t *, size_t);
static int resp_tunnel(void *, const uint8_t *, size_t);

static const struct cx_http_cb req_cb = {
	req_begin, req_head, req_body, req_trailers, req_end, req_tunnel,
};
static const struct cx_http_cb resp_cb = {
	resp_begin, resp_head, resp_body, resp_trailers, resp_end, resp_tunnel,
};

static struct conn *
conn_get(struct cx_analysis *a, uint8_t source, uint64_t id)
{
	struct conn *c = conn_find(a, source, id);
	size_t b;

	if (c != NULL)
		return c;
	c = xcalloc(1, sizeof(*c));
	c->a = a;
	c->source = source;
	c->id = id;
	c->req = cx_http_new(CX_HTTP_REQUEST, &req_cb, c);
	c->resp = cx_http_new(CX_HTTP_RESPONSE, &resp_cb, c);
	b = hash(source, id);
	c->next = a->buckets[b];
	a->buckets[b] = c;
	a->r.connections++;
	return c;
}

static void
conn_unlink(struct cx_analysis *a, struct conn *c)
{
	struct conn **pp;

	for (pp = &a->buckets[hash(c->source, c->id)]; *pp != NULL;
	    pp = &(*pp)->next)
		if (*pp == c) {
			*pp = c->next;
			break;
		}
}

static void
conn_free(struct conn *c)
{
	if (c == NULL)
		return;
	free(c->origin);
	cx_ws_free(c->ws);
	cx_http_free(c->req);
	cx_http_free(c->resp);
	cx_sse_free(c->sse);
	cx_decoder_free(c->dec);
	for (size_t i = 0; i < c->npend; i++) {
		free(c->pend[i].upstream);
		free(c->pend[i].route);
		free(c->pend[i].error);
	}
	free(c->pend);
	free(c->reqs);
	free(c->comm);
	free(c);
}

/* The process behind a connection, from a frame header or a JSON object. */
static void
conn_process(struct conn *c, const struct cx_frame *f, const cJSON *o)
{
	const struct cx_file_info *info = &c->a->info;
	const char *comm;
	double v;

	/* The relay's own pid in a relay frame is not the client's. */
	if (f->pid != 0 && !(f->source == CX_SRC_RELAY &&
	    f->pid == info->writer_pid)) {
		c->pid = f->pid;
		c->tid = f->tid;
	} else if (o != NULL && c->pid == 0) {
		if ((v = jnum(o, "pid")) > 0 && v <= UINT32_MAX)
			c->pid = (uint32_t)v;
		if ((v = jnum(o, "tid")) > 0 && v <= UINT32_MAX)
			c->tid = (uint32_t)v;
	}
	if (o != NULL && (comm = jstr(o, "comm")) != NULL) {
		free(c->comm);
		c->comm = xstrndup(comm, strnlen(comm, 256));
	}
}

/* --- event streams ----------------------------------------------------- */

static int
on_event(void *arg, const struct cx_sse_event *e)
{
	struct conn *c = arg;
	struct cx_msg *m;
	struct cx_event *ev;
	size_t elen, ilen;

	if (c->cresp == NULL)
		return 0;
	m = &c->cresp->resp;
	if (m->event_bytes + e->data_len > CX_EXCHANGE_MAX_BODY) {
		m->events_cut = 1;
		return 0;
	}
	if (m->nevents == m->aevents) {
		m->aevents = m->aevents ? m->aevents * 2 : 16;
		m->events = xreallocarray(m->events, m->aevents,
		    sizeof(*m->events));
	}
	ev = &m->events[m->nevents++];
	memset(ev, 0, sizeof(*ev));
	/* One block: data, then the event name, then the id. */
	elen = strlen(e->event);
	ilen = e->id ? strlen(e->id) : 0;
	ev->data = xmalloc(e->data_len + elen + ilen + 3);
	memcpy(ev->data, e->data, e->data_len);
	ev->data[e->data_len] = '\0';
	ev->event = ev->data + e->data_len + 1;
	memcpy(ev->event, e->event, elen + 1);
	if (e->id != NULL) {
		ev->id = ev->event + elen + 1;
		memcpy(ev->id, e->id, ilen + 1);
	}
	ev->ts = c->now;
	ev->data_len = e->data_len;
	ev->partial = e->partial;
	ev->truncated = e->truncated;
	m->event_bytes += e->data_len + strlen(e->event) + 64;
	return 0;
}

static int
decoded_to_sse(void *arg, const uint8_t *p, size_t n)
{
	struct conn *c = arg;

	return cx_sse_feed(c->sse, p, n);
}

/* The event stream of cresp ended (completely or not). */
static void
sse_end(struct conn *c)
{
	struct cx_msg *m;

	if (c->sse == NULL)
		return;
	m = &c->cresp->resp;
	if (c->dec != NULL) {
		if (cx_decoder_finish(c->dec) == -1 && m->sse_error == NULL)
			m->sse_error = xstrdup(cx_decoder_error(c->dec));
		m->sse_decoded = cx_decoder_total(c->dec);
		m->sse_decoded_cut = cx_decoder_truncated(c->dec);
		cx_decoder_free(c->dec);
		c->dec = NULL;
	}
	cx_sse_finish(c->sse);
	cx_sse_free(c->sse);
	c->sse = NULL;
}

static int
is_event_stream(const char *ctype)
{
	size_t n = strlen("text/event-stream");

	while (ctype != NULL && (*ctype == ' ' || *ctype == '\t'))
		ctype++;
	return ctype != NULL && strncasecmp(ctype, "text/event-stream", n) == 0
	    && (ctype[n] == '\0' || ctype[n] == ';' || ctype[n] == ' ');
}

/* --- request callbacks --------------------------------------------------- */

static void
apply_pending(struct conn *c, struct cx_exchange *ex)
{
	for (size_t i = 0; i < c->npend; i++) {
		struct pend *p = &c->pend[i];

		if (p->seq != ex->seq)
			continue;
		set_route(ex, p->upstream, p->route);
		if (p->error != NULL)
			add_error(ex, "%s", p->error);
		free(p->upstream);
		free(p->route);
		free(p->error);
		c->pend[i--] = c->pend[--c->npend];
	}
}

static int
req_begin(void *arg)
{
	struct conn *c = arg;
	struct cx_exchange *ex = conn_exchange(c);

	ex->has_req = 1;
	ex->seq = c->nreqs;
	ex->req.t_first = ex->req.t_last = c->now;
	if (c->nreqs == c->areqs) {
		c->areqs = c->areqs ? c->areqs * 2 : 8;
		c->reqs = xreallocarray(c->reqs, c->areqs, sizeof(*c->reqs));
	}
	c->reqs[c->nreqs++] = ex;
	c->creq = ex;
	apply_pending(c, ex);
	return 0;
}

static int
req_head(void *arg, const struct cx_http_head *h)
{
	struct conn *c = arg;
	struct cx_msg *m = &c->creq->req;

	m->head_done = 1;
	m->version = h->version;
	m->method = xstrdup(h->method);
	m->target = xstrdup(h->target);
	fields_copy(&m->fields, h->fields, h->nfields);
	/*
	 * The preload's client connections: the absolute URL, with the
	 * host the request names (else the one the program looked up, else
	 * the address).
	 */
	if (c->origin != NULL && c->creq->upstream == NULL &&
	    h->target[0] == '/') {
		const char *hh = cx_fields_get(&m->fields, "host");

		c->creq->upstream = xasprintf("%s://%s%s", c->tls || c->plain ?
		    "https" : "http", hh != NULL && *hh != '\0' &&
		    strpbrk(hh, "/ \t") == NULL ? hh : c->origin, h->target);
	}
	return CX_HTTP_BODY_AUTO;
}

static int
req_body(void *arg, const uint8_t *p, size_t n)
{
	struct conn *c = arg;
	struct cx_msg *m = &c->creq->req;

	m->body_bytes += n;
	cx_buf_add(&m->body, p, n);
	return 0;
}

static int
req_trailers(void *arg, const struct cx_http_field *f, size_t n)
{
	struct conn *c = arg;

	fields_copy(&c->creq->req.trailers, f, n);
	return 0;
}

static int
req_end(void *arg)
{
	struct conn *c = arg;

	c->creq->req.complete = 1;
	c->creq->req.t_last = c->now;
	cx_buf_trim(&c->creq->req.body);
	c->creq = NULL;
	return 0;
}

/* --- response callbacks -------------------------------------------------- */

static int
resp_begin(void *arg)
{
	struct conn *c = arg;
	struct cx_exchange *ex = NULL;

	if (c->qhead < c->nreqs)
		ex = c->reqs[c->qhead];
	if (ex == NULL) {
		ex = conn_exchange(c);
		add_error(ex, "a response without a request");
	}
	if (!ex->has_resp) {
		ex->has_resp = 1;
		ex->resp.t_first = ex->resp.t_last = c->now;
	}
	c->cresp = ex;
	c->resp_begin = c->now;
	return 0;
}

static int
resp_head(void *arg, const struct cx_http_head *h)
{
	struct conn *c = arg;
	struct cx_exchange *ex = c->cresp;
	struct cx_msg *m = &ex->resp;
	const char *method = ex->has_req ? ex->req.method : NULL;
	const char *enc;

	if (h->status < 200 && h->status != 101) {
		struct cx_interim *in;

		c->interim = 1;
		m->interim = xreallocarray(m->interim, m->ninterim + 1,
		    sizeof(*m->interim));
		in = &m->interim[m->ninterim++];
		in->status = h->status;
		in->reason = xstrdup(h->reason);
		in->ts = c->resp_begin;
		fields_copy(&in->fields, h->fields, h->nfields);
		return CX_HTTP_BODY_NONE;
	}
	c->interim = 0;
	m->head_done = 1;
	m->t_first = c->resp_begin;
	m->version = h->version;
	m->status = h->status;
	m->reason = xstrdup(h->reason);
	fields_copy(&m->fields, h->fields, h->nfields);
	if (method != NULL && strcmp(method, "HEAD") == 0)
		return CX_HTTP_BODY_NONE;
	if (method != NULL && strcmp(method, "CONNECT") == 0 &&
	    h->status / 100 == 2)
		return CX_HTTP_BODY_TUNNEL;
	if (h->status != 204 && h->status != 304 &&
	    is_event_stream(cx_fields_get(&m->fields, "content-type"))) {
		m->sse = 1;
		c->sse = cx_sse_new(CX_EXCHANGE_MAX_BODY / 8, on_event, c);
		enc = cx_fields_get(&m->fields, "content-encoding");
		if (enc != NULL && *enc != '\0' &&
		    strcasecmp(enc, "identity") != 0) {
			m->sse_encoding = xstrdup(enc);
			c->dec = cx_decoder_new(enc, CX_EXCHANGE_MAX_BODY);
			if (c->dec == NULL) {
				/* Keep the raw bytes as a body instead. */
				m->sse_error = xasprintf("content encoding "
				    "\"%s\" is not supported", enc);
				m->sse = 0;
				cx_sse_free(c->sse);
				c->sse = NULL;
			}
		}
	}
	return CX_HTTP_BODY_AUTO;
}

static int
resp_body(void *arg, const uint8_t *p, size_t n)
{
	struct conn *c = arg;
	struct cx_msg *m = &c->cresp->resp;

	m->body_bytes += n;
	m->t_last = c->now;
	if (c->sse == NULL) {
		cx_buf_add(&m->body, p, n);
		return 0;
	}
	if (c->dec == NULL) {
		cx_sse_feed(c->sse, p, n);
		return 0;
	}
	if (cx_decoder_feed(c->dec, p, n, decoded_to_sse, c) == -1 &&
	    m->sse_error == NULL)
		m->sse_error = xstrdup(cx_decoder_error(c->dec));
	return 0;
}

static int
resp_trailers(void *arg, const struct cx_http_field *f, size_t n)
{
	struct conn *c = arg;

	fields_copy(&c->cresp->resp.trailers, f, n);
	return 0;
}

/* An Upgrade: websocket asked for and agreed to? */
static int
is_websocket(const struct cx_exchange *ex)
{
	const char *a = ex->has_req ? cx_fields_get(&ex->req.fields,
	    "upgrade") : NULL;
	const char *b = cx_fields_get(&ex->resp.fields, "upgrade");

	return a != NULL && b != NULL && strcasestr(a, "websocket") != NULL &&
	    strcasestr(b, "websocket") != NULL;
}

/* A WebSocket message: kept on the exchange, as events are. */
static int
on_ws(void *arg, const struct cx_ws_msg *m)
{
	struct conn *c = arg;
	struct cx_exchange *ex = c->tunnel;
	struct cx_wsmsg *w;

	if (ex == NULL)
		return 0;
	if (ex->ws_bytes + m->len > CX_EXCHANGE_MAX_BODY) {
		ex->ws_cut = 1;
		return 0;
	}
	if (ex->nws == ex->aws) {
		ex->aws = ex->aws ? 2 * ex->aws : 16;
		ex->ws = xreallocarray(ex->ws, ex->aws, sizeof(*ex->ws));
	}
	w = &ex->ws[ex->nws++];
	memset(w, 0, sizeof(*w));
	w->ts = c->now;
	w->dir = (uint8_t)m->dir;
	w->opcode = (uint8_t)m->opcode;
	w->compressed = (uint8_t)m->compressed;
	w->truncated = (uint8_t)m->truncated;
	w->partial = (uint8_t)m->partial;
	w->close_code = m->close_code;
	w->data = xmalloc(m->len + 1);
	memcpy(w->data, m->data, m->len);
	w->data[m->len] = '\0';
	w->len = m->len;
	w->note = m->note != NULL ? xstrdup(m->note) : NULL;
	ex->ws_bytes += m->len;
	return 0;
}

static int
resp_end(void *arg)
{
	struct conn *c = arg;
	struct cx_exchange *ex = c->cresp;
	const char *method = ex->has_req ? ex->req.method : NULL;

	if (c->interim) {
		c->interim = 0;
		c->cresp = NULL;
		return 0;
	}
	sse_end(c);
	c->cresp = NULL;
	ex->resp.complete = 1;
	ex->resp.t_last = c->now;
	cx_buf_trim(&ex->resp.body);
	if (c->qhead < c->nreqs && c->reqs[c->qhead] == ex)
		c->qhead++;
	if (ex->resp.status == 101 || (method != NULL &&
	    strcmp(method, "CONNECT") == 0 && ex->resp.status / 100 == 2)) {
		cx_http_tunnel(c->req);
		c->tunnel = ex;
		if (ex->resp.status == 101 && is_websocket(ex) && c->ws == NULL)
			c->ws = cx_ws_new(cx_fields_get(&ex->resp.fields,
			    "sec-websocket-extensions"), on_ws, c);
	}
	return 0;
}

/* The bytes after the switch, to the WebSocket parser if there is one. */
static int
req_tunnel(void *arg, const uint8_t *p, size_t n)
{
	struct conn *c = arg;

	if (c->ws != NULL)
		cx_ws_feed(c->ws, CX_WS_CLIENT, p, n);
	return 0;
}

static int
resp_tunnel(void *arg, const uint8_t *p, size_t n)
{
	struct conn *c = arg;

	if (c->ws != NULL)
		cx_ws_feed(c->ws, CX_WS_SERVER, p, n);
	return 0;
}

/* --- frames ----------------------------------------------------------- */

/* A TLS record's header: handshake, alert, change cipher spec, data. */
static int
tls_record(const uint8_t *p, size_t n)
{
	return n >= 3 && p[0] >= 0x14 && p[0] <= 0x17 && p[1] == 0x03 &&
	    p[2] <= 0x04;
}

static void
data_frame(struct cx_analysis *a, const struct cx_frame *f)
{
	struct conn *c;
	int rc;

	if (f->dir != CX_DIR_REQ && f->dir != CX_DIR_RESP)
		return;
	c = conn_get(a, f->source, f->conn);
	if (c->pid == 0)
		conn_process(c, f, NULL);
	c->now = f->ts_ns;
	if (f->flags & CX_F_PLAIN)
		c->plain = 1;
	else if (f->source == CX_SRC_PRELOAD && (c->tls || (c->fed == 0 &&
	    !c->plain && tls_record(f->payload, f->len)))) {
		/* Ciphertext: the plaintext frames carry the exchange. */
		c->tls = 1;
		c->tls_bytes[f->dir == CX_DIR_REQ ? 0 : 1] += f->len;
		if (f->dir == CX_DIR_REQ)
			a->r.bytes_req += f->len;
		else
			a->r.bytes_resp += f->len;
		return;
	}
	c->fed += f->len;
	if (f->dir == CX_DIR_REQ) {
		a->r.bytes_req += f->len;
		if (cx_http_failed(c->req))
			return;
		rc = cx_http_feed(c->req, f->payload, f->len);
		if (rc == -1 && c->creq != NULL) {
			add_error(c->creq, "the request is not valid HTTP/1.1: "
			    "%s", cx_http_error(c->req));
			c->creq = NULL;
		}
		if (c->creq != NULL)
			c->creq->req.t_last = c->now;
	} else {
		a->r.bytes_resp += f->len;
		if (cx_http_failed(c->resp))
			return;
		rc = cx_http_feed(c->resp, f->payload, f->len);
		if (rc == -1 && c->cresp != NULL) {
			add_error(c->cresp, "the response is not valid "
			    "HTTP/1.1: %s", cx_http_error(c->resp));
			sse_end(c);
			c->cresp = NULL;
		}
		if (c->cresp != NULL)
			c->cresp->resp.t_last = c->now;
	}
}

static struct pend *
pend_get(struct conn *c, uint64_t seq, int64_t ts)
{
	for (size_t i = 0; i < c->npend; i++)
		if (c->pend[i].seq == seq)
			return &c->pend[i];
	c->pend = xreallocarray(c->pend, c->npend + 1, sizeof(*c->pend));
	memset(&c->pend[c->npend], 0, sizeof(*c->pend));
	c->pend[c->npend].seq = seq;
	c->pend[c->npend].ts = ts;
	return &c->pend[c->npend++];
}

static void
route_frame(struct cx_analysis *a, const struct cx_frame *f, const cJSON *o)
{
	struct conn *c = conn_get(a, f->source, f->conn);
	const char *up = jstr(o, "upstream"), *route = jstr(o, "route");
	double seq = jnum(o, "seq");
	struct pend *p;

	if (seq < 0 || seq > (double)(1ull << 52))
		return;
	if ((uint64_t)seq < c->nreqs) {
		if (c->reqs[(uint64_t)seq] != NULL)     /* NULL: streamed out */
			set_route(c->reqs[(uint64_t)seq], up, route);
		return;
	}
	p = pend_get(c, (uint64_t)seq, f->ts_ns);
	if (up != NULL && p->upstream == NULL)
		p->upstream = xstrdup(up);
	if (route != NULL && p->route == NULL)
		p->route = xstrdup(route);
}

static void
add_note(struct cx_analysis *a, const struct cx_frame *f, const char *text,
    size_t len)
{
	struct cx_note *n;

	if (a->r.nnotes == a->anotes) {
		a->anotes = a->anotes ? a->anotes * 2 : 16;
		a->r.notes = xreallocarray(a->r.notes, a->anotes,
		    sizeof(*a->r.notes));
	}
	n = &a->r.notes[a->r.nnotes++];
	n->ts = f->ts_ns;
	n->kind = f->kind;
	n->source = f->source;
	n->text = xstrndup(text, len);
	n->len = len;
}

static void
error_frame(struct cx_analysis *a, const struct cx_frame *f, const cJSON *o,
    const char *text, size_t len)
{
	const char *msg = o ? jstr(o, "error") : NULL;
	double seq = o ? jnum(o, "seq") : -1;
	struct cx_exchange *ex;
	struct conn *c;
	char *own = NULL;

	if (f->conn == 0) {
		add_note(a, f, text, len);
		return;
	}
	if (msg == NULL)
		msg = own = xstrndup(text, len);
	c = conn_find(a, f->source, f->conn);
	if (c != NULL && seq >= 0 && seq <= (double)(1ull << 52)) {
		struct cx_exchange *rx = (uint64_t)seq < c->nreqs ?
		    c->reqs[(uint64_t)seq] : NULL;
		if (rx != NULL && strncmp(msg, "client closed", 13) == 0)
			set_client_closed(rx, msg);
		else if (rx != NULL)
			add_error(rx, "%s", msg);
		else if ((uint64_t)seq < c->nreqs)
			;       /* streamed out already: too late */
		else {
			struct pend *p = pend_get(c, (uint64_t)seq, f->ts_ns);

			if (p->error == NULL)
				p->error = xstrdup(msg);
		}
		free(own);
		return;
	}
	/* About the connection: every exchange still waiting. */
	if (c != NULL && (c->qhead < c->nreqs || c->cresp != NULL)) {
		for (size_t i = c->qhead; i < c->nreqs; i++)
			if (c->reqs[i] != NULL)
				add_error(c->reqs[i], "%s", msg);
		if (c->cresp != NULL && !c->cresp->has_req)
			add_error(c->cresp, "%s", msg);
		free(own);
		return;
	}
	/*
	 * About a connection past a protocol switch (a WebSocket after its
	 * 101): the relay says "client closed ... mid-exchange" when the
	 * client hangs up the tunnel, its usual end.  It belongs to the
	 * switched exchange, a note; it is no exchange of its own.
	 */
	if (c != NULL && c->tunnel != NULL) {
		if (strncmp(msg, "client closed", 13) == 0) {
			if (c->tunnel->note == NULL)
				c->tunnel->note = xstrdup("the client closed "
				    "the connection after the protocol switch");
		} else
			add_error(c->tunnel, "%s", msg);
		free(own);
		return;
	}
	ex = exchange_new(a, f->source, f->conn, f->ts_ns);
	if (c != NULL) {
		ex->pid = c->pid;
		ex->tid = c->tid;
		ex->comm = c->comm ? xstrdup(c->comm) : NULL;
	}
	if (seq >= 0 && seq <= (double)(1ull << 52))
		ex->seq = (uint64_t)seq;
	add_error(ex, "%s", msg);
	free(own);
}

/*
 * Does this SSE event end a stream (Responses API, or OpenAI's [DONE])?
 * Decided here, at decode time, for the exchange's error or note: the
 * conversation adapters (conv.h) sit above exchange.c and read finished
 * exchanges, so this knowledge stays below them.
 */
static int
terminal_event(const struct cx_event *ev)
{
	static const char *names[] = { "response.completed",
	    "response.failed", "response.incomplete", "response.done" };
	const char *type = ev->event;
	cJSON *j = NULL;
	int yes = 0;

	if (ev->partial)
		return 0;
	if (strcmp(ev->data, "[DONE]") == 0)
		return 1;
	if (type == NULL || strcmp(type, "message") == 0) {
		j = cJSON_ParseWithLength(ev->data, ev->data_len);
		const cJSON *t = j ? cJSON_GetObjectItemCaseSensitive(j, "type") :
		    NULL;
		type = cJSON_IsString(t) ? t->valuestring : NULL;
	}
	for (size_t i = 0; type != NULL && i < sizeof(names) / sizeof(names[0]);
	    i++)
		if (strcmp(type, names[i]) == 0)
			yes = 1;
	cJSON_Delete(j);
	return yes;
}

/*
 * A client that hung up after the stream's final event got everything:
 * a note, not an error.  Otherwise the hang-up is an error.
 */
static void
client_done(struct cx_exchange *ex)
{
	const struct cx_msg *m = &ex->resp;

	if (ex->client_closed == NULL)
		return;
	if (ex->has_resp && m->sse && m->nevents > 0 &&
	    terminal_event(&m->events[m->nevents - 1])) {
		free(ex->note);
		ex->note = xasprintf("the client closed the connection "
		    "after the stream's final event (%s); %s",
		    m->events[m->nevents - 1].event ?
		    m->events[m->nevents - 1].event : "message",
		    ex->client_closed);
	} else
		add_error(ex, "%s", ex->client_closed);
	free(ex->client_closed);
	ex->client_closed = NULL;
}

static const char *
closer(const char *by)
{
	if (by == NULL)
		return "the connection closed";
	if (strcmp(by, "client") == 0)
		return "the client closed the connection";
	if (strcmp(by, "upstream") == 0)
		return "the upstream closed the connection";
	if (strcmp(by, "relay") == 0)
		return "the relay closed the connection";
	return "the connection closed";
}

/* The connection is over: why is in how ("the trace ended", ...). */
static void
conn_end(struct cx_analysis *a, struct conn *c, const char *how)
{
	struct cx_exchange *ex;

	if (cx_http_eof(c->resp) == -1 && c->cresp != NULL) {
		if (strncmp(how, "the client closed", 17) == 0) {
			char msg[1024];
			snprintf(msg, sizeof(msg), "response incomplete: %s "
			    "(%s)", cx_http_error(c->resp), how);
			set_client_closed(c->cresp, msg);
		} else
			add_error(c->cresp, "response incomplete: %s (%s)",
			    cx_http_error(c->resp), how);
		sse_end(c);
		c->cresp = NULL;
	}
	if (cx_http_eof(c->req) == -1 && c->creq != NULL) {
		add_error(c->creq, "request incomplete: %s (%s)",
		    cx_http_error(c->req), how);
		c->creq = NULL;
	}
	for (size_t i = c->qhead; i < c->nreqs; i++) {
		ex = c->reqs[i];
		if (ex->has_resp && !ex->resp.complete)
			continue;       /* already said */
		if (cx_http_failed(c->resp))
			add_error(ex, "no response could be decoded (the "
			    "response stream is not HTTP)");
		else
			add_error(ex, "no response: %s", how);
	}
	if (c->tunnel != NULL) {
		c->tunnel->tunnel_req = cx_http_tunnel_bytes(c->req) +
		    c->unrecorded[0];
		c->tunnel->tunnel_resp = cx_http_tunnel_bytes(c->resp) +
		    c->unrecorded[1];
		if (c->tunnelled && c->tunnel->note == NULL)
			c->tunnel->note = xasprintf("tunnelled by the proxy, "
			    "not decrypted by it: %" PRIu64 " bytes up, %"
			    PRIu64 " down (--intercept; a preloaded program's "
			    "TLS plaintext is an exchange of its own)",
			    c->unrecorded[0], c->unrecorded[1]);
	}
	if (c->ws != NULL && c->tunnel != NULL) {
		cx_ws_finish(c->ws);
		for (int d = 0; d < 2; d++) {
			const char *e = cx_ws_error(c->ws, (enum cx_ws_dir)d);

			if (e != NULL)
				add_error(c->tunnel, "WebSocket, %s: "
				    "%s (%" PRIu64 " bytes after it not decoded)",
				    d == CX_WS_CLIENT ? "client to server" :
				    "server to client", e,
				    cx_ws_skipped(c->ws, (enum cx_ws_dir)d));
		}
		c->tunnel->ws_deflate = cx_ws_deflate(c->ws);
	}
	if (c->tls && !c->plain && c->nreqs == 0) {
		/* Encrypted, and the keys' side was not seen: say so. */
		ex = conn_exchange(c);
		if (c->origin != NULL)
			ex->upstream = xasprintf("https://%s", c->origin);
		add_error(ex, "TLS, not decrypted: %" PRIu64 " bytes sent, %"
		    PRIu64 " received (the program does not use the system's "
		    "OpenSSL through SSL_read and SSL_write)", c->tls_bytes[0],
		    c->tls_bytes[1]);
	}
	/* ROUTE and ERROR frames about requests the trace does not hold. */
	for (size_t i = 0; i < c->npend; i++) {
		struct pend *p = &c->pend[i];

		ex = exchange_new(a, c->source, c->id, p->ts);
		ex->seq = p->seq;
		ex->pid = c->pid;
		ex->tid = c->tid;
		ex->comm = c->comm ? xstrdup(c->comm) : NULL;
		set_route(ex, p->upstream, p->route);
		if (p->error != NULL)
			add_error(ex, "%s", p->error);
		else
			add_error(ex, "the request's bytes are not in the "
			    "trace");
	}
	conn_unlink(a, c);
	conn_free(c);
}

static void
close_frame(struct cx_analysis *a, const struct cx_frame *f, const cJSON *o)
{
	struct conn *c = conn_find(a, f->source, f->conn);
	const char *by = o ? jstr(o, "by") : NULL;
	const char *reason = o ? jstr(o, "reason") : NULL;
	char how[512];

	if (c == NULL)
		return;
	/* The preload's count of the ciphertext it did not record. */
	const cJSON *tb = o ? cJSON_GetObjectItemCaseSensitive(o, "tls_bytes") :
	    NULL;
	if (cJSON_GetArraySize(tb) == 2) {
		double up = cJSON_GetNumberValue(cJSON_GetArrayItem(tb, 0));
		double down = cJSON_GetNumberValue(cJSON_GetArrayItem(tb, 1));

		if (up > 0 && up < 1e18) {
			c->tls_bytes[0] += (uint64_t)up;
			a->r.bytes_req += (uint64_t)up;
		}
		if (down > 0 && down < 1e18) {
			c->tls_bytes[1] += (uint64_t)down;
			a->r.bytes_resp += (uint64_t)down;
		}
		c->tls = 1;
	}
	/* A proxy tunnel's sizes: its bytes were passed on, not recorded. */
	const char *mode = o ? jstr(o, "mode") : NULL;
	if (mode != NULL && strcmp(mode, "tunnel") == 0) {
		double up = cJSON_GetNumberValue(cJSON_GetObjectItemCaseSensitive(
		    o, "bytes_up"));
		double down = cJSON_GetNumberValue(
		    cJSON_GetObjectItemCaseSensitive(o, "bytes_down"));

		/* Not in the totals: a preloaded program's plaintext of the
		 * same bytes may be in the trace, with its own count. */
		c->tunnelled = 1;
		if (up > 0 && up < 1e18)
			c->unrecorded[0] = (uint64_t)up;
		if (down > 0 && down < 1e18)
			c->unrecorded[1] = (uint64_t)down;
	}
	if (reason != NULL && *reason != '\0')
		snprintf(how, sizeof(how), "%s: %s", closer(by), reason);
	else
		snprintf(how, sizeof(how), "%s", closer(by));
	c->now = f->ts_ns;
	conn_end(a, c, how);
}

/*
 * The relay connection (source, conn) is pid/tid's: so are its exchanges,
 * those in progress and those that wait to be handed over.  A thread id
 * known already is not replaced by an unknown one.
 */
static void
assign(void *arg, uint8_t source, uint64_t conn, uint32_t pid, uint32_t tid,
    const char *comm)
{
	struct cx_analysis *a = arg;
	struct conn *c = conn_find(a, source, conn);

	if (c != NULL) {
		if (c->pid != pid || tid != 0)
			c->tid = tid;
		c->pid = pid;
		if (comm != NULL && *comm != '\0') {
			free(c->comm);
			c->comm = xstrdup(comm);
		}
	}
	for (size_t i = 0; i < a->r.nex; i++) {
		struct cx_exchange *ex = a->r.ex[i];

		if (ex->source != source || ex->conn != conn)
			continue;
		if (ex->pid != pid || tid != 0)
			ex->tid = tid;
		ex->pid = pid;
		if (comm != NULL && *comm != '\0') {
			free(ex->comm);
			ex->comm = xstrdup(comm);
		}
	}
}

/* A string member, at most max bytes of it, or NULL. */
static char *
jdup(const cJSON *o, const char *key, size_t max)
{
	const char *v = jstr(o, key);

	return v != NULL ? xstrndup(v, strnlen(v, max)) : NULL;
}

static void
set_str(char **dst, char *v)
{
	if (v == NULL)
		return;
	free(*dst);
	*dst = v;
}

/* What a proc frame says of its process. */
static void
proc_fill(struct cx_proc *p, const cJSON *o, const char *via)
{
	const cJSON *argv = cJSON_GetObjectItemCaseSensitive(o, "argv");
	double v;

	if ((v = jnum(o, "ppid")) > 0 && v <= UINT32_MAX)
		p->ppid = (uint32_t)v;
	set_str(&p->comm, jdup(o, "comm", 64));
	set_str(&p->exe, jdup(o, "exe", 4096));
	if (cJSON_IsArray(argv))
		set_str(&p->argv, cJSON_PrintUnformatted(argv));
	p->via = via;
}

/*
 * A proc frame: the probe's exec, exit and connect events, the relay's
 * "client" record of a connection's process (from /proc), or, from older
 * writers, a bare {pid, comm}.
 */
static void
proc_frame(struct cx_analysis *a, const struct cx_frame *f, const cJSON *o)
{
	const char *ev = jstr(o, "event"), *comm = jstr(o, "comm");
	double v = jnum(o, "pid");
	uint32_t pid = v > 0 && v <= UINT32_MAX ? (uint32_t)v : f->pid;
	uint32_t tid = (v = jnum(o, "tid")) > 0 && v <= UINT32_MAX ?
	    (uint32_t)v : f->tid;
	struct cx_proc *p;

	if (pid == 0)
		return;
	if (ev == NULL) {
		if (comm != NULL)
			set_str(&cx_procs_add(a->procs, pid)->comm,
			    xstrndup(comm, strnlen(comm, 64)));
		return;
	}
	if (strcmp(ev, "exec") == 0) {
		p = cx_procs_add(a->procs, pid);
		proc_fill(p, o, "probe");
		p->exec_ts = f->ts_ns;
	} else if (strcmp(ev, "exit") == 0) {
		p = cx_procs_add(a->procs, pid);
		set_str(&p->comm, jdup(o, "comm", 64));
		if (p->ppid == 0 && (v = jnum(o, "ppid")) > 0 &&
		    v <= UINT32_MAX)
			p->ppid = (uint32_t)v;
		p->exited = 1;
		if ((v = jnum(o, "signal")) > 0) {
			p->signal = (int)v;
			p->exit_code = -1;
		} else if ((v = jnum(o, "exit_code")) >= 0)
			p->exit_code = (int)v;
	} else if (strcmp(ev, "connect") == 0) {
		const char *src = jstr(o, "src"), *dst = jstr(o, "dst");

		p = cx_procs_add(a->procs, pid);
		if (p->comm == NULL)
			set_str(&p->comm, jdup(o, "comm", 64));
		if (src != NULL && dst != NULL)
			cx_procs_connect(a->procs, pid, tid, comm, src, dst,
			    f->ts_ns);
	} else if (strcmp(ev, "client") == 0 && f->conn != 0) {
		p = cx_procs_add(a->procs, pid);
		proc_fill(p, o, "proc");
		assign(a, f->source, f->conn, pid, tid, p->comm);
	}
}

static void
loss_frame(struct cx_analysis *a, const struct cx_frame *f, const cJSON *o,
    const char *text, size_t len)
{
	double v;

	if (o != NULL && (v = jnum(o, "frames")) > 0)
		a->r.lost_frames += (uint64_t)v;
	if (o != NULL && (v = jnum(o, "bytes")) > 0)
		a->r.lost_bytes += (uint64_t)v;
	add_note(a, f, text, len);
}

/*
 * A connection opened.  The relay's: its client is joined with the
 * probe's connect events (procs.h).  The preload's: where it goes (for
 * the exchanges' URLs); or, for a connection to the relay, only who made
 * it (the relay records its bytes): then it is joined like a probe event.
 */
static void
open_frame(struct cx_analysis *a, const struct cx_frame *f, const cJSON *o)
{
	const char *peer = jstr(o, "peer"), *local = jstr(o, "local");
	const char *host = jstr(o, "host"), *role = jstr(o, "role");
	const char *colon;
	struct conn *c;

	if (f->source == CX_SRC_PRELOAD && cJSON_IsTrue(
	    cJSON_GetObjectItemCaseSensitive(o, "relay"))) {
		if (peer != NULL && local != NULL && f->pid != 0)
			cx_procs_connect(a->procs, f->pid, f->tid,
			    jstr(o, "comm"), local, peer, f->ts_ns);
		return;
	}
	c = conn_get(a, f->source, f->conn);
	conn_process(c, f, o);
	if (peer != NULL && local != NULL && f->source != CX_SRC_PRELOAD)
		cx_procs_open(a->procs, f->source, f->conn, peer, local,
		    f->ts_ns);
	const char *connect = jstr(o, "connect");
	if (f->source == CX_SRC_PRELOAD && connect != NULL &&
	    connect[0] != '\0') {
		/* Through cxrec's proxy, tunnelled: the CONNECT's target. */
		free(c->origin);
		c->origin = xstrndup(connect, strnlen(connect, 300));
	} else if (f->source == CX_SRC_PRELOAD && peer != NULL && (role ==
	    NULL || strcmp(role, "client") == 0)) {
		/* "host:port": the name the program asked for, if known. */
		colon = strrchr(peer, ':');
		free(c->origin);
		if (host != NULL && colon != NULL)
			c->origin = xasprintf("%.*s%s", (int)strnlen(host, 255),
			    host, colon);
		else
			c->origin = xstrndup(peer, strnlen(peer, 255));
	}
}

/* A frame whose payload is a JSON object, whole. */
static void
json_frame(struct cx_analysis *a, const struct cx_frame *f, const char *text,
    size_t len)
{
	cJSON *o = cJSON_ParseWithLength(text, len);

	if (o != NULL && !cJSON_IsObject(o)) {
		cJSON_Delete(o);
		o = NULL;
	}
	switch (f->kind) {
	case CX_K_OPEN:
		open_frame(a, f, o);
		break;
	case CX_K_CLOSE:
		close_frame(a, f, o);
		break;
	case CX_K_ROUTE:
		if (o != NULL && f->conn != 0)
			route_frame(a, f, o);
		break;
	case CX_K_ERROR:
		error_frame(a, f, o, text, len);
		break;
	case CX_K_NOTE:
		add_note(a, f, text, len);
		break;
	case CX_K_LOSS:
		loss_frame(a, f, o, text, len);
		break;
	case CX_K_PROC:
		if (o != NULL)
			proc_frame(a, f, o);
		break;
	}
	cJSON_Delete(o);
}

static struct frag *
frag_find(struct cx_analysis *a, const struct cx_frame *f, int create)
{
	struct frag *g;

	for (g = a->frags; g != NULL; g = g->next)
		if (g->kind == f->kind && g->source == f->source &&
		    g->conn == f->conn && g->pid == f->pid && g->tid == f->tid)
			return g;
	if (!create)
		return NULL;
	g = xcalloc(1, sizeof(*g));
	g->kind = f->kind;
	g->source = f->source;
	g->conn = f->conn;
	g->pid = f->pid;
	g->tid = f->tid;
	cx_buf_init(&g->buf, MAX_JSON_PAYLOAD);
	g->next = a->frags;
	a->frags = g;
	return g;
}

static void
frag_drop(struct cx_analysis *a, struct frag *g)
{
	struct frag **pp;

	for (pp = &a->frags; *pp != NULL; pp = &(*pp)->next)
		if (*pp == g) {
			*pp = g->next;
			break;
		}
	cx_buf_free(&g->buf);
	free(g);
}

struct cx_analysis *
cx_analysis_new(const struct cx_file_info *info)
{
	struct cx_analysis *a = xcalloc(1, sizeof(*a));

	if (info != NULL)
		a->info = *info;
	a->procs = cx_procs_new(assign, a);
	a->r.procs = a->procs;
	return a;
}

void
cx_analysis_frame(struct cx_analysis *a, const struct cx_frame *f)
{
	struct frag *g;

	a->r.frames++;
	if (a->emit != NULL) {
		if (f->ts_ns > a->now)
			a->now = f->ts_ns;
		if (++a->since_flush >= STREAM_FLUSH_FRAMES) {
			a->since_flush = 0;
			stream_flush(a, 0);
		}
	}
	switch (f->kind) {
	case CX_K_DATA:
		data_frame(a, f);
		return;
	case CX_K_OPEN:
	case CX_K_CLOSE:
	case CX_K_ROUTE:
	case CX_K_ERROR:
	case CX_K_NOTE:
	case CX_K_LOSS:
	case CX_K_PROC:
		break;
	default:
		return;                 /* a kind from the future */
	}
	g = frag_find(a, f, f->flags & CX_F_CONT);
	if (g == NULL) {
		json_frame(a, f, (const char *)f->payload, f->len);
		return;
	}
	cx_buf_add(&g->buf, f->payload, f->len);
	if (f->flags & CX_F_CONT)
		return;
	json_frame(a, f, (const char *)g->buf.p, g->buf.len);
	frag_drop(a, g);
}

static int
cmp_start(const void *x, const void *y)
{
	const struct cx_exchange *a = *(struct cx_exchange *const *)x;
	const struct cx_exchange *b = *(struct cx_exchange *const *)y;

	if (a->start != b->start)
		return a->start < b->start ? -1 : 1;
	return a->order < b->order ? -1 : a->order > b->order;
}

/* Last touches before an exchange is shown: notes, process names. */
static void
finalize(struct cx_analysis *a, struct cx_exchange *ex)
{
	client_done(ex);
	if (ex->pid == 0)
		return;
	ex->proc = cx_procs_get(a->procs, ex->pid);
	if (ex->comm == NULL && ex->proc != NULL && ex->proc->comm != NULL)
		ex->comm = xstrdup(ex->proc->comm);
}

/*
 * Can nothing later in the trace change ex?  Its connection is gone, or
 * both its messages are complete, no parser holds it, and it was last
 * touched before horizon.
 */
static int
settled(struct cx_analysis *a, const struct cx_exchange *ex, int64_t horizon)
{
	const struct conn *c = conn_find(a, ex->source, ex->conn);
	int64_t last;

	if (c == NULL)
		return 1;
	if (ex == c->creq || ex == c->cresp || ex == c->tunnel)
		return 0;
	if ((ex->has_req && !ex->req.complete) || !ex->has_resp ||
	    !ex->resp.complete)
		return 0;
	last = ex->req.t_last > ex->resp.t_last ? ex->req.t_last :
	    ex->resp.t_last;
	return last < horizon;
}

/*
 * Hand over, in start order, every settled exchange that no unsettled or
 * future exchange can precede; at the end (all) every one.
 */
static void
stream_flush(struct cx_analysis *a, int all)
{
	int64_t horizon = all ? INT64_MAX : a->now - STREAM_SLACK_NS;
	int64_t limit = horizon;
	size_t n = 0, keep = 0;

	if (a->r.nex == 0)
		return;
	if (!all)
		for (size_t i = 0; i < a->r.nex; i++)
			if (!settled(a, a->r.ex[i], horizon) &&
			    a->r.ex[i]->start < limit)
				limit = a->r.ex[i]->start;
	/* Ready ones to the front, in start order. */
	qsort(a->r.ex, a->r.nex, sizeof(*a->r.ex), cmp_start);
	for (n = 0; n < a->r.nex; n++) {
		struct cx_exchange *ex = a->r.ex[n];
		if (!all && (ex->start >= limit || !settled(a, ex, horizon)))
			break;
	}
	for (size_t i = 0; i < n; i++) {
		struct cx_exchange *ex = a->r.ex[i];
		struct conn *c = conn_find(a, ex->source, ex->conn);

		if (c != NULL && ex->seq < c->nreqs && c->reqs[ex->seq] == ex)
			c->reqs[ex->seq] = NULL;
		finalize(a, ex);
		ex->id = ++a->emitted;
		a->emit(a->emit_arg, ex);
		exchange_free(ex);
	}
	for (size_t i = n; i < a->r.nex; i++)
		a->r.ex[keep++] = a->r.ex[i];
	a->r.nex = keep;
}

void
cx_analysis_stream(struct cx_analysis *a, cx_emit_fn fn, void *arg)
{
	a->emit = fn;
	a->emit_arg = arg;
}

void
cx_analysis_finish(struct cx_analysis *a)
{
	for (size_t b = 0; b < NBUCKETS; b++)
		while (a->buckets[b] != NULL)
			conn_end(a, a->buckets[b], "the trace ended");
	while (a->frags != NULL)
		frag_drop(a, a->frags);
	if (a->emit != NULL) {
		stream_flush(a, 1);
		return;
	}
	for (size_t i = 0; i < a->r.nex; i++)
		finalize(a, a->r.ex[i]);
	if (a->r.nex > 1)
		qsort(a->r.ex, a->r.nex, sizeof(*a->r.ex), cmp_start);
	for (size_t i = 0; i < a->r.nex; i++)
		a->r.ex[i]->id = i + 1;
}

const struct cx_analysis_result *
cx_analysis_result(const struct cx_analysis *a)
{
	return &a->r;
}

void
cx_analysis_free(struct cx_analysis *a)
{
	if (a == NULL)
		return;
	for (size_t b = 0; b < NBUCKETS; b++)
		while (a->buckets[b] != NULL) {
			struct conn *c = a->buckets[b];

			a->buckets[b] = c->next;
			conn_free(c);
		}
	while (a->frags != NULL)
		frag_drop(a, a->frags);
	for (size_t i = 0; i < a->r.nex; i++)
		exchange_free(a->r.ex[i]);
	free(a->r.ex);
	for (size_t i = 0; i < a->r.nnotes; i++)
		free(a->r.notes[i].text);
	free(a->r.notes);
	cx_procs_free(a->procs);
	free(a);
}
