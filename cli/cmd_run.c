/*
 * cmd_run.c: `cxrec run [OPTIONS] -- COMMAND`: its options and help; the
 * run itself is the run module's (run.h).
 */
#include <stdio.h>
#include <string.h>

#include "cli.h"
#include "agent.h"
#include "log.h"
#include "relay_opts.h"
#include "replay_server.h"
#include "run.h"

void
usage_run(void)
{
	printf(
	    "usage: cxrec run [OPTIONS] -- COMMAND [ARG...]\n"
	    "\n"
	    "Run COMMAND with its model API traffic recorded.  A relay starts on\n"
	    "a free loopback port; COMMAND's agent module (cxrec run --agent list)\n"
	    "points it there: base URLs (OPENAI_BASE_URL, -c openai_base_url for\n"
	    "current codex, ANTHROPIC_BASE_URL, GOOGLE_GEMINI_BASE_URL) and, for\n"
	    "what ignores them, a forward proxy with a CA made for this run\n"
	    "(HTTPS_PROXY; CODEX_CA_CERTIFICATE, NODE_EXTRA_CA_CERTS,\n"
	    "SSL_CERT_FILE, REQUESTS_CA_BUNDLE, CURL_CA_BUNDLE).  Both forward\n"
	    "over HTTPS to the real upstream and record both directions.  The\n"
	    "terminal, standard streams and signals are COMMAND's; cxrec exits\n"
	    "with its status.\n"
	    "\n"
	    "Options:\n"
	    "  --agent NAME|list      the agent module to use instead of\n"
	    "                         recognising COMMAND; list prints the table\n"
	    "  --mode base-url|proxy|both\n"
	    "                         how COMMAND is reached, instead of its\n"
	    "                         module's choice\n"
	    "  --codex-auth api|chatgpt  codex's login mode, instead of detecting it\n"
	    "  --no-preload           do not record COMMAND's own sockets and\n"
	    "                         TLS plaintext (LD_PRELOAD) for its\n"
	    "                         dynamically linked processes\n"
	    "  --bpf auto|on|off      which process made each exchange: the\n"
	    "                         kernel probe (on: or fail), /proc (off),\n"
	    "                         or the probe where it loads (auto, the\n"
	    "                         default)\n"
	    "  --view                 serve the trace live in the browser while\n"
	    "                         COMMAND runs (cxrec view): its URL on\n"
	    "                         standard error\n"
	    "  --open                 --view, and open the page (xdg-open)\n"
	    "  --replay TRACE         answer as the upstream recorded in TRACE\n"
	    "                         (cxrec replay), offline: the relay's routes\n"
	    "                         and the proxy's hosts go to it; COMMAND is\n"
	    "                         recorded as usual (-o)\n"
	    "  --speed N, --no-delay  with --replay: recorded delays divided by\n"
	    "                         N, or none\n"
	    "  --listen HOST:PORT     where the relay listens (default\n"
	    "                         127.0.0.1:0, a free port)\n"
	    RELAY_OPTS_HELP
	    "  -h, --help             this help\n"
	    "\n"
	    "A base URL or CA variable already set is respected: the URL becomes\n"
	    "the route for its path, the CA file is extended, not replaced.\n"
	    "\n"
	    "COMMAND also gets CXREC_RELAY_URL, CXREC_TRACE and NO_PROXY (extended\n"
	    "with the loopback names so that a proxy setting cannot divert the\n"
	    "relay's traffic).\n");
}

/* One of run's own options (not the relay's): 1 handled, 0 not one of
 * them, -1 said, -2 the work is done (--agent list). */
static int
run_opt(struct run_opts *o, int ch, const char *arg)
{
	static const char *const modes[] = { "base-url", "proxy", "both" };
	static const enum agent_mode mode_of[] = { AGENT_MODE_BASE_URL,
	    AGENT_MODE_PROXY, AGENT_MODE_BOTH };
	static const char *const bpfs[] = { "auto", "on", "off" };
	static const enum run_bpf bpf_of[] = { RUN_BPF_AUTO, RUN_BPF_ON,
	    RUN_BPF_OFF };

	switch (ch) {
	case OPT_CODEX_AUTH:
		if (strcmp(arg, "api") != 0 && strcmp(arg, "chatgpt") != 0) {
			log_warnx("--codex-auth '%s': expected api or chatgpt",
			    arg);
			return -1;
		}
		snprintf(o->forced_login, sizeof(o->forced_login), "%s", arg);
		return 1;
	case OPT_AGENT:
		if (strcmp(arg, "list") == 0) {
			agent_list_print();
			return -2;
		}
		if ((o->agent = agent_find(arg)) == NULL) {
			log_warnx("--agent '%s': no such agent (cxrec run "
			    "--agent list)", arg);
			return -1;
		}
		return 1;
	case OPT_MODE:
		for (int i = 0; i < 3; i++)
			if (strcmp(arg, modes[i]) == 0) {
				o->mode = mode_of[i];
				return 1;
			}
		log_warnx("--mode '%s': expected base-url, proxy or both", arg);
		return -1;
	case OPT_NO_PRELOAD:
		o->no_preload = 1;
		return 1;
	case OPT_VIEW:
		o->view = 1;
		return 1;
	case OPT_VIEW_OPEN:
		o->view = o->view_open = 1;
		return 1;
	case OPT_REPLAY:
		o->replay = arg;
		return 1;
	case OPT_SPEED:
		if (replay_parse_speed(arg, &o->replay_speed) == -1) {
			log_warnx("--speed '%s': expected a number above 0",
			    arg);
			return -1;
		}
		return 1;
	case OPT_NO_DELAY:
		o->replay_no_delay = 1;
		return 1;
	case OPT_BPF:
		for (int i = 0; i < 3; i++)
			if (strcmp(arg, bpfs[i]) == 0) {
				o->bpf = bpf_of[i];
				return 1;
			}
		log_warnx("--bpf '%s': expected auto, on or off", arg);
		return -1;
	}
	return 0;
}

int
cmd_run(int argc, char **argv)
{
	static const struct option longopts[] = {
		RELAY_LONGOPTS,
		{ "codex-auth", required_argument, NULL, OPT_CODEX_AUTH },
		{ "bpf", required_argument, NULL, OPT_BPF },
		{ "no-preload", no_argument, NULL, OPT_NO_PRELOAD },
		{ "agent", required_argument, NULL, OPT_AGENT },
		{ "mode", required_argument, NULL, OPT_MODE },
		{ "view", no_argument, NULL, OPT_VIEW },
		{ "open", no_argument, NULL, OPT_VIEW_OPEN },
		{ "replay", required_argument, NULL, OPT_REPLAY },
		{ "speed", required_argument, NULL, OPT_SPEED },
		{ "no-delay", no_argument, NULL, OPT_NO_DELAY },
		{ 0 }
	};
	struct run_opts o;
	char err[512];
	int ch, rc;

	log_init("cxrec: run");
	run_opts_init(&o);
	opterr = 0;
	while ((ch = getopt_long(argc, argv, "+:o:h", longopts, NULL)) != -1) {
		if (ch == 'h') {
			usage_run();
			return CX_EXIT_OK;
		}
		if (ch == '?' || ch == ':') {
			log_warnx("%s option '%s' (try cxrec help run)",
			    ch == ':' ? "missing argument for" : "unknown",
			    argv[optind - 1]);
			return CX_EXIT_USAGE;
		}
		if ((rc = run_opt(&o, ch, optarg)) == -2)
			return CX_EXIT_OK;
		if (rc == -1)
			return CX_EXIT_USAGE;
		if (rc == 1)
			continue;
		if ((rc = relay_opt(&o.relay, ch, optarg, err,
		    sizeof(err))) <= 0) {
			log_warnx("%s", rc < 0 ? err : "bad option");
			return CX_EXIT_USAGE;
		}
	}
	if (o.replay == NULL && (o.replay_speed > 0 || o.replay_no_delay)) {
		log_warnx("--speed and --no-delay go with --replay TRACE");
		return CX_EXIT_USAGE;
	}
	if (optind >= argc) {
		log_warnx("missing command: cxrec run [OPTIONS] -- COMMAND "
		    "[ARG...]");
		return CX_EXIT_USAGE;
	}
	return run_main(&o, argv + optind);
}
