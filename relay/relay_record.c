/*
 * relay_record.c: the relay's trace frames: the bytes each way as they
 * pass (data frames, with --redact-at-source applied), and the JSON frames
 * around them (open, route, error, close), built with jsonobj.h.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "jsonobj.h"
#include "proxy.h"
#include "relay_conn.h"
#include "srcredact.h"
#include "xmalloc.h"

void
relay_record(struct conn *c, uint8_t dir, const void *p, size_t n, int64_t ts)
{
	struct relay *r = c->r;
	struct cx_frame f;

	c->bytes[dir] += n;
	if (r->cfg.trace == NULL || n == 0 || c->norecord)
		return;
	if (r->cfg.redact_key != NULL) {
		if (r->scratch_len < n) {
			free(r->scratch);
			r->scratch = xmalloc(n);
			r->scratch_len = n;
		}
		switch (cx_srcredact_conn(&c->red, dir == CX_DIR_REQ ? 0 : 1,
		    r->cfg.redact_key, p, n, r->scratch)) {
		case 1:
			p = r->scratch;
			break;
		case CX_SRCREDACT_DROP:         /* HTTP/2 (an h2c upgrade) */
		case CX_SRCREDACT_DROPPED:
			return;
		}
	}
	memset(&f, 0, sizeof(f));
	f.kind = CX_K_DATA;
	f.source = c->source;
	f.dir = dir;
	f.conn = c->id;
	f.ts_ns = ts;
	f.payload = p;
	f.len = (uint32_t)n;
	cx_writer_put(c->r->cfg.trace, &f);
}

/* A JSON frame for connection c (kind: open, route, close, error). */
static void
record_json(struct conn *c, uint8_t kind, struct cx_jobj *j)
{
	cx_writer_jobj(c->r->cfg.trace, kind, c->source, c->id, j);
}

void
relay_record_open(struct conn *c, const char *peer, const char *local)
{
	char b[256];
	struct cx_jobj j;

	if (c->r->cfg.trace == NULL)
		return;
	cx_jobj_begin(&j, b, sizeof(b));
	cx_jobj_str(&j, "peer", peer);
	cx_jobj_str(&j, "local", local);
	record_json(c, CX_K_OPEN, &j);
}

void
relay_record_close(struct conn *c, const char *by, const char *reason)
{
	char b[2048];
	struct cx_jobj j;

	if (c->r->cfg.trace == NULL)
		return;
	cx_jobj_begin(&j, b, sizeof(b));
	cx_jobj_str(&j, "by", by);
	cx_jobj_str(&j, "reason", reason);
	if (c->px != NULL)
		proxy_conn_close_fields(c, &j);
	record_json(c, CX_K_CLOSE, &j);
}

void
relay_record_error(struct conn *c, int64_t seq, const char *msg)
{
	char b[2048];
	struct cx_jobj j;

	c->r->st.errors++;
	if (c->r->cfg.trace == NULL)
		return;
	cx_jobj_begin(&j, b, sizeof(b));
	if (seq >= 0)
		cx_jobj_i64(&j, "seq", seq);
	cx_jobj_str(&j, "error", msg);
	record_json(c, CX_K_ERROR, &j);
}

/*
 * The route frame of request head h (its bytes at b), sent to rt's
 * upstream as path.  The proxy's: "upstream" is the URL the client asked
 * for, "sent_to" where --map-host sent it instead.
 */
void
relay_record_route(struct conn *c, const uint8_t *b, const struct rh_head *h,
    const struct route *rt, const char *path)
{
	char up[MAX_TARGET + 1500], asked[MAX_TARGET + 400], tg[MAX_TARGET + 1];
	char out[64 * 1024];
	const char *sent_to = NULL;
	size_t tn = h->target.len < sizeof(tg) ? h->target.len : sizeof(tg) - 1;
	struct cx_jobj j;

	if (c->r->cfg.trace == NULL)
		return;
	/* --redact-at-source: the target's credentials as in the stream. */
	memcpy(tg, b + h->target.off, tn);
	snprintf(up, sizeof(up), "%s%s", rt->up.origin, path);
	if (c->r->cfg.redact_key != NULL) {
		cx_srcredact_url(c->r->cfg.redact_key, tg, tn);
		cx_srcredact_url(c->r->cfg.redact_key, up, strlen(up));
	}
	if (c->px != NULL) {
		snprintf(asked, sizeof(asked), "%s%.*s", proxy_conn_origin(c),
		    (int)tn, tg);
		if (strcmp(asked, up) != 0)
			sent_to = up;
	}
	cx_jobj_begin(&j, out, sizeof(out));
	cx_jobj_u64(&j, "seq", c->seq);
	cx_jobj_strn(&j, "method", (const char *)b + h->method.off,
	    h->method.len);
	cx_jobj_strn(&j, "target", tg, tn);
	cx_jobj_str(&j, "upstream", sent_to != NULL ? asked : up);
	cx_jobj_str(&j, "route", rt->prefix);
	cx_jobj_str(&j, "sent_to", sent_to);
	record_json(c, CX_K_ROUTE, &j);
}
