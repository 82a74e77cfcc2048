/*
 * proxy.h: the relay's forward-proxy side (docs/proxy.md).
 *
 * A second loopback listener takes CONNECT host:port from clients that
 * carry the run's token.  An intercepted host gets a TLS handshake with a
 * leaf of the run's CA (ca.h), and its plaintext goes through the relay's
 * own request/response machinery (relay_conn.h): recorded the same way,
 * source CX_SRC_PROXY, the upstream chosen at the first request
 * (--map-host, else the CONNECT's host).  Any other host gets a byte
 * tunnel whose size and times are recorded, not its bytes.
 *
 * relay.c calls the proxy_conn_* hooks; the rest is for tests.
 */
#ifndef CX_PROXY_H
#define CX_PROXY_H

#include <stddef.h>
#include <stdint.h>

#include "relay_http.h"

struct conn;
struct proxy_conn;
struct route;

/* --- hooks for relay.c ------------------------------------------------ */

struct relay;
/* Listen on cfg.proxy_listen (loopback only); 0, or -1 with err. */
int  proxy_listen(struct relay *r, char *err, size_t errlen);

/* A connection accepted on the proxy listener: state and open frame. */
void proxy_conn_start(struct conn *c);
void proxy_conn_free(struct proxy_conn *px);
/*
 * Client socket events while the proxy owns the connection (the CONNECT
 * head, the 200, the TLS handshake): 1 handled, 0 the relay's to handle.
 */
int  proxy_conn_client_event(struct conn *c, uint32_t events);
/* The client interest while the proxy owns it, into *want: 1, else 0. */
int  proxy_conn_interest(const struct conn *c, uint32_t *want);
/*
 * An upstream connected without TLS: a tunnel's gets its 200, then bytes
 * flow both ways (1); anything else is the relay's (0).
 */
int  proxy_conn_upstream_open(struct conn *c);
/*
 * The route of request h (its bytes at b) and its upstream path into
 * path.  An intercepted connection's upstream is decided at its first
 * request and kept; a plain-HTTP proxy connection's (absolute-form
 * targets, http://HOST/...) at each, each carrying the token.  NULL: the
 * request is refused with *status and msg.
 */
const struct route *proxy_conn_route(struct conn *c, const uint8_t *b,
    const struct rh_head *h, char *path, size_t pathlen, int *status,
    char *msg, size_t msglen);
/*
 * What the client's request targets are relative to, for the route
 * frame: "https://HOST[:PORT]", or "" (absolute-form targets).
 */
const char *proxy_conn_origin(const struct conn *c);
/* The proxy's members of the close frame ("connect", "mode", ...). */
struct cx_jobj;
void proxy_conn_close_fields(const struct conn *c, struct cx_jobj *j);
/* Timeouts of the proxy's own states: 1 if it acted. */
int  proxy_conn_timeout(struct conn *c, int64_t now);

/* --- pieces, for tests ------------------------------------------------- */

/*
 * Does a Proxy-Authorization value carry token?  "Basic " base64 of
 * "cxrec:TOKEN", or "Bearer TOKEN"; compared in constant time.
 */
int  proxy_auth_ok(const char *value, size_t len, const char *token);
/* The agent hosts intercepted by --intercept agent (NULL-terminated). */
extern const char *const proxy_agent_hosts[];
/*
 * "host:port" (or "[v6]:port") of a CONNECT target into host and port;
 * 0, or -1 if malformed.
 */
int  proxy_parse_authority(const char *s, size_t len, char *host,
    size_t hostlen, char *port, size_t portlen);

#endif
