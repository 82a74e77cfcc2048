/* cmd_protocol.c: `cxrec protocol`: options in, protocol.h's model out. */
#include <getopt.h>
#include <stdio.h>
#include <string.h>

#include "cli.h"
#include "credname.h"
#include "protocol.h"
#include "redact.h"

#define USAGE_LINE \
    "usage: cxrec protocol [--format md|json] [--full] [--stable] " \
    "[--no-redact] [-o OUT] TRACE..."

void
usage_protocol(void)
{
	printf(
	    USAGE_LINE "\n"
	    "\n"
	    "What the recorded agent speaks, from one or more traces: its\n"
	    "endpoints (method and path template, transports, statuses, hosts\n"
	    "and how they were reached), request and response headers\n"
	    "(constant or varying, a redacted example), body key paths with\n"
	    "JSON types and counts, SSE event and WebSocket message types with\n"
	    "their key paths, the tools offered to the model (name,\n"
	    "description, parameters' schema), the instructions (size,\n"
	    "SHA-256, first lines), and the order of the calls.\n"
	    "\n"
	    "Options:\n"
	    "  -f, --format md|json  Markdown (the default) or JSON, stable and\n"
	    "                        documented (docs/protocol-json.md), what\n"
	    "                        cxrec diff reads\n"
	    "      --full            the instructions' whole texts too\n"
	    "      --stable          the same output from every recording of the\n"
	    "                        same session: traces by file name, what\n"
	    "                        always varies in header values folded to #,\n"
	    "                        no key path examples (docs/protocol/)\n"
	    "      --no-redact       show credentials in the examples\n"
	    "  -o, --output OUT      write to OUT instead of standard output\n"
	    "  -h, --help            this help\n"
	    "\n"
	    "Exit status: 0, 1 the output could not be written, 2 bad options\n"
	    "or a TRACE is not a readable trace.\n");
}

int
cmd_protocol(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "format",     required_argument, NULL, 'f' },
		{ "output",     required_argument, NULL, 'o' },
		{ "full",       no_argument,       NULL, 'F' },
		{ "stable",     no_argument,       NULL, 'S' },
		{ "no-redact",  no_argument,       NULL, 'R' },
		{ "help",       no_argument,       NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	const char *format = "md", *outpath = NULL;
	struct cx_credname names;
	const struct cx_credname *prev;
	struct cx_protocol *p;
	int ch, full = 0, stable = 0, no_redact = 0, rc = CX_EXIT_OK;
	FILE *out = stdout;
	char err[1024];
	cJSON *m;

	opterr = 0;
	optind = 1;
	while ((ch = getopt_long(argc, argv, "+f:o:h", longopts, NULL)) != -1) {
		switch (ch) {
		case 'f':
			format = optarg;
			break;
		case 'o':
			outpath = optarg;
			break;
		case 'F':
			full = 1;
			break;
		case 'S':
			stable = 1;
			break;
		case 'R':
			no_redact = 1;
			break;
		case 'h':
			usage_protocol();
			return CX_EXIT_OK;
		default:
			fprintf(stderr, "cxrec: protocol: %s option '%s' ("
			    USAGE_LINE ")\n", optopt ? "bad" : "unknown",
			    argv[optind - 1]);
			return CX_EXIT_USAGE;
		}
	}
	if (strcmp(format, "md") != 0 && strcmp(format, "json") != 0) {
		fprintf(stderr, "cxrec: protocol: unknown format '%s': md or "
		    "json\n", format);
		return CX_EXIT_USAGE;
	}
	if (optind == argc) {
		fprintf(stderr, "cxrec: protocol: no TRACE (" USAGE_LINE ")\n");
		return CX_EXIT_USAGE;
	}
	cli_cred_names(&names);
	prev = cx_redact_use_names(&names);
	p = cx_protocol_new(!no_redact, full);
	cx_protocol_set_stable(p, stable);
	for (int i = optind; i < argc; i++)
		if (cx_protocol_add_trace(p, argv[i], err, sizeof(err)) == -1) {
			fprintf(stderr, "cxrec: protocol: %s\n", err);
			cx_protocol_free(p);
			cx_redact_use_names(prev);
			return CX_EXIT_USAGE;
		}
	m = cx_protocol_json(p);
	if (outpath != NULL && strcmp(outpath, "-") != 0 &&
	    (out = fopen(outpath, "w")) == NULL) {
		perror(outpath);
		rc = CX_EXIT_USAGE;
	} else {
		if (strcmp(format, "json") == 0) {
			char *s = cJSON_Print(m);

			fprintf(out, "%s\n", s);
			cJSON_free(s);
		} else
			cx_protocol_md(out, m);
		if ((out != stdout && fclose(out) == EOF) || (out == stdout &&
		    fflush(out) == EOF)) {
			fprintf(stderr, "cxrec: protocol: error writing %s\n",
			    outpath != NULL ? outpath : "the output");
			rc = CX_EXIT_FAIL;
		}
	}
	cJSON_Delete(m);
	cx_protocol_free(p);
	cx_redact_use_names(prev);
	return rc;
}
