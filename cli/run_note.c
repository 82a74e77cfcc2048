/*
 * run_note.c: what a run says about itself in its trace: the run note
 * (the command, the agent and how it was reached, the relay, the proxy,
 * the redaction) before COMMAND starts, the exit note after (run_int.h).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>


#include "argv.h"
#include "bytebuf.h"
#include "credname.h"
#include "note.h"
#include "relay_opts.h"
#include "run_int.h"
#include "xmalloc.h"

struct run_note {
	const struct run        *run;
	struct cx_buf            argv;          /* NUL-separated */
};

/*
 * What the module set, as the object member key.  The proxy's token is no
 * secret after the run, but no credential goes into a trace.
 */
static void
env_jobj(struct cx_jobj *j, const char *key, const struct agent_run *ar,
    const char *token)
{
	cx_jobj_object(j, key);
	for (int i = 0; i < ar->nenv; i++) {
		const char *kv = ar->env[i], *eq = strchr(kv, '='), *v, *at;

		if (eq == NULL)
			continue;
		v = eq + 1;
		at = token != NULL && token[0] != '\0' ? strstr(v, token) :
		    NULL;
		char *name = xmalloc((size_t)(eq - kv) + 1);
		memcpy(name, kv, (size_t)(eq - kv));
		name[eq - kv] = '\0';
		if (at == NULL)
			cx_jobj_str(j, name, v);
		else {
			size_t n = strlen(v) - strlen(token) + 4;
			char *m = xmalloc(n);

			snprintf(m, n, "%.*s***%s", (int)(at - v), v,
			    at + strlen(token));
			cx_jobj_str(j, name, m);
			free(m);
		}
		free(name);
	}
	cx_jobj_close(j);
}

/* The note that says what this trace is. */
static void
run_note(struct cx_jobj *j, const void *arg)
{
	const struct run_note *n = arg;
	const struct run *run = n->run;
	const struct agent_run *ar = &run->ar;
	const struct relay_opts *o = &run->o->relay;

	cx_jobj_str(j, "type", "run");
	cx_jobj_str(j, "cxrec_version", CXREC_VERSION);
	cx_argv_jobj(j, "argv", (const char *)n->argv.p, n->argv.len,
	    run->cfg.redact_key);
	cx_jobj_str(j, "agent", ar->agent->name);
	if (ar->version[0] != '\0')
		cx_jobj_str(j, "agent_version", ar->version);
	else
		cx_jobj_raw(j, "agent_version", "null");
	cx_jobj_str(j, "reached_by", ar->how);
	env_jobj(j, "env", ar, run->pxs.token);
	if (ar->mode & AGENT_MODE_PROXY)
		proxy_setup_jobj(j, "proxy", &run->pxs, run->relay, &run->cfg);
	else
		cx_jobj_raw(j, "proxy", "null");
	cx_credname_jobj(&o->cred_names, j, "credentials");
	cx_jobj_str(j, "login_mode", ar->login);
	cx_jobj_str(j, "login_reason", ar->login_why);
	cx_jobj_str(j, "listen", relay_address(run->relay));
	routes_jobj(j, "routes", &run->cfg.routes);
	cx_jobj_bool(j, "insecure", o->insecure);
	cx_jobj_str(j, "processes", run->probe != NULL ? "probe" : "proc");
	cx_jobj_bool(j, "preload", run->pre.active);
	cx_jobj_bool(j, "redact_at_source", o->redact_at_source);
	if (run->o->replay != NULL)             /* the upstream: a recording */
		cx_jobj_str(j, "replay", run->o->replay);
}

void
run_note_start(struct run *run)
{
	struct run_note n = { .run = run };

	for (int i = 0; run->line[i] != NULL; i++)
		cx_buf_add(&n.argv, run->line[i], strlen(run->line[i]) + 1);
	cli_note(run->w, run_note, &n);
	cx_buf_free(&n.argv);
}

struct exit_note {
	int             status;
	uint64_t        requests;
};

static void
exit_note(struct cx_jobj *j, const void *arg)
{
	const struct exit_note *n = arg;

	cx_jobj_str(j, "type", "exit");
	cx_jobj_i64(j, "status", n->status);
	cx_jobj_u64(j, "requests", n->requests);
}

/* How it ended: the exit status, the relay's requests. */
void
run_note_exit(struct run *run, int status)
{
	struct exit_note n = { status, run->st.requests };

	cli_note(run->w, exit_note, &n);
}
