/* jsonstr.h: JSON string escaping for writers that build JSON with printf. */
#ifndef CX_JSONSTR_H
#define CX_JSONSTR_H

#include <stddef.h>

/*
 * Escape len bytes of s as the inside of a JSON string into out (always
 * NUL-terminated).  Control bytes become \u00XX; bytes >= 0x80 are copied
 * (callers pass UTF-8).  Returns out.  Truncates, marking "...", when out
 * is too small.
 */
char *json_escape(char *out, size_t outlen, const char *s, size_t len);

#endif
