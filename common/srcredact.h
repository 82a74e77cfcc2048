/*
 * srcredact.h: redaction at the source (`--redact-at-source`): the values
 * of credential headers and query parameters are replaced before they are
 * written to the trace, so the trace never holds them.
 *
 * A streaming scanner over one direction of one connection.  At the start
 * of any line, a header whose name is a credential header (credname.h:
 * authorization, proxy-authorization, cookie, set-cookie, x-api-key,
 * api-key, openai-api-key, chatgpt-account-id, x-goog-api-key and any
 * name added to the key's set; any case) has its value, up to the end of
 * the line, replaced.  An Authorization value keeps its scheme word when
 * it is a known one ("Bearer ").  Anywhere else, a credential query
 * parameter (credname.h: key, api_key, access_token, ... any case) right
 * after a '?' or '&' and followed by '=' has its value replaced, up to
 * the next '&', '#', blank, control, quote, '<', '>', '\\' or non-ASCII
 * byte: in a request line ("GET /p?alt=sse&key=AIza... HTTP/1.1") wherever
 * it is, even right after the last request's body on the same line, and
 * in a Location or Referer header, a form body, a URL in a body.  The
 * replacement has the value's length, so the recorded stream stays
 * aligned with the wire (framing, byte counts and every later byte
 * unchanged):
 *
 *     [cxrec:0123456789abcdef]*******...
 *
 * where the 16 hex digits are SipHash-2-4 of the value under a key that
 * is never written to the trace: equal values get equal fingerprints in
 * one recording, and nothing can be learned of a value without the key.
 * A value shorter than the marker, or one split across two calls (its
 * whole cannot be hashed), is all asterisks.  Folded continuation lines
 * of such a header, and blanks before its colon, are handled; its value
 * ends at LF (a CR before it kept).  The scanner does not follow HTTP
 * framing: a body line that looks like such a header, and a query
 * parameter so named in a body, are redacted too (more hidden, never
 * less).  An HTTP/2 stream is not redactable: the caller is told to drop
 * it.
 *
 * Used by the relay (both directions of each client connection) and the
 * preload library (no allocation: the caller gives the output buffer).
 */
#ifndef CX_SRCREDACT_H
#define CX_SRCREDACT_H

#include <stddef.h>
#include <stdint.h>

#include "credname.h"

#define CX_SRCREDACT_MARK       "[cxrec:"       /* then 16 hex and ']' */
#define CX_SRCREDACT_MARK_LEN   24

/*
 * What one recording's redaction is keyed by: the hash key (k0, k1) and
 * the credential names it hides (NULL: credname.h's base; not owned, it
 * must outlive every use of the key).
 */
struct cx_srcredact_key {
	uint64_t k0, k1;
	const struct cx_credname *names;
};

/* One direction of one connection; zero it (or cx_srcredact_init). */
struct cx_srcredact {
	uint8_t  state;         /* where in a line the scanner is */
	uint8_t  nlen;          /* bytes of a candidate name so far */
	uint8_t  cred;          /* this line is a credential header */
	uint8_t  cont;          /* ... and so was the line before (obs-fold) */
	uint8_t  auth;          /* ... an Authorization header */
	uint8_t  pre;           /* bytes of the HTTP/2 preface seen at the start */
	uint8_t  h2c;           /* an HTTP2-Settings header: upgrading to h2c */
	char     name[CX_CREDNAME_LEN];  /* a header's or query parameter's */
};

void     cx_srcredact_init(struct cx_srcredact *s);
/* A fresh random key (getrandom), names untouched; -1 if the kernel
 * gives none. */
int      cx_srcredact_key_new(struct cx_srcredact_key *k);
/*
 * Scan in[0..n): 0 if nothing in it is to be hidden (record in as it is),
 * 1 if out[0..n) holds the bytes to record instead, CX_SRCREDACT_DROP if
 * the stream is HTTP/2 (it began with the connection preface): its
 * headers are compressed, nothing can be hidden in them, so nothing of it
 * is to be recorded, in either direction, from this call on.  out must
 * have room for n bytes and may not overlap in.
 */
#define CX_SRCREDACT_DROP       2
int      cx_srcredact(struct cx_srcredact *s, const struct cx_srcredact_key *k,
    const uint8_t *in, size_t n, uint8_t *out);
/*
 * A command-line argument (argv in process frames and notes), in place:
 * wherever a credential header appears in it ("-H 'Cookie: ...'", at its
 * start, after "-H", or after a space, quote or '=') its value is replaced
 * up to the quote that opened it or the end of the line; so is the value
 * of --cookie, --user, --proxy-user, --oauth2-bearer, --password,
 * --api-key, --token (after '=' or a blank, or the whole argument when
 * prev, the argument before it, is such an option), and the value of a
 * credential query parameter ("https://h/p?key=...", "key=...": the name
 * at the argument's start or after '?', '&', a blank or a quote, then
 * '=') up to the next '&', '#', blank, quote or the end (the same bytes
 * as in the stream).  Returns how many
 * were replaced.  (Short options such as curl's -b and -u mean other
 * things to other programs: not recognised.)
 */
size_t   cx_srcredact_arg(const struct cx_srcredact_key *k, char *s,
    const char *prev);
/*
 * A URL or request target s[0..n) (a route frame's), in place: each
 * credential query parameter's value after a '?' or '&' replaced as the
 * stream scanner replaces it (the same bytes, the same fingerprint).
 * Returns how many were replaced.
 */
size_t   cx_srcredact_url(const struct cx_srcredact_key *k, char *s,
    size_t n);
/*
 * Is this stream HTTP/2: did it begin with the preface, or ask for the
 * h2c upgrade (an HTTP2-Settings header; HTTP/2 follows that head)?  Then
 * every later call says CX_SRCREDACT_DROP.
 */
int      cx_srcredact_h2(const struct cx_srcredact *s);

/* Both directions of one connection; zero it. */
struct cx_srcredact_conn {
	struct cx_srcredact dir[2];     /* 0: client to server */
	uint8_t  said;                  /* CX_SRCREDACT_DROP returned */
};

/*
 * cx_srcredact on direction d of a connection, where HTTP/2 seen either
 * way stops both: CX_SRCREDACT_DROP once (say why nothing more is
 * recorded), CX_SRCREDACT_DROPPED on every call after.
 */
#define CX_SRCREDACT_DROPPED    3
int      cx_srcredact_conn(struct cx_srcredact_conn *c, int d,
    const struct cx_srcredact_key *k, const uint8_t *in, size_t n,
    uint8_t *out);
/* Is w[0..n) an Authorization scheme whose word is shown (Bearer...)? */
int      cx_srcredact_scheme(const char *w, size_t n);
/* SipHash-2-4 of p[0..n) (exposed for the tests). */
uint64_t cx_siphash(const struct cx_srcredact_key *k, const void *p, size_t n);

#endif
