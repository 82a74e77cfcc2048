/* client_http.c: bench_client's side of one HTTP/1.1 exchange: the
 * connection (TCP, or TLS verified against --cacert), the GET, the response
 * head, and the body's framing (Content-Length, chunked, or to EOF) decoded
 * incrementally. */
#include "bench_client.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <unistd.h>

#include <openssl/err.h>
#include <openssl/x509v3.h>

/* ---------- connection setup ---------- */

int open_conn(bench_conn *c, char *err, size_t errlen)
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

int send_get(bench_conn *c, const char *target)
{
    char req[512];
    int n = snprintf(req, sizeof req,
                     "GET %s HTTP/1.1\r\nHost: %s:%d\r\nUser-Agent: cxrec-bench\r\nAccept: */*\r\n\r\n",
                     target, o_host, o_port);
    return bench_conn_write_all(c, req, (size_t)n);
}

/* ---------- HTTP response head + body framing ---------- */

enum { CS_SIZE, CS_EXT, CS_SIZE_LF, CS_DATA, CS_DATA_CR, CS_DATA_LF, CS_TR_START, CS_TR_LINE, CS_FINAL_LF, CS_DONE };

/* Feed wire bytes; data bytes go to sink. Returns -1 on framing error. */
int body_feed(body_dec *d, const char *p, size_t n, sink_fn sink, void *ctx)
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
int read_head(bench_conn *c, body_dec *d, char *rest, size_t *restlen, size_t restcap,
              int64_t *t_first, char *err, size_t errlen)
{
    return read_head_status(c, d, rest, restlen, restcap, t_first, 200, err, errlen);
}

/* The response head, which must have status want; leftover bytes to rest. */
int read_head_status(bench_conn *c, body_dec *d, char *rest, size_t *restlen,
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
