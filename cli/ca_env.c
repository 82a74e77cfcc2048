/* ca_env.c: the per-run CA handed to a command (ca_env.h). */
#include <errno.h>
#include <fcntl.h>
#include <openssl/x509.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "agent.h"
#include "ca_env.h"

/* The variables, and whether each replaces the trust store (so that the
 * bundle must carry the system's roots) or adds to it. */
static const struct {
	const char *name;
	int         replaces;
} vars[] = {
	{ "CODEX_CA_CERTIFICATE", 1 },
	{ "NODE_EXTRA_CA_CERTS", 0 },
	{ "SSL_CERT_FILE", 1 },
	{ "REQUESTS_CA_BUNDLE", 1 },
	{ "CURL_CA_BUNDLE", 1 },
};

/*
 * Append the file at path to out.  One that cannot be opened adds nothing
 * unless must is set (a system without a CA store: the run's CA alone);
 * -1 on a write error, or a file that must be there and is not.
 */
static int
append_file(FILE *out, const char *path, int must)
{
	char buf[65536];
	size_t n;
	FILE *in = fopen(path, "r");

	if (in == NULL)
		return must ? -1 : 0;
	while ((n = fread(buf, 1, sizeof(buf), in)) > 0)
		if (fwrite(buf, 1, n, out) != n) {
			fclose(in);
			return -1;
		}
	/* A file without a final newline would glue two PEM blocks. */
	fputc('\n', out);
	fclose(in);
	return 0;
}

/* A bundle at path: base's certificates (if any), then the CA's. */
static int
write_bundle(const char *path, const char *base, const char *ca_file)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
	FILE *f;
	int rc = 0;

	if (fd == -1 || (f = fdopen(fd, "w")) == NULL) {
		if (fd != -1)
			close(fd);
		return -1;
	}
	if (base != NULL && append_file(f, base, 0) == -1)
		rc = -1;
	if (append_file(f, ca_file, 1) == -1)
		rc = -1;
	if (fclose(f) != 0)
		rc = -1;
	return rc;
}

int
ca_env_setup(struct ca_env *ce, const char *ca_file, struct agent_run *run,
    char *err, size_t errlen)
{
	const char *tmp = getenv("TMPDIR");
	const char *sys = X509_get_default_cert_file();

	memset(ce, 0, sizeof(*ce));
	snprintf(ce->dir, sizeof(ce->dir), "%s/cxrec-ca.XXXXXX",
	    tmp != NULL && tmp[0] != '\0' ? tmp : "/tmp");
	if (mkdtemp(ce->dir) == NULL) {
		snprintf(err, errlen, "cannot make a directory for the run's CA "
		    "(%s): %s", ce->dir, strerror(errno));
		ce->dir[0] = '\0';
		return -1;
	}
	for (size_t i = 0; i < sizeof(vars) / sizeof(vars[0]); i++) {
		const char *user = getenv(vars[i].name);
		const char *base = user != NULL && user[0] != '\0' ? user :
		    vars[i].replaces ? sys : NULL;
		char path[PATH_MAX + 64];

		if (user != NULL && user[0] != '\0' && access(user, R_OK) != 0)
			base = vars[i].replaces ? sys : NULL;   /* unreadable */
		snprintf(path, sizeof(path), "%s/%s.pem", ce->dir, vars[i].name);
		if (write_bundle(path, base, ca_file) == -1)
			goto fail;
		if (agent_setenv(run, vars[i].name, path) == -1) {
			snprintf(err, errlen, "%s", run->err);
			ca_env_cleanup(ce);
			return -1;
		}
	}
	return 0;
fail:
	snprintf(err, errlen, "cannot write the run's CA bundles in %s: %s",
	    ce->dir, strerror(errno));
	ca_env_cleanup(ce);
	return -1;
}

void
ca_env_cleanup(struct ca_env *ce)
{
	char path[PATH_MAX + 64];

	if (ce->dir[0] == '\0')
		return;
	for (size_t i = 0; i < sizeof(vars) / sizeof(vars[0]); i++) {
		snprintf(path, sizeof(path), "%s/%s.pem", ce->dir, vars[i].name);
		unlink(path);
	}
	rmdir(ce->dir);
	ce->dir[0] = '\0';
}
