/*
 * export_child.h: `--export URL` of `cxrec run` and `cxrec relay`: `cxrec
 * export --follow` beside the recorder (docs/fleet.md, "Continuous
 * export").  It reads the trace file, never the recorder's memory, so a
 * destination slow, down or refusing cannot slow or break recording; it is
 * in a process group of its own (COMMAND's Ctrl-C is not its end),
 * started once the trace exists and before COMMAND's environment (its
 * preload, its proxies) is set, with its summary lines off (the terminal
 * is COMMAND's) and its one-line complaints on standard error.
 *
 * The URL goes in its environment (CXREC_EXPORT_URL), not on its command
 * line, which every user of the machine can read.
 *
 * It ends by itself when it has read the trace's END frame and the
 * destination took everything; export_child_stop waits o->export_wait_s
 * for that (a SIGINT or SIGTERM cuts the wait short), then stops it (its
 * cursor keeps what the destination has) and says how to resume; and says
 * so too when it ended with an error of its own (said on stderr).
 */
#ifndef CX_EXPORT_CHILD_H
#define CX_EXPORT_CHILD_H

#include <sys/types.h>

#include "relay_opts.h"

/* Start it when o->export_url is set; its pid, or 0 (none, or said). */
pid_t    export_child_start(const struct relay_opts *o);
/* Once the trace is closed: wait for it, then stop it.  pid 0 is fine. */
void     export_child_stop(pid_t pid, const struct relay_opts *o);

#endif
