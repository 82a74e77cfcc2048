/*
 * preload_state.c: the process the preload is loaded into: its ids (pid,
 * thread ids, connection ids), its name, what fork does to them, and the
 * trace's writer, opened lazily at the first connection to record and
 * given up if the program closes its descriptor.
 */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "preload_int.h"

struct pl_state pl_st = { .lock = PTHREAD_MUTEX_INITIALIZER };
__thread int pl_in_hook PL_TLS;
pthread_mutex_t pl_ssllock = PTHREAD_MUTEX_INITIALIZER;
pthread_mutex_t pl_stripe[NSTRIPE] = {
	[0 ... NSTRIPE - 1] = PTHREAD_MUTEX_INITIALIZER
};

/* The thread's id, asked of the kernel once a thread (and a fork). */
static __thread pid_t tid_cache;
static __thread pid_t tid_pid;

pid_t
pl_tid(void)
{
	uint32_t pid = __atomic_load_n(&pl_st.pid, __ATOMIC_RELAXED);

	if (tid_cache == 0 || (uint32_t)tid_pid != pid) {
		tid_cache = (pid_t)syscall(SYS_gettid);
		tid_pid = (pid_t)pid;
	}
	return tid_cache;
}

/* The name is read once (and again in a forked child). */
const char *
pl_comm(void)
{
	char buf[64];
	ssize_t n;
	int fd;

	if (__atomic_load_n(&pl_st.comm[0], __ATOMIC_ACQUIRE) != '\0')
		return pl_st.comm;
	if (real_open == NULL || (fd = real_open("/proc/self/comm", O_RDONLY |
	    O_CLOEXEC)) == -1)
		return "";
	n = real_read(fd, buf, sizeof(buf) - 1);
	real_close(fd);
	if (n <= 0)
		return "";
	if (buf[n - 1] == '\n')
		n--;
	buf[n] = '\0';
	pthread_mutex_lock(&pl_st.lock);
	if (pl_st.comm[0] == '\0') {
		/* The first byte last: readers test it, unlocked. */
		snprintf(pl_st.comm + 1, sizeof(pl_st.comm) - 1, "%s", buf + 1);
		__atomic_store_n(&pl_st.comm[0], buf[0], __ATOMIC_RELEASE);
	}
	pthread_mutex_unlock(&pl_st.lock);
	return pl_st.comm;
}

/* A connection counter's start: ids stay unique across exec (same pid). */
uint32_t
pl_counter_start(void)
{
	uint64_t t = (uint64_t)cx_now_ns();

	return (uint32_t)(t ^ (t >> 29)) & 0x7fffffffu;
}

uint64_t
pl_new_conn(void)
{
	return (uint64_t)pl_st.pid << 32 |
	    __atomic_add_fetch(&pl_st.next_conn, 1, __ATOMIC_RELAXED);
}

/*
 * Locks are taken around fork so that the child never inherits one held
 * by a thread that does not exist in it.
 */
void
pl_before_fork(void)
{
	pthread_mutex_lock(&pl_st.lock);
	pthread_mutex_lock(&pl_ssllock);
	for (int i = 0; i < NSTRIPE; i++)
		pthread_mutex_lock(&pl_stripe[i]);
}

void
pl_after_fork_parent(void)
{
	for (int i = 0; i < NSTRIPE; i++)
		pthread_mutex_unlock(&pl_stripe[i]);
	pthread_mutex_unlock(&pl_ssllock);
	pthread_mutex_unlock(&pl_st.lock);
}

void
pl_after_fork_child(void)
{
	for (int i = 0; i < NSTRIPE; i++)
		pthread_mutex_unlock(&pl_stripe[i]);
	pthread_mutex_unlock(&pl_ssllock);
	pthread_mutex_unlock(&pl_st.lock);
	pl_st.pid = (uint32_t)getpid();
	pl_st.next_conn = pl_counter_start();
	pl_st.comm[0] = '\0';
	pl_ring_forked();
}

/* --- the writer ----------------------------------------------------------- */

struct cx_writer *
pl_writer(void)
{
	struct rlimit rl;
	char err[300];
	int min = 512;

	if (__atomic_load_n(&pl_st.tried, __ATOMIC_ACQUIRE))
		return __atomic_load_n(&pl_st.off, __ATOMIC_ACQUIRE) ? NULL :
		    pl_st.w;
	pthread_mutex_lock(&pl_st.lock);
	if (!pl_st.tried) {
		if (pl_st.trace[0] != '\0') {
			pl_st.w = cx_writer_attach(pl_st.trace, err,
			    sizeof(err));
			if (pl_st.w == NULL)
				pl_report("pid %d: %s", (int)getpid(), err);
		}
		/* Out of the way of the numbers the program uses. */
		if (pl_st.w != NULL && getrlimit(RLIMIT_NOFILE, &rl) == 0 &&
		    rl.rlim_cur != RLIM_INFINITY && rl.rlim_cur > 64)
			min = rl.rlim_cur > 2048 ? (int)rl.rlim_cur - 256 :
			    (int)rl.rlim_cur / 2;
		if (pl_st.w != NULL)
			cx_writer_move_fd(pl_st.w, min);
		/*
		 * --redact-at-source (the trace's header says): credentials
		 * are hidden under a key of this process's own, never in
		 * its environment, where a tool's `env` would show it to the
		 * model, and so to the trace.  No key: nothing recorded.
		 */
		if (pl_st.w != NULL && (cx_writer_file_flags(pl_st.w) &
		    CX_FILE_REDACTED)) {
			if (cx_srcredact_key_new(&pl_st.key) == 0)
				pl_st.redact = 1;
			else {
				pl_report("pid %d: no key to hide credentials "
				    "with: not recorded", (int)getpid());
				cx_writer_close(pl_st.w);
				pl_st.w = NULL;
			}
		}
		__atomic_store_n(&pl_st.tried, 1, __ATOMIC_RELEASE);
	}
	pthread_mutex_unlock(&pl_st.lock);
	return pl_st.w;
}

/*
 * The program is closing or replacing descriptors [lo, hi]: if the
 * trace's is among them, stop recording in this process (before the
 * number can mean something else).
 */
void
pl_fds_going(unsigned lo, unsigned hi)
{
	int fd;

	pl_ring_fds_going(lo, hi);
	if (!__atomic_load_n(&pl_st.tried, __ATOMIC_ACQUIRE) ||
	    pl_st.w == NULL || __atomic_load_n(&pl_st.off, __ATOMIC_ACQUIRE))
		return;
	fd = cx_writer_fd(pl_st.w);
	if (fd >= 0 && (unsigned)fd >= lo && (unsigned)fd <= hi) {
		__atomic_store_n(&pl_st.off, 1, __ATOMIC_RELEASE);
		pl_report("pid %d: the program closed the trace's descriptor: "
		    "not recorded from then on", (int)getpid());
	}
}

