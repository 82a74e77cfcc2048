/*
 * out_md_usage.c: the report's token usage and cost (docs/report.md): a
 * row a turn, the sums by session and by API, and the prices used, from
 * the facts of report.h (cost included: computed there, price.h).
 */
#include <inttypes.h>
#include <string.h>

#include "escape.h"
#include "out_md.h"
#include "output.h"
#include "price.h"
#include "report.h"

/* A token count: "?" when unknown. */
static void
count(FILE *f, int64_t n)
{
	if (n < 0)
		fputs("?", f);
	else
		fprintf(f, "%" PRId64, n);
}

/* "| input | cached | cache write | output | reasoning | total | cost" */
static void
usage_cells(FILE *f, const struct cx_usage *u, int api_total,
    const struct cx_cost *cost)
{
	char c[96];

	const int64_t v[] = { u->input, u->cached, u->cache_write, u->output,
	    u->reasoning, cx_usage_total(u) };

	for (size_t i = 0; i < sizeof(v) / sizeof(v[0]); i++) {
		fputs(" | ", f);
		count(f, v[i]);
	}
	if (api_total && u->api_total >= 0 && u->api_total != v[5])
		fprintf(f, " (API: %" PRId64 ")", u->api_total);
	cx_cost_text(c, sizeof(c), cost, 1);
	fprintf(f, " | %s", c);
}

#define USAGE_COLS      "input | cached | cache write | output | " \
			"reasoning | total | cost"
#define USAGE_ALIGN     "---:|---:|---:|---:|---:|---:|---:"

static void
usage_turns(FILE *f, const struct cx_out_ctx *ctx,
    const struct cx_report *rep)
{
	fputs("| turn | exchange | API | model | " USAGE_COLS " | first "
	    "token (ms) |\n|---:|---|---|---|" USAGE_ALIGN "|---:|\n", f);
	for (size_t i = 0; i < rep->nturns; i++) {
		const struct cx_report_turn *r = &rep->turns[i];

		fprintf(f, "| %zu | [#%" PRIu64 "](#exchange-%" PRIu64 ")", i + 1,
		    r->id, r->id);
		if (r->ws)
			fprintf(f, " request %zu", r->index + 1);
		fputs(" | ", f);
		cx_mdr_text(f, ctx, r->api, 0, 0);
		if (r->warmup)
			fputs(" \\(warm\\-up\\)", f);
		fputs(" | ", f);
		if (r->model != NULL)
			cx_mdr_text(f, ctx, r->model, 0, 0);
		else
			fputs("?", f);
		if (r->answered != NULL) {
			fputs(" \\(answered by ", f);
			cx_mdr_text(f, ctx, r->answered, 0, 0);
			fputs("\\)", f);
		}
		usage_cells(f, &r->usage, 1, &r->cost);
		if (r->first_ms >= 0)
			fprintf(f, " | %.1f |\n", r->first_ms);
		else
			fputs(" | ? |\n", f);
	}
	if (rep->turns_all > rep->nturns)
		fprintf(f, "| \xe2\x80\xa6 | %" PRIu64 " more turns, in the "
		    "sums only | | | | | | | | | | |\n",
		    rep->turns_all - rep->nturns);
	fputs("| **all** | | |", f);
	usage_cells(f, &rep->usage, 0, &rep->cost);
	fputs(" | |\n\n", f);
}

static void
usage_sessions(FILE *f, const struct cx_out_ctx *ctx,
    const struct cx_report *rep)
{
	fputs("By session (the agent's session key; without one, by process "
	    "and API):\n\n| session | API | turns | " USAGE_COLS " |\n"
	    "|---|---|---:|" USAGE_ALIGN "|\n", f);
	for (size_t i = 0; i < rep->nsessions; i++) {
		const struct cx_report_sum *m = &rep->sessions[i];

		fprintf(f, "| %zu: ", m->num);
		if (m->key != NULL)
			cx_mdr_text(f, ctx, m->key, 0, 0);
		else if (m->pid != 0)
			fprintf(f, "no key, pid %" PRIu32, m->pid);
		else
			fputs("no key, no pid", f);
		fputs(" | ", f);
		cx_mdr_text(f, ctx, m->api, 0, 0);
		fprintf(f, " | %zu", m->turns);
		usage_cells(f, &m->usage, 0, &m->cost);
		fputs(" |\n", f);
	}
	fputc('\n', f);
	if (rep->sessions_other > 0)
		fprintf(f, "*%" PRIu64 " more turns, of sessions past the first "
		    "%d, are not in the table.*\n\n", rep->sessions_other,
		    CX_REPORT_MAX_SESSIONS);
}

static void
usage_apis(FILE *f, const struct cx_out_ctx *ctx,
    const struct cx_report *rep)
{
	char c[96];

	fputs("By API (from each API's own usage fields):\n\n", f);
	for (size_t i = 0; i < rep->napis; i++) {
		const struct cx_report_sum *m = &rep->apis[i];

		fputs("- ", f);
		cx_mdr_text(f, ctx, m->title, 0, 0);
		fputs(" \\(", f);
		cx_mdr_text(f, ctx, m->api, 0, 0);
		fprintf(f, "\\): %zu turn%s, ", m->turns, m->turns == 1 ? "" :
		    "s");
		if (m->with_usage == m->turns)
			fputs(m->turns == 1 ? "with usage" : "all with usage",
			    f);
		else if (m->with_usage == 0)
			fputs("no usage reported", f);
		else
			fprintf(f, "%zu with usage, %zu without", m->with_usage,
			    m->turns - m->with_usage);
		if (m->with_usage > 0) {
			fputs("; input ", f);
			count(f, m->usage.input);
			fputs(", output ", f);
			count(f, m->usage.output);
			fputs(", total ", f);
			count(f, cx_usage_total(&m->usage));
			cx_cost_text(c, sizeof(c), &m->cost, 1);
			fprintf(f, "; cost %s", c);
		}
		fputc('\n', f);
	}
	fputc('\n', f);
}

/* A price (micro-dollars per million tokens) as "$1.75", "$0.175". */
static void
rate(FILE *f, int64_t micro)
{
	int64_t d = micro / 1000000, frac = micro % 1000000;
	int dec = 6;

	while (dec > 2 && frac % 10 == 0) {
		frac /= 10;
		dec--;
	}
	fprintf(f, "$%" PRId64 ".%0*" PRId64, d, dec, frac);
}

#define MAX_PRICE_ROWS  100

/* The rows of the price table the turns were priced with, and the models
 * that had none. */
static void
prices_used(FILE *f, const struct cx_out_ctx *ctx,
    const struct cx_report *rep)
{
	const struct cx_price *used[MAX_PRICE_ROWS];
	const char *none[MAX_PRICE_ROWS];
	size_t nused = 0, nnone = 0;

	for (size_t i = 0; i < rep->nturns; i++) {
		const struct cx_report_turn *r = &rep->turns[i];
		const char *m = r->answered != NULL ? r->answered : r->model;
		size_t k;

		if (r->price != NULL) {
			for (k = 0; k < nused && used[k] != r->price; k++)
				;
			if (k == nused && nused < MAX_PRICE_ROWS)
				used[nused++] = r->price;
		} else if (r->cost.noprice > 0) {
			m = m != NULL ? m : "?";
			for (k = 0; k < nnone && strcmp(none[k], m) != 0; k++)
				;
			if (k == nnone && nnone < MAX_PRICE_ROWS)
				none[nnone++] = m;
		}
	}
	if (nused == 0 && nnone == 0)
		return;
	if (nused > 0)
		fputs("Prices used ($ per million tokens; the table's row, "
		    "its source and the date it was read):\n\n| family | "
		    "model | above (input tokens) | input | cached | cache "
		    "write | cache write 1 h | output | reasoning | read | "
		    "source |\n|---|---|---:|---:|---:|---:|---:|---:|---:|---|"
		    "---|\n", f);
	for (size_t i = 0; i < nused; i++) {
		const struct cx_price *p = used[i];
		const int64_t v[] = { p->input, p->cached, p->write,
		    p->write_1h, p->output, p->reasoning };

		fputs("| ", f);
		cx_md_texts(f, p->family, 0);
		fputs(" | ", f);
		cx_md_texts(f, p->model, 0);
		if (p->above > 0)
			fprintf(f, " | > %" PRId64, p->above);
		else
			fputs(" | ", f);
		for (size_t k = 0; k < sizeof(v) / sizeof(v[0]); k++) {
			fputs(" | ", f);
			if (v[k] >= 0)
				rate(f, v[k]);
			else
				fputs("\xe2\x80\x94", f);
		}
		fputs(" | ", f);
		cx_md_texts(f, p->date, 0);
		fputs(" | ", f);
		cx_md_texts(f, p->source, 0);
		fputs(" |\n", f);
	}
	if (nused > 0)
		fputs("\n\xe2\x80\x94: no price of its own (cached and cache "
		    "writes at the input price, 1-hour writes at the cache "
		    "write price, reasoning at the output price).\n\n", f);
	if (nnone > 0) {
		fputs("No price (the table holds no such model; not "
		    "guessed): ", f);
		for (size_t i = 0; i < nnone; i++) {
			fputs(i > 0 ? ", " : "", f);
			cx_mdr_text(f, ctx, none[i], 0, 0);
		}
		fputs(".\n\n", f);
	}
}

void
cx_mdr_usage(FILE *f, const struct cx_out_ctx *ctx,
    const struct cx_report *rep)
{
	fputs("### Token usage\n\n", f);
	if (rep->nturns == 0) {
		fputs("No model API call: no exchange is a request of an API "
		    "cxrec understands (docs/conversation.md).\n\n", f);
		return;
	}
	fputs("Per turn (one a model API call; one a request on a WebSocket), "
	    "from each API's own usage fields, one definition for all "
	    "(docs/conversation.md): input is every input token (cached and "
	    "cache writes included), output every output token (reasoning "
	    "included), total = input + output (the API's own total in "
	    "parentheses where it differs); `?`: the API did not say.  "
	    "First token: from the request's last byte to the first output "
	    "event.  Cost: from the price table (docs/prices.md; the prices "
	    "used are listed below), `no price` for a model it does not "
	    "hold (never guessed), `\xe2\x89\xa5` for a lower bound (the API did "
	    "not say input or output).\n\n", f);
	usage_turns(f, ctx, rep);
	usage_sessions(f, ctx, rep);
	usage_apis(f, ctx, rep);
	prices_used(f, ctx, rep);
}
