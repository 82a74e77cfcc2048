/*
 * exchange_http.c: a connection's HTTP parsers' callbacks, building its
 * exchanges; the event streams of responses (sse.h, decoded on the fly by
 * body.h) and the WebSocket messages after a protocol switch (ws.h).
 */
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "exchange_int.h"

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
void
ex_sse_end(struct conn *c)
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
		ex_set_route(ex, p->upstream, p->route);
		if (p->error != NULL)
			ex_add_error(ex, "%s", p->error);
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
		ex_add_error(ex, "a response without a request");
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
	ex_sse_end(c);
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
const struct cx_http_cb ex_req_cb = {
	req_begin, req_head, req_body, req_trailers, req_end, req_tunnel,
};
const struct cx_http_cb ex_resp_cb = {
	resp_begin, resp_head, resp_body, resp_trailers, resp_end, resp_tunnel,
};
