/* cmd_replay.c: `cxrec replay`: options in, the recorded upstream served. */
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "replay_server.h"

#define USAGE_LINE \
    "usage: cxrec replay [--listen [HOST:]PORT] [--speed N] [--no-delay] " \
    "[--quiet] TRACE"

void
usage_replay(void)
{
	printf(
	    USAGE_LINE "\n"
	    "\n"
	    "Answer as the upstream recorded in TRACE: each request is matched\n"
	    "to a recorded exchange (same method and path, ids folded; then in\n"
	    "order, or by the likeness of its body) and answered with the\n"
	    "recorded status, header fields and body; event streams and\n"
	    "WebSocket messages with their recorded timing.  A request the\n"
	    "trace does not hold is answered 501, the body saying why.  Plain\n"
	    "HTTP on loopback; its URL is printed on standard error.  Point a\n"
	    "client (or cxrec relay --upstream URL) at it; cxrec run --replay\n"
	    "TRACE does all of that for an agent.\n"
	    "\n"
	    "Options:\n"
	    "  -l, --listen ADDR    where to listen: 127.0.0.1:PORT, [::1]:PORT or "
	    "PORT\n"
	    "                       (loopback only; default 127.0.0.1 and a "
	    "free port)\n"
	    "      --speed N        recorded delays divided by N (default 1; 2 is\n"
	    "                       twice as fast)\n"
	    "      --no-delay       send everything at once\n"
	    "  -q, --quiet          no line a request on standard error\n"
	    "  -h, --help           this help\n"
	    "\n"
	    "It serves until Ctrl-C (or SIGTERM).  docs/replay.md has the "
	    "details.\n"
	    "\n"
	    "Exit status: 0 stopped, 2 bad options, TRACE not a readable "
	    "trace, the\n"
	    "address in use or not loopback, 3 the server failed.\n");
}

static volatile sig_atomic_t replay_stop;

static void
on_stop(int sig)
{
	(void)sig;
	replay_stop = 1;
}

/* --speed: a positive number. */
int
replay_parse_speed(const char *s, double *out)
{
	char *end;
	double d = strtod(s, &end);

	if (*s == '\0' || *end != '\0' || !(d > 0) || d > 1e6)
		return -1;
	*out = d;
	return 0;
}

int
cmd_replay(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "listen",     required_argument, NULL, 'l' },
		{ "speed",      required_argument, NULL, 'S' },
		{ "no-delay",   no_argument,       NULL, 'D' },
		{ "quiet",      no_argument,       NULL, 'q' },
		{ "help",       no_argument,       NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	struct replay_opts o;
	struct replay_server *s;
	struct replay_stats st;
	struct sigaction sa;
	size_t n, incomplete;
	char err[1024];
	int ch, usage, rc;

	memset(&o, 0, sizeof(o));
	o.speed = 1.0;
	o.log = stderr;
	opterr = 0;
	optind = 1;
	while ((ch = getopt_long(argc, argv, "+l:qh", longopts, NULL)) != -1) {
		switch (ch) {
		case 'l':
			o.listen = optarg;
			break;
		case 'S':
			if (replay_parse_speed(optarg, &o.speed) == -1) {
				fprintf(stderr, "cxrec: replay: bad --speed "
				    "'%s' (a number above 0) (" USAGE_LINE
				    ")\n", optarg);
				return CX_EXIT_USAGE;
			}
			break;
		case 'D':
			o.no_delay = 1;
			break;
		case 'q':
			o.log = NULL;
			break;
		case 'h':
			usage_replay();
			return CX_EXIT_OK;
		default:
			fprintf(stderr, "cxrec: replay: %s option '%s' ("
			    USAGE_LINE ")\n", optopt ? "bad" : "unknown",
			    argv[optind - 1]);
			return CX_EXIT_USAGE;
		}
	}
	if (argc - optind != 1) {
		fprintf(stderr, "cxrec: replay: %s (" USAGE_LINE ")\n",
		    argc - optind == 0 ? "no TRACE" : "one TRACE only");
		return CX_EXIT_USAGE;
	}
	o.trace = argv[optind];
	if ((s = replay_server_new(&o, &usage, err, sizeof(err))) == NULL) {
		fprintf(stderr, "cxrec: replay: %s\n", err);
		return usage ? CX_EXIT_USAGE : CX_EXIT_SYS;
	}
	n = replay_server_entries(s, &incomplete);
	fprintf(stderr, "cxrec: replay: %s answers as %s (%zu exchange%s%s)\n",
	    replay_server_url(s), o.trace, n, n == 1 ? "" : "s",
	    incomplete > 0 ? ", and some incomplete: those answer 501" : "");
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_stop;                /* no SA_RESTART: wakes */
	sigemptyset(&sa.sa_mask);
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	signal(SIGPIPE, SIG_IGN);
	rc = replay_server_run(s, &replay_stop);
	replay_server_stats(s, &st);
	replay_server_free(s);
	fprintf(stderr, "cxrec: replay: %llu request%s: %llu answered from the "
	    "trace (%llu again), %llu not in it (501)",
	    (unsigned long long)st.requests, st.requests == 1 ? "" : "s",
	    (unsigned long long)st.answered, (unsigned long long)st.again,
	    (unsigned long long)st.unmatched);
	if (st.ws_messages > 0)
		fprintf(stderr, "; %llu WebSocket message%s, %llu past the "
		    "recording's", (unsigned long long)st.ws_messages,
		    st.ws_messages == 1 ? "" : "s",
		    (unsigned long long)st.ws_unmatched);
	fputc('\n', stderr);
	if (rc == -1) {
		perror("cxrec: replay: poll");
		return CX_EXIT_SYS;
	}
	return CX_EXIT_OK;
}
