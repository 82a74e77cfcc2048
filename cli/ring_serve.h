/*
 * ring_serve.h: cxrec run's side of the preload's rings (preload.h,
 * common/shmring.h): a Unix socket that recorded processes hand their ring
 * to, and a thread per ring that writes the frames it carries to the trace
 * (the core writer: CRC, one writev per frame, O_APPEND) until the process
 * is gone, then steps over what it left unfinished (counted, reported).
 */
#ifndef CX_RING_SERVE_H
#define CX_RING_SERVE_H

struct ring_serve;

/*
 * Listen on DIR/ring for rings whose frames go to trace (absolute); the
 * processes' problems are reported in the errors file (one line each).
 * NULL, with why in err, when it cannot: the preload then writes itself.
 */
struct ring_serve *ring_serve_start(const char *dir, const char *trace,
    const char *errors, char *err, size_t errlen);
/* The socket's path (for CXREC_RING). */
const char *ring_serve_path(const struct ring_serve *rs);
/*
 * The run is over: close every ring (processes still running write their
 * frames themselves from then on), write what they hold, stop the
 * threads, remove the socket, free.  NULL is fine.
 */
void     ring_serve_stop(struct ring_serve *rs);

#endif
