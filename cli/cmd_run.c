/*
 * cmd_run.c: `cxrec run -- COMMAND`: start the relay on a free loopback
 * port in a thread, run COMMAND pointed at it, forward signals, exit with
 * COMMAND's status.  The terminal is COMMAND's: cxrec prints one line at
 * the end.
 */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cJSON.h>

#include "bytebuf.h"
#include "cli.h"
#include "agent.h"
#include "ca_env.h"
#include "credname.h"
#include "preload.h"
#include "proxy.h"
#include "proxy_setup.h"
#include "log.h"
#include "note.h"
#include "preload_setup.h"
#include "probe.h"
#include "redact.h"
#include "xmalloc.h"
#include "relay_opts.h"

void
usage_run(void)
{
	printf(
	    "usage: cxrec run [OPTIONS] -- COMMAND [ARG...]\n"
	    "\n"
	    "Run COMMAND with its model API traffic recorded.  A relay starts on\n"
	    "a free loopback port; COMMAND's agent module (cxrec run --agent list)\n"
	    "points it there: base URLs (OPENAI_BASE_URL, -c openai_base_url for\n"
	    "current codex, ANTHROPIC_BASE_URL, GOOGLE_GEMINI_BASE_URL) and, for\n"
	    "what ignores them, a forward proxy with a CA made for this run\n"
	    "(HTTPS_PROXY; CODEX_CA_CERTIFICATE, NODE_EXTRA_CA_CERTS,\n"
	    "SSL_CERT_FILE, REQUESTS_CA_BUNDLE, CURL_CA_BUNDLE).  Both forward\n"
	    "over HTTPS to the real upstream and record both directions.  The\n"
	    "terminal, standard streams and signals are COMMAND's; cxrec exits\n"
	    "with its status.\n"
	    "\n"
	    "Options:\n"
	    "  --agent NAME|list      the agent module to use instead of\n"
	    "                         recognising COMMAND; list prints the table\n"
	    "  --mode base-url|proxy|both\n"
	    "                         how COMMAND is reached, instead of its\n"
	    "                         module's choice\n"
	    "  --codex-auth api|chatgpt  codex's login mode, instead of detecting it\n"
	    "  --no-preload           do not record COMMAND's own sockets and\n"
	    "                         TLS plaintext (LD_PRELOAD) for its\n"
	    "                         dynamically linked processes\n"
	    "  --bpf auto|on|off      which process made each exchange: the\n"
	    "                         kernel probe (on: or fail), /proc (off),\n"
	    "                         or the probe where it loads (auto, the\n"
	    "                         default)\n"
	    "  --listen HOST:PORT     where the relay listens (default\n"
	    "                         127.0.0.1:0, a free port)\n"
	    RELAY_OPTS_HELP
	    "  -h, --help             this help\n"
	    "\n"
	    "A base URL or CA variable already set is respected: the URL becomes\n"
	    "the route for its path, the CA file is extended, not replaced.\n"
	    "\n"
	    "COMMAND also gets CXREC_RELAY_URL, CXREC_TRACE and NO_PROXY (extended\n"
	    "with the loopback names so that a proxy setting cannot divert the\n"
	    "relay's traffic).\n");
}

static volatile sig_atomic_t child_pid;

/*
 * Forward a signal to COMMAND.  Keyboard signals (^C, ^\) reach COMMAND
 * from the terminal already (same process group): forward those only when
 * someone sent them to cxrec itself.
 */
static void
forward(int sig, siginfo_t *si, void *uc)
{
	int saved = errno;

	(void)uc;
	if (child_pid <= 0)
		return;
	if ((sig == SIGINT || sig == SIGQUIT) && si != NULL &&
	    si->si_code == SI_KERNEL)
		return;
	kill((pid_t)child_pid, sig);
	errno = saved;
}

/* SIGPIPE as cxrec found it: the relay ignores it, COMMAND must not. */
static struct sigaction orig_sigpipe;
static struct rlimit orig_nofile = { RLIM_INFINITY, RLIM_INFINITY };

static void *
relay_thread(void *arg)
{
	relay_run(arg);
	return NULL;
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

/* The command line as JSON; with a key, as --redact-at-source records it. */
static char *
argv_json(char **argv, const struct cx_srcredact_key *key)
{
	struct cx_buf all = { 0 };
	cJSON *a;
	char *s;

	for (int i = 0; argv[i] != NULL; i++)
		cx_buf_add(&all, argv[i], strlen(argv[i]) + 1);
	a = cx_argv_json((const char *)all.p, all.len, key);
	if ((s = cJSON_PrintUnformatted(a)) == NULL)
		s = xstrdup("[]");
	cJSON_Delete(a);
	cx_buf_free(&all);
	return s;
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

/*
 * fork + exec; the exec's errno comes back through a CLOEXEC pipe.  With a
 * probe, the child waits (on a second pipe) until the probe traces it, so
 * that its exec is reported too.
 */
static pid_t
spawn(char **cmd, const sigset_t *oldmask, int *exec_errno,
    struct cx_probe *probe)
{
	int pfd[2], go[2] = { -1, -1 };
	pid_t pid;
	int e = 0;

	*exec_errno = 0;
	if (pipe2(pfd, O_CLOEXEC) == -1)
		return -1;
	if (probe != NULL && pipe2(go, O_CLOEXEC) == -1) {
		close(pfd[0]);
		close(pfd[1]);
		return -1;
	}
	if ((pid = fork()) == -1) {
		close(pfd[0]);
		close(pfd[1]);
		if (probe != NULL) {
			close(go[0]);
			close(go[1]);
		}
		return -1;
	}
	if (pid == 0) {
		if (probe != NULL) {
			char c;
			ssize_t k;

			close(go[1]);
			do
				k = read(go[0], &c, 1);
			while (k == -1 && errno == EINTR);
		}
		/*
		 * exec resets caught signals; ignored ones stay ignored, as
		 * they were for cxrec (nohup, a shell's &), but for SIGPIPE,
		 * which the relay ignores for itself; and the limit on open
		 * files is the one cxrec was given, not the relay's.
		 */
		sigaction(SIGPIPE, &orig_sigpipe, NULL);
		sigprocmask(SIG_SETMASK, oldmask, NULL);
		setrlimit(RLIMIT_NOFILE, &orig_nofile);
		close(pfd[0]);
		execvp(cmd[0], cmd);
		e = errno;
		ssize_t n = write(pfd[1], &e, sizeof(e));
		(void)n;
		_exit(127);
	}
	close(pfd[1]);
	if (probe != NULL) {
		close(go[0]);
		if (cx_probe_trace(probe, pid) == -1)
			log_warnx("probe: cannot trace pid %d: its processes "
			    "will be unknown", (int)pid);
		if (write(go[1], "g", 1) != 1)
			log_warn("probe: cannot start the command");
		close(go[1]);
	}
	ssize_t n;
	do
		n = read(pfd[0], &e, sizeof(e));
	while (n == -1 && errno == EINTR);
	close(pfd[0]);
	if (n == (ssize_t)sizeof(e))
		*exec_errno = e;
	return pid;
}

/*
 * The command line with the module's arguments where the program's own
 * start (after cmd[0], or after the script node or npx runs).
 */
static char **
command_line(char **cmd, const struct agent_run *run)
{
	int n = 0, at = run->args_at > 0 ? run->args_at : 1, k = 0;
	char **out;

	while (cmd[n] != NULL)
		n++;
	if (at > n)
		at = n;
	out = xcalloc((size_t)(n + run->nargs + 1), sizeof(*out));
	for (int i = 0; i < at; i++)
		out[k++] = cmd[i];
	for (int i = 0; i < run->nargs; i++)
		out[k++] = run->args[i];
	for (int i = at; i < n; i++)
		out[k++] = cmd[i];
	out[k] = NULL;
	return out;
}

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

/* What the run note says. */
struct run_note {
	const char                      *argv;  /* JSON */
	const struct agent_run          *ar;
	const struct relay_opts         *o;
	const struct relay_config       *cfg;
	const struct proxy_setup        *pxs;
	const struct relay              *r;
	int                              probe, preload;
};

/* The note that says what this trace is. */
static void
run_note(struct cx_jobj *j, const void *arg)
{
	const struct run_note *n = arg;
	const struct agent_run *ar = n->ar;
	char cj[CX_CREDNAME_JSON_MAX];

	cx_jobj_str(j, "type", "run");
	cx_jobj_str(j, "cxrec_version", CXREC_VERSION);
	cx_jobj_raw(j, "argv", n->argv);
	cx_jobj_str(j, "agent", ar->agent->name);
	if (ar->version[0] != '\0')
		cx_jobj_str(j, "agent_version", ar->version);
	else
		cx_jobj_raw(j, "agent_version", "null");
	cx_jobj_str(j, "reached_by", ar->how);
	env_jobj(j, "env", ar, n->pxs->token);
	if (ar->mode & AGENT_MODE_PROXY)
		proxy_setup_jobj(j, "proxy", n->pxs, n->r, n->cfg);
	else
		cx_jobj_raw(j, "proxy", "null");
	cx_credname_json(&n->o->cred_names, cj, sizeof(cj));
	cx_jobj_raw(j, "credentials", cj);
	cx_jobj_str(j, "login_mode", ar->login);
	cx_jobj_str(j, "login_reason", ar->login_why);
	cx_jobj_str(j, "listen", relay_address(n->r));
	routes_jobj(j, "routes", &n->cfg->routes);
	cx_jobj_bool(j, "insecure", n->o->insecure);
	cx_jobj_str(j, "processes", n->probe ? "probe" : "proc");
	cx_jobj_bool(j, "preload", n->preload);
	cx_jobj_bool(j, "redact_at_source", n->o->redact_at_source);
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
 * The proxy for COMMAND: HTTPS_PROXY with the token, the CA through every
 * variable programs read one from, and the proxy's address (no token) for
 * the preload, so that a connection to it is recorded once.  Not
 * HTTP_PROXY: plain-HTTP requests would carry the token in every request
 * head, and the preload records plain HTTP of its own.
 */
static int
point_proxy(struct agent_run *run, const struct proxy_setup *pxs,
    const struct relay *r, const struct relay_config *cfg, struct ca_env *cae)
{
	static const char *const vars[] = { "HTTPS_PROXY", "https_proxy" };
	char addr[128], err[600];

	/*
	 * A proxy the user had: cxrec's takes its place for COMMAND and
	 * connects upstream directly (no chaining yet).  Said, not hidden.
	 */
	for (size_t i = 0; i < sizeof(vars) / sizeof(vars[0]); i++) {
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

	for (size_t i = 0; i < sizeof(vars) / sizeof(vars[0]); i++)
		if (agent_setenv(run, vars[i], run->proxy_url) == -1)
			return -1;
	snprintf(addr, sizeof(addr), "http://%s", relay_proxy_address(r));
	setenv(CX_PRELOAD_ENV_PROXY, addr, 1);
	/* What the proxy decrypts, for the preload: it records the TLS
	 * plaintext of the CONNECTs that are only tunnelled. */
	char policy[2048];
	if (cfg->intercept == RELAY_INTERCEPT_ALL)
		snprintf(policy, sizeof(policy), "all");
	else if (cfg->intercept == RELAY_INTERCEPT_NONE)
		snprintf(policy, sizeof(policy), "none");
	else if (intercept_csv(cfg, policy, sizeof(policy)) == -1)
		snprintf(policy, sizeof(policy), "none");      /* duplicates,
								 * not losses */
	setenv(CX_PRELOAD_ENV_INTERCEPT, policy, 1);
	if (ca_env_setup(cae, pxs->ca_path, run, err, sizeof(err)) == -1) {
		snprintf(run->err, sizeof(run->err), "%s", err);
		return -1;
	}
	return 0;
}

int
cmd_run(int argc, char **argv)
{
	static const struct option longopts[] = {
		RELAY_LONGOPTS,
		{ "codex-auth", required_argument, NULL, OPT_CODEX_AUTH },
		{ "bpf", required_argument, NULL, OPT_BPF },
		{ "no-preload", no_argument, NULL, OPT_NO_PRELOAD },
		{ "agent", required_argument, NULL, OPT_AGENT },
		{ "mode", required_argument, NULL, OPT_MODE },
		{ 0 }
	};
	struct preload_setup ps;
	int no_preload = 0;
	char preload_how[800] = "";
	enum { BPF_AUTO, BPF_ON, BPF_OFF } bpf = BPF_AUTO;
	struct cx_probe *probe = NULL;
	struct relay_opts o;
	struct relay_config cfg;
	struct relay_stats st;
	struct agent_run run;
	struct route_table defaults;
	struct proxy_setup pxs;
	struct ca_env cae;
	struct relay *r;
	struct cx_writer *w;
	pthread_t tid;
	sigset_t all, old;
	char err[512];
	int ch, rc, status = 0, exec_errno;

	log_init("cxrec: run");
	sigaction(SIGPIPE, NULL, &orig_sigpipe);
	relay_opts_init(&o);
	o.listen = "127.0.0.1:0";
	memset(&run, 0, sizeof(run));
	memset(&defaults, 0, sizeof(defaults));
	memset(&pxs, 0, sizeof(pxs));
	memset(&cae, 0, sizeof(cae));
	run.routes = &defaults;
	opterr = 0;
	while ((ch = getopt_long(argc, argv, "+:o:h", longopts, NULL)) != -1) {
		if (ch == 'h') {
			usage_run();
			return CX_EXIT_OK;
		}
		if (ch == '?' || ch == ':') {
			log_warnx("%s option '%s' (try cxrec help run)",
			    ch == ':' ? "missing argument for" : "unknown",
			    argv[optind - 1]);
			return CX_EXIT_USAGE;
		}
		if (ch == OPT_CODEX_AUTH) {
			if (strcmp(optarg, "api") != 0 &&
			    strcmp(optarg, "chatgpt") != 0) {
				log_warnx("--codex-auth '%s': expected api or "
				    "chatgpt", optarg);
				return CX_EXIT_USAGE;
			}
			snprintf(run.forced_login, sizeof(run.forced_login),
			    "%s", optarg);
			continue;
		}
		if (ch == OPT_AGENT) {
			if (strcmp(optarg, "list") == 0) {
				agent_list_print();
				return CX_EXIT_OK;
			}
			if ((run.agent = agent_find(optarg)) == NULL) {
				log_warnx("--agent '%s': no such agent (cxrec run "
				    "--agent list)", optarg);
				return CX_EXIT_USAGE;
			}
			continue;
		}
		if (ch == OPT_MODE) {
			if (strcmp(optarg, "base-url") == 0)
				run.mode = AGENT_MODE_BASE_URL;
			else if (strcmp(optarg, "proxy") == 0)
				run.mode = AGENT_MODE_PROXY;
			else if (strcmp(optarg, "both") == 0)
				run.mode = AGENT_MODE_BOTH;
			else {
				log_warnx("--mode '%s': expected base-url, proxy "
				    "or both", optarg);
				return CX_EXIT_USAGE;
			}
			run.mode_forced = 1;
			continue;
		}
		if (ch == OPT_NO_PRELOAD) {
			no_preload = 1;
			continue;
		}
		if (ch == OPT_BPF) {
			if (strcmp(optarg, "auto") == 0)
				bpf = BPF_AUTO;
			else if (strcmp(optarg, "on") == 0)
				bpf = BPF_ON;
			else if (strcmp(optarg, "off") == 0)
				bpf = BPF_OFF;
			else {
				log_warnx("--bpf '%s': expected auto, on or off",
				    optarg);
				return CX_EXIT_USAGE;
			}
			continue;
		}
		if ((rc = relay_opt(&o, ch, optarg, err, sizeof(err))) <= 0) {
			log_warnx("%s", rc < 0 ? err : "bad option");
			return CX_EXIT_USAGE;
		}
	}
	if (optind >= argc) {
		log_warnx("missing command: cxrec run [OPTIONS] -- COMMAND "
		    "[ARG...]");
		return CX_EXIT_USAGE;
	}
	char **cmd = argv + optind;

	/* Which agent, and its plan: login, mode, routes. */
	agent_detect(&run, cmd);
	if (run.agent->plan(&run) == -1) {
		log_warnx("%s", run.err);
		return CX_EXIT_USAGE;
	}
	if (run.warning[0])
		log_warnx("%s", run.warning);

	/*
	 * The probe first: --bpf on fails before anything is created.  Which
	 * way processes are named (and why not by the probe) is said in the
	 * line at the end.
	 */
	char procs_how[600] = "processes: /proc (--bpf off)";
	if (bpf != BPF_OFF && (probe = cx_probe_open(err,
	    sizeof(err))) == NULL) {
		if (bpf == BPF_ON) {
			log_warnx("--bpf on: the kernel probe cannot load: %s",
			    err);
			return CX_EXIT_USAGE;
		}
		snprintf(procs_how, sizeof(procs_how), "processes: /proc (the "
		    "kernel probe cannot load: %s)", err);
	} else if (probe != NULL)
		snprintf(procs_how, sizeof(procs_how), "processes: kernel "
		    "probe");
	raise_nofile(&orig_nofile);
	if (relay_opts_config(&o, &defaults, &cfg) == -1) {
		cx_probe_close(probe);
		return CX_EXIT_SYS;
	}
	cfg.client_lookup = probe == NULL;
	/*
	 * The forward proxy, for what ignores base URLs: a CA and a token
	 * for this run.  Hosts not the agent's vendor's are tunnelled
	 * untouched unless --intercept says otherwise.
	 */
	if (run.mode & AGENT_MODE_PROXY) {
		if (proxy_setup_init(&pxs, &cfg, err, sizeof(err)) == -1) {
			log_warnx("the forward proxy: %s", err);
			cx_probe_close(probe);
			return CX_EXIT_SYS;
		}
		if (!o.intercept_given)
			cfg.intercept = RELAY_INTERCEPT_AGENT;
		cfg.agent_hosts = run.agent->hosts;
	}
	/* Listening first: a relay that cannot start leaves the trace be. */
	if ((r = relay_new(&cfg, err, sizeof(err))) == NULL) {
		log_warnx("%s", err);
		proxy_setup_free(&pxs);
		cx_probe_close(probe);
		return CX_EXIT_SYS;
	}
	if ((w = open_trace(&o)) == NULL) {
		relay_free(r);
		proxy_setup_free(&pxs);
		cx_probe_close(probe);
		return CX_EXIT_SYS;
	}
	relay_set_trace(r, w);
	cfg.trace = w;
	if (o.insecure)
		log_warnx("warning: --insecure: upstream certificates are not "
		    "verified");

	/* COMMAND's environment and arguments. */
	snprintf(run.relay_url, sizeof(run.relay_url), "http://%s",
	    relay_address(r));
	if (run.mode & AGENT_MODE_PROXY)
		proxy_setup_url(&pxs, r, run.proxy_url, sizeof(run.proxy_url));
	if (run.agent->point(&run) == -1 || ((run.mode & AGENT_MODE_PROXY) &&
	    point_proxy(&run, &pxs, r, &cfg, &cae) == -1)) {
		log_warnx("%s", run.err);
		agent_run_free(&run);
		relay_free(r);
		proxy_setup_free(&pxs);
		ca_env_cleanup(&cae);
		cx_probe_close(probe);
		cx_writer_close(w);
		return CX_EXIT_SYS;
	}
	if (!(run.mode & AGENT_MODE_PROXY)) {
		unsetenv(CX_PRELOAD_ENV_PROXY);  /* a nested run's, not ours */
		unsetenv(CX_PRELOAD_ENV_INTERCEPT);
	}
	char **line = command_line(cmd, &run);
	setenv("CXREC_RELAY_URL", run.relay_url, 1);
	setenv("CXREC_TRACE", o.output, 1);
	extend_no_proxy();
	/* The preload, for COMMAND's dynamically linked processes. */
	memset(&ps, 0, sizeof(ps));
	if (no_preload)
		snprintf(preload_how, sizeof(preload_how), "; preload: off");
	else {
		char why[600];

		preload_blind(cmd[0], why, sizeof(why));
		if (why[0] != '\0')
			snprintf(preload_how, sizeof(preload_how),
			    "; preload: %s", why);
		if (preload_setup(&ps, o.output, err, sizeof(err)) == -1)
			snprintf(preload_how, sizeof(preload_how),
			    "; preload: not used: %s", err);
	}

	/* The note that says what this trace is. */
	struct run_note rn = { argv_json(line, cfg.redact_key), &run, &o, &cfg,
	    &pxs, r, probe != NULL, ps.active };
	cli_note(w, run_note, &rn);
	free((char *)rn.argv);

	/* The relay thread takes no signals; this one forwards them. */
	sigfillset(&all);
	pthread_sigmask(SIG_BLOCK, &all, &old);
	if ((rc = pthread_create(&tid, NULL, relay_thread, r)) != 0) {
		pthread_sigmask(SIG_SETMASK, &old, NULL);
		log_warnx("cannot start the relay thread: %s", strerror(rc));
		relay_free(r);
		proxy_setup_free(&pxs);
		ca_env_cleanup(&cae);
		preload_finish(&ps, err, sizeof(err));
		cx_probe_close(probe);
		cx_writer_close(w);
		free(line);
		agent_run_free(&run);
		return CX_EXIT_SYS;
	}
	if (probe != NULL)
		cx_probe_set_redact(probe, cfg.redact_key);
	if (probe != NULL && cx_probe_start(probe, w) == -1) {
		log_warn("probe: cannot start its thread; processes unknown");
		cx_probe_close(probe);
		probe = NULL;
	}
	pid_t pid = spawn(line, &old, &exec_errno, probe);
	if (pid > 0 && exec_errno == 0) {
		struct sigaction sa;
		static const int fwd[] = { SIGINT, SIGQUIT, SIGTERM, SIGHUP,
		    SIGUSR1, SIGUSR2, SIGALRM };
		memset(&sa, 0, sizeof(sa));
		sa.sa_sigaction = forward;
		sa.sa_flags = SA_SIGINFO | SA_RESTART;
		sigemptyset(&sa.sa_mask);
		child_pid = pid;
		for (size_t i = 0; i < sizeof(fwd) / sizeof(fwd[0]); i++) {
			struct sigaction cur;
			/* A signal ignored for cxrec stays ignored (nohup). */
			if (sigaction(fwd[i], NULL, &cur) == 0 &&
			    cur.sa_handler == SIG_IGN)
				continue;
			sigaction(fwd[i], &sa, NULL);
		}
	}
	pthread_sigmask(SIG_SETMASK, &old, NULL);

	int exit_code;
	if (pid == -1) {
		log_warn("cannot start %s", cmd[0]);
		exit_code = CX_EXIT_SYS;
	} else if (exec_errno != 0) {
		waitpid(pid, &status, 0);
		log_warnx("%s: %s", cmd[0], exec_errno == ENOENT ?
		    "command not found" : strerror(exec_errno));
		exit_code = exec_errno == ENOENT ? CX_EXIT_NOTFOUND :
		    CX_EXIT_NOEXEC;
	} else {
		while (waitpid(pid, &status, 0) == -1 && errno == EINTR)
			;
		child_pid = 0;
		exit_code = WIFEXITED(status) ? WEXITSTATUS(status) :
		    WIFSIGNALED(status) ? 128 + WTERMSIG(status) : CX_EXIT_FAIL;
	}

	uint64_t probe_lost = cx_probe_close(probe);
	if (probe_lost > 0)
		log_warnx("probe: %llu events lost (its ring buffer was full): "
		    "some processes are unknown", (unsigned long long)probe_lost);
	relay_stop(r);
	pthread_join(tid, NULL);
	relay_get_stats(r, &st);
	relay_free(r);
	proxy_setup_free(&pxs);         /* after the relay: it held the CA */
	ca_env_cleanup(&cae);
	struct exit_note en = { exit_code, st.requests };
	cli_note(w, exit_note, &en);

	char preload_err[700];
	preload_finish(&ps, preload_err, sizeof(preload_err));
	if (preload_err[0] != '\0')
		snprintf(preload_how, sizeof(preload_how), "; preload: %s",
		    preload_err);
	free(line);
	if (pid == -1 || exec_errno != 0) {
		/* Nothing ran: the error line above says it all. */
		cx_writer_close(w);
		agent_run_free(&run);
		return exit_code;
	}
	char sent[32], recv[32];
	human_bytes(st.req_bytes, sent, sizeof(sent));
	human_bytes(st.resp_bytes, recv, sizeof(recv));
	char newer[200] = "";
	if (agent_newer_than_verified(&run))
		snprintf(newer, sizeof(newer), " (newer than the versions "
		    "verified, %s: the newest way in was used)",
		    run.agent->verified);
	char via[80] = "";
	if (run.mode & AGENT_MODE_PROXY)
		snprintf(via, sizeof(via), ", %llu of them through its proxy",
		    (unsigned long long)st.proxy_requests);
	fprintf(stderr, "cxrec: %llu exchange%s through the relay%s (%s sent, "
	    "%s received) recorded to %s; %s%s%s%s%s reached by %s, login: %s "
	    "(%s); %s%s\n",
	    (unsigned long long)st.requests, st.requests == 1 ? "" : "s", via,
	    sent, recv, o.output, run.agent->name, run.version[0] ? " " : "",
	    run.version, newer, run.agent == &agent_generic ? " (not an agent "
	    "cxrec knows: cxrec run --agent list)" : "", run.how, run.login,
	    run.login_why, procs_how, preload_how);
	report_losses(w, o.output);
	cx_writer_close(w);
	agent_run_free(&run);
	return exit_code;
}
