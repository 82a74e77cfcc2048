/* cmd_relay.c: `cxrec relay`, the relay alone until SIGINT or SIGTERM. */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli.h"
#include "export_child.h"
#include "log.h"
#include "note.h"
#include "xmalloc.h"
#include "proxy_setup.h"
#include "relay_opts.h"

void
usage_relay(void)
{
	printf(
	    "usage: cxrec relay [OPTIONS]\n"
	    "\n"
	    "Run the recording relay alone, for a client you start yourself: it\n"
	    "takes plain HTTP/1.1 on a loopback port, forwards each request over\n"
	    "HTTPS to the configured upstream and records both directions.\n"
	    "Point the client at it, e.g. OPENAI_BASE_URL=http://127.0.0.1:8080/v1.\n"
	    "SIGINT or SIGTERM stops it; the trace is complete when it exits.\n"
	    "\n"
	    "Options:\n"
	    "  --listen HOST:PORT     where to listen (default 127.0.0.1:8080;\n"
	    "                         port 0 picks a free one; a non-loopback\n"
	    "                         address is warned about)\n"
	    "  --proxy-listen HOST:PORT\n"
	    "                         also be a forward proxy there (loopback;\n"
	    "                         port 0 picks one) for clients that ignore\n"
	    "                         base URLs: a CA made for this run, its\n"
	    "                         certificate and the proxy's URL with its\n"
	    "                         token said on stderr (docs/proxy.md)\n"
	    RELAY_OPTS_HELP
	    "  -h, --help             this help\n");
}

static struct relay *the_relay;

static void
on_stop(int sig)
{
	(void)sig;
	if (the_relay != NULL)
		relay_stop(the_relay);
}

/* What the relay note says. */
struct relay_note {
	const struct relay_opts         *o;
	const struct relay_config       *cfg;
	const struct proxy_setup        *ps;
	const struct relay              *r;
};

/* The note that says what this trace is. */
static void
relay_note(struct cx_jobj *j, const void *arg)
{
	const struct relay_note *n = arg;

	cx_jobj_str(j, "type", "relay");
	cx_jobj_str(j, "cxrec_version", CXREC_VERSION);
	cx_jobj_str(j, "listen", relay_address(n->r));
	routes_jobj(j, "routes", &n->cfg->routes);
	cx_jobj_bool(j, "insecure", n->o->insecure);
	if (n->o->cacert != NULL)
		cx_jobj_str(j, "cacert", n->o->cacert);
	else
		cx_jobj_raw(j, "cacert", "null");
	cx_jobj_bool(j, "redact_at_source", n->o->redact_at_source);
	if (n->o->proxy_listen != NULL)
		proxy_setup_jobj(j, "proxy", n->ps, n->r, n->cfg);
	else
		cx_jobj_raw(j, "proxy", "null");
}

int
cmd_relay(int argc, char **argv)
{
	static const struct option longopts[] = { RELAY_LONGOPTS,
	    RELAY_PROXY_LONGOPTS, { 0 } };
	struct proxy_setup ps = { 0 };
	struct relay_opts o;
	struct relay_config cfg;
	struct relay_stats st;
	struct cx_writer *w;
	struct sigaction sa;
	struct rlimit nofile;
	pid_t export_pid;
	char err[512];
	int ch, rc;

	log_init("cxrec: relay");
	relay_opts_init(&o);
	o.listen = "127.0.0.1:8080";
	opterr = 0;
	while ((ch = getopt_long(argc, argv, ":o:h", longopts, NULL)) != -1) {
		if (ch == 'h') {
			usage_relay();
			return CX_EXIT_OK;
		}
		if (ch == '?' || ch == ':') {
			log_warnx("%s option '%s' (try cxrec help relay)",
			    ch == ':' ? "missing argument for" : "unknown",
			    argv[optind - 1]);
			return CX_EXIT_USAGE;
		}
		if ((rc = relay_opt(&o, ch, optarg, err, sizeof(err))) <= 0) {
			log_warnx("%s", rc < 0 ? err : "bad option");
			return CX_EXIT_USAGE;
		}
	}
	if (optind < argc) {
		log_warnx("unexpected argument '%s' (try cxrec help relay)",
		    argv[optind]);
		return CX_EXIT_USAGE;
	}
	raise_nofile(&nofile);
	struct route_table defaults;
	route_defaults(&defaults);
	if (relay_opts_config(&o, &defaults, &cfg) == -1)
		return CX_EXIT_SYS;
	cfg.client_lookup = 1;          /* each client's process, from /proc */
	if (o.proxy_listen != NULL &&
	    proxy_setup_init(&ps, &cfg, err, sizeof(err)) == -1) {
		log_warnx("%s", err);
		return CX_EXIT_SYS;
	}
	/* Listening first: a relay that cannot start leaves the trace be. */
	if ((the_relay = relay_new(&cfg, err, sizeof(err))) == NULL) {
		log_warnx("%s", err);
		proxy_setup_free(&ps);
		return CX_EXIT_SYS;
	}
	if ((w = open_trace(&o)) == NULL) {
		relay_free(the_relay);
		the_relay = NULL;
		proxy_setup_free(&ps);
		return CX_EXIT_SYS;
	}
	relay_set_trace(the_relay, w);
	struct relay_note rn = { &o, &cfg, &ps, the_relay };
	cli_note(w, relay_note, &rn);
	export_pid = export_child_start(&o);
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_stop;
	sigemptyset(&sa.sa_mask);
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	if (o.insecure)
		log_warnx("warning: --insecure: upstream certificates are not "
		    "verified");
	fprintf(stderr, "cxrec: relay: listening on http://%s, recording to "
	    "%s (Ctrl-C to stop)\n", relay_address(the_relay), o.output);
	if (o.proxy_listen != NULL) {
		char url[200];
		proxy_setup_url(&ps, the_relay, url, sizeof(url));
		fprintf(stderr, "cxrec: relay: proxy %s (CA certificate %s)\n",
		    url, ps.ca_path);
	}
	rc = relay_run(the_relay);
	relay_get_stats(the_relay, &st);
	relay_free(the_relay);
	the_relay = NULL;
	proxy_setup_free(&ps);
	fprintf(stderr, "cxrec: relay: %llu connections, %llu requests, %llu "
	    "bytes in, %llu bytes out, recorded to %s\n",
	    (unsigned long long)st.conns, (unsigned long long)st.requests,
	    (unsigned long long)st.req_bytes, (unsigned long long)st.resp_bytes,
	    o.output);
	report_losses(w, o.output);
	cx_writer_end(w, CX_SRC_RELAY);         /* decode --follow stops */
	cx_writer_close(w);
	export_child_stop(export_pid, &o);
	return rc == 0 ? CX_EXIT_OK : CX_EXIT_SYS;
}
