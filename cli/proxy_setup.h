/*
 * proxy_setup.h: what `cxrec relay --proxy-listen` (and `cxrec run`) do
 * around the relay's forward proxy (relay/proxy.h, docs/proxy.md): make
 * the run's CA and token, write the CA certificate where clients can read
 * it, say the proxy's URL, and remove it all at the end.
 *
 * Ownership: the caller owns the struct; proxy_setup_free releases the CA
 * (after relay_free: the relay borrows it) and removes the files.
 */
#ifndef CX_PROXY_SETUP_H
#define CX_PROXY_SETUP_H

#include <stddef.h>

#include "ca.h"
#include "jsonobj.h"
#include "relay.h"

struct proxy_setup {
	struct cx_ca    *ca;
	char             token[33];     /* 32 hex digits */
	char             dir[2048];     /* 0700, made for the run; "" if none */
	char             ca_path[2100]; /* DIR/ca.pem, 0644 */
};

/*
 * The CA (in memory), the token, a 0700 directory under $TMPDIR holding the
 * CA certificate, and cfg's proxy fields (proxy_listen defaults to
 * 127.0.0.1:0).  0, or -1 with why in err (nothing is left behind).
 */
int  proxy_setup_init(struct proxy_setup *ps, struct relay_config *cfg,
    char *err, size_t errlen);
/* "http://cxrec:TOKEN@127.0.0.1:PORT", once the relay listens. */
void proxy_setup_url(const struct proxy_setup *ps, const struct relay *r,
    char *out, size_t len);
/* The proxy as the object member key of a note: listen, ca_cert,
 * intercept, map_hosts (no token). */
void proxy_setup_jobj(struct cx_jobj *j, const char *key,
    const struct proxy_setup *ps, const struct relay *r,
    const struct relay_config *cfg);
/* Remove the files and the directory, free the CA.  Twice is fine. */
void proxy_setup_free(struct proxy_setup *ps);

#endif
