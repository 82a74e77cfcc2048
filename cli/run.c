/*
 * run.c: one `cxrec run` (run.h): its steps in order, the capture
 * stopped, the line at the end, and the one place that releases what a
 * run holds (run_free).
 */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "export_child.h"
#include "log.h"
#include "relay_opts.h"
#include "run_int.h"
#include "xmalloc.h"

void
run_opts_init(struct run_opts *o)
{
	memset(o, 0, sizeof(*o));
	relay_opts_init(&o->relay);
	o->relay.listen = "127.0.0.1:0";
	o->bpf = RUN_BPF_AUTO;
}

struct run *
run_new(struct run_opts *o, char **cmd)
{
	struct run *run = xcalloc(1, sizeof(*run));

	run->o = o;
	run->cmd = cmd;
	run->ar.agent = o->agent;
	run->ar.mode = o->mode;
	run->ar.mode_forced = o->mode != 0;
	snprintf(run->ar.forced_login, sizeof(run->ar.forced_login), "%s",
	    o->forced_login);
	run->ar.routes = &run->defaults;
	run->orig_nofile.rlim_cur = run->orig_nofile.rlim_max = RLIM_INFINITY;
	sigaction(SIGPIPE, NULL, &run->orig_sigpipe);
	return run;
}

int
run_setup(struct run *run)
{
	int rc;

	if ((rc = run_plan(run)) != 0 || (rc = run_open_probe(run)) != 0 ||
	    (rc = run_listen(run)) != 0)
		return rc;
	/* The trace is there; the view and the export before the
	 * command's environment (its preload, its proxies) is set in ours. */
	run_view_start(run);
	run->export_pid = export_child_start(&run->o->relay);
	if ((rc = run_point(run)) != 0)
		return rc;
	run_preload(run);
	run_note_start(run);
	return 0;
}

/*
 * Stop the capture: the probe, then the relay (its thread, then the
 * proxy's CA, which the relay held).  Its figures stay in run->st.
 * Whatever was not set up is skipped; twice is fine.
 */
static void
run_stop(struct run *run)
{
	uint64_t lost = cx_probe_close(run->probe);

	run->probe = NULL;
	if (lost > 0)
		log_warnx("probe: %llu events lost (its ring buffer was full): "
		    "some processes are unknown", (unsigned long long)lost);
	if (run->thread_on) {
		relay_stop(run->relay);
		pthread_join(run->thread, NULL);
		run->thread_on = 0;
		relay_get_stats(run->relay, &run->st);
	}
	relay_free(run->relay);
	run->relay = NULL;
	run_replay_stop(run);
	proxy_setup_free(&run->pxs);
	ca_env_cleanup(&run->cae);
}

static void
human_bytes(uint64_t n, char *out, size_t len)
{
	if (n < 1024)
		snprintf(out, len, "%llu B", (unsigned long long)n);
	else if (n < 1024 * 1024)
		snprintf(out, len, "%.1f KiB", n / 1024.0);
	else if (n < 1024ULL * 1024 * 1024)
		snprintf(out, len, "%.1f MiB", n / (1024.0 * 1024));
	else
		snprintf(out, len, "%.2f GiB", n / (1024.0 * 1024 * 1024));
}

/* The one line cxrec prints (the terminal is COMMAND's). */
static void
run_summary(const struct run *run)
{
	const struct agent_run *ar = &run->ar;
	const struct relay_stats *st = &run->st;
	char sent[32], recv[32], newer[200] = "", via[80] = "";

	human_bytes(st->req_bytes, sent, sizeof(sent));
	human_bytes(st->resp_bytes, recv, sizeof(recv));
	if (agent_newer_than_verified(ar))
		snprintf(newer, sizeof(newer), " (newer than the versions "
		    "verified, %s: the newest way in was used)",
		    ar->agent->verified);
	if (ar->mode & AGENT_MODE_PROXY)
		snprintf(via, sizeof(via), ", %llu of them through its proxy",
		    (unsigned long long)st->proxy_requests);
	fprintf(stderr, "cxrec: %llu exchange%s through the relay%s (%s sent, "
	    "%s received) recorded to %s; %s%s%s%s%s reached by %s, login: %s "
	    "(%s); %s%s\n",
	    (unsigned long long)st->requests, st->requests == 1 ? "" : "s",
	    via, sent, recv, run->o->relay.output, ar->agent->name,
	    ar->version[0] ? " " : "", ar->version, newer,
	    ar->agent == &agent_generic ? " (not an agent cxrec knows: cxrec "
	    "run --agent list)" : "", ar->how, ar->login, ar->login_why,
	    run->procs_how, run->preload_how);
}

int
run_exec(struct run *run)
{
	char err[700];
	int status;

	if ((status = run_start(run)) != 0)
		return status;
	status = run_wait(run);
	run_stop(run);
	run_note_exit(run, status);
	preload_finish(&run->pre, err, sizeof(err));
	if (err[0] != '\0')
		snprintf(run->preload_how, sizeof(run->preload_how),
		    "; preload: %s", err);
	/* Nothing ran: the error line said it all. */
	if (run_started(run)) {
		run_summary(run);
		report_losses(run->w, run->o->relay.output);
	}
	return status;
}

void
run_free(struct run *run)
{
	char err[700];

	if (run == NULL)
		return;
	run_stop(run);
	preload_finish(&run->pre, err, sizeof(err));
	free(run->line);
	cx_writer_end(run->w, CX_SRC_CLI);      /* decode --follow stops */
	cx_writer_close(run->w);
	export_child_stop(run->export_pid, &run->o->relay);
	run->export_pid = 0;
	run_view_stop(run);
	agent_run_free(&run->ar);
	free(run);
}

int
run_main(struct run_opts *o, char **cmd)
{
	struct run *run = run_new(o, cmd);
	int rc;

	if ((rc = run_setup(run)) == 0)
		rc = run_exec(run);
	run_free(run);
	return rc;
}
