#include "bench_common.h"

#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <openssl/err.h>

int64_t bench_now_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

ssize_t bench_conn_read(bench_conn *c, void *buf, size_t n)
{
    if (c->ssl) {
        size_t got = 0;
        if (SSL_read_ex(c->ssl, buf, n, &got) == 1)
            return (ssize_t)got;
        int e = SSL_get_error(c->ssl, 0);
        if (e == SSL_ERROR_ZERO_RETURN)
            return 0;
        /* An unclean close (EOF without close_notify) is reported as
         * SSL_ERROR_SSL with "unexpected eof"; treat it as EOF so the caller
         * decides from the HTTP framing whether the body was complete. */
        if (e == SSL_ERROR_SSL) {
            unsigned long le = ERR_peek_error();
            if (ERR_GET_REASON(le) == SSL_R_UNEXPECTED_EOF_WHILE_READING) {
                ERR_clear_error();
                return 0;
            }
        }
        return -1;
    }
    for (;;) {
        ssize_t r = recv(c->fd, buf, n, 0);
        if (r < 0 && errno == EINTR)
            continue;
        return r;
    }
}

int bench_conn_write_all(bench_conn *c, const void *buf, size_t n)
{
    const char *p = buf;
    while (n > 0) {
        if (c->ssl) {
            size_t w = 0;
            if (SSL_write_ex(c->ssl, p, n, &w) != 1)
                return -1;
            p += w;
            n -= w;
        } else {
            ssize_t w = send(c->fd, p, n, MSG_NOSIGNAL);
            if (w < 0) {
                if (errno == EINTR)
                    continue;
                return -1;
            }
            p += w;
            n -= (size_t)w;
        }
    }
    return 0;
}

void bench_conn_close(bench_conn *c)
{
    if (c->ssl) {
        SSL_free(c->ssl);
        c->ssl = NULL;
    }
    if (c->fd >= 0) {
        close(c->fd);
        c->fd = -1;
    }
}

int bench_parse_loopback(const char *host, uint32_t *addr_be)
{
    struct in_addr a;
    if (inet_pton(AF_INET, host, &a) != 1) {
        fprintf(stderr, "not a dotted-quad IPv4 address: %s\n", host);
        return -1;
    }
    if ((ntohl(a.s_addr) >> 24) != 127) {
        fprintf(stderr, "refusing non-loopback address %s (127.0.0.0/8 only)\n", host);
        return -1;
    }
    *addr_be = a.s_addr;
    return 0;
}

void bench_ssl_err(const char *what)
{
    fprintf(stderr, "%s: ", what);
    unsigned long e;
    int any = 0;
    while ((e = ERR_get_error()) != 0) {
        char buf[256];
        ERR_error_string_n(e, buf, sizeof buf);
        fprintf(stderr, "%s%s", any ? "; " : "", buf);
        any = 1;
    }
    if (!any)
        fprintf(stderr, "%s", errno ? strerror(errno) : "unknown error");
    fputc('\n', stderr);
}
