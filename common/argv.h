/*
 * argv.h: a command line as a frame payload records it (the run note, the
 * probe's exec events, /proc's process frames): one JSON array of
 * strings, each argument redacted as `--redact-at-source` asks.
 */
#ifndef CX_ARGV_H
#define CX_ARGV_H

#include <stddef.h>

#include "jsonobj.h"
#include "srcredact.h"

/*
 * The arguments NUL-separated in buf[0..n) (the last one perhaps
 * unterminated) as the array member key of j: each as cx_redact_arg
 * (redact.h) records it when k is set, else as it is.  Cut as jsonobj
 * cuts when j's buffer is too small (j->cut then says so).
 */
void    cx_argv_jobj(struct cx_jobj *j, const char *key, const char *buf,
    size_t n, const struct cx_srcredact_key *k);

#endif
