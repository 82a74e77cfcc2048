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
 */
#include "bench_common.h"

#include <arpa/inet.h>
#include <dirent.h>
#include <errno.h>
#include <inttypes.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <openssl/err.h>
#include <openssl/x509v3.h>

/* ---------- options ---------- */

static const char *o_host = "127.0.0.1";
static uint32_t o_addr;
static int o_port = 0;
static int o_tls = 0;
static const char *o_cacert = NULL;
static long long o_n = 2000;
static long long o_gap_us = 2000;
static long long o_warmup = -1;
static long long o_bytes = 1LL << 30;
static int o_repeat = 3;
static int o_conns = 256;
static int o_timeout_s = 120;
static int o_rss_pid = 0;
static const char *o_raw = NULL;
static SSL_CTX *g_ctx;

/* ---------- connection setup ---------- */

static int open_conn(bench_conn *c, char *err, size_t errlen)
{
    c->fd = -1;
    c->ssl = NULL;
    int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd < 0) {
        snprintf(err, errlen, "socket: %s", strerror(errno));
        return -1;
    }
    int one = 1;
    setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    struct timeval tv = {.tv_sec = o_timeout_s};
    setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
    setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof tv); /* also bounds connect() */
    struct sockaddr_in sa = {.sin_family = AF_INET, .sin_port = htons((uint16_t)o_port), .sin_addr.s_addr = o_addr};
    if (connect(fd, (struct sockaddr *)&sa, sizeof sa) != 0) {
        snprintf(err, errlen, "connect %s:%d: %s", o_host, o_port, strerror(errno));
        close(fd);
        return -1;
    }
    c->fd = fd;
    if (o_tls) {
        c->ssl = SSL_new(g_ctx);
        if (!c->ssl || SSL_set_fd(c->ssl, fd) != 1 ||
            X509_VERIFY_PARAM_set1_ip_asc(SSL_get0_param(c->ssl), o_host) != 1 ||
            SSL_connect(c->ssl) != 1) {
            unsigned long e = ERR_get_error();
            char eb[200] = "?";
            if (e)
                ERR_error_string_n(e, eb, sizeof eb);
            snprintf(err, errlen, "TLS handshake: %s", eb);
            ERR_clear_error();
            bench_conn_close(c);
            return -1;
        }
    }
    return 0;
}

static int send_get(bench_conn *c, const char *target)
{
    char req[512];
    int n = snprintf(req, sizeof req,
                     "GET %s HTTP/1.1\r\nHost: %s:%d\r\nUser-Agent: cxrec-bench\r\nAccept: */*\r\n\r\n",
                     target, o_host, o_port);
    return bench_conn_write_all(c, req, (size_t)n);
}

/* ---------- HTTP response head + body framing ---------- */

enum { BODY_LENGTH, BODY_CHUNKED, BODY_CLOSE };
enum { CS_SIZE, CS_EXT, CS_SIZE_LF, CS_DATA, CS_DATA_CR, CS_DATA_LF, CS_TR_START, CS_TR_LINE, CS_FINAL_LF, CS_DONE };

typedef void (*sink_fn)(void *ctx, const char *p, size_t n);

typedef struct {
    int kind;
    long long remaining; /* BODY_LENGTH: bytes left; BODY_CHUNKED: chunk bytes left */
    int cs;
    int ndigits;
    int done;
    long long body_bytes;
    char err[160];
} body_dec;

/* Feed wire bytes; data bytes go to sink. Returns -1 on framing error. */
static int body_feed(body_dec *d, const char *p, size_t n, sink_fn sink, void *ctx)
{
    if (d->done)
        return n ? (snprintf(d->err, sizeof d->err, "%zu bytes after end of body", n), -1) : 0;
    if (d->kind == BODY_CLOSE) {
        d->body_bytes += (long long)n;
        sink(ctx, p, n);
        return 0;
    }
    if (d->kind == BODY_LENGTH) {
        if ((long long)n > d->remaining) {
            snprintf(d->err, sizeof d->err, "more bytes than Content-Length");
            return -1;
        }
        d->remaining -= (long long)n;
        d->body_bytes += (long long)n;
        sink(ctx, p, n);
        if (d->remaining == 0)
            d->done = 1;
        return 0;
    }
    size_t i = 0;
    while (i < n) {
        char ch = p[i];
        switch (d->cs) {
        case CS_SIZE: {
            int v = -1;
            if (ch >= '0' && ch <= '9')
                v = ch - '0';
            else if (ch >= 'a' && ch <= 'f')
                v = ch - 'a' + 10;
            else if (ch >= 'A' && ch <= 'F')
                v = ch - 'A' + 10;
            if (v >= 0) {
                if (++d->ndigits > 15)
                    goto bad;
                d->remaining = d->remaining * 16 + v;
            } else if (ch == ';' && d->ndigits) {
                d->cs = CS_EXT;
            } else if (ch == '\r' && d->ndigits) {
                d->cs = CS_SIZE_LF;
            } else {
                goto bad;
            }
            i++;
            break;
        }
        case CS_EXT:
            if (ch == '\r')
                d->cs = CS_SIZE_LF;
            i++;
            break;
        case CS_SIZE_LF:
            if (ch != '\n')
                goto bad;
            d->cs = d->remaining ? CS_DATA : CS_TR_START;
            i++;
            break;
        case CS_DATA: {
            size_t take = n - i;
            if ((long long)take > d->remaining)
                take = (size_t)d->remaining;
            sink(ctx, p + i, take);
            d->body_bytes += (long long)take;
            d->remaining -= (long long)take;
            i += take;
            if (d->remaining == 0)
                d->cs = CS_DATA_CR;
            break;
        }
        case CS_DATA_CR:
            if (ch != '\r')
                goto bad;
            d->cs = CS_DATA_LF;
            i++;
            break;
        case CS_DATA_LF:
            if (ch != '\n')
                goto bad;
            d->cs = CS_SIZE;
            d->ndigits = 0;
            d->remaining = 0;
            i++;
            break;
        case CS_TR_START:
            d->cs = ch == '\r' ? CS_FINAL_LF : CS_TR_LINE;
            i++;
            break;
        case CS_TR_LINE:
            if (ch == '\n')
                d->cs = CS_TR_START;
            i++;
            break;
        case CS_FINAL_LF:
            if (ch != '\n')
                goto bad;
            d->cs = CS_DONE;
            d->done = 1;
            i++;
            if (i < n) {
                snprintf(d->err, sizeof d->err, "%zu bytes after end of chunked body", n - i);
                return -1;
            }
            break;
        default:
            goto bad;
        }
    }
    return 0;
bad:
    snprintf(d->err, sizeof d->err, "bad chunked framing (state %d, byte 0x%02x)", d->cs,
             (unsigned char)p[i]);
    return -1;
}

/* Read the response head. Leftover body bytes are copied to *rest.
 * Returns 0 and fills d on success. */
static int read_head_status(bench_conn *c, body_dec *d, char *rest, size_t *restlen,
                            size_t restcap, int64_t *t_first, int want, char *err, size_t errlen);

static int read_head(bench_conn *c, body_dec *d, char *rest, size_t *restlen, size_t restcap,
                     int64_t *t_first, char *err, size_t errlen)
{
    return read_head_status(c, d, rest, restlen, restcap, t_first, 200, err, errlen);
}

/* The response head, which must have status want; leftover bytes to rest. */
static int read_head_status(bench_conn *c, body_dec *d, char *rest, size_t *restlen,
                            size_t restcap, int64_t *t_first, int want, char *err, size_t errlen)
{
    char head[16384];
    size_t len = 0;
    char *end = NULL;
    *t_first = 0;
    while (!(end = memmem(head, len, "\r\n\r\n", 4))) {
        if (len == sizeof head) {
            snprintf(err, errlen, "response head too large");
            return -1;
        }
        ssize_t r = bench_conn_read(c, head + len, sizeof head - len);
        if (r <= 0) {
            snprintf(err, errlen, "%s before end of response head (%zu bytes)",
                     r == 0 ? "EOF" : "read error/timeout", len);
            return -1;
        }
        if (!*t_first)
            *t_first = bench_now_ns();
        len += (size_t)r;
    }
    size_t hlen = (size_t)(end - head) + 4;
    int status = 0;
    if (len < 12 || memcmp(head, "HTTP/1.", 7) != 0 || sscanf(head + 9, "%3d", &status) != 1 ||
        status != want) {
        char *eol = memchr(head, '\r', len);
        int l = eol ? (int)(eol - head) : 40;
        snprintf(err, errlen, "unexpected status line: %.*s", l > 100 ? 100 : l, head);
        return -1;
    }
    memset(d, 0, sizeof *d);
    d->kind = BODY_CLOSE;
    int have_len = 0;
    char *status_end = memchr(head, '\n', hlen); /* exists: head ends in \r\n\r\n */
    for (char *line = status_end + 1; line < head + hlen;) {
        char *le = memmem(line, (size_t)(head + hlen - line), "\r\n", 2);
        if (!le || le == line)
            break;
        *le = 0;
        if (!strncasecmp(line, "content-length:", 15)) {
            d->remaining = atoll(line + 15);
            have_len = 1;
        } else if (!strncasecmp(line, "transfer-encoding:", 18) && strcasestr(line + 18, "chunked")) {
            d->kind = BODY_CHUNKED;
        }
        line = le + 2;
    }
    if (d->kind != BODY_CHUNKED && have_len) {
        d->kind = BODY_LENGTH;
        if (d->remaining == 0)
            d->done = 1;
    }
    if (d->kind == BODY_CHUNKED)
        d->remaining = 0;
    *restlen = len - hlen;
    if (*restlen > restcap) {
        snprintf(err, errlen, "internal: leftover too big");
        return -1;
    }
    memcpy(rest, head + hlen, *restlen);
    return 0;
}

/* ---------- SSE event parser ---------- */

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

static void sse_event(sse_state *s)
{
    /* Exact format: data: {"seq":I,"t_ns":T}\n\n */
    static const char p1[] = "data: {\"seq\":";
    static const char p2[] = ",\"t_ns\":";
    const char *e = s->ev, *end = s->ev + s->evlen;
    long long seq = 0, t = 0;
    int nd = 0;
    if (s->evlen < sizeof p1 - 1 || memcmp(e, p1, sizeof p1 - 1) != 0)
        goto bad;
    e += sizeof p1 - 1;
    for (; e < end && *e >= '0' && *e <= '9' && nd < 18; e++, nd++)
        seq = seq * 10 + (*e - '0');
    if (!nd || (size_t)(end - e) < sizeof p2 - 1 || memcmp(e, p2, sizeof p2 - 1) != 0)
        goto bad;
    e += sizeof p2 - 1;
    nd = 0;
    for (; e < end && *e >= '0' && *e <= '9' && nd < 19; e++, nd++)
        t = t * 10 + (*e - '0');
    if (!nd || end - e != 3 || memcmp(e, "}\n\n", 3) != 0)
        goto bad;
    if (seq != s->next_seq || seq >= s->n_expected) {
        snprintf(s->err, sizeof s->err, "event seq %lld, expected %lld", seq, s->next_seq);
        s->bad = 1;
        return;
    }
    if (s->lat)
        s->lat[seq] = s->t_recv - t;
    if (seq == 0)
        s->t_first_ev = s->t_recv;
    s->next_seq++;
    s->ev_bytes += (long long)s->evlen;
    return;
bad:
    snprintf(s->err, sizeof s->err, "malformed event: %.*s", (int)(s->evlen > 80 ? 80 : s->evlen), s->ev);
    s->bad = 1;
}

static void sse_sink(void *ctx, const char *p, size_t n)
{
    sse_state *s = ctx;
    for (size_t i = 0; i < n && !s->bad; i++) {
        if (s->evlen == sizeof s->ev) {
            snprintf(s->err, sizeof s->err, "event longer than %zu bytes", sizeof s->ev);
            s->bad = 1;
            return;
        }
        s->ev[s->evlen++] = p[i];
        if (p[i] == '\n' && s->evlen >= 2 && s->ev[s->evlen - 2] == '\n') {
            sse_event(s);
            s->evlen = 0;
        }
    }
}

/* Run one SSE stream on an open connection. Returns 0 if complete and valid. */
static int run_sse_stream(bench_conn *c, long long n, long long gap_us, int64_t *lat,
                          int64_t deadline_ns, sse_state *s, body_dec *d, char *err, size_t errlen,
                          const atomic_int *abort_flag)
{
    char target[128];
    snprintf(target, sizeof target, "/sse?n=%lld&gap_us=%lld", n, gap_us);
    memset(s, 0, sizeof *s);
    s->n_expected = n;
    s->lat = lat;
    if (send_get(c, target) != 0) {
        snprintf(err, errlen, "send request failed");
        return -1;
    }
    char buf[16384];
    size_t rest = 0;
    int64_t t_first;
    if (read_head(c, d, buf, &rest, sizeof buf, &t_first, err, errlen) != 0)
        return -1;
    s->t_recv = t_first;
    if (body_feed(d, buf, rest, sse_sink, s) != 0)
        goto framing;
    while (!d->done && !s->bad) {
        if (bench_now_ns() > deadline_ns || (abort_flag && atomic_load(abort_flag))) {
            snprintf(err, errlen, "deadline reached after %lld/%lld events", s->next_seq, n);
            return -1;
        }
        ssize_t r = bench_conn_read(c, buf, sizeof buf);
        s->t_recv = bench_now_ns();
        if (r < 0) {
            snprintf(err, errlen, "read error/timeout after %lld/%lld events", s->next_seq, n);
            return -1;
        }
        if (r == 0) {
            if (d->kind == BODY_CLOSE)
                d->done = 1;
            else {
                snprintf(err, errlen, "EOF before end of body after %lld/%lld events", s->next_seq, n);
                return -1;
            }
            break;
        }
        if (body_feed(d, buf, (size_t)r, sse_sink, s) != 0)
            goto framing;
    }
    if (s->bad) {
        snprintf(err, errlen, "%s", s->err);
        return -1;
    }
    if (s->next_seq != n || s->evlen != 0 || s->ev_bytes != d->body_bytes) {
        snprintf(err, errlen, "incomplete stream: %lld/%lld events, %lld/%lld body bytes in events",
                 s->next_seq, n, s->ev_bytes, d->body_bytes);
        return -1;
    }
    return 0;
framing:
    snprintf(err, errlen, "%s", d->err);
    return -1;
}

/* ---------- WebSocket ---------- */

/*
 * GET /ws (an upgrade), then frames: each text message {"seq":i,"t_ns":T}
 * gives lat[i] = arrival of the read() that completed it minus T.  Ends at
 * the close frame.  Returns the number of messages, or -1.
 */
static long long run_ws_stream(bench_conn *c, long long n, long long gap_us, int64_t *lat,
                               int64_t deadline_ns, char *err, size_t errlen)
{
    char req[512], buf[16384];
    int rl = snprintf(req, sizeof req,
                      "GET /ws?n=%lld&gap_us=%lld HTTP/1.1\r\nHost: %s:%d\r\n"
                      "Upgrade: websocket\r\nConnection: Upgrade\r\n"
                      "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n"
                      "Sec-WebSocket-Version: 13\r\n\r\n", n, gap_us, o_host, o_port);
    if (bench_conn_write_all(c, req, (size_t)rl) != 0) {
        snprintf(err, errlen, "send request failed");
        return -1;
    }
    size_t have = 0;
    int64_t t_recv;
    body_dec d;
    if (read_head_status(c, &d, buf, &have, sizeof buf, &t_recv, 101, err, errlen) != 0)
        return -1;
    long long got = 0;
    for (;;) {
        /* whole frames in buf[0..have) */
        size_t off = 0;
        while (have - off >= 2) {
            unsigned char b0 = (unsigned char)buf[off], b1 = (unsigned char)buf[off + 1];
            size_t plen = b1 & 0x7f, hl = 2;
            if (plen >= 126 || (b1 & 0x80)) {
                snprintf(err, errlen, "unexpected frame header %02x %02x", b0, b1);
                return -1;
            }
            if (have - off < hl + plen)
                break;
            if ((b0 & 0x0f) == 0x8)
                return got;             /* close */
            long long seq;
            int64_t t;
            char msg[128];
            memcpy(msg, buf + off + hl, plen);
            msg[plen] = 0;
            if (sscanf(msg, "{\"seq\":%lld,\"t_ns\":%" SCNd64 "}", &seq, &t) != 2 || seq < 0 ||
                seq >= n) {
                snprintf(err, errlen, "bad message: %.60s", msg);
                return -1;
            }
            lat[seq] = t_recv - t;
            got++;
            off += hl + plen;
        }
        memmove(buf, buf + off, have - off);
        have -= off;
        if (bench_now_ns() > deadline_ns) {
            snprintf(err, errlen, "deadline reached after %lld/%lld messages", got, n);
            return -1;
        }
        ssize_t r = bench_conn_read(c, buf + have, sizeof buf - have);
        t_recv = bench_now_ns();
        if (r <= 0) {
            snprintf(err, errlen, "%s after %lld/%lld messages", r == 0 ? "EOF" : "read error",
                     got, n);
            return -1;
        }
        have += (size_t)r;
    }
}

/* ---------- statistics ---------- */

static int cmp_i64(const void *a, const void *b)
{
    int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;
    return (x > y) - (x < y);
}

typedef struct {
    double p50, p90, p99, p999, max, min, mean;
} lat_stats;

/* Sorts v in place. Values in ns, stats in us. Nearest-rank percentiles. */
static lat_stats stats(int64_t *v, size_t n)
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

/* ---------- mode: sse ---------- */

/* Raw latencies (ns, in arrival order, warm-up excluded), one a line, so
 * that several runs can be pooled. */
static int write_raw(const char *path, const int64_t *lat, size_t n)
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

static int mode_sse(void)
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

static int mode_ws(void)
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

static int mode_bulk(void)
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
static int tree_mem(int pid, long long *rss, long long *hwm, long long *pss)
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

static atomic_int g_sampler_stop;
static long long g_rss_peak_sampled; /* max over samples of sum VmRSS */
static long long g_pss_peak_sampled; /* max over samples of sum Pss */
static int g_procs_peak;

static void *sampler(void *arg)
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

static int mode_concurrent(void)
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
