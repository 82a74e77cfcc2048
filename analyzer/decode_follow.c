/*
 * decode_follow.c: decode --follow, reading a trace as it is written
 * (decode_int.h): wait at its end, hand over what settles, and know when
 * to stop.
 *
 * At the end of what is written the reader waits (cx_reader_set_follow: a
 * frame still being written is not damage), looking again every TICK_NS;
 * each look hands the analysis the trace's clock (cx_analysis_caught_up),
 * so an exchange whose last frame is written is shown within
 * CX_FOLLOW_SLACK_NS + TICK_NS, whether or not more frames come.
 */
#include <errno.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "decode_int.h"

#define TICK_NS         (50LL * 1000000)

/* Was the trace written on this host (whose clocks it was stamped with)? */
int
decode_same_host(const struct cx_file_info *info)
{
	char host[sizeof(info->host)];

	if (gethostname(host, sizeof(host) - 1) == -1)
		return 0;
	host[sizeof(host) - 1] = '\0';
	return strcmp(host, info->host) == 0;
}

/*
 * Now, on the trace's clock: CLOCK_MONOTONIC, which every writer on its
 * host stamps frames with; from another host, through the header's anchor
 * (wall clocks agreeing as well as they do).
 */
int64_t
decode_clock(const struct cx_file_info *info, int local)
{
	struct timespec rt;

	if (local)
		return cx_now_ns();
	clock_gettime(CLOCK_REALTIME, &rt);
	return info->monotonic_ns + ((int64_t)rt.tv_sec * 1000000000 +
	    rt.tv_nsec - info->realtime_ns);
}

/*
 * Is the process that created the trace gone (killed before it could
 * close it)?  Asked only on the trace's own host; a writer in another
 * PID namespace there would look gone.
 */
int
decode_writer_gone(const struct cx_file_info *info)
{
	return info->writer_pid != 0 && kill((pid_t)info->writer_pid, 0) ==
	    -1 && errno == ESRCH;
}

static void
say(struct decode_run *d, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
static void
say(struct decode_run *d, const char *fmt, ...)
{
	char msg[400];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	d->warn(d->warn_arg, msg);
}

int
decode_follow(struct decode_run *d, const struct cx_decode_opts *o)
{
	const struct cx_file_info *info = cx_reader_info(d->r);
	int local = decode_same_host(info);
	int64_t grew = cx_now_ns();
	char why[300];

	cx_reader_set_follow(d->r, 1);
	for (;;) {
		struct timespec tick = { 0, TICK_NS };
		int ended = decode_read(d), g;

		cx_analysis_caught_up(d->a, decode_clock(info, local));
		if (ferror(d->out))
			return -1;
		if (ended || (o->stop != NULL && *o->stop))
			break;
		if ((g = cx_reader_grow(d->r, why, sizeof(why))) == 1) {
			grew = cx_now_ns();
			continue;
		}
		if (g == -1) {
			say(d, "%s: stopped following it", why);
			break;
		}
		if (local && decode_writer_gone(info)) {
			say(d, "its writer (pid %u) is gone without closing it: "
			    "stopped following it", info->writer_pid);
			break;
		}
		if (o->idle_ns > 0 && cx_now_ns() - grew >= o->idle_ns)
			break;
		nanosleep(&tick, NULL);         /* a signal cuts it short */
	}
	/* What was written meanwhile, read as the end of a finished trace. */
	cx_reader_grow(d->r, why, sizeof(why));
	cx_reader_set_follow(d->r, 0);
	decode_read(d);
	return ferror(d->out) ? -1 : 0;
}
