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

#include <bpf/libbpf.h>
#include <cJSON.h>

#include "jsonstr.h"
#include "probe_event.h"
#include "probe.skel.h"
#include "redact.h"
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

static void
add_argv(cJSON *o, const struct cxp_event *e,
    const struct cx_srcredact_key *redact)
{
	size_t n = e->args_len < CXP_ARGS_LEN ? e->args_len : CXP_ARGS_LEN;

	cJSON_AddItemToObject(o, "argv", cx_argv_json(e->args, n, redact));
	if (n == CXP_ARGS_LEN)
		cJSON_AddTrueToObject(o, "argv_truncated");
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

/* A kernel string of at most n bytes (NUL-terminated or not), escaped. */
static const char *
esc(char *out, size_t outlen, const char *s, size_t n)
{
	return json_escape(out, outlen, s, strnlen(s, n));
}

void
cx_probe_set_redact(struct cx_probe *p, const struct cx_srcredact_key *k)
{
	p->redact = k;
}

/* exec: its arguments make cJSON the simpler way. */
static void
exec_event(struct cx_probe *p, const struct cxp_event *e)
{
	char buf[CXP_FILE_LEN + 1];
	cJSON *o = cJSON_CreateObject();
	char *s;

	cJSON_AddStringToObject(o, "event", "exec");
	cJSON_AddNumberToObject(o, "pid", e->pid);
	cJSON_AddNumberToObject(o, "tid", e->tid);
	cJSON_AddNumberToObject(o, "ppid", e->ppid);
	memcpy(buf, e->comm, sizeof(e->comm));
	buf[sizeof(e->comm)] = '\0';
	cJSON_AddStringToObject(o, "comm", buf);
	memcpy(buf, e->filename, CXP_FILE_LEN);
	buf[CXP_FILE_LEN] = '\0';
	cJSON_AddStringToObject(o, "exe", buf);
	add_argv(o, e, p->redact);
	if ((s = cJSON_PrintUnformatted(o)) != NULL) {
		put(p, e, s, strlen(s));
		cJSON_free(s);
	}
	cJSON_Delete(o);
}

static int
on_event(void *arg, void *data, size_t size)
{
	struct cx_probe *p = arg;
	const struct cxp_event *e = data;
	char comm[4 * CXP_COMM_LEN + 8], tcomm[4 * CXP_COMM_LEN + 8];
	char src[80], dst[80], json[512];
	int n = 0;

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
		n = snprintf(json, sizeof(json), "{\"event\":\"connect\","
		    "\"pid\":%u,\"tid\":%u,\"comm\":\"%s\",\"thread\":\"%s\","
		    "\"src\":\"%s\",\"dst\":\"%s\"}", e->pid, e->tid,
		    esc(comm, sizeof(comm), e->comm, sizeof(e->comm)),
		    esc(tcomm, sizeof(tcomm), e->tcomm, sizeof(e->tcomm)), src,
		    dst);
		break;
	case CXP_EXIT:
		n = snprintf(json, sizeof(json), "{\"event\":\"exit\","
		    "\"pid\":%u,\"comm\":\"%s\",\"ppid\":%u,\"%s\":%d}",
		    e->pid, esc(comm, sizeof(comm), e->comm, sizeof(e->comm)),
		    e->ppid, WIFSIGNALED(e->exit_code) ? "signal" : "exit_code",
		    WIFSIGNALED(e->exit_code) ? WTERMSIG(e->exit_code) :
		    WEXITSTATUS(e->exit_code));
		break;
	default:
		return 0;
	}
	if (n > 0 && (size_t)n < sizeof(json))
		put(p, e, json, (size_t)n);
	return 0;
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
		cx_writer_json(p->w, CX_K_LOSS, CX_SRC_PROBE, 0,
		    "{\"frames\":%llu,\"bytes\":0,\"what\":\"probe events: "
		    "the ring buffer was full\"}", (unsigned long long)lost);
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
