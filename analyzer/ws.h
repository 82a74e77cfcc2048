/*
 * ws.h: WebSocket messages from the two byte streams of an upgraded
 * connection (RFC 6455), with permessage-deflate (RFC 7692).
 *
 * Fed the bytes of each direction as they come (split anywhere), it
 * unmasks, puts fragmented messages together (control frames may come in
 * between), inflates compressed messages (one inflate stream a direction,
 * reset after each message when the sender takes no context over; the
 * window bits need no honouring to inflate: a 32 KiB window reads any
 * smaller one), and hands each message over whole.  A protocol error (a
 * bad opcode, a control frame over 125 bytes or fragmented, a continuation
 * with nothing to continue) or bad deflate data ends that direction: what
 * follows is counted, and the note says why.  Messages over CX_WS_MAX_MSG
 * bytes are cut (truncated set).
 *
 * Ownership: the caller owns nothing of the parser's; a message's bytes
 * are valid during the callback only.
 */
#ifndef CX_WS_H
#define CX_WS_H

#include <stddef.h>
#include <stdint.h>

#define CX_WS_MAX_MSG   (32u * 1024 * 1024)

enum cx_ws_opcode {
	CX_WS_CONT = 0x0,
	CX_WS_TEXT = 0x1,
	CX_WS_BINARY = 0x2,
	CX_WS_CLOSE = 0x8,
	CX_WS_PING = 0x9,
	CX_WS_PONG = 0xa,
};

enum cx_ws_dir {
	CX_WS_CLIENT = 0,       /* client to server (masked) */
	CX_WS_SERVER = 1,
};

struct cx_ws_msg {
	enum cx_ws_dir   dir;
	int              opcode;        /* enum cx_ws_opcode */
	const uint8_t   *data;          /* unmasked, inflated */
	size_t           len;
	int              compressed;    /* it was (permessage-deflate) */
	int              truncated;     /* cut at CX_WS_MAX_MSG */
	int              partial;       /* the stream ended inside it */
	int              close_code;    /* close: the code, 0 if none */
	const char      *note;          /* a problem with it, or NULL */
};

/* A message; return -1 to stop (the parser then fails). */
typedef int (*cx_ws_msg_fn)(void *arg, const struct cx_ws_msg *m);

struct cx_ws;

/*
 * extensions: the Sec-WebSocket-Extensions the server answered (NULL or
 * "" for none): permessage-deflate and its parameters are read from it.
 */
struct cx_ws *cx_ws_new(const char *extensions, cx_ws_msg_fn fn, void *arg);
void     cx_ws_free(struct cx_ws *w);           /* NULL is fine */
/* The next n bytes one way.  0, or -1 once that direction has failed. */
int      cx_ws_feed(struct cx_ws *w, enum cx_ws_dir dir, const uint8_t *p,
    size_t n);
/* The streams ended: a message begun is handed over, partial. */
void     cx_ws_finish(struct cx_ws *w);
/* Why a direction failed (NULL if it has not), and bytes not decoded. */
const char *cx_ws_error(const struct cx_ws *w, enum cx_ws_dir dir);
uint64_t cx_ws_skipped(const struct cx_ws *w, enum cx_ws_dir dir);
/* Was permessage-deflate negotiated? */
int      cx_ws_deflate(const struct cx_ws *w);

#endif
