/*
 * relay_conn.h: the relay's connections, for the relay's pieces (relay*.c)
 * and proxy.c only (not an API: the relay's users include relay.h).
 *
 * A connection is a client socket, the request/response state machines
 * the relay drives, and at most one upstream at a time.  The forward proxy
 * (proxy.c) owns a connection until its CONNECT is answered (and, when
 * intercepted, its TLS handshake done), then hands it to relay.c's
 * machinery with c->cssl set, or as a byte tunnel (c->norecord).
 */
#ifndef CX_RELAY_CONN_H
#define CX_RELAY_CONN_H

#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>
#include <openssl/ssl.h>

#include "bytebuf.h"
#include "relay.h"
#include "relay_http.h"
#include "resolve.h"
#include "sockaddr.h"
#include "srcredact.h"

struct proxy_conn;

#define IOBUF           (64 * 1024)
#define CIN_MAX         (256 * 1024)    /* unparsed client bytes */
#define UOUT_MAX        (1024 * 1024)   /* queued for upstream */
#define COUT_MAX        (1024 * 1024)   /* queued for the client */
#define MAX_PENDING     64              /* pipelined requests in flight */
#define MAX_TARGET      8192            /* longer request targets: 414 */
#define DYN_SLOTS       64              /* resolver slots for proxy hosts */

enum side { SIDE_LISTEN, SIDE_PROXY_LISTEN, SIDE_STOP, SIDE_RESOLVED,
    SIDE_CLIENT, SIDE_UPSTREAM };

struct ep {
	enum side        side;
	struct conn     *c;
};

enum rq_state { RQ_HEAD, RQ_BODY, RQ_WAIT, RQ_TUNNEL, RQ_DEAD };
enum rs_state { RS_HEAD, RS_BODY, RS_TUNNEL, RS_RAW };
enum up_state { UP_NONE, UP_RESOLVING, UP_CONNECTING, UP_HANDSHAKE, UP_OPEN };

struct pending {
	uint32_t seq;
	uint8_t  head;          /* HEAD request: no body in the response */
	uint8_t  upgrade;       /* asked for an Upgrade */
	uint8_t  answered;      /* some response bytes were sent */
};

struct conn {
	struct relay    *r;
	struct conn     *next, *prev;
	uint64_t         id;
	struct ep        cep, uep;
	int              cfd, ufd;
	uint32_t         cev, uev;      /* epoll interest registered */
	SSL             *ssl;
	enum up_state    ustate;
	int              uwant;         /* handshake/IO wants EPOLLIN/OUT */
	int              uread_wants_write;
	const struct route *uroute;
	struct addr_list addrs;         /* the upstream's addresses */
	int              next_addr;     /* the next one to try */
	struct cx_buf    cin, uout, cout, uhead;
	enum rq_state    rq;
	struct rh_body   rqbody;
	uint32_t         seq;
	enum rs_state    rs;
	struct rh_body   rsbody;
	int              uclose_after;  /* upstream said Connection: close */
	struct pending   pend[MAX_PENDING];
	int              npend;
	int              cin_blocked;   /* cin waits for room in uout */
	int              client_eof;    /* the client half-closed: answer, then close */
	int              deferred;      /* a refusal waits for owed responses */
	uint32_t         deferred_seq;
	char             deferred_msg[512];
	int              closing;       /* flush cout, then close */
	int              dead;
	int64_t          last_ns;       /* last activity */
	int64_t          head_ns;       /* first byte of an unfinished head */
	int64_t          connect_ns;    /* upstream connect started */
	struct cx_srcredact_conn red;   /* --redact-at-source */
	/* The forward proxy's connections (proxy.h); relay clients: NULL/0. */
	uint8_t          source;        /* CX_SRC_RELAY or CX_SRC_PROXY */
	uint8_t          norecord;      /* a tunnel: bytes counted, not recorded */
	int              uslot;         /* the resolver's slot for uroute */
	SSL             *cssl;          /* the client's TLS, once established */
	int              cssl_rwant;    /* an SSL_read wanted to write */
	uint64_t         bytes[3];      /* by direction (CX_DIR_*) */
	struct proxy_conn *px;
};

struct relay {
	struct relay_config cfg;
	SSL_CTX         *tls;
	int              lfd, plfd, epfd, stopfd, resfd;
	struct ep        lep, plep, sep, rep;
	SSL_CTX         *srv_tls;       /* the proxy's client side (ca.h) */
	char             paddr[80];     /* the proxy's address, "" if none */
	int              pport;
	struct resolver *resolver;
	char             addr[80];
	int              port;
	struct conn     *conns;
	int              nconns;
	struct conn     *dead;          /* freed after each batch */
	int              accept_paused; /* out of fds: listener out of epoll */
	struct relay_stats st;
	uint32_t         pid;
	struct cx_peerproc *pp;         /* client lookups in /proc, or NULL */
	uint8_t         *scratch;       /* --redact-at-source: what is recorded */
	size_t           scratch_len;
};


/*
 * The pieces' functions, for each other and proxy.c.  Any of them may
 * close the connection: callers check c->dead after.
 */

/* relay.c: the loop, listeners, connections. */
/* Register the epoll interest the connection's state calls for. */
void relay_conn_events(struct conn *c);
/*
 * Register interest want in fd (0: out of the epoll set, since epoll
 * reports hang-ups even with nothing asked); *cur: what is registered.
 */
void relay_set_events(int epfd, int fd, struct ep *e, uint32_t *cur,
    uint32_t want);
/* Record the close frame, close both sides; freed after the batch. */
void relay_conn_close(struct conn *c, const char *by, const char *reason);

/* relay_record.c: frames. */
/* Record n bytes in direction dir (or count them, for a tunnel). */
void relay_record(struct conn *c, uint8_t dir, const void *p, size_t n,
    int64_t ts);
void relay_record_open(struct conn *c, const char *peer, const char *local);
void relay_record_route(struct conn *c, const uint8_t *b,
    const struct rh_head *h, const struct route *rt, const char *path);
/* An error frame, for request seq (-1: the connection). */
void relay_record_error(struct conn *c, int64_t seq, const char *msg);
void relay_record_close(struct conn *c, const char *by, const char *reason);

/* relay_request.c: the client's requests. */
/* Read what the client sent (events: epoll's), and act on it. */
void relay_client_read(struct conn *c, uint32_t events);
/* Route, refuse or forward what cin holds, as far as uout has room. */
void relay_process_requests(struct conn *c);

/* relay_upstream.c: the upstream connection. */
/* Resolve and connect to rt (c->uroute); -1 if it failed already. */
int  relay_upstream_start(struct conn *c, const struct route *rt);
/* Lookups ended (the resolver's eventfd): the waiting connections go on. */
void relay_resolved(struct relay *r);
/* Connect to the next address; 0 started, -1 none left (err says why). */
int  relay_upstream_try_connect(struct conn *c, char *err, size_t errlen);
/* Socket events while connecting, in the TLS handshake. */
void relay_upstream_connected(struct conn *c);
void relay_upstream_handshake(struct conn *c);
void relay_upstream_set_events(struct conn *c, uint32_t want);
/* Write what uout holds, as far as the upstream takes it. */
void relay_upstream_flush(struct conn *c);
/* Close the upstream; the connection stays. */
void relay_upstream_drop(struct conn *c);
/* The same when nothing is owed; a request body being sent is cut. */
void relay_upstream_idle_drop(struct conn *c);
/* The upstream failed: 502 if nothing was answered yet, else cut. */
void relay_upstream_fail(struct conn *c, const char *what);

/* relay_response.c: responses, and the relay's own answers. */
/* Read the upstream, forward to the client as it comes. */
void relay_upstream_read(struct conn *c);
/* Send to the client (queued if it cannot take it now), and record. */
void relay_client_send(struct conn *c, const uint8_t *p, size_t n,
    int64_t ts);
void relay_client_flush(struct conn *c);
/* Answer with status and msg, recorded with an error frame; then close. */
void relay_reply_error(struct conn *c, int64_t seq, int status,
    const char *msg);
/* Stop reading; close once what the client is owed is sent. */
void relay_end_after_flush(struct conn *c, const char *by, const char *why);
/* A response ended: the next pipelined one starts. */
void relay_response_done(struct conn *c);
/* Every response owed is out: what waited for that goes on. */
void relay_after_responses(struct conn *c);

#endif
