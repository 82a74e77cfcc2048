/*
 * relay_request.c: the client side of a connection, requests: reading
 * the client, parsing each request's head only as far as needed to route
 * it (the relay's routes, or the proxy's rules), refusing what cannot be
 * forwarded, and queueing the head, rewritten, and the body for the
 * upstream as they arrive.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>

#include <openssl/err.h>

#include "bytebuf.h"
#include "proxy.h"
#include "relay_conn.h"
#include "relay_http.h"

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
		relay_upstream_drop(c);
	}
	if (c->ustate != UP_NONE && c->uclose_after) {
		if (c->npend > 0) {
			free(h);
			c->rq = RQ_WAIT;
			return 0;
		}
		relay_upstream_drop(c);
	}
	if (c->npend >= MAX_PENDING) {
		free(h);
		c->rq = RQ_WAIT;
		return 0;
	}
	relay_record_route(c, b, h, rt, path);
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
				relay_upstream_drop(c);
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
		relay_upstream_flush(c);
}

void
relay_client_read(struct conn *c, uint32_t events)
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
