/*
 * relay_http.h: just enough HTTP/1.1 for the relay to route requests and
 * find where each message ends.  Heads are parsed whole (they are bounded:
 * RH_MAX_HEAD); bodies are tracked incrementally, byte counts only, so the
 * relay can forward them as they arrive without copying.
 */
#ifndef CX_RELAY_HTTP_H
#define CX_RELAY_HTTP_H

#include <stddef.h>
#include <stdint.h>

#define RH_MAX_HEAD     (64 * 1024)     /* larger: 431 */
#define RH_MAX_HEADERS  256

/* Parse results. */
#define RH_MORE         0               /* need more bytes */
#define RH_BAD          (-400)          /* malformed */
#define RH_TOO_LARGE    (-431)          /* head over RH_MAX_HEAD */

struct rh_span {
	uint32_t off;
	uint32_t len;
};

struct rh_header {
	struct rh_span name;
	struct rh_span value;
};

/* A parsed request or response head; spans index the caller's buffer. */
struct rh_head {
	size_t           head_len;      /* bytes through the blank line */
	struct rh_span   method;        /* request */
	struct rh_span   target;        /* request */
	int              status;        /* response */
	int              minor;         /* HTTP/1.minor */
	int64_t          content_length;        /* -1: none */
	int              chunked;
	int              conn_close;    /* Connection: close, or HTTP/1.0 without keep-alive */
	int              upgrade;       /* Upgrade header present */
	int              nheaders;
	struct rh_header headers[RH_MAX_HEADERS];
	char             why[96];       /* what was wrong, for RH_BAD */
};

/*
 * Parse a request or response head at buf.  Returns the head's length (>0),
 * RH_MORE, RH_BAD (h->why says why) or RH_TOO_LARGE.
 */
int rh_parse_request(const uint8_t *buf, size_t len, struct rh_head *h);
int rh_parse_response(const uint8_t *buf, size_t len, struct rh_head *h);

/* Does header i have this name (case-insensitive)? */
int rh_header_is(const uint8_t *buf, const struct rh_header *hd,
    const char *name);

/* Body framing, fed incrementally. */
enum rh_body_mode {
	RH_BODY_NONE,           /* no body */
	RH_BODY_LENGTH,         /* Content-Length */
	RH_BODY_CHUNKED,
	RH_BODY_CLOSE,          /* until the connection closes */
	RH_BODY_TUNNEL,         /* after 101: raw bytes both ways */
};

struct rh_body {
	enum rh_body_mode mode;
	uint64_t        left;           /* LENGTH: bytes left; CHUNKED: in chunk */
	int             cstate;         /* chunked parser state */
	uint32_t        linelen;        /* bytes in the current size/trailer line */
	int             done;
	int             bad;
};

void   rh_body_init(struct rh_body *b, enum rh_body_mode mode, uint64_t len);
/*
 * Consume body bytes from p; returns how many belong to the body (the rest
 * is the next message).  Sets b->done at the end, b->bad on a framing error.
 */
size_t rh_body_feed(struct rh_body *b, const uint8_t *p, size_t len);

#endif
