/*
 * exchange.c: the exchanges and the analysis's lifecycle (see exchange.h):
 * an exchange's making, errors and freeing, the analysis's creation, its
 * end (sorting and numbering) and freeing.  The pieces, sharing
 * exchange_int.h: exchange_conn.c (the connection table),
 * exchange_http.c (HTTP parser callbacks, event streams, WebSocket),
 * exchange_frames.c (the trace's frames), exchange_end.c (how a
 * connection's end is told to its exchanges), exchange_stream.c (handing
 * exchanges over as the trace goes).
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "exchange_int.h"

#define MAX_ERROR_TEXT          4096

/* --- small helpers ----------------------------------------------------- */

const char *
cx_fields_get(const struct cx_fields *f, const char *name)
{
	for (size_t i = 0; i < f->n; i++)
		if (strcasecmp(f->v[i].name, name) == 0)
			return f->v[i].value;
	return NULL;
}

static void
fields_free(struct cx_fields *f)
{
	for (size_t i = 0; i < f->n; i++) {
		free(f->v[i].name);
		free(f->v[i].value);
	}
	free(f->v);
	f->v = NULL;
	f->n = 0;
}

/* Remember why the client went away; decided at the end (ex_client_done). */
void
ex_set_client_closed(struct cx_exchange *ex, const char *msg)
{
	if (ex->client_closed == NULL)
		ex->client_closed = xstrdup(msg);
}

void
ex_add_error(struct cx_exchange *ex, const char *fmt, ...)
{
	char msg[1024];
	va_list ap;
	size_t old;
	char *e;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	if (ex->error == NULL) {
		ex->error = xstrdup(msg);
		return;
	}
	old = strlen(ex->error);
	if (old > MAX_ERROR_TEXT || strstr(ex->error, msg) != NULL)
		return;
	e = xasprintf("%s; %s", ex->error, msg);
	free(ex->error);
	ex->error = e;
}

/* --- exchanges --------------------------------------------------------- */

static void
msg_init(struct cx_msg *m)
{
	memset(m, 0, sizeof(*m));
	cx_buf_init(&m->body, CX_EXCHANGE_MAX_BODY);
}

static void
msg_free(struct cx_msg *m)
{
	free(m->method);
	free(m->target);
	free(m->reason);
	fields_free(&m->fields);
	fields_free(&m->trailers);
	cx_buf_free(&m->body);
	for (size_t i = 0; i < m->ninterim; i++) {
		free(m->interim[i].reason);
		fields_free(&m->interim[i].fields);
	}
	free(m->interim);
	for (size_t i = 0; i < m->nevents; i++)
		free(m->events[i].data);       /* event and id are in it */
	free(m->events);
	free(m->sse_encoding);
	free(m->sse_error);
}

void
exchange_free(struct cx_exchange *ex)
{
	if (ex == NULL)
		return;
	msg_free(&ex->req);
	msg_free(&ex->resp);
	free(ex->comm);
	free(ex->upstream);
	free(ex->route);
	free(ex->error);
	free(ex->client_closed);
	free(ex->note);
	for (size_t i = 0; i < ex->nws; i++) {
		free(ex->ws[i].data);
		free(ex->ws[i].note);
	}
	free(ex->ws);
	free(ex);
}

struct cx_exchange *
exchange_new(struct cx_analysis *a, uint8_t source, uint64_t conn, int64_t ts)
{
	struct cx_exchange *ex = xcalloc(1, sizeof(*ex));

	ex->order = a->order++;
	ex->source = source;
	ex->conn = conn;
	ex->seq = CX_NO_SEQ;
	ex->start = ts;
	msg_init(&ex->req);
	msg_init(&ex->resp);
	if (a->r.nex == a->aex) {
		a->aex = a->aex ? a->aex * 2 : 64;
		a->r.ex = xreallocarray(a->r.ex, a->aex, sizeof(*a->r.ex));
	}
	a->r.ex[a->r.nex++] = ex;
	return ex;
}

void
ex_set_route(struct cx_exchange *ex, const char *upstream, const char *route)
{
	if (upstream != NULL) {
		free(ex->upstream);
		ex->upstream = xstrdup(upstream);
	}
	if (route != NULL) {
		free(ex->route);
		ex->route = xstrdup(route);
	}
}

struct cx_analysis *
cx_analysis_new(const struct cx_file_info *info)
{
	struct cx_analysis *a = xcalloc(1, sizeof(*a));

	if (info != NULL)
		a->info = *info;
	a->procs = cx_procs_new(conn_assign, a);
	a->r.procs = a->procs;
	return a;
}

int
ex_cmp_start(const void *x, const void *y)
{
	const struct cx_exchange *a = *(struct cx_exchange *const *)x;
	const struct cx_exchange *b = *(struct cx_exchange *const *)y;

	if (a->start != b->start)
		return a->start < b->start ? -1 : 1;
	return a->order < b->order ? -1 : a->order > b->order;
}

/* Last touches before an exchange is shown: notes, process names. */
void
ex_finalize(struct cx_analysis *a, struct cx_exchange *ex)
{
	ex_client_done(ex);
	if (ex->pid == 0)
		return;
	ex->proc = cx_procs_get(a->procs, ex->pid);
	if (ex->comm == NULL && ex->proc != NULL && ex->proc->comm != NULL)
		ex->comm = xstrdup(ex->proc->comm);
}

void
cx_analysis_finish(struct cx_analysis *a)
{
	for (size_t b = 0; b < NBUCKETS; b++)
		while (a->buckets[b] != NULL)
			conn_end(a, a->buckets[b], "the trace ended");
	while (a->frags != NULL)
		ex_frag_drop(a, a->frags);
	if (a->emit != NULL) {
		ex_stream_flush(a, 1);
		return;
	}
	for (size_t i = 0; i < a->r.nex; i++)
		ex_finalize(a, a->r.ex[i]);
	if (a->r.nex > 1)
		qsort(a->r.ex, a->r.nex, sizeof(*a->r.ex), ex_cmp_start);
	for (size_t i = 0; i < a->r.nex; i++)
		a->r.ex[i]->id = i + 1;
}

const struct cx_analysis_result *
cx_analysis_result(const struct cx_analysis *a)
{
	return &a->r;
}

void
cx_analysis_free(struct cx_analysis *a)
{
	if (a == NULL)
		return;
	for (size_t b = 0; b < NBUCKETS; b++)
		while (a->buckets[b] != NULL) {
			struct conn *c = a->buckets[b];

			a->buckets[b] = c->next;
			conn_free(c);
		}
	while (a->frags != NULL)
		ex_frag_drop(a, a->frags);
	for (size_t i = 0; i < a->r.nex; i++)
		exchange_free(a->r.ex[i]);
	free(a->r.ex);
	for (size_t i = 0; i < a->r.nnotes; i++)
		free(a->r.notes[i].text);
	free(a->r.notes);
	cx_procs_free(a->procs);
	free(a);
}
