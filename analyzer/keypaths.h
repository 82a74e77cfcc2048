/*
 * keypaths.h: the shape of JSON documents: every key path seen, with its
 * JSON types, how often, and one short example value.
 *
 * Paths: object members joined with "." (`response.usage.output_tokens`),
 * array elements folded to "[]" (`input[].content[].type`); a key that is
 * not identifier-like ([A-Za-z_$][A-Za-z0-9_$]*) is written quoted,
 * `["a b"]`, as a JSON string.  The root itself has no path (an array
 * root's elements are `[]`, a scalar root is the path "").
 *
 * Examples are the first non-container value seen at a path, as JSON text,
 * strings cut to about CX_KEYPATH_EXAMPLE characters.  With redaction, the
 * value of a secret key (redact.h), and everything under it, is
 * CX_REDACTED, and strings are redacted before being cut.
 *
 * Ownership: a cx_keypaths owns its paths and examples; pointers from
 * cx_keypaths_get are valid until the next add or cx_keypaths_free.
 */
#ifndef CX_KEYPATHS_H
#define CX_KEYPATHS_H

#include <stddef.h>
#include <stdint.h>

#include <cJSON.h>

#define CX_KEYPATH_EXAMPLE      40      /* characters of an example */

enum {
	CX_KT_STRING = 0x01,
	CX_KT_NUMBER = 0x02,
	CX_KT_BOOLEAN = 0x04,
	CX_KT_NULL = 0x08,
	CX_KT_OBJECT = 0x10,
	CX_KT_ARRAY = 0x20,
};

struct cx_keypath {
	char            *path;
	unsigned         types;         /* CX_KT_* seen */
	uint64_t         count;
	char            *example;       /* NULL: none (containers only) */
};

struct cx_keypaths;

/* max_paths: distinct paths kept (0: no limit); redact: hide secrets. */
struct cx_keypaths *cx_keypaths_new(size_t max_paths, int redact);
void     cx_keypaths_free(struct cx_keypaths *kp);      /* NULL is fine */
/* Walk one document. */
void     cx_keypaths_add(struct cx_keypaths *kp, const cJSON *doc);
/* Parse p[0..n) and walk it: 0, or -1 if it is not JSON. */
int      cx_keypaths_add_text(struct cx_keypaths *kp, const char *p,
    size_t n);
/*
 * The same for text known to be JSON (cx_json_check said so), walked
 * without building a cJSON tree: the same paths, counts and examples.
 */
void     cx_keypaths_add_json(struct cx_keypaths *kp, const char *p,
    size_t n);
/* A message's body, content-decoded (view.h), walked when it is JSON. */
struct cx_msg;
void     cx_keypaths_add_body(struct cx_keypaths *kp, const struct cx_msg *m);
/* The same in two parts, perhaps on two threads: is m's body JSON (its
 * check); its key paths when it is (json: what the first said), not
 * checked again. */
int      cx_keypaths_body_json(const struct cx_msg *m);
void     cx_keypaths_add_body_as(struct cx_keypaths *kp,
    const struct cx_msg *m, int json);
/* Documents walked. */
uint64_t cx_keypaths_docs(const struct cx_keypaths *kp);
/* Distinct paths kept, in order of path (bytewise) once sorted. */
size_t   cx_keypaths_count(const struct cx_keypaths *kp);
void     cx_keypaths_sort(struct cx_keypaths *kp);
const struct cx_keypath *cx_keypaths_get(const struct cx_keypaths *kp,
    size_t i);
/* Values not tabulated because their path came after the cap. */
uint64_t cx_keypaths_dropped(const struct cx_keypaths *kp);
/* "string", "number|null", ... into buf. */
void     cx_keypath_types(char *buf, size_t len, unsigned types);

#endif
