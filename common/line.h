/*
 * line.h: one line of text formatted into a fixed buffer (the preload's
 * diagnostics and the lines of its errors file, which cxrec run's ring
 * drainers write too: preload.h's CXREC_PRELOAD_ERRORS).
 */
#ifndef CX_LINE_H
#define CX_LINE_H

#include <stdarg.h>
#include <stddef.h>

/*
 * fmt and ap into line (cap bytes, at least 2), cut to fit and ended with
 * '\n' (no NUL after it): the line's length with its newline, or 0 when
 * fmt cannot be formatted.
 */
size_t   cx_vline(char *line, size_t cap, const char *fmt, va_list ap)
    __attribute__((format(printf, 3, 0)));

#endif
