/*
 * probe.h: cxrec's kernel probe, the user side (probe.c; the kernel side
 * is probe.bpf.c).  It loads a BPF program that reports, for one process
 * tree only, each TCP connection a process establishes (pid, tid, comm and
 * the 4-tuple), each exec (pid, ppid, comm, program, arguments) and each
 * exit, and a thread that writes these as probe frames (kind proc, source
 * probe; docs/trace-format.md) into the trace.  Decode joins the connect
 * events with the relay's connections to tell which process made each
 * exchange, even for a static binary such as codex.
 *
 * Built only with libbpf, clang and bpftool (the Makefile says when it is
 * not); otherwise cx_probe_open fails saying so.  Needs root (or
 * CAP_BPF + CAP_PERFMON) and the kernel's BTF.
 */
#ifndef CX_PROBE_H
#define CX_PROBE_H

#include <stdint.h>
#include <sys/types.h>

#include "srcredact.h"
#include "trace.h"

struct cx_probe;

/* Was the probe built into this cxrec? */
int      cx_probe_built(void);
/*
 * Load and attach the probe.  NULL with a one-line reason in err if it
 * cannot (not built, no permission, no BTF, a missing tracepoint).
 */
struct cx_probe *cx_probe_open(char *err, size_t errlen);
/* Report pid and, from now on, every process it forks.  0 or -1. */
int      cx_probe_trace(struct cx_probe *p, pid_t pid);
/* Record argv as --redact-at-source does (cx_redact_arg); before start. */
void     cx_probe_set_redact(struct cx_probe *p,
    const struct cx_srcredact_key *k);
/* Start the thread that writes the events to w.  0, or -1 (errno). */
int      cx_probe_start(struct cx_probe *p, struct cx_writer *w);
/*
 * Stop: write the events still queued, stop the thread, detach, free.
 * Events the kernel could not queue (a full ring buffer) are counted: a
 * loss frame says how many, and so does the return value.  NULL is fine.
 */
uint64_t cx_probe_close(struct cx_probe *p);

#endif
