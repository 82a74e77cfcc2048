/* bench_client: load generator / measurer for the cxrec relay benchmarks.
 *
 * Talks plain HTTP/1.1 to a proxy, or TLS directly to bench_server (--tls).
 * One request per connection (Connection: close is NOT sent; the client
 * simply closes after the response, so proxies keep their normal keep-alive
 * behaviour towards the upstream).
 *
 * Modes:
 *   sse         GET /sse?n=N&gap_us=G. Decodes chunked framing and SSE
 *               incrementally; per-event latency = CLOCK_MONOTONIC at the
 *               read() that completed the event minus the event's t_ns.
 *               The first W events (warm-up) are excluded from the stats.
 *   bulk        GET /bulk?bytes=B, R times (new connection each), 1 MiB reads,
 *               body discarded; rate = B / (last byte - request sent).
 *   concurrent  C connections at once, each GET /sse?n=N&gap_us=G (starts
 *               staggered evenly over one gap so the streams' events are not
 *               synchronized); verifies every stream: all N events in order,
 *               exact event bytes, correct termination. All connections stay
 *               open until every stream is done. With --rss-pid, samples the
 *               memory of that process and its descendants every 25 ms
 *               (sum of VmRSS; sum of Pss every 200 ms) and reads the sum of
 *               VmHWM when all streams are done.
 *
 * Output: human-readable lines on stderr, one "RESULT key=value ..." line on
 * stdout (plus "RUN ..." lines for bulk). Exit status 0 only if every check
 * passed.
 *
 * The parts: client_http.c (the connection, the GET, the response head and
 * body framing), client_stream.c (SSE events and WebSocket messages, read
 * and checked), client_stats.c (latency percentiles, raw latencies),
 * client_procmem.c (the memory of --rss-pid's process tree), client_modes.c
 * (sse, ws, bulk), client_concurrent.c (concurrent); bench_client.h is what
 * they share.  This file: the options and main.
 */
#include "bench_client.h"

#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ---------- options ---------- */

const char *o_host = "127.0.0.1";
uint32_t o_addr;
int o_port = 0;
int o_tls = 0;
static const char *o_cacert = NULL;
long long o_n = 2000;
long long o_gap_us = 2000;
long long o_warmup = -1;
long long o_bytes = 1LL << 30;
int o_repeat = 3;
int o_conns = 256;
int o_timeout_s = 120;
int o_rss_pid = 0;
const char *o_raw = NULL;
SSL_CTX *g_ctx;

/* ---------- main ---------- */

static void usage(void)
{
    fprintf(stderr,
            "usage: bench_client sse|ws|bulk|concurrent --port P [--host 127.0.0.1] [--tls --cacert ca.pem]\n"
            "         sse:        [--n 2000] [--gap-us 2000] [--warmup min(100,n/10)] [--raw FILE]\n"
            "         bulk:       [--bytes 1073741824] [--repeat 3]\n"
            "         concurrent: [--conns 256] [--n 200] [--gap-us 2000] [--rss-pid PID]\n"
            "         all:        [--timeout 120]  (seconds; bounds every run)\n");
    exit(2);
}

int main(int argc, char **argv)
{
    if (argc < 2)
        usage();
    const char *mode = argv[1];
    int n_set = 0;
    for (int i = 2; i < argc; i++) {
        const char *a = argv[i];
        if (!strcmp(a, "--tls")) {
            o_tls = 1;
            continue;
        }
        if (i + 1 >= argc)
            usage();
        const char *v = argv[++i];
        if (!strcmp(a, "--host"))
            o_host = v;
        else if (!strcmp(a, "--port"))
            o_port = atoi(v);
        else if (!strcmp(a, "--cacert"))
            o_cacert = v;
        else if (!strcmp(a, "--n"))
            o_n = atoll(v), n_set = 1;
        else if (!strcmp(a, "--gap-us"))
            o_gap_us = atoll(v);
        else if (!strcmp(a, "--warmup"))
            o_warmup = atoll(v);
        else if (!strcmp(a, "--bytes"))
            o_bytes = atoll(v);
        else if (!strcmp(a, "--repeat"))
            o_repeat = atoi(v);
        else if (!strcmp(a, "--conns"))
            o_conns = atoi(v);
        else if (!strcmp(a, "--timeout"))
            o_timeout_s = atoi(v);
        else if (!strcmp(a, "--rss-pid"))
            o_rss_pid = atoi(v);
        else if (!strcmp(a, "--raw"))
            o_raw = v;
        else
            usage();
    }
    if (!strcmp(mode, "concurrent") && !n_set)
        o_n = 200;
    if (o_port <= 0 || o_port > 65535 || o_n <= 0 || o_n > 10000000 || o_gap_us < 0 || o_bytes < 0 ||
        o_repeat < 1 || o_repeat > 64 || o_conns < 1 || o_conns > 4096 || o_timeout_s < 1)
        usage();
    if (bench_parse_loopback(o_host, &o_addr) != 0)
        return 2;
    signal(SIGPIPE, SIG_IGN);
    if (o_tls) {
        g_ctx = SSL_CTX_new(TLS_client_method());
        if (!g_ctx || !o_cacert || SSL_CTX_load_verify_locations(g_ctx, o_cacert, NULL) != 1) {
            bench_ssl_err("bench_client: --tls needs a readable --cacert");
            return 2;
        }
        SSL_CTX_set_verify(g_ctx, SSL_VERIFY_PEER, NULL);
    }
    setvbuf(stdout, NULL, _IOLBF, 0);
    if (!strcmp(mode, "sse"))
        return mode_sse();
    if (!strcmp(mode, "ws"))
        return mode_ws();
    if (!strcmp(mode, "bulk"))
        return mode_bulk();
    if (!strcmp(mode, "concurrent"))
        return mode_concurrent();
    usage();
    return 2;
}
