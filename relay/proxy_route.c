/*
 * proxy_route.c: where the requests of a forward-proxy connection go
 * (proxy.h): an intercepted connection's upstream, decided at its first
 * request (--map-host, else the CONNECT's host), and a plain-HTTP proxy
 * connection's, from each request's absolute-form URL.
 */
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "proxy.h"
#include "proxy_conn.h"
#include "relay_conn.h"
#include "route.h"

/*
 * The upstream, decided at the first request: --map-host wins, else the
 * CONNECT's host and port over TLS.  0, or -1 (no usable URL).
 */
static int
decide_upstream(struct proxy_conn *px, const struct host_map_table *maps)
{
	const struct host_map *m;
	char url[400], err[300];
	int v6 = strchr(px->host, ':') != NULL;

	if ((m = host_map_find(maps, px->host)) != NULL) {
		px->rt = m->rt;
		snprintf(px->rt.prefix, sizeof(px->rt.prefix), "--map-host %s",
		    m->host);
	} else {
		snprintf(url, sizeof(url), "https://%s%s%s:%s", v6 ? "[" : "",
		    px->host, v6 ? "]" : "", px->port);
		if (url_parse(url, &px->rt.up, err, sizeof(err)) == -1)
			return -1;
		snprintf(px->rt.url, sizeof(px->rt.url), "%s", url);
		snprintf(px->rt.prefix, sizeof(px->rt.prefix), "CONNECT");
	}
	px->decided = 1;
	return 0;
}

/* A plain-HTTP proxy request's route: http://HOST[:PORT]/path. */
static const struct route *
plain_route(struct conn *c, const uint8_t *b, const struct rh_head *h,
    char *path, size_t pathlen, int *status, char *msg, size_t msglen)
{
	struct proxy_conn *px = c->px;
	const char *t = (const char *)b + h->target.off, *a, *ae, *end;
	const struct host_map *m;
	char auth[300], host[256], port[8], url[400], err[300];
	struct route *rt;
	int authed = 0;

	for (int i = 0; i < h->nheaders; i++)
		if (rh_header_is(b, &h->headers[i], "proxy-authorization") &&
		    proxy_auth_ok((const char *)b + h->headers[i].value.off,
		    h->headers[i].value.len, c->r->cfg.proxy_token))
			authed = 1;
	if (!authed) {
		*status = 407;
		snprintf(msg, msglen, "proxy authentication required on every "
		    "request");
		return NULL;
	}
	end = t + h->target.len;
	if (h->target.len <= 7 || strncasecmp(t, "http://", 7) != 0 ||
	    (h->method.len == 7 && memcmp(b + h->method.off, "CONNECT",
	    7) == 0)) {
		*status = 400;
		snprintf(msg, msglen, "a plain-HTTP proxy connection takes "
		    "requests for http:// URLs only");
		return NULL;
	}
	a = t + 7;
	for (ae = a; ae < end && *ae != '/' && *ae != '?' && *ae != '#'; ae++)
		;
	/* HOST without a port (a colon after any ']'): 80. */
	const char *lc = NULL, *rb = NULL;
	for (const char *p = a; p < ae; p++) {
		if (*p == ':')
			lc = p;
		else if (*p == ']')
			rb = p;
	}
	int has_port = lc != NULL && (rb == NULL || lc > rb);
	if (snprintf(auth, sizeof(auth), "%.*s%s", (int)(ae - a), a,
	    has_port ? "" : ":80") >= (int)sizeof(auth) ||
	    proxy_parse_authority(auth, strlen(auth), host, sizeof(host), port,
	    sizeof(port)) == -1) {
		*status = 400;
		snprintf(msg, msglen, "bad host in the request's URL");
		return NULL;
	}
	/* The path: "/" when the URL has none; no fragment. */
	char rest[MAX_TARGET + 2];
	size_t rl = (size_t)(end - ae);
	if (rl > MAX_TARGET)
		rl = MAX_TARGET;
	snprintf(rest, sizeof(rest), "%s%.*s", ae < end && *ae == '/' ? "" :
	    "/", (int)rl, ae);
	rest[strcspn(rest, "#")] = '\0';
	/* A buffer the connection's upstream does not point at. */
	rt = c->uroute == &px->prt[0] ? &px->prt[1] : &px->prt[0];
	memset(rt, 0, sizeof(*rt));
	if ((m = host_map_find(&c->r->cfg.map_hosts, host)) != NULL) {
		*rt = m->rt;
		snprintf(rt->prefix, sizeof(rt->prefix), "--map-host %s",
		    m->host);
		if (route_path(&rt->up, rest, strlen(rest), path, pathlen) == -1)
			goto toolong;
	} else {
		int v6 = strchr(host, ':') != NULL;
		snprintf(url, sizeof(url), "http://%s%s%s:%s", v6 ? "[" : "",
		    host, v6 ? "]" : "", port);
		if (url_parse(url, &rt->up, err, sizeof(err)) == -1) {
			*status = 400;
			snprintf(msg, msglen, "%s", err);
			return NULL;
		}
		snprintf(rt->url, sizeof(rt->url), "%s", url);
		snprintf(rt->prefix, sizeof(rt->prefix), "HTTP proxy");
		if (snprintf(path, pathlen, "%s", rest) >= (int)pathlen)
			goto toolong;
	}
	/* The same upstream as the connection's: keep it. */
	if (c->uroute != NULL && strcmp(c->uroute->up.origin,
	    rt->up.origin) == 0 && strcmp(c->uroute->prefix, rt->prefix) == 0)
		return c->uroute;
	return rt;
toolong:
	*status = 414;
	snprintf(msg, msglen, "request target too long");
	return NULL;
}

const struct route *
proxy_conn_route(struct conn *c, const uint8_t *b, const struct rh_head *h,
    char *path, size_t pathlen, int *status, char *msg, size_t msglen)
{
	struct proxy_conn *px = c->px;
	const char *target = (const char *)b + h->target.off;

	if (px->plain)
		return plain_route(c, b, h, path, pathlen, status, msg, msglen);
	if (h->method.len == 7 && memcmp(b + h->method.off, "CONNECT", 7) == 0) {
		*status = 405;
		snprintf(msg, msglen, "CONNECT inside an intercepted "
		    "connection is refused");
		return NULL;
	}
	if (target[0] != '/') {
		*status = 400;
		snprintf(msg, msglen, "only origin-form request targets (/path) "
		    "are accepted inside an intercepted connection");
		return NULL;
	}
	if (px->tunnel || (!px->decided &&
	    decide_upstream(px, &c->r->cfg.map_hosts) == -1)) {
		*status = 502;
		snprintf(msg, msglen, "no upstream for %s:%s", px->host,
		    px->port);
		return NULL;
	}
	if (route_path(&px->rt.up, target, h->target.len, path, pathlen) == -1) {
		*status = 414;
		snprintf(msg, msglen, "request target too long");
		return NULL;
	}
	return &px->rt;
}

const char *
proxy_conn_origin(const struct conn *c)
{
	return c->px->origin;
}
