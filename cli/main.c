/* main.c: cxrec's entry point: parse the subcommand, dispatch. */
#include <stdio.h>
#include <string.h>

#include "cli.h"

struct cmd_entry {
	const char      *name;
	int            (*fn)(int, char **);
	void           (*usage)(void);
	const char      *summary;
};

static const struct cmd_entry cmds[] = {
	{ "run", cmd_run, usage_run,
	    "run a command with its API traffic recorded through the relay" },
	{ "relay", cmd_relay, usage_relay,
	    "run the recording relay alone, until SIGINT or SIGTERM" },
	{ "decode", cmd_decode, usage_decode,
	    "reassemble a trace into ordered exchanges (text or jsonl)" },
	{ "view", cmd_view, usage_view,
	    "serve a trace in the browser, live while it is recorded" },
	{ "protocol", cmd_protocol, usage_protocol,
	    "what the recorded agent speaks: endpoints, headers, keys, tools" },
	{ "diff", cmd_diff, usage_diff,
	    "what changed in what an agent speaks, between two traces" },
	{ "replay", cmd_replay, usage_replay,
	    "answer as the upstream recorded in a trace (offline re-runs)" },
	{ "export", cmd_export, usage_export,
	    "export traces into ClickHouse (sessions, exchanges, turns...)" },
};
#define NCMDS (sizeof(cmds) / sizeof(cmds[0]))

static void
usage(FILE *f)
{
	fprintf(f,
	    "usage: cxrec COMMAND [OPTIONS] [ARGS]\n"
	    "\n"
	    "Record what a command-line AI agent says to its model API, and "
	    "what comes back.\n"
	    "\n"
	    "Commands:\n");
	for (size_t i = 0; i < NCMDS; i++)
		fprintf(f, "  %-8s %s\n", cmds[i].name, cmds[i].summary);
	fprintf(f,
	    "  help     help COMMAND: the options of one command\n"
	    "\n"
	    "Examples:\n"
	    "  cxrec run -- codex exec \"fix the failing test\"\n"
	    "  cxrec decode trace.bin\n"
	    "  cxrec decode --format jsonl trace.bin | jq .\n"
	    "  cxrec view trace.bin\n"
	    "  cxrec run --replay trace.bin -- codex exec \"fix the failing test\"\n"
	    "  cxrec relay --listen 127.0.0.1:8080 -o trace.bin\n"
	    "\n"
	    "Options:\n"
	    "  -h, --help     this help\n"
	    "  -V, --version  print the version\n");
}

static const struct cmd_entry *
find(const char *name)
{
	for (size_t i = 0; i < NCMDS; i++)
		if (strcmp(cmds[i].name, name) == 0)
			return &cmds[i];
	return NULL;
}

int
main(int argc, char **argv)
{
	const struct cmd_entry *c;
	int rc;

	if (argc < 2) {
		usage(stderr);
		return CX_EXIT_USAGE;
	}
	if (strcmp(argv[1], "-h") == 0 || strcmp(argv[1], "--help") == 0) {
		usage(stdout);
		return CX_EXIT_OK;
	}
	if (strcmp(argv[1], "-V") == 0 || strcmp(argv[1], "--version") == 0 ||
	    strcmp(argv[1], "version") == 0) {
		printf("cxrec %s\n", CXREC_VERSION);
		return CX_EXIT_OK;
	}
	if (strcmp(argv[1], "help") == 0) {
		if (argc < 3) {
			usage(stdout);
			return CX_EXIT_OK;
		}
		if ((c = find(argv[2])) == NULL) {
			fprintf(stderr, "cxrec: unknown command '%s' (try "
			    "cxrec --help)\n", argv[2]);
			return CX_EXIT_USAGE;
		}
		c->usage();
		return CX_EXIT_OK;
	}
	if ((c = find(argv[1])) == NULL) {
		fprintf(stderr, "cxrec: unknown command '%s' (try cxrec "
		    "--help)\n", argv[1]);
		return CX_EXIT_USAGE;
	}
	rc = c->fn(argc - 1, argv + 1);
	if (fflush(stdout) == EOF || ferror(stdout)) {
		fprintf(stderr, "cxrec: error writing to standard output\n");
		if (rc == CX_EXIT_OK)
			rc = CX_EXIT_FAIL;
	}
	return rc;
}
