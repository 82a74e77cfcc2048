/*
 * strmap.h: a string-to-string hash map of bounded size, for what the
 * analyzer remembers across a trace (a tool call's name by its call id).
 * When it holds max entries and a new key comes, it is emptied first:
 * what is remembered is then the recent past, and memory stays bounded
 * whatever the trace's size.
 *
 * Ownership: the map copies keys and values; a value returned by
 * cx_strmap_get is valid until the next put or free.
 */
#ifndef CX_STRMAP_H
#define CX_STRMAP_H

#include <stddef.h>

struct cx_strmap;

struct cx_strmap *cx_strmap_new(size_t max);
void     cx_strmap_free(struct cx_strmap *m);           /* NULL is fine */
void     cx_strmap_put(struct cx_strmap *m, const char *key,
    const char *value);
const char *cx_strmap_get(const struct cx_strmap *m, const char *key);
size_t   cx_strmap_count(const struct cx_strmap *m);

#endif
