/*
 * peerproc.h: which process is at the other end of an accepted loopback
 * connection, found in /proc (the fallback when the kernel probe is not
 * running; probe/probe.h).
 *
 * The client's socket is the one whose local address is the connection's
 * peer and whose remote address is its local one, asked of the kernel by
 * that 4-tuple (NETLINK_SOCK_DIAG, as ss does); its inode names it in some
 * process's /proc/PID/fd.  That process's
 * pid, parent, comm, exe and argv are written to the trace as a proc frame
 * (event "client", docs/trace-format.md) for the connection.  The thread
 * is not known this way, and the record says so ("tid":null).
 *
 * Lookups run in one thread of their own, so that the relay's loop never
 * waits on /proc; at most CX_PEERPROC_QUEUE wait (more are counted and
 * dropped, with a note).  Works without root for the user's own processes.
 */
#ifndef CX_PEERPROC_H
#define CX_PEERPROC_H

#include <stdint.h>
#include <sys/socket.h>

#include "srcredact.h"
#include "trace.h"

#define CX_PEERPROC_QUEUE       1024

struct cx_peerproc;

/* NULL if the thread cannot start (errno set). */
struct cx_peerproc *cx_peerproc_new(struct cx_writer *w,
    const struct cx_srcredact_key *redact);
/*
 * Find and record the process behind connection conn (peer -> local), in
 * a frame of source's (CX_SRC_RELAY or CX_SRC_PROXY).
 */
void     cx_peerproc_lookup(struct cx_peerproc *pp, uint8_t source,
    uint64_t conn,
    const struct sockaddr_storage *peer,
    const struct sockaddr_storage *local);
/* Finish the lookups queued, stop the thread, free.  NULL is fine. */
void     cx_peerproc_free(struct cx_peerproc *pp);

/*
 * The lookup itself, synchronously (for tests): the pid holding the client
 * end of peer -> local, or 0; with the reason in err when 0.
 */
uint32_t cx_peerproc_find(const struct sockaddr_storage *peer,
    const struct sockaddr_storage *local, char *err, size_t errlen);

#endif
