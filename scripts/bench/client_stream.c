/* client_stream.c: the streams bench_client measures, read and checked
 * event by event: the server's SSE events (exact bytes, in order) and its
 * WebSocket text messages; each gives a latency per event. */
#include "bench_client.h"

#include <inttypes.h>
#include <stdio.h>
#include <string.h>

/* ---------- SSE event parser ---------- */

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
int run_sse_stream(bench_conn *c, long long n, long long gap_us, int64_t *lat,
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
long long run_ws_stream(bench_conn *c, long long n, long long gap_us, int64_t *lat,
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
