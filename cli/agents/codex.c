/*
 * codex.c: OpenAI's codex CLI (npm @openai/codex; a static Rust binary
 * with its own root store).
 *
 * Before 0.115.0 it reads OPENAI_BASE_URL (and, for a ChatGPT login,
 * CODEX_REFRESH_TOKEN_URL_OVERRIDE) and trusts no CA of ours: base URLs
 * only.  0.115.0 brought the config key openai_base_url (`-c
 * openai_base_url=...`) and CODEX_CA_CERTIFICATE; OPENAI_BASE_URL went in
 * April 2026 (between 0.117 and 0.122).  Current versions, with a ChatGPT
 * login, ask .../wham/accounts/check for a "workspace backend origin" and
 * send the model traffic there directly, which only the forward proxy can
 * see (docs/codex-protocol.md, section 10).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "agent.h"
#include "codex_auth.h"

/* The first version with the config key and CODEX_CA_CERTIFICATE. */
#define CODEX_CONFIG_BASE_URL_SINCE 0, 115, 0

static const char *const programs[] = { "codex", "codex.js", NULL };
static const char *const packages[] = { "@openai/codex",
    "@openai/codex-linux-x64", "@openai/codex-linux-arm64", NULL };
static const char *const hosts[] = { "*.openai.com", "chatgpt.com",
    "*.chatgpt.com", NULL };
static const char *const cred_headers[] = { "chatgpt-account-id", NULL };

static int
uses_env_base_url(const struct agent_run *run)
{
	return agent_version_cmp(run->version, CODEX_CONFIG_BASE_URL_SINCE) < 0;
}

/*
 * "-c KEY=URL" (or --config) given by the user: its URL, and in *at the
 * index of the argument that holds it.
 */
static const char *
user_config(char **cmd, const char *key, int *at)
{
	size_t kl = strlen(key);

	for (int i = 1; cmd[i] != NULL; i++) {
		const char *v = NULL;

		if ((strcmp(cmd[i], "-c") == 0 ||
		    strcmp(cmd[i], "--config") == 0) && cmd[i + 1] != NULL)
			v = cmd[++i];
		else if (strncmp(cmd[i], "--config=", 9) == 0)
			v = cmd[i] + 9;
		else if (strcmp(cmd[i], "--") == 0)
			break;
		if (v != NULL && strncmp(v, key, kl) == 0 && v[kl] == '=') {
			*at = v == cmd[i] ? i : -1;     /* --config=... */
			if (*at == -1)
				return NULL;
			return v + kl + 1;
		}
	}
	return NULL;
}

static struct codex_auth auth;
static char mount[64];
static int user_at = -1;        /* the user's own base URL override */

static const char *
base_key(void)
{
	return auth.mode == CODEX_LOGIN_CHATGPT ? "chatgpt_base_url" :
	    "openai_base_url";
}

static int
plan(struct agent_run *run)
{
	if (run->version[0] == '\0' && run->path[0] != '\0') {
		char line[128], v[64];

		if (agent_run_version(run->path, line, sizeof(line)) == 0 &&
		    sscanf(line, "codex-cli %63s", v) == 1) {
			snprintf(run->version, sizeof(run->version), "%s", v);
			snprintf(run->version_how, sizeof(run->version_how),
			    "codex --version");
		}
	}
	codex_auth_detect(&auth, run->forced_login[0] ? run->forced_login :
	    NULL);
	if (auth.warning[0])
		snprintf(run->warning, sizeof(run->warning), "%s",
		    auth.warning);
	snprintf(run->login, sizeof(run->login), "%s",
	    codex_login_name(auth.mode));
	snprintf(run->login_why, sizeof(run->login_why), "%s", auth.why);
	snprintf(mount, sizeof(mount), "%s", codex_base_path(auth.mode));
	if (!run->mode_forced)
		run->mode = uses_env_base_url(run) ? AGENT_MODE_BASE_URL :
		    AGENT_MODE_BOTH;

	if (agent_route(run, "/", "https://api.openai.com") == -1 ||
	    agent_route(run, "/backend-api/", "https://chatgpt.com") == -1 ||
	    agent_route(run, "/oauth/", "https://auth.openai.com") == -1)
		return -1;
	if (!(run->mode & AGENT_MODE_BASE_URL))
		return 0;
	if (uses_env_base_url(run)) {
		if (agent_base_plan(run, "OPENAI_BASE_URL", mount, NULL) == -1)
			return -1;
		if (auth.mode == CODEX_LOGIN_CHATGPT)
			return agent_base_plan(run,
			    "CODEX_REFRESH_TOKEN_URL_OVERRIDE", "/oauth/token",
			    NULL);
		return 0;
	}
	/* Current codex: the user's own base URL, given as a config
	 * override, stays the route. */
	const char *u = user_config(run->cmd, base_key(), &user_at);
	if (u != NULL) {
		char url[1400];
		size_t n = strlen(u);

		/* A TOML string or a bare one, as codex takes either. */
		if (n >= 2 && (u[0] == '"' || u[0] == '\'') && u[n - 1] == u[0])
			snprintf(url, sizeof(url), "%.*s", (int)n - 2, u + 1);
		else
			snprintf(url, sizeof(url), "%s", u);
		setenv("CXREC_CODEX_USER_BASE", url, 1);
		int rc = agent_base_plan(run, "CXREC_CODEX_USER_BASE",
		    auth.mode == CODEX_LOGIN_CHATGPT ? "/backend-api/" : mount,
		    NULL);
		unsetenv("CXREC_CODEX_USER_BASE");
		return rc;
	}
	return 0;
}

static int
point(struct agent_run *run)
{
	char arg[1400];

	if (!(run->mode & AGENT_MODE_BASE_URL)) {
		snprintf(run->how, sizeof(run->how), "HTTPS_PROXY");
		return 0;
	}
	if (uses_env_base_url(run)) {
		snprintf(run->how, sizeof(run->how), "OPENAI_BASE_URL%s%s",
		    auth.mode == CODEX_LOGIN_CHATGPT ?
		    ", CODEX_REFRESH_TOKEN_URL_OVERRIDE" : "",
		    run->mode & AGENT_MODE_PROXY ? " and HTTPS_PROXY" : "");
		if (agent_base_point(run, "OPENAI_BASE_URL", mount) == -1)
			return -1;
		if (auth.mode == CODEX_LOGIN_CHATGPT)
			return agent_base_point(run,
			    "CODEX_REFRESH_TOKEN_URL_OVERRIDE", "/oauth/token");
		return 0;
	}
	/*
	 * -c KEY="URL" after the program's name: codex puts the command line
	 * over config.toml.  A user's own override of the same key is
	 * replaced in place (plan made its URL the route).
	 */
	snprintf(run->how, sizeof(run->how), "-c %s%s%s", base_key(),
	    auth.mode == CODEX_LOGIN_CHATGPT ?
	    ", CODEX_REFRESH_TOKEN_URL_OVERRIDE" : "",
	    run->mode & AGENT_MODE_PROXY ? " and HTTPS_PROXY" : "");
	snprintf(arg, sizeof(arg), "%s=\"%s%s\"", base_key(), run->relay_url,
	    auth.mode == CODEX_LOGIN_CHATGPT ? "/backend-api/" : mount);
	if (user_at > 0) {
		if (agent_replace_arg(run, user_at, arg) == -1)
			return -1;
	} else if (agent_insert_arg(run, "-c") == -1 ||
	    agent_insert_arg(run, arg) == -1)
		return -1;
	if (auth.mode == CODEX_LOGIN_CHATGPT)
		return agent_base_point(run, "CODEX_REFRESH_TOKEN_URL_OVERRIDE",
		    "/oauth/token");
	return 0;
}

const struct agent agent_codex = {
	.name = "codex",
	.title = "OpenAI codex CLI",
	.verified = "0.98.0, 0.171.0",
	.programs = programs,
	.packages = packages,
	.hosts = hosts,
	.cred_headers = cred_headers,
	.plan = plan,
	.point = point,
};
