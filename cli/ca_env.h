/*
 * ca_env.h: hand the forward proxy's per-run CA to a command, the ways
 * programs accept one: CODEX_CA_CERTIFICATE (codex), NODE_EXTRA_CA_CERTS
 * (node, Bun), SSL_CERT_FILE (OpenSSL, Rust's native roots),
 * REQUESTS_CA_BUNDLE (python requests), CURL_CA_BUNDLE (curl).  Each gets a bundle in a private
 * directory: the file the user had set there (or, for variables that
 * replace the trust store, the system's), then the CA.  Added to, never
 * replacing, what the user trusted.
 */
#ifndef CX_CA_ENV_H
#define CX_CA_ENV_H

#include <limits.h>
#include <stddef.h>

struct agent_run;

struct ca_env {
	char dir[PATH_MAX];     /* 0700, removed by ca_env_cleanup; "" none */
};

/*
 * Make the directory, write the bundles with the CA certificate in
 * ca_file (PEM), and set the variables through agent_setenv.  Returns 0,
 * or -1 with a one-line message in err.
 */
int  ca_env_setup(struct ca_env *ce, const char *ca_file,
    struct agent_run *run, char *err, size_t errlen);
/* Remove the directory and its files; harmless on a zeroed ca_env. */
void ca_env_cleanup(struct ca_env *ce);

#endif
