/*
 * probe.c: load the BPF probe, write its events as trace frames (probe.h).
 *
 * One reader thread polls the ring buffer and turns each event into a
 * proc frame (source probe, the event's pid and tid in the frame header,
 * a JSON object as payload; docs/trace-format.md):
 *   {"event":"connect","pid":P,"tid":T,"comm":"codex",
 *    "thread":"tokio-runtime-w","src":"127.0.0.1:41732",
 *    "dst":"127.0.0.1:8080"}
 *   {"event":"exec","pid":P,"tid":T,"ppid":Q,"comm":"curl",
 *    "exe":"/usr/bin/curl","argv":["curl","-s","..."]}
 *   {"event":"exit","pid":P,"comm":"curl","ppid":Q,"exit_code":0}
 *   (or "signal":9 for "exit_code")
 * Addresses are written as the relay writes its connections' (an IPv4
 * address mapped into IPv6 as plain IPv4), so decode can match them.
 */
#include <errno.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "probe.h"

#ifdef CX_HAVE_BPF

#include <arpa/inet.h>
#include <sys/syscall.h>

#include <bpf/libbpf.h>

#include "argv.h"
#include "jsonobj.h"
#include "probe_event.h"
#include "probe.skel.h"
#include "xmalloc.h"

#define CX_PROBE_POLL_MS        20

struct cx_probe {
	struct cxprobe          *skel;
	struct ring_buffer      *rb;
	struct cx_writer        *w;
	const struct cx_srcredact_key *redact;  /* argv as --redact-at-source */
	pthread_t                thread;
	int                      running;
	int                      stop;          /* under lock */
	pthread_mutex_t          lock;
	uint64_t                 events;
};

int
cx_probe_built(void)
{
	return 1;
}

/* "1.2.3.4:80", "[::1]:80"; IPv4-mapped IPv6 as IPv4. */
static void
addr_str(char *out, size_t len, int family, const unsigned char *a,
    unsigned port)
{
	static const unsigned char mapped[12] = { 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
	    0xff, 0xff };
	char host[INET6_ADDRSTRLEN] = "?";

	if (family == AF_INET6 && memcmp(a, mapped, 12) == 0) {
		family = AF_INET;
		a += 12;
	}
	inet_ntop(family, a, host, sizeof(host));
	snprintf(out, len, family == AF_INET6 ? "[%s]:%u" : "%s:%u", host,
	    port);
}

/* A probe frame: the event's time, pid and tid in the header. */
static void
put(struct cx_probe *p, const struct cxp_event *e, const char *json,
    size_t len)
{
	struct cx_frame f;

	memset(&f, 0, sizeof(f));
	f.kind = CX_K_PROC;
	f.source = CX_SRC_PROBE;
	f.ts_ns = (int64_t)e->ts;
	f.pid = e->pid;
	f.tid = e->type == CXP_EXIT ? 0 : e->tid;
	f.payload = (const uint8_t *)json;
	f.len = (uint32_t)len;
	cx_writer_put(p->w, &f);
}

/* A kernel string of at most n bytes (NUL-terminated or not). */
static void
kstr(struct cx_jobj *j, const char *key, const char *s, size_t n)
{
	cx_jobj_strn(j, key, s, strnlen(s, n));
}

void
cx_probe_set_redact(struct cx_probe *p, const struct cx_srcredact_key *k)
{
	p->redact = k;
}

/*
 * exec: the arguments, NUL-separated (the last one perhaps cut), as the
 * one argv builder gives them (argv.h: redacted when --redact-at-source
 * asked), into a buffer grown until nothing is cut.
 */
static void
exec_event(struct cx_probe *p, const struct cxp_event *e)
{
	size_t n = e->args_len < CXP_ARGS_LEN ? e->args_len : CXP_ARGS_LEN;
	/* A byte escaped is at most 6 (\u00XX); redaction may add some. */
	size_t cap = 512 + 6 * (sizeof(e->comm) + CXP_FILE_LEN + n);
	struct cx_jobj j;
	char *json = NULL;

	for (;; cap *= 2) {
		json = xrealloc(json, cap);
		cx_jobj_begin(&j, json, cap);
		cx_jobj_str(&j, "event", "exec");
		cx_jobj_u64(&j, "pid", e->pid);
		cx_jobj_u64(&j, "tid", e->tid);
		cx_jobj_u64(&j, "ppid", e->ppid);
		kstr(&j, "comm", e->comm, sizeof(e->comm));
		kstr(&j, "exe", e->filename, CXP_FILE_LEN);
		cx_argv_jobj(&j, "argv", (const char *)e->args, n, p->redact);
		if (n == CXP_ARGS_LEN)
			cx_jobj_bool(&j, "argv_truncated", 1);
		cx_jobj_end(&j);
		if (!j.cut || cap >= 64 * CXP_ARGS_LEN)
			break;
	}
	put(p, e, json, j.len);
	free(json);
}

static int
on_event(void *arg, void *data, size_t size)
{
	struct cx_probe *p = arg;
	const struct cxp_event *e = data;
	char src[80], dst[80], json[1024];     /* room for all, escaped */
	struct cx_jobj j;

	if (size < CXP_SHORT_SIZE ||
	    (e->type == CXP_EXEC && size < CXP_EXEC_SIZE))
		return 0;
	p->events++;
	switch (e->type) {
	case CXP_EXEC:
		exec_event(p, e);
		return 0;
	case CXP_CONNECT:
		addr_str(src, sizeof(src), e->family, e->saddr, e->sport);
		addr_str(dst, sizeof(dst), e->family, e->daddr, e->dport);
		cx_jobj_begin(&j, json, sizeof(json));
		cx_jobj_str(&j, "event", "connect");
		cx_jobj_u64(&j, "pid", e->pid);
		cx_jobj_u64(&j, "tid", e->tid);
		kstr(&j, "comm", e->comm, sizeof(e->comm));
		kstr(&j, "thread", e->tcomm, sizeof(e->tcomm));
		cx_jobj_str(&j, "src", src);
		cx_jobj_str(&j, "dst", dst);
		break;
	case CXP_EXIT:
		cx_jobj_begin(&j, json, sizeof(json));
		cx_jobj_str(&j, "event", "exit");
		cx_jobj_u64(&j, "pid", e->pid);
		kstr(&j, "comm", e->comm, sizeof(e->comm));
		cx_jobj_u64(&j, "ppid", e->ppid);
		if (WIFSIGNALED(e->exit_code))
			cx_jobj_i64(&j, "signal", WTERMSIG(e->exit_code));
		else
			cx_jobj_i64(&j, "exit_code", WEXITSTATUS(e->exit_code));
		break;
	default:
		return 0;
	}
	put(p, e, json, cx_jobj_end(&j));
	return 0;
}

/* Events the kernel could not queue: a loss frame from this thread. */
static void
put_loss(struct cx_writer *w, uint64_t lost)
{
	char json[128];
	struct cx_jobj j;
	struct cx_frame f;

	cx_jobj_begin(&j, json, sizeof(json));
	cx_jobj_u64(&j, "frames", lost);
	cx_jobj_u64(&j, "bytes", 0);
	cx_jobj_str(&j, "what", "probe events: the ring buffer was full");
	memset(&f, 0, sizeof(f));
	f.kind = CX_K_LOSS;
	f.source = CX_SRC_PROBE;
	f.ts_ns = cx_now_ns();
	f.pid = (uint32_t)getpid();
	f.tid = (uint32_t)syscall(SYS_gettid);
	f.len = (uint32_t)cx_jobj_end(&j);
	f.payload = (const uint8_t *)json;
	cx_writer_put(w, &f);
}

static int
stopping(struct cx_probe *p)
{
	int s;

	pthread_mutex_lock(&p->lock);
	s = p->stop;
	pthread_mutex_unlock(&p->lock);
	return s;
}

static void *
reader(void *arg)
{
	struct cx_probe *p = arg;

	/* Events wake nobody (probe.bpf.c): drain on a timer. */
	while (!stopping(p)) {
		struct timespec ts = { 0, CX_PROBE_POLL_MS * 1000000L };

		if (ring_buffer__consume(p->rb) < 0 && errno != EINTR)
			break;
		nanosleep(&ts, NULL);
	}
	return NULL;
}

/* libbpf's messages: only with CXREC_DEBUG (the reason goes in err). */
static int
quiet(enum libbpf_print_level level, const char *fmt, va_list ap)
{
	if (getenv("CXREC_DEBUG") == NULL || level == LIBBPF_DEBUG)
		return 0;
	return vfprintf(stderr, fmt, ap);
}

struct cx_probe *
cx_probe_open(char *err, size_t errlen)
{
	struct cx_probe *p = xcalloc(1, sizeof(*p));
	int rc;

	libbpf_set_print(quiet);
	pthread_mutex_init(&p->lock, NULL);
	if (access("/sys/kernel/btf/vmlinux", R_OK) != 0) {
		snprintf(err, errlen, "the kernel has no BTF "
		    "(/sys/kernel/btf/vmlinux: %s)", strerror(errno));
		goto fail;
	}
	if ((p->skel = cxprobe__open()) == NULL) {
		snprintf(err, errlen, "cannot open the BPF object: %s",
		    strerror(errno));
		goto fail;
	}
	if ((rc = cxprobe__load(p->skel)) != 0) {
		snprintf(err, errlen, "cannot load the BPF program: %s%s",
		    strerror(-rc), -rc == EPERM || -rc == EACCES ?
		    " (needs root, or CAP_BPF and CAP_PERFMON)" : "");
		goto fail;
	}
	if ((rc = cxprobe__attach(p->skel)) != 0) {
		snprintf(err, errlen, "cannot attach to the kernel's "
		    "tracepoints: %s", strerror(-rc));
		goto fail;
	}
	p->rb = ring_buffer__new(bpf_map__fd(p->skel->maps.events), on_event,
	    p, NULL);
	if (p->rb == NULL) {
		snprintf(err, errlen, "cannot map the BPF ring buffer: %s",
		    strerror(errno));
		goto fail;
	}
	return p;
fail:
	cxprobe__destroy(p->skel);
	pthread_mutex_destroy(&p->lock);
	free(p);
	return NULL;
}

int
cx_probe_trace(struct cx_probe *p, pid_t pid)
{
	uint32_t k = (uint32_t)pid;
	uint8_t v = 1;

	return bpf_map__update_elem(p->skel->maps.traced, &k, sizeof(k), &v,
	    sizeof(v), BPF_ANY) == 0 ? 0 : -1;
}

int
cx_probe_start(struct cx_probe *p, struct cx_writer *w)
{
	int rc;

	p->w = w;
	rc = pthread_create(&p->thread, NULL, reader, p);
	if (rc != 0) {
		errno = rc;
		return -1;
	}
	p->running = 1;
	return 0;
}

uint64_t
cx_probe_close(struct cx_probe *p)
{
	uint64_t lost = 0;
	uint32_t k = 0;

	if (p == NULL)
		return 0;
	if (p->running) {
		pthread_mutex_lock(&p->lock);
		p->stop = 1;
		pthread_mutex_unlock(&p->lock);
		pthread_join(p->thread, NULL);
	}
	/* What is still queued, then what never was. */
	if (p->w != NULL)
		ring_buffer__consume(p->rb);
	bpf_map__lookup_elem(p->skel->maps.lost, &k, sizeof(k), &lost,
	    sizeof(lost), 0);
	if (lost > 0 && p->w != NULL)
		put_loss(p->w, lost);
	ring_buffer__free(p->rb);
	cxprobe__destroy(p->skel);
	pthread_mutex_destroy(&p->lock);
	free(p);
	return lost;
}

#else /* !CX_HAVE_BPF */

struct cx_probe {
	int unused;
};

int
cx_probe_built(void)
{
	return 0;
}

struct cx_probe *
cx_probe_open(char *err, size_t errlen)
{
	snprintf(err, errlen, "this cxrec was built without the probe "
	    "(it needs libbpf-dev, clang and bpftool at build time)");
	errno = ENOTSUP;
	return NULL;
}

void
cx_probe_set_redact(struct cx_probe *p, const struct cx_srcredact_key *k)
{
	(void)p;
	(void)k;
}

int
cx_probe_trace(struct cx_probe *p, pid_t pid)
{
	(void)p;
	(void)pid;
	errno = ENOTSUP;
	return -1;
}

int
cx_probe_start(struct cx_probe *p, struct cx_writer *w)
{
	(void)p;
	(void)w;
	errno = ENOTSUP;
	return -1;
}

uint64_t
cx_probe_close(struct cx_probe *p)
{
	(void)p;
	return 0;
}

#endif
