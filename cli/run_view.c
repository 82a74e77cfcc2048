/* run_view.c: cxrec run --view (run_int.h). */
#include <errno.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "log.h"
#include "run_int.h"

void
run_view_start(struct run *run)
{
	const char *trace = run->o->relay.output;
	pid_t pid;

	if (!run->o->view)
		return;
	if ((pid = fork()) == -1) {
		log_warn("--view: fork");
		return;
	}
	if (pid == 0) {
		setpgid(0, 0);
		unsetenv("LD_PRELOAD");         /* a nested run's: not the view's */
		if (run->o->view_open)
			execl("/proc/self/exe", "cxrec", "view", "--open", "--",
			    trace, (char *)NULL);
		else
			execl("/proc/self/exe", "cxrec", "view", "--", trace,
			    (char *)NULL);
		log_warn("--view: cannot run cxrec view");
		_exit(127);
	}
	run->view_pid = pid;
}

void
run_view_stop(struct run *run)
{
	struct timespec tick = { 0, 20 * 1000000 };
	int status;

	if (run->view_pid <= 0)
		return;
	kill(run->view_pid, SIGTERM);
	/* It gives its viewers half a second for the trace's end. */
	for (int i = 0; i < 100; i++) {
		if (waitpid(run->view_pid, &status, WNOHANG) != 0)
			break;
		nanosleep(&tick, NULL);
		if (i == 99) {
			kill(run->view_pid, SIGKILL);
			waitpid(run->view_pid, &status, 0);
		}
	}
	run->view_pid = 0;
}
