/*
 * ca.h: the forward proxy's certificate authority, made for one run.
 *
 * The CA's key is generated in memory (EC P-256) and never leaves the
 * process: not written to disk, not recorded.  Only its certificate can be
 * written out (cx_ca_write_pem), for the clients to trust.  Leaf
 * certificates are minted on demand, one per host name (or IP address),
 * signed by the CA and cached; all leaves share one key of their own.
 *
 * Ownership: cx_ca_new's caller owns the CA and frees it with cx_ca_free
 * after every SSL_CTX made from it is freed.  Not thread-safe: the relay's
 * loop is its one user.
 */
#ifndef CX_CA_H
#define CX_CA_H

#include <stddef.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>

#define CX_CA_NAME      "cxrec per-run CA"
#define CX_CA_MAX_LEAVES 1024   /* cached; past that the oldest goes */

struct cx_ca;

/* A new CA valid from now-1h to now+7d; NULL with a message in err. */
struct cx_ca *cx_ca_new(char *err, size_t errlen);
void          cx_ca_free(struct cx_ca *ca);
/*
 * Write the CA's certificate (PEM, mode 0644, never following a symlink,
 * failing if path exists) to path; the caller makes its 0700 directory.
 * 0, or -1 with errno set.
 */
int           cx_ca_write_pem(const struct cx_ca *ca, const char *path);
/* The CA certificate (owned by ca). */
X509         *cx_ca_cert(const struct cx_ca *ca);
/*
 * The leaf for host (a DNS name, or an IPv4/IPv6 literal: an iPAddress
 * SAN), minted on the first call and cached.  Owned by ca; NULL on error.
 */
X509         *cx_ca_leaf(struct cx_ca *ca, const char *host);
/* The key of every leaf (owned by ca). */
EVP_PKEY     *cx_ca_leaf_key(const struct cx_ca *ca);
/* Leaves minted so far (cache misses), for tests. */
unsigned long cx_ca_minted(const struct cx_ca *ca);
/*
 * A server context for the client side of intercepted connections: TLS
 * 1.2+, ALPN selecting only http/1.1.  Each connection gets its leaf from
 * cx_ca_use_leaf, before its handshake and again from the SNI callback.
 * The caller frees it (SSL_CTX_free).
 */
SSL_CTX      *cx_ca_server_ctx(struct cx_ca *ca, char *err, size_t errlen);
/*
 * For a new server SSL from that context: default_host is the CONNECT's
 * host, used when the client sends no SNI.  0, or -1.
 */
int           cx_ca_ssl_init(struct cx_ca *ca, SSL *ssl,
    const char *default_host);
/* The host name the leaf of ssl was minted for (SNI or default). */
const char   *cx_ca_ssl_host(SSL *ssl);

#endif
