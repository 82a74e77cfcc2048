/*
 * tracegen.h: synthetic traces for the decode tests: a temporary
 * directory per test, a trace in it, frames placed at a time in ms after
 * the trace's anchor.
 */
#ifndef CX_TRACEGEN_H
#define CX_TRACEGEN_H

#include <stddef.h>
#include <stdint.h>

#include "trace.h"

#define MS      INT64_C(1000000)

extern char                     tg_dir[64];     /* this test's directory */
extern char                     tg_path[256];   /* tg_dir/trace.bin */
extern struct cx_file_info      tg_info;        /* of the last trace made */

/* A fresh /tmp/cxrec-test-NAME.XXXXXX; the fixture's setup. */
void    tg_setup(const char *name);
/* Remove it; the fixture's teardown. */
void    tg_teardown(void);
/* Create a trace at p and remember its anchor in tg_info. */
struct cx_writer *tg_create(const char *p);
/* One frame t ms after the anchor (asserts it was written). */
void    tg_put(struct cx_writer *w, uint8_t kind, uint8_t source, uint8_t dir,
    uint64_t conn, double t, const void *p, size_t n);

#endif
