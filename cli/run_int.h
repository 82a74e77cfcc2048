/*
 * run_int.h: what the pieces of the run module (run.h) share: the run
 * itself and its steps.  Not for use outside cli/run*.c.
 *
 *	run.c           the steps in order, stopping, the summary, run_free
 *	run_setup.c     the plan, the probe, the relay, its proxy, the trace
 *	run_point.c     COMMAND's environment and arguments, the preload
 *	run_child.c     COMMAND: started, its signals forwarded, waited for
 *	run_note.c      the run and exit notes in the trace
 *	run_replay.c    --replay: the recorded upstream, in a thread
 */
#ifndef CX_RUN_INT_H
#define CX_RUN_INT_H

#include <pthread.h>
#include <signal.h>
#include <sys/resource.h>
#include <sys/types.h>

#include "agent.h"
#include "ca_env.h"
#include "preload_setup.h"
#include "probe.h"
#include "proxy_setup.h"
#include "relay.h"
#include "replay_server.h"
#include "run.h"

/*
 * Every resource of one run.  Each member is empty (zero, NULL) until its
 * step sets it up, and is made empty again when it is released, so that
 * run_free releases exactly what is still held.
 */
struct run {
	struct run_opts         *o;             /* borrowed */
	char                   **cmd;           /* COMMAND as given, borrowed */
	/* The module's plan and what its point set (agent_run_free). */
	struct agent_run         ar;
	struct route_table       defaults;      /* the module's routes */
	struct relay_config      cfg;
	struct cx_probe         *probe;         /* cx_probe_close */
	struct proxy_setup       pxs;           /* proxy_setup_free */
	struct ca_env            cae;           /* ca_env_cleanup */
	struct relay            *relay;         /* relay_free */
	struct cx_writer        *w;             /* cx_writer_close */
	struct preload_setup     pre;           /* preload_finish */
	char                   **line;          /* COMMAND with the module's
						 * arguments: the array is
						 * owned, its strings not */
	pthread_t                thread;        /* the relay's, */
	int                      thread_on;     /* while it runs */
	/* As cxrec found them, for COMMAND: the relay ignores SIGPIPE and
	 * raises the limit on open files for itself. */
	struct sigaction         orig_sigpipe;
	struct rlimit            orig_nofile;
	pid_t                    pid;           /* COMMAND; -1: no fork */
	int                      exec_errno;    /* its exec's failure, or 0 */
	struct relay_stats       st;            /* once the relay stopped */
	pid_t                    view_pid;      /* --view's cxrec view, or 0 */
	pid_t                    export_pid;    /* --export's, or 0 */
	/* --replay: the server (replay_server_free), its thread */
	struct replay_server    *replay;
	pthread_t                replay_thread;
	int                      replay_on;
	volatile sig_atomic_t    replay_stop;
	/* For the summary line. */
	char                     procs_how[600];
	char                     preload_how[800];
};

/* run_setup.c: 0, or the exit status to leave with (said). */
int     run_plan(struct run *run);
int     run_open_probe(struct run *run);
int     run_listen(struct run *run);

/* run_point.c: the relay listens; 0, or CX_EXIT_SYS (said). */
int     run_point(struct run *run);
void    run_preload(struct run *run);

/*
 * run_view.c: --view: `cxrec view TRACE` beside COMMAND, in a process
 * group of its own (COMMAND's Ctrl-C is not its end), started before
 * COMMAND's environment (preload, proxies) is set, printing its URL;
 * stopped once the trace is closed, after its viewers had the end.
 */
void    run_view_start(struct run *run);
void    run_view_stop(struct run *run);

/*
 * run_replay.c: --replay: the trace read, its server listening, the
 * relay's routes and the proxy's mapped, agent and recorded hosts pointed
 * at it (start, before relay_new); then serving in a thread (serve, with
 * run_start's signals blocked), each request it cannot answer a note in
 * the trace: 0, or the exit status to leave with (said).  Stopping it
 * says what it answered, in one line.
 */
int     run_replay_start(struct run *run);
int     run_replay_serve(struct run *run);
void    run_replay_stop(struct run *run);

/* run_child.c */
/* The relay's thread, the probe, COMMAND: 0, or CX_EXIT_SYS (said). */
int     run_start(struct run *run);
/* COMMAND's end: the exit status (and why it did not start, said). */
int     run_wait(struct run *run);
/* Did COMMAND start at all? */
int     run_started(const struct run *run);

/* run_note.c */
void    run_note_start(struct run *run);
void    run_note_exit(struct run *run, int status);

#endif
