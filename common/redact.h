/*
 * redact.h: hide credentials in what decode prints.
 *
 * What counts as a credential (docs/jsonl.md, "Redaction"):
 *  - the values of the credential headers (credname.h: authorization,
 *    proxy-authorization, cookie, set-cookie, x-api-key, api-key,
 *    openai-api-key, chatgpt-account-id, x-goog-api-key and the names
 *    added to the set in use; an auth scheme word and cookie names are
 *    kept: "Bearer [REDACTED]");
 *  - the value of a URL-query or form parameter named as a credential
 *    query parameter (credname.h: key, api_key, access_token, ...);
 *  - the value of a JSON key named access_token, refresh_token, id_token,
 *    api_key, apikey, client_secret, password, secret or token (any case);
 *  - anywhere in any text: API keys ("sk-" and 16 or more of
 *    [A-Za-z0-9_-]; Google's "AIza" and 35 or more of them), JWTs (three
 *    base64url segments joined by dots, the first starting "eyJ"), the
 *    token after "Bearer ", and a quoted secret key's quoted value in text
 *    that is not valid JSON.
 * Each is replaced by its redacted form (cx_redact_secret): a long secret
 * by its first CX_REDACT_HEAD and last CX_REDACT_TAIL characters around
 * "...", so that keys can be told apart ("sk-ab...7f3c"), anything else by
 * CX_REDACTED.  The scheme of an Authorization value is kept, and only a
 * Bearer token gets the partial form ("Bearer eyJhb...x9Qk"; "Basic
 * [REDACTED]").  The functions work on bytes and append to a buffer; they
 * never produce a byte that was not in the input or in the markers, and
 * the partial form keeps only ASCII letters, digits and "-_~+/=", so valid
 * UTF-8 (and a JSON string's escapes) stay valid.
 */
#ifndef CX_REDACT_H
#define CX_REDACT_H

#include <stddef.h>

#include "bytebuf.h"

#define CX_REDACTED     "[REDACTED]"
/*
 * The partial form shows CX_REDACT_HEAD + CX_REDACT_TAIL = 9 characters;
 * it is used only when that is under a quarter of the secret, i.e. for
 * secrets of at least CX_REDACT_PARTIAL_MIN = 37 bytes whose shown
 * characters are all [A-Za-z0-9-_~+/=].
 */
#define CX_REDACT_HEAD          5
#define CX_REDACT_TAIL          4
#define CX_REDACT_PARTIAL_MIN   (4 * (CX_REDACT_HEAD + CX_REDACT_TAIL) + 1)

/*
 * The credential names the functions below use from now on (NULL: the
 * base); the caller keeps set alive while it is in use (decode installs
 * its own for one cx_decode).  Returns the set used until now.  Not for
 * use by two threads at once.
 */
struct cx_credname;
const struct cx_credname *cx_redact_use_names(const struct cx_credname *set);
/* Is a header with this name a credential? */
int      cx_redact_is_secret_header(const char *name);
/* Is a URL-query or form parameter with this name a credential? */
int      cx_redact_is_secret_query(const char *name, size_t len);
/* Is a JSON key with this name a credential? */
int      cx_redact_is_secret_key(const char *key, size_t len);

/* Is v[0..n) a value --redact-at-source replaced (srcredact.h): exactly
 * "[cxrec:" 16 hex "]" then asterisks, or asterisks alone?  Shown as it is. */
int      cx_redact_is_fingerprint(const char *v, size_t n);

/* Each appends the redacted form of its input to out and returns how many
 * things were redacted. */
/* The whole of s[0..n) is a secret: its partial form, or CX_REDACTED. */
size_t   cx_redact_secret(struct cx_buf *out, const char *s, size_t n);
size_t   cx_redact_text(struct cx_buf *out, const char *s, size_t n);
/*
 * One argument of a command line as `--redact-at-source` records it
 * (argv in process frames and notes): a credential header or secret
 * option value in it fingerprinted as cx_srcredact_arg does (prev: the
 * argument before it, or NULL), then whatever else cx_redact_text finds.
 * A new string (caller frees).
 */
struct cx_srcredact_key;
char    *cx_redact_arg(const struct cx_srcredact_key *k, const char *arg,
    const char *prev);
size_t   cx_redact_header(struct cx_buf *out, const char *name,
    const char *value);
/*
 * s[0..n) is the raw content of a JSON string (escapes not decoded) with no
 * \u or \/ escape, and s[i] a '-', 'J', 'z', 'b', 'B' or the '\\' of a \"
 * escape.  Could cx_redact_text find a secret at that byte in the decoded
 * string?  1 if it could (also, at times, when it would not), 0 if not.
 * n may run past the closing quote.
 */
int      cx_redact_json_suspect(const char *s, size_t n, size_t i);
/* A URL (secret query parameters) or, with form set, a form body.  A
 * value --redact-at-source put a fingerprint in is shown as it is. */
size_t   cx_redact_query(struct cx_buf *out, const char *s, size_t n,
    int form);

#endif
