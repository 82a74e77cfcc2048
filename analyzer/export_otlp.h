/*
 * export_otlp.h: a trace as OpenTelemetry spans (docs/fleet.md, "OTLP"):
 * the OTLP/HTTP JSON documents (ExportTraceServiceRequest in the OTLP
 * specification's JSON mapping) that `cxrec export --to otlp` POSTs to
 * URL/v1/traces; no network here (cli/http_post.c sends them).
 *
 * Spans, after the OpenTelemetry GenAI semantic conventions:
 *   invoke_agent [AGENT]       one per agent session (conv.h's sessions),
 *                              from its first model call's start to its
 *                              last one's end; no parent
 *   chat MODEL                 one per model call (conv.h's turn), child of
 *                              its session's span; kind CLIENT
 *   execute_tool NAME          one per tool call whose result a later
 *                              request carries, from the call's end to that
 *                              request's start; child of the session's span
 * The JSON mapping: traceId (16 bytes) and spanId (8 bytes) as lowercase
 * hex, times (unix ns, the recorded CLOCK_MONOTONIC stamps through the
 * trace header's realtime anchor) and intValue as decimal strings, kind
 * and status code as integers.  Ids are hashes of the trace's id
 * (export_rows.h's cx_export_trace_id) and the span's row (exchange,
 * turn, item; session number), so exporting twice sends the same ids.
 *
 * Content (gen_ai.input.messages, gen_ai.output.messages,
 * gen_ai.system_instructions, gen_ai.tool.definitions, JSON strings) only
 * with o->content; strings are redacted (output.h) unless o->redact is 0.
 *
 * Spans are handed over when the walk delivers (export_walk.h: at the
 * end, or following the trace, once caught up and at most every second),
 * in documents of at most o->batch spans; the session spans come when the
 * trace ends (their children name them by id before).
 *
 * Memory: the spans made since the last delivery.
 */
#ifndef CX_EXPORT_OTLP_H
#define CX_EXPORT_OTLP_H

#include <stddef.h>
#include <stdint.h>

#include "credname.h"
#include "export_walk.h"
#include "trace.h"

#define CX_OTLP_BATCH   200     /* spans a document, by default */

/* OTLP's enums (trace.proto) */
#define CX_OTLP_KIND_INTERNAL   1
#define CX_OTLP_KIND_CLIENT     3
#define CX_OTLP_STATUS_UNSET    0
#define CX_OTLP_STATUS_ERROR    2

struct cx_otlp_opts {
	int              content;       /* the messages too */
	int              redact;
	size_t           batch;         /* spans a document; 0: the default */
	/* Credential names redacted (credname.h); NULL: the base. */
	const struct cx_credname *names;
	/* How the trace is read (export_walk.h: following it, from a
	 * cursor), its redact and names replaced by the above; NULL: once,
	 * from its start. */
	const struct cx_xwalk_opts *walk;
	/* What the walk did (NULL: not asked). */
	struct cx_xwalk_stats *stats;
};

struct cx_otlp_stats {
	uint64_t         sessions, turns, tools, documents;
};

/* A document: JSON text, len bytes, living during the call.  Returns 0 to
 * go on, anything else to stop. */
typedef int (*cx_otlp_doc_fn)(void *arg, const char *json, size_t len);

/* The trace's OTLP trace id: 32 hex digits, into id[33]. */
void     cx_otlp_trace_id(const struct cx_file_info *info, char id[33]);

/* cx_export_otlp's failures: export_rows.h's CX_EXPORT_EINPUT (the trace
 * cannot be read), CX_EXPORT_ESTOPPED (fn asked to stop). */

/*
 * Read the trace at path and hand its spans to fn, in documents.  id (33
 * bytes, or NULL) gets the OTLP trace id, st (or NULL) the counts.
 * Returns 0, or a failure above with one line in err naming the file.
 */
int      cx_export_otlp(const char *path, const struct cx_otlp_opts *o,
    cx_otlp_doc_fn fn, void *arg, char *id, struct cx_otlp_stats *st,
    char *err, size_t errlen);

#endif
