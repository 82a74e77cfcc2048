/*
 * report_timeline.h: the timeline's facts (report.h's tl, lanes, ticks),
 * collected by report.c exchange by exchange (internal to report*.c).
 */
#ifndef CX_REPORT_TIMELINE_H
#define CX_REPORT_TIMELINE_H

#include <stdint.h>

#include "exchange.h"
#include "report.h"

/* ex's row (ep: its endpoint's index in rep->ep, -1 when none). */
void     cx_report_timeline_add(struct cx_report *rep,
    const struct cx_exchange *ex, int32_t ep);
/* The lanes in the process tree (rep->procs): parent, depth, lane_order. */
void     cx_report_timeline_tree(struct cx_report *rep);
void     cx_report_timeline_free(struct cx_report *rep);

#endif
