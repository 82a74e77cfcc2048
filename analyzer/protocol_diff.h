/*
 * protocol_diff.h: what changed between two protocols (protocol.h's
 * models; cxrec diff, docs/diff.md), as a person wants to read it:
 * endpoints and their transports added or removed; the model API's calls
 * compared as one (their transports and request headers, whatever their
 * endpoints became); per endpoint, request headers added or removed and
 * constants whose value changed, request body, SSE event and WebSocket
 * message key paths added or removed and their types changed, event and
 * message types added or removed; tools added or removed and, per tool,
 * parameters added or removed, their types and what is required; the
 * instructions added or removed, and the main one of each role as a
 * unified diff (when both models carry the texts: --full, or read from
 * traces).
 *
 * What always varies is not a difference: counts, examples, a
 * credential's value, and a constant's value once its digit and hex runs
 * are folded (ids, times, lengths, ports, versions: the versions show in
 * the agents line).
 *
 * The result is a model too (JSON), rendered as text or Markdown.
 */
#ifndef CX_PROTOCOL_DIFF_H
#define CX_PROTOCOL_DIFF_H

#include <stdio.h>

#include <cJSON.h>

/* a and b as the diff's model (the caller frees it); its "changed" is
 * true when anything differs. */
cJSON   *cx_protocol_diff(const cJSON *a, const cJSON *b);
int      cx_protocol_diff_changed(const cJSON *d);
/* As text (md 0) or Markdown (md 1). */
void     cx_protocol_diff_write(FILE *f, const cJSON *d, int md);

#endif
