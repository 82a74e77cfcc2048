/* cmd_diff.c: `cxrec diff`: two traces or protocols in, what changed out. */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "credname.h"
#include "protocol.h"
#include "protocol_diff.h"
#include "redact.h"
#include "trace.h"
#include "xmalloc.h"

#define USAGE_LINE \
    "usage: cxrec diff [--format text|md|json] A B"
#define JSON_MAX        (256u << 20)    /* a protocol file's bytes */

void
usage_diff(void)
{
	printf(
	    USAGE_LINE "\n"
	    "\n"
	    "What changed in what the agent speaks from A to B, each a trace or\n"
	    "a protocol's JSON (cxrec protocol --format json): endpoints and\n"
	    "transports added or removed; the model API's calls compared as\n"
	    "one; request headers added or removed and constants whose value\n"
	    "changed; body, event and WebSocket message keys added or removed\n"
	    "and their types changed; event types; tools added or removed,\n"
	    "their parameters, types and what is required; the instructions,\n"
	    "as a unified diff.  Values that always vary (ids, times, tokens,\n"
	    "lengths) are not differences.\n"
	    "\n"
	    "Options:\n"
	    "  -f, --format text|md|json  how to say it (default text; json:\n"
	    "                             docs/diff.md)\n"
	    "  -h, --help                 this help\n"
	    "\n"
	    "Exit status, as diff(1): 0 nothing changed, 1 something did, 2 an\n"
	    "error (bad options, A or B neither a trace nor a protocol).\n");
}

/* path's model: a trace's protocol (instructions' texts kept, for their
 * diff), or a protocol's JSON read back; NULL with err. */
static cJSON *
load(const char *path, char *err, size_t errlen)
{
	struct cx_reader *r;
	struct cx_protocol *p;
	char e2[512], *text;
	size_t n = 0;
	cJSON *m;
	FILE *f;

	if ((r = cx_reader_open(path, e2, sizeof(e2))) != NULL) {
		cx_reader_close(r);
		p = cx_protocol_new(1, 1);
		if (cx_protocol_add_trace(p, path, err, errlen) == -1) {
			cx_protocol_free(p);
			return NULL;
		}
		m = cx_protocol_json(p);
		cx_protocol_free(p);
		return m;
	}
	if ((f = fopen(path, "r")) == NULL) {
		snprintf(err, errlen, "%s: %s", path, strerror(errno));
		return NULL;
	}
	text = xmalloc(JSON_MAX + 1);
	n = fread(text, 1, JSON_MAX + 1, f);
	fclose(f);
	if (n > JSON_MAX) {
		snprintf(err, errlen, "%s: neither a trace nor a protocol's "
		    "JSON (over %u MiB)", path, JSON_MAX >> 20);
		free(text);
		return NULL;
	}
	if (n > 0 && text[0] != '{') {
		snprintf(err, errlen, "%s: neither a trace (%s) nor a "
		    "protocol's JSON", path, e2);
		free(text);
		return NULL;
	}
	m = cx_protocol_parse(text, n, e2, sizeof(e2));
	free(text);
	if (m == NULL)
		snprintf(err, errlen, "%s: %s", path, e2);
	return m;
}

int
cmd_diff(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "format",     required_argument, NULL, 'f' },
		{ "help",       no_argument,       NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	const char *format = "text";
	const struct cx_credname *prev;
	struct cx_credname names;
	cJSON *a, *b, *d;
	char err[1024];
	int ch, rc;

	opterr = 0;
	optind = 1;
	while ((ch = getopt_long(argc, argv, "+f:h", longopts, NULL)) != -1) {
		switch (ch) {
		case 'f':
			format = optarg;
			break;
		case 'h':
			usage_diff();
			return CX_EXIT_OK;
		default:
			fprintf(stderr, "cxrec: diff: %s option '%s' ("
			    USAGE_LINE ")\n", optopt ? "bad" : "unknown",
			    argv[optind - 1]);
			return CX_EXIT_USAGE;
		}
	}
	if (strcmp(format, "text") != 0 && strcmp(format, "md") != 0 &&
	    strcmp(format, "json") != 0) {
		fprintf(stderr, "cxrec: diff: unknown format '%s': text, md or "
		    "json\n", format);
		return CX_EXIT_USAGE;
	}
	if (argc - optind != 2) {
		fprintf(stderr, "cxrec: diff: two to compare (" USAGE_LINE
		    ")\n");
		return CX_EXIT_USAGE;
	}
	cli_cred_names(&names);
	prev = cx_redact_use_names(&names);
	a = load(argv[optind], err, sizeof(err));
	b = a != NULL ? load(argv[optind + 1], err, sizeof(err)) : NULL;
	cx_redact_use_names(prev);
	if (a == NULL || b == NULL) {
		fprintf(stderr, "cxrec: diff: %s\n", err);
		cJSON_Delete(a);
		return CX_EXIT_USAGE;
	}
	d = cx_protocol_diff(a, b);
	if (strcmp(format, "json") == 0) {
		char *s = cJSON_Print(d);

		printf("%s\n", s);
		cJSON_free(s);
	} else
		cx_protocol_diff_write(stdout, d, strcmp(format, "md") == 0);
	rc = cx_protocol_diff_changed(d) ? CX_EXIT_FAIL : CX_EXIT_OK;
	cJSON_Delete(a);
	cJSON_Delete(b);
	cJSON_Delete(d);
	return rc;
}
