/* client_modes.c: bench_client's single-connection modes: sse and ws
 * (latency of one stream's events) and bulk (throughput of large bodies,
 * a new connection per run). */
#include "bench_client.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ---------- mode: sse ---------- */

int mode_sse(void)
{
    long long warm = o_warmup >= 0 ? o_warmup : (o_n / 10 < 100 ? o_n / 10 : 100);
    if (warm >= o_n) {
        fprintf(stderr, "warm-up (%lld) must be smaller than n (%lld)\n", warm, o_n);
        return 2;
    }
    int64_t *lat = calloc((size_t)o_n, sizeof *lat);
    if (!lat)
        return 1;
    bench_conn c;
    char err[256] = "";
    sse_state s;
    body_dec d;
    int64_t deadline = bench_now_ns() + (int64_t)o_timeout_s * 1000000000LL;
    int rc = open_conn(&c, err, sizeof err);
    if (rc == 0)
        rc = run_sse_stream(&c, o_n, o_gap_us, lat, deadline, &s, &d, err, sizeof err, NULL);
    bench_conn_close(&c);
    if (rc != 0) {
        fprintf(stderr, "sse: FAILED: %s\n", err);
        printf("RESULT mode=sse ok=0 error=\"%s\"\n", err);
        free(lat);
        return 1;
    }
    size_t m = (size_t)(o_n - warm);
    if (o_raw && write_raw(o_raw, lat + warm, m) != 0) {
        free(lat);
        return 1;
    }
    lat_stats st = stats(lat + warm, m);
    fprintf(stderr, "sse: %lld events (%lld warm-up dropped), latency us: p50 %.1f p90 %.1f p99 %.1f p99.9 %.1f max %.1f min %.1f mean %.1f\n",
            o_n, warm, st.p50, st.p90, st.p99, st.p999, st.max, st.min, st.mean);
    printf("RESULT mode=sse ok=1 events=%lld warmup=%lld measured=%zu gap_us=%lld p50_us=%.1f p90_us=%.1f "
           "p99_us=%.1f p999_us=%.1f max_us=%.1f min_us=%.1f mean_us=%.1f\n",
           o_n, warm, m, o_gap_us, st.p50, st.p90, st.p99, st.p999, st.max, st.min, st.mean);
    free(lat);
    return 0;
}

/* ---------- mode: ws ---------- */

int mode_ws(void)
{
    long long warm = o_warmup >= 0 ? o_warmup : (o_n / 10 < 100 ? o_n / 10 : 100);
    int64_t *lat = calloc((size_t)o_n, sizeof *lat);
    bench_conn c;
    char err[256] = "";
    long long got = -1;

    if (!lat || warm >= o_n)
        return 2;
    int64_t deadline = bench_now_ns() + (int64_t)o_timeout_s * 1000000000LL;
    if (open_conn(&c, err, sizeof err) == 0)
        got = run_ws_stream(&c, o_n, o_gap_us, lat, deadline, err, sizeof err);
    bench_conn_close(&c);
    if (got != o_n) {
        if (got >= 0)
            snprintf(err, sizeof err, "%lld/%lld messages", got, o_n);
        fprintf(stderr, "ws: FAILED: %s\n", err);
        printf("RESULT mode=ws ok=0 error=\"%s\"\n", err);
        free(lat);
        return 1;
    }
    size_t m = (size_t)(o_n - warm);
    if (o_raw && write_raw(o_raw, lat + warm, m) != 0) {
        free(lat);
        return 1;
    }
    lat_stats st = stats(lat + warm, m);
    printf("RESULT mode=ws ok=1 messages=%lld warmup=%lld measured=%zu gap_us=%lld p50_us=%.1f "
           "p90_us=%.1f p99_us=%.1f max_us=%.1f\n", o_n, warm, m, o_gap_us, st.p50, st.p90,
           st.p99, st.max);
    free(lat);
    return 0;
}

/* ---------- mode: bulk ---------- */

static void count_sink(void *ctx, const char *p, size_t n)
{
    (void)ctx;
    (void)p;
    (void)n;
}

static int cmp_dbl(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

int mode_bulk(void)
{
    size_t bufsz = 1 << 20;
    char *buf = malloc(bufsz);
    double *rates = calloc((size_t)o_repeat, sizeof *rates);
    if (!buf || !rates)
        return 1;
    char target[128];
    snprintf(target, sizeof target, "/bulk?bytes=%lld", o_bytes);
    for (int run = 0; run < o_repeat; run++) {
        bench_conn c;
        char err[256] = "";
        body_dec d;
        if (open_conn(&c, err, sizeof err) != 0)
            goto fail;
        int64_t t0 = bench_now_ns();
        int64_t deadline = t0 + (int64_t)o_timeout_s * 1000000000LL;
        if (send_get(&c, target) != 0) {
            snprintf(err, sizeof err, "send request failed");
            goto fail_c;
        }
        size_t rest;
        int64_t t_first;
        if (read_head(&c, &d, buf, &rest, 16384, &t_first, err, sizeof err) != 0)
            goto fail_c;
        if (body_feed(&d, buf, rest, count_sink, NULL) != 0)
            goto framing;
        while (!d.done) {
            if (bench_now_ns() > deadline) {
                snprintf(err, sizeof err, "deadline reached after %lld bytes", d.body_bytes);
                goto fail_c;
            }
            ssize_t r = bench_conn_read(&c, buf, bufsz);
            if (r < 0) {
                snprintf(err, sizeof err, "read error/timeout after %lld bytes", d.body_bytes);
                goto fail_c;
            }
            if (r == 0) {
                if (d.kind == BODY_CLOSE)
                    break;
                snprintf(err, sizeof err, "EOF after %lld of %lld bytes", d.body_bytes, o_bytes);
                goto fail_c;
            }
            if (body_feed(&d, buf, (size_t)r, count_sink, NULL) != 0)
                goto framing;
        }
        int64_t t1 = bench_now_ns();
        bench_conn_close(&c);
        if (d.body_bytes != o_bytes) {
            snprintf(err, sizeof err, "got %lld of %lld bytes", d.body_bytes, o_bytes);
            goto fail;
        }
        double secs = (double)(t1 - t0) / 1e9;
        rates[run] = (double)o_bytes / secs / 1e9;
        fprintf(stderr, "bulk run %d: %lld bytes in %.3f s = %.3f GB/s (first byte after %.2f ms)\n", run + 1,
                o_bytes, secs, rates[run], (double)(t_first - t0) / 1e6);
        printf("RUN mode=bulk run=%d bytes=%lld secs=%.4f gbps=%.4f ttfb_ms=%.3f\n", run + 1, o_bytes, secs,
               rates[run], (double)(t_first - t0) / 1e6);
        fflush(stdout);
        continue;
    framing:
        snprintf(err, sizeof err, "%s", d.err);
    fail_c:
        bench_conn_close(&c);
    fail:
        fprintf(stderr, "bulk run %d: FAILED: %s\n", run + 1, err);
        printf("RESULT mode=bulk ok=0 error=\"%s\"\n", err);
        free(buf);
        free(rates);
        return 1;
    }
    double sorted[64];
    int k = o_repeat < 64 ? o_repeat : 64;
    memcpy(sorted, rates, (size_t)k * sizeof *sorted);
    qsort(sorted, (size_t)k, sizeof *sorted, cmp_dbl);
    double med = k % 2 ? sorted[k / 2] : (sorted[k / 2 - 1] + sorted[k / 2]) / 2;
    printf("RESULT mode=bulk ok=1 bytes=%lld runs=%d median_gbps=%.3f best_gbps=%.3f worst_gbps=%.3f\n", o_bytes,
           o_repeat, med, sorted[k - 1], sorted[0]);
    free(buf);
    free(rates);
    return 0;
}
