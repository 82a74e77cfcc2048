/* export_child.c: --export's `cxrec export --follow` beside the recorder
 * (export_child.h). */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "export_child.h"
#include "http_post.h"
#include "log.h"
#include "trace.h"

pid_t
export_child_start(const struct relay_opts *o)
{
	pid_t pid;

	if (o->export_url == NULL)
		return 0;
	if ((pid = fork()) == -1) {
		log_warn("--export: fork");
		return 0;
	}
	if (pid == 0) {
		setpgid(0, 0);
		unsetenv("LD_PRELOAD");         /* a nested run's: not ours */
		/* The URL in the environment, not on the command line: a
		 * password in it is for this user only (/proc/PID/environ). */
		if (setenv("CXREC_EXPORT_URL", o->export_url, 1) == 0)
			execl("/proc/self/exe", "cxrec", "export", "--follow",
			    "-q", "--to", o->export_to, "--", "-", o->output,
			    (char *)NULL);
		log_warn("--export: cannot run cxrec export");
		_exit(127);
	}
	setpgid(pid, pid);      /* as the child does: whichever runs first */
	return pid;
}

static volatile sig_atomic_t hurry;

static void
on_hurry(int sig)
{
	(void)sig;
	hurry = 1;
}

/* Wait up to ns for pid, or until a signal hurries us; 1 when it ended
 * (its status in *status). */
static int
wait_for(pid_t pid, int64_t ns, int *status)
{
	int64_t end = cx_now_ns() + ns;

	for (;;) {
		struct timespec tick = { 0, 20 * 1000000 };
		pid_t r = waitpid(pid, status, WNOHANG);

		if (r == pid || (r == -1 && errno != EINTR))
			return 1;
		if (hurry || cx_now_ns() >= end)
			return 0;
		nanosleep(&tick, NULL);
	}
}

void
export_child_stop(pid_t pid, const struct relay_opts *o)
{
	struct sigaction sa, old_int, old_term;
	const char *url;
	char *said, after[64];
	int status = 0, ended;

	if (pid <= 0)
		return;
	/* Ctrl-C (again) while it sends the rest: stop it now. */
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_hurry;
	sigemptyset(&sa.sa_mask);
	hurry = 0;
	sigaction(SIGINT, &sa, &old_int);
	sigaction(SIGTERM, &sa, &old_term);
	ended = wait_for(pid, (int64_t)o->export_wait_s * 1000000000, &status);
	if (!ended) {
		kill(pid, SIGTERM);
		if (!wait_for(pid, 5LL * 1000000000, &status)) {
			kill(pid, SIGKILL);
			waitpid(pid, &status, 0);
		}
	}
	sigaction(SIGINT, &old_int, NULL);
	sigaction(SIGTERM, &old_term, NULL);
	if (ended && WIFEXITED(status) && WEXITSTATUS(status) == 0)
		return;
	/* The URL as it was given, unless it holds a secret. */
	url = strchr(o->export_url, '@') != NULL || strstr(o->export_url,
	    "password") != NULL ? "URL" : o->export_url;
	said = cx_url_said(o->export_url);
	snprintf(after, sizeof(after), "after %d s (--export-wait)",
	    o->export_wait_s);
	if (ended)
		log_warnx("export: it ended with an error (said above); what it "
		    "had not sent to %s, `cxrec export --to %s --follow %s %s` "
		    "sends", said, o->export_to, url, o->output);
	else
		log_warnx("export: stopped %s, before %s had the whole trace; "
		    "`cxrec export --to %s --follow %s %s` resumes it", hurry ?
		    "by a signal" : after, said, o->export_to, url, o->output);
	free(said);
}
