/*
 * run.h: one `cxrec run -- COMMAND`.  The relay (and, for what ignores
 * base URLs, its forward proxy) listens on a free loopback port in a
 * thread; COMMAND's agent module points COMMAND at it; COMMAND runs with
 * the terminal, its signals forwarded; at the end one line on stderr and
 * cxrec's exit status is COMMAND's.
 *
 * A run goes through its steps in order (run_main does all of them):
 *
 *	run_new      the struct that owns every resource of the run
 *	run_setup    the module's plan, the probe, the relay and the trace,
 *	             COMMAND's environment, the preload, the run note
 *	run_exec     the relay's thread, COMMAND started and waited for, the
 *	             capture stopped, the exit note, the summary line
 *	run_free     whatever is still held, in order; after any step, also
 *	             one that failed half-way
 *
 * Ownership: the run borrows its run_opts and COMMAND's argv (both must
 * outlive it) and owns everything else.
 */
#ifndef CX_RUN_H
#define CX_RUN_H

#include "agent.h"
#include "relay_opts.h"

/* --bpf: which process made each exchange. */
enum run_bpf {
	RUN_BPF_AUTO,           /* the kernel probe where it loads, else /proc */
	RUN_BPF_ON,             /* the probe, or fail */
	RUN_BPF_OFF,            /* /proc */
};

/* What the command line asked for (cmd_run.c fills it). */
struct run_opts {
	struct relay_opts        relay;         /* -o, --listen, --upstream, ... */
	const struct agent      *agent;         /* --agent; NULL: recognise */
	enum agent_mode          mode;          /* --mode; 0: the module's */
	char                     forced_login[16];      /* --codex-auth, or "" */
	int                      no_preload;    /* --no-preload */
	enum run_bpf             bpf;           /* --bpf */
	int                      view;          /* --view */
	int                      view_open;     /* --open */
	const char              *replay;        /* --replay TRACE, or NULL */
	double                   replay_speed;  /* --speed (0: 1) */
	int                      replay_no_delay;       /* --no-delay */
};

struct run;

/* Defaults: listen on 127.0.0.1:0, --bpf auto, the relay's defaults. */
void         run_opts_init(struct run_opts *o);
/* All the steps: cxrec's exit status (COMMAND's, or a cx_exit code). */
int          run_main(struct run_opts *o, char **cmd);

/* A run of cmd (NULL-terminated, not empty) as o says; nothing started. */
struct run  *run_new(struct run_opts *o, char **cmd);
/*
 * Everything before COMMAND starts.  0, or the exit status to leave with
 * (CX_EXIT_USAGE: the plan or --bpf on cannot be; CX_EXIT_SYS: the relay,
 * proxy or trace), said in one line on stderr.  The trace is created only
 * once the relay listens.
 */
int          run_setup(struct run *run);
/*
 * Start COMMAND and the capture, wait for COMMAND, stop the capture.
 * Returns the exit status: COMMAND's (128 + N for signal N), or
 * CX_EXIT_NOTFOUND, CX_EXIT_NOEXEC, CX_EXIT_SYS when it could not start.
 */
int          run_exec(struct run *run);
/* Release everything the run still holds; NULL is fine. */
void         run_free(struct run *run);

#endif
