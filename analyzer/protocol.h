/*
 * protocol.h: what a recorded agent speaks, from one or more traces
 * (cxrec protocol; the JSON is docs/protocol-json.md): its endpoints
 * (method and path template, transports, statuses, hosts and how they
 * were reached), their request and response headers (constant or
 * varying, a redacted example), body key paths with JSON types and
 * counts, SSE event and WebSocket message types with their key paths, the
 * tools the agent offers its model (name, description, parameters'
 * schema), its instructions (size, SHA-256, first lines; the text with
 * full), and the order of its calls (before the first model call,
 * between model calls).
 *
 * The model is its JSON: cx_protocol_json builds it (stable: sorted,
 * counts apart from what they count), the Markdown (protocol_md.c) and
 * the diff (protocol_diff.h) read it, so a protocol saved as JSON and one read
 * from a trace are the same thing.
 *
 * Memory: bounded tables (at most CX_PROTOCOL_MAX_* of each; what is past
 * them is counted in "dropped"), the key paths' tables (keypaths.h), and
 * the instructions' texts (at most 1 MiB each).
 */
#ifndef CX_PROTOCOL_H
#define CX_PROTOCOL_H

#include <stddef.h>
#include <stdio.h>

#include <cJSON.h>

#define CX_PROTOCOL_VERSION     1       /* "cxrec_protocol" */
#define CX_PROTOCOL_MAX_ENDPOINTS 300
#define CX_PROTOCOL_MAX_HEADERS 100     /* names, an endpoint's each way */
#define CX_PROTOCOL_MAX_EVENTS  200     /* types, an endpoint's each way */
#define CX_PROTOCOL_MAX_TOOLS   500
#define CX_PROTOCOL_MAX_INSTRUCTIONS 64
#define CX_PROTOCOL_MAX_CALLS   100000  /* a trace's calls in order */

struct cx_protocol;

/* redact: hide secrets in examples (redact.h); full: keep the
 * instructions' texts. */
struct cx_protocol *cx_protocol_new(int redact, int full);
void     cx_protocol_free(struct cx_protocol *p);       /* NULL is fine */
/* Read the trace at path into p: 0, or -1 with a one-line err. */
int      cx_protocol_add_trace(struct cx_protocol *p, const char *path,
    char *err, size_t errlen);
/*
 * Stable (cxrec protocol --stable, for pages kept in a repository): the
 * same from every recording of the same session.  The traces' file names
 * without their directories; header examples with what always varies
 * folded (cx_protocol_fold), constant when their folded values are; no key path examples; of the sequence, the model calls and
 * the "other" calls, each a sorted set (calls made at once come in any
 * order: which came before the first model call is a race).
 */
void     cx_protocol_set_stable(struct cx_protocol *p, int on);
/*
 * s with what always varies folded, malloc'd: runs of digits, and runs of
 * 8 or more hex digits and dashes holding a digit (ids, hashes, UUIDs),
 * each as "#"; then what stays random (a run of base64 characters mixing
 * upper and lower case letters, of 16 or more with a digit or "#", or of
 * 20 or more: a WebSocket key, a nonce) as "…".
 */
char    *cx_protocol_fold(const char *s);
/* The model (the caller frees it); p's tables end up sorted. */
cJSON   *cx_protocol_json(struct cx_protocol *p);
/*
 * A model read back (cxrec protocol --format json's output): NULL with a
 * one-line err if it is not JSON, not an object, or its
 * "cxrec_protocol" is not a version this cxrec reads.
 */
cJSON   *cx_protocol_parse(const char *text, size_t len, char *err,
    size_t errlen);
/* The model as Markdown (protocol_md.c). */
void     cx_protocol_md(FILE *f, const cJSON *model);

#endif
