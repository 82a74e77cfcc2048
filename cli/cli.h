/* cli.h: the cxrec subcommands and what they share. */
#ifndef CX_CLI_H
#define CX_CLI_H

/* Exit codes (README "Exit codes"). `cxrec run` exits with COMMAND's. */
enum cx_exit {
	CX_EXIT_OK = 0,
	CX_EXIT_FAIL = 1,       /* the work failed (e.g. the trace is unusable) */
	CX_EXIT_USAGE = 2,      /* bad options, bad input file */
	CX_EXIT_SYS = 3,        /* cannot listen, cannot write the trace */
	CX_EXIT_NOEXEC = 126,   /* run: COMMAND found but not executable */
	CX_EXIT_NOTFOUND = 127, /* run: COMMAND not found */
};

int cmd_run(int argc, char **argv);
int cmd_relay(int argc, char **argv);
int cmd_decode(int argc, char **argv);
int cmd_view(int argc, char **argv);
int cmd_protocol(int argc, char **argv);
int cmd_diff(int argc, char **argv);
int cmd_replay(int argc, char **argv);
int cmd_export(int argc, char **argv);

void usage_run(void);
void usage_relay(void);
void usage_decode(void);
void usage_view(void);
void usage_protocol(void);
void usage_diff(void);
void usage_replay(void);
void usage_export(void);

/*
 * The credential names cxrec knows (credname.h): the base and every agent
 * module's cred_headers and cred_query, set afresh in set.  decode
 * redacts them all; `run --redact-at-source` hides them at the source.
 */
struct cx_credname;
void cli_cred_names(struct cx_credname *set);

#endif
