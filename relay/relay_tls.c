/* relay_tls.c: OpenSSL client contexts and error messages for the relay. */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include <openssl/err.h>
#include <openssl/x509v3.h>
#include <arpa/inet.h>

#include "relay_tls.h"

SSL_CTX *
tls_client_ctx(const char *cacert, int insecure, char *err, size_t errlen)
{
	SSL_CTX *ctx = SSL_CTX_new(TLS_client_method());

	if (ctx == NULL) {
		snprintf(err, errlen, "cannot create a TLS context");
		return NULL;
	}
	SSL_CTX_set_min_proto_version(ctx, TLS1_2_VERSION);
	SSL_CTX_set_mode(ctx, SSL_MODE_ENABLE_PARTIAL_WRITE |
	    SSL_MODE_ACCEPT_MOVING_WRITE_BUFFER);
	/*
	 * Read ahead: one recv fetches several TLS records instead of two
	 * reads (header, body) per record.
	 */
	SSL_CTX_set_read_ahead(ctx, 1);
	SSL_CTX_set_default_read_buffer_len(ctx, 64 * 1024);
	/* The relay speaks HTTP/1.1 upstream. */
	static const unsigned char alpn[] = "\x08http/1.1";
	SSL_CTX_set_alpn_protos(ctx, alpn, sizeof(alpn) - 1);
	if (insecure) {
		SSL_CTX_set_verify(ctx, SSL_VERIFY_NONE, NULL);
		return ctx;
	}
	SSL_CTX_set_verify(ctx, SSL_VERIFY_PEER, NULL);
	if (SSL_CTX_set_default_verify_paths(ctx) != 1) {
		snprintf(err, errlen, "cannot load the system CA store");
		SSL_CTX_free(ctx);
		return NULL;
	}
	if (cacert != NULL &&
	    SSL_CTX_load_verify_locations(ctx, cacert, NULL) != 1) {
		unsigned long e = ERR_get_error();
		char why[200];
		ERR_error_string_n(e, why, sizeof(why));
		snprintf(err, errlen, "--cacert %s: cannot load CA certificates "
		    "(%s)", cacert, why);
		ERR_clear_error();
		SSL_CTX_free(ctx);
		return NULL;
	}
	return ctx;
}

SSL *
tls_client_new(SSL_CTX *ctx, int fd, const char *host, int insecure)
{
	SSL *ssl = SSL_new(ctx);
	unsigned char ip[16];
	int is_ip;

	if (ssl == NULL)
		return NULL;
	is_ip = inet_pton(AF_INET, host, ip) == 1 ||
	    inet_pton(AF_INET6, host, ip) == 1;
	if (SSL_set_fd(ssl, fd) != 1)
		goto fail;
	if (!is_ip && SSL_set_tlsext_host_name(ssl, host) != 1)
		goto fail;
	if (!insecure) {
		X509_VERIFY_PARAM *vp = SSL_get0_param(ssl);
		if (is_ip) {
			if (X509_VERIFY_PARAM_set1_ip_asc(vp, host) != 1)
				goto fail;
		} else if (SSL_set1_host(ssl, host) != 1) {
			goto fail;
		}
	}
	SSL_set_connect_state(ssl);
	return ssl;
fail:
	SSL_free(ssl);
	return NULL;
}

void
tls_error(SSL *ssl, int ret, int handshake, char *buf, size_t len)
{
	int e = SSL_get_error(ssl, ret);
	unsigned long ee = ERR_peek_last_error();
	char why[256] = "";

	if (ee != 0)
		ERR_error_string_n(ee, why, sizeof(why));
	long vr = handshake ? SSL_get_verify_result(ssl) : X509_V_OK;
	if (vr != X509_V_OK) {
		snprintf(buf, len, "certificate verify failed: %s",
		    X509_verify_cert_error_string(vr));
	} else if (e == SSL_ERROR_SYSCALL && ee == 0) {
		snprintf(buf, len, "%s", errno ? strerror(errno) :
		    "connection closed by the peer");
	} else if (e == SSL_ERROR_ZERO_RETURN) {
		snprintf(buf, len, "connection closed by the peer");
	} else {
		snprintf(buf, len, "%s", why[0] ? why : "TLS error");
	}
	ERR_clear_error();
}
