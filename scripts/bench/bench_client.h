/* bench_client.h: what the parts of bench_client share (the tool and its
 * modes are described in bench_client.c).  Internal to bench_client; not
 * part of cxrec itself. */
#ifndef BENCH_CLIENT_H
#define BENCH_CLIENT_H

#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>

#include "bench_common.h"

/* ---------- options (bench_client.c), set by main before any mode ---------- */

extern const char *o_host;
extern uint32_t o_addr; /* o_host, network order, in 127.0.0.0/8 */
extern int o_port;
extern int o_tls;
extern long long o_n;
extern long long o_gap_us;
extern long long o_warmup; /* -1: min(100, n/10) */
extern long long o_bytes;
extern int o_repeat;
extern int o_conns;
extern int o_timeout_s;
extern int o_rss_pid;
extern const char *o_raw;
extern SSL_CTX *g_ctx; /* the TLS client context, with --tls */

/* ---------- client_http.c: one HTTP/1.1 exchange ---------- */

enum { BODY_LENGTH, BODY_CHUNKED, BODY_CLOSE };

typedef void (*sink_fn)(void *ctx, const char *p, size_t n);

/* The response body's framing, decoded incrementally. */
typedef struct {
    int kind;
    long long remaining; /* BODY_LENGTH: bytes left; BODY_CHUNKED: chunk bytes left */
    int cs;
    int ndigits;
    int done;
    long long body_bytes;
    char err[160];
} body_dec;

/* Connect to o_host:o_port (with TLS if o_tls). Returns 0, or -1 with err
 * set and c closed. */
int open_conn(bench_conn *c, char *err, size_t errlen);
/* Send GET target. Returns 0 or -1. */
int send_get(bench_conn *c, const char *target);
/* Feed wire bytes; data bytes go to sink. Returns -1 on framing error. */
int body_feed(body_dec *d, const char *p, size_t n, sink_fn sink, void *ctx);
/* Read the response head (status 200); leftover body bytes are copied to
 * rest, *t_first is the time of the first byte. Returns 0 and fills d on
 * success, -1 with err set. */
int read_head(bench_conn *c, body_dec *d, char *rest, size_t *restlen, size_t restcap,
              int64_t *t_first, char *err, size_t errlen);
/* The same with status want. */
int read_head_status(bench_conn *c, body_dec *d, char *rest, size_t *restlen,
                     size_t restcap, int64_t *t_first, int want, char *err, size_t errlen);

/* ---------- client_stream.c: SSE events, WebSocket messages ---------- */

typedef struct {
    char ev[256];
    size_t evlen;
    long long next_seq;
    long long n_expected;
    int64_t t_recv;   /* timestamp of the read() being processed */
    int64_t t_first_ev; /* receive time of event 0 */
    int64_t *lat;     /* latencies in ns, indexed by seq */
    long long ev_bytes; /* bytes of validated events */
    int bad;
    char err[160];
} sse_state;

/* Run one SSE stream (GET /sse?n=N&gap_us=G) on an open connection; lat[i]
 * gets event i's latency. Gives up at deadline_ns or when *abort_flag is
 * set (abort_flag may be NULL). Returns 0 if complete and valid. */
int run_sse_stream(bench_conn *c, long long n, long long gap_us, int64_t *lat,
                   int64_t deadline_ns, sse_state *s, body_dec *d, char *err, size_t errlen,
                   const atomic_int *abort_flag);
/* GET /ws (an upgrade), then n text messages; lat[i] as for SSE. Returns
 * the number of messages received before the close frame, or -1. */
long long run_ws_stream(bench_conn *c, long long n, long long gap_us, int64_t *lat,
                        int64_t deadline_ns, char *err, size_t errlen);

/* ---------- client_stats.c: latency figures ---------- */

typedef struct {
    double p50, p90, p99, p999, max, min, mean;
} lat_stats;

/* Sorts v in place. Values in ns, stats in us. Nearest-rank percentiles. */
lat_stats stats(int64_t *v, size_t n);
/* Raw latencies (ns), one a line, to path. Returns 0 or -1 (said on stderr). */
int write_raw(const char *path, const int64_t *lat, size_t n);

/* ---------- client_procmem.c: memory of a process tree ---------- */

/* Sum VmRSS and VmHWM (KiB) over the tree rooted at pid, and if pss is not
 * NULL its Pss. Returns the number of processes. */
int tree_mem(int pid, long long *rss, long long *hwm, long long *pss);
/* A thread: samples o_rss_pid's tree every 25 ms into the peaks below until
 * g_sampler_stop is set (or the timeout has passed). */
void *sampler(void *arg);
extern atomic_int g_sampler_stop;
extern long long g_rss_peak_sampled; /* max over samples of sum VmRSS */
extern long long g_pss_peak_sampled; /* max over samples of sum Pss */
extern int g_procs_peak;

/* ---------- the modes: client_modes.c, client_concurrent.c ---------- */

/* Each prints its RESULT line; returns the exit status. */
int mode_sse(void);
int mode_ws(void);
int mode_bulk(void);
int mode_concurrent(void);

#endif
