/*
 * proxy_conn.h: the forward proxy's state of a connection, for its pieces
 * only (proxy.c: the CONNECT, the TLS handshake, tunnels; proxy_route.c:
 * where requests inside it go).  The relay sees struct proxy_conn as
 * opaque (relay_conn.h).
 */
#ifndef CX_PROXY_CONN_H
#define CX_PROXY_CONN_H

#include <stdint.h>
#include <openssl/ssl.h>

#include "route.h"

enum px_state {
	PX_CONNECT,             /* reading the CONNECT head */
	PX_HANDSHAKE,           /* 200 sent (or queued); TLS handshake */
	PX_RELAY,               /* the relay's: HTTP inside TLS, a tunnel,
				 * or a refusal being sent */
};

struct proxy_conn {
	enum px_state    state;
	int              tunnel;        /* not intercepted */
	int              tunnel_open;   /* its 200 is sent */
	int              refused;       /* answered with an error */
	int              decided;       /* rt holds the upstream */
	int              plain;         /* absolute-form HTTP requests */
	struct route     prt[2];        /* theirs: the current, the next */
	SSL             *ssl;           /* during the handshake */
	uint32_t         want;          /* the handshake's epoll interest */
	char             host[256];
	char             port[8];
	char             origin[300];   /* https://host[:port] */
	struct route     rt;            /* the upstream */
	uint64_t         base[3];       /* c->bytes when the tunnel opened */
};

#endif
