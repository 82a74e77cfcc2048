/*
 * exchange_end.c: the end of a connection told to its exchanges (what is
 * cut short, what never came, what a hang-up means), and whether a
 * client's hang-up after a stream's final event is only a note.
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "exchange_int.h"

/*
 * Does this SSE event end a stream (Responses API, or OpenAI's [DONE])?
 * Decided here, at decode time, for the exchange's error or note: the
 * conversation adapters (conv.h) sit above exchange.c and read finished
 * exchanges, so this knowledge stays below them.
 */
static int
terminal_event(const struct cx_event *ev)
{
	static const char *names[] = { "response.completed",
	    "response.failed", "response.incomplete", "response.done" };
	const char *type = ev->event;
	cJSON *j = NULL;
	int yes = 0;

	if (ev->partial)
		return 0;
	if (strcmp(ev->data, "[DONE]") == 0)
		return 1;
	if (type == NULL || strcmp(type, "message") == 0) {
		j = cJSON_ParseWithLength(ev->data, ev->data_len);
		const cJSON *t = j ? cJSON_GetObjectItemCaseSensitive(j, "type") :
		    NULL;
		type = cJSON_IsString(t) ? t->valuestring : NULL;
	}
	for (size_t i = 0; type != NULL && i < sizeof(names) / sizeof(names[0]);
	    i++)
		if (strcmp(type, names[i]) == 0)
			yes = 1;
	cJSON_Delete(j);
	return yes;
}

/*
 * A client that hung up after the stream's final event got everything:
 * a note, not an error.  Otherwise the hang-up is an error.
 */
void
ex_client_done(struct cx_exchange *ex)
{
	const struct cx_msg *m = &ex->resp;

	if (ex->client_closed == NULL)
		return;
	if (ex->has_resp && m->sse && m->nevents > 0 &&
	    terminal_event(&m->events[m->nevents - 1])) {
		free(ex->note);
		ex->note = xasprintf("the client closed the connection "
		    "after the stream's final event (%s); %s",
		    m->events[m->nevents - 1].event ?
		    m->events[m->nevents - 1].event : "message",
		    ex->client_closed);
	} else
		ex_add_error(ex, "%s", ex->client_closed);
	free(ex->client_closed);
	ex->client_closed = NULL;
}

/*
 * The recorder stopped (its relay, at the end of a run) while a response
 * was still open: after the stream's final event the client had it all
 * (the agent exits as soon as it has, before the last chunk's end is
 * relayed), a note; otherwise an error.
 */
static void
recorder_stopped(struct cx_exchange *ex, const char *msg)
{
	const struct cx_msg *m = &ex->resp;

	if (ex->has_resp && m->sse && m->nevents > 0 &&
	    terminal_event(&m->events[m->nevents - 1])) {
		free(ex->note);
		ex->note = xasprintf("the recording stopped after the stream's "
		    "final event (%s); %s", m->events[m->nevents - 1].event ?
		    m->events[m->nevents - 1].event : "message", msg);
	} else
		ex_add_error(ex, "%s", msg);
}

/* The connection is over: why is in how ("the trace ended", ...). */
void
conn_end(struct cx_analysis *a, struct conn *c, const char *how)
{
	struct cx_exchange *ex;

	if (cx_http_eof(c->resp) == -1 && c->cresp != NULL) {
		char msg[1024];
		int stopped = strstr(how, "relay stopped") != NULL;

		snprintf(msg, sizeof(msg), "response incomplete: %s (%s)",
		    cx_http_error(c->resp), how);
		if (strncmp(how, "the client closed", 17) == 0) {
			ex_set_client_closed(c->cresp, msg);
			stopped = 0;
		} else if (!stopped)
			ex_add_error(c->cresp, "%s", msg);
		ex_sse_end(c);
		if (stopped)
			recorder_stopped(c->cresp, msg);
		c->cresp = NULL;
	}
	if (cx_http_eof(c->req) == -1 && c->creq != NULL) {
		ex_add_error(c->creq, "request incomplete: %s (%s)",
		    cx_http_error(c->req), how);
		c->creq = NULL;
	}
	for (size_t i = c->qhead; i < c->nreqs; i++) {
		ex = c->reqs[i];
		if (ex->has_resp && !ex->resp.complete)
			continue;       /* already said */
		if (cx_http_failed(c->resp))
			ex_add_error(ex, "no response could be decoded (the "
			    "response stream is not HTTP)");
		else
			ex_add_error(ex, "no response: %s", how);
	}
	if (c->tunnel != NULL) {
		c->tunnel->tunnel_req = cx_http_tunnel_bytes(c->req) +
		    c->unrecorded[0];
		c->tunnel->tunnel_resp = cx_http_tunnel_bytes(c->resp) +
		    c->unrecorded[1];
		if (c->tunnelled && c->tunnel->note == NULL)
			c->tunnel->note = xasprintf("tunnelled by the proxy, "
			    "not decrypted by it: %" PRIu64 " bytes up, %"
			    PRIu64 " down (--intercept; a preloaded program's "
			    "TLS plaintext is an exchange of its own)",
			    c->unrecorded[0], c->unrecorded[1]);
	}
	if (c->ws != NULL && c->tunnel != NULL) {
		cx_ws_finish(c->ws);
		for (int d = 0; d < 2; d++) {
			const char *e = cx_ws_error(c->ws, (enum cx_ws_dir)d);

			if (e != NULL)
				ex_add_error(c->tunnel, "WebSocket, %s: "
				    "%s (%" PRIu64 " bytes after it not decoded)",
				    d == CX_WS_CLIENT ? "client to server" :
				    "server to client", e,
				    cx_ws_skipped(c->ws, (enum cx_ws_dir)d));
		}
		c->tunnel->ws_deflate = cx_ws_deflate(c->ws);
	}
	if (c->tls && !c->plain && c->nreqs == 0) {
		/* Encrypted, and the keys' side was not seen: say so. */
		ex = conn_exchange(c);
		if (c->origin != NULL)
			ex->upstream = xasprintf("https://%s", c->origin);
		ex_add_error(ex, "TLS, not decrypted: %" PRIu64 " bytes sent, %"
		    PRIu64 " received (the program does not use the system's "
		    "OpenSSL through SSL_read and SSL_write)", c->tls_bytes[0],
		    c->tls_bytes[1]);
	}
	/* ROUTE and ERROR frames about requests the trace does not hold. */
	for (size_t i = 0; i < c->npend; i++) {
		struct pend *p = &c->pend[i];

		ex = exchange_new(a, c->source, c->id, p->ts);
		ex->seq = p->seq;
		ex->pid = c->pid;
		ex->tid = c->tid;
		ex->comm = c->comm ? xstrdup(c->comm) : NULL;
		ex_set_route(ex, p->upstream, p->route);
		if (p->error != NULL)
			ex_add_error(ex, "%s", p->error);
		else
			ex_add_error(ex, "the request's bytes are not in the "
			    "trace");
	}
	conn_unlink(a, c);
	conn_free(c);
}
