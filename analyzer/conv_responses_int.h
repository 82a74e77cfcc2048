/*
 * conv_responses_int.h: INTERNAL to the OpenAI Responses adapter
 * (conv_responses.c, conv_responses_request.c); nothing else includes it.
 * The adapter's public face is cx_api_responses (conv.h).
 */
#ifndef CX_CONV_RESPONSES_INT_H
#define CX_CONV_RESPONSES_INT_H

#include <cJSON.h>

#include "conv.h"

/*
 * One item (input or output) into l; dflt: the role of a message without
 * one.  t: for additional_tools, whose tools are the turn's (NULL: none).
 */
void     responses_add_item(struct cx_turn *t, struct cx_items *l,
    const cJSON *item, enum cx_role dflt);
/* A request body (a JSON object) into t; h: the request's header fields. */
void     responses_request(struct cx_turn *t, const cJSON *body,
    const struct cx_fields *h);
/* A request body that is not JSON: its bytes, raw, as one item. */
void     responses_request_raw(struct cx_turn *t, const struct cx_msg *m,
    const char *why);

#endif
