/*
 * relay.c: the recording relay's event loop, its listeners and
 * connections: accepting, registering each side's epoll interest,
 * timeouts, closing; and the public API (relay.h).
 *
 * Each client connection has at most one upstream connection at a time.
 * Requests are parsed only as far as needed to route them (the head) and to
 * find where they end (body framing); responses likewise.  Bytes are
 * forwarded as soon as they arrive and recorded as they pass: the client's
 * bytes as received, and exactly what the client is sent.  The pieces, by
 * concept (relay_conn.h): relay_request.c (the client's requests),
 * relay_upstream.c (connecting, TLS, writing), relay_response.c (responses
 * back to the client, the relay's own answers), relay_record.c (frames).
 *
 * Connections accepted on the forward proxy's listener (proxy.c) go
 * through the proxy_conn_* hooks until their CONNECT is answered; after
 * that they are the relay's like any other, their client side over TLS
 * (c->cssl) when intercepted.
 */
#include <arpa/inet.h>
#include <errno.h>
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
#include <unistd.h>

#include <openssl/err.h>

#include "bytebuf.h"
#include "log.h"
#include "peerproc.h"
#include "proxy.h"
#include "relay.h"
#include "relay_conn.h"
#include "relay_tls.h"
#include "resolve.h"
#include "xmalloc.h"

static void accept_resume(struct relay *r);

/* --- connections ----------------------------------------------------------- */

/*
 * Register interest in fd.  Nothing wanted means out of the set: epoll
 * reports hang-ups even with no events asked, which would spin the loop
 * while a side waits for room.  *cur: what is registered (0: not in set).
 */
void
relay_set_events(int epfd, int fd, struct ep *e, uint32_t *cur, uint32_t want)
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
	relay_set_events(c->r->epfd, c->cfd, &c->cep, &c->cev, want);
	switch (c->ustate) {
	case UP_NONE:
	case UP_RESOLVING:
		break;
	case UP_CONNECTING:
		relay_upstream_set_events(c, EPOLLOUT);
		break;
	case UP_HANDSHAKE:
		relay_upstream_set_events(c, (uint32_t)c->uwant);
		break;
	case UP_OPEN:
		want = 0;
		if (cx_buf_used(&c->cout) < COUT_MAX)
			want |= EPOLLIN;
		if ((c->uwant & EPOLLOUT) || c->uread_wants_write)
			want |= EPOLLOUT;
		relay_upstream_set_events(c, want);
		break;
	}
}

void
relay_conn_close(struct conn *c, const char *by, const char *reason)
{
	struct relay *r = c->r;

	if (c->dead)
		return;
	c->dead = 1;
	relay_record_close(c, by, reason);
	if (c->cssl != NULL) {
		ERR_clear_error();
		SSL_shutdown(c->cssl);  /* close_notify, if it fits now */
		ERR_clear_error();
	}
	relay_upstream_drop(c);
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
		cx_sockaddr_str(&ss, peer, sizeof(peer));
		int have_local = getsockname(fd, (struct sockaddr *)&ls,
		    &ll) == 0;
		if (have_local)
			cx_sockaddr_str(&ls, local, sizeof(local));
		else
			snprintf(local, sizeof(local), "unknown");
		relay_record_open(c, peer, local);
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
			    relay_upstream_try_connect(c, err,
			    sizeof(err)) == 0)
				continue;
			relay_upstream_fail(c, c->ustate == UP_RESOLVING ?
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
	if (cx_listen_parse(cfg->listen ? cfg->listen : "127.0.0.1:0", &ss, &sl,
	    err, errlen) == -1)
		goto fail;
	if (!cx_sockaddr_loopback(&ss))
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
	cx_sockaddr_str(&ss, r->addr, sizeof(r->addr));
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
				relay_resolved(r);
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
						relay_client_read(c, re);
					}
				}
			} else {
				switch (c->ustate) {
				case UP_CONNECTING:
					relay_upstream_connected(c);
					break;
				case UP_HANDSHAKE:
					relay_upstream_handshake(c);
					break;
				case UP_OPEN:
					if (re & EPOLLOUT) {
						if (c->uread_wants_write)
							relay_upstream_read(c);
						if (!c->dead)
							relay_upstream_flush(c);
					}
					if (!c->dead && (re & (EPOLLIN |
					    EPOLLHUP | EPOLLERR)))
						relay_upstream_read(c);
					/* An SSL_write that wanted a read. */
					if (!c->dead && c->ustate == UP_OPEN &&
					    cx_buf_used(&c->uout) > 0)
						relay_upstream_flush(c);
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
