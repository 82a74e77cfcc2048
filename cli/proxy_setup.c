/* proxy_setup.c: the run's CA, token and files for the forward proxy. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <unistd.h>

#include <openssl/x509.h>

#include "proxy_setup.h"
#include "xmalloc.h"

static int
make_token(char *out, size_t len)
{
	unsigned char b[16];
	size_t got = 0;

	while (got < sizeof(b)) {
		ssize_t r = getrandom(b + got, sizeof(b) - got, 0);
		if (r == -1 && errno == EINTR)
			continue;
		if (r <= 0)
			return -1;
		got += (size_t)r;
	}
	for (size_t i = 0; i < sizeof(b) && 2 * i + 2 < len; i++)
		snprintf(out + 2 * i, 3, "%02x", b[i]);
	return 0;
}

int
proxy_setup_init(struct proxy_setup *ps, struct relay_config *cfg, char *err,
    size_t errlen)
{
	const char *tmp = getenv("TMPDIR");

	memset(ps, 0, sizeof(*ps));
	if (make_token(ps->token, sizeof(ps->token)) == -1) {
		snprintf(err, errlen, "no random bytes for the proxy's token");
		return -1;
	}
	if ((ps->ca = cx_ca_new(err, errlen)) == NULL)
		return -1;
	if (tmp == NULL || tmp[0] != '/' || strlen(tmp) > 1000)
		tmp = "/tmp";
	snprintf(ps->dir, sizeof(ps->dir), "%s/cxrec-proxy.XXXXXX", tmp);
	if (mkdtemp(ps->dir) == NULL) {         /* mode 0700 */
		snprintf(err, errlen, "cannot make a directory in %s: %s", tmp,
		    strerror(errno));
		ps->dir[0] = '\0';
		goto fail;
	}
	snprintf(ps->ca_path, sizeof(ps->ca_path), "%s/ca.pem", ps->dir);
	if (cx_ca_write_pem(ps->ca, ps->ca_path) == -1) {
		snprintf(err, errlen, "cannot write the proxy's CA certificate "
		    "in %s: %s", ps->dir, strerror(errno));
		goto fail;
	}
	if (cfg->proxy_listen == NULL)
		cfg->proxy_listen = "127.0.0.1:0";
	cfg->proxy_token = ps->token;
	cfg->ca = ps->ca;
	return 0;
fail:
	proxy_setup_free(ps);
	return -1;
}

void
proxy_setup_url(const struct proxy_setup *ps, const struct relay *r,
    char *out, size_t len)
{
	const char *a = relay_proxy_address(r);

	snprintf(out, len, "http://cxrec:%s@%s", ps->token, a ? a : "?");
}

void
proxy_setup_jobj(struct cx_jobj *j, const char *key,
    const struct proxy_setup *ps, const struct relay *r,
    const struct relay_config *cfg)
{
	static const char *const modes[] = { "all", "agent", "none" };
	const char *a = relay_proxy_address(r);

	cx_jobj_object(j, key);
	cx_jobj_str(j, "listen", a ? a : "");
	cx_jobj_str(j, "ca_cert", ps->ca_path);
	cx_jobj_str(j, "intercept", modes[cfg->intercept]);
	cx_jobj_array(j, "map_hosts");
	for (int i = 0; i < cfg->map_hosts.n; i++) {
		const struct host_map *m = &cfg->map_hosts.m[i];

		cx_jobj_object(j, NULL);
		cx_jobj_str(j, "host", m->host);
		cx_jobj_str(j, "url", m->rt.url);
		cx_jobj_close(j);
	}
	cx_jobj_close(j);
	cx_jobj_close(j);
}

void
proxy_setup_free(struct proxy_setup *ps)
{
	if (ps->dir[0] != '\0') {
		unlink(ps->ca_path);
		if (rmdir(ps->dir) == -1)
			fprintf(stderr, "cxrec: cannot remove %s: %s\n", ps->dir,
			    strerror(errno));
		ps->dir[0] = '\0';
	}
	cx_ca_free(ps->ca);
	ps->ca = NULL;
}
