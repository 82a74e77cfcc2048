/* cmd_view.c: `cxrec view`: options in, the live view's server out. */
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "credname.h"
#include "price.h"
#include "trace.h"
#include "view_server.h"

#define USAGE_LINE \
    "usage: cxrec view [--listen [HOST:]PORT] [--open] [--no-redact] " \
    "[--max-body N] [--prices FILE] TRACE"

void
usage_view(void)
{
	printf(
	    USAGE_LINE "\n"
	    "\n"
	    "Serve TRACE as a page in the browser, live: the conversation and\n"
	    "the exchanges as they are recorded (by cxrec run or cxrec relay\n"
	    "writing TRACE in another terminal), each new exchange and each\n"
	    "streamed event within ~0.2 s; and the whole HTML report of TRACE\n"
	    "as it is now, a link away.  The URL, with a random token that\n"
	    "keeps other local users out, is printed on standard error.\n"
	    "\n"
	    "Options:\n"
	    "  -l, --listen ADDR    where to listen: 127.0.0.1:PORT, [::1]:PORT or "
	    "PORT\n"
	    "                       (loopback only; default 127.0.0.1 and a "
	    "free port)\n"
	    "      --open           open the page with xdg-open (where there is "
	    "a desktop)\n"
	    "      --no-redact      show credentials (as decode --no-redact)\n"
	    "      --max-body N     at most N bytes of each body and event "
	    "(default 1 MiB)\n"
	    "      --prices FILE    prices from FILE (docs/prices.md)\n"
	    "  -h, --help           this help\n"
	    "\n"
	    "It serves until Ctrl-C (or SIGTERM); a page already open keeps "
	    "what it\n"
	    "shows.  Viewers read the trace file, never the recorder: none can "
	    "slow\n"
	    "or stop the recording.  docs/view.md has the details.\n"
	    "\n"
	    "Exit status: 0 stopped, 2 bad options, TRACE not a readable "
	    "trace, the\n"
	    "address in use or not loopback, 3 the server failed.\n");
}

static volatile sig_atomic_t view_stop;

static void
on_stop(int sig)
{
	(void)sig;
	view_stop = 1;
}

int
view_serve(const struct view_opts *o, int open_browser, volatile sig_atomic_t
    *stop)
{
	struct view_server *s;
	char err[512];
	int rc;

	if ((s = view_server_new(o, err, sizeof(err))) == NULL) {
		fprintf(stderr, "cxrec: view: %s\n", err);
		return CX_EXIT_USAGE;
	}
	fprintf(stderr, "cxrec: view: %s\n", view_server_url(s));
	if (open_browser)
		view_open_browser(view_server_url(s));
	rc = view_server_run(s, stop);
	view_server_free(s);
	if (rc == -1) {
		perror("cxrec: view: poll");
		return CX_EXIT_SYS;
	}
	return CX_EXIT_OK;
}

int
cmd_view(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "listen",     required_argument, NULL, 'l' },
		{ "open",       no_argument,       NULL, 'O' },
		{ "no-redact",  no_argument,       NULL, 'R' },
		{ "max-body",   required_argument, NULL, 'M' },
		{ "prices",     required_argument, NULL, 'p' },
		{ "help",       no_argument,       NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	struct view_opts o;
	struct cx_credname names;
	struct cx_prices *prices = NULL;
	struct cx_reader *r;
	struct sigaction sa;
	const char *prices_path = NULL;
	char err[1024], *end;
	int ch, open_browser = 0, rc;

	memset(&o, 0, sizeof(o));
	o.live.max_body = 1u << 20;
	opterr = 0;
	optind = 1;
	while ((ch = getopt_long(argc, argv, "+l:h", longopts, NULL)) != -1) {
		switch (ch) {
		case 'l':
			o.listen = optarg;
			break;
		case 'O':
			open_browser = 1;
			break;
		case 'R':
			o.live.no_redact = 1;
			break;
		case 'M':
			o.live.max_body = strtoull(optarg, &end, 10);
			if (*optarg == '\0' || *end != '\0' || *optarg == '-') {
				fprintf(stderr, "cxrec: view: bad --max-body "
				    "'%s' (a byte count) (" USAGE_LINE ")\n",
				    optarg);
				return CX_EXIT_USAGE;
			}
			break;
		case 'p':
			prices_path = optarg;
			break;
		case 'h':
			usage_view();
			return CX_EXIT_OK;
		default:
			fprintf(stderr, "cxrec: view: %s option '%s' (" USAGE_LINE
			    ")\n", optopt ? "bad" : "unknown",
			    argv[optind - 1]);
			return CX_EXIT_USAGE;
		}
	}
	if (argc - optind != 1) {
		fprintf(stderr, "cxrec: view: %s (" USAGE_LINE ")\n",
		    argc - optind == 0 ? "no TRACE" : "one TRACE only");
		return CX_EXIT_USAGE;
	}
	o.trace = argv[optind];
	if ((r = cx_reader_open(o.trace, err, sizeof(err))) == NULL) {
		fprintf(stderr, "cxrec: view: %s\n", err);
		return CX_EXIT_USAGE;
	}
	cx_reader_close(r);
	if (prices_path != NULL) {
		if ((prices = cx_prices_load(prices_path, err,
		    sizeof(err))) == NULL) {
			fprintf(stderr, "cxrec: view: --prices %s\n", err);
			return CX_EXIT_USAGE;
		}
		o.live.prices = prices;
	}
	cli_cred_names(&names);
	o.live.names = &names;
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_stop;                /* no SA_RESTART: wakes */
	sigemptyset(&sa.sa_mask);
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	signal(SIGPIPE, SIG_IGN);
	rc = view_serve(&o, open_browser, &view_stop);
	cx_prices_free(prices);
	return rc;
}
