/*
 * run_replay.c: cxrec run --replay TRACE (run_int.h): the recorded
 * upstream served in a thread of cxrec's, and the relay's routes and the
 * forward proxy's hosts pointed at it, so that COMMAND is recorded as
 * usual while it talks to the recording.
 */
#include <pthread.h>
#include <stdio.h>
#include <string.h>

#include "cli.h"
#include "log.h"
#include "note.h"
#include "run_int.h"

struct miss {
	const char      *method;
	const char      *target;
	const char      *why;
};

static void
miss_note(struct cx_jobj *j, const void *arg)
{
	const struct miss *m = arg;

	cx_jobj_str(j, "type", "replay");
	cx_jobj_str(j, "method", m->method);
	cx_jobj_str(j, "target", m->target);
	cx_jobj_str(j, "why", m->why);
}

/* A request the trace does not hold: a note in the new trace, too. */
static void
unmatched(void *arg, const char *method, const char *target, const char *why)
{
	struct run *run = arg;
	struct miss m = { method, target, why };

	cli_note(run->w, miss_note, &m);
}

static void *
serve(void *arg)
{
	struct run *run = arg;

	if (replay_server_run(run->replay, &run->replay_stop) == -1)
		log_warn("--replay: poll");
	return NULL;
}

struct mapping {
	struct host_map_table   *t;
	const char              *url;
	int                      full;
};

/* A host the recording reached through the proxy: to the replay too. */
static void
map_host(void *arg, const char *host)
{
	struct mapping *m = arg;
	char spec[600], err[512];

	if (host_map_find(m->t, host) != NULL || strchr(host, ':') != NULL)
		return;                 /* mapped, or an IPv6 literal */
	if (m->t->n == MAX_HOST_MAPS) {
		m->full++;
		return;
	}
	snprintf(spec, sizeof(spec), "%s=%s", host, m->url);
	if (host_map_add_spec(m->t, spec, err, sizeof(err)) == -1)
		log_warnx("--replay: %s", err);
}

/*
 * Every route, every host the proxy would intercept, and every host the
 * recording reached through it, to url.
 */
static int
point(struct run *run, const char *url)
{
	struct mapping m = { &run->cfg.map_hosts, url, 0 };
	struct relay_config *cfg = &run->cfg;
	struct route_table *t = &cfg->routes;
	const char *const *hosts = run->ar.agent->hosts;
	char err[512], spec[600];

	for (int i = 0; i < t->n; i++)
		if (route_add(t, t->r[i].prefix, url, err, sizeof(err)) == -1)
			goto fail;
	if (route_add(t, "/", url, err, sizeof(err)) == -1)
		goto fail;
	for (int i = 0; i < cfg->map_hosts.n; i++) {
		snprintf(spec, sizeof(spec), "%s=%s", cfg->map_hosts.m[i].host,
		    url);
		if (host_map_add_spec(&cfg->map_hosts, spec, err,
		    sizeof(err)) == -1)
			goto fail;
	}
	for (size_t i = 0; hosts != NULL && hosts[i] != NULL; i++) {
		if (hosts[i][0] == '*')
			continue;       /* a pattern: no map for it */
		snprintf(spec, sizeof(spec), "%s=%s", hosts[i], url);
		if (host_map_add_spec(&cfg->map_hosts, spec, err,
		    sizeof(err)) == -1)
			goto fail;
	}
	replay_server_proxy_hosts(run->replay, map_host, &m);
	if (m.full > 0)
		log_warnx("--replay: %d of the hosts the trace reached through "
		    "the proxy are not sent to the replay (at most %d are)",
		    m.full, MAX_HOST_MAPS);
	return 0;
fail:
	log_warnx("--replay: %s", err);
	return -1;
}

int
run_replay_start(struct run *run)
{
	struct replay_opts ro = { 0 };
	char err[1024];
	int usage;

	if (run->o->replay == NULL)
		return 0;
	ro.trace = run->o->replay;
	ro.speed = run->o->replay_speed;
	ro.no_delay = run->o->replay_no_delay;
	ro.unmatched = unmatched;
	ro.arg = run;
	if ((run->replay = replay_server_new(&ro, &usage, err,
	    sizeof(err))) == NULL) {
		log_warnx("--replay: %s", err);
		return usage ? CX_EXIT_USAGE : CX_EXIT_SYS;
	}
	if (point(run, replay_server_url(run->replay)) == -1)
		return CX_EXIT_USAGE;
	return 0;
}

int
run_replay_serve(struct run *run)
{
	if (run->replay == NULL)
		return 0;
	run->replay_stop = 0;
	if (pthread_create(&run->replay_thread, NULL, serve, run) != 0) {
		log_warnx("--replay: cannot start its thread");
		return CX_EXIT_SYS;
	}
	run->replay_on = 1;
	return 0;
}

void
run_replay_stop(struct run *run)
{
	struct replay_stats st;

	if (run->replay_on) {
		run->replay_stop = 1;
		pthread_join(run->replay_thread, NULL);
		run->replay_on = 0;
		replay_server_stats(run->replay, &st);
		log_warnx("replayed %s: %llu request%s, %llu answered from it "
		    "(%llu again), %llu not in it (501)%s", run->o->replay,
		    (unsigned long long)st.requests, st.requests == 1 ? "" :
		    "s", (unsigned long long)st.answered,
		    (unsigned long long)st.again,
		    (unsigned long long)st.unmatched, st.ws_unmatched ?
		    "; WebSocket messages past the recording's" : "");
	}
	replay_server_free(run->replay);
	run->replay = NULL;
}
