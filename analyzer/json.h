/*
 * json.h: writing JSON, and re-writing JSON found in bodies.
 *
 * Writers: strings are always written as valid UTF-8 JSON, whatever bytes
 * they are given (see cx_json_str).
 *
 * Re-writer: a body or an SSE data field that is JSON is embedded in the
 * output as a JSON value.  cx_json_check validates it (RFC 8259, UTF-8,
 * nesting at most CX_JSON_MAX_DEPTH); cx_json_emit validates and copies it
 * in one pass, compact or indented, with numbers and unredacted strings
 * copied byte for byte (no float round trip), and, with CX_JSON_REDACT,
 * the values of secret keys and the secrets inside strings replaced
 * (redact.h).
 */
#ifndef CX_JSON_H
#define CX_JSON_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "bytebuf.h"

#define CX_JSON_MAX_DEPTH       512

#define CX_JSON_REDACT  0x01    /* hide secrets */
#define CX_JSON_PRETTY  0x02    /* two-space indent, one member a line */
#define CX_JSON_SCALAR  0x04    /* accept any value, not only {} and [] */

/* Is p[0..n) valid UTF-8 (no overlongs, no surrogates)? */
int      cx_utf8_valid(const uint8_t *p, size_t n);
/* The length of the valid UTF-8 sequence at p, or 0. */
size_t   cx_utf8_seq(const uint8_t *p, size_t n);

/*
 * Write s[0..n) as a JSON string.  A byte that is not part of valid UTF-8
 * is written as the character of the same value in Latin-1 (U+0080 to
 * U+00FF), so the output is always valid.
 */
void     cx_json_str(FILE *f, const char *s, size_t n);
/* The same, appended to a buffer. */
void     cx_json_str_buf(struct cx_buf *b, const char *s, size_t n);
/* A C string as a JSON string, or null when s is NULL. */
void     cx_json_cstr(FILE *f, const char *s);
/* p[0..n) in base64 (RFC 4648, padded) as a JSON string. */
void     cx_json_base64(FILE *f, const uint8_t *p, size_t n);
void     cx_json_base64_buf(struct cx_buf *b, const uint8_t *p, size_t n);
/* Base64 text without quotes. */
void     cx_base64(FILE *f, const uint8_t *p, size_t n);

/*
 * Is p[0..n) one JSON value (surrounded by whitespace at most), its strings
 * valid UTF-8? 1 or 0.
 */
int      cx_json_check(const char *p, size_t n, int flags);
/*
 * Append the JSON text p[0..n) to b, checking it as cx_json_check does.
 * With CX_JSON_PRETTY, every line after the first starts with indent.
 * Returns the number of secrets redacted, or -1 if p is not JSON: then b
 * is as it was.  No need to check first.
 */
long     cx_json_emit(struct cx_buf *b, const char *p, size_t n, int flags,
    const char *indent);
/* The same, written to f (nothing written if p is not JSON). */
long     cx_json_write(FILE *f, const char *p, size_t n, int flags,
    const char *indent);

#endif
