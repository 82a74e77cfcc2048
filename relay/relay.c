/*
 * relay.c: the recording relay's event loop and connections.
 *
 * Each client connection has at most one upstream connection at a time.
 * Requests are parsed only as far as needed to route them (the head) and to
 * find where they end (body framing); responses likewise.  Bytes are
 * forwarded as soon as they arrive and recorded as they pass: the client's
 * bytes as received, and exactly what the client is sent.
 *
 * Connections accepted on the forward proxy's listener (proxy.c) go
 * through the proxy_conn_* hooks until their CONNECT is answered; after
 * that they are the relay's like any other, their client side over TLS
 * (c->cssl) when intercepted.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/uio.h>
#include <time.h>
#include <unistd.h>

#include <openssl/err.h>

#include "bytebuf.h"
#include "ca.h"
#include "jsonobj.h"
#include "log.h"
#include "xmalloc.h"
#include "peerproc.h"
#include "proxy.h"
#include "relay.h"
#include "relay_conn.h"
#include "srcredact.h"
#include "relay_http.h"
#include "relay_tls.h"
#include "resolve.h"

#define DYN_SLOTS       64              /* resolver slots for proxy hosts */

static void upstream_read(struct conn *c);
static void upstream_flush(struct conn *c);
static void after_responses(struct conn *c);
static void accept_resume(struct relay *r);

/* --- recording ------------------------------------------------------------- */

void
relay_record(struct conn *c, uint8_t dir, const void *p, size_t n, int64_t ts)
{
	struct relay *r = c->r;
	struct cx_frame f;

	c->bytes[dir] += n;
	if (r->cfg.trace == NULL || n == 0 || c->norecord)
		return;
	if (r->cfg.redact_key != NULL) {
		if (r->scratch_len < n) {
			free(r->scratch);
			r->scratch = xmalloc(n);
			r->scratch_len = n;
		}
		switch (cx_srcredact_conn(&c->red, dir == CX_DIR_REQ ? 0 : 1,
		    r->cfg.redact_key, p, n, r->scratch)) {
		case 1:
			p = r->scratch;
			break;
		case CX_SRCREDACT_DROP:         /* HTTP/2 (an h2c upgrade) */
		case CX_SRCREDACT_DROPPED:
			return;
		}
	}
	memset(&f, 0, sizeof(f));
	f.kind = CX_K_DATA;
	f.source = c->source;
	f.dir = dir;
	f.conn = c->id;
	f.ts_ns = ts;
	f.payload = p;
	f.len = (uint32_t)n;
	cx_writer_put(c->r->cfg.trace, &f);
}

/*
 * A JSON frame for connection c (kind: open, route, close, error), its
 * payload built in j; stamped as cx_writer_json stamps its frames.
 */
static void
record_json(struct conn *c, uint8_t kind, struct cx_jobj *j)
{
	struct cx_frame f;
	size_t n = cx_jobj_end(j);

	memset(&f, 0, sizeof(f));
	f.kind = kind;
	f.source = c->source;
	f.conn = c->id;
	f.ts_ns = cx_now_ns();
	f.pid = (uint32_t)getpid();
	f.tid = (uint32_t)syscall(SYS_gettid);
	f.payload = (const uint8_t *)j->p;
	f.len = (uint32_t)n;
	cx_writer_put(c->r->cfg.trace, &f);
}

void
relay_record_error(struct conn *c, int64_t seq, const char *msg)
{
	char b[2048];
	struct cx_jobj j;

	c->r->st.errors++;
	if (c->r->cfg.trace == NULL)
		return;
	cx_jobj_begin(&j, b, sizeof(b));
	if (seq >= 0)
		cx_jobj_i64(&j, "seq", seq);
	cx_jobj_str(&j, "error", msg);
	record_json(c, CX_K_ERROR, &j);
}

/* --- client side ----------------------------------------------------------- */

/*
 * Write to the client, over its TLS once it has one (the proxy's
 * intercepted connections).  Returns the bytes taken (0: it would block),
 * or -1: the client is gone.
 */
static ssize_t
client_write(struct conn *c, const uint8_t *p, size_t n)
{
	size_t off = 0;

	if (c->cssl == NULL) {
		ssize_t w = send(c->cfd, p, n, MSG_NOSIGNAL | MSG_DONTWAIT);
		if (w >= 0)
			return w;
		return errno == EAGAIN || errno == EINTR ? 0 : -1;
	}
	while (off < n) {
		size_t k = n - off;
		int rc;

		ERR_clear_error();
		rc = SSL_write(c->cssl, p + off, k > INT32_MAX ? INT32_MAX :
		    (int)k);
		if (rc > 0) {
			off += (size_t)rc;
			continue;
		}
		int e = SSL_get_error(c->cssl, rc);
		if (e == SSL_ERROR_WANT_WRITE || e == SSL_ERROR_WANT_READ)
			break;
		ERR_clear_error();
		return -1;
	}
	return (ssize_t)off;
}

/*
 * Read from the client: >0 bytes, 0 end of stream, -1 with errno (EAGAIN:
 * nothing now).
 */
static ssize_t
client_recv(struct conn *c, uint8_t *p, size_t n)
{
	int rc, e;

	if (c->cssl == NULL)
		return recv(c->cfd, p, n, 0);
	ERR_clear_error();
	errno = 0;
	rc = SSL_read(c->cssl, p, n > INT32_MAX ? INT32_MAX : (int)n);
	if (rc > 0)
		return rc;
	e = SSL_get_error(c->cssl, rc);
	if (e == SSL_ERROR_WANT_READ || e == SSL_ERROR_WANT_WRITE) {
		c->cssl_rwant = e == SSL_ERROR_WANT_WRITE;
		errno = EAGAIN;
		return -1;
	}
	if (e == SSL_ERROR_ZERO_RETURN || (e == SSL_ERROR_SYSCALL &&
	    errno == 0) || (e == SSL_ERROR_SSL && ERR_GET_REASON(
	    ERR_peek_error()) == SSL_R_UNEXPECTED_EOF_WHILE_READING)) {
		ERR_clear_error();
		return 0;
	}
	ERR_clear_error();
	if (errno == 0 || errno == EAGAIN)
		errno = ECONNRESET;
	return -1;
}

/*
 * Send to the client now if we can, queuing the rest, then record.  The
 * send goes first because otherwise the trace write sits on the watched
 * program's path: the added p50 of an SSE event or a WebSocket message
 * fell by 10-30 µs when it moved (docs/performance.md "websocket").  The
 * record follows in the same call, stamped with the arrival time; only a
 * relay killed between the two system calls could leave a client with
 * bytes its trace lacks.
 */
void
relay_client_send(struct conn *c, const uint8_t *p, size_t n, int64_t ts)
{
	size_t off = 0;
	int gone = 0;

	if (n == 0 || c->dead)
		return;
	c->r->st.resp_bytes += n;
	if (cx_buf_used(&c->cout) == 0) {
		ssize_t w = client_write(c, p, n);
		if (w > 0)
			off = (size_t)w;
		else if (w == -1)
			gone = 1;
	}
	relay_record(c, CX_DIR_RESP, p, n, ts);
	if (gone) {
		relay_conn_close(c, "client", "client went away");
		return;
	}
	if (off < n)
		cx_buf_add(&c->cout, p + off, n - off);
}

void
relay_client_flush(struct conn *c)
{
	while (cx_buf_used(&c->cout) > 0) {
		ssize_t w = client_write(c, cx_buf_head(&c->cout),
		    cx_buf_used(&c->cout));
		if (w > 0) {
			cx_buf_consume(&c->cout, (size_t)w);
			continue;
		}
		if (w == 0)
			break;
		relay_conn_close(c, "client", "client went away");
		return;
	}
	if (cx_buf_used(&c->cout) == 0 && c->closing) {
		relay_conn_close(c, "relay", "response complete");
		return;
	}
	/* Room again: read what the upstream's TLS layer may hold. */
	if (c->ustate == UP_OPEN && cx_buf_used(&c->cout) < COUT_MAX)
		upstream_read(c);
}

static const char *
status_text(int status)
{
	switch (status) {
	case 400: return "Bad Request";
	case 404: return "Not Found";
	case 405: return "Method Not Allowed";
	case 407: return "Proxy Authentication Required";
	case 408: return "Request Timeout";
	case 414: return "URI Too Long";
	case 431: return "Request Header Fields Too Large";
	case 502: return "Bad Gateway";
	case 504: return "Gateway Timeout";
	default:  return "Error";
	}
}

/*
 * Answer the client ourselves (an error), record it and the reason, and
 * close once it is sent.
 */
void
relay_reply_error(struct conn *c, int64_t seq, int status, const char *msg)
{
	char body[1200], head[256];
	int bl, hl;

	bl = snprintf(body, sizeof(body), "cxrec relay: %s\n", msg);
	if (bl >= (int)sizeof(body))
		bl = (int)sizeof(body) - 1;
	hl = snprintf(head, sizeof(head), "HTTP/1.1 %d %s\r\n"
	    "Content-Type: text/plain; charset=utf-8\r\n"
	    "Content-Length: %d\r\nConnection: close\r\n"
	    "X-Cxrec-Error: 1\r\n\r\n", status, status_text(status), bl);
	relay_record_error(c, seq, msg);
	int64_t ts = cx_now_ns();
	relay_client_send(c, (const uint8_t *)head, (size_t)hl, ts);
	relay_client_send(c, (const uint8_t *)body, (size_t)bl, ts);
	if (c->dead)
		return;
	c->rq = RQ_DEAD;
	c->closing = 1;
	relay_client_flush(c);
}

/* Stop reading; close once what the client is owed is sent. */
void
relay_end_after_flush(struct conn *c, const char *by, const char *why)
{
	c->rq = RQ_DEAD;
	c->closing = 1;
	if (cx_buf_used(&c->cout) == 0)
		relay_conn_close(c, by, why);
}

/*
 * Refuse the request at the front of cin.  Responses still owed for
 * earlier requests go out first: the refusal waits for them.
 */
static void
refuse(struct conn *c, int status, const char *msg)
{
	if (c->npend == 0) {
		relay_reply_error(c, c->seq, status, msg);
		return;
	}
	c->deferred = status;
	c->deferred_seq = c->seq;
	snprintf(c->deferred_msg, sizeof(c->deferred_msg), "%s", msg);
	c->rq = RQ_DEAD;
}

/* --- upstream side --------------------------------------------------------- */

static void
upstream_drop(struct conn *c)
{
	if (c->ssl != NULL) {
		SSL_free(c->ssl);
		c->ssl = NULL;
	}
	if (c->ufd != -1) {
		close(c->ufd);      /* also leaves the epoll set */
		c->ufd = -1;
	}
	c->uev = 0;
	c->ustate = UP_NONE;
	c->uroute = NULL;
	c->next_addr = 0;
	c->uclose_after = 0;
	c->uread_wants_write = 0;
	c->rs = RS_HEAD;
	cx_buf_free(&c->uout);
	cx_buf_free(&c->uhead);
}

/*
 * The upstream went away with nothing owed: the next request reconnects.
 * But a request body still coming from the client can no longer be
 * delivered (the upstream answered early and closed): stop there.
 */
static void
upstream_idle_drop(struct conn *c)
{
	int mid_body = c->rq == RQ_BODY;

	upstream_drop(c);
	if (mid_body) {
		relay_record_error(c, c->seq ? (int64_t)c->seq - 1 : -1, "the upstream "
		    "answered and closed before the request body ended; the "
		    "rest of the body was not forwarded");
		relay_end_after_flush(c, "relay", "request body cut");
	}
}

/* The upstream failed: answer 502 if nothing was answered yet, else cut. */
static void
upstream_fail(struct conn *c, const char *what)
{
	char msg[700];
	const char *origin = c->uroute ? c->uroute->up.origin : "upstream";

	if (c->npend == 0 && c->rs == RS_HEAD) {
		/* An idle kept-alive upstream reset: nobody was waiting. */
		upstream_idle_drop(c);
		if (!c->dead)
			after_responses(c);
		return;
	}
	snprintf(msg, sizeof(msg), "upstream %s: %s", origin, what);
	if (c->npend > 0 && !c->pend[0].answered) {
		uint32_t seq = c->pend[0].seq;
		upstream_drop(c);
		relay_reply_error(c, seq, 502, msg);
		return;
	}
	relay_record_error(c, c->npend > 0 ? (int64_t)c->pend[0].seq : -1, msg);
	upstream_drop(c);
	/* The client saw part of a response: it must see the cut. */
	if (cx_buf_used(&c->cout) == 0)
		relay_conn_close(c, "upstream", what);
	else {
		c->closing = 1;
		c->rq = RQ_DEAD;
	}
}

/*
 * Register interest in fd.  Nothing wanted means out of the set: epoll
 * reports hang-ups even with no events asked, which would spin the loop
 * while a side waits for room.  *cur: what is registered (0: not in set).
 */
static void
set_events(int epfd, int fd, struct ep *e, uint32_t *cur, uint32_t want)
{
	struct epoll_event ev;
	int op;

	if (fd == -1 || want == *cur)
		return;
	if (want == 0) {
		if (epoll_ctl(epfd, EPOLL_CTL_DEL, fd, NULL) == 0)
			*cur = 0;
		return;
	}
	op = *cur == 0 ? EPOLL_CTL_ADD : EPOLL_CTL_MOD;
	ev.events = want;
	ev.data.ptr = e;
	if (epoll_ctl(epfd, op, fd, &ev) == 0)
		*cur = want;
}

static void
upstream_set_events(struct conn *c, uint32_t want)
{
	set_events(c->r->epfd, c->ufd, &c->uep, &c->uev, want);
}

/* Start a TCP connect to the next address; 0 started, -1 none left. */
static int
upstream_try_connect(struct conn *c, char *err, size_t errlen)
{
	int one = 1;

	while (c->next_addr < c->addrs.n) {
		const struct sockaddr_storage *sa = &c->addrs.a[c->next_addr];
		socklen_t salen = c->addrs.len[c->next_addr];
		c->next_addr++;
		if (c->ufd != -1) {
			close(c->ufd);
			c->ufd = -1;
			c->uev = 0;
		}
		c->ufd = socket(sa->ss_family, SOCK_STREAM | SOCK_NONBLOCK |
		    SOCK_CLOEXEC, 0);
		if (c->ufd == -1) {
			snprintf(err, errlen, "socket: %s", strerror(errno));
			continue;
		}
		setsockopt(c->ufd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
		if (connect(c->ufd, (const struct sockaddr *)sa, salen) == -1 &&
		    errno != EINPROGRESS) {
			snprintf(err, errlen, "connect to %s:%s: %s",
			    c->uroute->up.host, c->uroute->up.port,
			    strerror(errno));
			continue;
		}
		c->uev = 0;
		upstream_set_events(c, EPOLLOUT);
		if (c->uev == 0) {
			snprintf(err, errlen, "epoll: %s", strerror(errno));
			continue;
		}
		c->ustate = UP_CONNECTING;
		c->connect_ns = cx_now_ns();
		return 0;
	}
	return -1;
}

/* Resolve (off the loop) and connect to rt's upstream. */
int
relay_upstream_start(struct conn *c, const struct route *rt)
{
	char err[512] = "no address";
	int rc;

	c->uroute = rt;
	c->connect_ns = cx_now_ns();
	if (rt >= c->r->cfg.routes.r && rt < c->r->cfg.routes.r +
	    c->r->cfg.routes.n) {
		c->uslot = (int)(rt - c->r->cfg.routes.r);
	} else {
		/* The proxy's hosts: hashed over slots of their own. */
		uint32_t h = cx_crc32c(0, rt->up.host, strlen(rt->up.host));
		h = cx_crc32c(h, rt->up.port, strlen(rt->up.port));
		c->uslot = c->r->cfg.routes.n + (int)(h % DYN_SLOTS);
	}
	rc = resolver_get(c->r->resolver, c->uslot, rt->up.host, rt->up.port,
	    &c->addrs, err, sizeof(err));
	if (rc == RESOLVE_WAIT) {
		c->ustate = UP_RESOLVING;
		return 0;
	}
	if (rc == RESOLVE_FAIL) {
		upstream_fail(c, err);
		return -1;
	}
	c->next_addr = 0;
	if (upstream_try_connect(c, err, sizeof(err)) == -1) {
		upstream_fail(c, err);
		return -1;
	}
	return 0;
}

/* Lookups ended: the connections waiting for one go on. */
static void
resolved(struct relay *r)
{
	uint64_t n;
	struct conn *c, *next;

	if (read(r->resfd, &n, sizeof(n)) == -1 && errno != EAGAIN)
		log_warn("relay: eventfd");
	resolver_collect(r->resolver);
	for (c = r->conns; c != NULL; c = next) {
		next = c->next;
		if (c->dead || c->ustate != UP_RESOLVING)
			continue;
		c->ustate = UP_NONE;
		relay_upstream_start(c, c->uroute);
		if (!c->dead)
			relay_conn_events(c);
	}
}

static void
upstream_handshake(struct conn *c)
{
	int rc;

	ERR_clear_error();
	rc = SSL_do_handshake(c->ssl);
	if (rc == 1) {
		c->ustate = UP_OPEN;
		c->uwant = 0;
		upstream_flush(c);
		if (!c->dead && c->ustate == UP_OPEN)
			upstream_read(c);
		return;
	}
	int e = SSL_get_error(c->ssl, rc);
	if (e == SSL_ERROR_WANT_READ) {
		c->uwant = EPOLLIN;
	} else if (e == SSL_ERROR_WANT_WRITE) {
		c->uwant = EPOLLOUT;
	} else {
		char why[300], msg[640];
		tls_error(c->ssl, rc, !c->r->cfg.insecure, why, sizeof(why));
		snprintf(msg, sizeof(msg), "TLS handshake with %s failed: %s",
		    c->uroute->up.hosthdr, why);
		upstream_fail(c, msg);
	}
}

static void
upstream_connected(struct conn *c)
{
	int soerr = 0;
	socklen_t sl = sizeof(soerr);
	char err[512];

	struct sockaddr_storage peer;
	socklen_t pl = sizeof(peer);

	getsockopt(c->ufd, SOL_SOCKET, SO_ERROR, &soerr, &sl);
	if (soerr == 0 && getpeername(c->ufd, (struct sockaddr *)&peer,
	    &pl) == -1 && errno == ENOTCONN)
		return;         /* still connecting (a stale event) */
	if (soerr != 0) {
		snprintf(err, sizeof(err), "connect to %s:%s: %s",
		    c->uroute->up.host, c->uroute->up.port, strerror(soerr));
		if (upstream_try_connect(c, err, sizeof(err)) == -1)
			upstream_fail(c, err);
		return;
	}
	if (!c->uroute->up.tls) {
		c->ustate = UP_OPEN;
		if (c->px != NULL && proxy_conn_upstream_open(c))
			return;         /* a CONNECT tunnel: open */
		upstream_flush(c);
		return;
	}
	c->ssl = tls_client_new(c->r->tls, c->ufd, c->uroute->up.host,
	    c->r->cfg.insecure);
	if (c->ssl == NULL) {
		upstream_fail(c, "cannot create a TLS connection");
		return;
	}
	c->ustate = UP_HANDSHAKE;
	upstream_handshake(c);
}

static void
upstream_flush(struct conn *c)
{
	c->uwant &= ~EPOLLOUT;
	if (c->ustate != UP_OPEN)
		return;
	while (cx_buf_used(&c->uout) > 0) {
		size_t n = cx_buf_used(&c->uout);
		ssize_t w;

		if (c->ssl != NULL) {
			ERR_clear_error();
			int rc = SSL_write(c->ssl, cx_buf_head(&c->uout),
			    n > INT32_MAX ? INT32_MAX : (int)n);
			if (rc > 0) {
				cx_buf_consume(&c->uout, (size_t)rc);
				continue;
			}
			int e = SSL_get_error(c->ssl, rc);
			if (e == SSL_ERROR_WANT_WRITE) {
				c->uwant |= EPOLLOUT;
				break;
			}
			if (e == SSL_ERROR_WANT_READ)
				break;
			char why[300];
			tls_error(c->ssl, rc, 0, why, sizeof(why));
			upstream_fail(c, why);
			return;
		}
		w = send(c->ufd, cx_buf_head(&c->uout), n, MSG_NOSIGNAL);
		if (w > 0) {
			cx_buf_consume(&c->uout, (size_t)w);
			continue;
		}
		if (w == -1 && (errno == EAGAIN || errno == EINTR)) {
			c->uwant |= EPOLLOUT;
			break;
		}
		upstream_fail(c, strerror(errno));
		return;
	}
	/* Drained: requests held back for room may go on. */
	if (c->cin_blocked && cx_buf_used(&c->uout) < UOUT_MAX) {
		c->cin_blocked = 0;
		relay_process_requests(c);
	}
}

/* A response ended: the next pipelined one starts. */
void
relay_response_done(struct conn *c)
{
	if (c->npend > 0) {
		memmove(c->pend, c->pend + 1, sizeof(c->pend[0]) *
		    (size_t)(c->npend - 1));
		c->npend--;
	}
	c->rs = RS_HEAD;
}

/*
 * Follow the response framing over n bytes from upstream, to tell where
 * responses end.  Returns how many of the bytes may be forwarded: all of
 * them, unless the upstream sends something when no request is waiting
 * (a client that just sent one would take it for the answer).
 */
static size_t
track_response(struct conn *c, const uint8_t *p, size_t n)
{
	size_t i = 0;

	while (i < n) {
		if (c->rs == RS_TUNNEL || c->rs == RS_RAW)
			return n;
		if (c->rs == RS_HEAD && c->npend == 0) {
			relay_record_error(c, -1, "the upstream sent bytes with no "
			    "request outstanding; they were dropped, and the "
			    "upstream connection with them");
			return i;
		}
		c->pend[0].answered = 1;
		if (c->rs == RS_HEAD) {
			struct rh_head h;
			size_t before = cx_buf_used(&c->uhead);
			size_t take = n - i;
			int rc;

			if (before + take > RH_MAX_HEAD + 4)
				take = RH_MAX_HEAD + 4 - before;
			cx_buf_add(&c->uhead, p + i, take);
			rc = rh_parse_response(cx_buf_head(&c->uhead),
			    cx_buf_used(&c->uhead), &h);
			if (rc == RH_MORE) {
				i += take;
				continue;
			}
			cx_buf_free(&c->uhead);
			if (rc < 0) {
				relay_record_error(c, c->pend[0].seq,
				    "upstream sent a malformed response head; "
				    "passing it through until close");
				c->rs = RS_RAW;
				c->rq = RQ_DEAD;
				c->uclose_after = 1;
				return n;
			}
			i += (size_t)rc - before;
			if (h.conn_close)
				c->uclose_after = 1;
			if (h.status >= 100 && h.status < 200 && h.status != 101)
				continue;       /* interim response */
			if (h.status == 101) {
				/* The upgrade is answered: no response owed. */
				relay_response_done(c);
				c->rs = RS_TUNNEL;
				c->rq = RQ_TUNNEL;
				return n;
			}
			int head = c->npend > 0 && c->pend[0].head;
			if (head || h.status == 204 || h.status == 304)
				rh_body_init(&c->rsbody, RH_BODY_NONE, 0);
			else if (h.chunked)
				rh_body_init(&c->rsbody, RH_BODY_CHUNKED, 0);
			else if (h.content_length >= 0)
				rh_body_init(&c->rsbody, RH_BODY_LENGTH,
				    (uint64_t)h.content_length);
			else {
				rh_body_init(&c->rsbody, RH_BODY_CLOSE, 0);
				c->uclose_after = 1;
			}
			c->rs = RS_BODY;
			if (c->rsbody.done)
				relay_response_done(c);
			continue;
		}
		/* RS_BODY */
		i += rh_body_feed(&c->rsbody, p + i, n - i);
		if (c->rsbody.bad) {
			relay_record_error(c, c->pend[0].seq,
			    "upstream sent a malformed chunked body; passing it "
			    "through until close");
			c->rs = RS_RAW;
			c->rq = RQ_DEAD;
			c->uclose_after = 1;
			return n;
		}
		if (c->rsbody.done)
			relay_response_done(c);
	}
	return n;
}

/* The upstream closed its side. */
static void
upstream_eof(struct conn *c)
{
	int complete_by_close = c->rs == RS_BODY &&
	    c->rsbody.mode == RH_BODY_CLOSE;

	if (c->rs == RS_TUNNEL || c->rs == RS_RAW || complete_by_close) {
		if (complete_by_close)
			relay_response_done(c);
		upstream_drop(c);
		c->closing = 1;
		c->rq = RQ_DEAD;
		if (cx_buf_used(&c->cout) == 0)
			relay_conn_close(c, "upstream", "upstream closed");
		return;
	}
	if (c->npend > 0) {
		upstream_fail(c, c->pend[0].answered ?
		    "closed the connection mid-response" :
		    "closed the connection before responding");
		return;
	}
	/* Idle keep-alive connection closed: fine, reconnect on demand. */
	upstream_idle_drop(c);
	if (!c->dead)
		after_responses(c);
}

/*
 * Read what the upstream has, in batches of up to IOBUF (several TLS
 * records), forwarding each batch at once: one send and one trace frame
 * per batch, never waiting for more than is there.
 */
static void
upstream_read(struct conn *c)
{
	uint8_t tmp[IOBUF];

	c->uread_wants_write = 0;
	while (!c->dead && c->ustate == UP_OPEN &&
	    cx_buf_used(&c->cout) < COUT_MAX) {
		size_t got = 0;
		int more = 1, eof = 0;
		char why[300] = "";

		while (got < sizeof(tmp)) {
			if (c->ssl != NULL) {
				ERR_clear_error();
				errno = 0;
				int rc = SSL_read(c->ssl, tmp + got,
				    (int)(sizeof(tmp) - got));
				if (rc > 0) {
					got += (size_t)rc;
					/*
					 * Forward now unless more is already
					 * here: a recv that would only say
					 * EAGAIN costs latency.
					 */
					if (!SSL_has_pending(c->ssl))
						break;
					continue;
				}
				int e = SSL_get_error(c->ssl, rc);
				unsigned long pe = ERR_peek_error();
				if (e == SSL_ERROR_WANT_READ) {
					more = 0;
				} else if (e == SSL_ERROR_WANT_WRITE) {
					c->uread_wants_write = 1;
					more = 0;
				} else if (e == SSL_ERROR_ZERO_RETURN ||
				    (e == SSL_ERROR_SYSCALL && pe == 0 &&
				    errno == 0) ||
				    (e == SSL_ERROR_SSL && ERR_GET_REASON(pe) ==
				    SSL_R_UNEXPECTED_EOF_WHILE_READING)) {
					/* EOF, with or without close_notify */
					ERR_clear_error();
					eof = 1;
				} else {
					tls_error(c->ssl, rc, 0, why,
					    sizeof(why));
				}
				break;
			}
			size_t room = sizeof(tmp) - got;
			ssize_t n = recv(c->ufd, tmp + got, room, 0);
			if (n > 0) {
				got += (size_t)n;
				if ((size_t)n < room)
					break;      /* drained for now */
				continue;
			}
			if (n == 0)
				eof = 1;
			else if (errno == EAGAIN || errno == EINTR)
				more = 0;
			else
				snprintf(why, sizeof(why), "%s", strerror(errno));
			break;
		}
		if (got > 0) {
			int64_t ts = cx_now_ns();
			size_t fwd;
			c->last_ns = ts;
			fwd = track_response(c, tmp, got);
			relay_client_send(c, tmp, fwd, ts);
			if (c->dead)
				return;
			if (fwd < got) {
				upstream_idle_drop(c);
				break;
			}
		}
		if (eof) {
			upstream_eof(c);
			return;
		}
		if (why[0] != '\0') {
			upstream_fail(c, why);
			return;
		}
		if (!more)
			break;
	}
	if (!c->dead)
		after_responses(c);
}

/*
 * Every response owed is out: a deferred refusal can be sent, a client
 * that half-closed can be let go, an upstream that said "close" dropped,
 * and requests held back go on.
 */
static void
after_responses(struct conn *c)
{
	if (c->dead || c->npend > 0)
		return;
	if (c->deferred) {
		int status = c->deferred;
		c->deferred = 0;
		relay_reply_error(c, c->deferred_seq, status, c->deferred_msg);
		return;
	}
	if (c->client_eof) {
		relay_end_after_flush(c, "client", "client closed after its last "
		    "response");
		return;
	}
	if (c->rs == RS_HEAD && c->uclose_after && c->ustate == UP_OPEN) {
		upstream_idle_drop(c);
		if (c->dead)
			return;
	}
	if (c->rq == RQ_WAIT) {
		c->rq = RQ_HEAD;
		relay_process_requests(c);
	}
}

/* --- requests -------------------------------------------------------------- */

/* Append the head rewritten for the upstream: new target, Host replaced. */
static void
forward_head(struct conn *c, const uint8_t *b, const struct rh_head *h,
    const struct route *rt, const char *path)
{
	struct cx_buf *o = &c->uout;
	int host_done = 0;

	cx_buf_add(o, b + h->method.off, h->method.len);
	cx_buf_add(o, " ", 1);
	cx_buf_add(o, path, strlen(path));
	cx_buf_add(o, h->minor ? " HTTP/1.1\r\n" : " HTTP/1.0\r\n", 11);
	for (int i = 0; i < h->nheaders; i++) {
		const struct rh_header *hd = &h->headers[i];
		if (rh_header_is(b, hd, "host")) {
			if (host_done)
				continue;
			cx_buf_add(o, "Host: ", 6);
			cx_buf_add(o, rt->up.hosthdr, strlen(rt->up.hosthdr));
			cx_buf_add(o, "\r\n", 2);
			host_done = 1;
			continue;
		}
		if (rh_header_is(b, hd, "proxy-connection") ||
		    rh_header_is(b, hd, "proxy-authorization"))
			continue;
		/* name through the end of the value's line */
		cx_buf_add(o, b + hd->name.off, hd->name.len);
		cx_buf_add(o, ": ", 2);
		cx_buf_add(o, b + hd->value.off, hd->value.len);
		cx_buf_add(o, "\r\n", 2);
	}
	if (!host_done) {
		cx_buf_add(o, "Host: ", 6);
		cx_buf_add(o, rt->up.hosthdr, strlen(rt->up.hosthdr));
		cx_buf_add(o, "\r\n", 2);
	}
	cx_buf_add(o, "\r\n", 2);
}

/*
 * The route frame.  The proxy's: "upstream" is the URL the client asked
 * for, "sent_to" where --map-host sent it instead.
 */
static void
record_route(struct conn *c, const uint8_t *b, const struct rh_head *h,
    const struct route *rt, const char *path)
{
	char up[MAX_TARGET + 1500], asked[MAX_TARGET + 400], tg[MAX_TARGET + 1];
	char out[64 * 1024];
	const char *sent_to = NULL;
	size_t tn = h->target.len < sizeof(tg) ? h->target.len : sizeof(tg) - 1;
	struct cx_jobj j;

	if (c->r->cfg.trace == NULL)
		return;
	/* --redact-at-source: the target's credentials as in the stream. */
	memcpy(tg, b + h->target.off, tn);
	snprintf(up, sizeof(up), "%s%s", rt->up.origin, path);
	if (c->r->cfg.redact_key != NULL) {
		cx_srcredact_url(c->r->cfg.redact_key, tg, tn);
		cx_srcredact_url(c->r->cfg.redact_key, up, strlen(up));
	}
	if (c->px != NULL) {
		snprintf(asked, sizeof(asked), "%s%.*s", proxy_conn_origin(c),
		    (int)tn, tg);
		if (strcmp(asked, up) != 0)
			sent_to = up;
	}
	cx_jobj_begin(&j, out, sizeof(out));
	cx_jobj_u64(&j, "seq", c->seq);
	cx_jobj_strn(&j, "method", (const char *)b + h->method.off,
	    h->method.len);
	cx_jobj_strn(&j, "target", tg, tn);
	cx_jobj_str(&j, "upstream", sent_to != NULL ? asked : up);
	cx_jobj_str(&j, "route", rt->prefix);
	cx_jobj_str(&j, "sent_to", sent_to);
	record_json(c, CX_K_ROUTE, &j);
}

/* One request head at the front of cin: route it and queue it upstream. */
static int
start_request(struct conn *c)
{
	const uint8_t *b = cx_buf_head(&c->cin);
	struct rh_head *h;
	char path[MAX_TARGET + 1100];   /* + a route's path */
	const struct route *rt;
	int rc;

	h = malloc(sizeof(*h));
	if (h == NULL) {
		relay_reply_error(c, c->seq, 502, "out of memory");
		return -1;
	}
	rc = rh_parse_request(b, cx_buf_used(&c->cin), h);
	if (rc == RH_MORE) {
		free(h);
		if (c->head_ns == 0)
			c->head_ns = cx_now_ns();
		return 0;
	}
	if (rc == RH_TOO_LARGE) {
		free(h);
		refuse(c, 431, "request header fields too large (the limit "
		    "is 64 KiB)");
		return -1;
	}
	if (rc == RH_BAD) {
		char msg[160];
		snprintf(msg, sizeof(msg), "bad request: %s", h->why);
		free(h);
		refuse(c, 400, msg);
		return -1;
	}
	if (h->target.len > MAX_TARGET) {
		free(h);
		refuse(c, 414, "request target longer than 8 KiB");
		return -1;
	}
	if (c->px != NULL) {
		/* The proxy's: its own rules (proxy.h). */
		int status = 404;
		char msg[300] = "no route";

		rt = proxy_conn_route(c, b, h, path, sizeof(path), &status,
		    msg, sizeof(msg));
		if (rt == NULL) {
			free(h);
			refuse(c, status, msg);
			return -1;
		}
		goto routed;
	}
	if (h->method.len == 7 && memcmp(b + h->method.off, "CONNECT", 7) == 0) {
		free(h);
		refuse(c, 405, "CONNECT is refused: this relay forwards only "
		    "to its configured routes");
		return -1;
	}
	if (b[h->target.off] != '/') {
		free(h);
		refuse(c, 400, "only origin-form request targets (/path) are "
		    "accepted: the relay forwards only to its configured "
		    "routes, never to a target named in the request");
		return -1;
	}
	rt = route_match(&c->r->cfg.routes, (const char *)b + h->target.off,
	    h->target.len, path, sizeof(path));
	if (rt == NULL) {
		free(h);
		refuse(c, 404, "no route for this path");
		return -1;
	}
routed:
	/* Another upstream: wait for the responses owed, then switch. */
	if (c->ustate != UP_NONE && c->uroute != rt &&
	    strcmp(c->uroute->up.origin, rt->up.origin) != 0) {
		if (c->npend > 0) {
			free(h);
			c->rq = RQ_WAIT;
			return 0;
		}
		upstream_drop(c);
	}
	if (c->ustate != UP_NONE && c->uclose_after) {
		if (c->npend > 0) {
			free(h);
			c->rq = RQ_WAIT;
			return 0;
		}
		upstream_drop(c);
	}
	if (c->npend >= MAX_PENDING) {
		free(h);
		c->rq = RQ_WAIT;
		return 0;
	}
	record_route(c, b, h, rt, path);
	c->pend[c->npend].seq = c->seq;
	c->pend[c->npend].head = h->method.len == 4 &&
	    memcmp(b + h->method.off, "HEAD", 4) == 0;
	c->pend[c->npend].upgrade = (uint8_t)h->upgrade;
	c->pend[c->npend].answered = 0;
	c->npend++;
	c->seq++;
	c->r->st.requests++;
	if (c->px != NULL)
		c->r->st.proxy_requests++;
	c->head_ns = 0;
	forward_head(c, b, h, rt, path);
	if (h->chunked)
		rh_body_init(&c->rqbody, RH_BODY_CHUNKED, 0);
	else if (h->content_length > 0)
		rh_body_init(&c->rqbody, RH_BODY_LENGTH,
		    (uint64_t)h->content_length);
	else
		rh_body_init(&c->rqbody, RH_BODY_NONE, 0);
	c->rq = c->rqbody.done ? RQ_HEAD : RQ_BODY;
	cx_buf_consume(&c->cin, h->head_len);
	free(h);
	if (c->ustate == UP_NONE) {
		c->uroute = rt;
		if (relay_upstream_start(c, rt) == -1)
			return -1;
	}
	return 1;
}

void
relay_process_requests(struct conn *c)
{
	while (!c->dead && cx_buf_used(&c->cin) > 0 &&
	    cx_buf_used(&c->uout) < UOUT_MAX) {
		if (c->rq == RQ_HEAD) {
			if (start_request(c) <= 0)
				break;
		} else if (c->rq == RQ_BODY) {
			size_t n = rh_body_feed(&c->rqbody,
			    cx_buf_head(&c->cin), cx_buf_used(&c->cin));
			if (c->rqbody.bad) {
				relay_record_error(c, c->seq ? c->seq - 1 : 0,
				    "bad request: malformed chunked body");
				upstream_drop(c);
				relay_conn_close(c, "relay", "malformed request body");
				return;
			}
			cx_buf_add(&c->uout, cx_buf_head(&c->cin), n);
			cx_buf_consume(&c->cin, n);
			if (c->rqbody.done)
				c->rq = RQ_HEAD;
		} else if (c->rq == RQ_TUNNEL) {
			cx_buf_add(&c->uout, cx_buf_head(&c->cin),
			    cx_buf_used(&c->cin));
			cx_buf_consume(&c->cin, cx_buf_used(&c->cin));
		} else {
			if (c->rq == RQ_DEAD)
				cx_buf_consume(&c->cin, cx_buf_used(&c->cin));
			break;
		}
	}
	if (!c->dead && cx_buf_used(&c->cin) > 0 &&
	    cx_buf_used(&c->uout) >= UOUT_MAX)
		c->cin_blocked = 1;
	if (!c->dead && c->ustate == UP_OPEN && cx_buf_used(&c->uout) > 0)
		upstream_flush(c);
}

static void
client_read(struct conn *c, uint32_t events)
{
	int eof = (events & (EPOLLHUP | EPOLLERR)) != 0;

	while (!c->dead && cx_buf_used(&c->cin) < CIN_MAX &&
	    cx_buf_used(&c->uout) < UOUT_MAX && c->rq != RQ_WAIT &&
	    c->rq != RQ_DEAD) {
		uint8_t *p = cx_buf_space(&c->cin, IOBUF);
		ssize_t n = client_recv(c, p, IOBUF);
		if (n > 0) {
			int64_t ts = cx_now_ns();
			cx_buf_commit(&c->cin, (size_t)n);
			c->last_ns = ts;
			c->r->st.req_bytes += (uint64_t)n;
			relay_record(c, CX_DIR_REQ, p, (size_t)n, ts);
			relay_process_requests(c);
			/* TLS: a record at a time, until none is left. */
			if ((size_t)n < IOBUF && c->cssl == NULL)
				break;
			continue;
		}
		if (n == 0) {
			eof = 1;
			break;
		}
		if (errno == EAGAIN || errno == EINTR)
			break;
		eof = 1;
		break;
	}
	if (eof && !c->dead) {
		/*
		 * A half-close (FIN, not a hang-up) with responses owed: they
		 * still go out, then the connection closes.
		 */
		if (c->npend > 0 && c->rq != RQ_BODY && c->rq != RQ_TUNNEL &&
		    !(events & (EPOLLHUP | EPOLLERR))) {
			c->client_eof = 1;
			c->rq = RQ_DEAD;
			return;
		}
		/* (A CONNECT tunnel's end is no error: nothing is owed.) */
		if (c->npend > 0 || (c->rq == RQ_TUNNEL && !c->norecord))
			relay_record_error(c, c->npend ? (int64_t)c->pend[0].seq : -1,
			    "client closed the connection mid-exchange");
		relay_conn_close(c, "client", "client closed");
	}
}

/* --- connections ----------------------------------------------------------- */

void
relay_conn_events(struct conn *c)
{
	uint32_t want = 0;

	if (c->dead)
		return;
	if (c->px != NULL && proxy_conn_interest(c, &want))
		;       /* the proxy's CONNECT or TLS handshake */
	else {
		if (!c->closing && c->rq != RQ_WAIT && c->rq != RQ_DEAD &&
		    cx_buf_used(&c->cin) < CIN_MAX &&
		    cx_buf_used(&c->uout) < UOUT_MAX)
			want |= EPOLLIN | EPOLLRDHUP;
		if (cx_buf_used(&c->cout) > 0 || c->cssl_rwant)
			want |= EPOLLOUT;
	}
	set_events(c->r->epfd, c->cfd, &c->cep, &c->cev, want);
	switch (c->ustate) {
	case UP_NONE:
	case UP_RESOLVING:
		break;
	case UP_CONNECTING:
		upstream_set_events(c, EPOLLOUT);
		break;
	case UP_HANDSHAKE:
		upstream_set_events(c, (uint32_t)c->uwant);
		break;
	case UP_OPEN:
		want = 0;
		if (cx_buf_used(&c->cout) < COUT_MAX)
			want |= EPOLLIN;
		if ((c->uwant & EPOLLOUT) || c->uread_wants_write)
			want |= EPOLLOUT;
		upstream_set_events(c, want);
		break;
	}
}

void
relay_conn_close(struct conn *c, const char *by, const char *reason)
{
	struct relay *r = c->r;
	char b[2048];
	struct cx_jobj j;

	if (c->dead)
		return;
	c->dead = 1;
	if (r->cfg.trace != NULL) {
		cx_jobj_begin(&j, b, sizeof(b));
		cx_jobj_str(&j, "by", by);
		cx_jobj_str(&j, "reason", reason);
		if (c->px != NULL)
			proxy_conn_close_fields(c, &j);
		record_json(c, CX_K_CLOSE, &j);
	}
	if (c->cssl != NULL) {
		ERR_clear_error();
		SSL_shutdown(c->cssl);  /* close_notify, if it fits now */
		ERR_clear_error();
	}
	upstream_drop(c);
	close(c->cfd);
	c->cfd = -1;
	if (c->prev)
		c->prev->next = c->next;
	else
		r->conns = c->next;
	if (c->next)
		c->next->prev = c->prev;
	r->nconns--;
	c->next = r->dead;
	r->dead = c;
	if (r->accept_paused)
		accept_resume(r);
}

static void
conn_free(struct conn *c)
{
	cx_buf_free(&c->cin);
	cx_buf_free(&c->cout);
	cx_buf_free(&c->uout);
	cx_buf_free(&c->uhead);
	SSL_free(c->cssl);
	proxy_conn_free(c->px);
	free(c);
}

void
relay_sockaddr_str(const struct sockaddr_storage *ss, char *out, size_t len)
{
	char host[INET6_ADDRSTRLEN] = "?";
	int port = 0;

	if (ss->ss_family == AF_INET) {
		const struct sockaddr_in *s = (const void *)ss;
		inet_ntop(AF_INET, &s->sin_addr, host, sizeof(host));
		port = ntohs(s->sin_port);
		snprintf(out, len, "%s:%d", host, port);
	} else if (ss->ss_family == AF_INET6) {
		const struct sockaddr_in6 *s = (const void *)ss;
		inet_ntop(AF_INET6, &s->sin6_addr, host, sizeof(host));
		port = ntohs(s->sin6_port);
		snprintf(out, len, "[%s]:%d", host, port);
	} else {
		snprintf(out, len, "unknown");
	}
}

static void
accept_resume(struct relay *r)
{
	struct epoll_event ev;

	ev.events = EPOLLIN;
	ev.data.ptr = &r->plep;
	if (r->plfd != -1)
		epoll_ctl(r->epfd, EPOLL_CTL_ADD, r->plfd, &ev);
	ev.data.ptr = &r->lep;
	if (epoll_ctl(r->epfd, EPOLL_CTL_ADD, r->lfd, &ev) == 0)
		r->accept_paused = 0;
}

/* New clients of the relay, or (proxy) of the forward proxy. */
static void
accept_all(struct relay *r, int proxy)
{
	for (;;) {
		struct sockaddr_storage ss, ls;
		socklen_t sl = sizeof(ss), ll = sizeof(ls);
		struct epoll_event ev;
		char peer[80], local[80];
		int fd, one = 1;

		fd = accept4(proxy ? r->plfd : r->lfd, (struct sockaddr *)&ss,
		    &sl, SOCK_NONBLOCK | SOCK_CLOEXEC);
		if (fd == -1) {
			if (errno == EINTR || errno == ECONNABORTED)
				continue;
			if (errno == EMFILE || errno == ENFILE ||
			    errno == ENOBUFS || errno == ENOMEM) {
				/*
				 * Out of descriptors: the listener stays
				 * readable, so leave it out of the loop
				 * until a connection closes (or a second
				 * passes), rather than spin.
				 */
				log_warn("relay: accept (new connections wait "
				    "until one closes)");
				epoll_ctl(r->epfd, EPOLL_CTL_DEL, r->lfd, NULL);
				if (r->plfd != -1)
					epoll_ctl(r->epfd, EPOLL_CTL_DEL,
					    r->plfd, NULL);
				r->accept_paused = 1;
			} else if (errno != EAGAIN) {
				log_warn("relay: accept");
			}
			return;
		}
		if (r->nconns >= r->cfg.max_conns) {
			log_warnx("relay: too many connections (%d), refusing "
			    "one", r->nconns);
			close(fd);
			continue;
		}
		setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
		struct conn *c = xcalloc(1, sizeof(*c));
		c->r = r;
		c->cfd = fd;
		c->ufd = -1;
		c->cep.side = SIDE_CLIENT;
		c->cep.c = c;
		c->uep.side = SIDE_UPSTREAM;
		c->uep.c = c;
		c->source = proxy ? CX_SRC_PROXY : CX_SRC_RELAY;
		c->id = r->cfg.trace ? cx_writer_new_conn(r->cfg.trace) :
		    ((uint64_t)r->pid << 32 | (uint32_t)(r->st.conns + 1));
		c->last_ns = cx_now_ns();
		ev.events = EPOLLIN | EPOLLRDHUP;
		ev.data.ptr = &c->cep;
		if (epoll_ctl(r->epfd, EPOLL_CTL_ADD, fd, &ev) == -1) {
			log_warn("relay: epoll_ctl");
			close(fd);
			free(c);
			continue;
		}
		c->cev = ev.events;
		c->next = r->conns;
		if (r->conns)
			r->conns->prev = c;
		r->conns = c;
		r->nconns++;
		r->st.conns++;
		relay_sockaddr_str(&ss, peer, sizeof(peer));
		int have_local = getsockname(fd, (struct sockaddr *)&ls,
		    &ll) == 0;
		if (have_local)
			relay_sockaddr_str(&ls, local, sizeof(local));
		else
			snprintf(local, sizeof(local), "unknown");
		if (r->cfg.trace) {
			char b[256];
			struct cx_jobj j;

			cx_jobj_begin(&j, b, sizeof(b));
			cx_jobj_str(&j, "peer", peer);
			cx_jobj_str(&j, "local", local);
			record_json(c, CX_K_OPEN, &j);
		}
		/* Who the client is, found off the loop. */
		if (r->pp != NULL && have_local)
			cx_peerproc_lookup(r->pp, c->source, c->id, &ss, &ls);
		if (proxy)
			proxy_conn_start(c);
	}
}

static void
check_timeouts(struct relay *r)
{
	int64_t now = cx_now_ns();
	struct conn *c, *next;
	const int64_t s = 1000000000;

	if (r->accept_paused)
		accept_resume(r);
	for (c = r->conns; c != NULL; c = next) {
		next = c->next;
		/* A partial head waits its turn behind responses owed. */
		if (c->npend > 0 && c->head_ns != 0)
			c->head_ns = now;
		if (c->px != NULL && proxy_conn_timeout(c, now))
			;
		else if (c->ustate != UP_NONE && c->ustate != UP_OPEN &&
		    now - c->connect_ns > r->cfg.connect_timeout_s * s) {
			char err[512];
			/* Another address may answer (IPv6 listed first...). */
			if (c->ustate == UP_CONNECTING &&
			    upstream_try_connect(c, err, sizeof(err)) == 0)
				continue;
			upstream_fail(c, c->ustate == UP_RESOLVING ?
			    "timed out resolving the host name" :
			    c->ustate == UP_HANDSHAKE ?
			    "timed out in the TLS handshake" :
			    "timed out connecting");
		} else if (c->rq == RQ_HEAD && c->head_ns != 0 &&
		    c->npend == 0 &&
		    now - c->head_ns > r->cfg.header_timeout_s * s) {
			relay_reply_error(c, c->seq, 408, "timed out waiting for the "
			    "request headers");
		} else if (c->rq == RQ_HEAD && c->seq == 0 && c->head_ns == 0 &&
		    now - c->last_ns > r->cfg.header_timeout_s * s) {
			/* Connected, never sent a byte: closed, as nginx does. */
			relay_conn_close(c, "relay", "no request within the header "
			    "timeout");
		} else if (c->rs == RS_RAW && now - c->last_ns > 10 * s) {
			relay_conn_close(c, "relay", "malformed upstream response "
			    "passed through; the upstream went quiet");
		} else if (now - c->last_ns > r->cfg.idle_timeout_s * s) {
			if (c->npend > 0)
				relay_record_error(c, c->pend[0].seq,
				    "idle timeout with a response in flight");
			relay_conn_close(c, "relay", "idle timeout");
		}
		if (!c->dead)
			relay_conn_events(c);
	}
}

/* --- the relay ------------------------------------------------------------- */

int
relay_parse_listen(const char *s, struct sockaddr_storage *ss, socklen_t *sl,
    char *err, size_t errlen)
{
	char host[256];
	const char *port;
	struct addrinfo hints, *ai;
	int e;

	if (strchr(s, ':') == NULL) {
		snprintf(host, sizeof(host), "127.0.0.1");
		port = s;
	} else if (s[0] == '[') {
		const char *rb = strchr(s, ']');
		if (rb == NULL || rb[1] != ':' || (size_t)(rb - s - 1) >= sizeof(host)) {
			snprintf(err, errlen, "--listen '%s': expected HOST:PORT", s);
			return -1;
		}
		memcpy(host, s + 1, (size_t)(rb - s - 1));
		host[rb - s - 1] = '\0';
		port = rb + 2;
	} else {
		const char *colon = strrchr(s, ':');
		if ((size_t)(colon - s) >= sizeof(host)) {
			snprintf(err, errlen, "--listen '%s': host too long", s);
			return -1;
		}
		memcpy(host, s, (size_t)(colon - s));
		host[colon - s] = '\0';
		port = colon + 1;
	}
	/* getaddrinfo would take 99999 as 34463. */
	if (port[0] == '\0' || strspn(port, "0123456789") != strlen(port) ||
	    strlen(port) > 5 || atoi(port) > 65535) {
		snprintf(err, errlen, "--listen '%s': the port must be a number "
		    "from 0 to 65535", s);
		return -1;
	}
	memset(&hints, 0, sizeof(hints));
	hints.ai_socktype = SOCK_STREAM;
	hints.ai_flags = AI_PASSIVE | AI_NUMERICSERV;
	if ((e = getaddrinfo(host[0] ? host : NULL, port, &hints, &ai)) != 0) {
		snprintf(err, errlen, "--listen '%s': %s", s, gai_strerror(e));
		return -1;
	}
	memcpy(ss, ai->ai_addr, ai->ai_addrlen);
	*sl = ai->ai_addrlen;
	freeaddrinfo(ai);
	return 0;
}

int
relay_is_loopback(const struct sockaddr_storage *ss)
{
	if (ss->ss_family == AF_INET) {
		const struct sockaddr_in *s = (const void *)ss;
		return (ntohl(s->sin_addr.s_addr) >> 24) == 127;
	}
	if (ss->ss_family == AF_INET6) {
		const struct sockaddr_in6 *s = (const void *)ss;
		return IN6_IS_ADDR_LOOPBACK(&s->sin6_addr);
	}
	return 0;
}

struct relay *
relay_new(const struct relay_config *cfg, char *err, size_t errlen)
{
	struct relay *r = xcalloc(1, sizeof(*r));
	struct sockaddr_storage ss;
	socklen_t sl;
	struct epoll_event ev;
	int one = 1;

	r->cfg = *cfg;
	r->lfd = r->plfd = r->epfd = r->stopfd = r->resfd = -1;
	r->pid = (uint32_t)getpid();
	if (r->cfg.header_timeout_s <= 0)
		r->cfg.header_timeout_s = 60;
	if (r->cfg.idle_timeout_s <= 0)
		r->cfg.idle_timeout_s = 600;
	if (r->cfg.connect_timeout_s <= 0)
		r->cfg.connect_timeout_s = 10;          /* per address */
	if (r->cfg.max_conns <= 0)
		r->cfg.max_conns = 4096;
	if (r->cfg.routes.n == 0)
		route_defaults(&r->cfg.routes);
	if ((r->tls = tls_client_ctx(cfg->cacert, cfg->insecure, err,
	    errlen)) == NULL)
		goto fail;
	if (relay_parse_listen(cfg->listen ? cfg->listen : "127.0.0.1:0", &ss, &sl,
	    err, errlen) == -1)
		goto fail;
	if (!relay_is_loopback(&ss))
		log_warnx("relay: warning: listening on %s, which is not a "
		    "loopback address: anyone who can reach it can use the "
		    "relay and read nothing back, but send requests with "
		    "your credentials' routes", cfg->listen);
	r->lfd = socket(ss.ss_family, SOCK_STREAM | SOCK_NONBLOCK |
	    SOCK_CLOEXEC, 0);
	if (r->lfd == -1) {
		snprintf(err, errlen, "socket: %s", strerror(errno));
		goto fail;
	}
	setsockopt(r->lfd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	if (bind(r->lfd, (struct sockaddr *)&ss, sl) == -1) {
		snprintf(err, errlen, "cannot listen on %s: %s",
		    cfg->listen ? cfg->listen : "127.0.0.1:0", strerror(errno));
		goto fail;
	}
	if (listen(r->lfd, 1024) == -1) {
		snprintf(err, errlen, "listen: %s", strerror(errno));
		goto fail;
	}
	sl = sizeof(ss);
	getsockname(r->lfd, (struct sockaddr *)&ss, &sl);
	relay_sockaddr_str(&ss, r->addr, sizeof(r->addr));
	r->port = ss.ss_family == AF_INET ?
	    ntohs(((struct sockaddr_in *)&ss)->sin_port) :
	    ntohs(((struct sockaddr_in6 *)&ss)->sin6_port);
	if ((r->epfd = epoll_create1(EPOLL_CLOEXEC)) == -1 ||
	    (r->stopfd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC)) == -1 ||
	    (r->resfd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC)) == -1) {
		snprintf(err, errlen, "epoll: %s", strerror(errno));
		goto fail;
	}
	r->lep.side = SIDE_LISTEN;
	r->sep.side = SIDE_STOP;
	ev.events = EPOLLIN;
	ev.data.ptr = &r->lep;
	epoll_ctl(r->epfd, EPOLL_CTL_ADD, r->lfd, &ev);
	ev.data.ptr = &r->sep;
	epoll_ctl(r->epfd, EPOLL_CTL_ADD, r->stopfd, &ev);
	r->rep.side = SIDE_RESOLVED;
	ev.data.ptr = &r->rep;
	epoll_ctl(r->epfd, EPOLL_CTL_ADD, r->resfd, &ev);
	if (cfg->proxy_listen != NULL && proxy_listen(r, err, errlen) == -1)
		goto fail;
	r->resolver = resolver_new(r->cfg.routes.n + DYN_SLOTS, r->resfd);
	if (r->cfg.trace != NULL)
		relay_set_trace(r, r->cfg.trace);
	return r;
fail:
	relay_free(r);
	return NULL;
}

const char *
relay_address(const struct relay *r)
{
	return r->addr;
}

int
relay_port(const struct relay *r)
{
	return r->port;
}

const char *
relay_proxy_address(const struct relay *r)
{
	return r->plfd == -1 ? NULL : r->paddr;
}

int
relay_proxy_port(const struct relay *r)
{
	return r->plfd == -1 ? 0 : r->pport;
}

void
relay_stop(struct relay *r)
{
	uint64_t one = 1;
	ssize_t n;

	do
		n = write(r->stopfd, &one, sizeof(one));
	while (n == -1 && errno == EINTR);
}

void
relay_get_stats(const struct relay *r, struct relay_stats *s)
{
	*s = r->st;
}

static void
reap(struct relay *r)
{
	while (r->dead != NULL) {
		struct conn *c = r->dead;
		r->dead = c->next;
		conn_free(c);
	}
}

int
relay_run(struct relay *r)
{
	struct epoll_event evs[256];
	int64_t next_tick = cx_now_ns() + 1000000000;

	signal(SIGPIPE, SIG_IGN);
	for (;;) {
		int n = epoll_wait(r->epfd, evs, 256, 1000);
		if (n == -1) {
			if (errno == EINTR)
				continue;
			log_warn("relay: epoll_wait");
			return -1;
		}
		for (int i = 0; i < n; i++) {
			struct ep *e = evs[i].data.ptr;
			uint32_t re = evs[i].events;
			struct conn *c = e->c;

			if (e->side == SIDE_STOP) {
				while (r->conns != NULL)
					relay_conn_close(r->conns, "relay",
					    "relay stopped");
				reap(r);
				return 0;
			}
			if (e->side == SIDE_LISTEN ||
			    e->side == SIDE_PROXY_LISTEN) {
				accept_all(r, e->side == SIDE_PROXY_LISTEN);
				continue;
			}
			if (e->side == SIDE_RESOLVED) {
				resolved(r);
				continue;
			}
			if (c->dead)
				continue;
			if (e->side == SIDE_CLIENT) {
				if (c->px != NULL &&
				    proxy_conn_client_event(c, re))
					;       /* CONNECT, TLS handshake */
				else {
					if (re & EPOLLOUT)
						relay_client_flush(c);
					if (!c->dead && ((re & (EPOLLIN |
					    EPOLLRDHUP | EPOLLHUP |
					    EPOLLERR)) || (c->cssl_rwant &&
					    (re & EPOLLOUT)))) {
						c->cssl_rwant = 0;
						client_read(c, re);
					}
				}
			} else {
				switch (c->ustate) {
				case UP_CONNECTING:
					upstream_connected(c);
					break;
				case UP_HANDSHAKE:
					upstream_handshake(c);
					break;
				case UP_OPEN:
					if (re & EPOLLOUT) {
						if (c->uread_wants_write)
							upstream_read(c);
						if (!c->dead)
							upstream_flush(c);
					}
					if (!c->dead && (re & (EPOLLIN |
					    EPOLLHUP | EPOLLERR)))
						upstream_read(c);
					/* An SSL_write that wanted a read. */
					if (!c->dead && c->ustate == UP_OPEN &&
					    cx_buf_used(&c->uout) > 0)
						upstream_flush(c);
					break;
				case UP_NONE:
				case UP_RESOLVING:
					break;
				}
			}
			if (!c->dead)
				relay_conn_events(c);
		}
		reap(r);
		if (cx_now_ns() >= next_tick) {
			check_timeouts(r);
			reap(r);
			next_tick = cx_now_ns() + 1000000000;
		}
	}
}

void
relay_set_trace(struct relay *r, struct cx_writer *w)
{
	r->cfg.trace = w;
	if (r->cfg.client_lookup && r->pp == NULL &&
	    (r->pp = cx_peerproc_new(w, r->cfg.redact_key)) == NULL)
		log_warn("relay: cannot start the /proc lookups of clients "
		    "(their processes will be unknown)");
}

void
relay_free(struct relay *r)
{
	if (r == NULL)
		return;
	while (r->conns != NULL)
		relay_conn_close(r->conns, "relay", "relay stopped");
	reap(r);
	cx_peerproc_free(r->pp);
	free(r->scratch);
	resolver_free(r->resolver);
	if (r->resfd != -1)
		close(r->resfd);
	if (r->tls)
		SSL_CTX_free(r->tls);
	if (r->srv_tls)
		SSL_CTX_free(r->srv_tls);
	if (r->lfd != -1)
		close(r->lfd);
	if (r->plfd != -1)
		close(r->plfd);
	if (r->epfd != -1)
		close(r->epfd);
	if (r->stopfd != -1)
		close(r->stopfd);
	free(r);
}
