/*
 * agent.c: the agent table, recognising a command, and the helpers the
 * modules (cli/agents/) share.
 */
#include <cjson/cJSON.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "agent.h"
#include "xmalloc.h"

/*
 * The table: one line an agent, whose module cli/agents/NAME.c defines
 * `const struct agent agent_NAME`.  The generic module comes last: it
 * claims nothing and is the fallback.
 */
#define AGENTS(X) \
	X(codex) \
	X(claude) \
	X(gemini)

#define AGENT_EXTERN(name) extern const struct agent agent_##name;
#define AGENT_ENTRY(name) &agent_##name,
AGENTS(AGENT_EXTERN)

const struct agent *const agent_table[] = {
	AGENTS(AGENT_ENTRY)
	&agent_generic,
	NULL
};

const struct agent *
agent_find(const char *name)
{
	for (size_t i = 0; agent_table[i] != NULL; i++)
		if (strcmp(agent_table[i]->name, name) == 0)
			return agent_table[i];
	return NULL;
}

/* cmd[0] on PATH (as execvp finds it), with symlinks followed. */
static int
find_program(const char *prog, char *out, size_t outlen)
{
	char cand[PATH_MAX];
	const char *path;

	if (strchr(prog, '/') != NULL) {
		if (realpath(prog, cand) == NULL)
			return -1;
		snprintf(out, outlen, "%s", cand);
		return 0;
	}
	if ((path = getenv("PATH")) == NULL || path[0] == '\0')
		path = "/usr/local/bin:/usr/bin:/bin";
	while (*path != '\0') {
		const char *end = strchrnul(path, ':');
		char real[PATH_MAX];
		int n = snprintf(cand, sizeof(cand), "%.*s/%s",
		    (int)(end - path), end == path ? "." : path, prog);

		if (end == path)
			n = snprintf(cand, sizeof(cand), "./%s", prog);
		if (n > 0 && (size_t)n < sizeof(cand) &&
		    access(cand, X_OK) == 0 && realpath(cand, real) != NULL) {
			snprintf(out, outlen, "%s", real);
			return 0;
		}
		path = *end == ':' ? end + 1 : end;
	}
	return -1;
}

static const char *
base_name(const char *p)
{
	const char *s = strrchr(p, '/');

	return s != NULL ? s + 1 : p;
}

/*
 * The npm package that holds FILE: the nearest package.json above it
 * (6 levels at most) that has a name.  name and version are "" when none.
 */
static void
npm_package(const char *file, char *name, size_t nlen, char *version,
    size_t vlen)
{
	char dir[PATH_MAX];

	name[0] = version[0] = '\0';
	snprintf(dir, sizeof(dir), "%s", file);
	for (int depth = 0; depth < 6; depth++) {
		char *slash = strrchr(dir, '/'), pj[PATH_MAX + 16];
		FILE *f;

		if (slash == NULL || slash == dir)
			return;
		*slash = '\0';
		snprintf(pj, sizeof(pj), "%s/package.json", dir);
		if ((f = fopen(pj, "r")) == NULL)
			continue;
		char buf[65536];
		size_t n = fread(buf, 1, sizeof(buf) - 1, f);
		fclose(f);
		buf[n] = '\0';
		cJSON *j = cJSON_Parse(buf);
		const cJSON *jn = cJSON_GetObjectItemCaseSensitive(j, "name");
		const cJSON *jv = cJSON_GetObjectItemCaseSensitive(j, "version");
		if (cJSON_IsString(jn)) {
			snprintf(name, nlen, "%s", jn->valuestring);
			if (cJSON_IsString(jv))
				snprintf(version, vlen, "%s", jv->valuestring);
			cJSON_Delete(j);
			return;
		}
		cJSON_Delete(j);
	}
}

static int
in_list(const char *const *list, const char *s)
{
	for (size_t i = 0; list != NULL && list[i] != NULL; i++)
		if (strcmp(list[i], s) == 0)
			return 1;
	return 0;
}

/* Does a module claim the program at this path (or typed as this)? */
static const struct agent *
claim(const char *typed, const char *path, const char *pkg)
{
	for (size_t i = 0; agent_table[i] != NULL; i++) {
		const struct agent *a = agent_table[i];

		if ((pkg[0] != '\0' && in_list(a->packages, pkg)) ||
		    in_list(a->programs, base_name(typed)) ||
		    (path[0] != '\0' && in_list(a->programs, base_name(path))))
			return a;
	}
	return NULL;
}

/*
 * "node x.js", "bun x.js", "npx pkg": the index of the script or package
 * they run (its arguments follow it), or 0 when cmd[0] is the program.
 */
static int
script_of(char **cmd)
{
	static const char *const runners[] = { "node", "nodejs", "bun",
	    "npx", "bunx", NULL };
	int i;

	if (!in_list(runners, base_name(cmd[0])))
		return 0;
	for (i = 1; cmd[i] != NULL && cmd[i][0] == '-'; i++)
		;
	return cmd[i] != NULL ? i : 0;
}

void
agent_detect(struct agent_run *run, char **cmd)
{
	char pkg[256], ver[64];
	int at = script_of(cmd);
	const char *typed = cmd[at], *script = at > 0 ? cmd[at] : NULL;

	run->cmd = cmd;
	run->args_at = at + 1;
	run->path[0] = run->version[0] = '\0';
	run->version_how[0] = '\0';
	pkg[0] = ver[0] = '\0';
	if (find_program(typed, run->path, sizeof(run->path)) == 0 ||
	    (script != NULL && realpath(typed, run->path) != NULL))
		npm_package(run->path, pkg, sizeof(pkg), ver, sizeof(ver));
	else
		run->path[0] = '\0';
	const struct agent *a = claim(typed, run->path, pkg);
	if (run->agent == NULL)
		run->agent = a != NULL ? a : &agent_generic;
	run->claimed = a != NULL && a == run->agent;
	if (a != NULL && a == run->agent && ver[0] != '\0' &&
	    in_list(a->packages, pkg)) {
		snprintf(run->version, sizeof(run->version), "%s", ver);
		snprintf(run->version_how, sizeof(run->version_how),
		    "%s's package.json", pkg);
	}
}

void
agent_list_print(void)
{
	printf("%-9s %-26s %-24s %s\n", "AGENT", "WHAT", "VERIFIED", "HOSTS");
	for (size_t i = 0; agent_table[i] != NULL; i++) {
		const struct agent *a = agent_table[i];
		char hosts[600] = "";
		size_t n = 0;

		for (size_t j = 0; a->hosts != NULL && a->hosts[j] != NULL;
		    j++) {
			int k = snprintf(hosts + n, sizeof(hosts) - n, "%s%s",
			    j ? " " : "", a->hosts[j]);
			if (k < 0 || (size_t)k >= sizeof(hosts) - n)
				break;
			n += (size_t)k;
		}
		printf("%-9s %-26s %-24s %s\n", a->name, a->title, a->verified,
		    hosts[0] ? hosts : "-");
	}
}

void
agent_run_free(struct agent_run *run)
{
	for (int i = 0; i < run->nenv; i++)
		free(run->env[i]);
	for (int i = 0; i < run->nargs; i++)
		free(run->args[i]);
	for (int i = 0; i < run->nrepl; i++)
		free(run->repl[i]);
	run->nenv = run->nargs = run->nrepl = 0;
}

int
agent_setenv(struct agent_run *run, const char *name, const char *value)
{
	size_t nl = strlen(name), vl = strlen(value);
	char *kv;

	if (run->nenv >= AGENT_MAX_ENV) {
		snprintf(run->err, sizeof(run->err), "%s: too many variables",
		    run->agent->name);
		return -1;
	}
	kv = xmalloc(nl + vl + 2);
	memcpy(kv, name, nl);
	kv[nl] = '=';
	memcpy(kv + nl + 1, value, vl + 1);
	run->env[run->nenv++] = kv;
	setenv(name, value, 1);
	return 0;
}

int
agent_insert_arg(struct agent_run *run, const char *arg)
{
	if (run->nargs >= AGENT_MAX_ARGS) {
		snprintf(run->err, sizeof(run->err), "%s: too many arguments",
		    run->agent->name);
		return -1;
	}
	run->args[run->nargs++] = xstrdup(arg);
	return 0;
}

int
agent_replace_arg(struct agent_run *run, int i, const char *arg)
{
	if (run->nrepl >= AGENT_MAX_ARGS) {
		snprintf(run->err, sizeof(run->err), "%s: too many arguments",
		    run->agent->name);
		return -1;
	}
	run->repl[run->nrepl] = xstrdup(arg);
	run->cmd[i] = run->repl[run->nrepl++];
	return 0;
}

int
agent_route(struct agent_run *run, const char *prefix, const char *url)
{
	char err[400];

	if (route_add(run->routes, prefix, url, err, sizeof(err)) == -1) {
		snprintf(run->err, sizeof(run->err), "%s: %s", run->agent->name,
		    err);
		return -1;
	}
	return 0;
}

int
agent_base_plan(struct agent_run *run, const char *var, const char *mount,
    const char *default_url)
{
	return agent_url_plan(run, var, getenv(var), mount, default_url);
}

int
agent_url_plan(struct agent_run *run, const char *name, const char *v,
    const char *mount, const char *default_url)
{
	struct upstream_url u;
	char err[400], url[1400];

	if (v != NULL && v[0] != '\0') {
		if (url_parse(v, &u, err, sizeof(err)) == -1) {
			char shown[600];

			/* The user's gateway stays the user's: the variable
			 * is not pointed at the relay (the proxy may still see
			 * its traffic). */
			agent_url_shown(v, shown, sizeof(shown));
			snprintf(run->warning, sizeof(run->warning), "%s=%s "
			    "cannot be a route of the relay (a URL with "
			    "user-info or a query): left as it is", name,
			    shown);
			if (run->nleft < (int)(sizeof(run->left) /
			    sizeof(run->left[0])))
				run->left[run->nleft++] = name;
			return 0;
		} else {
			/* Its path replaces the mount: "/" at least. */
			snprintf(url, sizeof(url), "%s%s", v,
			    u.path[0] == '\0' ? "/" : "");
			return agent_route(run, mount, url);
		}
	}
	return default_url != NULL ? agent_route(run, mount, default_url) : 0;
}

int
agent_base_point(struct agent_run *run, const char *var, const char *mount)
{
	char url[1200];

	for (int i = 0; i < run->nleft; i++)
		if (strcmp(run->left[i], var) == 0)
			return 0;
	snprintf(url, sizeof(url), "%s%s", run->relay_url,
	    strcmp(mount, "/") == 0 ? "" : mount);
	return agent_setenv(run, var, url);
}

int
agent_root_plan(struct agent_run *run, const char *var, const char *default_url)
{
	if (!run->mode_forced)
		run->mode = AGENT_MODE_BOTH;
	if (run->mode & AGENT_MODE_BASE_URL)
		return agent_base_plan(run, var, "/", default_url);
	return 0;
}

int
agent_root_point(struct agent_run *run, const char *var)
{
	snprintf(run->how, sizeof(run->how), "%s%s",
	    run->mode & AGENT_MODE_BASE_URL ? var : "",
	    run->mode == AGENT_MODE_PROXY ? "HTTPS_PROXY" :
	    run->mode == AGENT_MODE_BOTH ? " and HTTPS_PROXY" : "");
	if (run->mode & AGENT_MODE_BASE_URL)
		return agent_base_point(run, var, "/");
	return 0;
}

void
agent_url_shown(const char *url, char *out, size_t outlen)
{
	const char *sep = strstr(url, "://");
	const char *host = sep != NULL ? sep + 3 : url;
	const char *end = host + strcspn(host, "/?#");
	const char *at = memrchr(host, '@', (size_t)(end - host));

	if (at == NULL)
		snprintf(out, outlen, "%s", url);
	else
		snprintf(out, outlen, "%.*s***%s", (int)(host - url), url, at);
}

int
agent_newer_than_verified(const struct agent_run *run)
{
	const char *v = run->agent->verified, *last = NULL;
	int x[3] = { 0, 0, 0 };

	if (run->version[0] == '\0' || v == NULL)
		return 0;
	/* the last token that starts with a digit */
	for (const char *p = v; *p != '\0'; p++)
		if ((p == v || p[-1] == ' ') && *p >= '0' && *p <= '9')
			last = p;
	if (last == NULL || sscanf(last, "%d.%d.%d", &x[0], &x[1], &x[2]) < 2)
		return 0;
	return agent_version_cmp(run->version, x[0], x[1], x[2]) > 0;
}

int
agent_version_cmp(const char *version, int major, int minor, int patch)
{
	int v[3] = { 0, 0, 0 }, w[3] = { major, minor, patch };

	if (version == NULL || sscanf(version, "%d.%d.%d", &v[0], &v[1],
	    &v[2]) < 2)
		return 1;
	for (int i = 0; i < 3; i++)
		if (v[i] != w[i])
			return v[i] < w[i] ? -1 : 1;
	return 0;
}

int
agent_run_version(const char *path, char *out, size_t outlen)
{
	int p[2], status;
	pid_t pid;
	size_t n = 0;
	struct timespec start, now;

	out[0] = '\0';
	if (pipe2(p, O_CLOEXEC) == -1)
		return -1;
	if ((pid = fork()) == -1) {
		close(p[0]);
		close(p[1]);
		return -1;
	}
	if (pid == 0) {
		int nul = open("/dev/null", O_RDWR);

		dup2(p[1], 1);
		if (nul != -1) {
			dup2(nul, 0);
			dup2(nul, 2);
		}
		execl(path, path, "--version", (char *)NULL);
		_exit(127);
	}
	close(p[1]);
	clock_gettime(CLOCK_MONOTONIC, &start);
	for (;;) {
		struct pollfd pf = { .fd = p[0], .events = POLLIN };
		long left;
		ssize_t k;

		clock_gettime(CLOCK_MONOTONIC, &now);
		left = 3000 - ((now.tv_sec - start.tv_sec) * 1000 +
		    (now.tv_nsec - start.tv_nsec) / 1000000);
		int pr = left > 0 ? poll(&pf, 1, (int)left) : 0;
		if (pr == -1 && errno == EINTR)
			continue;
		if (pr <= 0) {
			kill(pid, SIGKILL);     /* too slow: version unknown */
			n = 0;
			break;
		}
		char sink[512];
		k = n < outlen - 1 ? read(p[0], out + n, outlen - 1 - n) :
		    read(p[0], sink, sizeof(sink));
		if (k == -1 && errno == EINTR)
			continue;
		if (k <= 0)
			break;          /* EOF: every writer is gone */
		if (n < outlen - 1)
			n += (size_t)k;
	}
	close(p[0]);
	out[n] = '\0';
	out[strcspn(out, "\r\n")] = '\0';
	while (waitpid(pid, &status, 0) == -1 && errno == EINTR)
		;
	return out[0] != '\0' ? 0 : -1;
}
