/* export_child.c: --export's `cxrec export --follow` beside the recorder
 * (export_child.h). */
#include <errno.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "export_child.h"
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
		execl("/proc/self/exe", "cxrec", "export", "--follow", "-q",
		    "--to", o->export_to, "--", o->export_url, o->output,
		    (char *)NULL);
		log_warn("--export: cannot run cxrec export");
		_exit(127);
	}
	return pid;
}

/* Wait up to ns for pid; 1 when it ended. */
static int
wait_for(pid_t pid, int64_t ns)
{
	int64_t end = cx_now_ns() + ns;
	int status;

	for (;;) {
		struct timespec tick = { 0, 20 * 1000000 };
		pid_t r = waitpid(pid, &status, WNOHANG);

		if (r == pid || (r == -1 && errno != EINTR))
			return 1;
		if (cx_now_ns() >= end)
			return 0;
		nanosleep(&tick, NULL);
	}
}

void
export_child_stop(pid_t pid, const struct relay_opts *o)
{
	const char *said;

	if (pid <= 0)
		return;
	if (wait_for(pid, (int64_t)o->export_wait_s * 1000000000))
		return;
	/* The URL said as it is, unless it holds a password. */
	said = strstr(o->export_url, "password") != NULL ? "URL" :
	    o->export_url;
	log_warnx("export: %.*s has not taken the whole trace after %d s: "
	    "stopped; `cxrec export --to %s --follow %s %s` resumes it",
	    (int)strcspn(o->export_url, "?"), o->export_url,
	    o->export_wait_s, o->export_to, said, o->output);
	kill(pid, SIGTERM);
	if (!wait_for(pid, 5LL * 1000000000)) {
		kill(pid, SIGKILL);
		waitpid(pid, NULL, 0);
	}
}
