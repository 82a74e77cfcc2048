/* cmd_decode.c: `cxrec decode`: options in, cx_decode (decode.h) out. */
#include <errno.h>
#include <getopt.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "cli.h"
#include "credname.h"
#include "decode.h"
#include "output.h"
#include "price.h"
#include "trace.h"

#define USAGE_LINE \
    "usage: cxrec decode [-f FORMAT] [-o OUT] " \
    "[--no-redact] [--prices FILE] [FILTERS] TRACE"

void
usage_decode(void)
{
	printf(
	    USAGE_LINE "\n"
	    "\n"
	    "Reassemble the connections recorded in TRACE and print their HTTP\n"
	    "exchanges, ordered by the time each request started.\n"
	    "\n"
	    "Options:\n"
	    "  -f, --format FORMAT  one of the formats below (default: the "
	    "first)\n"
	    "  -o, --output OUT     write to OUT instead of standard output\n"
	    "      --no-redact      show credentials (Authorization, cookies, "
	    "API keys,\n"
	    "                       JWTs, tokens in JSON); by default a long "
	    "one keeps\n"
	    "                       its ends (sk-ab...7f3c), a short one is "
	    "[REDACTED]\n"
	    "      --max-body N     text, md, conversation, html: at most N "
	    "bytes of each\n"
	    "                       body and event (default 0: everything)\n"
	    "      --prices FILE    md, conversation, html: prices from FILE "
	    "(JSON,\n"
	    "                       docs/prices.md) in front of the built-in "
	    "table, or\n"
	    "                       instead of it\n"
	    "Filters (all must hold):\n"
	    "      --pid N          exchanges of process N\n"
	    "      --tree           with --pid: of its descendants too\n"
	    "      --conn N         exchanges of connection N (jsonl's \"conn\")\n"
	    "      --path PREFIX    requests whose target starts with PREFIX\n"
	    "      --since T        requests started at least T after the "
	    "trace began\n"
	    "      --until T        ... and at most T after (T: 90, 1.5s, "
	    "250ms, 2m, 1h)\n"
	    "Following a trace still being written (text, jsonl, "
	    "conversation):\n"
	    "      --follow         keep printing as TRACE grows, like tail -f: "
	    "each\n"
	    "                       exchange once it is complete (within ~0.2 s "
	    "of its\n"
	    "                       last byte), the output flushed; ends when "
	    "the relay\n"
	    "                       or run that writes TRACE closes it (or is "
	    "killed),\n"
	    "                       when TRACE is removed or replaced, or on "
	    "Ctrl-C (what\n"
	    "                       TRACE holds is then finished as at its "
	    "end)\n"
	    "      --idle T         with --follow: also end after T without "
	    "a new byte\n"
	    "  -h, --help           this help\n"
	    "\n"
	    "Bodies are de-chunked and decoded (Content-Encoding zstd, gzip, "
	    "deflate, br).\n"
	    "Exchanges cut short (no response, connection closed, trace ended, "
	    "relay\n"
	    "error) are listed with an error.  A damaged trace is decoded as "
	    "far as\n"
	    "it can be, with a warning on standard error.\n"
	    "\n"
	    "Examples:\n"
	    "  cxrec decode trace.bin | less -R\n"
	    "  cxrec decode --format jsonl trace.bin | jq -c '.response.sse[]?"
	    " | .event'\n"
	    "  cxrec decode --format jsonl -o exchanges.jsonl trace.bin\n"
	    "  cxrec decode --follow -f conversation trace.bin  # while it "
	    "records\n"
	    "\n"
	    "Exit status: 0 decoded (also a damaged trace), 1 the output "
	    "could not be\n"
	    "written, 2 bad options or TRACE is not a readable trace.\n");
	printf("\nFormats (-f):\n");
	for (size_t i = 0; cx_out_formats[i] != NULL; i++)
		printf("  %-14s %s%s\n", cx_out_formats[i]->name,
		    cx_out_formats[i]->summary, i == 0 ? " (the default)" : "");
}

static int
usage_error(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

static int
usage_error(const char *fmt, ...)
{
	va_list ap;

	fputs("cxrec: decode: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fprintf(stderr, " (" USAGE_LINE "; see cxrec decode --help)\n");
	return CX_EXIT_USAGE;
}

/* --follow: Ctrl-C (or TERM) ends following, the output finished. */
static volatile sig_atomic_t follow_stop;

static void
on_follow_stop(int sig)
{
	(void)sig;
	follow_stop = 1;
}

static void
follow_signals(void)
{
	struct sigaction sa;

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_follow_stop;         /* no SA_RESTART: wakes */
	sigemptyset(&sa.sa_mask);
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
}

/* Would writing OUT overwrite TRACE? */
static int
same_file(const char *a, const char *b)
{
	struct stat sa, sb;

	return stat(a, &sa) == 0 && stat(b, &sb) == 0 &&
	    sa.st_dev == sb.st_dev && sa.st_ino == sb.st_ino;
}

/*
 * Decode trace into outpath (NULL or "-": standard output) as opts say:
 * the exit status, what went wrong said in one line.
 */
static int
decode_to(const char *trace, const char *outpath, struct cx_decode_opts *opts)
{
	struct cx_credname names;
	struct cx_reader *r;
	FILE *out = stdout;
	static char outbuf[1u << 16];
	char err[1024];
	int rc;

	if ((r = cx_reader_open(trace, err, sizeof(err))) == NULL) {
		fprintf(stderr, "cxrec: decode: %s\n", err);
		return CX_EXIT_USAGE;
	}
	cx_reader_close(r);
	if (outpath != NULL && strcmp(outpath, "-") != 0) {
		if (same_file(outpath, trace)) {
			fprintf(stderr, "cxrec: decode: %s: the output would "
			    "overwrite the trace\n", outpath);
			return CX_EXIT_USAGE;
		}
		if ((out = fopen(outpath, "w")) == NULL) {
			fprintf(stderr, "cxrec: decode: cannot create %s: %s\n",
			    outpath, strerror(errno));
			return CX_EXIT_USAGE;
		}
		/* 64 KiB a write, not the file system's 4 KiB block: a
		 * report of a big trace is gigabytes.  (glibc takes the
		 * size only with a buffer: static, as out lives until the
		 * process' end or its fclose below.) */
		setvbuf(out, outbuf, _IOFBF, sizeof(outbuf));
	}
	cli_cred_names(&names);
	opts->names = &names;
	if (opts->follow) {
		follow_signals();
		opts->stop = &follow_stop;
	}
	rc = cx_decode(trace, opts, out, err, sizeof(err));
	if (out != stdout && fclose(out) == EOF && rc == 0) {
		snprintf(err, sizeof(err), "error writing the decoded trace");
		rc = CX_DECODE_EOUTPUT;
	}
	if (rc == CX_DECODE_EINPUT) {
		fprintf(stderr, "cxrec: decode: %s\n", err);
		return CX_EXIT_USAGE;
	}
	if (rc == CX_DECODE_EOUTPUT) {
		fprintf(stderr, "cxrec: decode: %s%s%s\n",
		    outpath ? outpath : "", outpath ? ": " : "", err);
		return CX_EXIT_FAIL;
	}
	return CX_EXIT_OK;
}

int
cmd_decode(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "format",     required_argument, NULL, 'f' },
		{ "output",     required_argument, NULL, 'o' },
		{ "no-redact",  no_argument,       NULL, 'R' },
		{ "max-body",   required_argument, NULL, 'M' },
		{ "prices",     required_argument, NULL, 'p' },
		{ "pid",        required_argument, NULL, 'P' },
		{ "tree",       no_argument,       NULL, 'T' },
		{ "conn",       required_argument, NULL, 'C' },
		{ "path",       required_argument, NULL, 'A' },
		{ "since",      required_argument, NULL, 'S' },
		{ "until",      required_argument, NULL, 'U' },
		{ "follow",     no_argument,       NULL, 'F' },
		{ "idle",       required_argument, NULL, 'I' },
		{ "help",       no_argument,       NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	struct cx_decode_opts opts;
	struct cx_prices *prices = NULL;
	const char *outpath = NULL, *trace, *prices_path = NULL;
	char err[1024], *end;
	int c, rc;

	memset(&opts, 0, sizeof(opts));
	optind = 0;                     /* glibc: start afresh */
	opterr = 0;
	while ((c = getopt_long(argc, argv, ":f:o:h", longopts, NULL)) != -1) {
		switch (c) {
		case 'f':
			if (cx_out_find(optarg) == NULL) {
				char list[256] = "";
				size_t n = 0;

				for (size_t i = 0; cx_out_formats[i] != NULL &&
				    n < sizeof(list); i++)
					n += (size_t)snprintf(list + n,
					    sizeof(list) - n, "%s%s", i ? ", " :
					    "", cx_out_formats[i]->name);
				return usage_error("unknown format '%s' (%s)",
				    optarg, list);
			}
			opts.format = optarg;
			break;
		case 'o':
			outpath = optarg;
			break;
		case 'R':
			opts.no_redact = 1;
			break;
		case 'M':
			errno = 0;
			opts.max_body = strtoull(optarg, &end, 10);
			if (errno != 0 || end == optarg || *end != '\0' ||
			    optarg[0] == '-')
				return usage_error("bad --max-body '%s' (a "
				    "number of bytes)", optarg);
			break;
		case 'p':
			prices_path = optarg;
			break;
		case 'P':
		case 'C': {
			unsigned long long v;
			errno = 0;
			v = strtoull(optarg, &end, 10);
			if (errno != 0 || end == optarg || *end != '\0' ||
			    optarg[0] == '-' || (c == 'P' && v > UINT32_MAX))
				return usage_error("bad --%s '%s' (a number)",
				    c == 'P' ? "pid" : "conn", optarg);
			if (c == 'P') {
				opts.filter.has_pid = 1;
				opts.filter.pid = (uint32_t)v;
			} else {
				opts.filter.has_conn = 1;
				opts.filter.conn = v;
			}
			break;
		}
		case 'T':
			opts.filter.tree = 1;
			break;
		case 'A':
			opts.filter.path = optarg;
			break;
		case 'S':
		case 'U': {
			int64_t ns;
			if (cx_parse_offset(optarg, &ns) == -1)
				return usage_error("bad --%s '%s' (an offset "
				    "from the trace's start: 90, 1.5s, 250ms, "
				    "2m, 1h)", c == 'S' ? "since" : "until",
				    optarg);
			if (c == 'S') {
				opts.filter.has_since = 1;
				opts.filter.since_ns = ns;
			} else {
				opts.filter.has_until = 1;
				opts.filter.until_ns = ns;
			}
			break;
		}
		case 'F':
			opts.follow = 1;
			break;
		case 'I':
			if (cx_parse_offset(optarg, &opts.idle_ns) == -1 ||
			    opts.idle_ns == 0)
				return usage_error("bad --idle '%s' (a time: "
				    "90, 1.5s, 250ms, 2m, 1h)", optarg);
			break;
		case 'h':
			usage_decode();
			return CX_EXIT_OK;
		case ':':
			return usage_error("option '%s' needs a value",
			    argv[optind - 1]);
		default:
			if (optopt != 0)
				return usage_error("unknown option '-%c'",
				    optopt);
			return usage_error("unknown option '%s'",
			    argv[optind - 1]);
		}
	}
	if (opts.filter.tree && !opts.filter.has_pid)
		return usage_error("%s", "--tree needs --pid N");
	if (opts.idle_ns > 0 && !opts.follow)
		return usage_error("%s", "--idle needs --follow");
	if (opts.follow && !cx_out_follows(opts.format != NULL ?
	    cx_out_find(opts.format) : cx_out_formats[0]))
		return usage_error("--follow: format '%s' needs the whole "
		    "trace (follow with text, jsonl or conversation)",
		    opts.format);
	if (optind >= argc)
		return usage_error("%s", "missing TRACE");
	if (argc - optind > 1)
		return usage_error("unexpected argument '%s' (one TRACE only)",
		    argv[optind + 1]);
	trace = argv[optind];

	/* The prices, then the trace, before OUT is created or truncated. */
	if (prices_path != NULL) {
		if ((prices = cx_prices_load(prices_path, err,
		    sizeof(err))) == NULL) {
			fprintf(stderr, "cxrec: decode: --prices %s\n", err);
			return CX_EXIT_USAGE;
		}
		opts.prices = prices;
	}
	rc = decode_to(trace, outpath, &opts);
	cx_prices_free(prices);
	return rc;
}
