/* replay_server.c: the recorded upstream, served (replay_server.h). */
#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <unistd.h>

#include <openssl/evp.h>

#include "bytebuf.h"
#include "exchange.h"
#include "http.h"
#include "replay_match.h"
#include "replay_server.h"
#include "sockaddr.h"
#include "trace.h"
#include "ws.h"
#include "xmalloc.h"

#define TICK_MS         50
#define OUT_HIGH        (1u << 20)
#define WS_GUID         "258EAFA5-E914-47DA-95CA-C5AB0DC85B11"

/* What a connection is sending. */
enum play {
	P_NONE,                 /* idle: reading a request */
	P_BODY,                 /* a whole response, due at 'due' */
	P_SSE,                  /* events: next one due by its time */
	P_WS,                   /* server messages [next, end) by their time */
};

struct replay_server;

struct conn {
	struct replay_server    *s;
	int                      fd;
	struct cx_http          *http;
	/* the request being read */
	char                    *method;
	char                    *target;
	char                    *encoding;
	char                    *ws_key;
	int                      upgrade;       /* Upgrade: websocket */
	int                      close_after;   /* Connection: close, 1.0 */
	struct cx_buf            body;
	/* what it sends */
	struct cx_buf            out;
	enum play                play;
	const struct cx_exchange *ex;
	size_t                   next;          /* event or ws message */
	size_t                   end;           /* P_WS: up to (not) */
	int64_t                  w0;            /* now-clock base */
	int64_t                  r0;            /* recorded-clock base */
	int                      head_sent;     /* P_SSE */
	int                      closing;       /* all sent: close */
	/* after the upgrade */
	struct cx_ws            *ws;
	size_t                   ws_k;          /* client messages had */
};

struct replay_server {
	struct replay_opts       o;
	struct cx_replay        *rp;
	int                      lfd;
	char                     url[128];
	struct conn             *c[REPLAY_MAX_CLIENTS];
	size_t                   n;
	struct replay_stats      st;
};

/* --- timing -------------------------------------------------------------- */

/* When a recorded instant rec is due, on this server's clock. */
static int64_t
due(const struct replay_server *s, const struct conn *c, int64_t rec)
{
	double d;

	if (s->o.no_delay || rec <= c->r0)
		return c->w0;
	d = (double)(rec - c->r0) / (s->o.speed > 0 ? s->o.speed : 1.0);
	return c->w0 + (int64_t)d;
}

/* --- responses ----------------------------------------------------------- */

static int
hop_by_hop(const char *name, int sse)
{
	static const char *const hop[] = { "connection", "keep-alive",
	    "transfer-encoding", "content-length", "proxy-connection", "te",
	    "trailer", "upgrade", "proxy-authenticate", NULL };

	for (size_t i = 0; hop[i] != NULL; i++)
		if (strcasecmp(name, hop[i]) == 0)
			return 1;
	return sse && strcasecmp(name, "content-encoding") == 0;
}

static void
status_line(struct cx_buf *b, const struct cx_msg *m)
{
	char line[300];

	snprintf(line, sizeof(line), "HTTP/1.1 %d %s\r\n", m->status,
	    m->reason != NULL ? m->reason : "");
	cx_buf_adds(b, line);
}

static void
fields(struct cx_buf *b, const struct cx_fields *f, int sse)
{
	for (size_t i = 0; i < f->n; i++) {
		if (hop_by_hop(f->v[i].name, sse))
			continue;
		cx_buf_adds(b, f->v[i].name);
		cx_buf_adds(b, ": ");
		cx_buf_adds(b, f->v[i].value);
		cx_buf_adds(b, "\r\n");
	}
}

static void
not_matched(struct replay_server *s, struct conn *c, const char *why)
{
	char h[256];
	size_t len = strlen("cxrec replay: ") + strlen(why) + 1;

	s->st.unmatched++;
	snprintf(h, sizeof(h), "HTTP/1.1 501 Not Implemented\r\n"
	    "Content-Type: text/plain; charset=utf-8\r\nContent-Length: %zu\r\n"
	    "X-Cxrec-Replay: no match\r\n%s\r\n", len, c->close_after ?
	    "Connection: close\r\n" : "");
	cx_buf_adds(&c->out, h);
	cx_buf_adds(&c->out, "cxrec replay: ");
	cx_buf_adds(&c->out, why);
	cx_buf_adds(&c->out, "\n");
	if (c->close_after)
		c->closing = 1;
}

/* The body response, whole: head and recorded bytes. */
static void
send_body(struct conn *c)
{
	const struct cx_msg *m = &c->ex->resp;
	char h[96];
	int head = c->method != NULL && strcmp(c->method, "HEAD") == 0;

	status_line(&c->out, m);
	fields(&c->out, &m->fields, 0);
	if (m->status != 204 && m->status != 304 && m->status / 100 != 1) {
		snprintf(h, sizeof(h), "Content-Length: %zu\r\n",
		    cx_buf_used(&m->body));
		cx_buf_adds(&c->out, h);
	}
	cx_buf_adds(&c->out, c->close_after ? "Connection: close\r\n\r\n" :
	    "\r\n");
	if (!head)
		cx_buf_add(&c->out, cx_buf_head(&m->body), cx_buf_used(&m->body));
	c->play = P_NONE;
	if (c->close_after)
		c->closing = 1;
}

static void
chunk(struct cx_buf *b, const char *p, size_t n)
{
	char h[32];

	if (n == 0)
		return;
	snprintf(h, sizeof(h), "%zx\r\n", n);
	cx_buf_adds(b, h);
	cx_buf_add(b, p, n);
	cx_buf_adds(b, "\r\n");
}

/* One event as text/event-stream lines. */
static void
send_event(struct conn *c, const struct cx_event *ev)
{
	struct cx_buf e;
	const char *p = ev->data, *end = ev->data + ev->data_len;

	cx_buf_init(&e, 0);
	if (ev->event != NULL && strcmp(ev->event, "message") != 0) {
		cx_buf_adds(&e, "event: ");
		cx_buf_adds(&e, ev->event);
		cx_buf_addc(&e, '\n');
	}
	if (ev->id != NULL) {
		cx_buf_adds(&e, "id: ");
		cx_buf_adds(&e, ev->id);
		cx_buf_addc(&e, '\n');
	}
	for (;;) {
		const char *nl = memchr(p, '\n', (size_t)(end - p));
		size_t n = nl ? (size_t)(nl - p) : (size_t)(end - p);

		cx_buf_adds(&e, "data: ");
		cx_buf_add(&e, p, n);
		cx_buf_addc(&e, '\n');
		if (nl == NULL)
			break;
		p = nl + 1;
	}
	cx_buf_addc(&e, '\n');
	chunk(&c->out, (const char *)cx_buf_head(&e), cx_buf_used(&e));
	cx_buf_free(&e);
}

/* One WebSocket frame from the server: unmasked, whole. */
static void
ws_frame(struct cx_buf *b, int opcode, const void *p, size_t n)
{
	uint8_t h[10];
	size_t hl = 2;

	h[0] = (uint8_t)(0x80 | (opcode & 0x0f));
	if (n < 126)
		h[1] = (uint8_t)n;
	else if (n <= 0xffff) {
		h[1] = 126;
		h[2] = (uint8_t)(n >> 8);
		h[3] = (uint8_t)n;
		hl = 4;
	} else {
		h[1] = 127;
		for (int i = 0; i < 8; i++)
			h[2 + i] = (uint8_t)((uint64_t)n >> (56 - 8 * i));
		hl = 10;
	}
	cx_buf_add(b, h, hl);
	cx_buf_add(b, p, n);
}

/* What is due on c by now: 1 if more is to come later. */
static int
play_due(struct replay_server *s, struct conn *c, int64_t now, int64_t *next)
{
	const struct cx_msg *m;

	switch (c->play) {
	case P_NONE:
		return 0;
	case P_BODY:
		if ((*next = due(s, c, c->ex->resp.t_first)) > now)
			return 1;
		send_body(c);
		return 0;
	case P_SSE:
		m = &c->ex->resp;
		if (!c->head_sent) {
			if ((*next = due(s, c, m->t_first)) > now)
				return 1;
			status_line(&c->out, m);
			fields(&c->out, &m->fields, 1);
			cx_buf_adds(&c->out, "Transfer-Encoding: chunked\r\n");
			cx_buf_adds(&c->out, c->close_after ?
			    "Connection: close\r\n\r\n" : "\r\n");
			c->head_sent = 1;
		}
		while (c->next < m->nevents && cx_buf_used(&c->out) <
		    OUT_HIGH) {
			if ((*next = due(s, c, m->events[c->next].ts)) > now)
				return 1;
			if (!m->events[c->next].partial)
				send_event(c, &m->events[c->next]);
			c->next++;
		}
		if (c->next < m->nevents)
			return 1;
		cx_buf_adds(&c->out, "0\r\n\r\n");
		c->play = P_NONE;
		if (c->close_after)
			c->closing = 1;
		return 0;
	case P_WS:
		while (c->next < c->end && cx_buf_used(&c->out) < OUT_HIGH) {
			const struct cx_wsmsg *w = &c->ex->ws[c->next];

			if ((*next = due(s, c, w->ts)) > now)
				return 1;
			c->next++;
			if (w->dir != CX_WS_SERVER || w->partial)
				continue;
			ws_frame(&c->out, w->opcode, w->data, w->len);
			if (w->opcode == CX_WS_CLOSE) {
				c->closing = 1;
				c->end = c->next;
			}
		}
		return c->next < c->end;
	}
	return 0;
}

/* --- WebSocket ----------------------------------------------------------- */

static int
data_msg(const struct cx_wsmsg *w, int dir)
{
	return w->dir == dir && (w->opcode == CX_WS_TEXT || w->opcode ==
	    CX_WS_BINARY);
}

/* The client's Nth message: the server's that followed the Nth. */
static int
on_ws(void *arg, const struct cx_ws_msg *m)
{
	struct conn *c = arg;
	const struct cx_exchange *ex = c->ex;
	size_t k, i;

	if (m->opcode == CX_WS_PING) {
		ws_frame(&c->out, CX_WS_PONG, m->data, m->len);
		return 0;
	}
	if (m->opcode == CX_WS_CLOSE) {
		uint8_t code[2] = { 0x03, 0xe8 };       /* 1000 */

		ws_frame(&c->out, CX_WS_CLOSE, code, 2);
		c->closing = 1;
		c->play = P_NONE;
		return 0;
	}
	if (m->opcode != CX_WS_TEXT && m->opcode != CX_WS_BINARY)
		return 0;
	c->s->st.ws_messages++;
	for (i = 0, k = 0; i < ex->nws; i++)
		if (data_msg(&ex->ws[i], CX_WS_CLIENT) && k++ == c->ws_k)
			break;
	c->ws_k++;
	if (i == ex->nws) {
		c->s->st.ws_unmatched++;
		if (c->s->o.log != NULL)
			fprintf(c->s->o.log, "cxrec: replay: WebSocket message "
			    "%zu: the recording has %zu from the client\n",
			    c->ws_k, k);
		return 0;
	}
	/* Whatever was still to come of the previous one comes at once. */
	if (c->play == P_WS)
		for (; c->next < c->end; c->next++)
			if (ex->ws[c->next].dir == CX_WS_SERVER &&
			    !ex->ws[c->next].partial)
				ws_frame(&c->out, ex->ws[c->next].opcode,
				    ex->ws[c->next].data, ex->ws[c->next].len);
	c->play = P_WS;
	c->next = i + 1;
	for (c->end = c->next; c->end < ex->nws; c->end++)
		if (data_msg(&ex->ws[c->end], CX_WS_CLIENT))
			break;
	c->w0 = cx_now_ns();
	c->r0 = ex->ws[i].ts;
	return 0;
}

static void
ws_accept(const char *key, char out[64])
{
	unsigned char md[EVP_MAX_MD_SIZE];
	unsigned int mdlen = 0;
	char in[256];

	snprintf(in, sizeof(in), "%s%s", key, WS_GUID);
	EVP_Digest(in, strlen(in), md, &mdlen, EVP_sha1(), NULL);
	EVP_EncodeBlock((unsigned char *)out, md, (int)mdlen);
}

static int
upgraded(struct conn *c)
{
	const struct cx_msg *m = &c->ex->resp;
	char accept[64], h[160];

	if (m->status != 101 || !c->upgrade || c->ws_key == NULL)
		return 0;
	ws_accept(c->ws_key, accept);
	cx_buf_adds(&c->out, "HTTP/1.1 101 Switching Protocols\r\n");
	for (size_t i = 0; i < m->fields.n; i++)
		if (!hop_by_hop(m->fields.v[i].name, 0) &&
		    strncasecmp(m->fields.v[i].name, "sec-websocket-", 14) !=
		    0) {
			cx_buf_adds(&c->out, m->fields.v[i].name);
			cx_buf_adds(&c->out, ": ");
			cx_buf_adds(&c->out, m->fields.v[i].value);
			cx_buf_adds(&c->out, "\r\n");
		}
	snprintf(h, sizeof(h), "Upgrade: websocket\r\nConnection: Upgrade\r\n"
	    "Sec-WebSocket-Accept: %s\r\n\r\n", accept);
	cx_buf_adds(&c->out, h);
	c->ws = cx_ws_new(NULL, on_ws, c);
	cx_http_tunnel(c->http);
	/* What the server said before the client's first message. */
	c->play = P_WS;
	c->next = 0;
	for (c->end = 0; c->end < c->ex->nws; c->end++)
		if (data_msg(&c->ex->ws[c->end], CX_WS_CLIENT))
			break;
	c->r0 = m->t_first;
	return 1;
}

/* --- requests ------------------------------------------------------------ */

static void
req_reset(struct conn *c)
{
	free(c->method);
	free(c->target);
	free(c->encoding);
	free(c->ws_key);
	c->method = c->target = c->encoding = c->ws_key = NULL;
	c->upgrade = 0;
	cx_buf_reset(&c->body);
}

static int
on_head(void *arg, const struct cx_http_head *h)
{
	struct conn *c = arg;

	req_reset(c);
	c->method = xstrdup(h->method);
	c->target = xstrdup(h->target);
	c->close_after = h->version == 10;
	for (size_t i = 0; i < h->nfields; i++) {
		const char *n = h->fields[i].name, *v = h->fields[i].value;

		if (strcasecmp(n, "content-encoding") == 0 && c->encoding ==
		    NULL)
			c->encoding = xstrdup(v);
		else if (strcasecmp(n, "sec-websocket-key") == 0 &&
		    c->ws_key == NULL)
			c->ws_key = xstrdup(v);
		else if (strcasecmp(n, "upgrade") == 0 && strcasestr(v,
		    "websocket") != NULL)
			c->upgrade = 1;
		else if (strcasecmp(n, "connection") == 0 && strcasestr(v,
		    "close") != NULL)
			c->close_after = 1;
	}
	return 0;
}

static int
on_body(void *arg, const uint8_t *p, size_t n)
{
	struct conn *c = arg;

	cx_buf_add(&c->body, p, n);
	return 0;
}

static int
on_end(void *arg)
{
	struct conn *c = arg;
	struct replay_server *s = c->s;
	struct cx_replay_hit hit;
	char why[2048];

	if (c->play != P_NONE || c->ws != NULL) {
		c->closing = 1;         /* pipelined: not served */
		return 0;
	}
	s->st.requests++;
	hit = cx_replay_match(s->rp, c->method, c->target, c->encoding,
	    cx_buf_head(&c->body), cx_buf_used(&c->body), why, sizeof(why));
	if (hit.e == NULL) {
		if (s->o.log != NULL)
			fprintf(s->o.log, "cxrec: replay: %s %s: 501: %s\n",
			    c->method, c->target, why);
		if (s->o.unmatched != NULL)
			s->o.unmatched(s->o.arg, c->method, c->target, why);
		not_matched(s, c, why);
		return 0;
	}
	s->st.answered++;
	s->st.again += hit.again;
	if (s->o.log != NULL)
		fprintf(s->o.log, "cxrec: replay: %s %s: exchange #%llu "
		    "(likeness %.2f%s)\n", c->method, c->target,
		    (unsigned long long)hit.e->ex->id, hit.score, hit.again ?
		    ", served before" : "");
	c->ex = hit.e->ex;
	c->w0 = cx_now_ns();
	c->r0 = c->ex->req.t_last;
	c->next = 0;
	c->head_sent = 0;
	if (c->ex->resp.status == 101) {
		if (!upgraded(c)) {
			snprintf(why, sizeof(why), "%s %s is recorded as a "
			    "WebSocket upgrade; this request is no WebSocket "
			    "handshake", c->method, c->target);
			not_matched(s, c, why);
		}
		return 0;
	}
	c->play = c->ex->resp.sse ? P_SSE : P_BODY;
	return 0;
}

static int
on_tunnel(void *arg, const uint8_t *p, size_t n)
{
	struct conn *c = arg;

	if (c->ws != NULL)
		cx_ws_feed(c->ws, CX_WS_CLIENT, p, n);
	return 0;
}

/* --- connections --------------------------------------------------------- */

static void
conn_drop(struct replay_server *s, size_t i)
{
	struct conn *c = s->c[i];

	close(c->fd);
	cx_http_free(c->http);
	cx_ws_free(c->ws);
	req_reset(c);
	cx_buf_free(&c->body);
	cx_buf_free(&c->out);
	free(c);
	s->c[i] = s->c[--s->n];
}

static void
accept_all(struct replay_server *s)
{
	static const struct cx_http_cb cb = { NULL, on_head, on_body, NULL,
	    on_end, on_tunnel };
	int fd;

	while ((fd = accept4(s->lfd, NULL, NULL, SOCK_NONBLOCK |
	    SOCK_CLOEXEC)) != -1) {
		struct conn *c;

		if (s->n == REPLAY_MAX_CLIENTS) {
			close(fd);
			continue;
		}
		c = xcalloc(1, sizeof(*c));
		c->s = s;
		c->fd = fd;
		c->http = cx_http_new(CX_HTTP_REQUEST, &cb, c);
		cx_buf_init(&c->body, 0);
		cx_buf_init(&c->out, 0);
		s->c[s->n++] = c;
	}
}

/* -1: the peer is gone, or said what is not HTTP. */
static int
conn_read(struct conn *c)
{
	uint8_t b[65536];
	ssize_t k = recv(c->fd, b, sizeof(b), 0);

	if (k == 0)
		return -1;
	if (k == -1)
		return errno == EAGAIN || errno == EINTR ? 0 : -1;
	if (cx_http_feed(c->http, b, (size_t)k) == -1) {
		static const char bad[] = "HTTP/1.1 400 Bad Request\r\n"
		    "Content-Length: 0\r\nConnection: close\r\n\r\n";

		if (c->ws == NULL)
			cx_buf_add(&c->out, bad, sizeof(bad) - 1);
		c->closing = 1;
		c->play = P_NONE;
	}
	return 0;
}

/* -1: gone, or all said before a close. */
static int
conn_write(struct conn *c)
{
	if (cx_buf_send(&c->out, c->fd) == -1)
		return -1;
	if (cx_buf_used(&c->out) > 0)
		return 0;               /* the rest when it takes more */
	return c->closing && c->play == P_NONE ? -1 : 0;
}

int
replay_server_run(struct replay_server *s, volatile sig_atomic_t *stop)
{
	struct pollfd pf[REPLAY_MAX_CLIENTS + 1];

	while (!*stop) {
		int64_t now = cx_now_ns(), next = now + TICK_MS * 1000000LL;
		size_t i;
		int timeout;

		for (i = 0; i < s->n; ) {
			struct conn *c = s->c[i];
			int64_t when = next;

			if (play_due(s, c, now, &when) && when < next)
				next = when;
			if ((cx_buf_used(&c->out) > 0 || c->closing) &&
			    conn_write(c) == -1)
				conn_drop(s, i);
			else
				i++;
		}
		pf[0].fd = s->lfd;
		pf[0].events = POLLIN;
		pf[0].revents = 0;
		for (i = 0; i < s->n; i++) {
			pf[i + 1].fd = s->c[i]->fd;
			pf[i + 1].events = (s->c[i]->closing ? 0 : POLLIN) |
			    (cx_buf_used(&s->c[i]->out) > 0 ? POLLOUT : 0);
			pf[i + 1].revents = 0;
		}
		timeout = next <= now ? 0 : (int)((next - now + 999999) /
		    1000000);
		if (poll(pf, s->n + 1, timeout) == -1 && errno != EINTR)
			return -1;
		for (i = s->n; i-- > 0; ) {
			struct conn *c = s->c[i];
			short ev = pf[i + 1].revents;

			if (ev & (POLLERR | POLLNVAL) || ((ev & POLLIN) &&
			    conn_read(c) == -1) || ((ev & POLLHUP) &&
			    !(ev & POLLIN)))
				conn_drop(s, i);
			else if (ev & POLLOUT && conn_write(c) == -1)
				conn_drop(s, i);
		}
		if (pf[0].revents & POLLIN)
			accept_all(s);
	}
	return 0;
}

/* --- the server ---------------------------------------------------------- */

struct replay_server *
replay_server_new(const struct replay_opts *o, int *usage, char *err,
    size_t errlen)
{
	const char *listen_at = o->listen != NULL ? o->listen : "127.0.0.1:0";
	struct replay_server *s;
	struct sockaddr_storage ss;
	socklen_t sl;
	char addr[96];
	int one = 1;

	*usage = 1;
	if (cx_listen_parse(listen_at, &ss, &sl, err, errlen) == -1)
		return NULL;
	if (!cx_sockaddr_loopback(&ss)) {
		snprintf(err, errlen, "--listen '%s': a replay listens on "
		    "loopback only (127.0.0.0/8, ::1)", listen_at);
		return NULL;
	}
	s = xcalloc(1, sizeof(*s));
	s->o = *o;
	s->lfd = -1;
	if ((s->rp = cx_replay_open(o->trace, NULL, err, errlen)) == NULL) {
		replay_server_free(s);
		return NULL;
	}
	s->lfd = socket(ss.ss_family, SOCK_STREAM | SOCK_NONBLOCK |
	    SOCK_CLOEXEC, 0);
	if (s->lfd == -1 || setsockopt(s->lfd, SOL_SOCKET, SO_REUSEADDR, &one,
	    sizeof(one)) == -1 || bind(s->lfd, (struct sockaddr *)&ss, sl) ==
	    -1 || listen(s->lfd, 128) == -1 || getsockname(s->lfd,
	    (struct sockaddr *)&ss, &sl) == -1) {
		snprintf(err, errlen, "cannot listen on %s: %s", listen_at,
		    strerror(errno));
		replay_server_free(s);
		return NULL;
	}
	cx_sockaddr_str(&ss, addr, sizeof(addr));
	snprintf(s->url, sizeof(s->url), "http://%s", addr);
	return s;
}

const char *
replay_server_url(const struct replay_server *s)
{
	return s->url;
}

size_t
replay_server_entries(const struct replay_server *s, size_t *incomplete)
{
	if (incomplete != NULL)
		*incomplete = cx_replay_incomplete(s->rp);
	return cx_replay_count(s->rp);
}

void
replay_server_proxy_hosts(const struct replay_server *s,
    void (*fn)(void *arg, const char *host), void *arg)
{
	cx_replay_proxy_hosts(s->rp, fn, arg);
}

void
replay_server_stats(const struct replay_server *s, struct replay_stats *st)
{
	*st = s->st;
}

void
replay_server_free(struct replay_server *s)
{
	if (s == NULL)
		return;
	while (s->n > 0)
		conn_drop(s, s->n - 1);
	if (s->lfd != -1)
		close(s->lfd);
	cx_replay_free(s->rp);
	free(s);
}
