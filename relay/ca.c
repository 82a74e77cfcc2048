/* ca.c: the proxy's per-run CA and its leaf certificates (ca.h). */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <openssl/bn.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509v3.h>

#include "ca.h"
#include "xmalloc.h"

#define HOUR    3600L
#define WEEK    (7 * 24 * HOUR)

struct leaf {
	char            *host;
	X509            *cert;
};

struct cx_ca {
	EVP_PKEY        *key;           /* the CA's: memory only */
	X509            *cert;
	EVP_PKEY        *leaf_key;
	struct leaf      leaves[CX_CA_MAX_LEAVES];
	int              nleaves;
	int              next_evict;
	unsigned long    minted;
};

static int host_idx = -1;       /* ex_data of an SSL: its leaf's host */

static void
ssl_errstr(char *err, size_t errlen, const char *what)
{
	char why[200] = "";
	unsigned long e = ERR_get_error();

	if (e != 0)
		ERR_error_string_n(e, why, sizeof(why));
	snprintf(err, errlen, "%s%s%s", what, why[0] ? ": " : "", why);
	ERR_clear_error();
}

static int
is_ip(const char *host, unsigned char *ip)
{
	return inet_pton(AF_INET, host, ip) == 1 ||
	    inet_pton(AF_INET6, host, ip) == 1;
}

static int
add_ext(X509 *x, X509V3_CTX *ctx, int nid, const char *value)
{
	X509_EXTENSION *e = X509V3_EXT_conf_nid(NULL, ctx, nid, value);
	int ok;

	if (e == NULL)
		return -1;
	ok = X509_add_ext(x, e, -1);
	X509_EXTENSION_free(e);
	return ok == 1 ? 0 : -1;
}

/* A certificate for subject cn with key's public half, issued by issuer. */
static X509 *
cert_new(const char *cn, EVP_PKEY *pub, X509 *issuer, long from, long to)
{
	X509 *x = X509_new();
	X509_NAME *name;
	BIGNUM *bn = BN_new();

	if (x == NULL || bn == NULL)
		goto fail;
	if (X509_set_version(x, 2) != 1 ||
	    BN_rand(bn, 127, BN_RAND_TOP_ANY, BN_RAND_BOTTOM_ANY) != 1 ||
	    BN_to_ASN1_INTEGER(bn, X509_get_serialNumber(x)) == NULL ||
	    X509_gmtime_adj(X509_getm_notBefore(x), from) == NULL ||
	    X509_gmtime_adj(X509_getm_notAfter(x), to) == NULL ||
	    X509_set_pubkey(x, pub) != 1)
		goto fail;
	name = X509_get_subject_name(x);
	if (X509_NAME_add_entry_by_txt(name, "O", MBSTRING_UTF8,
	    (const unsigned char *)"cxrec", -1, -1, 0) != 1)
		goto fail;
	/* A CN is at most 64 characters; the SAN is what counts anyway. */
	if (strlen(cn) <= 64 && X509_NAME_add_entry_by_txt(name, "CN",
	    MBSTRING_UTF8, (const unsigned char *)cn, -1, -1, 0) != 1)
		goto fail;
	if (X509_set_issuer_name(x, issuer ? X509_get_subject_name(issuer) :
	    name) != 1)
		goto fail;
	BN_free(bn);
	return x;
fail:
	BN_free(bn);
	X509_free(x);
	return NULL;
}

struct cx_ca *
cx_ca_new(char *err, size_t errlen)
{
	struct cx_ca *ca = xcalloc(1, sizeof(*ca));
	X509V3_CTX v3;

	if ((ca->key = EVP_EC_gen("P-256")) == NULL ||
	    (ca->leaf_key = EVP_EC_gen("P-256")) == NULL) {
		ssl_errstr(err, errlen, "cannot generate a key");
		goto fail;
	}
	if ((ca->cert = cert_new(CX_CA_NAME, ca->key, NULL, -HOUR,
	    WEEK)) == NULL) {
		ssl_errstr(err, errlen, "cannot make the CA certificate");
		goto fail;
	}
	X509V3_set_ctx(&v3, ca->cert, ca->cert, NULL, NULL, 0);
	if (add_ext(ca->cert, &v3, NID_basic_constraints,
	    "critical,CA:TRUE,pathlen:0") == -1 ||
	    add_ext(ca->cert, &v3, NID_key_usage,
	    "critical,keyCertSign,cRLSign") == -1 ||
	    add_ext(ca->cert, &v3, NID_subject_key_identifier, "hash") == -1 ||
	    add_ext(ca->cert, &v3, NID_authority_key_identifier,
	    "keyid:always") == -1 ||
	    X509_sign(ca->cert, ca->key, EVP_sha256()) == 0) {
		ssl_errstr(err, errlen, "cannot sign the CA certificate");
		goto fail;
	}
	return ca;
fail:
	cx_ca_free(ca);
	return NULL;
}

void
cx_ca_free(struct cx_ca *ca)
{
	if (ca == NULL)
		return;
	for (int i = 0; i < ca->nleaves; i++) {
		free(ca->leaves[i].host);
		X509_free(ca->leaves[i].cert);
	}
	X509_free(ca->cert);
	EVP_PKEY_free(ca->key);
	EVP_PKEY_free(ca->leaf_key);
	free(ca);
}

int
cx_ca_write_pem(const struct cx_ca *ca, const char *path)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW |
	    O_CLOEXEC, 0644);
	FILE *f;
	int ok;

	if (fd == -1)
		return -1;
	fchmod(fd, 0644);       /* whatever the umask */
	if ((f = fdopen(fd, "w")) == NULL) {
		int e = errno;
		close(fd);
		unlink(path);
		errno = e;
		return -1;
	}
	ok = PEM_write_X509(f, ca->cert) == 1;
	if (fclose(f) != 0)
		ok = 0;
	if (!ok) {
		unlink(path);
		errno = EIO;
		return -1;
	}
	return 0;
}

X509 *
cx_ca_cert(const struct cx_ca *ca)
{
	return ca->cert;
}

EVP_PKEY *
cx_ca_leaf_key(const struct cx_ca *ca)
{
	return ca->leaf_key;
}

unsigned long
cx_ca_minted(const struct cx_ca *ca)
{
	return ca->minted;
}

static X509 *
mint(struct cx_ca *ca, const char *host)
{
	unsigned char ip[16];
	char san[300];
	X509V3_CTX v3;
	X509 *x;

	if (host[0] == '\0' || strlen(host) > 253 ||
	    strpbrk(host, ",\r\n \t/") != NULL)
		return NULL;
	snprintf(san, sizeof(san), "%s:%s", is_ip(host, ip) ? "IP" : "DNS",
	    host);
	if ((x = cert_new(host, ca->leaf_key, ca->cert, -HOUR,
	    WEEK)) == NULL)
		return NULL;
	X509V3_set_ctx(&v3, ca->cert, x, NULL, NULL, 0);
	if (add_ext(x, &v3, NID_basic_constraints, "critical,CA:FALSE") == -1 ||
	    add_ext(x, &v3, NID_key_usage, "critical,digitalSignature") == -1 ||
	    add_ext(x, &v3, NID_ext_key_usage, "serverAuth") == -1 ||
	    add_ext(x, &v3, NID_subject_alt_name, san) == -1 ||
	    add_ext(x, &v3, NID_subject_key_identifier, "hash") == -1 ||
	    add_ext(x, &v3, NID_authority_key_identifier, "keyid:always") == -1 ||
	    X509_sign(x, ca->key, EVP_sha256()) == 0) {
		X509_free(x);
		ERR_clear_error();
		return NULL;
	}
	ca->minted++;
	return x;
}

X509 *
cx_ca_leaf(struct cx_ca *ca, const char *host)
{
	struct leaf *l;
	X509 *x;

	for (int i = 0; i < ca->nleaves; i++)
		if (strcasecmp(ca->leaves[i].host, host) == 0)
			return ca->leaves[i].cert;
	if ((x = mint(ca, host)) == NULL)
		return NULL;
	if (ca->nleaves < CX_CA_MAX_LEAVES) {
		l = &ca->leaves[ca->nleaves++];
	} else {
		/* Full: replace round-robin (live SSLs hold references). */
		l = &ca->leaves[ca->next_evict];
		ca->next_evict = (ca->next_evict + 1) % CX_CA_MAX_LEAVES;
		free(l->host);
		X509_free(l->cert);
	}
	l->host = xstrdup(host);
	l->cert = x;
	return x;
}

/* --- the server side ------------------------------------------------------ */

static void
host_free(void *parent, void *ptr, CRYPTO_EX_DATA *ad, int idx, long argl,
    void *argp)
{
	(void)parent; (void)ad; (void)idx; (void)argl; (void)argp;
	free(ptr);
}

static int
use_leaf(struct cx_ca *ca, SSL *ssl, const char *host)
{
	X509 *x = cx_ca_leaf(ca, host);
	char *old;

	if (x == NULL || SSL_use_certificate(ssl, x) != 1 ||
	    SSL_use_PrivateKey(ssl, ca->leaf_key) != 1)
		return -1;
	old = SSL_get_ex_data(ssl, host_idx);
	free(old);
	SSL_set_ex_data(ssl, host_idx, xstrdup(host));
	return 0;
}

/* The client named a host (SNI): its leaf, unless it is the default's. */
static int
on_servername(SSL *ssl, int *alert, void *arg)
{
	const char *sni = SSL_get_servername(ssl, TLSEXT_NAMETYPE_host_name);
	const char *cur = SSL_get_ex_data(ssl, host_idx);

	if (sni == NULL || (cur != NULL && strcasecmp(sni, cur) == 0))
		return SSL_TLSEXT_ERR_OK;
	if (use_leaf(arg, ssl, sni) == -1) {
		*alert = SSL_AD_INTERNAL_ERROR;
		return SSL_TLSEXT_ERR_ALERT_FATAL;
	}
	return SSL_TLSEXT_ERR_OK;
}

/* http/1.1 if the client offers it; else no ALPN (HTTP/1.1 all the same). */
static int
on_alpn(SSL *ssl, const unsigned char **out, unsigned char *outlen,
    const unsigned char *in, unsigned int inlen, void *arg)
{
	(void)ssl; (void)arg;
	for (unsigned int i = 0; i < inlen; ) {
		unsigned int n = in[i];
		if (i + 1 + n > inlen)
			break;
		if (n == 8 && memcmp(in + i + 1, "http/1.1", 8) == 0) {
			*out = in + i + 1;
			*outlen = 8;
			return SSL_TLSEXT_ERR_OK;
		}
		i += 1 + n;
	}
	return SSL_TLSEXT_ERR_NOACK;
}

SSL_CTX *
cx_ca_server_ctx(struct cx_ca *ca, char *err, size_t errlen)
{
	SSL_CTX *ctx;

	if (host_idx == -1)
		host_idx = SSL_get_ex_new_index(0, NULL, NULL, NULL, host_free);
	if (host_idx == -1 || (ctx = SSL_CTX_new(TLS_server_method())) == NULL) {
		ssl_errstr(err, errlen, "cannot create a TLS server context");
		return NULL;
	}
	SSL_CTX_set_min_proto_version(ctx, TLS1_2_VERSION);
	SSL_CTX_set_mode(ctx, SSL_MODE_ENABLE_PARTIAL_WRITE |
	    SSL_MODE_ACCEPT_MOVING_WRITE_BUFFER);
	/*
	 * No read-ahead: each SSL_read takes whole records off the socket and
	 * leaves the rest in the kernel, so the loop's level-triggered epoll
	 * still sees them.  No session tickets (nothing to resume).
	 */
	SSL_CTX_set_read_ahead(ctx, 0);
	SSL_CTX_set_num_tickets(ctx, 0);
	SSL_CTX_set_session_cache_mode(ctx, SSL_SESS_CACHE_OFF);
	SSL_CTX_set_tlsext_servername_callback(ctx, on_servername);
	SSL_CTX_set_tlsext_servername_arg(ctx, ca);
	SSL_CTX_set_alpn_select_cb(ctx, on_alpn, NULL);
	return ctx;
}

int
cx_ca_ssl_init(struct cx_ca *ca, SSL *ssl, const char *default_host)
{
	return use_leaf(ca, ssl, default_host);
}

const char *
cx_ca_ssl_host(SSL *ssl)
{
	return host_idx == -1 ? NULL : SSL_get_ex_data(ssl, host_idx);
}
