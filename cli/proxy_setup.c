/* proxy_setup.c: the run's CA, token and files for the forward proxy. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <unistd.h>

#include <openssl/x509.h>

#include "buf.h"
#include "jsonstr.h"
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

char *
proxy_setup_json(const struct proxy_setup *ps, const struct relay *r,
    const struct relay_config *cfg)
{
	static const char *const modes[] = { "all", "agent", "none" };
	struct buf b = { 0 };
	char esc[4400], line[5000];
	const char *a = relay_proxy_address(r);
	int n;

	json_escape(esc, sizeof(esc), ps->ca_path, strlen(ps->ca_path));
	n = snprintf(line, sizeof(line), "{\"listen\":\"%s\",\"ca_cert\":\"%s\","
	    "\"intercept\":\"%s\",\"map_hosts\":[", a ? a : "", esc,
	    modes[cfg->intercept]);
	buf_append(&b, line, (size_t)n);
	for (int i = 0; i < cfg->map_hosts.n; i++) {
		const struct host_map *m = &cfg->map_hosts.m[i];
		char h[600];
		json_escape(h, sizeof(h), m->host, strlen(m->host));
		json_escape(esc, sizeof(esc), m->rt.url, strlen(m->rt.url));
		n = snprintf(line, sizeof(line), "%s{\"host\":\"%s\",\"url\":\"%s\"}",
		    i ? "," : "", h, esc);
		buf_append(&b, line, (size_t)n);
	}
	buf_append(&b, "]}", 3);        /* with the NUL */
	return (char *)b.data;
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
