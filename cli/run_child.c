/*
 * run_child.c: COMMAND itself: the relay's thread started first (taking
 * no signals), COMMAND forked and exec'd (traced by the probe from its
 * exec on), the signals cxrec gets forwarded to it, its end waited for
 * (run_int.h).
 */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "cli.h"
#include "log.h"
#include "run_int.h"

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

/* From now on, the signals cxrec gets go to pid. */
static void
forward_signals(pid_t pid)
{
	static const int fwd[] = { SIGINT, SIGQUIT, SIGTERM, SIGHUP, SIGUSR1,
	    SIGUSR2, SIGALRM };
	struct sigaction sa;

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

static void
close_pipe(int p[2])
{
	if (p[0] != -1)
		close(p[0]);
	if (p[1] != -1)
		close(p[1]);
}

/* In the child: wait for the word go (if any), then exec. */
static void __attribute__((noreturn))
child(const struct run *run, const sigset_t *oldmask, int errfd, int go)
{
	int e;

	if (go != -1) {
		char c;
		ssize_t k;

		do
			k = read(go, &c, 1);
		while (k == -1 && errno == EINTR);
	}
	/*
	 * exec resets caught signals; ignored ones stay ignored, as they
	 * were for cxrec (nohup, a shell's &), but for SIGPIPE, which the
	 * relay ignores for itself; and the limit on open files is the one
	 * cxrec was given, not the relay's.
	 */
	sigaction(SIGPIPE, &run->orig_sigpipe, NULL);
	sigprocmask(SIG_SETMASK, oldmask, NULL);
	setrlimit(RLIMIT_NOFILE, &run->orig_nofile);
	execvp(run->line[0], run->line);
	e = errno;
	ssize_t n = write(errfd, &e, sizeof(e));
	(void)n;
	_exit(127);
}

/* In the parent: the probe traces pid, then the child may go on. */
static void
trace_child(struct cx_probe *probe, pid_t pid, int go)
{
	if (cx_probe_trace(probe, pid) == -1)
		log_warnx("probe: cannot trace pid %d: its processes will be "
		    "unknown", (int)pid);
	if (write(go, "g", 1) != 1)
		log_warn("probe: cannot start the command");
}

/*
 * fork + exec; the exec's errno comes back through a CLOEXEC pipe into
 * run->exec_errno.  With a probe, the child waits (on a second pipe) until
 * the probe traces it, so that its exec is reported too.
 */
static pid_t
spawn(struct run *run, const sigset_t *oldmask)
{
	int pfd[2] = { -1, -1 }, go[2] = { -1, -1 }, e = 0;
	pid_t pid;
	ssize_t n;

	run->exec_errno = 0;
	if (pipe2(pfd, O_CLOEXEC) == -1)
		return -1;
	if ((run->probe != NULL && pipe2(go, O_CLOEXEC) == -1) ||
	    (pid = fork()) == -1) {
		close_pipe(pfd);
		close_pipe(go);
		return -1;
	}
	if (pid == 0) {
		close(pfd[0]);
		if (go[1] != -1)
			close(go[1]);
		child(run, oldmask, pfd[1], go[0]);
	}
	close(pfd[1]);
	if (run->probe != NULL) {
		close(go[0]);
		trace_child(run->probe, pid, go[1]);
		close(go[1]);
	}
	do
		n = read(pfd[0], &e, sizeof(e));
	while (n == -1 && errno == EINTR);
	close(pfd[0]);
	if (n == (ssize_t)sizeof(e))
		run->exec_errno = e;
	return pid;
}

static void *
relay_thread(void *arg)
{
	relay_run(arg);
	return NULL;
}

int
run_start(struct run *run)
{
	sigset_t all, old;
	int rc;

	/* The relay thread takes no signals; this one forwards them. */
	sigfillset(&all);
	pthread_sigmask(SIG_BLOCK, &all, &old);
	if ((rc = pthread_create(&run->thread, NULL, relay_thread,
	    run->relay)) != 0) {
		pthread_sigmask(SIG_SETMASK, &old, NULL);
		log_warnx("cannot start the relay thread: %s", strerror(rc));
		return CX_EXIT_SYS;
	}
	run->thread_on = 1;
	if (run_replay_serve(run) != 0) {
		pthread_sigmask(SIG_SETMASK, &old, NULL);
		return CX_EXIT_SYS;
	}
	if (run->probe != NULL)
		cx_probe_set_redact(run->probe, run->cfg.redact_key);
	if (run->probe != NULL && cx_probe_start(run->probe, run->w) == -1) {
		log_warn("probe: cannot start its thread; processes unknown");
		cx_probe_close(run->probe);
		run->probe = NULL;
	}
	run->pid = spawn(run, &old);
	if (run_started(run))
		forward_signals(run->pid);
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	return 0;
}

int
run_started(const struct run *run)
{
	return run->pid > 0 && run->exec_errno == 0;
}

int
run_wait(struct run *run)
{
	const char *name = run->cmd[0];
	int status = 0;

	if (run->pid == -1) {
		log_warn("cannot start %s", name);
		return CX_EXIT_SYS;
	}
	if (run->exec_errno != 0) {
		waitpid(run->pid, &status, 0);
		log_warnx("%s: %s", name, run->exec_errno == ENOENT ?
		    "command not found" : strerror(run->exec_errno));
		return run->exec_errno == ENOENT ? CX_EXIT_NOTFOUND :
		    CX_EXIT_NOEXEC;
	}
	while (waitpid(run->pid, &status, 0) == -1 && errno == EINTR)
		;
	child_pid = 0;
	return WIFEXITED(status) ? WEXITSTATUS(status) :
	    WIFSIGNALED(status) ? 128 + WTERMSIG(status) : CX_EXIT_FAIL;
}
