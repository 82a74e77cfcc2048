/*
 * spool.h: text written now to be copied into the output later (the
 * reports write their conversation in the first pass, while the facts
 * that come before it in the output are still being collected).  An
 * unlinked temporary file in $TMPDIR (else /tmp), so memory holds none of
 * it; a stream in memory when no such file can be made.
 */
#ifndef CX_SPOOL_H
#define CX_SPOOL_H

#include <stddef.h>
#include <stdio.h>

struct cx_spool {
	FILE    *f;             /* write here; NULL once copied or freed */
	int      in_mem;        /* f is a memory stream into mem: */
	char    *mem;
	size_t   memlen;
	char    *buf;           /* the file's stdio buffer, or NULL */
};

/* Open it (tag names the temporary file: "cxrec-TAG-XXXXXX"); returns
 * s->f.  Running out of both file and memory is fatal. */
FILE   *cx_spool_open(struct cx_spool *s, const char *tag);
/* Copy what was written into out and close it (a write error on the
 * file said on stderr: what was written comes cut short). */
void    cx_spool_copy(struct cx_spool *s, FILE *out);
/* Close it without copying, if still open, and release it. */
void    cx_spool_free(struct cx_spool *s);

#endif
