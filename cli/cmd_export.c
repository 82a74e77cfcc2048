/* cmd_export.c: `cxrec export`: traces into a database (docs/fleet.md):
 * export_rows.h's rows, sent by export_clickhouse.h's client; or to an
 * OpenTelemetry collector: export_otlp.h's documents, POSTed by
 * http_post.h. */
#include <getopt.h>
#include <stdlib.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "cli.h"
#include "credname.h"
#include "export_clickhouse.h"
#include "export_otlp.h"
#include "export_rows.h"
#include "http_post.h"
#include "price.h"
#include "xmalloc.h"

#define USAGE_LINE \
    "usage: cxrec export --to clickhouse|otlp [--no-redact] [--prices FILE] " \
    "[--content] URL TRACE..."

void
usage_export(void)
{
	printf(
	    USAGE_LINE "\n"
	    "\n"
	    "Export traces into ClickHouse over its HTTP interface, once: one\n"
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
	    "  URL  clickhouse: http://HOST:8123/?database=NAME (other\n"
	    "       parameters, such as user= and password=, go with every\n"
	    "       request); otlp: http://HOST:4318\n"
	    "\n"
	    "Options:\n"
	    "      --to clickhouse|otlp  where to\n"
	    "      --content         otlp: the messages, instructions and tool\n"
	    "                        definitions too (none without it)\n"
	    "      --no-redact       export credentials as they are\n"
	    "      --prices FILE     costs at FILE's prices (docs/prices.md)\n"
	    "  -q, --quiet           no summary line per trace\n"
	    "  -h, --help            this help\n"
	    "\n"
	    "Exit status: 0; 1 the server did not answer, a table has other\n"
	    "columns, or rows were rejected (each said on stderr, the rest\n"
	    "exported), or the collector refused spans; 2 bad options or a\n"
	    "TRACE is not a readable trace.\n");
}

struct sink {
	struct cx_ch    *ch;
	uint64_t         n[CX_X_NTABLES];
	char             err[1024];
	int              failed;
};

static int
on_row(void *arg, enum cx_xtable t, const char *row, size_t len)
{
	struct sink *s = arg;

	s->n[t]++;
	if (cx_ch_row(s->ch, t, row, len, s->err, sizeof(s->err)) == -1) {
		s->failed = 1;
		return -1;
	}
	return 0;
}

/* One trace; CX_EXIT_OK, or what to exit with. */
static int
export_one(struct sink *s, const char *path, const struct cx_export_opts *o,
    int quiet)
{
	char err[1024], id[17];
	int rc;

	memset(s->n, 0, sizeof(s->n));
	rc = cx_export_rows(path, o, on_row, s, id, err, sizeof(err));
	if (rc == CX_EXPORT_EINPUT) {
		fprintf(stderr, "cxrec: export: %s\n", err);
		return CX_EXIT_USAGE;
	}
	if (!s->failed && cx_ch_flush(s->ch, s->err, sizeof(s->err)) == -1)
		s->failed = 1;
	if (s->failed) {
		fprintf(stderr, "cxrec: export: %s: %s\n", path, s->err);
		return CX_EXIT_FAIL;
	}
	if (!quiet)
		printf("%s: trace %s: %" PRIu64 " exchanges, %" PRIu64
		    " turns, %" PRIu64 " events, %" PRIu64 " tool calls, %"
		    PRIu64 " processes\n", path, id, s->n[CX_X_EXCHANGES],
		    s->n[CX_X_TURNS], s->n[CX_X_EVENTS], s->n[CX_X_TOOL_CALLS],
		    s->n[CX_X_PROCESSES]);
	return CX_EXIT_OK;
}

/* --- otlp ------------------------------------------------------------- */

struct osink {
	struct cx_hpost *http;
	char            *url;           /* URL/v1/traces */
	char             err[1024];
};

static int
on_doc(void *arg, const char *json, size_t len)
{
	struct osink *s = arg;
	char line[512];
	long st;

	st = cx_hpost(s->http, s->url, "application/json", json, len, s->url,
	    s->err, sizeof(s->err));
	if (st == -1)
		return -1;
	if (st < 200 || st > 299) {
		cx_hpost_reply_line(s->http, line, sizeof(line));
		snprintf(s->err, sizeof(s->err), "%s: HTTP %ld: %s", s->url,
		    st, line);
		return -1;
	}
	return 0;
}

static int
export_otlp(const char *url, char **traces, int n,
    const struct cx_otlp_opts *o, int quiet)
{
	struct cx_otlp_stats st;
	struct osink s;
	size_t ul = strlen(url);
	char err[1024], id[33];
	int rc = CX_EXIT_OK;

	memset(&s, 0, sizeof(s));
	if (strncmp(url, "http://", 7) != 0 && strncmp(url, "https://", 8)) {
		fprintf(stderr, "cxrec: export: %s: not an http:// or https:// "
		    "URL\n", url);
		return CX_EXIT_USAGE;
	}
	while (ul > 0 && url[ul - 1] == '/')
		ul--;
	if (ul >= 10 && strncmp(url + ul - 10, "/v1/traces", 10) == 0)
		ul -= 10;
	s.url = xasprintf("%.*s/v1/traces", (int)ul, url);
	if ((s.http = cx_hpost_new(err, sizeof(err))) == NULL) {
		fprintf(stderr, "cxrec: export: %s\n", err);
		free(s.url);
		return CX_EXIT_FAIL;
	}
	for (int i = 0; i < n; i++) {
		int r = cx_export_otlp(traces[i], o, on_doc, &s, id, &st, err,
		    sizeof(err));

		if (r == CX_EXPORT_EINPUT) {
			fprintf(stderr, "cxrec: export: %s\n", err);
			if (rc == CX_EXIT_OK)
				rc = CX_EXIT_USAGE;
			continue;
		}
		if (r != 0) {
			fprintf(stderr, "cxrec: export: %s: %s\n", traces[i],
			    s.err);
			rc = CX_EXIT_FAIL;
			break;
		}
		if (!quiet)
			printf("%s: trace %s: %" PRIu64 " sessions, %" PRIu64
			    " model calls, %" PRIu64 " tool calls, %" PRIu64
			    " requests\n", traces[i], id, st.sessions,
			    st.turns, st.tools, st.documents);
	}
	cx_hpost_free(s.http);
	free(s.url);
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
		{ "quiet",      no_argument,       NULL, 'q' },
		{ "help",       no_argument,       NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	const char *to = NULL, *prices_path = NULL, *url;
	struct cx_export_opts o = { .redact = 1 };
	struct cx_prices *prices = NULL;
	struct cx_credname names;
	struct sink s;
	int ch, quiet = 0, content = 0, rc = CX_EXIT_OK;
	char err[1024];

	opterr = 0;
	optind = 1;
	while ((ch = getopt_long(argc, argv, "+qh", longopts, NULL)) != -1) {
		switch (ch) {
		case 't':
			to = optarg;
			break;
		case 'p':
			prices_path = optarg;
			break;
		case 'R':
			o.redact = 0;
			break;
		case 'C':
			content = 1;
			break;
		case 'q':
			quiet = 1;
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
	if (to == NULL || (strcmp(to, "clickhouse") != 0 &&
	    strcmp(to, "otlp") != 0)) {
		fprintf(stderr, "cxrec: export: %s: --to clickhouse or --to "
		    "otlp\n", to == NULL ? "no --to" : to);
		return CX_EXIT_USAGE;
	}
	if (argc - optind < 2) {
		fprintf(stderr, "cxrec: export: no %s (" USAGE_LINE ")\n",
		    optind == argc ? "URL" : "TRACE");
		return CX_EXIT_USAGE;
	}
	url = argv[optind++];
	if (strcmp(to, "otlp") == 0) {
		struct cx_otlp_opts oo = { .content = content,
		    .redact = o.redact };

		if (prices_path != NULL) {
			fprintf(stderr, "cxrec: export: --prices: for --to "
			    "clickhouse only\n");
			return CX_EXIT_USAGE;
		}
		cli_cred_names(&names);
		oo.names = &names;
		return export_otlp(url, argv + optind, argc - optind, &oo,
		    quiet);
	}
	if (content) {
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
	memset(&s, 0, sizeof(s));
	if ((s.ch = cx_ch_open(url, err, sizeof(err))) == NULL ||
	    cx_ch_prepare(s.ch, err, sizeof(err)) == -1) {
		fprintf(stderr, "cxrec: export: %s\n", err);
		cx_ch_close(s.ch);
		cx_prices_free(prices);
		return CX_EXIT_FAIL;
	}
	cli_cred_names(&names);
	o.names = &names;
	for (int i = optind; i < argc && !s.failed; i++) {
		int r = export_one(&s, argv[i], &o, quiet);

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
	cx_prices_free(prices);
	return rc;
}
