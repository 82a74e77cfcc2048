/*
 * exchange_frames.c: a trace's frames into the analysis: DATA to the
 * connections' HTTP parsers (plaintext or counted ciphertext); OPEN,
 * CLOSE, ROUTE, ERROR, NOTE, LOSS and PROC frames, their JSON payloads
 * put together across CX_F_CONT frames.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "exchange_int.h"

#define MAX_JSON_PAYLOAD        (16u * 1024 * 1024)

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
			ex_add_error(c->creq, "the request is not valid "
			    "HTTP/1.1: %s", cx_http_error(c->req));
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
			ex_add_error(c->cresp, "the response is not valid "
			    "HTTP/1.1: %s", cx_http_error(c->resp));
			ex_sse_end(c);
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
			ex_set_route(c->reqs[(uint64_t)seq], up, route);
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
			ex_set_client_closed(rx, msg);
		else if (rx != NULL)
			ex_add_error(rx, "%s", msg);
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
				ex_add_error(c->reqs[i], "%s", msg);
		if (c->cresp != NULL && !c->cresp->has_req)
			ex_add_error(c->cresp, "%s", msg);
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
			ex_add_error(c->tunnel, "%s", msg);
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
	ex_add_error(ex, "%s", msg);
	free(own);
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
		conn_assign(a, f->source, f->conn, pid, tid, p->comm);
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

void
ex_frag_drop(struct cx_analysis *a, struct frag *g)
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
			ex_stream_flush(a, 0);
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
	ex_frag_drop(a, g);
}
