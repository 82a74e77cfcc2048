/*
 * relay_upstream.c: a connection's upstream: resolving its host (off the
 * loop, resolve.h), connecting to each address in turn, the TLS handshake,
 * writing the queued requests, and dropping it or failing the exchange in
 * flight when it goes wrong.
 */
#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdio.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <openssl/err.h>

#include "bytebuf.h"
#include "log.h"
#include "proxy.h"
#include "relay_conn.h"
#include "relay_tls.h"
#include "resolve.h"

void
relay_upstream_drop(struct conn *c)
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
void
relay_upstream_idle_drop(struct conn *c)
{
	int mid_body = c->rq == RQ_BODY;

	relay_upstream_drop(c);
	if (mid_body) {
		relay_record_error(c, c->seq ? (int64_t)c->seq - 1 : -1, "the upstream "
		    "answered and closed before the request body ended; the "
		    "rest of the body was not forwarded");
		relay_end_after_flush(c, "relay", "request body cut");
	}
}

/* The upstream failed: answer 502 if nothing was answered yet, else cut. */
void
relay_upstream_fail(struct conn *c, const char *what)
{
	char msg[700];
	const char *origin = c->uroute ? c->uroute->up.origin : "upstream";

	if (c->npend == 0 && c->rs == RS_HEAD) {
		/* An idle kept-alive upstream reset: nobody was waiting. */
		relay_upstream_idle_drop(c);
		if (!c->dead)
			relay_after_responses(c);
		return;
	}
	snprintf(msg, sizeof(msg), "upstream %s: %s", origin, what);
	if (c->npend > 0 && !c->pend[0].answered) {
		uint32_t seq = c->pend[0].seq;
		relay_upstream_drop(c);
		relay_reply_error(c, seq, 502, msg);
		return;
	}
	relay_record_error(c, c->npend > 0 ? (int64_t)c->pend[0].seq : -1, msg);
	relay_upstream_drop(c);
	/* The client saw part of a response: it must see the cut. */
	if (cx_buf_used(&c->cout) == 0)
		relay_conn_close(c, "upstream", what);
	else {
		c->closing = 1;
		c->rq = RQ_DEAD;
	}
}

void
relay_upstream_set_events(struct conn *c, uint32_t want)
{
	relay_set_events(c->r->epfd, c->ufd, &c->uep, &c->uev, want);
}

/* Start a TCP connect to the next address; 0 started, -1 none left. */
int
relay_upstream_try_connect(struct conn *c, char *err, size_t errlen)
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
		relay_upstream_set_events(c, EPOLLOUT);
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
		relay_upstream_fail(c, err);
		return -1;
	}
	c->next_addr = 0;
	if (relay_upstream_try_connect(c, err, sizeof(err)) == -1) {
		relay_upstream_fail(c, err);
		return -1;
	}
	return 0;
}

/* Lookups ended: the connections waiting for one go on. */
void
relay_resolved(struct relay *r)
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

void
relay_upstream_handshake(struct conn *c)
{
	int rc;

	ERR_clear_error();
	rc = SSL_do_handshake(c->ssl);
	if (rc == 1) {
		c->ustate = UP_OPEN;
		c->uwant = 0;
		relay_upstream_flush(c);
		if (!c->dead && c->ustate == UP_OPEN)
			relay_upstream_read(c);
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
		relay_upstream_fail(c, msg);
	}
}

void
relay_upstream_connected(struct conn *c)
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
		if (relay_upstream_try_connect(c, err, sizeof(err)) == -1)
			relay_upstream_fail(c, err);
		return;
	}
	if (!c->uroute->up.tls) {
		c->ustate = UP_OPEN;
		if (c->px != NULL && proxy_conn_upstream_open(c))
			return;         /* a CONNECT tunnel: open */
		relay_upstream_flush(c);
		return;
	}
	c->ssl = tls_client_new(c->r->tls, c->ufd, c->uroute->up.host,
	    c->r->cfg.insecure);
	if (c->ssl == NULL) {
		relay_upstream_fail(c, "cannot create a TLS connection");
		return;
	}
	c->ustate = UP_HANDSHAKE;
	relay_upstream_handshake(c);
}

void
relay_upstream_flush(struct conn *c)
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
			relay_upstream_fail(c, why);
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
		relay_upstream_fail(c, strerror(errno));
		return;
	}
	/* Drained: requests held back for room may go on. */
	if (c->cin_blocked && cx_buf_used(&c->uout) < UOUT_MAX) {
		c->cin_blocked = 0;
		relay_process_requests(c);
	}
}
