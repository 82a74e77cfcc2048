/* relay_opts.c: options shared by `cxrec relay` and `cxrec run`. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "log.h"
#include "xmalloc.h"
#include "cli.h"
#include "relay_opts.h"

void
relay_opts_init(struct relay_opts *o)
{
	memset(o, 0, sizeof(*o));
	cli_cred_names(&o->cred_names);
	o->output = "trace.bin";
	o->export_to = "clickhouse";
	o->export_wait_s = 10;
}

int
relay_opt(struct relay_opts *o, int opt, const char *arg, char *err,
    size_t errlen)
{
	switch (opt) {
	case OPT_UPSTREAM:
		if (route_add(&o->routes, "/", arg, err, errlen) == -1)
			return -1;
		return 1;
	case OPT_ROUTE:
		if (route_add_spec(&o->routes, arg, err, errlen) == -1)
			return -1;
		return 1;
	case OPT_CACERT:
		o->cacert = arg;
		return 1;
	case OPT_INSECURE:
		o->insecure = 1;
		return 1;
	case OPT_REDACT_AT_SOURCE:
		o->redact_at_source = 1;
		return 1;
	case OPT_MAP_HOST:
		if (host_map_add_spec(&o->map_hosts, arg, err, errlen) == -1)
			return -1;
		return 1;
	case OPT_EXPORT:
		if (strncmp(arg, "http://", 7) != 0 &&
		    strncmp(arg, "https://", 8) != 0) {
			snprintf(err, errlen, "--export '%s': expected an "
			    "http:// or https:// URL", arg);
			return -1;
		}
		o->export_url = arg;
		return 1;
	case OPT_EXPORT_TO:
		if (strcmp(arg, "clickhouse") != 0 && strcmp(arg, "otlp") != 0) {
			snprintf(err, errlen, "--export-to '%s': expected "
			    "clickhouse or otlp", arg);
			return -1;
		}
		o->export_to = arg;
		return 1;
	case OPT_EXPORT_WAIT: {
		char *end;
		long v;

		errno = 0;
		v = strtol(arg, &end, 10);
		if (errno != 0 || end == arg || *end != '\0' || v < 0 ||
		    v > 86400) {
			snprintf(err, errlen, "--export-wait '%s': expected "
			    "seconds from 0 to 86400", arg);
			return -1;
		}
		o->export_wait_s = (int)v;
		return 1;
	}
	case OPT_INTERCEPT:
		o->intercept_given = 1;
		if (strcmp(arg, "all") == 0)
			o->intercept = RELAY_INTERCEPT_ALL;
		else if (strcmp(arg, "agent") == 0)
			o->intercept = RELAY_INTERCEPT_AGENT;
		else if (strcmp(arg, "none") == 0)
			o->intercept = RELAY_INTERCEPT_NONE;
		else {
			snprintf(err, errlen, "--intercept '%s': expected all, "
			    "agent or none", arg);
			return -1;
		}
		return 1;
	case OPT_LISTEN:
	case OPT_PROXY_LISTEN: {
		/* The port, after the last colon (or the whole of it). */
		const char *c = strrchr(arg, ':'), *port = c ? c + 1 : arg;

		if (port[0] == '\0' || strspn(port, "0123456789") !=
		    strlen(port) || strlen(port) > 5 || atoi(port) > 65535) {
			snprintf(err, errlen, "--%s '%s': expected HOST:PORT "
			    "with a port from 0 to 65535", opt == OPT_LISTEN ?
			    "listen" : "proxy-listen", arg);
			return -1;
		}
		if (opt == OPT_LISTEN)
			o->listen = arg;
		else
			o->proxy_listen = arg;
		return 1;
	}
	case OPT_HEADER_TIMEOUT:
	case OPT_IDLE_TIMEOUT: {
		char *end;
		long v;

		errno = 0;
		v = strtol(arg, &end, 10);
		if (errno != 0 || end == arg || *end != '\0' || v < 1 ||
		    v > 86400) {
			snprintf(err, errlen, "--%s '%s': expected a number of "
			    "seconds from 1 to 86400", opt == OPT_HEADER_TIMEOUT ?
			    "header-timeout" : "idle-timeout", arg);
			return -1;
		}
		if (opt == OPT_HEADER_TIMEOUT)
			o->header_timeout_s = (int)v;
		else
			o->idle_timeout_s = (int)v;
		return 1;
	}
	case 'o':
		if (arg[0] == '\0') {
			snprintf(err, errlen, "-o: empty file name");
			return -1;
		}
		o->output = arg;
		return 1;
	}
	return 0;
}

int
relay_opts_config(struct relay_opts *o, const struct route_table *defaults,
    struct relay_config *cfg)
{
	char err[512];

	memset(cfg, 0, sizeof(*cfg));
	/* The defaults, then the user's routes over them, in order. */
	cfg->routes = *defaults;
	for (int i = 0; i < o->routes.n; i++)
		if (route_add(&cfg->routes, o->routes.r[i].prefix,
		    o->routes.r[i].url, err, sizeof(err)) == -1) {
			log_warnx("%s", err);
			return -1;
		}
	if (o->redact_at_source) {
		if (cx_srcredact_key_new(&o->redact_key) == -1) {
			log_warn("--redact-at-source: no random key");
			return -1;
		}
		o->redact_key.names = &o->cred_names;
		cfg->redact_key = &o->redact_key;
	}
	cfg->listen = o->listen;
	cfg->cacert = o->cacert;
	cfg->insecure = o->insecure;
	cfg->header_timeout_s = o->header_timeout_s;
	cfg->idle_timeout_s = o->idle_timeout_s;
	cfg->map_hosts = o->map_hosts;
	cfg->intercept = o->intercept;
	cfg->proxy_listen = o->proxy_listen;
	return 0;
}

void
raise_nofile(struct rlimit *old)
{
	struct rlimit rl;

	if (getrlimit(RLIMIT_NOFILE, old) == -1) {
		old->rlim_cur = old->rlim_max = RLIM_INFINITY;
		return;
	}
	rl = *old;
	rl.rlim_cur = rl.rlim_max < 65536 ? rl.rlim_max : 65536;
	if (rl.rlim_cur > old->rlim_cur)
		setrlimit(RLIMIT_NOFILE, &rl);
}

void
routes_jobj(struct cx_jobj *j, const char *key, const struct route_table *t)
{
	cx_jobj_array(j, key);
	for (int i = 0; i < t->n; i++) {
		cx_jobj_object(j, NULL);
		cx_jobj_str(j, "prefix", t->r[i].prefix);
		cx_jobj_str(j, "upstream", t->r[i].url);
		cx_jobj_close(j);
	}
	cx_jobj_close(j);
}

struct cx_writer *
open_trace(const struct relay_opts *o)
{
	char err[512];
	struct cx_writer *w = cx_writer_create(o->output, CX_W_KEEP_OLD |
	    (o->redact_at_source ? CX_W_REDACTED : 0), err, sizeof(err));

	if (w == NULL)
		log_warnx("%s", err);
	return w;
}

int
report_losses(struct cx_writer *w, const char *path)
{
	uint64_t lf, lb;

	cx_writer_stats(w, NULL, NULL, &lf, &lb);
	if (lf == 0)
		return 0;
	log_warnx("warning: %llu frames (%llu bytes) could not be written to "
	    "%s: %s; the traffic itself was not affected",
	    (unsigned long long)lf, (unsigned long long)lb, path,
	    strerror(cx_writer_last_errno(w)));
	return 1;
}
