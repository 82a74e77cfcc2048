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
 * The user's own override of KEY on the command line: codex takes the last
 * of `-c KEY=V`, `-cKEY=V`, `--config KEY=V`, `--config=KEY=V` (blanks
 * around the = allowed).  Its value, with *at the argument's index and
 * *prefix what comes before KEY in that argument ("", "-c", "--config=").
 */
static const char *
user_config(char **cmd, int from, const char *key, int *at,
    const char **prefix)
{
	size_t kl = strlen(key);
	const char *found = NULL;

	for (int i = from; cmd[i] != NULL; i++) {
		const char *v = NULL, *pre = "";
		int idx = i;

		if ((strcmp(cmd[i], "-c") == 0 ||
		    strcmp(cmd[i], "--config") == 0) && cmd[i + 1] != NULL)
			v = cmd[idx = ++i];
		else if (strncmp(cmd[i], "--config=", 9) == 0) {
			v = cmd[i] + 9;
			pre = "--config=";
		} else if (strncmp(cmd[i], "-c", 2) == 0 && cmd[i][2] != '\0' &&
		    cmd[i][2] != '-') {
			v = cmd[i] + 2;
			pre = "-c";
		} else if (strcmp(cmd[i], "--") == 0)
			break;
		if (v == NULL)
			continue;
		v += strspn(v, " \t");
		if (strncmp(v, key, kl) != 0)
			continue;
		const char *eq = v + kl + strspn(v + kl, " \t");
		if (*eq != '=')
			continue;
		found = eq + 1 + strspn(eq + 1, " \t");
		*at = idx;
		*prefix = pre;
	}
	return found;
}

/* A top-level KEY = "URL" in codex's config.toml: its URL into out. */
static int
config_toml(const char *key, char *out, size_t outlen)
{
	const char *home = getenv("CODEX_HOME"), *h = getenv("HOME");
	char path[4200], line[2048];
	size_t kl = strlen(key);
	FILE *f;
	int rc = -1;

	if (home != NULL && home[0] != '\0')
		snprintf(path, sizeof(path), "%s/config.toml", home);
	else if (h != NULL && h[0] != '\0')
		snprintf(path, sizeof(path), "%s/.codex/config.toml", h);
	else
		return -1;
	if ((f = fopen(path, "r")) == NULL)
		return -1;
	while (fgets(line, sizeof(line), f) != NULL) {
		const char *p = line + strspn(line, " \t");

		if (*p == '[')
			break;          /* tables follow: no longer top-level */
		if (strncmp(p, key, kl) != 0)
			continue;
		p += kl + strspn(p + kl, " \t");
		if (*p != '=')
			continue;
		p += 1 + strspn(p + 1, " \t");
		if (*p != '"' && *p != '\'')
			continue;
		const char *end = strchr(p + 1, *p);
		if (end == NULL)
			continue;
		snprintf(out, outlen, "%.*s", (int)(end - p - 1), p + 1);
		rc = 0;
	}
	fclose(f);
	return rc;
}

static struct codex_auth auth;
static char mount[64];
static int user_at = -1;                /* the user's own -c override */
static const char *user_prefix = "";

static const char *
base_key(void)
{
	return auth.mode == CODEX_LOGIN_CHATGPT ? "chatgpt_base_url" :
	    "openai_base_url";
}

/* Where the config key points: the relay's path for it. */
static const char *
key_mount(void)
{
	return auth.mode == CODEX_LOGIN_CHATGPT ? "/backend-api/" : mount;
}

static int
plan(struct agent_run *run)
{
	/* Its version: only a program this module recognised is asked. */
	if (run->version[0] == '\0' && run->path[0] != '\0' && run->claimed) {
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
	/*
	 * The variables, as every version that reads them does (a user's
	 * own URL in them becomes the route); a current codex ignores
	 * OPENAI_BASE_URL, and the config key below points it instead.
	 */
	if (agent_base_plan(run, "OPENAI_BASE_URL", mount, NULL) == -1)
		return -1;
	if (auth.mode == CODEX_LOGIN_CHATGPT && agent_base_plan(run,
	    "CODEX_REFRESH_TOKEN_URL_OVERRIDE", "/oauth/token", NULL) == -1)
		return -1;
	if (uses_env_base_url(run))
		return 0;
	/*
	 * Current codex: the user's own base URL, given as a config
	 * override or in config.toml, stays the route.
	 */
	char url[1400];
	const char *u = user_config(run->cmd, run->args_at, base_key(),
	    &user_at, &user_prefix);
	if (u != NULL) {
		size_t n = strlen(u);

		/* A TOML string or a bare one, as codex takes either. */
		if (n >= 2 && (u[0] == '"' || u[0] == '\'') && u[n - 1] == u[0])
			snprintf(url, sizeof(url), "%.*s", (int)n - 2, u + 1);
		else
			snprintf(url, sizeof(url), "%s", u);
	} else if (config_toml(base_key(), url, sizeof(url)) == -1)
		return 0;
	/* A URL the relay cannot route to stays the user's (run->left). */
	return agent_url_plan(run, base_key(), url, key_mount(), NULL);
}

static int
point(struct agent_run *run)
{
	char arg[1400];

	if (!(run->mode & AGENT_MODE_BASE_URL)) {
		snprintf(run->how, sizeof(run->how), "HTTPS_PROXY");
		return 0;
	}
	if (agent_base_point(run, "OPENAI_BASE_URL", mount) == -1)
		return -1;
	if (auth.mode == CODEX_LOGIN_CHATGPT && agent_base_point(run,
	    "CODEX_REFRESH_TOKEN_URL_OVERRIDE", "/oauth/token") == -1)
		return -1;
	if (uses_env_base_url(run)) {
		snprintf(run->how, sizeof(run->how), "OPENAI_BASE_URL%s%s",
		    auth.mode == CODEX_LOGIN_CHATGPT ?
		    ", CODEX_REFRESH_TOKEN_URL_OVERRIDE" : "",
		    run->mode & AGENT_MODE_PROXY ? " and HTTPS_PROXY" : "");
		return 0;
	}
	/*
	 * -c KEY="URL" where codex's own arguments start: codex puts the
	 * command line over config.toml.  A user's own override of the same
	 * key is replaced in place (plan made its URL the route).
	 */
	for (int i = 0; i < run->nleft; i++)
		if (strcmp(run->left[i], base_key()) == 0) {
			snprintf(run->how, sizeof(run->how), "HTTPS_PROXY (%s "
			    "left as the user set it)", base_key());
			return 0;
		}
	snprintf(run->how, sizeof(run->how), "-c %s%s%s", base_key(),
	    auth.mode == CODEX_LOGIN_CHATGPT ?
	    ", CODEX_REFRESH_TOKEN_URL_OVERRIDE" : "",
	    run->mode & AGENT_MODE_PROXY ? " and HTTPS_PROXY" : "");
	snprintf(arg, sizeof(arg), "%s%s=\"%s%s\"", user_at > 0 ? user_prefix :
	    "", base_key(), run->relay_url, key_mount());
	if (user_at > 0)
		return agent_replace_arg(run, user_at, arg);
	if (agent_insert_arg(run, "-c") == -1 ||
	    agent_insert_arg(run, arg + 0) == -1)
		return -1;
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
