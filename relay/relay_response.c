/*
 * relay_response.c: the response side of a connection: reading the
 * upstream in batches, following the response framing to tell where each
 * response ends, forwarding to the client (queued when it cannot take
 * more) and recording exactly what it is sent; the relay's own answers
 * (errors, refusals); what follows once every response owed is out.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>

#include <openssl/err.h>

#include "bytebuf.h"
#include "relay_conn.h"
#include "relay_http.h"
#include "relay_tls.h"

/*
 * Write to the client, over its TLS once it has one (the proxy's
 * intercepted connections).  Returns the bytes taken (0: it would block),
 * or -1: the client is gone.
 */
static ssize_t
client_write(struct conn *c, const uint8_t *p, size_t n)
{
	size_t off = 0;

	if (c->cssl == NULL) {
		ssize_t w = send(c->cfd, p, n, MSG_NOSIGNAL | MSG_DONTWAIT);
		if (w >= 0)
			return w;
		return errno == EAGAIN || errno == EINTR ? 0 : -1;
	}
	while (off < n) {
		size_t k = n - off;
		int rc;

		ERR_clear_error();
		rc = SSL_write(c->cssl, p + off, k > INT32_MAX ? INT32_MAX :
		    (int)k);
		if (rc > 0) {
			off += (size_t)rc;
			continue;
		}
		int e = SSL_get_error(c->cssl, rc);
		if (e == SSL_ERROR_WANT_WRITE || e == SSL_ERROR_WANT_READ)
			break;
		ERR_clear_error();
		return -1;
	}
	return (ssize_t)off;
}

/*
 * Send to the client now if we can, queuing the rest, then record.  The
 * send goes first because otherwise the trace write sits on the watched
 * program's path: the added p50 of an SSE event or a WebSocket message
 * fell by 10-30 µs when it moved (docs/performance.md "websocket").  The
 * record follows in the same call, stamped with the arrival time; only a
 * relay killed between the two system calls could leave a client with
 * bytes its trace lacks.
 */
void
relay_client_send(struct conn *c, const uint8_t *p, size_t n, int64_t ts)
{
	size_t off = 0;
	int gone = 0;

	if (n == 0 || c->dead)
		return;
	c->r->st.resp_bytes += n;
	if (cx_buf_used(&c->cout) == 0) {
		ssize_t w = client_write(c, p, n);
		if (w > 0)
			off = (size_t)w;
		else if (w == -1)
			gone = 1;
	}
	relay_record(c, CX_DIR_RESP, p, n, ts);
	if (gone) {
		relay_conn_close(c, "client", "client went away");
		return;
	}
	if (off < n)
		cx_buf_add(&c->cout, p + off, n - off);
}

void
relay_client_flush(struct conn *c)
{
	while (cx_buf_used(&c->cout) > 0) {
		ssize_t w = client_write(c, cx_buf_head(&c->cout),
		    cx_buf_used(&c->cout));
		if (w > 0) {
			cx_buf_consume(&c->cout, (size_t)w);
			continue;
		}
		if (w == 0)
			break;
		relay_conn_close(c, "client", "client went away");
		return;
	}
	if (cx_buf_used(&c->cout) == 0 && c->closing) {
		relay_conn_close(c, "relay", "response complete");
		return;
	}
	/* Room again: read what the upstream's TLS layer may hold. */
	if (c->ustate == UP_OPEN && cx_buf_used(&c->cout) < COUT_MAX)
		relay_upstream_read(c);
}

static const char *
status_text(int status)
{
	switch (status) {
	case 400: return "Bad Request";
	case 404: return "Not Found";
	case 405: return "Method Not Allowed";
	case 407: return "Proxy Authentication Required";
	case 408: return "Request Timeout";
	case 414: return "URI Too Long";
	case 431: return "Request Header Fields Too Large";
	case 502: return "Bad Gateway";
	case 504: return "Gateway Timeout";
	default:  return "Error";
	}
}

/*
 * Answer the client ourselves (an error), record it and the reason, and
 * close once it is sent.
 */
void
relay_reply_error(struct conn *c, int64_t seq, int status, const char *msg)
{
	char body[1200], head[256];
	int bl, hl;

	bl = snprintf(body, sizeof(body), "cxrec relay: %s\n", msg);
	if (bl >= (int)sizeof(body))
		bl = (int)sizeof(body) - 1;
	hl = snprintf(head, sizeof(head), "HTTP/1.1 %d %s\r\n"
	    "Content-Type: text/plain; charset=utf-8\r\n"
	    "Content-Length: %d\r\nConnection: close\r\n"
	    "X-Cxrec-Error: 1\r\n\r\n", status, status_text(status), bl);
	relay_record_error(c, seq, msg);
	int64_t ts = cx_now_ns();
	relay_client_send(c, (const uint8_t *)head, (size_t)hl, ts);
	relay_client_send(c, (const uint8_t *)body, (size_t)bl, ts);
	if (c->dead)
		return;
	c->rq = RQ_DEAD;
	c->closing = 1;
	relay_client_flush(c);
}

/* Stop reading; close once what the client is owed is sent. */
void
relay_end_after_flush(struct conn *c, const char *by, const char *why)
{
	c->rq = RQ_DEAD;
	c->closing = 1;
	if (cx_buf_used(&c->cout) == 0)
		relay_conn_close(c, by, why);
}

/* A response ended: the next pipelined one starts. */
void
relay_response_done(struct conn *c)
{
	if (c->npend > 0) {
		memmove(c->pend, c->pend + 1, sizeof(c->pend[0]) *
		    (size_t)(c->npend - 1));
		c->npend--;
	}
	c->rs = RS_HEAD;
}

/*
 * Follow the response framing over n bytes from upstream, to tell where
 * responses end.  Returns how many of the bytes may be forwarded: all of
 * them, unless the upstream sends something when no request is waiting
 * (a client that just sent one would take it for the answer).
 */
static size_t
track_response(struct conn *c, const uint8_t *p, size_t n)
{
	size_t i = 0;

	while (i < n) {
		if (c->rs == RS_TUNNEL || c->rs == RS_RAW)
			return n;
		if (c->rs == RS_HEAD && c->npend == 0) {
			relay_record_error(c, -1, "the upstream sent bytes with no "
			    "request outstanding; they were dropped, and the "
			    "upstream connection with them");
			return i;
		}
		c->pend[0].answered = 1;
		if (c->rs == RS_HEAD) {
			struct rh_head h;
			size_t before = cx_buf_used(&c->uhead);
			size_t take = n - i;
			int rc;

			if (before + take > RH_MAX_HEAD + 4)
				take = RH_MAX_HEAD + 4 - before;
			cx_buf_add(&c->uhead, p + i, take);
			rc = rh_parse_response(cx_buf_head(&c->uhead),
			    cx_buf_used(&c->uhead), &h);
			if (rc == RH_MORE) {
				i += take;
				continue;
			}
			cx_buf_free(&c->uhead);
			if (rc < 0) {
				relay_record_error(c, c->pend[0].seq,
				    "upstream sent a malformed response head; "
				    "passing it through until close");
				c->rs = RS_RAW;
				c->rq = RQ_DEAD;
				c->uclose_after = 1;
				return n;
			}
			i += (size_t)rc - before;
			if (h.conn_close)
				c->uclose_after = 1;
			if (h.status >= 100 && h.status < 200 && h.status != 101)
				continue;       /* interim response */
			if (h.status == 101) {
				/* The upgrade is answered: no response owed. */
				relay_response_done(c);
				c->rs = RS_TUNNEL;
				c->rq = RQ_TUNNEL;
				return n;
			}
			int head = c->npend > 0 && c->pend[0].head;
			if (head || h.status == 204 || h.status == 304)
				rh_body_init(&c->rsbody, RH_BODY_NONE, 0);
			else if (h.chunked)
				rh_body_init(&c->rsbody, RH_BODY_CHUNKED, 0);
			else if (h.content_length >= 0)
				rh_body_init(&c->rsbody, RH_BODY_LENGTH,
				    (uint64_t)h.content_length);
			else {
				rh_body_init(&c->rsbody, RH_BODY_CLOSE, 0);
				c->uclose_after = 1;
			}
			c->rs = RS_BODY;
			if (c->rsbody.done)
				relay_response_done(c);
			continue;
		}
		/* RS_BODY */
		i += rh_body_feed(&c->rsbody, p + i, n - i);
		if (c->rsbody.bad) {
			relay_record_error(c, c->pend[0].seq,
			    "upstream sent a malformed chunked body; passing it "
			    "through until close");
			c->rs = RS_RAW;
			c->rq = RQ_DEAD;
			c->uclose_after = 1;
			return n;
		}
		if (c->rsbody.done)
			relay_response_done(c);
	}
	return n;
}

/* The upstream closed its side. */
static void
upstream_eof(struct conn *c)
{
	int complete_by_close = c->rs == RS_BODY &&
	    c->rsbody.mode == RH_BODY_CLOSE;

	if (c->rs == RS_TUNNEL || c->rs == RS_RAW || complete_by_close) {
		if (complete_by_close)
			relay_response_done(c);
		relay_upstream_drop(c);
		c->closing = 1;
		c->rq = RQ_DEAD;
		if (cx_buf_used(&c->cout) == 0)
			relay_conn_close(c, "upstream", "upstream closed");
		return;
	}
	if (c->npend > 0) {
		relay_upstream_fail(c, c->pend[0].answered ?
		    "closed the connection mid-response" :
		    "closed the connection before responding");
		return;
	}
	/* Idle keep-alive connection closed: fine, reconnect on demand. */
	relay_upstream_idle_drop(c);
	if (!c->dead)
		relay_after_responses(c);
}

/*
 * Read what the upstream has, in batches of up to IOBUF (several TLS
 * records), forwarding each batch at once: one send and one trace frame
 * per batch, never waiting for more than is there.
 */
void
relay_upstream_read(struct conn *c)
{
	uint8_t tmp[IOBUF];

	c->uread_wants_write = 0;
	while (!c->dead && c->ustate == UP_OPEN &&
	    cx_buf_used(&c->cout) < COUT_MAX) {
		size_t got = 0;
		int more = 1, eof = 0;
		char why[300] = "";

		while (got < sizeof(tmp)) {
			if (c->ssl != NULL) {
				ERR_clear_error();
				errno = 0;
				int rc = SSL_read(c->ssl, tmp + got,
				    (int)(sizeof(tmp) - got));
				if (rc > 0) {
					got += (size_t)rc;
					/*
					 * Forward now unless more is already
					 * here: a recv that would only say
					 * EAGAIN costs latency.
					 */
					if (!SSL_has_pending(c->ssl))
						break;
					continue;
				}
				int e = SSL_get_error(c->ssl, rc);
				unsigned long pe = ERR_peek_error();
				if (e == SSL_ERROR_WANT_READ) {
					more = 0;
				} else if (e == SSL_ERROR_WANT_WRITE) {
					c->uread_wants_write = 1;
					more = 0;
				} else if (e == SSL_ERROR_ZERO_RETURN ||
				    (e == SSL_ERROR_SYSCALL && pe == 0 &&
				    errno == 0) ||
				    (e == SSL_ERROR_SSL && ERR_GET_REASON(pe) ==
				    SSL_R_UNEXPECTED_EOF_WHILE_READING)) {
					/* EOF, with or without close_notify */
					ERR_clear_error();
					eof = 1;
				} else {
					tls_error(c->ssl, rc, 0, why,
					    sizeof(why));
				}
				break;
			}
			size_t room = sizeof(tmp) - got;
			ssize_t n = recv(c->ufd, tmp + got, room, 0);
			if (n > 0) {
				got += (size_t)n;
				if ((size_t)n < room)
					break;      /* drained for now */
				continue;
			}
			if (n == 0)
				eof = 1;
			else if (errno == EAGAIN || errno == EINTR)
				more = 0;
			else
				snprintf(why, sizeof(why), "%s", strerror(errno));
			break;
		}
		if (got > 0) {
			int64_t ts = cx_now_ns();
			size_t fwd;
			c->last_ns = ts;
			fwd = track_response(c, tmp, got);
			relay_client_send(c, tmp, fwd, ts);
			if (c->dead)
				return;
			if (fwd < got) {
				relay_upstream_idle_drop(c);
				break;
			}
		}
		if (eof) {
			upstream_eof(c);
			return;
		}
		if (why[0] != '\0') {
			relay_upstream_fail(c, why);
			return;
		}
		if (!more)
			break;
	}
	if (!c->dead)
		relay_after_responses(c);
}

/*
 * Every response owed is out: a deferred refusal can be sent, a client
 * that half-closed can be let go, an upstream that said "close" dropped,
 * and requests held back go on.
 */
void
relay_after_responses(struct conn *c)
{
	if (c->dead || c->npend > 0)
		return;
	if (c->deferred) {
		int status = c->deferred;
		c->deferred = 0;
		relay_reply_error(c, c->deferred_seq, status, c->deferred_msg);
		return;
	}
	if (c->client_eof) {
		relay_end_after_flush(c, "client", "client closed after its last "
		    "response");
		return;
	}
	if (c->rs == RS_HEAD && c->uclose_after && c->ustate == UP_OPEN) {
		relay_upstream_idle_drop(c);
		if (c->dead)
			return;
	}
	if (c->rq == RQ_WAIT) {
		c->rq = RQ_HEAD;
		relay_process_requests(c);
	}
}
