/* Shared helpers for the cxrec benchmark tools (bench_server, bench_client).
 * Not part of cxrec itself. */
#ifndef BENCH_COMMON_H
#define BENCH_COMMON_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include <openssl/ssl.h>

/* CLOCK_MONOTONIC in nanoseconds. */
int64_t bench_now_ns(void);

/* A connection: plain socket, or socket + TLS session. */
typedef struct {
    int fd;
    SSL *ssl; /* NULL for plain TCP */
} bench_conn;

/* Read up to n bytes. Returns >0 bytes, 0 on orderly EOF, -1 on error
 * (including receive timeouts). */
ssize_t bench_conn_read(bench_conn *c, void *buf, size_t n);
/* Write all n bytes. Returns 0 on success, -1 on error. */
int bench_conn_write_all(bench_conn *c, const void *buf, size_t n);
void bench_conn_close(bench_conn *c);

/* Parse a dotted-quad IPv4 address and require it to be in 127.0.0.0/8.
 * Returns 0 on success, -1 (with a message on stderr) otherwise. */
int bench_parse_loopback(const char *host, uint32_t *addr_be);

/* Print OpenSSL's error queue, prefixed with what. */
void bench_ssl_err(const char *what);

#endif
