/* client_concurrent.c: bench_client's concurrent mode: --conns SSE streams
 * at once, one thread each, started staggered over one gap, all held open
 * until every one is done, with the memory of --rss-pid sampled meanwhile. */
#include "bench_client.h"

#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <openssl/err.h>

/* ---------- mode: concurrent ---------- */

typedef struct {
    int idx;
    int ok;
    long long events;
    long long body_bytes;
    int64_t t_done;
    int64_t t_start;     /* scheduled start */
    int64_t t_connected; /* TCP (+TLS) connection established */
    int64_t t_first_ev;  /* first event received */
    int64_t *lat;
    char err[256];
} worker;

static pthread_mutex_t g_mu = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t g_cv = PTHREAD_COND_INITIALIZER;
static int g_started, g_finished, g_go, g_release;
static int64_t g_t0, g_deadline;
static atomic_int g_abort;

static void *worker_main(void *arg)
{
    worker *w = arg;
    pthread_mutex_lock(&g_mu);
    g_started++;
    pthread_cond_broadcast(&g_cv);
    while (!g_go)
        pthread_cond_wait(&g_cv, &g_mu);
    pthread_mutex_unlock(&g_mu);

    /* Stagger the starts evenly over one gap so the C streams' events are
     * spread in time instead of arriving in synchronized bursts. */
    w->t_start = g_t0;
    if (o_conns > 1 && o_gap_us > 0) {
        int64_t at = g_t0 + (int64_t)w->idx * o_gap_us * 1000LL / o_conns;
        w->t_start = at;
        struct timespec ts = {.tv_sec = at / 1000000000LL, .tv_nsec = at % 1000000000LL};
        while (clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &ts, NULL) == EINTR)
            ;
    }
    bench_conn c;
    sse_state s;
    body_dec d;
    memset(&d, 0, sizeof d);
    memset(&s, 0, sizeof s);
    int rc = open_conn(&c, w->err, sizeof w->err);
    w->t_connected = bench_now_ns();
    if (rc == 0)
        rc = run_sse_stream(&c, o_n, o_gap_us, w->lat, g_deadline, &s, &d, w->err, sizeof w->err, &g_abort);
    w->t_done = bench_now_ns();
    w->ok = rc == 0;
    w->events = s.next_seq;
    w->t_first_ev = s.t_first_ev;
    w->body_bytes = d.body_bytes;

    /* Keep the connection open until every stream is done, so the proxy's
     * memory is measured with all streams alive. */
    pthread_mutex_lock(&g_mu);
    g_finished++;
    pthread_cond_broadcast(&g_cv);
    while (!g_release)
        pthread_cond_wait(&g_cv, &g_mu);
    pthread_mutex_unlock(&g_mu);
    bench_conn_close(&c);
    ERR_clear_error();
    return NULL;
}

int mode_concurrent(void)
{
    int C = o_conns;
    worker *ws = calloc((size_t)C, sizeof *ws);
    pthread_t *th = calloc((size_t)C, sizeof *th);
    if (!ws || !th)
        return 1;
    pthread_attr_t attr;
    pthread_attr_init(&attr);
    pthread_attr_setstacksize(&attr, 256 * 1024);
    int created = 0;
    for (int i = 0; i < C; i++) {
        ws[i].idx = i;
        ws[i].lat = calloc((size_t)o_n, sizeof(int64_t));
        if (!ws[i].lat || pthread_create(&th[i], &attr, worker_main, &ws[i]) != 0) {
            fprintf(stderr, "concurrent: could not start worker %d\n", i);
            break;
        }
        created++;
    }
    pthread_t samp;
    int have_sampler = 0;
    if (o_rss_pid > 0 && pthread_create(&samp, NULL, sampler, NULL) == 0)
        have_sampler = 1;

    pthread_mutex_lock(&g_mu);
    while (g_started < created)
        pthread_cond_wait(&g_cv, &g_mu);
    g_t0 = bench_now_ns();
    g_deadline = g_t0 + (int64_t)o_timeout_s * 1000000000LL;
    g_go = 1;
    pthread_cond_broadcast(&g_cv);
    /* Wait for all workers; bounded by the deadline (+ slack for reads that
     * are blocked until their receive timeout). */
    while (g_finished < created) {
        struct timespec ts;
        clock_gettime(CLOCK_REALTIME, &ts);
        ts.tv_sec += 1;
        pthread_cond_timedwait(&g_cv, &g_mu, &ts);
        if (bench_now_ns() > g_deadline)
            atomic_store(&g_abort, 1);
    }
    pthread_mutex_unlock(&g_mu);

    long long rss_end = 0, hwm_end = 0, pss_end = 0;
    int np_end = 0;
    if (o_rss_pid > 0) {
        np_end = tree_mem(o_rss_pid, &rss_end, &hwm_end, &pss_end);
        if (pss_end > g_pss_peak_sampled)
            g_pss_peak_sampled = pss_end;
    }
    if (have_sampler) {
        atomic_store(&g_sampler_stop, 1);
        pthread_join(samp, NULL);
    }

    pthread_mutex_lock(&g_mu);
    g_release = 1;
    pthread_cond_broadcast(&g_cv);
    pthread_mutex_unlock(&g_mu);
    for (int i = 0; i < created; i++)
        pthread_join(th[i], NULL);

    int complete = 0;
    long long events = 0, bytes = 0;
    int64_t last = g_t0, conn_max = 0, first_max = 0;
    size_t nl = 0;
    int64_t *all = malloc((size_t)created * (size_t)o_n * sizeof(int64_t));
    int shown = 0;
    for (int i = 0; i < created; i++) {
        worker *w = &ws[i];
        events += w->events;
        bytes += w->body_bytes;
        if (w->ok) {
            complete++;
            if (w->t_done > last)
                last = w->t_done;
            if (w->t_connected - w->t_start > conn_max)
                conn_max = w->t_connected - w->t_start;
            if (w->t_first_ev - w->t_start > first_max)
                first_max = w->t_first_ev - w->t_start;
            if (all) {
                memcpy(all + nl, w->lat, (size_t)o_n * sizeof(int64_t));
                nl += (size_t)o_n;
            }
        }
        if (getenv("BENCH_DEBUG"))
            fprintf(stderr, "stream %d: ok %d connect %.1f ms first event %.1f ms done %.1f ms\n", i, w->ok,
                    (double)(w->t_connected - w->t_start) / 1e6, (double)(w->t_first_ev - w->t_start) / 1e6,
                    (double)(w->t_done - w->t_start) / 1e6);
        if (!w->ok && shown++ < 5) {
            fprintf(stderr, "concurrent: stream %d failed: %s\n", i, w->err);
        }
    }
    double wall = (double)(last - g_t0) / 1e9;
    lat_stats st = all ? stats(all, nl) : (lat_stats){0};
    long long peak = g_rss_peak_sampled > hwm_end ? g_rss_peak_sampled : hwm_end;
    fprintf(stderr, "concurrent: %d/%d streams complete (%lld events, %lld body bytes), %.3f s for the completed "
            "(ideal %.3f); slowest connect %.1f ms, slowest first event %.1f ms; "
            "event latency us p50 %.1f p99 %.1f max %.1f",
            complete, C, events, bytes, wall, (double)o_gap_us * (double)(o_n - 1) / 1e6, (double)conn_max / 1e6,
            (double)first_max / 1e6, st.p50, st.p99, st.max);
    if (o_rss_pid > 0)
        fprintf(stderr, "; proxy memory KiB: peak RSS %lld (sampled sum VmRSS %lld, sum VmHWM at end %lld over %d procs), "
                "peak sum Pss %lld",
                peak, g_rss_peak_sampled, hwm_end, np_end, g_pss_peak_sampled);
    fputc('\n', stderr);
    printf("RESULT mode=concurrent ok=%d conns=%d complete=%d events=%lld bytes=%lld n=%lld gap_us=%lld "
           "wall_s=%.3f connect_max_ms=%.1f first_event_max_ms=%.1f p50_us=%.1f p99_us=%.1f max_us=%.1f",
           complete == C, C, complete, events, bytes, o_n, o_gap_us, wall, (double)conn_max / 1e6,
           (double)first_max / 1e6, st.p50, st.p99, st.max);
    if (o_rss_pid > 0)
        printf(" rss_peak_kib=%lld rss_sampled_kib=%lld hwm_end_kib=%lld rss_end_kib=%lld pss_peak_kib=%lld "
               "procs_end=%d procs_peak=%d",
               peak, g_rss_peak_sampled, hwm_end, rss_end, g_pss_peak_sampled, np_end, g_procs_peak);
    printf("\n");
    free(all);
    for (int i = 0; i < created; i++)
        free(ws[i].lat);
    free(ws);
    free(th);
    return complete == C ? 0 : 1;
}
