/* bench_server: TLS HTTP/1.1 upstream for the cxrec relay benchmarks.
 *
 *   GET /sse?n=N&gap_us=G   text/event-stream, chunked, N events, each in its
 *                           own chunk (and its own SSL_write, so its own TLS
 *                           record), G microseconds apart (default 2000):
 *                             data: {"seq":i,"t_ns":<CLOCK_MONOTONIC ns>}\n\n
 *                           t_ns is read immediately before the write.
 *   GET /bulk?bytes=B       Content-Length B, fixed bytes, 256 KiB SSL_writes.
 *   GET /ws?n=N&gap_us=G    with Upgrade: websocket: 101, then N text
 *                           messages ({"seq":i,"t_ns":T}, each one frame in
 *                           one write) G microseconds apart, then a close
 *                           frame (1000), then the connection closes.
 *
 * Keep-alive, one thread per connection (small stacks), TCP_NODELAY.
 * Listens on 127.0.0.0/8 only.
 *
 * usage: bench_server --cert server.pem --key server.key [--bind 127.0.0.1]
 *                     [--port 0] [--max-conns 4096]
 * Prints "bench_server listening on https://ADDR:PORT" on stderr when ready.
 */
#include "bench_common.h"

#include <arpa/inet.h>
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
#include <sys/prctl.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/sha.h>

#define REQ_MAX 8192
#define BULK_WRITE (256 * 1024)
#define MAX_SSE_EVENTS 100000000LL
#define MAX_BULK_BYTES (256LL << 30)

static SSL_CTX *g_ctx;
static atomic_int g_conns;
static int g_max_conns = 4096;
static char g_bulk_buf[BULK_WRITE];

typedef struct {
    bench_conn c;
    char req[REQ_MAX];
    size_t req_len;
} session;

/* Value of query parameter name in the target (up to the first space), or
 * def. Returns -1 through *bad on garbage. */
static long long query_param(const char *target, size_t tlen, const char *name, long long def,
                             int *bad)
{
    const char *q = memchr(target, '?', tlen);
    if (!q)
        return def;
    const char *end = target + tlen;
    size_t nl = strlen(name);
    const char *p = q + 1;
    while (p < end) {
        const char *amp = memchr(p, '&', (size_t)(end - p));
        const char *stop = amp ? amp : end;
        if ((size_t)(stop - p) > nl && memcmp(p, name, nl) == 0 && p[nl] == '=') {
            const char *v = p + nl + 1;
            long long x = 0;
            if (v == stop)
                *bad = 1;
            for (; v < stop; v++) {
                if (*v < '0' || *v > '9' || x > 1000000000000000LL) {
                    *bad = 1;
                    return def;
                }
                x = x * 10 + (*v - '0');
            }
            return x;
        }
        p = stop + 1;
    }
    return def;
}

static int send_simple(session *s, int code, const char *reason, int keep)
{
    char buf[256];
    int n = snprintf(buf, sizeof buf,
                     "HTTP/1.1 %d %s\r\nContent-Type: text/plain\r\nContent-Length: %zu\r\n%s\r\n%s\n",
                     code, reason, strlen(reason) + 1, keep ? "" : "Connection: close\r\n", reason);
    return bench_conn_write_all(&s->c, buf, (size_t)n);
}

static void sleep_until(int64_t t_ns)
{
    struct timespec ts = {.tv_sec = t_ns / 1000000000LL, .tv_nsec = t_ns % 1000000000LL};
    while (clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &ts, NULL) == EINTR)
        ;
}

/* The next message's time on a fixed schedule, slept until; never a burst
 * to catch up after a stall. */
static void pace(int64_t *next, int64_t gap)
{
    int64_t now = bench_now_ns();

    *next += gap;
    if (*next < now)
        *next = now;
    else
        sleep_until(*next);
}

static int serve_sse(session *s, long long n, long long gap_us, int keep)
{
    char hdr[256];
    int hl = snprintf(hdr, sizeof hdr,
                      "HTTP/1.1 200 OK\r\nContent-Type: text/event-stream\r\n"
                      "Cache-Control: no-cache\r\nTransfer-Encoding: chunked\r\n%s\r\n",
                      keep ? "" : "Connection: close\r\n");
    if (bench_conn_write_all(&s->c, hdr, (size_t)hl) != 0)
        return -1;
    int64_t gap = gap_us * 1000LL;
    int64_t next = bench_now_ns();
    for (long long i = 0; i < n; i++) {
        if (i > 0)
            pace(&next, gap);
        char ev[128], out[160];
        int64_t t = bench_now_ns();
        int el = snprintf(ev, sizeof ev, "data: {\"seq\":%lld,\"t_ns\":%" PRId64 "}\n\n", i, t);
        int ol = snprintf(out, sizeof out, "%x\r\n%s\r\n", (unsigned)el, ev);
        if (bench_conn_write_all(&s->c, out, (size_t)ol) != 0)
            return -1;
    }
    return bench_conn_write_all(&s->c, "0\r\n\r\n", 5);
}

/* Sec-WebSocket-Accept for key (RFC 6455 4.2.2). */
static void ws_accept(const char *key, size_t klen, char out[64])
{
    static const char guid[] = "258EAFA5-E914-47DA-95CA-C5AB0DC85B11";
    unsigned char md[SHA_DIGEST_LENGTH];
    char buf[256];

    if (klen > sizeof buf - sizeof guid)
        klen = sizeof buf - sizeof guid;
    memcpy(buf, key, klen);
    memcpy(buf + klen, guid, sizeof guid - 1);
    SHA1((const unsigned char *)buf, klen + sizeof guid - 1, md);
    EVP_EncodeBlock((unsigned char *)out, md, SHA_DIGEST_LENGTH);
}

static int serve_ws(session *s, const char *key, size_t klen, long long n, long long gap_us)
{
    char accept[64], hdr[256];
    ws_accept(key, klen, accept);
    int hl = snprintf(hdr, sizeof hdr,
                      "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\n"
                      "Connection: Upgrade\r\nSec-WebSocket-Accept: %s\r\n\r\n", accept);
    if (bench_conn_write_all(&s->c, hdr, (size_t)hl) != 0)
        return -1;
    int64_t gap = gap_us * 1000LL;
    int64_t next = bench_now_ns();
    for (long long i = 0; i < n; i++) {
        if (i > 0)
            pace(&next, gap);
        char out[128];
        int64_t t = bench_now_ns();
        int pl = snprintf(out + 2, sizeof out - 2, "{\"seq\":%lld,\"t_ns\":%" PRId64 "}", i, t);
        out[0] = (char)0x81;            /* FIN, text */
        out[1] = (char)pl;              /* < 126, unmasked */
        if (bench_conn_write_all(&s->c, out, (size_t)pl + 2) != 0)
            return -1;
    }
    return bench_conn_write_all(&s->c, "\x88\x02\x03\xe8", 4);
}

static int serve_bulk(session *s, long long bytes, int keep)
{
    char hdr[256];
    int hl = snprintf(hdr, sizeof hdr,
                      "HTTP/1.1 200 OK\r\nContent-Type: application/octet-stream\r\n"
                      "Content-Length: %lld\r\n%s\r\n",
                      bytes, keep ? "" : "Connection: close\r\n");
    if (bench_conn_write_all(&s->c, hdr, (size_t)hl) != 0)
        return -1;
    long long left = bytes;
    while (left > 0) {
        size_t w = left > BULK_WRITE ? BULK_WRITE : (size_t)left;
        if (bench_conn_write_all(&s->c, g_bulk_buf, w) != 0)
            return -1;
        left -= (long long)w;
    }
    return 0;
}

/* Handle one parsed request of hlen header bytes. Returns 1 to keep the
 * connection, 0 to close it. */
static int handle_request(session *s, size_t hlen)
{
    char *req = s->req;
    char *eol = memmem(req, hlen, "\r\n", 2);
    if (!eol)
        return 0;
    char *sp1 = memchr(req, ' ', (size_t)(eol - req));
    if (!sp1)
        return 0;
    char *target = sp1 + 1;
    char *sp2 = memchr(target, ' ', (size_t)(eol - target));
    if (!sp2)
        return 0;
    size_t tlen = (size_t)(sp2 - target);
    int keep = 1;
    if ((size_t)(eol - sp2 - 1) == 8 && memcmp(sp2 + 1, "HTTP/1.0", 8) == 0)
        keep = 0;
    /* Connection: close header (case-insensitive name and value). */
    for (char *line = eol + 2; line < req + hlen;) {
        char *le = memmem(line, (size_t)(req + hlen - line), "\r\n", 2);
        if (!le || le == line)
            break;
        if ((size_t)(le - line) >= 11 && strncasecmp(line, "connection:", 11) == 0) {
            char *v = line + 11;
            while (v < le && (*v == ' ' || *v == '\t'))
                v++;
            if ((size_t)(le - v) >= 5 && strncasecmp(v, "close", 5) == 0)
                keep = 0;
        }
        line = le + 2;
    }
    if ((size_t)(sp1 - req) != 3 || memcmp(req, "GET", 3) != 0) {
        send_simple(s, 405, "Method Not Allowed", 0);
        return 0;
    }
    int bad = 0;
    int r;
    if (tlen >= 3 && memcmp(target, "/ws", 3) == 0 && (tlen == 3 || target[3] == '?')) {
        long long n = query_param(target, tlen, "n", 100, &bad);
        long long gap = query_param(target, tlen, "gap_us", 2000, &bad);
        const char *key = NULL;
        size_t klen = 0;
        for (char *line = eol + 2; line < req + hlen;) {
            char *le = memmem(line, (size_t)(req + hlen - line), "\r\n", 2);
            if (!le || le == line)
                break;
            if ((size_t)(le - line) > 18 && strncasecmp(line, "sec-websocket-key:", 18) == 0) {
                key = line + 18;
                while (key < le && *key == ' ')
                    key++;
                klen = (size_t)(le - key);
            }
            line = le + 2;
        }
        if (bad || key == NULL || n > MAX_SSE_EVENTS || gap > 60000000LL) {
            send_simple(s, 400, "Bad Request", 0);
            return 0;
        }
        serve_ws(s, key, klen, n, gap);
        return 0;                       /* the socket is done */
    }
    if (tlen >= 4 && memcmp(target, "/sse", 4) == 0 && (tlen == 4 || target[4] == '?')) {
        long long n = query_param(target, tlen, "n", 100, &bad);
        long long gap = query_param(target, tlen, "gap_us", 2000, &bad);
        if (bad || n > MAX_SSE_EVENTS || gap > 60000000LL) {
            send_simple(s, 400, "Bad Request", 0);
            return 0;
        }
        r = serve_sse(s, n, gap, keep);
    } else if (tlen >= 5 && memcmp(target, "/bulk", 5) == 0 && (tlen == 5 || target[5] == '?')) {
        long long b = query_param(target, tlen, "bytes", 1 << 20, &bad);
        if (bad || b > MAX_BULK_BYTES) {
            send_simple(s, 400, "Bad Request", 0);
            return 0;
        }
        r = serve_bulk(s, b, keep);
    } else {
        r = send_simple(s, 404, "Not Found", keep);
    }
    return r == 0 && keep;
}

static void *conn_thread(void *arg)
{
    session *s = arg;
    if (SSL_accept(s->c.ssl) != 1)
        goto out;
    for (;;) {
        /* Read until the end of the header block (requests have no body). */
        char *end = NULL;
        while (!(end = memmem(s->req, s->req_len, "\r\n\r\n", 4))) {
            if (s->req_len == REQ_MAX)
                goto out;
            ssize_t r = bench_conn_read(&s->c, s->req + s->req_len, REQ_MAX - s->req_len);
            if (r <= 0)
                goto out;
            s->req_len += (size_t)r;
        }
        size_t hlen = (size_t)(end - s->req) + 4;
        int keep = handle_request(s, hlen);
        memmove(s->req, s->req + hlen, s->req_len - hlen);
        s->req_len -= hlen;
        if (!keep)
            break;
    }
    SSL_shutdown(s->c.ssl);
out:
    bench_conn_close(&s->c);
    free(s);
    atomic_fetch_sub(&g_conns, 1);
    ERR_clear_error();
    return NULL;
}

static void usage(void)
{
    fprintf(stderr, "usage: bench_server --cert FILE --key FILE [--bind 127.0.0.1] [--port 0] "
                    "[--max-conns 4096]\n");
    exit(2);
}

int main(int argc, char **argv)
{
    const char *cert = NULL, *key = NULL, *bind_addr = "127.0.0.1";
    int port = 0;
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        if (i + 1 >= argc)
            usage();
        if (!strcmp(a, "--cert"))
            cert = argv[++i];
        else if (!strcmp(a, "--key"))
            key = argv[++i];
        else if (!strcmp(a, "--bind"))
            bind_addr = argv[++i];
        else if (!strcmp(a, "--port"))
            port = atoi(argv[++i]);
        else if (!strcmp(a, "--max-conns"))
            g_max_conns = atoi(argv[++i]);
        else
            usage();
    }
    if (!cert || !key || port < 0 || port > 65535 || g_max_conns < 1)
        usage();
    uint32_t addr;
    if (bench_parse_loopback(bind_addr, &addr) != 0)
        return 2;

    signal(SIGPIPE, SIG_IGN);
    prctl(PR_SET_TIMERSLACK, 1UL, 0, 0, 0);
    for (size_t i = 0; i < sizeof g_bulk_buf; i++)
        g_bulk_buf[i] = "0123456789abcdefghijklmnopqrstuvwxyz\n"[i % 37];

    g_ctx = SSL_CTX_new(TLS_server_method());
    if (!g_ctx || SSL_CTX_use_certificate_chain_file(g_ctx, cert) != 1 ||
        SSL_CTX_use_PrivateKey_file(g_ctx, key, SSL_FILETYPE_PEM) != 1 ||
        SSL_CTX_check_private_key(g_ctx) != 1) {
        bench_ssl_err("bench_server: TLS setup");
        return 1;
    }
    SSL_CTX_set_min_proto_version(g_ctx, TLS1_2_VERSION);
    SSL_CTX_set_options(g_ctx, SSL_OP_NO_RENEGOTIATION);

    int lfd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    int one = 1;
    setsockopt(lfd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
    struct sockaddr_in sa = {.sin_family = AF_INET, .sin_port = htons((uint16_t)port), .sin_addr.s_addr = addr};
    if (bind(lfd, (struct sockaddr *)&sa, sizeof sa) != 0 || listen(lfd, 4096) != 0) {
        perror("bench_server: bind/listen");
        return 1;
    }
    socklen_t sl = sizeof sa;
    getsockname(lfd, (struct sockaddr *)&sa, &sl);
    fprintf(stderr, "bench_server listening on https://%s:%d\n", bind_addr, ntohs(sa.sin_port));
    fflush(stderr);

    pthread_attr_t attr;
    pthread_attr_init(&attr);
    pthread_attr_setstacksize(&attr, 128 * 1024);
    pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED);

    for (;;) {
        int fd = accept4(lfd, NULL, NULL, SOCK_CLOEXEC);
        if (fd < 0) {
            if (errno == EINTR || errno == ECONNABORTED)
                continue;
            perror("bench_server: accept");
            if (errno == EMFILE || errno == ENFILE || errno == ENOMEM) {
                usleep(10000);
                continue;
            }
            return 1;
        }
        if (atomic_fetch_add(&g_conns, 1) >= g_max_conns) {
            atomic_fetch_sub(&g_conns, 1);
            close(fd);
            continue;
        }
        setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
        /* Bound every blocking call: an idle or stuck peer is dropped. */
        struct timeval tv = {.tv_sec = 120};
        setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
        setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof tv);
        session *s = calloc(1, sizeof *s);
        SSL *ssl = s ? SSL_new(g_ctx) : NULL;
        if (!ssl || SSL_set_fd(ssl, fd) != 1) {
            if (ssl)
                SSL_free(ssl);
            free(s);
            close(fd);
            atomic_fetch_sub(&g_conns, 1);
            ERR_clear_error();
            continue;
        }
        s->c.fd = fd;
        s->c.ssl = ssl;
        pthread_t th;
        if (pthread_create(&th, &attr, conn_thread, s) != 0) {
            bench_conn_close(&s->c);
            free(s);
            atomic_fetch_sub(&g_conns, 1);
        }
    }
}
