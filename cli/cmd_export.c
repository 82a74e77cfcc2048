/* cmd_export.c: `cxrec export`: traces into a database (docs/fleet.md):
 * export_rows.h's rows, sent by export_clickhouse.h's client; or to an
 * OpenTelemetry collector: export_otlp.h's documents, POSTed by
 * http_post.h.  Once, or following a trace as it grows (--follow, what
 * `cxrec run --export` starts), from a cursor (export_cursor.h), waiting
 * out a destination that does not answer (export_retry.h). */
#include <getopt.h>
#include <inttypes.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "credname.h"
#include "decode.h"
#include "export_clickhouse.h"
#include "export_cursor.h"
#include "export_otlp.h"
#include "export_retry.h"
#include "export_rows.h"
#include "http_post.h"
#include "price.h"
#include "xmalloc.h"

#define USAGE_LINE \
    "usage: cxrec export --to clickhouse|otlp [--follow [--idle T]] " \
    "[--resume | --cursor FILE] [--no-redact] [--prices FILE] [--content] " \
    "URL TRACE..."

void
usage_export(void)
{
	printf(
	    USAGE_LINE "\n"
	    "\n"
	    "Export traces into ClickHouse over its HTTP interface: one\n"
	    "row per trace (sessions), exchange, model call (turns), SSE event\n"
	    "or WebSocket message (events), tool call and process, in tables\n"
	    "created in the database the URL names (?database=NAME, default\n"
	    "cxrec) when missing (docs/fleet.md: the schema and queries).\n"
	    "Exporting a trace again leaves one copy of each row (the tables\n"
	    "are ReplacingMergeTree: query with FINAL).\n"
	    "\n"
	    "Or, with --to otlp, to an OpenTelemetry collector (OTLP/HTTP,\n"
	    "JSON, POST URL/v1/traces): a span per agent session\n"
	    "(invoke_agent), model call (chat MODEL) and tool call\n"
	    "(execute_tool NAME), after the GenAI semantic conventions; the\n"
	    "same ids each time (docs/fleet.md).\n"
	    "\n"
	    "With --follow, one TRACE is exported as it is written, until its\n"
	    "writer closes it (what `cxrec run --export` and `cxrec relay\n"
	    "--export` start): a destination that does not answer is waited\n"
	    "for (backoff up to 10 s; the trace holds what is not sent), and a\n"
	    "cursor file beside the trace says what the destination has, so\n"
	    "an export stopped anywhere resumes where it was.\n"
	    "\n"
	    "  URL  clickhouse: http://HOST:8123/?database=NAME (other\n"
	    "       parameters, such as user= and password=, go with every\n"
	    "       request); otlp: http://HOST:4318; - : the URL in\n"
	    "       $CXREC_EXPORT_URL (not on a command line every user of the\n"
	    "       machine can read; --export passes it so)\n"
	    "\n"
	    "Options:\n"
	    "      --to clickhouse|otlp  where to\n"
	    "      --follow          export TRACE as it grows (docs/follow.md\n"
	    "                        says when following ends); Ctrl-C stops\n"
	    "                        it, what is still open is left to the\n"
	    "                        export that resumes\n"
	    "      --idle T          with --follow: also end after T without a\n"
	    "                        new byte in the trace (90, 1.5s, 2m)\n"
	    "      --resume          skip what the cursor says was exported,\n"
	    "                        and keep it (TRACE.export-HASH, HASH of\n"
	    "                        --to and URL; --follow resumes always)\n"
	    "      --cursor FILE     --resume, with the cursor in FILE\n"
	    "      --content         otlp: the messages, instructions and tool\n"
	    "                        definitions too (none without it)\n"
	    "      --no-redact       export credentials as they are\n"
	    "      --prices FILE     costs at FILE's prices (docs/prices.md)\n"
	    "  -q, --quiet           no summary line per trace\n"
	    "  -h, --help            this help\n"
	    "\n"
	    "Exit status: 0; 1 the server did not answer (once), a table has\n"
	    "other columns, or rows were rejected (each said on stderr, the\n"
	    "rest exported), or the collector refused spans, or --follow was\n"
	    "stopped with rows not yet taken; 2 bad options or a TRACE is not\n"
	    "a readable trace.\n");
}

struct xopts {
	const char      *to, *url, *cursor;
	char            *url_said;      /* url without its query (secrets) */
	int              quiet, follow, resume, content;
	int64_t          idle_ns;
};

static volatile sig_atomic_t stop;

static void
on_stop(int sig)
{
	(void)sig;
	stop = 1;
}

/* --- the cursor, the walk ------------------------------------------------ */

/* What to hand the walk for path: following, the cursor (*cur, *cpath,
 * both to free); 0, or an exit status (said). */
static int
walk_setup(const struct xopts *xo, const char *path, struct cx_xwalk_opts *w,
    struct cx_xcursor **cur, char **cpath)
{
	char id[17], err[700];
	int other;

	memset(w, 0, sizeof(*w));
	w->follow = xo->follow;
	w->idle_ns = xo->idle_ns;
	w->stop = xo->follow ? &stop : NULL;
	*cur = NULL;
	*cpath = NULL;
	if (!xo->resume)
		return CX_EXIT_OK;
	if (cx_xwalk_trace_id(path, id, err, sizeof(err)) == -1) {
		fprintf(stderr, "cxrec: export: %s\n", err);
		return CX_EXIT_USAGE;
	}
	if (xo->cursor != NULL)
		*cpath = xstrdup(xo->cursor);
	else {
		uint32_t h = 2166136261u;

		for (const char *p = xo->to; *p; p++)
			h = (h ^ (uint8_t)*p) * 16777619u;
		for (const char *p = xo->url; *p; p++)
			h = (h ^ (uint8_t)*p) * 16777619u;
		*cpath = xasprintf("%s.export-%08" PRIx32, path, h);
	}
	if ((*cur = cx_xcursor_load(*cpath, id, &other, err,
	    sizeof(err))) == NULL) {
		fprintf(stderr, "cxrec: export: cursor %s\n", err);
		free(*cpath);
		*cpath = NULL;
		return CX_EXIT_USAGE;
	}
	if (other)
		fprintf(stderr, "cxrec: export: cursor %s: about another "
		    "trace: %s is exported from its start\n", *cpath, path);
	w->cursor = *cur;
	w->cursor_path = *cpath;
	return CX_EXIT_OK;
}

/* The end of the summary line: what the cursor skipped, how it ended. */
static void
walk_said(const struct cx_xwalk_stats *st, const char *cpath)
{
	if (st->skipped > 0)
		printf("; %" PRIu64 " exchanges exported before (%s)",
		    st->skipped, cpath);
	if (!st->finished)
		printf("; stopped before its end (the cursor resumes it)");
	printf("\n");
	fflush(stdout);
}

/* --- clickhouse ---------------------------------------------------------- */

struct sink {
	struct cx_ch    *ch;
	const char      *url;
	uint64_t         n[CX_X_NTABLES];
	char             err[1024];
	int              failed;
	int              wait;          /* --follow: wait out a silence */
	struct cx_retry  rt;
};

/* Send what is held; waiting, with --follow, until the server takes it. */
static int
send_held(struct sink *s)
{
	while (cx_ch_flush(s->ch, s->err, sizeof(s->err)) == -1)
		if (!s->wait || cx_retry_wait(&s->rt, s->err) == -1) {
			s->failed = 1;
			return -1;
		}
	cx_retry_ok(&s->rt, s->url);
	return 0;
}

static int
on_row(void *arg, enum cx_xtable t, const char *row, size_t len)
{
	struct sink *s = arg;

	s->n[t]++;
	if (cx_ch_row(s->ch, t, row, len, s->err, sizeof(s->err)) == -1)
		return send_held(s);
	return 0;
}

static int
on_deliver(void *arg)
{
	return send_held(arg);
}

/* The server, answering and with its tables; waiting for it with
 * --follow.  NULL when not (said). */
static struct cx_ch *
ch_connect(const struct xopts *xo, struct cx_retry *rt)
{
	struct cx_ch *ch;
	char err[1024];
	int again;

	for (;;) {
		if ((ch = cx_ch_open(xo->url, &again, err, sizeof(err))) != NULL)
			break;
		if (!xo->follow || !again || cx_retry_wait(rt, err) == -1) {
			fprintf(stderr, "cxrec: export: %s\n", err);
			return NULL;
		}
	}
	cx_retry_ok(rt, xo->url_said);
	if (xo->follow)
		cx_ch_set_stop(ch, &stop);
	if (cx_ch_prepare(ch, err, sizeof(err)) == -1) {
		fprintf(stderr, "cxrec: export: %s\n", err);
		cx_ch_close(ch);
		return NULL;
	}
	return ch;
}

/* One trace; CX_EXIT_OK, or what to exit with. */
static int
export_one(struct sink *s, const char *path, struct cx_export_opts *o,
    const struct xopts *xo)
{
	struct cx_xwalk_stats st;
	struct cx_xwalk_opts w;
	struct cx_xcursor *cur;
	char err[1024], id[17], *cpath;
	int rc;

	if ((rc = walk_setup(xo, path, &w, &cur, &cpath)) != CX_EXIT_OK)
		return rc;
	o->walk = &w;
	o->deliver = on_deliver;
	o->stats = &st;
	memset(s->n, 0, sizeof(s->n));
	rc = cx_export_rows(path, o, on_row, s, id, err, sizeof(err));
	cx_xcursor_free(cur);
	if (rc == CX_EXPORT_EINPUT) {
		fprintf(stderr, "cxrec: export: %s\n", err);
		free(cpath);
		return CX_EXIT_USAGE;
	}
	if (s->failed) {
		if (stop)
			fprintf(stderr, "cxrec: export: %s: stopped with %zu "
			    "rows not taken by the server (%s); the cursor "
			    "resumes it\n", path, cx_ch_held(s->ch), s->err);
		else
			fprintf(stderr, "cxrec: export: %s: %s\n", path,
			    s->err);
		free(cpath);
		return CX_EXIT_FAIL;
	}
	if (!xo->quiet) {
		printf("%s: trace %s: %" PRIu64 " exchanges, %" PRIu64
		    " turns, %" PRIu64 " events, %" PRIu64 " tool calls, %"
		    PRIu64 " processes", path, id, s->n[CX_X_EXCHANGES],
		    s->n[CX_X_TURNS], s->n[CX_X_EVENTS], s->n[CX_X_TOOL_CALLS],
		    s->n[CX_X_PROCESSES]);
		walk_said(&st, cpath);
	}
	free(cpath);
	return CX_EXIT_OK;
}

static int
export_clickhouse(const struct xopts *xo, char **traces, int n,
    struct cx_export_opts *o)
{
	struct sink s;
	int rc = CX_EXIT_OK;

	memset(&s, 0, sizeof(s));
	s.url = xo->url_said;
	s.wait = xo->follow;
	cx_retry_init(&s.rt, xo->follow ? &stop : NULL);
	if ((s.ch = ch_connect(xo, &s.rt)) == NULL)
		return CX_EXIT_FAIL;
	for (int i = 0; i < n && !s.failed; i++) {
		int r = export_one(&s, traces[i], o, xo);

		if (r != CX_EXIT_OK && (rc == CX_EXIT_OK || r == CX_EXIT_FAIL))
			rc = r;
	}
	if (rc == CX_EXIT_OK && cx_ch_rejected(s.ch) > 0) {
		fprintf(stderr, "cxrec: export: %" PRIu64 " rows rejected, %"
		    PRIu64 " exported\n", cx_ch_rejected(s.ch),
		    cx_ch_inserted(s.ch));
		rc = CX_EXIT_FAIL;
	}
	cx_ch_close(s.ch);
	return rc;
}

/* --- otlp ---------------------------------------------------------------- */

struct osink {
	struct cx_hpost *http;
	char            *url;           /* URL/v1/traces */
	char            *url_said;      /* the same without its secrets */
	char             err[1024];
	int              wait;          /* --follow */
	struct cx_retry  rt;
	uint64_t         refused;       /* documents, with --follow */
};

/*
 * POST a document.  Following, the collector is waited for while it does
 * not answer or answers other than 200-299, 400 or 413; a document it
 * refuses as such (400: not a valid request, 413: too large) is said and
 * skipped.  Once, any answer but 200-299 is a failure.
 */
static int
on_doc(void *arg, const char *json, size_t len)
{
	struct osink *s = arg;
	char line[512];
	long st;

	for (;;) {
		st = cx_hpost(s->http, s->url, "application/json", json, len,
		    s->url_said, s->err, sizeof(s->err));
		if (st >= 200 && st <= 299)
			break;
		if (st != -1) {
			cx_hpost_reply_line(s->http, line, sizeof(line));
			snprintf(s->err, sizeof(s->err), "%s: HTTP %ld: %s",
			    s->url_said, st, line);
		}
		if (!s->wait)
			return -1;
		if (st == 400 || st == 413) {
			fprintf(stderr, "cxrec: export: spans refused: %s\n",
			    s->err);
			s->refused++;
			return 0;
		}
		if (cx_retry_wait(&s->rt, s->err) == -1)
			return -1;
	}
	cx_retry_ok(&s->rt, s->url_said);
	return 0;
}

static int
export_otlp(const struct xopts *xo, char **traces, int n,
    struct cx_otlp_opts *o)
{
	struct cx_otlp_stats st;
	struct cx_xwalk_stats ws;
	struct osink s;
	const char *url = xo->url;
	size_t ul = strlen(url);
	char err[1024], id[33];
	int rc = CX_EXIT_OK;

	memset(&s, 0, sizeof(s));
	if (strncmp(url, "http://", 7) != 0 && strncmp(url, "https://", 8)) {
		fprintf(stderr, "cxrec: export: %s: not an http:// or https:// "
		    "URL\n", xo->url_said);
		return CX_EXIT_USAGE;
	}
	while (ul > 0 && url[ul - 1] == '/')
		ul--;
	if (ul >= 10 && strncmp(url + ul - 10, "/v1/traces", 10) == 0)
		ul -= 10;
	s.url = xasprintf("%.*s/v1/traces", (int)ul, url);
	s.url_said = cx_url_said(s.url);
	s.wait = xo->follow;
	cx_retry_init(&s.rt, xo->follow ? &stop : NULL);
	if ((s.http = cx_hpost_new(err, sizeof(err))) == NULL) {
		fprintf(stderr, "cxrec: export: %s\n", err);
		free(s.url);
		free(s.url_said);
		return CX_EXIT_FAIL;
	}
	if (xo->follow)
		cx_hpost_set_stop(s.http, &stop);
	for (int i = 0; i < n; i++) {
		struct cx_xwalk_opts w;
		struct cx_xcursor *cur;
		char *cpath;
		int r;

		if ((r = walk_setup(xo, traces[i], &w, &cur, &cpath)) != 0) {
			if (rc == CX_EXIT_OK)
				rc = r;
			continue;
		}
		o->walk = &w;
		o->stats = &ws;
		r = cx_export_otlp(traces[i], o, on_doc, &s, id, &st, err,
		    sizeof(err));
		cx_xcursor_free(cur);
		if (r == CX_EXPORT_EINPUT) {
			fprintf(stderr, "cxrec: export: %s\n", err);
			if (rc == CX_EXIT_OK)
				rc = CX_EXIT_USAGE;
		} else if (r != 0) {
			fprintf(stderr, "cxrec: export: %s: %s%s\n", traces[i],
			    s.err, stop ? " (stopped; the cursor resumes it)" :
			    "");
			rc = CX_EXIT_FAIL;
		} else if (!xo->quiet) {
			printf("%s: trace %s: %" PRIu64 " sessions, %" PRIu64
			    " model calls, %" PRIu64 " tool calls, %" PRIu64
			    " requests", traces[i], id, st.sessions,
			    st.turns, st.tools, st.documents);
			walk_said(&ws, cpath);
		}
		free(cpath);
		if (r != 0 && r != CX_EXPORT_EINPUT)
			break;
	}
	if (rc == CX_EXIT_OK && s.refused > 0)
		rc = CX_EXIT_FAIL;
	cx_hpost_free(s.http);
	free(s.url);
	free(s.url_said);
	return rc;
}

int
cmd_export(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "to",         required_argument, NULL, 't' },
		{ "prices",     required_argument, NULL, 'p' },
		{ "no-redact",  no_argument,       NULL, 'R' },
		{ "content",    no_argument,       NULL, 'C' },
		{ "follow",     no_argument,       NULL, 'f' },
		{ "idle",       required_argument, NULL, 'I' },
		{ "resume",     no_argument,       NULL, 'r' },
		{ "cursor",     required_argument, NULL, 'c' },
		{ "quiet",      no_argument,       NULL, 'q' },
		{ "help",       no_argument,       NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	const char *prices_path = NULL;
	struct cx_export_opts o = { .redact = 1 };
	struct cx_prices *prices = NULL;
	struct cx_credname names;
	struct sigaction sa;
	struct xopts xo;
	int ch, rc;
	char err[1024];

	memset(&xo, 0, sizeof(xo));
	opterr = 0;
	optind = 1;
	while ((ch = getopt_long(argc, argv, "+qh", longopts, NULL)) != -1) {
		switch (ch) {
		case 't':
			xo.to = optarg;
			break;
		case 'p':
			prices_path = optarg;
			break;
		case 'R':
			o.redact = 0;
			break;
		case 'C':
			xo.content = 1;
			break;
		case 'f':
			xo.follow = xo.resume = 1;
			break;
		case 'I':
			if (cx_parse_offset(optarg, &xo.idle_ns) == -1 ||
			    xo.idle_ns == 0) {
				fprintf(stderr, "cxrec: export: bad --idle '%s' "
				    "(a time: 90, 1.5s, 250ms, 2m)\n", optarg);
				return CX_EXIT_USAGE;
			}
			break;
		case 'r':
			xo.resume = 1;
			break;
		case 'c':
			xo.cursor = optarg;
			xo.resume = 1;
			break;
		case 'q':
			xo.quiet = 1;
			break;
		case 'h':
			usage_export();
			return CX_EXIT_OK;
		default:
			fprintf(stderr, "cxrec: export: %s option '%s' ("
			    USAGE_LINE ")\n", optopt ? "bad" : "unknown",
			    argv[optind - 1]);
			return CX_EXIT_USAGE;
		}
	}
	if (xo.to == NULL || (strcmp(xo.to, "clickhouse") != 0 &&
	    strcmp(xo.to, "otlp") != 0)) {
		fprintf(stderr, "cxrec: export: %s: --to clickhouse or --to "
		    "otlp\n", xo.to == NULL ? "no --to" : xo.to);
		return CX_EXIT_USAGE;
	}
	if (argc - optind < 2) {
		fprintf(stderr, "cxrec: export: no %s (" USAGE_LINE ")\n",
		    optind == argc ? "URL" : "TRACE");
		return CX_EXIT_USAGE;
	}
	if (xo.idle_ns > 0 && !xo.follow) {
		fprintf(stderr, "cxrec: export: --idle needs --follow\n");
		return CX_EXIT_USAGE;
	}
	if (xo.follow && argc - optind != 2) {
		fprintf(stderr, "cxrec: export: --follow: one TRACE\n");
		return CX_EXIT_USAGE;
	}
	if (xo.cursor != NULL && argc - optind != 2) {
		fprintf(stderr, "cxrec: export: --cursor: one TRACE\n");
		return CX_EXIT_USAGE;
	}
	xo.url = argv[optind++];
	if (strcmp(xo.url, "-") == 0) {
		/* --export's: a password is not for the command line, which
		 * every user of the machine can read */
		if ((xo.url = getenv("CXREC_EXPORT_URL")) == NULL) {
			fprintf(stderr, "cxrec: export: URL -: CXREC_EXPORT_URL "
			    "is not set\n");
			return CX_EXIT_USAGE;
		}
	}
	if (strcmp(xo.to, "otlp") == 0 && prices_path != NULL) {
		fprintf(stderr, "cxrec: export: --prices: for --to clickhouse "
		    "only\n");
		return CX_EXIT_USAGE;
	}
	if (strcmp(xo.to, "clickhouse") == 0 && xo.content) {
		fprintf(stderr, "cxrec: export: --content: for --to otlp "
		    "only\n");
		return CX_EXIT_USAGE;
	}
	if (prices_path != NULL) {
		if ((prices = cx_prices_load(prices_path, err,
		    sizeof(err))) == NULL) {
			fprintf(stderr, "cxrec: export: --prices %s\n", err);
			return CX_EXIT_USAGE;
		}
		o.prices = prices;
	}
	xo.url_said = cx_url_said(xo.url);
	if (xo.follow) {
		memset(&sa, 0, sizeof(sa));
		sa.sa_handler = on_stop;        /* no SA_RESTART */
		sigemptyset(&sa.sa_mask);
		sigaction(SIGINT, &sa, NULL);
		sigaction(SIGTERM, &sa, NULL);
	}
	cli_cred_names(&names);
	if (strcmp(xo.to, "otlp") == 0) {
		struct cx_otlp_opts oo = { .content = xo.content,
		    .redact = o.redact, .names = &names };

		rc = export_otlp(&xo, argv + optind, argc - optind, &oo);
	} else {
		o.names = &names;
		rc = export_clickhouse(&xo, argv + optind, argc - optind, &o);
	}
	cx_prices_free(prices);
	free(xo.url_said);
	return rc;
}
