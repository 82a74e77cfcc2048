/*
 * http_post.h: POSTing bodies over HTTP(S) with libcurl, for `cxrec
 * export`'s clients (export_clickhouse.c, the OTLP sender of cmd_export.c):
 * one connection kept alive between posts, a reply kept up to
 * CX_HPOST_REPLY_MAX bytes.  Not a general client: no redirects, no
 * retries (the caller decides).
 */
#ifndef CX_HTTP_POST_H
#define CX_HTTP_POST_H

#include <signal.h>
#include <stddef.h>

#include "bytebuf.h"

#define CX_HPOST_REPLY_MAX       (64u * 1024)

struct cx_hpost;

/* A client; NULL with one line in err when libcurl cannot start. */
struct cx_hpost *cx_hpost_new(char *err, size_t errlen);
void     cx_hpost_free(struct cx_hpost *h);        /* NULL is fine */

/*
 * POST body[0..n) to url, with Content-Type ctype (NULL: libcurl's
 * default, application/x-www-form-urlencoded).  Returns the HTTP status,
 * or -1 when nobody answered, with one line in err: "name: why" (name:
 * what to call the server in it, say the URL without its secrets).
 */
long     cx_hpost(struct cx_hpost *h, const char *url, const char *ctype,
    const char *body, size_t n, const char *name, char *err, size_t errlen);

/* A POST in flight ends (as one nobody answered, -1) once *stop is set;
 * NULL: none (the default). */
void     cx_hpost_set_stop(struct cx_hpost *h, volatile sig_atomic_t *stop);

/* The last reply's body (at most CX_HPOST_REPLY_MAX bytes). */
const struct cx_buf *cx_hpost_reply(const struct cx_hpost *h);
/* Its first line, NUL-terminated, at most max bytes (trailing blanks and
 * commas cut), or "(no reason given)". */
void     cx_hpost_reply_line(const struct cx_hpost *h, char *out, size_t max);
/* url as it may be said (on stderr, in a log): without its user and
 * password (http://u:p@host/) nor its query (?password=...), malloc'd. */
char    *cx_url_said(const char *url);
/* s %-escaped for a URL's query, malloc'd. */
char    *cx_hpost_escape(struct cx_hpost *h, const char *s);

#endif
