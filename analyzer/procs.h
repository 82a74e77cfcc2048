/*
 * procs.h: the processes of a trace, and which one made each connection.
 *
 * What is known of a process comes from proc frames (docs/trace-format.md):
 * the probe's exec and exit events (pid, parent, program, arguments), and
 * the relay's "client" records, made from /proc when it accepts a
 * connection.  Which process made a relay connection comes either from
 * such a record (it names the connection) or from joining the probe's
 * connect events (the client's address and the relay's) with the relay's
 * open frames (the same two addresses): cx_procs_open and cx_procs_connect
 * take either half in whatever order they come, and cx_procs_join_fn is
 * called when a pair meets.
 *
 * Memory: one entry a process (a few hundred bytes), and at most
 * CX_PROCS_PENDING halves waiting for their other half.
 *
 * Ownership: the table owns every struct cx_proc; pointers stay valid
 * until cx_procs_free.
 */
#ifndef CX_PROCS_H
#define CX_PROCS_H

#include <stddef.h>
#include <stdint.h>

#define CX_PROCS_PENDING        4096
/* Halves further apart in time than this are not joined (port reuse). */
#define CX_PROCS_JOIN_NS        (30LL * 1000000000)

struct cx_proc {
	uint32_t         pid;
	uint32_t         ppid;          /* 0: unknown */
	char            *comm;          /* NULL: unknown */
	char            *exe;
	char            *argv;          /* a JSON array's text, or NULL */
	int64_t          exec_ts;       /* its last exec, 0 if not seen */
	int              exited;
	int              exit_code;     /* when exited: -1 if a signal */
	int              signal;
	const char      *via;           /* "probe" or "proc" */
};

struct cx_procs;

/* A joined pair: the relay connection (source, conn) is pid/tid's. */
typedef void (*cx_procs_join_fn)(void *arg, uint8_t source, uint64_t conn,
    uint32_t pid, uint32_t tid, const char *comm);

struct cx_procs *cx_procs_new(cx_procs_join_fn fn, void *arg);
void     cx_procs_free(struct cx_procs *t);             /* NULL is fine */

/* The process with this pid, or NULL. */
struct cx_proc *cx_procs_get(const struct cx_procs *t, uint32_t pid);
/* ... created if new. */
struct cx_proc *cx_procs_add(struct cx_procs *t, uint32_t pid);
/* Every process, in order of first sight. */
size_t   cx_procs_count(const struct cx_procs *t);
const struct cx_proc *cx_procs_at(const struct cx_procs *t, size_t i);
/* Is pid ancestor, or a descendant of it (by the parents known)? */
int      cx_procs_descends(const struct cx_procs *t, uint32_t pid,
    uint32_t ancestor);

/* The relay accepted (source, conn) from peer on local, at ts. */
void     cx_procs_open(struct cx_procs *t, uint8_t source, uint64_t conn,
    const char *peer, const char *local, int64_t ts);
/* The probe saw pid/tid connect from src to dst at ts. */
void     cx_procs_connect(struct cx_procs *t, uint32_t pid, uint32_t tid,
    const char *comm, const char *src, const char *dst, int64_t ts);

#endif
