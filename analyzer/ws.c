/* ws.c: WebSocket frames to messages (see ws.h). */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <zlib.h>

#include "bytebuf.h"
#include "ws.h"

/* One direction's parser. */
struct side {
	int              failed;
	char             err[200];
	uint64_t         skipped;       /* bytes after a failure */
	/* the frame header being read: 2 to 14 bytes */
	uint8_t          hdr[14];
	size_t           hlen;
	size_t           hneed;
	/* the frame's payload */
	int              in_payload;
	uint64_t         left;
	int              masked;
	uint8_t          mask[4];
	uint64_t         mpos;          /* payload bytes unmasked so far */
	int              fin;
	int              opcode;
	struct cx_buf    ctl;           /* a control frame's payload */
	/* the data message being put together */
	int              msg_open;
	int              msg_opcode;
	int              msg_compressed;
	struct cx_buf    msg;
	/* permessage-deflate */
	int              no_takeover;
	int              zinit;
	z_stream         z;
	struct cx_buf    out;
};

struct cx_ws {
	cx_ws_msg_fn     fn;
	void            *arg;
	int              deflate;
	struct side      s[2];
};

/* --- the extensions header ------------------------------------------- */

/* Is param (up to ';' or ',') named name? */
static int
param_is(const char *p, size_t n, const char *name)
{
	while (n > 0 && (*p == ' ' || *p == '\t')) {
		p++;
		n--;
	}
	while (n > 0 && (p[n - 1] == ' ' || p[n - 1] == '\t'))
		n--;
	/* "name" or "name=value" */
	const char *eq = memchr(p, '=', n);
	size_t k = eq != NULL ? (size_t)(eq - p) : n;

	while (k > 0 && (p[k - 1] == ' ' || p[k - 1] == '\t'))
		k--;
	return k == strlen(name) && strncasecmp(p, name, k) == 0;
}

/* permessage-deflate and its parameters, from the server's answer. */
static void
extensions(struct cx_ws *w, const char *h)
{
	const char *ext = h;

	while (ext != NULL && *ext != '\0') {
		const char *end = strchr(ext, ','), *p = ext;
		size_t n = end != NULL ? (size_t)(end - ext) : strlen(ext);
		int first = 1, deflate = 0;

		while (p < ext + n) {
			const char *semi = memchr(p, ';', (size_t)(ext + n - p));
			size_t k = semi != NULL ? (size_t)(semi - p) :
			    (size_t)(ext + n - p);

			if (first)
				deflate = param_is(p, k, "permessage-deflate");
			else if (deflate && param_is(p, k,
			    "client_no_context_takeover"))
				w->s[CX_WS_CLIENT].no_takeover = 1;
			else if (deflate && param_is(p, k,
			    "server_no_context_takeover"))
				w->s[CX_WS_SERVER].no_takeover = 1;
			first = 0;
			p += k + (semi != NULL);
		}
		if (deflate) {
			w->deflate = 1;
			return;         /* the first one the server chose */
		}
		ext = end != NULL ? end + 1 : NULL;
	}
}

/* --- messages ---------------------------------------------------------- */

static void
fail(struct side *s, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void
fail(struct side *s, const char *fmt, ...)
{
	va_list ap;

	s->failed = 1;
	va_start(ap, fmt);
	vsnprintf(s->err, sizeof(s->err), fmt, ap);
	va_end(ap);
}

static int
deliver(struct cx_ws *w, enum cx_ws_dir dir, int opcode, const uint8_t *p,
    size_t n, int compressed, int truncated, int partial, const char *note)
{
	struct cx_ws_msg m;

	memset(&m, 0, sizeof(m));
	m.dir = dir;
	m.opcode = opcode;
	m.data = p != NULL ? p : (const uint8_t *)"";
	m.len = n;
	m.compressed = compressed;
	m.truncated = truncated;
	m.partial = partial;
	m.note = note;
	if (opcode == CX_WS_CLOSE && n >= 2) {
		m.close_code = p[0] << 8 | p[1];
		m.data = p + 2;         /* the reason */
		m.len = n - 2;
	}
	return w->fn != NULL ? w->fn(w->arg, &m) : 0;
}

/*
 * Inflate a compressed message into s->out; -1 on bad data.  RFC 7692:
 * each message ends with an empty stored block whose four last bytes the
 * sender leaves out; they are put back (not for a partial message).
 */
static int
inflate_msg(struct side *s, int partial)
{
	static const uint8_t tail[4] = { 0x00, 0x00, 0xff, 0xff };
	const uint8_t *in[2] = { s->msg.p, tail };
	size_t inl[2] = { s->msg.len, partial ? 0 : sizeof(tail) };
	uint8_t buf[16384];
	int rc;

	cx_buf_reset(&s->out);
	if (!s->zinit) {
		memset(&s->z, 0, sizeof(s->z));
		/* A 32 KiB window reads whatever window the sender used. */
		if (inflateInit2(&s->z, -15) != Z_OK)
			return -1;
		s->zinit = 1;
	}
	for (int k = 0; k < 2; k++) {
		if (inl[k] == 0)
			continue;
		s->z.next_in = (Bytef *)(uintptr_t)in[k];
		s->z.avail_in = (uInt)inl[k];
		do {
			s->z.next_out = buf;
			s->z.avail_out = sizeof(buf);
			rc = inflate(&s->z, Z_SYNC_FLUSH);
			if (rc != Z_OK && rc != Z_STREAM_END &&
			    rc != Z_BUF_ERROR)
				return -1;
			cx_buf_add(&s->out, buf, sizeof(buf) - s->z.avail_out);
			if (rc == Z_STREAM_END) {
				/* A final block: a new stream may follow. */
				inflateReset(&s->z);
			} else if (rc == Z_BUF_ERROR)
				break;          /* no progress: all is out */
		} while (s->z.avail_in > 0 || s->z.avail_out == 0);
	}
	if (s->no_takeover)
		inflateReset(&s->z);
	return 0;
}

/* The data message in s is whole (or the stream ended inside it). */
static int
message_done(struct cx_ws *w, enum cx_ws_dir dir, int partial)
{
	struct side *s = &w->s[dir];
	const char *note = partial ? "the stream ended inside it" : NULL;
	int rc;

	if (s->msg_compressed) {
		if (inflate_msg(s, partial) == -1) {
			rc = deliver(w, dir, s->msg_opcode, s->msg.p, s->msg.len,
			    1, s->msg.cut, partial, "bad deflate data: shown "
			    "as it came");
			fail(s, "%s", "bad deflate data (the messages after it "
			    "cannot be inflated)");
		} else
			rc = deliver(w, dir, s->msg_opcode, s->out.p,
			    s->out.len, 1, s->msg.cut || s->out.cut, partial,
			    note);
	} else
		rc = deliver(w, dir, s->msg_opcode, s->msg.p, s->msg.len, 0,
		    s->msg.cut, partial, note);
	s->msg_open = 0;
	cx_buf_reset(&s->msg);
	if (rc == -1)
		fail(s, "%s", "stopped by the caller");
	return rc;
}

/* --- frames ------------------------------------------------------------ */

/* The header is whole: check it, and start the payload. */
static void
frame_begin(struct cx_ws *w, enum cx_ws_dir dir)
{
	struct side *s = &w->s[dir];
	const uint8_t *h = s->hdr;
	int rsv1 = (h[0] >> 6) & 1, len7 = h[1] & 0x7f;
	size_t i = 2;

	s->fin = h[0] >> 7;
	s->opcode = h[0] & 0x0f;
	s->masked = h[1] >> 7;
	if (len7 == 126) {
		s->left = (uint64_t)h[2] << 8 | h[3];
		i = 4;
	} else if (len7 == 127) {
		s->left = 0;
		for (i = 2; i < 10; i++)
			s->left = s->left << 8 | h[i];
	} else
		s->left = (uint64_t)len7;
	if (s->masked)
		memcpy(s->mask, h + i, 4);
	s->mpos = 0;
	if (h[0] & 0x30) {
		fail(s, "%s", "a frame with RSV2 or RSV3 set (no extension "
		    "negotiated them)");
		return;
	}
	switch (s->opcode) {
	case CX_WS_CONT:
		if (!s->msg_open) {
			fail(s, "%s", "a continuation frame with no message "
			    "to continue");
			return;
		}
		break;
	case CX_WS_TEXT:
	case CX_WS_BINARY:
		if (s->msg_open) {
			fail(s, "%s", "a new message inside a fragmented one");
			return;
		}
		if (rsv1 && !w->deflate) {
			fail(s, "%s", "a compressed frame (RSV1) but "
			    "permessage-deflate was not negotiated");
			return;
		}
		s->msg_open = 1;
		s->msg_opcode = s->opcode;
		s->msg_compressed = rsv1;
		cx_buf_reset(&s->msg);
		break;
	case CX_WS_CLOSE:
	case CX_WS_PING:
	case CX_WS_PONG:
		if (!s->fin || s->left > 125 || rsv1) {
			fail(s, "%s", "a control frame fragmented, compressed "
			    "or over 125 bytes");
			return;
		}
		cx_buf_reset(&s->ctl);
		break;
	default:
		fail(s, "a frame with the unknown opcode %d", s->opcode);
		return;
	}
	if (s->opcode == CX_WS_CONT && rsv1) {
		fail(s, "%s", "RSV1 on a continuation frame");
		return;
	}
	s->in_payload = 1;
}

/* The payload is whole. */
static void
frame_end(struct cx_ws *w, enum cx_ws_dir dir)
{
	struct side *s = &w->s[dir];

	s->in_payload = 0;
	s->hlen = 0;
	s->hneed = 2;
	if (s->opcode >= CX_WS_CLOSE) {
		if (deliver(w, dir, s->opcode, s->ctl.p, s->ctl.len, 0, 0, 0,
		    NULL) == -1)
			fail(s, "%s", "stopped by the caller");
		return;
	}
	if (s->fin)
		message_done(w, dir, 0);
}

/* Payload bytes, unmasked, to where the frame's opcode says. */
static void
payload(struct side *s, const uint8_t *p, size_t n)
{
	uint8_t buf[4096];
	struct cx_buf *to = s->opcode >= CX_WS_CLOSE ? &s->ctl : &s->msg;

	while (n > 0) {
		size_t k = n < sizeof(buf) ? n : sizeof(buf);

		for (size_t i = 0; i < k; i++)
			buf[i] = s->masked ? p[i] ^ s->mask[(s->mpos + i) & 3] :
			    p[i];
		s->mpos += k;
		cx_buf_add(to, buf, k);
		p += k;
		n -= k;
	}
}

int
cx_ws_feed(struct cx_ws *w, enum cx_ws_dir dir, const uint8_t *p, size_t n)
{
	struct side *s = &w->s[dir];

	while (n > 0 && !s->failed) {
		if (!s->in_payload) {
			size_t k = s->hneed - s->hlen;

			if (k > n)
				k = n;
			memcpy(s->hdr + s->hlen, p, k);
			s->hlen += k;
			p += k;
			n -= k;
			if (s->hlen == 2) {
				int len7 = s->hdr[1] & 0x7f;

				s->hneed = 2 + (len7 == 126 ? 2 : len7 == 127 ?
				    8 : 0) + (s->hdr[1] & 0x80 ? 4 : 0);
			}
			if (s->hlen < s->hneed)
				continue;
			frame_begin(w, dir);
			if (!s->failed && s->left == 0)
				frame_end(w, dir);
			continue;
		}
		size_t k = n < s->left ? n : (size_t)s->left;

		payload(s, p, k);
		p += k;
		n -= k;
		s->left -= k;
		if (s->left == 0)
			frame_end(w, dir);
	}
	if (s->failed) {
		s->skipped += n;
		return -1;
	}
	return 0;
}

/* --- the parser -------------------------------------------------------- */

struct cx_ws *
cx_ws_new(const char *ext, cx_ws_msg_fn fn, void *arg)
{
	struct cx_ws *w = xcalloc(1, sizeof(*w));

	w->fn = fn;
	w->arg = arg;
	for (int d = 0; d < 2; d++) {
		w->s[d].hneed = 2;
		cx_buf_init(&w->s[d].msg, CX_WS_MAX_MSG);
		cx_buf_init(&w->s[d].ctl, 125);
		cx_buf_init(&w->s[d].out, CX_WS_MAX_MSG);
	}
	if (ext != NULL)
		extensions(w, ext);
	return w;
}

void
cx_ws_finish(struct cx_ws *w)
{
	for (int d = 0; d < 2; d++) {
		struct side *s = &w->s[d];

		if (!s->failed && s->msg_open)
			message_done(w, (enum cx_ws_dir)d, 1);
	}
}

void
cx_ws_free(struct cx_ws *w)
{
	if (w == NULL)
		return;
	for (int d = 0; d < 2; d++) {
		cx_buf_free(&w->s[d].msg);
		cx_buf_free(&w->s[d].ctl);
		cx_buf_free(&w->s[d].out);
		if (w->s[d].zinit)
			inflateEnd(&w->s[d].z);
	}
	free(w);
}

const char *
cx_ws_error(const struct cx_ws *w, enum cx_ws_dir dir)
{
	return w->s[dir].failed ? w->s[dir].err : NULL;
}

uint64_t
cx_ws_skipped(const struct cx_ws *w, enum cx_ws_dir dir)
{
	return w->s[dir].skipped;
}

int
cx_ws_deflate(const struct cx_ws *w)
{
	return w->deflate;
}
