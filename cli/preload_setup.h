/*
 * preload_setup.h: what cxrec run does for the LD_PRELOAD recorder
 * (preload/preload.h): find the library, put it in COMMAND's environment,
 * tell whether COMMAND can load it at all, and read back at the end what
 * went wrong in the processes that loaded it.
 */
#ifndef CX_PRELOAD_SETUP_H
#define CX_PRELOAD_SETUP_H

#include <stddef.h>

struct preload_setup {
	char     lib[4096];             /* the library, absolute */
	char     dir[2048];             /* a private directory for: */
	char     errors[4096];          /* the file its failures go to */
	int      active;
	struct ring_serve *ring;        /* the rings' drainers, or NULL */
};

/*
 * Set up COMMAND's environment (LD_PRELOAD, CXREC_TRACE made absolute,
 * CXREC_PRELOAD_ERRORS, CXREC_RING: the socket its processes hand their
 * rings to, unless CXREC_RING_SIZE is 0 or it cannot be had).  0, or -1 with why in err (the library is not
 * there, say): then nothing was changed.
 */
int      preload_setup(struct preload_setup *ps, const char *trace,
    char *err, size_t errlen);
/*
 * Why COMMAND (resolved on PATH) cannot load the library: a static or a
 * setuid binary; "" if it can, as far as can be told.
 */
void     preload_blind(const char *cmd, char *why, size_t len);
/* Drain and stop the rings; what the library's processes reported ("" if
 * nothing), and clean up.
 * Twice is fine, and so is a zeroed ps (out is then ""). */
void     preload_finish(struct preload_setup *ps, char *out, size_t len);

#endif
