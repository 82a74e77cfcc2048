/* route.c: path-prefix routes to upstream URLs. */
#include <ctype.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "route.h"

int
url_parse(const char *s, struct upstream_url *u, char *err, size_t errlen)
{
	const char *p, *hs, *he, *ps;
	size_t n;

	memset(u, 0, sizeof(*u));
	if (strncasecmp(s, "https://", 8) == 0) {
		u->tls = 1;
		p = s + 8;
	} else if (strncasecmp(s, "http://", 7) == 0) {
		p = s + 7;
	} else {
		snprintf(err, errlen, "'%s': not an http:// or https:// URL", s);
		return -1;
	}
	if (*p == '[') {
		hs = p + 1;
		if ((he = strchr(hs, ']')) == NULL) {
			snprintf(err, errlen, "'%s': unterminated IPv6 address", s);
			return -1;
		}
		ps = he + 1;
	} else {
		hs = p;
		he = hs + strcspn(hs, ":/?#");
		ps = he;
	}
	n = (size_t)(he - hs);
	if (n == 0 || n >= sizeof(u->host)) {
		snprintf(err, errlen, "'%s': no host", s);
		return -1;
	}
	memcpy(u->host, hs, n);
	if (strchr(u->host, '@') != NULL) {
		snprintf(err, errlen, "'%s': credentials in URLs are not supported", s);
		return -1;
	}
	if (*ps == ':') {
		const char *pe = ++ps;
		while (isdigit((unsigned char)*pe))
			pe++;
		if (pe == ps || pe - ps > 5 || (*pe && *pe != '/')) {
			snprintf(err, errlen, "'%s': bad port", s);
			return -1;
		}
		memcpy(u->port, ps, (size_t)(pe - ps));
		ps = pe;
	} else {
		strcpy(u->port, u->tls ? "443" : "80");
	}
	if (*ps == '?' || *ps == '#') {
		snprintf(err, errlen, "'%s': query or fragment not allowed", s);
		return -1;
	}
	if (strlen(ps) >= sizeof(u->path)) {
		snprintf(err, errlen, "'%s': path too long", s);
		return -1;
	}
	strcpy(u->path, ps);    /* "/" too: as nginx, it replaces a prefix */
	int deflt = strcmp(u->port, u->tls ? "443" : "80") == 0;
	int v6 = strchr(u->host, ':') != NULL;
	snprintf(u->hosthdr, sizeof(u->hosthdr), "%s%s%s%s%s", v6 ? "[" : "",
	    u->host, v6 ? "]" : "", deflt ? "" : ":", deflt ? "" : u->port);
	snprintf(u->origin, sizeof(u->origin), "%s://%s",
	    u->tls ? "https" : "http", u->hosthdr);
	return 0;
}

int
route_add(struct route_table *t, const char *prefix, const char *url,
    char *err, size_t errlen)
{
	struct route *r = NULL;

	if (prefix[0] != '/') {
		snprintf(err, errlen, "route prefix '%s' must start with /",
		    prefix);
		return -1;
	}
	if (strlen(prefix) >= sizeof(r->prefix) || strlen(url) >= sizeof(r->url)) {
		snprintf(err, errlen, "route '%s=%s' is too long", prefix, url);
		return -1;
	}
	for (int i = 0; i < t->n; i++)
		if (strcmp(t->r[i].prefix, prefix) == 0)
			r = &t->r[i];
	if (r == NULL) {
		if (t->n >= MAX_ROUTES) {
			snprintf(err, errlen, "too many routes (at most %d)",
			    MAX_ROUTES);
			return -1;
		}
		r = &t->r[t->n];
	}
	struct route nr;
	memset(&nr, 0, sizeof(nr));
	if (url_parse(url, &nr.up, err, errlen) == -1)
		return -1;
	strcpy(nr.prefix, prefix);
	strcpy(nr.url, url);
	if (r == &t->r[t->n])
		t->n++;
	*r = nr;
	return 0;
}

int
route_add_spec(struct route_table *t, const char *spec, char *err,
    size_t errlen)
{
	const char *eq = strchr(spec, '=');
	char prefix[512];

	if (eq == NULL || eq == spec || (size_t)(eq - spec) >= sizeof(prefix)) {
		snprintf(err, errlen, "--route '%s': expected PREFIX=URL", spec);
		return -1;
	}
	memcpy(prefix, spec, (size_t)(eq - spec));
	prefix[eq - spec] = '\0';
	return route_add(t, prefix, eq + 1, err, errlen);
}

void
route_defaults(struct route_table *t)
{
	char err[256];

	t->n = 0;
	route_add(t, "/", "https://api.openai.com", err, sizeof(err));
	route_add(t, "/backend-api/", "https://chatgpt.com", err, sizeof(err));
	route_add(t, "/oauth/", "https://auth.openai.com", err, sizeof(err));
}

/* Does target start with prefix at a path boundary? */
static int
prefix_matches(const char *prefix, const char *target, size_t tlen)
{
	size_t pl = strlen(prefix);

	if (pl > tlen || strncmp(prefix, target, pl) != 0)
		return 0;
	if (pl == tlen || prefix[pl - 1] == '/')
		return 1;
	return target[pl] == '/' || target[pl] == '?';
}

/* The upstream path of target, matched by prefix, for up.  0, or -1. */
static int
join_path(const struct upstream_url *u, const char *prefix, const char *target,
    size_t tlen, char *out, size_t outlen)
{
	size_t bl = strlen(prefix);
	int n;

	if (u->path[0] == '\0') {
		n = snprintf(out, outlen, "%.*s", (int)tlen, target);
	} else {
		/* nginx proxy_pass: the matched prefix becomes the URL's path */
		const char *rest = target + bl;
		size_t rl = tlen - bl;
		const char *up = u->path;
		size_t ul = strlen(up);
		/* avoid "//" or a missing "/" at the join */
		if (ul > 0 && up[ul - 1] == '/' && rl > 0 && rest[0] == '/') {
			rest++;
			rl--;
		}
		n = snprintf(out, outlen, "%s%s%.*s", up,
		    (ul > 0 && up[ul - 1] != '/' && rl > 0 && rest[0] != '/' &&
		    rest[0] != '?' && prefix[bl - 1] == '/') ? "/" : "",
		    (int)rl, rest);
	}
	return n < 0 || (size_t)n >= outlen ? -1 : 0;
}

const struct route *
route_match(const struct route_table *t, const char *target, size_t tlen,
    char *out, size_t outlen)
{
	const struct route *best = NULL;
	size_t bl = 0;

	if (tlen == 0 || target[0] != '/')
		return NULL;
	for (int i = 0; i < t->n; i++) {
		size_t pl = strlen(t->r[i].prefix);
		if ((best == NULL || pl > bl) &&
		    prefix_matches(t->r[i].prefix, target, tlen)) {
			best = &t->r[i];
			bl = pl;
		}
	}
	if (best == NULL)
		return NULL;
	if (join_path(&best->up, best->prefix, target, tlen, out, outlen) == -1)
		return NULL;
	return best;
}

int
route_path(const struct upstream_url *up, const char *target, size_t tlen,
    char *out, size_t outlen)
{
	if (tlen == 0 || target[0] != '/')
		return -1;
	return join_path(up, "/", target, tlen, out, outlen);
}

int
host_map_add_spec(struct host_map_table *t, const char *spec, char *err,
    size_t errlen)
{
	const char *eq = strchr(spec, '=');
	struct route one;
	struct host_map *m = NULL;
	size_t hl;

	if (eq == NULL || eq == spec) {
		snprintf(err, errlen, "--map-host '%s': expected HOST=URL", spec);
		return -1;
	}
	hl = (size_t)(eq - spec);
	if (hl >= sizeof(m->host) || memchr(spec, '/', hl) != NULL ||
	    memchr(spec, ':', hl) != NULL) {
		snprintf(err, errlen, "--map-host '%s': HOST must be a host name "
		    "without a port or path", spec);
		return -1;
	}
	memset(&one, 0, sizeof(one));
	if (strlen(eq + 1) >= sizeof(one.url)) {
		snprintf(err, errlen, "--map-host '%s': URL too long", spec);
		return -1;
	}
	if (url_parse(eq + 1, &one.up, err, errlen) == -1)
		return -1;
	strcpy(one.prefix, "/");
	strcpy(one.url, eq + 1);
	for (int i = 0; i < t->n; i++)
		if (strlen(t->m[i].host) == hl &&
		    strncasecmp(t->m[i].host, spec, hl) == 0)
			m = &t->m[i];
	if (m == NULL) {
		if (t->n >= MAX_HOST_MAPS) {
			snprintf(err, errlen, "too many --map-host (at most %d)",
			    MAX_HOST_MAPS);
			return -1;
		}
		m = &t->m[t->n++];
	}
	memcpy(m->host, spec, hl);
	m->host[hl] = '\0';
	m->rt = one;
	return 0;
}

const struct host_map *
host_map_find(const struct host_map_table *t, const char *host)
{
	for (int i = 0; i < t->n; i++)
		if (strcasecmp(t->m[i].host, host) == 0)
			return &t->m[i];
	return NULL;
}
