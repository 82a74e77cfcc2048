/*
 * live.c: a trace, read as it is written, as the live view's messages
 * (live.h).  Each poll reads what the file holds now (decode_int.h's
 * reader loop and clock, as decode --follow does), hands the analysis the
 * trace's clock once the reader is at the end, and writes:
 *   - for each exchange settled: its conversation turns, rendered with
 *     the report's facts (report.h) as the HTML report does, and its
 *     <article>: final, as in the report;
 *   - for each exchange still open that changed since it was last sent
 *     (and not within CX_LIVE_REFRESH_NS of it): its <article> and its
 *     turns' answers so far.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "conv.h"
#include "decode_int.h"
#include "live.h"
#include "log.h"
#include "out_html.h"
#include "output.h"
#include "redact.h"
#include "report.h"
#include "xmalloc.h"

/* Frames read in one poll, at most: a viewer catching up takes turns. */
#define SLICE_FRAMES    20000
#define MAX_OPEN        4096            /* open exchanges tracked */

/* An exchange still open, as last sent. */
struct sent {
	uint64_t         key;
	uint64_t         sig;           /* what it looked like */
	int64_t          at;            /* when (CLOCK_MONOTONIC) */
	int64_t          every;         /* how often, at most */
	int              seen;          /* still open at this poll */
};

struct cx_live {
	char            *path;
	struct cx_reader *r;
	struct cx_analysis *a;
	struct decode_run d;
	struct cx_credname names;
	struct cx_out_ctx ctx;
	struct cx_report *rep;
	struct cx_htconv *conv;         /* settled turns, into convf */
	FILE            *convf;         /* a scratch file, emptied each time */
	struct sent      open[MAX_OPEN];
	size_t           nopen;
	struct cx_buf   *out;           /* during a poll */
	int              local;         /* the trace is this host's */
	int              said_reading;
	int              following;     /* reached the end once */
	int              done;
	size_t           settled;
	size_t           cursor;        /* in rep->tl (cx_htr_row) */
};

/* --- the messages ------------------------------------------------------ */

/* "event: NAME\ndata: HEAD\ndata: LINE..." for each line of body. */
static void
message(struct cx_buf *b, const char *name, const char *head,
    const char *body, size_t n)
{
	cx_buf_adds(b, "event: ");
	cx_buf_adds(b, name);
	cx_buf_adds(b, "\ndata: ");
	cx_buf_adds(b, head);
	cx_buf_addc(b, '\n');
	while (n > 0) {
		const char *nl = memchr(body, '\n', n);
		size_t len = nl != NULL ? (size_t)(nl - body) : n;

		cx_buf_adds(b, "data: ");
		/* The renderers write no CR; one would cut the line. */
		for (size_t i = 0; i < len; i++)
			cx_buf_addc(b, body[i] == '\r' ? ' ' : body[i]);
		cx_buf_addc(b, '\n');
		if (nl == NULL)
			break;
		body = nl + 1;
		n -= len + 1;
	}
	cx_buf_addc(b, '\n');
}

static void
say(struct cx_live *l, const char *name, const char *text)
{
	char line[512];
	size_t i;

	/* One line: a newline in a warning (a path) would be a new field. */
	snprintf(line, sizeof(line), "%s", text);
	for (i = 0; line[i] != '\0'; i++)
		if (line[i] == '\n' || line[i] == '\r')
			line[i] = ' ';
	message(l->out, name, line, NULL, 0);
}

static void
warn(void *arg, const char *msg)
{
	struct cx_live *l = arg;

	if (l->out != NULL)
		say(l, "warn", msg);
}

/* What convf holds, as a message; then empty it. */
static void
send_conv(struct cx_live *l, const char *head)
{
	long n;
	char *p;

	fflush(l->convf);
	n = ftell(l->convf);
	if (n > 0) {
		p = xmalloc((size_t)n);
		if (pread(fileno(l->convf), p, (size_t)n, 0) == n)
			message(l->out, "turn", head, p, (size_t)n);
		free(p);
	}
	rewind(l->convf);
	if (ftruncate(fileno(l->convf), 0) == -1)
		fatalx("the live view's scratch file: %s", strerror(errno));
}

/* --- settled exchanges --------------------------------------------------- */

static void
on_turn(void *arg, struct cx_turn *t, size_t session)
{
	struct cx_live *l = arg;

	cx_htconv_turn(l->conv, t, session, l->rep);
}

static void
forget(struct cx_live *l, uint64_t key)
{
	for (size_t i = 0; i < l->nopen; i++)
		if (l->open[i].key == key) {
			l->open[i] = l->open[--l->nopen];
			return;
		}
}

static void
settled(void *arg, struct cx_exchange *ex)
{
	struct cx_live *l = arg;
	char head[64], *p = NULL;
	size_t n = 0;
	FILE *m;

	snprintf(head, sizeof(head), "%" PRIu64 " done", ex->order);
	if (cx_report_exchange(l->rep, ex, on_turn, l) > 0)
		send_conv(l, head);
	if ((m = open_memstream(&p, &n)) == NULL)
		fatalx("the live view: out of memory");
	cx_htr_exchange(m, &l->ctx, ex, cx_htr_row(l->rep, ex->id, &l->cursor),
	    NULL);
	fclose(m);
	message(l->out, "ex", head, p, n);
	free(p);
	forget(l, ex->order);
	l->settled++;
}

/* --- open exchanges ------------------------------------------------------ */

static uint64_t
mix(uint64_t h, uint64_t v)
{
	return (h ^ v) * 0x100000001b3ull;
}

/* What an open exchange's page shows depends on, roughly. */
static uint64_t
signature(const struct cx_exchange *ex)
{
	uint64_t h = 0xcbf29ce484222325ull;

	h = mix(h, ex->req.body_bytes);
	h = mix(h, (uint64_t)ex->req.complete << 1 | ex->req.head_done);
	h = mix(h, (uint64_t)ex->has_resp << 2 | (uint64_t)ex->resp.complete
	    << 1 | ex->resp.head_done);
	h = mix(h, (uint64_t)ex->resp.status);
	h = mix(h, ex->resp.body_bytes);
	h = mix(h, ex->resp.nevents);
	h = mix(h, ex->nws);
	h = mix(h, ex->error != NULL);
	return h;
}

static void
on_answer(void *arg, struct cx_turn *t)
{
	struct cx_live *l = arg;

	cx_htconv_answer(l->convf, &l->ctx, t, t->index);
}

static void
send_open(struct cx_live *l, const struct cx_exchange *ex)
{
	char head[64], *p = NULL;
	size_t n = 0;
	FILE *m;

	snprintf(head, sizeof(head), "%" PRIu64 " open", ex->order);
	if (cx_conv_turns(ex, on_answer, l) > 0)
		send_conv(l, head);
	if ((m = open_memstream(&p, &n)) == NULL)
		fatalx("the live view: out of memory");
	cx_htr_exchange(m, &l->ctx, ex, NULL, NULL);
	fclose(m);
	message(l->out, "ex", head, p, n);
	free(p);
}

static void
update_open(struct cx_live *l)
{
	const struct cx_analysis_result *r = cx_analysis_result(l->a);
	int64_t now = cx_now_ns(), t0;
	size_t i, j;

	for (i = 0; i < l->nopen; i++)
		l->open[i].seen = 0;
	for (i = 0; i < r->nex; i++) {
		const struct cx_exchange *ex = r->ex[i];
		uint64_t sig = signature(ex);
		struct sent *s = NULL;

		for (j = 0; j < l->nopen; j++)
			if (l->open[j].key == ex->order) {
				s = &l->open[j];
				break;
			}
		if (s == NULL) {
			if (l->nopen == MAX_OPEN)
				continue;       /* shown when it settles */
			s = &l->open[l->nopen++];
			s->key = ex->order;
			s->sig = sig ^ 1;
			s->at = 0;
			s->every = CX_LIVE_REFRESH_NS;
		}
		s->seen = 1;
		if (s->sig == sig || now - s->at < s->every)
			continue;
		t0 = cx_now_ns();
		send_open(l, ex);
		s->sig = sig;
		s->at = now;
		/* A big one (a long WebSocket session) is drawn less often:
		 * at most a twentieth of the time goes to drawing it. */
		s->every = (cx_now_ns() - t0) * 20;
		if (s->every < CX_LIVE_REFRESH_NS)
			s->every = CX_LIVE_REFRESH_NS;
	}
	for (i = 0; i < l->nopen; )
		if (!l->open[i].seen)
			l->open[i] = l->open[--l->nopen];
		else
			i++;
}

/* --- reading ------------------------------------------------------------- */

/* Up to SLICE_FRAMES frames: -1 more to read, 1 an END frame, 0 the end. */
static int
read_slice(struct cx_live *l)
{
	struct cx_frame f;
	int end = 0;

	for (size_t n = 0; n < SLICE_FRAMES; n++) {
		if (cx_reader_next(l->r, &f) != 1)
			return end;
		if (f.kind == CX_K_END)
			end = 1;
		decode_frame(&l->d, &f);
	}
	return end ? 1 : -1;
}

/* The trace is done: read what else it holds, close the books. */
static void
finish(struct cx_live *l, const char *why)
{
	char w[300];

	cx_reader_grow(l->r, w, sizeof(w));
	cx_reader_set_follow(l->r, 0);
	while (read_slice(l) == -1)
		;
	cx_analysis_finish(l->a);
	l->nopen = 0;
	message(l->out, "end", why, NULL, 0);
	l->done = 1;
}

static void
progress(struct cx_live *l, const char *what)
{
	char line[160];

	snprintf(line, sizeof(line), "%s: %zu exchanges, %zu open", what,
	    l->settled, cx_analysis_result(l->a)->nex);
	say(l, "state", line);
}

int
cx_live_poll(struct cx_live *l, struct cx_buf *out)
{
	const struct cx_file_info *info = cx_reader_info(l->r);
	const struct cx_credname *prev;
	char why[300], line[400];
	int rc, g, more = 0;

	if (l->done)
		return CX_LIVE_DONE;
	l->out = out;
	prev = cx_redact_use_names(&l->names);
	if (!l->said_reading) {
		say(l, "state", "reading the trace");
		l->said_reading = 1;
	}
	rc = read_slice(l);
	if (rc == -1) {
		more = 1;               /* at once, at the next poll */
		goto out;
	}
	cx_analysis_caught_up(l->a, decode_clock(info, l->local));
	if (rc == 1) {
		finish(l, "the trace is closed: its writer is done");
		goto out;
	}
	update_open(l);
	if (!l->following) {
		l->following = 1;
		progress(l, "following the trace");
	}
	if ((g = cx_reader_grow(l->r, why, sizeof(why))) == 1)
		more = 1;
	else if (g == -1) {
		snprintf(line, sizeof(line), "%s: stopped following it", why);
		finish(l, line);
	} else if (g == 0 && l->local && decode_writer_gone(info)) {
		snprintf(line, sizeof(line), "its writer (pid %u) is gone "
		    "without closing it: stopped following it",
		    info->writer_pid);
		finish(l, line);
	}
out:
	cx_redact_use_names(prev);
	l->out = NULL;
	return l->done ? CX_LIVE_DONE : more ? CX_LIVE_MORE : CX_LIVE_WAIT;
}

struct cx_live *
cx_live_open(const char *path, const struct cx_live_opts *o, char *err,
    size_t errlen)
{
	struct cx_live *l;
	struct cx_reader *r;

	if ((r = cx_reader_open(path, err, errlen)) == NULL)
		return NULL;
	l = xcalloc(1, sizeof(*l));
	l->path = xstrdup(path);
	l->r = r;
	cx_reader_set_warn(r, warn, l);
	cx_reader_set_release(r, 1);
	cx_reader_set_follow(r, 1);
	if (o->names != NULL)
		l->names = *o->names;
	else
		cx_credname_init(&l->names);
	l->a = cx_analysis_new(cx_reader_info(r));
	cx_analysis_stream(l->a, settled, l);
	l->d.r = r;
	l->d.a = l->a;
	l->d.names = &l->names;
	l->d.warn = warn;
	l->d.warn_arg = l;
	l->local = decode_same_host(cx_reader_info(r));
	l->ctx.trace_path = l->path;
	l->ctx.info = cx_reader_info(r);
	l->ctx.damage = cx_reader_stats(r);
	l->ctx.r = cx_analysis_result(l->a);
	l->ctx.redact = !o->no_redact;
	l->ctx.max_body = o->max_body;
	l->ctx.follow = 1;
	l->ctx.prices = o->prices;
	l->rep = cx_report_new(cx_reader_info(r), l->ctx.redact, o->prices);
	if ((l->convf = tmpfile()) == NULL)
		fatalx("the live view's scratch file: %s", strerror(errno));
	l->conv = cx_htconv_new(l->convf, &l->ctx);
	return l;
}

void
cx_live_free(struct cx_live *l)
{
	if (l == NULL)
		return;
	cx_htconv_end(l->conv);
	fclose(l->convf);
	cx_report_free(l->rep);
	cx_analysis_free(l->a);
	cx_reader_close(l->r);
	free(l->path);
	free(l);
}
