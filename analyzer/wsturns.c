/* wsturns.c: turns of the Responses API on a WebSocket (wsturns.h). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cJSON.h>

#include "ws.h"
#include "wsturns.h"
#include "xmalloc.h"

/* The "type" of a JSON text message, or NULL: in *o (to free). */
static const char *
msg_type(const struct cx_wsmsg *m, cJSON **o)
{
	const cJSON *t;

	*o = NULL;
	if (m->opcode != 0x1)
		return NULL;
	*o = cJSON_ParseWithLength(m->data, m->len);
	t = cJSON_GetObjectItemCaseSensitive(*o, "type");
	return cJSON_IsString(t) ? t->valuestring : NULL;
}

static int
is_request(const char *type)
{
	return type != NULL && (strcmp(type, "response.create") == 0 ||
	    strcmp(type, "response.append") == 0);
}

static int
is_final(const char *type)
{
	return type != NULL && (strcmp(type, "response.completed") == 0 ||
	    strcmp(type, "response.failed") == 0 ||
	    strcmp(type, "response.incomplete") == 0 ||
	    strcmp(type, "error") == 0);
}

size_t
cx_ws_turns(const struct cx_exchange *ex,
    void (*fn)(void *arg, const struct cx_exchange *turn), void *arg)
{
	size_t turns = 0;

	for (size_t i = 0; i < ex->nws; i++) {
		const struct cx_wsmsg *q = &ex->ws[i];
		struct cx_exchange t;
		struct cx_event *ev = NULL;
		char **types = NULL;
		size_t nev = 0, k;
		cJSON *o = NULL;
		char kind[32];
		int final = 0;

		const char *qt = q->dir == CX_WS_CLIENT ? msg_type(q, &o) : NULL;

		if (!is_request(qt)) {
			cJSON_Delete(o);
			continue;
		}
		/* "response.create" or "response.append": the view's method */
		snprintf(kind, sizeof(kind), "%s", qt);
		cJSON_Delete(o);
		/* Its events: the server's text messages after it. */
		for (k = i + 1; k < ex->nws && !final; k++) {
			const struct cx_wsmsg *m = &ex->ws[k];
			const char *type;

			if (m->dir == CX_WS_CLIENT) {
				type = msg_type(m, &o);
				int next = is_request(type);
				cJSON_Delete(o);
				if (next)
					break;
				continue;
			}
			if (m->opcode != 0x1)
				continue;
			type = msg_type(m, &o);
			ev = xreallocarray(ev, nev + 1, sizeof(*ev));
			types = xreallocarray(types, nev + 1, sizeof(*types));
			types[nev] = xstrdup(type != NULL ? type : "message");
			memset(&ev[nev], 0, sizeof(ev[nev]));
			ev[nev].ts = m->ts;
			ev[nev].event = types[nev];
			ev[nev].data = m->data;
			ev[nev].data_len = m->len;
			ev[nev].partial = m->partial;
			ev[nev].truncated = m->truncated;
			final = is_final(type);
			nev++;
			cJSON_Delete(o);
		}
		/* What lies between is no request: go on from where this
		 * turn ended rather than parse it again. */
		i = k - 1;
		/* The view: the message as a request, an event stream back. */
		t = *ex;
		t.start = q->ts;
		t.req.method = kind;
		memset(&t.req.body, 0, sizeof(t.req.body));
		t.req.body.p = (uint8_t *)q->data;
		t.req.body.len = q->len;
		t.req.body_bytes = q->len;
		t.req.t_first = t.req.t_last = q->ts;
		t.resp.sse = 1;
		t.resp.events = ev;
		t.resp.nevents = nev;
		t.resp.complete = final;
		t.resp.t_first = nev > 0 ? ev[0].ts : q->ts;
		t.resp.t_last = nev > 0 ? ev[nev - 1].ts : q->ts;
		t.ws = NULL;
		t.nws = 0;
		fn(arg, &t);
		turns++;
		for (size_t j = 0; j < nev; j++)
			free(types[j]);
		free(types);
		free(ev);
	}
	return turns;
}
