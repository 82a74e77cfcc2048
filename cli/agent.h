/*
 * agent.h: the agents `cxrec run` knows, one module each (cli/agents/),
 * one line each in the table (agent.c).  A module says how to recognise
 * its command, which hosts and credential names are its vendor's, and how
 * to point the command at cxrec: routes for the relay before it listens
 * (plan), then environment variables and arguments once it does (point).
 *
 * Adding an agent: a new cli/agents/NAME.c defining `const struct agent
 * agent_NAME`, and its line X(NAME) in agent.c's table.
 */
#ifndef CX_AGENT_H
#define CX_AGENT_H

#include <stddef.h>

#include "route.h"

/* How a command is reached: its base URLs to the relay, the forward proxy
 * (HTTPS_PROXY and a per-run CA) for what ignores base URLs, or both. */
enum agent_mode {
	AGENT_MODE_BASE_URL = 1,
	AGENT_MODE_PROXY = 2,
	AGENT_MODE_BOTH = 3,
};

#define AGENT_MAX_ENV   24
#define AGENT_MAX_ARGS  8

struct agent_run;

struct agent {
	const char      *name;          /* --agent NAME, the table's key */
	const char      *title;         /* "OpenAI codex CLI" */
	const char      *verified;      /* versions verified against */
	/* Recognised by the program's name (as typed, or after following
	 * symlinks) or by the npm package that holds it. */
	const char *const *programs;
	const char *const *packages;
	/* Its vendor's hosts (exact, or "*.suffix"): intercepted by the
	 * proxy under --intercept agent; everything else is tunnelled. */
	const char *const *hosts;
	/* Credential header and query parameter names beyond the built-in
	 * ones (common/credname.h), redacted in the trace and every output. */
	const char *const *cred_headers;
	const char *const *cred_query;
	/* Before the relay exists: the mode, login and default routes.
	 * Returns 0, or -1 with a one-line message in run->err. */
	int (*plan)(struct agent_run *run);
	/* Once it listens: environment and arguments.  0 or -1 (run->err). */
	int (*point)(struct agent_run *run);
};

/* One run of one command under one agent module; owned by the run
 * (run.h). */
struct agent_run {
	const struct agent *agent;
	char           **cmd;           /* the command as given */
	int              args_at;       /* where the program's arguments
					 * start: 1, or after node's script */
	char             path[4096];    /* cmd[0] found on PATH, links followed */
	char             version[64];   /* "" when unknown */
	char             version_how[96];       /* "package.json", "--version" */
	int              claimed;       /* the module recognised the program */
	char             forced_login[16];      /* --codex-auth, or "" */
	enum agent_mode  mode;          /* the module's, or --mode */
	int              mode_forced;
	int              user_upstream; /* --upstream given */

	/* Set by plan. */
	struct route_table *routes;     /* defaults: user routes go on top */
	char             login[32];     /* "api", "chatgpt", "oauth", ... */
	char             login_why[4400];
	char             how[600];      /* how it is reached, for the summary */
	char             warning[4400]; /* a problem worth one line */

	/* Given to point. */
	char             relay_url[80]; /* http://127.0.0.1:PORT */
	char             proxy_url[200];        /* "" without the proxy */
	/* Base URL variables the user set to what cannot be a route: left
	 * as they are (agent_base_plan), not pointed at the relay. */
	int              nleft;
	const char      *left[4];

	/* Set by point (through the helpers below). */
	int              nenv;
	char            *env[AGENT_MAX_ENV];    /* "NAME=VALUE", owned */
	int              nargs;
	char            *args[AGENT_MAX_ARGS];  /* inserted after cmd[0], owned */
	int              nrepl;
	char            *repl[AGENT_MAX_ARGS];  /* put in place in cmd, owned */
	char             err[2400];
};

/* The table, NULL-terminated. */
extern const struct agent *const agent_table[];

/* The module named NAME, or NULL. */
const struct agent *agent_find(const char *name);
/*
 * Recognise cmd (its program, links, npm package; node/bun running a
 * script looks at the script) and fill run->agent (the generic module
 * when none claims it), run->path and run->version.
 */
void agent_detect(struct agent_run *run, char **cmd);
/* Print the table: `cxrec run --agent list`. */
void agent_list_print(void);
/* Free what point allocated. */
void agent_run_free(struct agent_run *run);

/* For modules. */
/* Set NAME=VALUE for the command (also in cxrec's own environment, which
 * the command inherits).  -1 when the table is full (said in run->err). */
int  agent_setenv(struct agent_run *run, const char *name, const char *value);
/* Insert ARG where the program's own arguments start, in order. */
int  agent_insert_arg(struct agent_run *run, const char *arg);
/* Replace cmd[i] (a user's argument pointed at cxrec instead). */
int  agent_replace_arg(struct agent_run *run, int i, const char *arg);
/* A default route; the user's --upstream/--route win. */
int  agent_route(struct agent_run *run, const char *prefix, const char *url);
/*
 * A base URL variable: when the user set VAR already, its URL becomes the
 * route for MOUNT (it keeps working, through cxrec); else DEFAULT_URL (if
 * any) is.  agent_base_point (from point) then points VAR at the relay's
 * MOUNT, but for a URL that cannot be a route (user-info, a query): that
 * variable is left as the user set it, with a warning.
 */
int  agent_base_plan(struct agent_run *run, const char *var,
    const char *mount, const char *default_url);
/* The same for a URL the user gave another way (a config key NAME, value
 * url, or NULL when none): the route for MOUNT; NAME goes into
 * run->left if the URL cannot be a route.  NAME must outlive run. */
int  agent_url_plan(struct agent_run *run, const char *name, const char *url,
    const char *mount, const char *default_url);
int  agent_base_point(struct agent_run *run, const char *var,
    const char *mount);
/*
 * Is run->version newer than the newest its module was verified against
 * (the last version in agent->verified)?  Unknown versions are not.
 */
int  agent_newer_than_verified(const struct agent_run *run);
/* "1.2.3" compared with MAJOR.MINOR.PATCH: <0, 0, >0; unknown is newest. */
int  agent_version_cmp(const char *version, int major, int minor, int patch);
/*
 * For a module whose API is one base URL variable served at the relay's
 * root (ANTHROPIC_BASE_URL, GOOGLE_GEMINI_BASE_URL), with the proxy for
 * the rest unless --mode says otherwise: its plan after its login, and its
 * point.
 */
int  agent_root_plan(struct agent_run *run, const char *var,
    const char *default_url);
int  agent_root_point(struct agent_run *run, const char *var);
/* url with any user-info replaced by "***", for messages. */
void agent_url_shown(const char *url, char *out, size_t outlen);
/* Run `PATH --version` (3 s at most); its first line into out. */
int  agent_run_version(const char *path, char *out, size_t outlen);

/* The fallback, for a command no module claims. */
extern const struct agent agent_generic;

#endif
