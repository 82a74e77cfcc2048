/*
 * wsturns.h: the Responses API's turns on a WebSocket (codex's
 * responses_websockets), as the report and the conversation view see
 * turns: each client text message of type response.create or
 * response.append is a request, and the server's text messages after it,
 * up to its response.completed (or response.failed, response.incomplete,
 * error), are its events, as an SSE stream's would be (event: their
 * "type").  So the turns of a socket look like those of POST .../responses.
 */
#ifndef CX_WSTURNS_H
#define CX_WSTURNS_H

#include "exchange.h"

/*
 * fn once a turn of ex (an exchange with WebSocket messages), with a view
 * of it as an exchange: the request's body is the client's message, the
 * response's events the server's messages.  The view lives during the
 * call only.  Returns the number of turns (0: not the Responses API).
 */
size_t   cx_ws_turns(const struct cx_exchange *ex,
    void (*fn)(void *arg, const struct cx_exchange *turn), void *arg);

#endif
