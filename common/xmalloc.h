/*
 * xmalloc.h: allocation that aborts with one line on failure.  For cxrec
 * itself (relay, analyzer, CLI), where running out of memory is fatal;
 * never for the preload library, which lives inside someone else's process.
 */
#ifndef CX_XMALLOC_H
#define CX_XMALLOC_H

#include <stddef.h>

void *xmalloc(size_t n);
void *xcalloc(size_t nmemb, size_t size);
void *xrealloc(void *p, size_t n);
void *xreallocarray(void *p, size_t nmemb, size_t size);
char *xstrdup(const char *s);
char *xstrndup(const char *s, size_t n);
char *xasprintf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

#endif
