/* relay_tls.h: the relay's TLS client side (OpenSSL). */
#ifndef CX_RELAY_TLS_H
#define CX_RELAY_TLS_H

#include <stddef.h>
#include <openssl/ssl.h>

/*
 * A client context verifying peers against the system CA store, plus
 * cacert (a PEM file, may be NULL) when given.  insecure turns
 * verification off.  Returns NULL with a message in err.
 */
SSL_CTX *tls_client_ctx(const char *cacert, int insecure, char *err,
    size_t errlen);
/* A new connection on fd for host (SNI and name or IP verification). */
SSL     *tls_client_new(SSL_CTX *ctx, int fd, const char *host, int insecure);
/*
 * Why the last operation on ssl failed, as one line (ret from SSL_*).
 * handshake: the failure came from the handshake with verification on, so
 * a failed certificate check is the likely cause and is named.
 */
void     tls_error(SSL *ssl, int ret, int handshake, char *buf, size_t len);

#endif
