/*
 * exchange_conn.c: the analysis's connections, by writer and conn id, and
 * the process each belongs to (see exchange_int.h).
 */
#include <stdlib.h>
#include <string.h>

#include "exchange_int.h"

static size_t
hash(uint8_t source, uint64_t id)
{
	uint64_t h = (id ^ ((uint64_t)source << 56)) * 0x9e3779b97f4a7c15ull;

	return (size_t)(h >> 52) % NBUCKETS;
}

struct conn *
conn_find(struct cx_analysis *a, uint8_t source, uint64_t id)
{
	struct conn *c;

	for (c = a->buckets[hash(source, id)]; c != NULL; c = c->next)
		if (c->source == source && c->id == id)
			return c;
	return NULL;
}

struct conn *
conn_get(struct cx_analysis *a, uint8_t source, uint64_t id)
{
	struct conn *c = conn_find(a, source, id);
	size_t b;

	if (c != NULL)
		return c;
	c = xcalloc(1, sizeof(*c));
	c->a = a;
	c->source = source;
	c->id = id;
	c->req = cx_http_new(CX_HTTP_REQUEST, &ex_req_cb, c);
	c->resp = cx_http_new(CX_HTTP_RESPONSE, &ex_resp_cb, c);
	b = hash(source, id);
	c->next = a->buckets[b];
	a->buckets[b] = c;
	a->r.connections++;
	return c;
}

void
conn_unlink(struct cx_analysis *a, struct conn *c)
{
	struct conn **pp;

	for (pp = &a->buckets[hash(c->source, c->id)]; *pp != NULL;
	    pp = &(*pp)->next)
		if (*pp == c) {
			*pp = c->next;
			break;
		}
}

void
conn_free(struct conn *c)
{
	if (c == NULL)
		return;
	free(c->origin);
	cx_ws_free(c->ws);
	cx_http_free(c->req);
	cx_http_free(c->resp);
	cx_sse_free(c->sse);
	cx_decoder_free(c->dec);
	for (size_t i = 0; i < c->npend; i++) {
		free(c->pend[i].upstream);
		free(c->pend[i].route);
		free(c->pend[i].error);
	}
	free(c->pend);
	free(c->reqs);
	free(c->comm);
	free(c);
}

/* The process behind a connection, from a frame header or a JSON object. */
void
conn_process(struct conn *c, const struct cx_frame *f, const cJSON *o)
{
	const struct cx_file_info *info = &c->a->info;
	const char *comm;
	double v;

	/* The relay's own pid in a relay frame is not the client's. */
	if (f->pid != 0 && !(f->source == CX_SRC_RELAY &&
	    f->pid == info->writer_pid)) {
		c->pid = f->pid;
		c->tid = f->tid;
	} else if (o != NULL && c->pid == 0) {
		if ((v = jnum(o, "pid")) > 0 && v <= UINT32_MAX)
			c->pid = (uint32_t)v;
		if ((v = jnum(o, "tid")) > 0 && v <= UINT32_MAX)
			c->tid = (uint32_t)v;
	}
	if (o != NULL && (comm = jstr(o, "comm")) != NULL) {
		free(c->comm);
		c->comm = xstrndup(comm, strnlen(comm, 256));
	}
}

struct cx_exchange *
conn_exchange(struct conn *c)
{
	struct cx_exchange *ex = exchange_new(c->a, c->source, c->id, c->now);

	ex->pid = c->pid;
	ex->tid = c->tid;
	ex->comm = c->comm ? xstrdup(c->comm) : NULL;
	return ex;
}

/*
 * The relay connection (source, conn) is pid/tid's: so are its exchanges,
 * those in progress and those that wait to be handed over.  A thread id
 * known already is not replaced by an unknown one.
 */
void
conn_assign(void *arg, uint8_t source, uint64_t conn, uint32_t pid,
    uint32_t tid, const char *comm)
{
	struct cx_analysis *a = arg;
	struct conn *c = conn_find(a, source, conn);

	if (c != NULL) {
		if (c->pid != pid || tid != 0)
			c->tid = tid;
		c->pid = pid;
		if (comm != NULL && *comm != '\0') {
			free(c->comm);
			c->comm = xstrdup(comm);
		}
	}
	for (size_t i = 0; i < a->r.nex; i++) {
		struct cx_exchange *ex = a->r.ex[i];

		if (ex->source != source || ex->conn != conn)
			continue;
		if (ex->pid != pid || tid != 0)
			ex->tid = tid;
		ex->pid = pid;
		if (comm != NULL && *comm != '\0') {
			free(ex->comm);
			ex->comm = xstrdup(comm);
		}
	}
}
