/*
 * run_setup.c: a run before COMMAND is pointed anywhere: the agent
 * module's plan, the kernel probe, the relay with its forward proxy, and
 * the trace (run_int.h).
 */
#include <stdio.h>

#include "cli.h"
#include "log.h"
#include "relay_opts.h"
#include "run_int.h"

/* Which agent, and its plan: login, mode, routes. */
int
run_plan(struct run *run)
{
	struct agent_run *ar = &run->ar;

	agent_detect(ar, run->cmd);
	if (ar->agent->plan(ar) == -1) {
		log_warnx("%s", ar->err);
		return CX_EXIT_USAGE;
	}
	if (ar->warning[0])
		log_warnx("%s", ar->warning);
	return 0;
}

/*
 * The probe first: --bpf on fails before anything is created.  Which way
 * processes are named (and why not by the probe) is said in the line at
 * the end.
 */
int
run_open_probe(struct run *run)
{
	char err[512];

	if (run->o->bpf == RUN_BPF_OFF) {
		snprintf(run->procs_how, sizeof(run->procs_how),
		    "processes: /proc (--bpf off)");
		return 0;
	}
	if ((run->probe = cx_probe_open(err, sizeof(err))) != NULL) {
		snprintf(run->procs_how, sizeof(run->procs_how),
		    "processes: kernel probe");
		return 0;
	}
	if (run->o->bpf == RUN_BPF_ON) {
		log_warnx("--bpf on: the kernel probe cannot load: %s", err);
		return CX_EXIT_USAGE;
	}
	snprintf(run->procs_how, sizeof(run->procs_how), "processes: /proc "
	    "(the kernel probe cannot load: %s)", err);
	return 0;
}

/*
 * The forward proxy, for what ignores base URLs: a CA and a token for
 * this run.  Hosts not the agent's vendor's are tunnelled untouched
 * unless --intercept says otherwise.
 */
static int
setup_proxy(struct run *run)
{
	char err[512];

	if (proxy_setup_init(&run->pxs, &run->cfg, err, sizeof(err)) == -1) {
		log_warnx("the forward proxy: %s", err);
		return -1;
	}
	if (!run->o->relay.intercept_given)
		run->cfg.intercept = RELAY_INTERCEPT_AGENT;
	run->cfg.agent_hosts = run->ar.agent->hosts;
	return 0;
}

/* The relay's configuration, the relay listening, then the trace. */
int
run_listen(struct run *run)
{
	struct relay_opts *o = &run->o->relay;
	char err[512];
	int rc;

	raise_nofile(&run->orig_nofile);
	if (relay_opts_config(o, &run->defaults, &run->cfg) == -1)
		return CX_EXIT_SYS;
	run->cfg.client_lookup = run->probe == NULL;
	if ((run->ar.mode & AGENT_MODE_PROXY) && setup_proxy(run) == -1)
		return CX_EXIT_SYS;
	if ((rc = run_replay_start(run)) != 0)
		return rc;
	/* Listening first: a relay that cannot start leaves the trace be. */
	if ((run->relay = relay_new(&run->cfg, err, sizeof(err))) == NULL) {
		log_warnx("%s", err);
		return CX_EXIT_SYS;
	}
	if ((run->w = open_trace(o)) == NULL)
		return CX_EXIT_SYS;
	relay_set_trace(run->relay, run->w);
	run->cfg.trace = run->w;
	if (o->insecure)
		log_warnx("warning: --insecure: upstream certificates are not "
		    "verified");
	return 0;
}
