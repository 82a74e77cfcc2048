/*
 * run_point.c: COMMAND pointed at the relay once it listens: the agent
 * module's environment and arguments, the forward proxy and its CA, the
 * variables cxrec always sets, and the preload (run_int.h).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "log.h"
#include "preload.h"
#include "proxy.h"
#include "run_int.h"
#include "xmalloc.h"

/* Append ",s" (or "s" first) to out[0..*n); -1 if it does not fit. */
static int
csv_add(char *out, size_t len, size_t *n, const char *s)
{
	size_t k = strlen(s);

	if (*n + k + 2 > len)
		return -1;
	if (*n > 0)
		out[(*n)++] = ',';
	memcpy(out + *n, s, k + 1);
	*n += k;
	return 0;
}

/*
 * The hosts the proxy decrypts under --intercept agent, as a list the
 * preload reads ("h1,*.h2,..."): exactly the proxy's.  -1 if too long.
 */
static int
intercept_csv(const struct relay_config *cfg, char *out, size_t len)
{
	const char *const *l = cfg->agent_hosts != NULL ? cfg->agent_hosts :
	    proxy_agent_hosts;
	size_t n = 0;

	out[0] = '\0';
	for (int i = 0; l[i] != NULL; i++)
		if (csv_add(out, len, &n, l[i]) == -1)
			return -1;
	for (int i = 0; i < cfg->map_hosts.n; i++)
		if (csv_add(out, len, &n, cfg->map_hosts.m[i].host) == -1)
			return -1;
	return 0;
}

/*
 * A proxy the user had: cxrec's takes its place for COMMAND and connects
 * upstream directly (no chaining yet).  Said, not hidden.
 */
static void
warn_user_proxy(const char *const vars[2])
{
	for (size_t i = 0; i < 2; i++) {
		const char *v = getenv(vars[i]);
		char shown[600];

		if (v == NULL || v[0] == '\0')
			continue;
		agent_url_shown(v, shown, sizeof(shown));
		log_warnx("%s=%s is replaced by cxrec's proxy for the command, "
		    "which connects upstream directly (--mode base-url keeps "
		    "it)", vars[i], shown);
		break;
	}
}

/*
 * For the preload: the proxy's address (no token), so that a connection
 * to it is recorded once, and what the proxy decrypts: the preload
 * records the TLS plaintext of the CONNECTs that are only tunnelled.
 */
static void
tell_preload(const struct run *run)
{
	const struct relay_config *cfg = &run->cfg;
	char addr[128], policy[2048];

	snprintf(addr, sizeof(addr), "http://%s",
	    relay_proxy_address(run->relay));
	setenv(CX_PRELOAD_ENV_PROXY, addr, 1);
	if (cfg->intercept == RELAY_INTERCEPT_ALL)
		snprintf(policy, sizeof(policy), "all");
	else if (cfg->intercept == RELAY_INTERCEPT_NONE)
		snprintf(policy, sizeof(policy), "none");
	else if (intercept_csv(cfg, policy, sizeof(policy)) == -1)
		snprintf(policy, sizeof(policy), "none");      /* duplicates,
								 * not losses */
	setenv(CX_PRELOAD_ENV_INTERCEPT, policy, 1);
}

/*
 * The proxy for COMMAND: HTTPS_PROXY with the token, the CA through every
 * variable programs read one from, and the preload told.  Not HTTP_PROXY:
 * plain-HTTP requests would carry the token in every request head, and
 * the preload records plain HTTP of its own.  0, or -1 (run->ar.err).
 */
static int
point_proxy(struct run *run)
{
	static const char *const vars[2] = { "HTTPS_PROXY", "https_proxy" };
	struct agent_run *ar = &run->ar;
	char err[600];

	warn_user_proxy(vars);
	for (size_t i = 0; i < 2; i++)
		if (agent_setenv(ar, vars[i], ar->proxy_url) == -1)
			return -1;
	tell_preload(run);
	if (ca_env_setup(&run->cae, run->pxs.ca_path, ar, err,
	    sizeof(err)) == -1) {
		snprintf(ar->err, sizeof(ar->err), "%s", err);
		return -1;
	}
	return 0;
}

/* Add host entries to NO_PROXY and no_proxy, keeping what is there. */
static void
extend_no_proxy(void)
{
	static const char *vars[] = { "NO_PROXY", "no_proxy" };
	const char *add = "127.0.0.1,localhost,::1";

	for (size_t i = 0; i < 2; i++) {
		const char *cur = getenv(vars[i]);
		char val[4096];

		if (cur != NULL && cur[0] != '\0')
			snprintf(val, sizeof(val), "%s,%s", cur, add);
		else
			snprintf(val, sizeof(val), "%s", add);
		setenv(vars[i], val, 1);
	}
}

/*
 * The command line with the module's arguments where the program's own
 * start (after cmd[0], or after the script node or npx runs).
 */
static char **
command_line(char **cmd, const struct agent_run *ar)
{
	int n = 0, at = ar->args_at > 0 ? ar->args_at : 1, k = 0;
	char **out;

	while (cmd[n] != NULL)
		n++;
	if (at > n)
		at = n;
	out = xcalloc((size_t)(n + ar->nargs + 1), sizeof(*out));
	for (int i = 0; i < at; i++)
		out[k++] = cmd[i];
	for (int i = 0; i < ar->nargs; i++)
		out[k++] = ar->args[i];
	for (int i = at; i < n; i++)
		out[k++] = cmd[i];
	out[k] = NULL;
	return out;
}

int
run_point(struct run *run)
{
	struct agent_run *ar = &run->ar;
	int proxy = ar->mode & AGENT_MODE_PROXY;

	snprintf(ar->relay_url, sizeof(ar->relay_url), "http://%s",
	    relay_address(run->relay));
	if (proxy)
		proxy_setup_url(&run->pxs, run->relay, ar->proxy_url,
		    sizeof(ar->proxy_url));
	if (ar->agent->point(ar) == -1 || (proxy && point_proxy(run) == -1)) {
		log_warnx("%s", ar->err);
		return CX_EXIT_SYS;
	}
	if (!proxy) {
		unsetenv(CX_PRELOAD_ENV_PROXY);  /* a nested run's, not ours */
		unsetenv(CX_PRELOAD_ENV_INTERCEPT);
	}
	run->line = command_line(run->cmd, ar);
	setenv("CXREC_RELAY_URL", ar->relay_url, 1);
	setenv("CXREC_TRACE", run->o->relay.output, 1);
	extend_no_proxy();
	return 0;
}

/* The preload, for COMMAND's dynamically linked processes. */
void
run_preload(struct run *run)
{
	char why[600], err[512];

	if (run->o->no_preload) {
		snprintf(run->preload_how, sizeof(run->preload_how),
		    "; preload: off");
		return;
	}
	preload_blind(run->cmd[0], why, sizeof(why));
	if (why[0] != '\0')
		snprintf(run->preload_how, sizeof(run->preload_how),
		    "; preload: %s", why);
	if (preload_setup(&run->pre, run->o->relay.output, err,
	    sizeof(err)) == -1)
		snprintf(run->preload_how, sizeof(run->preload_how),
		    "; preload: not used: %s", err);
}
