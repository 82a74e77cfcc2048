/* client_stats.c: latency figures: percentiles of a run, and the raw
 * latencies written out so that runs can be pooled. */
#include "bench_client.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>

/* ---------- statistics ---------- */

static int cmp_i64(const void *a, const void *b)
{
    int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;
    return (x > y) - (x < y);
}

/* Sorts v in place. Values in ns, stats in us. Nearest-rank percentiles. */
lat_stats stats(int64_t *v, size_t n)
{
    lat_stats s = {0};
    if (!n)
        return s;
    qsort(v, n, sizeof *v, cmp_i64);
    double sum = 0;
    for (size_t i = 0; i < n; i++)
        sum += (double)v[i];
#define PCT(q) ((double)v[(size_t)((q) * (double)(n - 1) + 0.5)] / 1000.0)
    s.p50 = PCT(0.50);
    s.p90 = PCT(0.90);
    s.p99 = PCT(0.99);
    s.p999 = PCT(0.999);
#undef PCT
    s.min = (double)v[0] / 1000.0;
    s.max = (double)v[n - 1] / 1000.0;
    s.mean = sum / (double)n / 1000.0;
    return s;
}


/* Raw latencies (ns, in arrival order, warm-up excluded), one a line, so
 * that several runs can be pooled. */
int write_raw(const char *path, const int64_t *lat, size_t n)
{
    FILE *f = fopen(path, "w");
    if (!f) {
        perror(path);
        return -1;
    }
    for (size_t i = 0; i < n; i++)
        fprintf(f, "%" PRId64 "\n", lat[i]);
    if (fclose(f) != 0) {
        perror(path);
        return -1;
    }
    return 0;
}
