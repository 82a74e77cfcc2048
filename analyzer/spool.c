/* spool.c: text kept aside to be copied into the output later (spool.h). */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "log.h"
#include "spool.h"
#include "xmalloc.h"

#define SPOOL_BUF       (1u << 16)

FILE *
cx_spool_open(struct cx_spool *s, const char *tag)
{
	const char *dir = getenv("TMPDIR");
	char path[4096];
	int fd, n;

	memset(s, 0, sizeof(*s));
	if (dir == NULL || *dir == '\0')
		dir = "/tmp";
	n = snprintf(path, sizeof(path), "%s/cxrec-%s-XXXXXX", dir, tag);
	if (n > 0 && (size_t)n < sizeof(path) && (fd = mkstemp(path)) >= 0) {
		unlink(path);
		if ((s->f = fdopen(fd, "w+")) != NULL) {
			/* 64 KiB a write, not 4 KiB: the conversation of a
			 * big trace is hundreds of MB.  (glibc takes the
			 * size only with a buffer.) */
			s->buf = xmalloc(SPOOL_BUF);
			setvbuf(s->f, s->buf, _IOFBF, SPOOL_BUF);
			return s->f;
		}
		close(fd);
	}
	s->in_mem = 1;
	if ((s->f = open_memstream(&s->mem, &s->memlen)) == NULL)
		fatalx("the report's conversation: %s", strerror(errno));
	return s->f;
}

void
cx_spool_copy(struct cx_spool *s, FILE *out)
{
	char buf[65536];
	size_t n;

	if (s->in_mem) {
		fclose(s->f);           /* sets s->mem */
		fwrite(s->mem, 1, s->memlen, out);
	} else {
		if (fflush(s->f) == EOF || ferror(s->f))
			log_warn("the report's conversation could not be "
			    "written: it is cut short");
		rewind(s->f);
		while ((n = fread(buf, 1, sizeof(buf), s->f)) > 0)
			fwrite(buf, 1, n, out);
		fclose(s->f);
	}
	s->f = NULL;
	free(s->buf);
	s->buf = NULL;
}

void
cx_spool_free(struct cx_spool *s)
{
	if (s->f != NULL)
		fclose(s->f);
	s->f = NULL;
	free(s->buf);
	s->buf = NULL;
	free(s->mem);
	s->mem = NULL;
}
