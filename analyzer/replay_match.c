/* replay_match.c: a trace's recorded exchanges, matched (replay_match.h). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "body.h"
#include "bytebuf.h"
#include "replay_match.h"
#include "report.h"
#include "trace.h"
#include "xmalloc.h"

/* Keys named at most in a why-not. */
#define WHY_KEYS        12

struct cx_replay {
	struct cx_analysis      *a;
	struct cx_replay_entry  *e;
	size_t                   n;
	size_t                   incomplete;
	char                   **ikeys;         /* the incomplete's keys */
	size_t                   nikeys;
};

static int
cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

	return x < y ? -1 : x > y;
}

static int
is_sep(uint8_t c)
{
	return c == '{' || c == '}' || c == '[' || c == ']' || c == ':' ||
	    c == ',' || c == '"' || c == ' ' || c == '\n' || c == '\r' ||
	    c == '\t' || c == '&' || c == '=';
}

uint64_t *
cx_replay_tokens(const char *encoding, const uint8_t *body, size_t len,
    size_t *n)
{
	struct cx_buf dec;
	uint64_t *v = NULL, h = 0;
	size_t nv = 0, av = 0, i, tl = 0;
	int trunc;
	char err[128];

	cx_buf_init(&dec, 0);
	if (encoding != NULL && *encoding != '\0' &&
	    cx_decoder_supported(encoding) && cx_decode_all(encoding, body,
	    len, 64u << 20, &dec, &trunc, err, sizeof(err)) == 0) {
		body = cx_buf_head(&dec);
		len = cx_buf_used(&dec);
	}
	/* FNV-1a of each run of bytes between separators. */
	for (i = 0; i <= len; i++) {
		if (i == len || is_sep(body[i])) {
			if (tl > 0) {
				if (nv == av) {
					av = av ? 2 * av : 64;
					v = xreallocarray(v, av, sizeof(*v));
				}
				v[nv++] = h;
			}
			tl = 0;
			continue;
		}
		if (tl++ == 0)
			h = 14695981039346656037ULL;
		h = (h ^ body[i]) * 1099511628211ULL;
	}
	cx_buf_free(&dec);
	if (nv > 1)
		qsort(v, nv, sizeof(*v), cmp_u64);
	*n = nv;
	return v;
}

double
cx_replay_likeness(const uint64_t *a, size_t na, const uint64_t *b, size_t nb)
{
	size_t i = 0, j = 0, shared = 0;

	if (na == 0 && nb == 0)
		return 1.0;
	while (i < na && j < nb) {
		if (a[i] == b[j]) {
			shared++;
			i++;
			j++;
		} else if (a[i] < b[j])
			i++;
		else
			j++;
	}
	return (double)shared / (double)(na + nb - shared);
}

char *
cx_replay_key(const char *method, const char *target)
{
	struct cx_exchange ex;
	struct cx_buf b;

	memset(&ex, 0, sizeof(ex));
	ex.has_req = 1;
	ex.req.head_done = 1;
	ex.req.method = (char *)method;
	ex.req.target = (char *)target;
	cx_buf_init(&b, 0);
	cx_report_endpoint_key(&b, &ex);
	return cx_buf_take(&b);
}

/* Can ex answer a request: its request head, a whole response? */
static int
usable(const struct cx_exchange *ex)
{
	if (!ex->has_req || !ex->req.head_done || !ex->has_resp ||
	    !ex->resp.head_done || ex->req.method == NULL)
		return 0;
	if (strcmp(ex->req.method, "CONNECT") == 0)
		return 0;               /* the proxy's tunnels: their insides
					 * are exchanges of their own */
	if (ex->resp.status == 101)
		return 1;
	/* A stream the client hung up on after its final event (a note,
	 * no error: exchange.h) is whole too. */
	return ex->resp.complete || (ex->resp.sse && ex->resp.nevents > 0 &&
	    ex->error == NULL);
}

struct cx_replay *
cx_replay_from(struct cx_analysis *a)
{
	const struct cx_analysis_result *r = cx_analysis_result(a);
	struct cx_replay *rp = xcalloc(1, sizeof(*rp));

	rp->a = a;
	rp->e = xcalloc(r->nex ? r->nex : 1, sizeof(*rp->e));
	for (size_t i = 0; i < r->nex; i++) {
		const struct cx_exchange *ex = r->ex[i];
		struct cx_replay_entry *e;

		if (!usable(ex)) {
			rp->incomplete++;
			if (ex->has_req && ex->req.head_done &&
			    ex->req.method != NULL) {
				rp->ikeys = xreallocarray(rp->ikeys,
				    rp->nikeys + 1, sizeof(*rp->ikeys));
				rp->ikeys[rp->nikeys++] = cx_replay_key(
				    ex->req.method, ex->req.target);
			}
			continue;
		}
		e = &rp->e[rp->n++];
		e->ex = ex;
		e->key = cx_replay_key(ex->req.method, ex->req.target);
		e->tok = cx_replay_tokens(cx_fields_get(&ex->req.fields,
		    "content-encoding"), cx_buf_head(&ex->req.body),
		    cx_buf_used(&ex->req.body), &e->ntok);
	}
	return rp;
}

static void
count_damage(void *arg, const char *msg)
{
	(void)msg;
	if (arg != NULL)
		(*(unsigned *)arg)++;
}

struct cx_replay *
cx_replay_open(const char *path, unsigned *damaged, char *err, size_t errlen)
{
	struct cx_reader *r;
	struct cx_analysis *a;
	struct cx_frame f;
	struct cx_replay *rp;

	if (damaged != NULL)
		*damaged = 0;
	if ((r = cx_reader_open(path, err, errlen)) == NULL)
		return NULL;
	cx_reader_set_warn(r, count_damage, damaged);
	a = cx_analysis_new(cx_reader_info(r));
	while (cx_reader_next(r, &f) == 1)
		cx_analysis_frame(a, &f);
	cx_analysis_finish(a);
	rp = cx_replay_from(a);
	cx_reader_close(r);             /* the analysis copied what it keeps */
	return rp;
}

void
cx_replay_free(struct cx_replay *rp)
{
	if (rp == NULL)
		return;
	for (size_t i = 0; i < rp->n; i++) {
		free(rp->e[i].key);
		free(rp->e[i].tok);
	}
	for (size_t i = 0; i < rp->nikeys; i++)
		free(rp->ikeys[i]);
	free(rp->ikeys);
	free(rp->e);
	cx_analysis_free(rp->a);
	free(rp);
}

size_t
cx_replay_count(const struct cx_replay *rp)
{
	return rp->n;
}

const struct cx_replay_entry *
cx_replay_entry(const struct cx_replay *rp, size_t i)
{
	return i < rp->n ? &rp->e[i] : NULL;
}

size_t
cx_replay_incomplete(const struct cx_replay *rp)
{
	return rp->incomplete;
}

void
cx_replay_proxy_hosts(const struct cx_replay *rp, cx_replay_host_fn fn,
    void *arg)
{
	const struct cx_analysis_result *r = cx_analysis_result(rp->a);
	char **seen = NULL;
	size_t nseen = 0, i, j;

	for (i = 0; i < r->nex; i++) {
		const struct cx_exchange *ex = r->ex[i];
		const char *h;
		char host[256];
		size_t n;

		/* Its decrypted requests, not its CONNECTs (a tunnel's host
		 * may never have been reached). */
		if (ex->source != CX_SRC_PROXY || !ex->has_req ||
		    ex->req.method == NULL || strcmp(ex->req.method,
		    "CONNECT") == 0 || (h = cx_fields_get(&ex->req.fields, "host")) == NULL)
			continue;
		/* "name:port", "[v6]:port": the name */
		if (*h == '[')
			n = strcspn(h, "]") + 1;
		else
			n = strcspn(h, ":");
		if (n == 0 || n >= sizeof(host))
			continue;
		memcpy(host, h, n);
		host[n] = '\0';
		for (j = 0; j < nseen; j++)
			if (strcasecmp(seen[j], host) == 0)
				break;
		if (j < nseen)
			continue;
		seen = xreallocarray(seen, nseen + 1, sizeof(*seen));
		seen[nseen++] = xstrdup(host);
		fn(arg, host);
	}
	for (i = 0; i < nseen; i++)
		free(seen[i]);
	free(seen);
}

/* What the trace holds, for a why-not: "KEY (N), ..." */
static void
holds(const struct cx_replay *rp, char *why, size_t whylen)
{
	size_t off = strlen(why), named = 0;

	for (size_t i = 0; i < rp->n && off < whylen; i++) {
		unsigned count = 0;
		size_t j;
		int k;

		for (j = 0; j < i; j++)
			if (strcmp(rp->e[j].key, rp->e[i].key) == 0)
				break;
		if (j < i)
			continue;       /* named already */
		for (j = i; j < rp->n; j++)
			count += strcmp(rp->e[j].key, rp->e[i].key) == 0;
		if (named++ == WHY_KEYS) {
			snprintf(why + off, whylen - off, ", ...");
			return;
		}
		k = snprintf(why + off, whylen - off, "%s%s (%u)", named > 1 ?
		    ", " : "", rp->e[i].key, count);
		if (k < 0)
			return;
		off += (size_t)k;
	}
	if (named == 0 && off < whylen)
		snprintf(why + off, whylen - off, "nothing complete");
}

struct cx_replay_hit
cx_replay_match(struct cx_replay *rp, const char *method, const char *target,
    const char *encoding, const uint8_t *body, size_t len, char *why,
    size_t whylen)
{
	struct cx_replay_hit hit = { NULL, -1.0, 0 };
	struct cx_replay_entry *best = NULL, *best_used = NULL;
	double s_best = -1.0, s_used = -1.0;
	uint64_t *tok;
	size_t ntok;
	char *key = cx_replay_key(method, target);

	if (whylen > 0)
		why[0] = '\0';
	tok = cx_replay_tokens(encoding, body, len, &ntok);
	for (size_t i = 0; i < rp->n; i++) {
		struct cx_replay_entry *e = &rp->e[i];
		double s;

		if (strcmp(e->key, key) != 0)
			continue;
		s = cx_replay_likeness(tok, ntok, e->tok, e->ntok);
		if (e->served == 0 && s > s_best) {
			best = e;
			s_best = s;
		} else if (e->served > 0 && s > s_used) {
			best_used = e;
			s_used = s;
		}
	}
	free(tok);
	if (best != NULL) {
		hit.e = best;
		hit.score = s_best;
	} else if (best_used != NULL && s_used >= CX_REPLAY_RETRY) {
		hit.e = best_used;
		hit.score = s_used;
		hit.again = 1;
	} else {
		size_t cut = 0;

		for (size_t i = 0; i < rp->nikeys; i++)
			cut += strcmp(rp->ikeys[i], key) == 0;
		if (best_used != NULL)
			snprintf(why, whylen, "every exchange the trace holds "
			    "for %s was answered already, and this request is "
			    "no retry of one (the most alike: #%llu, likeness "
			    "%.2f)%s; it holds: ", key,
			    (unsigned long long)best_used->ex->id, s_used,
			    cut > 0 ? "; others were cut short" : "");
		else if (cut > 0)
			snprintf(why, whylen, "the trace holds no complete "
			    "exchange for %s, only %zu cut short (no whole "
			    "response recorded); it holds: ", key, cut);
		else
			snprintf(why, whylen, "the trace holds no exchange "
			    "for %s; it holds: ", key);
		holds(rp, why, whylen);
	}
	if (hit.e != NULL)
		((struct cx_replay_entry *)hit.e)->served++;
	free(key);
	return hit;
}
