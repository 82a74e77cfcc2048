/*
 * out_md.c: the Markdown report (docs/report.md): a header about the
 * trace, warnings, statistics (endpoints, token usage, event types), the
 * processes, the key paths of the payloads with their JSON types, the
 * conversation (out_conv.c), then every exchange in full
 * (out_md_exchange.c).
 *
 * It renders the facts of report.h, collected as the trace is read, and
 * computes none of its own.  Everything taken from the traffic is
 * redacted unless --no-redact (output.h's cx_out_redact) and escaped
 * (escape.h: text, or code blocks fenced longer than any backtick run).
 */
#include <errno.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include <cJSON.h>

#include "escape.h"
#include "out_md.h"
#include "output.h"
#include "procs.h"
#include "report.h"
#include "spool.h"

/* --- the header ------------------------------------------------------ */

static void
row_start(FILE *f, const char *name)
{
	fprintf(f, "| %s | ", name);
}

static void
row_str(FILE *f, const struct cx_out_ctx *ctx, const char *name,
    const cJSON *o, const char *key)
{
	const char *s = cJSON_GetStringValue(cJSON_GetObjectItem(o, key));

	if (s == NULL)
		return;
	row_start(f, name);
	cx_mdr_text(f, ctx, s, 0, CX_MD_NL_BR);
	fputs(" |\n", f);
}

static void
argv_cell(FILE *f, const struct cx_out_ctx *ctx, const cJSON *argv)
{
	const cJSON *e;
	int first = 1;

	/* Shell words, quoted where needed, as escaped text. */
	cJSON_ArrayForEach(e, argv) {
		const char *s = cJSON_GetStringValue(e);

		if (s == NULL)
			continue;
		fputs(first ? "" : " ", f);
		first = 0;
		if (*s != '\0' && strcspn(s, " \t\n'\"\\$`;&|<>*?()[]{}#~!")
		    == strlen(s))
			cx_mdr_text(f, ctx, s, 0, 0);
		else {
			struct cx_buf q;

			cx_buf_init(&q, 0);
			cx_buf_addc(&q, '\'');
			for (const char *c = s; *c; c++) {
				if (*c == '\'')
					cx_buf_adds(&q, "'\\''");
				else
					cx_buf_addc(&q, *c);
			}
			cx_buf_addc(&q, '\'');
			cx_mdr_text(f, ctx, (const char *)q.p, 0, 0);
			cx_buf_free(&q);
		}
	}
}

static void
header(FILE *f, const struct cx_out_ctx *ctx,
    const struct cx_report *rep)
{
	const cJSON *run = rep->run, *v, *e;
	char when[64], a[32], b[32];

	fputs("# cxrec report: ", f);
	cx_md_texts(f, ctx->trace_path, 0);
	fputs("\n\n| | |\n|---|---|\n", f);
	row_start(f, "trace");
	cx_md_texts(f, ctx->trace_path, CX_MD_NL_BR);
	fputs(" |\n", f);
	row_start(f, "host");
	cx_md_texts(f, ctx->info->host, CX_MD_NL_BR);
	fprintf(f, " |\n| recorded by | pid %" PRIu32 " |\n",
	    ctx->info->writer_pid);
	if (run != NULL) {
		if (cJSON_IsArray(v = cJSON_GetObjectItem(run, "argv"))) {
			row_start(f, "command");
			argv_cell(f, ctx, v);
			fputs(" |\n", f);
		}
		row_str(f, ctx, "agent", run, "agent");
		row_str(f, ctx, "agent version", run, "agent_version");
		row_str(f, ctx, "reached by", run, "reached_by");
		row_str(f, ctx, "login mode", run, "login_mode");
		row_str(f, ctx, "login detected from", run, "login_reason");
		row_str(f, ctx, "base URL", run, "base_url");
		row_str(f, ctx, "relay listened on", run, "listen");
		if (cJSON_IsArray(v = cJSON_GetObjectItem(run, "routes"))) {
			int first = 1;

			row_start(f, "routes");
			cJSON_ArrayForEach(e, v) {
				const char *pre = cJSON_GetStringValue(
				    cJSON_GetObjectItem(e, "prefix"));
				const char *up = cJSON_GetStringValue(
				    cJSON_GetObjectItem(e, "upstream"));

				if (pre == NULL || up == NULL)
					continue;
				fputs(first ? "" : "<br>", f);
				first = 0;
				cx_mdr_text(f, ctx, pre, 0, 0);
				fputs(" \xe2\x86\x92 ", f);
				cx_mdr_text(f, ctx, up, 1, 0);
			}
			fputs(" |\n", f);
		}
		if (cJSON_IsTrue(cJSON_GetObjectItem(run, "insecure")))
			fputs("| insecure | upstream certificates were not "
			    "verified |\n", f);
		row_str(f, ctx, "cxrec version", run, "cxrec_version");
	}
	cx_fmt_time(when, sizeof(when), ctx->info, rep->start, 1);
	fprintf(f, "| start (UTC) | %s |\n", when);
	cx_fmt_time(when, sizeof(when), ctx->info, rep->end, 1);
	fprintf(f, "| end (UTC) | %s |\n", when);
	fprintf(f, "| duration | %.3f s |\n",
	    cx_ms(rep->end - rep->start) / 1000.0);
	cx_mdr_size(a, sizeof(a), rep->bytes_req);
	cx_mdr_size(b, sizeof(b), rep->bytes_resp);
	fprintf(f, "| connections | %" PRIu64 " |\n| exchanges | %zu |\n"
	    "| bytes sent (client \xe2\x86\x92 server) | %s (%" PRIu64 ") |\n"
	    "| bytes received (server \xe2\x86\x92 client) | %s (%" PRIu64
	    ") |\n| errors | %zu |\n", rep->connections, rep->exchanges, a,
	    rep->bytes_req, b, rep->bytes_resp, rep->errors);
	if (rep->turns_all > 0) {
		/* The trace's cost (the facts', report.h; docs/prices.md). */
		char cost[96];

		cx_cost_text(cost, sizeof(cost), &rep->cost, 1);
		fprintf(f, "| cost | %s (%" PRIu64 " model API turn%s; see "
		    "Token usage) |\n", cost, rep->turns_all,
		    rep->turns_all == 1 ? "" : "s");
	}
	fputc('\n', f);
}

static void
warnings(FILE *f, const struct cx_out_ctx *ctx,
    const struct cx_report *rep)
{
	const struct cx_reader_stats *d = ctx->damage;
	int any = 0;
	char when[64], sz[32];

	if (d != NULL && (d->corrupt_regions > 0 || d->torn_bytes > 0)) {
		fputs("## Warnings\n\n", f);
		any = 1;
		if (d->corrupt_regions > 0)
			fprintf(f, "- The trace is damaged: %" PRIu64
			    " corrupt region%s, %" PRIu64 " bytes skipped; "
			    "the frames in them are missing from this "
			    "report.\n", d->corrupt_regions,
			    d->corrupt_regions == 1 ? "" : "s",
			    d->corrupt_bytes);
		if (d->torn_bytes > 0)
			fprintf(f, "- The trace ends inside a frame (its "
			    "writer stopped mid-write): the last %" PRIu64
			    " bytes were skipped.\n", d->torn_bytes);
	}
	for (size_t i = 0; i < rep->nnotes; i++) {
		const struct cx_note *n = &rep->notes[i];
		cJSON *o;

		if (n->kind != CX_K_LOSS && n->kind != CX_K_ERROR)
			continue;
		if (!any)
			fputs("## Warnings\n\n", f);
		any = 1;
		cx_fmt_time(when, sizeof(when), ctx->info, n->ts, 0);
		o = cJSON_ParseWithLength(n->text, n->len);
		if (n->kind == CX_K_LOSS && cJSON_IsObject(o)) {
			double fr = cJSON_GetNumberValue(cJSON_GetObjectItem(o,
			    "frames"));
			double by = cJSON_GetNumberValue(cJSON_GetObjectItem(o,
			    "bytes"));
			double en = cJSON_GetNumberValue(cJSON_GetObjectItem(o,
			    "errno"));

			cx_mdr_size(sz, sizeof(sz), by > 0 ? (uint64_t)by : 0);
			fprintf(f, "- %s: frames lost: the %s could not record "
			    "%.0f frames (%s)", when, cx_source_name(n->source),
			    fr > 0 ? fr : 0, sz);
			if (en > 0 && en < 4096)
				fprintf(f, ": %s", strerror((int)en));
			fputs("; the exchanges they belonged to may be "
			    "incomplete.\n", f);
		} else {
			const char *e = cJSON_GetStringValue(
			    cJSON_GetObjectItem(o, "error"));
			struct cx_buf b;

			fprintf(f, "- %s: %s from the %s: ", when,
			    n->kind == CX_K_LOSS ? "loss" : "error",
			    cx_source_name(n->source));
			cx_buf_init(&b, 0);
			if (e != NULL)
				cx_out_redact(&b, ctx->redact, CX_AS_TEXT, e,
				    strlen(e));
			else
				cx_out_redact(&b, ctx->redact, CX_AS_TEXT,
				    n->text, n->len);
			cx_md_text(f, (const char *)b.p, b.len, 0);
			cx_buf_free(&b);
			fputc('\n', f);
		}
		cJSON_Delete(o);
	}
	if (any)
		fputc('\n', f);
}

/* --- statistics ------------------------------------------------------ */

static void
statistics(FILE *f, const struct cx_out_ctx *ctx,
    const struct cx_report *rep)
{
	char a[32], b[32];

	fputs("## Statistics\n\n### Endpoints\n\n", f);
	if (rep->nep == 0)
		fputs("No exchanges.\n\n", f);
	else
		fputs("| endpoint | count | status | median TTFB (ms) | "
		    "max TTFB (ms) | median duration (ms) | max duration (ms) "
		    "| request bodies | response bodies |\n"
		    "|---|---:|---|---:|---:|---:|---:|---:|---:|\n", f);
	for (size_t i = 0; i < rep->nep; i++) {
		const struct cx_report_endpoint *e = &rep->ep[i];

		fputs("| ", f);
		cx_mdr_text(f, ctx, e->key, 1, 0);
		fprintf(f, " | %" PRIu64 " | ", e->count);
		for (size_t j = 0; j < e->nst; j++) {
			if (e->st[j].status == 0)
				fprintf(f, "%snone\xc3\x97%" PRIu64, j ? ", " :
				    "", e->st[j].n);
			else
				fprintf(f, "%s%d\xc3\x97%" PRIu64, j ? ", " :
				    "", e->st[j].status, e->st[j].n);
		}
		if (e->nttfb)
			fprintf(f, " | %.1f | %.1f", e->ttfb_median,
			    e->ttfb_max);
		else
			fputs(" | \xe2\x80\x94 | \xe2\x80\x94", f);
		if (e->ndur)
			fprintf(f, " | %.1f | %.1f", e->dur_median,
			    e->dur_max);
		else
			fputs(" | \xe2\x80\x94 | \xe2\x80\x94", f);
		cx_mdr_size(a, sizeof(a), e->in);
		cx_mdr_size(b, sizeof(b), e->out);
		fprintf(f, " | %s | %s |\n", a, b);
	}
	if (rep->nep > 0)
		fputc('\n', f);
	if (rep->ep_other > 0)
		fprintf(f, "*%" PRIu64 " more exchanges, past %d endpoints, "
		    "are not in the table.*\n\n", rep->ep_other,
		    CX_REPORT_MAX_ENDPOINTS);

	cx_mdr_usage(f, ctx, rep);

	fputs("### SSE event types\n\n", f);
	if (rep->nev == 0)
		fputs("No server-sent events.\n\n", f);
	else
		fputs("| event | count |\n|---|---:|\n", f);
	for (size_t i = 0; i < rep->nev; i++) {
		fputs("| ", f);
		cx_mdr_text(f, ctx, rep->ev[i].name, 0, 0);
		fprintf(f, " | %" PRIu64 " |\n", rep->ev[i].n);
	}
	if (rep->nev > 0)
		fputc('\n', f);
	if (rep->ev_other > 0)
		fprintf(f, "*%" PRIu64 " more events, of types past the first "
		    "%d, are not counted.*\n\n", rep->ev_other,
		    CX_REPORT_MAX_EVENT_TYPES);
	if (rep->done > 0)
		fprintf(f, "%" PRIu64 " stream%s ended with `data: [DONE]` (the "
		    "stream's end, not an event: not counted above).\n\n",
		    rep->done, rep->done == 1 ? "" : "s");
}

/* --- processes ------------------------------------------------------- */

#define MAX_PROC_LINES  1000

/* argv (a JSON array's text) as one line of words. */
static void
argv_words(struct cx_buf *b, const char *argv)
{
	cJSON *a = cJSON_Parse(argv), *e;
	int first = 1;

	cJSON_ArrayForEach(e, a) {
		if (!cJSON_IsString(e))
			continue;
		if (!first)
			cx_buf_addc(b, ' ');
		first = 0;
		cx_buf_adds(b, e->valuestring);
	}
	cJSON_Delete(a);
}

struct tree {
	FILE                    *f;
	const struct cx_out_ctx *ctx;
	const struct cx_report  *rep;
	const struct cx_procs   *procs;
	size_t                   lines;
	uint8_t                 *shown;         /* by index in procs */
};

static void
proc_line(struct tree *t, size_t idx, int depth)
{
	const struct cx_proc *p = cx_procs_at(t->procs, idx);
	size_t nex;
	const struct cx_report_pidex *e = cx_report_proc_exchanges(t->rep,
	    p->pid, &nex);
	FILE *f = t->f;
	struct cx_buf b;

	t->shown[idx] = 1;
	if (++t->lines > MAX_PROC_LINES)
		return;
	for (int d = 0; d < depth; d++)
		fputs("  ", f);
	fputs("- **", f);
	cx_md_texts(f, p->comm ? p->comm : "?", 0);
	fprintf(f, "** pid %" PRIu32, p->pid);
	if (p->exited && p->signal > 0)
		fprintf(f, ", killed by signal %d", p->signal);
	else if (p->exited)
		fprintf(f, ", exit %d", p->exit_code);
	if (p->argv != NULL || p->exe != NULL) {
		cx_buf_init(&b, 0);
		if (p->argv != NULL)
			argv_words(&b, p->argv);
		if (b.len == 0 && p->exe != NULL)
			cx_buf_adds(&b, p->exe);
		fputs(": ", f);
		cx_mdr_text(f, t->ctx, b.p != NULL ? (const char *)b.p : "", 0,
		    0);
		cx_buf_free(&b);
	}
	for (size_t i = 0; i < nex; i++) {
		if (i == 0)
			fputs(" \xe2\x80\x94 exchanges", f);
		if (i == 50) {
			fputs(" \xe2\x80\xa6", f);
			break;
		}
		fprintf(f, " [#%" PRIu64 "](#exchange-%" PRIu64 ")", e[i].id,
		    e[i].id);
	}
	fputc('\n', f);
	/* Its children, in order of first sight. */
	for (size_t i = 0; i < cx_procs_count(t->procs); i++) {
		const struct cx_proc *c = cx_procs_at(t->procs, i);

		if (!t->shown[i] && c->ppid == p->pid && c->pid != p->pid &&
		    depth < 64)
			proc_line(t, i, depth + 1);
	}
}

/*
 * Every process the trace names, as a tree by parent (roots: those whose
 * parent it does not name), each with its exchanges.
 */
static void
processes(FILE *f, const struct cx_out_ctx *ctx,
    const struct cx_report *rep)
{
	const struct cx_procs *procs = rep->procs;
	size_t n = procs != NULL ? cx_procs_count(procs) : 0;
	struct tree t;

	fputs("## Processes\n\n", f);
	if (n == 0) {
		fputs("The trace names no process (no probe events or /proc "
		    "records).\n\n", f);
		return;
	}
	memset(&t, 0, sizeof(t));
	t.f = f;
	t.ctx = ctx;
	t.rep = rep;
	t.procs = procs;
	t.shown = xcalloc(n, 1);
	fputs("Each process the trace names (by the kernel probe, or from "
	    "/proc when the relay accepted its connection), under its "
	    "parent, with its exchanges.\n\n", f);
	for (size_t i = 0; i < n; i++) {
		const struct cx_proc *p = cx_procs_at(procs, i);

		if (!t.shown[i] && (p->ppid == 0 || cx_procs_get(procs,
		    p->ppid) == NULL))
			proc_line(&t, i, 0);
	}
	/* A cycle in bad data has no root: show what is left flat. */
	for (size_t i = 0; i < n; i++)
		if (!t.shown[i])
			proc_line(&t, i, 0);
	if (t.lines > MAX_PROC_LINES)
		fprintf(f, "\n*%zu more processes are not listed.*\n",
		    t.lines - MAX_PROC_LINES);
	fputc('\n', f);
	free(t.shown);
}

/* --- key paths ------------------------------------------------------- */

static void
paths_table(FILE *f, const struct cx_keypaths *kp, const char *what)
{
	char types[128];

	if (cx_keypaths_docs(kp) == 0) {
		fprintf(f, "No JSON %s.\n\n", what);
		return;
	}
	fprintf(f, "%" PRIu64 " JSON %s.\n\n| path | type | count | example |\n"
	    "|---|---|---:|---|\n", cx_keypaths_docs(kp), what);
	for (size_t i = 0; i < cx_keypaths_count(kp); i++) {
		const struct cx_keypath *p = cx_keypaths_get(kp, i);

		fputs("| ", f);
		if (p->path[0] == '\0')
			fputs("(root)", f);
		else
			cx_md_texts(f, p->path, 0);
		cx_keypath_types(types, sizeof(types), p->types);
		fputs(" | ", f);
		cx_md_texts(f, types, 0);       /* "string|null" */
		fprintf(f, " | %" PRIu64 " | ", p->count);
		/* Examples are redacted by the walker already. */
		cx_md_texts(f, p->example, 0);
		fputs(" |\n", f);
	}
	fputc('\n', f);
	if (cx_keypaths_dropped(kp) > 0)
		fprintf(f, "*Cut at %d distinct paths: %" PRIu64 " more values "
		    "under other paths are not in the table.*\n\n",
		    CX_REPORT_MAX_PATHS,
		    cx_keypaths_dropped(kp));
}

static void
key_paths(FILE *f, const struct cx_out_ctx *ctx,
    const struct cx_report *rep)
{
	fputs("## Payload key paths\n\n"
	    "Every key path in the JSON payloads, arrays folded to `[]`, with "
	    "its JSON types, how many times it was seen and one example.\n\n"
	    "### Request bodies\n\n", f);
	paths_table(f, rep->req_kp, "request bodies");
	fputs("### Response bodies\n\n", f);
	paths_table(f, rep->resp_kp, "response bodies (event streams are "
	    "below)");
	for (size_t i = 0; i < rep->nev; i++) {
		fputs("### Event ", f);
		cx_mdr_text(f, ctx, rep->ev[i].name, 0, 0);
		fputs("\n\n", f);
		paths_table(f, rep->ev[i].kp, "event data");
	}
}


/* --- the format ------------------------------------------------------ */

/*
 * The report reads the trace twice.  The first time it collects the facts
 * (report.h) and, from the same turns (the adapters run once an
 * exchange), writes the conversation to a spool file; at its end it
 * writes the header, statistics, processes and key paths, then copies the
 * conversation after them.  The second time it writes the exchanges.
 * Memory holds the facts only: the conversation waits on disk.
 */
enum { PASS_FACTS, PASS_EXCHANGES, NPASSES };

struct md {
	FILE                    *f;
	const struct cx_out_ctx *ctx;
	struct cx_report        *rep;
	struct cx_spool          spool;         /* the conversation */
	struct cx_conv          *conv;
	struct cx_ahead         *ahead;         /* exchanges rendered ahead */
	struct cx_ahead         *turns;         /* their turns, built ahead */
	size_t                   exchanges;     /* written */
};

/* A turn the facts took (cx_report_turn_fn): into the conversation. */
static void
md_turn(void *arg, struct cx_turn *t, size_t session)
{
	struct md *m = arg;

	cx_conv_turn(m->conv, t, session);
}

static void *
md_open(FILE *f, const struct cx_out_ctx *ctx)
{
	struct md *m = xcalloc(1, sizeof(*m));

	m->f = f;
	m->ctx = ctx;
	m->rep = cx_report_new(ctx->info, ctx->redact, ctx->prices);
	m->conv = cx_conv_new(cx_spool_open(&m->spool, "md"), ctx, 1);
	m->ahead = cx_ahead_new(NULL);
	m->turns = cx_ahead_new(cx_report_turns_drop);
	return m;
}

static void
md_exchange(void *st, int pass, const struct cx_exchange *ex)
{
	struct md *m = st;

	if (pass == PASS_FACTS) {
		char *text;
		size_t len, n;
		void *tt;

		if (cx_ahead_get(m->turns, ex, &text, &len, &tt)) {
			n = cx_report_exchange_built(m->rep, ex, tt, md_turn,
			    m);
			cx_ahead_done(m->turns, text, tt);  /* freed there */
		} else {
			cx_report_payloads(m->rep, ex);
			n = cx_report_exchange_rest(m->rep, ex, md_turn, m);
		}
		if (n == 0)
			cx_conv_other(m->conv, ex);
	} else {
		if (!cx_ahead_take(m->ahead, ex, m->f))
			cx_mdr_exchange(m->f, m->ctx, ex);
		m->exchanges++;
	}
}

static void *
render_ahead(FILE *f, void *arg, const struct cx_exchange *ex)
{
	cx_mdr_exchange(f, arg, ex);
	return NULL;
}

/*
 * On the reading thread: whether the exchange's bodies are JSON and, when
 * the format's thread is behind (cx_ahead), its turns, built by its
 * adapter (cx_report_turns_build), which the facts (the payloads' key
 * paths too) and the conversation take on the format's thread; the
 * exchanges' sections, when it is behind.
 */
static void
md_prepare(void *st, int pass, const struct cx_exchange *ex)
{
	struct md *m = st;

	if (pass == PASS_FACTS)
		cx_ahead_keep(m->turns, ex, cx_report_turns_ahead, NULL);
	else
		cx_ahead_put(m->ahead, ex, render_ahead, (void *)m->ctx);
}

static void
md_pass_done(void *st, int pass)
{
	struct md *m = st;

	if (pass == PASS_FACTS) {
		cx_report_finish(m->rep, m->ctx->r);
		header(m->f, m->ctx, m->rep);
		warnings(m->f, m->ctx, m->rep);
		statistics(m->f, m->ctx, m->rep);
		processes(m->f, m->ctx, m->rep);
		key_paths(m->f, m->ctx, m->rep);
		fputs("## Conversation\n\n", m->f);
		cx_conv_end(m->conv);
		m->conv = NULL;
		cx_spool_copy(&m->spool, m->f);
		fputs("\n## Exchanges\n\n", m->f);
	} else if (m->exchanges == 0)
		fputs("No exchanges.\n", m->f);
}

static void
md_close(void *st)
{
	struct md *m = st;

	if (m->conv != NULL)
		cx_conv_end(m->conv);
	cx_spool_free(&m->spool);
	cx_ahead_free(m->ahead);
	cx_ahead_free(m->turns);
	cx_report_free(m->rep);
	free(m);
}

const struct cx_out_format cx_out_md_format = {
	.name = "md",
	.summary = "a Markdown report: statistics, usage, turns",
	.passes = NPASSES,
	.open = md_open,
	.exchange = md_exchange,
	.prepare = md_prepare,
	.pass_done = md_pass_done,
	.close = md_close,
};
