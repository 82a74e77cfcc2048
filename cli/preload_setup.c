/* preload_setup.c: the preload in cxrec run (preload_setup.h). */
#include <elf.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "preload.h"
#include "preload_setup.h"
#include "ring_serve.h"

/* The library beside the running binary, or CXREC_PRELOAD. */
static int
find_lib(char *out, size_t len)
{
	const char *env = getenv("CXREC_PRELOAD");
	char self[PATH_MAX];
	ssize_t n;
	char *slash;

	if (env != NULL && *env != '\0') {
		if (realpath(env, out) == NULL)
			return -1;
		return access(out, R_OK) == 0 ? 0 : -1;
	}
	if ((n = readlink("/proc/self/exe", self, sizeof(self) - 1)) <= 0)
		return -1;
	self[n] = '\0';
	if ((slash = strrchr(self, '/')) == NULL)
		return -1;
	*slash = '\0';
	if ((size_t)snprintf(out, len, "%s/%s", self, CX_PRELOAD_LIB) >= len)
		return -1;
	return access(out, R_OK) == 0 ? 0 : -1;
}

int
preload_setup(struct preload_setup *ps, const char *trace, char *err,
    size_t errlen)
{
	char abs[PATH_MAX], *val;
	const char *cur = getenv("LD_PRELOAD"), *tmp = getenv("TMPDIR");
	int fd;

	memset(ps, 0, sizeof(*ps));
	if (find_lib(ps->lib, sizeof(ps->lib)) == -1) {
		snprintf(err, errlen, "%s not found beside cxrec (set "
		    "CXREC_PRELOAD to it)", CX_PRELOAD_LIB);
		return -1;
	}
	if (strpbrk(ps->lib, " :\t") != NULL) {
		/* ld.so would split the path there. */
		snprintf(err, errlen, "%s: a space or colon in the path, which "
		    "LD_PRELOAD cannot hold", ps->lib);
		return -1;
	}
	if (realpath(trace, abs) == NULL) {
		snprintf(err, errlen, "%s: %s", trace, strerror(errno));
		return -1;
	}
	/*
	 * Any process of COMMAND's, whoever it runs as, may say why it
	 * could not record: a file all may write, in a directory none but
	 * us may list (so its random name is not to be found).
	 */
	snprintf(ps->dir, sizeof(ps->dir), "%s/cxrec-preload.XXXXXX",
	    tmp != NULL && *tmp != '\0' ? tmp : "/tmp");
	if (mkdtemp(ps->dir) == NULL) {
		snprintf(err, errlen, "cannot create %s: %s", ps->dir,
		    strerror(errno));
		return -1;
	}
	chmod(ps->dir, 0711);
	snprintf(ps->errors, sizeof(ps->errors), "%s/errors.XXXXXX", ps->dir);
	if ((fd = mkstemp(ps->errors)) == -1) {
		snprintf(err, errlen, "cannot create %s: %s", ps->errors,
		    strerror(errno));
		rmdir(ps->dir);
		return -1;
	}
	fchmod(fd, 0622);
	close(fd);
	if (cur != NULL && *cur != '\0') {
		if (asprintf(&val, "%s %s", ps->lib, cur) == -1)
			val = NULL;
	} else
		val = strdup(ps->lib);
	if (val == NULL) {
		snprintf(err, errlen, "out of memory");
		unlink(ps->errors);
		rmdir(ps->dir);
		return -1;
	}
	setenv("LD_PRELOAD", val, 1);
	free(val);
	setenv(CX_PRELOAD_ENV_TRACE, abs, 1);
	setenv(CX_PRELOAD_ENV_ERRORS, ps->errors, 1);
	unsetenv(CX_PRELOAD_ENV_RING);  /* an outer cxrec run's is not ours */
	{
		const char *sz = getenv(CX_PRELOAD_ENV_RING_SIZE);
		char why[300];

		if ((sz == NULL || strcmp(sz, "0") != 0) && (ps->ring =
		    ring_serve_start(ps->dir, abs, ps->errors, why,
		    sizeof(why))) != NULL)
			setenv(CX_PRELOAD_ENV_RING, ring_serve_path(ps->ring),
			    1);
	}
	ps->active = 1;
	return 0;
}

/* cmd as execvp would find it, into out; -1 if not found. */
static int
resolve(const char *cmd, char *out, size_t len)
{
	const char *path = getenv("PATH"), *p, *end;

	if (strchr(cmd, '/') != NULL) {
		snprintf(out, len, "%s", cmd);
		return access(out, X_OK);
	}
	for (p = path != NULL ? path : "/usr/bin:/bin"; ; p = end + 1) {
		end = strchr(p, ':');
		snprintf(out, len, "%.*s/%s", end ? (int)(end - p) :
		    (int)strlen(p), p, cmd);
		if (access(out, X_OK) == 0)
			return 0;
		if (end == NULL)
			return -1;
	}
}

void
preload_blind(const char *cmd, char *why, size_t len)
{
	char path[PATH_MAX];
	Elf64_Ehdr eh;
	struct stat st;
	int fd, interp = 0;

	why[0] = '\0';
	if (resolve(cmd, path, sizeof(path)) == -1 || stat(path, &st) == -1)
		return;
	if (st.st_mode & (S_ISUID | S_ISGID)) {
		snprintf(why, len, "%s is set-user-ID or set-group-ID: the "
		    "dynamic loader ignores LD_PRELOAD for it", cmd);
		return;
	}
	if ((fd = open(path, O_RDONLY | O_CLOEXEC)) == -1)
		return;
	if (read(fd, &eh, sizeof(eh)) != (ssize_t)sizeof(eh) ||
	    memcmp(eh.e_ident, ELFMAG, SELFMAG) != 0 ||
	    eh.e_ident[EI_CLASS] != ELFCLASS64 || eh.e_phentsize !=
	    sizeof(Elf64_Phdr)) {
		close(fd);
		return;         /* a script, or not for us to judge */
	}
	for (int i = 0; i < eh.e_phnum && !interp; i++) {
		Elf64_Phdr ph;

		if (pread(fd, &ph, sizeof(ph), (off_t)(eh.e_phoff +
		    (Elf64_Off)i * sizeof(ph))) != (ssize_t)sizeof(ph))
			break;
		interp = ph.p_type == PT_INTERP;
	}
	close(fd);
	if (!interp)
		snprintf(why, len, "%s is a static binary: the preload cannot "
		    "see it (its traffic is recorded by the relay and the "
		    "probe)", cmd);
}

void
preload_finish(struct preload_setup *ps, char *out, size_t len)
{
	char line[600] = "";
	FILE *f;
	int n = 0;

	out[0] = '\0';
	if (!ps->active)
		return;
	ring_serve_stop(ps->ring);      /* every frame in the trace */
	ps->ring = NULL;
	if ((f = fopen(ps->errors, "re")) != NULL) {
		char buf[600];

		while (fgets(buf, sizeof(buf), f) != NULL)
			if (n++ == 0)
				snprintf(line, sizeof(line), "%s", buf);
		fclose(f);
	}
	unlink(ps->errors);
	rmdir(ps->dir);
	ps->active = 0;
	line[strcspn(line, "\n")] = '\0';
	if (n > 0)
		snprintf(out, len, "%d problem%s, the first: %s", n,
		    n == 1 ? "" : "s", line);
}
