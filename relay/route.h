/*
 * route.h: where the relay sends a request.  A route maps a path prefix to
 * an upstream URL; the longest matching prefix wins.  As with nginx's
 * proxy_pass, an upstream URL with a path replaces the matched prefix with
 * that path (a lone "/" too); one without a path forwards the request's
 * path unchanged.
 * The relay forwards only to these: never to a Host header's target.
 */
#ifndef CX_ROUTE_H
#define CX_ROUTE_H

#include <stddef.h>

struct upstream_url {
	int     tls;            /* https */
	char    host[256];      /* no brackets for IPv6 */
	char    port[8];
	char    path[1024];     /* "" when the URL has none, "/" is one */
	char    origin[300];    /* scheme://host[:port] as it should print */
	char    hosthdr[270];   /* Host header value */
};

struct route {
	char                    prefix[512];
	char                    url[1400];      /* as given */
	struct upstream_url     up;
};

#define MAX_ROUTES 64

struct route_table {
	int             n;
	struct route    r[MAX_ROUTES];
};

/*
 * --map-host HOST=URL: the forward proxy sends what a client meant for
 * HOST to URL instead (its path prefixed to each request's, as a route
 * "/" to URL would).
 */
struct host_map {
	char                    host[256];
	struct route            rt;     /* prefix "/", the URL */
};

#define MAX_HOST_MAPS 32

struct host_map_table {
	int             n;
	struct host_map m[MAX_HOST_MAPS];
};

/* "HOST=URL"; a HOST given again replaces.  0, or -1 with err. */
int host_map_add_spec(struct host_map_table *t, const char *spec, char *err,
    size_t errlen);
/* The map for host (any case), or NULL. */
const struct host_map *host_map_find(const struct host_map_table *t,
    const char *host);

/* Parse an http(s) URL.  Returns 0, or -1 with a message in err. */
int url_parse(const char *s, struct upstream_url *u, char *err, size_t errlen);

/* Add or replace a route.  prefix "/" is the default upstream. */
int route_add(struct route_table *t, const char *prefix, const char *url,
    char *err, size_t errlen);
/* "PREFIX=URL" as given to --route. */
int route_add_spec(struct route_table *t, const char *spec, char *err,
    size_t errlen);
/* The defaults: / to api.openai.com, /backend-api/ to chatgpt.com, /oauth/ to auth.openai.com. */
void route_defaults(struct route_table *t);

/*
 * Match target (origin-form path?query).  Returns the route, or NULL when
 * none applies, and writes the upstream path into out.
 */
const struct route *route_match(const struct route_table *t,
    const char *target, size_t tlen, char *out, size_t outlen);

/*
 * The upstream path of target (origin-form) sent to up as a route "/"
 * would send it (--map-host).  0, or -1 if it does not fit in out.
 */
int route_path(const struct upstream_url *up, const char *target,
    size_t tlen, char *out, size_t outlen);

#endif
