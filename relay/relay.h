/*
 * relay.h: the recording relay.  Plain HTTP/1.1 in on loopback, HTTP(S)
 * out to configured routes only, every byte the client sends and receives
 * recorded to a trace as it passes.  One thread runs the event loop
 * (epoll, non-blocking OpenSSL); responses are forwarded as they arrive.
 */
#ifndef CX_RELAY_H
#define CX_RELAY_H

#include <stdint.h>

#include "route.h"
#include "srcredact.h"
#include "trace.h"

struct cx_ca;

/* Which CONNECT targets the proxy decrypts and records. */
enum relay_intercept {
	RELAY_INTERCEPT_ALL,            /* every host */
	RELAY_INTERCEPT_AGENT,          /* agent_hosts and mapped hosts */
	RELAY_INTERCEPT_NONE,           /* none: byte tunnels only */
};

struct relay_config {
	const char              *listen;        /* "HOST:PORT", "PORT" */
	struct route_table       routes;
	const char              *cacert;        /* extra CA file, or NULL */
	int                      insecure;      /* no upstream verification */
	struct cx_writer        *trace;         /* not owned */
	int                      header_timeout_s;      /* default 60 */
	int                      idle_timeout_s;        /* default 600 */
	/* Per address, default 10: the name lookup, then each address's
	 * connect and TLS handshake; on a timeout the next address is tried. */
	int                      connect_timeout_s;
	int                      max_conns;             /* default 4096 */
	/* --redact-at-source: credential headers hidden before they are
	 * recorded (srcredact.h), under this key; NULL: recorded as sent. */
	const struct cx_srcredact_key *redact_key;
	/* Find each client's process in /proc and record it (peerproc.h). */
	int                      client_lookup;
	/*
	 * The forward proxy (proxy.h, docs/proxy.md): with proxy_listen set
	 * (a loopback "HOST:PORT"), proxy_token and ca are required.
	 */
	const char              *proxy_listen;
	const char              *proxy_token;   /* not owned */
	struct cx_ca            *ca;            /* not owned */
	enum relay_intercept     intercept;
	/* Hosts intercepted under RELAY_INTERCEPT_AGENT (NULL-terminated;
	 * NULL: proxy_agent_hosts), besides those of map_hosts. */
	const char *const       *agent_hosts;
	struct host_map_table    map_hosts;     /* --map-host HOST=URL */
};

struct relay_stats {
	uint64_t conns;
	uint64_t requests;
	uint64_t proxy_requests;        /* of which through the proxy */
	uint64_t req_bytes;     /* from clients */
	uint64_t resp_bytes;    /* to clients */
	uint64_t errors;        /* 4xx/5xx the relay itself answered, cut streams */
};

struct relay;

/* Bind and listen; returns NULL with a one-line message in err. */
struct relay *relay_new(const struct relay_config *cfg, char *err,
    size_t errlen);
/*
 * Record to w from now on (before relay_run).  relay_new may be given no
 * trace, so that a relay that cannot start never touches the trace file.
 */
void          relay_set_trace(struct relay *r, struct cx_writer *w);
/* The address it listens on, "127.0.0.1:PORT". */
const char   *relay_address(const struct relay *r);
int           relay_port(const struct relay *r);
/* The proxy's address, "127.0.0.1:PORT", or NULL without one. */
const char   *relay_proxy_address(const struct relay *r);
int           relay_proxy_port(const struct relay *r);
/* Serve until relay_stop; returns 0, or -1 on a fatal loop error. */
int           relay_run(struct relay *r);
/* Ask relay_run to return; async-signal-safe and thread-safe. */
void          relay_stop(struct relay *r);
void          relay_get_stats(const struct relay *r, struct relay_stats *s);
void          relay_free(struct relay *r);

#endif
