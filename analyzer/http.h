/*
 * http.h: an incremental HTTP/1.1 message parser (RFC 9112).
 *
 * One parser reads one direction of one connection: a stream of requests
 * or a stream of responses (keep-alive and pipelining are just messages
 * one after another).  Bytes are fed as they arrive, split anywhere; the
 * parser calls back as it recognises a message's parts:
 *
 *   begin     the first byte of a message (leading empty lines are skipped)
 *   head      the start line and header fields are complete
 *   body      body bytes, de-chunked, in order (called any number of times)
 *   trailers  the trailer fields of a chunked body, if there were any
 *   end       the message is complete
 *
 * Bodies are framed as RFC 9112 section 6.3 says: chunked (extensions are
 * ignored, trailers reported), Content-Length, or (responses only) until
 * the connection closes.  1xx (but 101), 204 and 304 responses have no
 * body; the head callback says when a response has none for another reason
 * (it answers a HEAD request) or when the connection turns into a tunnel
 * (a 2xx answer to CONNECT).  After a 101 response, and after
 * cx_http_tunnel, bytes are no longer HTTP: they are only counted.
 *
 * Every buffer is bounded: the header block (and the trailers) by
 * CX_HTTP_MAX_HEAD bytes and CX_HTTP_MAX_FIELDS fields, a chunk-size line
 * by CX_HTTP_MAX_CHUNK_LINE.  Body bytes are passed through, never held.
 *
 * Pointers handed to callbacks are valid during the callback only.  A
 * callback returns 0 to go on, -1 to stop the parser (it then fails with
 * "stopped by the caller").
 */
#ifndef CX_HTTP_H
#define CX_HTTP_H

#include <stddef.h>
#include <stdint.h>

#define CX_HTTP_MAX_HEAD        (1024 * 1024)
#define CX_HTTP_MAX_FIELDS      1024
#define CX_HTTP_MAX_CHUNK_LINE  4096

enum cx_http_kind {
	CX_HTTP_REQUEST,
	CX_HTTP_RESPONSE,
};

/* What the head callback returns about the body that follows. */
enum cx_http_body {
	CX_HTTP_BODY_AUTO = 0,          /* framed by the header fields */
	CX_HTTP_BODY_NONE = 1,          /* none (a response to HEAD) */
	CX_HTTP_BODY_TUNNEL = 2,        /* none, then a tunnel (CONNECT 2xx) */
};

struct cx_http_field {
	const char      *name;          /* as sent (case kept) */
	const char      *value;         /* surrounding whitespace removed */
};

struct cx_http_head {
	const char      *method;        /* requests; NULL in responses */
	const char      *target;        /* requests: as sent */
	int              status;        /* responses: 100..999 */
	const char      *reason;        /* responses: may be "" */
	int              version;       /* 10: HTTP/1.0, 11: HTTP/1.1 */
	const struct cx_http_field *fields;
	size_t           nfields;
};

struct cx_http_cb {                     /* any of these may be NULL */
	int (*begin)(void *arg);
	int (*head)(void *arg, const struct cx_http_head *h);
	int (*body)(void *arg, const uint8_t *p, size_t n);
	int (*trailers)(void *arg, const struct cx_http_field *f, size_t n);
	int (*end)(void *arg);
	/* After a protocol switch: the bytes, which are not HTTP. */
	int (*tunnel)(void *arg, const uint8_t *p, size_t n);
};

struct cx_http;

/* A parser for one direction; cb is copied.  Never NULL (aborts on OOM). */
struct cx_http *cx_http_new(enum cx_http_kind kind, const struct cx_http_cb *cb,
    void *arg);
void     cx_http_free(struct cx_http *h);       /* NULL is fine */

/*
 * Feed the next n bytes of the stream.  Returns 0, or -1 if they are not
 * HTTP/1.x (cx_http_error says why and where); the parser then stays
 * failed and ignores whatever follows.
 */
int      cx_http_feed(struct cx_http *h, const uint8_t *p, size_t n);
/*
 * The stream ended (the connection closed, or the trace ended).  A body
 * delimited by the close is complete (end is called).  Returns 0, or -1 if
 * the stream stopped inside a message (cx_http_error says where).
 */
int      cx_http_eof(struct cx_http *h);
/* The bytes from now on are not HTTP (a protocol switch): count them. */
void     cx_http_tunnel(struct cx_http *h);

/* Is the parser inside a message (begin called, end not yet)? */
int      cx_http_in_message(const struct cx_http *h);
/* Has the parser failed (cx_http_feed returned -1)? */
int      cx_http_failed(const struct cx_http *h);
/* Bytes seen in tunnel mode, and bytes ignored after a failure. */
uint64_t cx_http_tunnel_bytes(const struct cx_http *h);
uint64_t cx_http_ignored_bytes(const struct cx_http *h);
/* The last error, "" if none. */
const char *cx_http_error(const struct cx_http *h);

#endif
