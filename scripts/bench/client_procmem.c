/* client_procmem.c: the memory of the process under test (--rss-pid) and
 * its descendants, read from /proc: VmRSS, VmHWM and Pss summed over the
 * tree, and a sampler thread that keeps the peaks. */
#include "bench_client.h"

#include <dirent.h>
#include <stdio.h>
#include <time.h>

/* ---------- RSS of a process tree ---------- */

/* Collect pid and its descendants (depth <= 4) into out. */
static void collect_tree(int pid, int depth, int *out, int *n, int cap)
{
    if (*n >= cap)
        return;
    out[(*n)++] = pid;
    if (depth >= 4)
        return;
    char path[64];
    snprintf(path, sizeof path, "/proc/%d/task", pid);
    DIR *dir = opendir(path);
    if (!dir)
        return;
    struct dirent *de;
    while ((de = readdir(dir)) != NULL) {
        if (de->d_name[0] < '0' || de->d_name[0] > '9')
            continue;
        char cp[128];
        snprintf(cp, sizeof cp, "/proc/%d/task/%.20s/children", pid, de->d_name);
        FILE *f = fopen(cp, "r");
        if (!f)
            continue;
        int child;
        while (fscanf(f, "%d", &child) == 1)
            collect_tree(child, depth + 1, out, n, cap);
        fclose(f);
    }
    closedir(dir);
}

/* Sum VmRSS and VmHWM (KiB) over the tree rooted at pid, and if pss is not
 * NULL the proportional set size (shared pages split between the processes
 * that map them; the fair figure for forking proxies). Returns #processes. */
int tree_mem(int pid, long long *rss, long long *hwm, long long *pss)
{
    static int pids[8192];
    int n = 0;
    collect_tree(pid, 0, pids, &n, 8192);
    *rss = *hwm = 0;
    if (pss)
        *pss = 0;
    for (int i = 0; i < n; i++) {
        char path[64], line[256];
        snprintf(path, sizeof path, "/proc/%d/status", pids[i]);
        FILE *f = fopen(path, "r");
        if (!f)
            continue;
        while (fgets(line, sizeof line, f)) {
            long long v;
            if (sscanf(line, "VmRSS: %lld", &v) == 1)
                *rss += v;
            else if (sscanf(line, "VmHWM: %lld", &v) == 1)
                *hwm += v;
        }
        fclose(f);
        if (pss) {
            snprintf(path, sizeof path, "/proc/%d/smaps_rollup", pids[i]);
            if ((f = fopen(path, "r")) != NULL) {
                while (fgets(line, sizeof line, f)) {
                    long long v;
                    if (sscanf(line, "Pss: %lld", &v) == 1) {
                        *pss += v;
                        break;
                    }
                }
                fclose(f);
            }
        }
    }
    return n;
}

atomic_int g_sampler_stop;
long long g_rss_peak_sampled; /* max over samples of sum VmRSS */
long long g_pss_peak_sampled; /* max over samples of sum Pss */
int g_procs_peak;

void *sampler(void *arg)
{
    (void)arg;
    /* Bounded: stops when told, or after the timeout. */
    int64_t end = bench_now_ns() + (int64_t)(o_timeout_s + 10) * 1000000000LL;
    for (unsigned it = 0; !atomic_load(&g_sampler_stop) && bench_now_ns() < end; it++) {
        long long rss, hwm, pss = 0;
        /* Pss (smaps_rollup) is costlier to read: every 8th sample. */
        int np = tree_mem(o_rss_pid, &rss, &hwm, it % 8 == 0 ? &pss : NULL);
        if (rss > g_rss_peak_sampled)
            g_rss_peak_sampled = rss;
        if (pss > g_pss_peak_sampled)
            g_pss_peak_sampled = pss;
        if (np > g_procs_peak)
            g_procs_peak = np;
        struct timespec ts = {0, 25 * 1000000L};
        nanosleep(&ts, NULL);
    }
    return NULL;
}
