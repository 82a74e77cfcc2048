/* relay_opts.h: the relay options `cxrec relay` and `cxrec run` share. */
#ifndef CX_RELAY_OPTS_H
#define CX_RELAY_OPTS_H

#include <getopt.h>
#include <stddef.h>
#include <sys/resource.h>

#include "jsonobj.h"
#include "relay.h"
#include "trace.h"

enum {
	OPT_UPSTREAM = 256,
	OPT_ROUTE,
	OPT_CACERT,
	OPT_INSECURE,
	OPT_LISTEN,
	OPT_CODEX_AUTH,
	OPT_BPF,
	OPT_NO_PRELOAD,
	OPT_HEADER_TIMEOUT,
	OPT_IDLE_TIMEOUT,
	OPT_REDACT_AT_SOURCE,
	OPT_AGENT,
	OPT_MODE,
	OPT_MAP_HOST,
	OPT_INTERCEPT,
	OPT_PROXY_LISTEN,
	OPT_VIEW,
	OPT_VIEW_OPEN,
	OPT_REPLAY,
	OPT_SPEED,
	OPT_NO_DELAY,
	OPT_EXPORT,
	OPT_EXPORT_TO,
	OPT_EXPORT_WAIT,
	OPT_HELP,
};

#define RELAY_LONGOPTS \
	{ "upstream", required_argument, NULL, OPT_UPSTREAM }, \
	{ "route", required_argument, NULL, OPT_ROUTE }, \
	{ "cacert", required_argument, NULL, OPT_CACERT }, \
	{ "insecure", no_argument, NULL, OPT_INSECURE }, \
	{ "listen", required_argument, NULL, OPT_LISTEN }, \
	{ "output", required_argument, NULL, 'o' }, \
	{ "header-timeout", required_argument, NULL, OPT_HEADER_TIMEOUT }, \
	{ "idle-timeout", required_argument, NULL, OPT_IDLE_TIMEOUT }, \
	{ "redact-at-source", no_argument, NULL, OPT_REDACT_AT_SOURCE }, \
	{ "map-host", required_argument, NULL, OPT_MAP_HOST }, \
	{ "intercept", required_argument, NULL, OPT_INTERCEPT }, \
	{ "export", required_argument, NULL, OPT_EXPORT }, \
	{ "export-to", required_argument, NULL, OPT_EXPORT_TO }, \
	{ "export-wait", required_argument, NULL, OPT_EXPORT_WAIT }, \
	{ "help", no_argument, NULL, 'h' }

/* `cxrec relay` only: the forward proxy's own listener. */
#define RELAY_PROXY_LONGOPTS \
	{ "proxy-listen", required_argument, NULL, OPT_PROXY_LISTEN }

#define RELAY_OPTS_HELP \
	"  -o, --output FILE      the trace (default trace.bin; an existing one\n" \
	"                         is kept as FILE.old)\n" \
	"  --upstream URL         where paths not routed otherwise go\n" \
	"                         (default https://api.openai.com)\n" \
	"  --route PREFIX=URL     send paths under PREFIX to URL (repeatable;\n" \
	"                         longest prefix wins; a URL with a path replaces\n" \
	"                         PREFIX, as nginx's proxy_pass does). Defaults:\n" \
	"                         /backend-api/=https://chatgpt.com,\n" \
	"                         /oauth/=https://auth.openai.com\n" \
	"  --cacert FILE          also trust the CA certificates in FILE (PEM)\n" \
	"  --insecure             do not verify upstream certificates (recorded\n" \
	"                         in the trace)\n" \
	"  --header-timeout SECS  a client's request head must arrive within\n" \
	"                         SECS of its first byte (408), and a new\n" \
	"                         connection send one within SECS (default 60)\n" \
	"  --idle-timeout SECS    close connections quiet for SECS (default 600)\n" \
	"  --redact-at-source     keep credential headers (Authorization,\n" \
	"                         cookies, API keys) and query parameters (key=)\n" \
	"                         out of the trace: each value\n" \
	"                         recorded as a keyed fingerprint instead\n" \
	"                         (docs/security.md)\n" \
	"  --map-host HOST=URL    the forward proxy sends what clients meant for\n" \
	"                         HOST to URL instead, its path before theirs\n" \
	"                         (repeatable; docs/proxy.md)\n" \
	"  --intercept all|agent|none\n" \
	"                         which CONNECT hosts the forward proxy decrypts\n" \
	"                         and records (default all; agent: the agents'\n" \
	"                         API and sign-in hosts and mapped hosts; the\n" \
	"                         rest are tunnelled, only their sizes recorded)\n" \
	"  --export URL           export the trace as it is written (cxrec\n" \
	"                         export --follow, docs/fleet.md): ClickHouse's\n" \
	"                         http://HOST:8123/?database=NAME, or with\n" \
	"                         --export-to otlp a collector's http://HOST:4318;\n" \
	"                         a destination down is waited for, never the\n" \
	"                         recording\n" \
	"  --export-to clickhouse|otlp\n" \
	"                         what URL is (default clickhouse)\n" \
	"  --export-wait SECS     at the end, how long the export may take to\n" \
	"                         send the rest before it is stopped (its\n" \
	"                         cursor resumes it; default 10)\n"

struct relay_opts {
	struct route_table       routes;        /* the user's, no defaults */
	const char              *cacert;
	int                      insecure;
	const char              *listen;
	const char              *output;
	int                      header_timeout_s;      /* 0: default */
	int                      idle_timeout_s;
	int                      redact_at_source;
	struct cx_srcredact_key  redact_key;    /* with redact_at_source */
	struct host_map_table    map_hosts;     /* --map-host */
	enum relay_intercept     intercept;     /* --intercept */
	int                      intercept_given;
	const char              *proxy_listen;  /* --proxy-listen */
	/* --export URL (NULL: none), --export-to, --export-wait */
	const char              *export_url;
	const char              *export_to;     /* "clickhouse", "otlp" */
	int                      export_wait_s;
	/* The credential names hidden (credname.h): cli_cred_names's after
	 * relay_opts_init; more may be added before relay_opts_config. */
	struct cx_credname       cred_names;
};

void relay_opts_init(struct relay_opts *o);
/* Handle one getopt result; 1 handled, 0 not a relay option, -1 error. */
int  relay_opt(struct relay_opts *o, int opt, const char *arg, char *err,
    size_t errlen);
/*
 * The relay's configuration from the options (trace and lookup unset):
 * the default routes with the user's --upstream and --route over them.
 * With --redact-at-source, a fresh key first: -1 (said) if there is none.
 */
int  relay_opts_config(struct relay_opts *o, const struct route_table *defaults,
    struct relay_config *cfg);
/*
 * Raise the soft limit on open files to the hard one (at most 65536): a
 * relay holds two descriptors a client.  *old gets the limit as it was,
 * for a child to get back before exec.
 */
void raise_nofile(struct rlimit *old);
/* The routes as the array member key of a note: [{prefix, upstream}]. */
void routes_jobj(struct cx_jobj *j, const char *key,
    const struct route_table *t);
/* Create the trace file (-o), reporting failure in one line. */
struct cx_writer *open_trace(const struct relay_opts *o);
/* Frames lost by the writer, said in one line; 1 if any. */
int  report_losses(struct cx_writer *w, const char *path);

#endif
