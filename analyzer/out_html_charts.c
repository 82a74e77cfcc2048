/*
 * out_html_charts.c: the HTML report's charts, inline SVG written here
 * (the page's Content-Security-Policy allows no image source; inline
 * <svg> is markup of the page, styled by its one style sheet by class):
 *
 * - the timeline (report.h's tl): a bar per exchange on the trace's time
 *   axis, a lane per process (pid and comm), exchanges that overlap in a
 *   lane on sub-rows; a bar is the wait for the first byte then the
 *   streaming, a WebSocket session one bar with a tick per message; each
 *   bar an <a href="#exchange-ID"> with a <title> (its endpoint, status,
 *   times);
 * - the tokens per turn (report.h's turns): stacked bars (input not
 *   cached, cached, output not reasoning, reasoning), each a link to its
 *   turn; and the context size, each turn's input tokens, a line per
 *   session.
 *
 * Text from the traffic (endpoints, process names) is redacted and
 * escaped as everywhere in the page (out_html.h).
 */
#include <inttypes.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "escape.h"
#include "out_html.h"
#include "procs.h"
#include "report.h"

#define W               1200.0  /* the viewBox's width */
#define LABEL_W         190.0   /* the timeline's lane labels */
#define AXIS_H          22.0
#define ROW_H           14.0    /* a sub-row of a lane */
#define BAR_H           10.0
#define MAX_SUB         6       /* sub-rows a lane, at most */
#define MAX_INDENT      6       /* levels of the process tree shown */
#define MAX_ANCESTRY    8       /* a lane's ancestors named, at most */

/* A step for an axis of span v: 1, 2 or 5 times a power of ten, at most
 * n steps. */
static double
nice_step(double v, int n)
{
	double s = 1e-3;

	if (!(v > 0))
		return 1;
	for (;;) {
		if (v / s <= n)
			return s;
		if (v / (2 * s) <= n)
			return 2 * s;
		if (v / (5 * s) <= n)
			return 5 * s;
		s *= 10;
	}
}

/* A time step in ms: at most 10 steps across span, in round seconds,
 * minutes or hours past a second. */
static double
time_step(double span)
{
	static const double steps[] = { 1, 2, 5, 10, 20, 50, 100, 200, 500,
	    1e3, 2e3, 5e3, 1e4, 15e3, 3e4, 6e4, 12e4, 3e5, 6e5, 9e5, 18e5,
	    36e5, 72e5, 108e5, 216e5, 432e5, 864e5 };

	for (size_t i = 0; i < sizeof(steps) / sizeof(steps[0]); i++)
		if (span / steps[i] <= 10)
			return steps[i];
	return nice_step(span / 864e5, 10) * 864e5;
}

static void
time_label(char *buf, size_t len, double ms, double step)
{
	if (ms == 0)
		snprintf(buf, len, "0");
	else if (step < 1000 && ms < 1000)
		snprintf(buf, len, "%g ms", ms);
	else if (step < 60000)
		snprintf(buf, len, "%g s", ms / 1000);
	else if (step < 3600000)
		snprintf(buf, len, "%g min", ms / 60000);
	else
		snprintf(buf, len, "%g h", ms / 3600000);
}

/*
 * v as "%.1f" writes it, a chart's coordinates by the thousand: tenths
 * rounded here where the rounding is plain (0 <= v < 1e6: v * 10 is off
 * by less than 1e-9), printf's exact conversion within 1e-6 of a tie.
 */
static void
fixed1(FILE *f, double v)
{
	char buf[24], *p = buf + sizeof(buf);
	unsigned long n;
	double t, frac;

	if (!(v >= 0 && v < 1e6) || signbit(v)) {
		fprintf(f, "%.1f", v);
		return;
	}
	t = v * 10;
	n = (unsigned long)t;
	frac = t - (double)n;
	if (frac > 0.5 - 1e-6 && frac < 0.5 + 1e-6) {
		fprintf(f, "%.1f", v);
		return;
	}
	n += frac > 0.5;
	*--p = (char)('0' + n % 10);
	*--p = '.';
	n /= 10;
	do {
		*--p = (char)('0' + n % 10);
		n /= 10;
	} while (n > 0);
	fwrite(p, 1, (size_t)(buf + sizeof(buf) - p), f);
}

/* A duration for a title: "12.3 ms", "4.56 s". */
static void
dur(FILE *f, double ms)
{
	if (ms < 1000) {
		fixed1(f, ms);
		fputs(" ms", f);
	} else
		fprintf(f, "%.2f s", ms / 1000);
}

/* A count for an axis: 950, 12k, 1.2M. */
static void
count_label(char *buf, size_t len, double v)
{
	if (v >= 1e6)
		snprintf(buf, len, "%gM", v / 1e6);
	else if (v >= 1e3)
		snprintf(buf, len, "%gk", v / 1e3);
	else
		snprintf(buf, len, "%g", v);
}

/* --- the timeline ---------------------------------------------------- */

struct lanes {
	int64_t          t0;            /* the axis' 0: the first start */
	uint8_t         *sub;           /* a row's sub-row */
	uint8_t         *nsub;          /* a lane's sub-rows */
	double          *y;             /* a lane's top */
	double          *busy;          /* a lane's sub-rows: busy until */
};

/* The k-th lane to draw: the process tree's order (report.h). */
static size_t
lane_at(const struct cx_report *rep, size_t k)
{
	return rep->lane_order != NULL ? rep->lane_order[k] : k;
}

/* Rows onto the sub-rows of their lanes: the first free one, or the one
 * free soonest. */
static double
layout(const struct cx_report *rep, struct lanes *l)
{
	double y = AXIS_H;

	l->sub = xcalloc(rep->ntl ? rep->ntl : 1, 1);
	l->nsub = xcalloc(rep->nlanes ? rep->nlanes : 1, 1);
	l->y = xcalloc(rep->nlanes ? rep->nlanes : 1, sizeof(double));
	l->busy = xcalloc((rep->nlanes ? rep->nlanes : 1) * MAX_SUB,
	    sizeof(double));
	for (size_t i = 0; i < rep->ntl; i++) {
		const struct cx_report_tlrow *r = &rep->tl[i];
		double t = cx_ms(r->start - l->t0), *b = l->busy +
		    (size_t)r->lane * MAX_SUB;
		int n = l->nsub[r->lane], k, best = 0;

		for (k = 0; k < n && b[k] > t; k++)
			if (b[k] < b[best])
				best = k;
		if (k == n && n < MAX_SUB)
			l->nsub[r->lane]++;
		else if (k == n)
			k = best;
		l->sub[i] = (uint8_t)k;
		if (t + r->end_ms > b[k])
			b[k] = t + r->end_ms;
	}
	for (size_t k = 0; k < rep->nlanes; k++) {
		size_t j = lane_at(rep, k);

		l->y[j] = y;
		y += (l->nsub[j] ? l->nsub[j] : 1) * ROW_H + 6;
	}
	return y;
}

static void
axis(FILE *f, double span, double x0, double scale, double h)
{
	double step = time_step(span);
	char lab[48];

	fprintf(f, "<g class=\"ax\">");
	for (double t = 0; t <= span * 1.0001 && t / step < 200; t += step) {
		double x = x0 + t * scale;

		time_label(lab, sizeof(lab), t, step);
		fprintf(f, "<line x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" "
		    "y2=\"%.1f\"/><text x=\"%.1f\" y=\"14\"%s>%s</text>", x,
		    AXIS_H - 4, x, h, x, x > W - 40 ? " text-anchor=\"end\"" :
		    "", lab);
	}
	fputs("</g>\n", f);
}

/* "pid N comm" of pid, from the process tree. */
static void
proc_name(FILE *f, const struct cx_out_ctx *ctx, uint32_t pid,
    const char *comm)
{
	fprintf(f, "pid %" PRIu32, pid);
	if (comm != NULL) {
		fputc(' ', f);
		cx_htr_texts(f, ctx, comm, 0);
	}
}

static void
lane_label(FILE *f, const struct cx_out_ctx *ctx, const struct cx_report *rep,
    const struct cx_report_lane *ln, double y)
{
	unsigned d = ln->depth < MAX_INDENT ? ln->depth : MAX_INDENT;
	const struct cx_proc *p;

	/* A child under its parent, indented, with a corner. */
	fprintf(f, "<text class=\"ln\" x=\"%u\" y=\"%.1f\">", 4 + 10 * d,
	    y + 11);
	if (ln->pid == 0) {
		fprintf(f, "no known process (%zu)</text>", ln->n);
		return;
	}
	/* Hovering: its ancestry, as far as the trace knows it. */
	fputs("<title>", f);
	proc_name(f, ctx, ln->pid, ln->comm);
	p = rep->procs != NULL ? cx_procs_get(rep->procs, ln->pid) : NULL;
	for (int up = 0; p != NULL && p->ppid != 0 && up < MAX_ANCESTRY; up++) {
		const struct cx_proc *pp = cx_procs_get(rep->procs, p->ppid);

		fputs(up == 0 ? ", child of " : ", of ", f);
		proc_name(f, ctx, p->ppid, pp != NULL ? pp->comm : NULL);
		p = pp;
	}
	fprintf(f, "</title>%s", d > 0 ? "\xe2\x94\x94 " : "");
	proc_name(f, ctx, ln->pid, ln->comm);
	fprintf(f, " (%zu)</text>", ln->n);
}

static void
bar_title(FILE *f, const struct cx_out_ctx *ctx, const struct cx_report *rep,
    const struct cx_report_tlrow *r, int64_t t0)
{
	fprintf(f, "<title>#%" PRIu64 " ", r->id);
	if (r->ep >= 0 && (size_t)r->ep < rep->nep)
		cx_htr_texts(f, ctx, rep->ep[r->ep].key, 1);
	else
		fputs("(an endpoint past the table's)", f);
	if (r->status > 0)
		fprintf(f, " \xe2\x86\x92 %d", r->status);
	else
		fputs(" \xe2\x86\x92 no response", f);
	if (r->error)
		fputs(", error", f);
	fputs("\nstart +", f);
	dur(f, cx_ms(r->start - t0));
	if (r->first_ms >= 0) {
		fputs(", first byte after ", f);
		dur(f, r->first_ms);
	}
	fputs(", total ", f);
	dur(f, r->end_ms);
	if (r->ws)
		fprintf(f, "\n%" PRIu32 " WebSocket message%s", r->nws,
		    r->nws == 1 ? "" : "s");
	fputs("</title>", f);
}

static void
bar(FILE *f, const struct cx_out_ctx *ctx, const struct cx_report *rep,
    const struct cx_report_tlrow *r, int64_t t0, double y, double x0,
    double scale)
{
	double x = x0 + cx_ms(r->start - t0) * scale;
	double w = r->end_ms * scale, wf;

	if (w < 2)
		w = 2;
	fprintf(f, "<a class=\"bar%s\" href=\"#exchange-%" PRIu64 "\"",
	    cx_htr_bad(r) ? " bad" : "", r->id);
	cx_htr_keys(f, r);
	fputc('>', f);
	bar_title(f, ctx, rep, r, t0);
	if (r->ws) {
		fprintf(f, "<rect class=\"ws\" x=\"%.2f\" y=\"%.1f\" "
		    "width=\"%.2f\" height=\"%.0f\"/>", x, y, w, BAR_H);
		if (r->nticks > 0) {
			fputs("<path class=\"tk\" d=\"", f);
			for (uint32_t i = 0; i < r->nticks; i++)
				fprintf(f, "M%.2f %.1fv%.0f", x +
				    rep->ticks[r->tick0 + i] * scale, y - 1,
				    BAR_H + 2);
			fputs("\"/>", f);
		}
	} else if (r->first_ms < 0) {
		fprintf(f, "<rect class=\"w\" x=\"%.2f\" y=\"%.1f\" "
		    "width=\"%.2f\" height=\"%.0f\"/>", x, y, w, BAR_H);
	} else {
		wf = r->first_ms * scale;
		if (wf > w - 1)
			wf = w - 1;
		fprintf(f, "<rect class=\"w\" x=\"%.2f\" y=\"%.1f\" "
		    "width=\"%.2f\" height=\"%.0f\"/><rect class=\"s\" "
		    "x=\"%.2f\" y=\"%.1f\" width=\"%.2f\" height=\"%.0f\"/>",
		    x, y, wf, BAR_H, x + wf, y, w - wf, BAR_H);
	}
	fputs("</a>\n", f);
}

void
cx_htr_timeline(FILE *f, const struct cx_out_ctx *ctx,
    const struct cx_report *rep)
{
	struct lanes l;
	double h, span, scale, x0 = LABEL_W;

	fputs("<section id=\"timeline\">\n<h2>Timeline</h2>\n", f);
	if (rep->ntl == 0) {
		fputs("<p>No exchanges.</p>\n</section>\n", f);
		return;
	}
	/* The axis: from the first exchange's start to the last end (the
	 * trace's own start may be on another clock's side). */
	l.t0 = rep->tl[0].start;
	span = 0;
	for (size_t i = 0; i < rep->ntl; i++)
		if (rep->tl[i].start < l.t0)
			l.t0 = rep->tl[i].start;
	for (size_t i = 0; i < rep->ntl; i++)
		if (cx_ms(rep->tl[i].start - l.t0) + rep->tl[i].end_ms > span)
			span = cx_ms(rep->tl[i].start - l.t0) +
			    rep->tl[i].end_ms;
	if (!(span > 0))
		span = 1;
	h = layout(rep, &l);
	scale = (W - 10 - x0) / span;
	fprintf(f, "<p class=\"dim\">A bar per exchange (the wait for the "
	    "first byte, light, then the response arriving), a lane per "
	    "process; a WebSocket session is one bar with a tick per "
	    "message. Hover for its times, click to open it.</p>\n"
	    "<div class=\"chart\"><svg class=\"tl\" "
	    "xmlns=\"http://www.w3.org/2000/svg\" viewBox=\"0 0 %.0f %.0f\" "
	    "role=\"img\" aria-label=\"timeline\">\n", W, h);
	axis(f, span, x0, scale, h);
	for (size_t k = 0; k < rep->nlanes; k++) {
		size_t j = lane_at(rep, k);

		fprintf(f, "<g class=\"lane\"><line class=\"sep\" x1=\"0\" "
		    "y1=\"%.1f\" x2=\"%.0f\" y2=\"%.1f\"/>", l.y[j] - 3, W,
		    l.y[j] - 3);
		lane_label(f, ctx, rep, &rep->lanes[j], l.y[j]);
		fputs("</g>\n", f);
	}
	for (size_t i = 0; i < rep->ntl; i++) {
		const struct cx_report_tlrow *r = &rep->tl[i];

		bar(f, ctx, rep, r, l.t0, l.y[r->lane] + l.sub[i] * ROW_H + 1,
		    x0, scale);
	}
	fputs("</svg></div>\n</section>\n", f);
	free(l.sub);
	free(l.nsub);
	free(l.y);
	free(l.busy);
}

/* --- tokens per turn ------------------------------------------------- */

#define CH_L            70.0    /* the charts' left margin (labels) */
#define CH_H            150.0   /* their plot's height */
#define CH_T            24.0    /* above the plot (the legend) */

static int64_t
nz(int64_t v)
{
	return v > 0 ? v : 0;
}

/* The four parts of a turn's tokens: input not cached, cached, output
 * not reasoning, reasoning (conv.h: input counts the cached, output the
 * reasoning). */
static void
parts(const struct cx_usage *u, int64_t p[4])
{
	p[1] = nz(u->cached);
	p[0] = nz(nz(u->input) - p[1]);
	p[3] = nz(u->reasoning);
	p[2] = nz(nz(u->output) - p[3]);
}

/* The y axis from 0 to top, with grid lines and labels; returns the
 * scale (units a token). */
static double
y_axis(FILE *f, double top)
{
	double step = nice_step(top, 5), y;
	char lab[32];

	if (step < 1)
		step = 1;
	top = ceil(top / step) * step;
	fputs("<g class=\"ax\">", f);
	for (double v = 0; v <= top + step / 2; v += step) {
		y = CH_T + CH_H - v / top * CH_H;
		count_label(lab, sizeof(lab), v);
		fprintf(f, "<line x1=\"%.0f\" y1=\"%.1f\" x2=\"%.0f\" "
		    "y2=\"%.1f\"/><text x=\"%.0f\" y=\"%.1f\" "
		    "text-anchor=\"end\">%s</text>", CH_L, y, W - 10, y,
		    CH_L - 6, y + 4, lab);
	}
	fputs("</g>\n", f);
	return CH_H / top;
}

/* Turn numbers under the bars, at most about 20. */
static void
x_axis(FILE *f, size_t n, double bw)
{
	size_t every = (size_t)nice_step((double)n, 20);

	if (every < 1)
		every = 1;
	fputs("<g class=\"ax\">", f);
	for (size_t i = 0; i < n; i++)
		if ((i + 1) % every == 0 || i == 0)
			fprintf(f, "<text x=\"%.1f\" y=\"%.0f\" text-anchor="
			    "\"middle\">%zu</text>", CH_L + (i + .5) * bw,
			    CH_T + CH_H + 16, i + 1);
	fprintf(f, "<text x=\"%.0f\" y=\"%.0f\" text-anchor=\"end\">turn"
	    "</text></g>\n", CH_L - 6, CH_T + CH_H + 16);
}

static void
legend(FILE *f, const char *const *cls, const char *const *name, size_t n)
{
	double x = CH_L;

	for (size_t i = 0; i < n; i++) {
		fprintf(f, "<rect class=\"%s\" x=\"%.0f\" y=\"6\" width=\"10\" "
		    "height=\"10\"/><text class=\"lg\" x=\"%.0f\" y=\"15\">%s"
		    "</text>", cls[i], x, x + 14, name[i]);
		x += 24 + 6.2 * (double)strlen(name[i]);
	}
	fputc('\n', f);
}

static void
turn_title(FILE *f, const struct cx_report_turn *t, size_t i)
{
	fprintf(f, "<title>turn %zu, session %zu: input ", i + 1,
	    t->session);
	cx_htr_count(f, t->usage.input);
	fputs(" (cached ", f);
	cx_htr_count(f, t->usage.cached);
	fputs("), output ", f);
	cx_htr_count(f, t->usage.output);
	fputs(" (reasoning ", f);
	cx_htr_count(f, t->usage.reasoning);
	fputs(")</title>", f);
}

static void
token_bars(FILE *f, const struct cx_report *rep, double bw)
{
	static const char *const cls[] = { "c0", "c1", "c2", "c3" };
	static const char *const name[] = { "input, not cached", "cached",
	    "output", "reasoning" };
	double top = 1, scale;

	for (size_t i = 0; i < rep->nturns; i++) {
		int64_t p[4];

		parts(&rep->turns[i].usage, p);
		if ((double)(p[0] + p[1] + p[2] + p[3]) > top)
			top = (double)(p[0] + p[1] + p[2] + p[3]);
	}
	fprintf(f, "<div class=\"chart\"><svg class=\"tok\" xmlns=\"http://"
	    "www.w3.org/2000/svg\" viewBox=\"0 0 %.0f %.0f\" role=\"img\" "
	    "aria-label=\"tokens per turn\">\n", W, CH_T + CH_H + 22);
	legend(f, cls, name, 4);
	scale = y_axis(f, top);
	for (size_t i = 0; i < rep->nturns; i++) {
		const struct cx_report_turn *t = &rep->turns[i];
		double y = CH_T + CH_H, x = CH_L + i * bw + bw * .1;
		int64_t p[4];

		parts(&t->usage, p);
		fprintf(f, "<a class=\"turnbar\" href=\"#turn-%zu\">", i + 1);
		turn_title(f, t, i);
		/* A hit area the full height, for the hover. */
		fprintf(f, "<rect class=\"hit\" x=\"%.2f\" y=\"%.0f\" "
		    "width=\"%.2f\" height=\"%.0f\"/>", x, CH_T, bw * .8,
		    CH_H);
		for (int k = 0; k < 4; k++) {
			double h = (double)p[k] * scale;

			if (p[k] == 0)
				continue;
			y -= h;
			fprintf(f, "<rect class=\"%s\" x=\"%.2f\" y=\"%.2f\" "
			    "width=\"%.2f\" height=\"%.2f\"/>", cls[k], x, y,
			    bw * .8, h);
		}
		fputs("</a>\n", f);
	}
	x_axis(f, rep->nturns, bw);
	fputs("</svg></div>\n", f);
}

/* The context: each turn's input tokens, a line per session (its turns
 * in order), a dot a turn. */
static void
context_line(FILE *f, const struct cx_report *rep, double bw)
{
	static const char *const cls[] = { "ctx" };
	static const char *const name[] = { "context (input tokens), a line "
	    "per session" };
	double top = 1, scale;
	size_t maxs = 0;

	for (size_t i = 0; i < rep->nturns; i++) {
		if ((double)rep->turns[i].usage.input > top)
			top = (double)rep->turns[i].usage.input;
		if (rep->turns[i].session > maxs)
			maxs = rep->turns[i].session;
	}
	fprintf(f, "<div class=\"chart\"><svg class=\"ctxc\" xmlns=\"http://"
	    "www.w3.org/2000/svg\" viewBox=\"0 0 %.0f %.0f\" role=\"img\" "
	    "aria-label=\"context size per turn\">\n", W, CH_T + CH_H + 22);
	legend(f, cls, name, 1);
	scale = y_axis(f, top);
	/* A session's line: one pass over the turns a session, for the
	 * sessions of the table's first 1000 (the others: dots only). */
	for (size_t s = 1; s <= maxs && s <= CX_REPORT_MAX_SESSIONS; s++) {
		int pen = 0;

		for (size_t i = 0; i < rep->nturns; i++) {
			const struct cx_report_turn *t = &rep->turns[i];

			if (t->session != s || t->usage.input < 0)
				continue;
			if (!pen)
				fprintf(f, "<path class=\"sl%zu\" d=\"", s % 6);
			fprintf(f, "%c%.2f %.2f", pen ? 'L' : 'M', CH_L +
			    (i + .5) * bw, CH_T + CH_H -
			    (double)t->usage.input * scale);
			pen = 1;
		}
		if (pen)
			fputs("\"/>\n", f);
	}
	for (size_t i = 0; i < rep->nturns; i++) {
		const struct cx_report_turn *t = &rep->turns[i];

		if (t->usage.input < 0)
			continue;
		fprintf(f, "<a class=\"pt\" href=\"#turn-%zu\">", i + 1);
		turn_title(f, t, i);
		fprintf(f, "<circle class=\"sd%zu\" cx=\"%.2f\" cy=\"%.2f\" "
		    "r=\"3\"/></a>\n", t->session % 6, CH_L + (i + .5) * bw,
		    CH_T + CH_H - (double)t->usage.input * scale);
	}
	x_axis(f, rep->nturns, bw);
	fputs("</svg></div>\n", f);
}

void
cx_htr_charts(FILE *f, const struct cx_report *rep)
{
	double bw;

	if (rep->nturns == 0)
		return;
	/* A turn's slot: the width shared, 48 at most. */
	bw = (W - 10 - CH_L) / (double)rep->nturns;
	if (bw > 48)
		bw = 48;
	fputs("<details open class=\"charts\"><summary>tokens per turn and "
	    "the context's size</summary>\n", f);
	token_bars(f, rep, bw);
	context_line(f, rep, bw);
	fputs("</details>\n", f);
}

/* --- a stream's arrivals --------------------------------------------- */

#define SC_W            600.0   /* the viewBox's width */
#define SC_H            90.0    /* the plot's height */
#define SC_L            60.0    /* left margin (the time labels) */
#define SC_T            8.0
#define SC_B            16.0    /* below (the sequence labels) */

void
cx_htr_stream_chart(FILE *f, const struct cx_exchange *ex,
    const struct cx_event *ev, size_t n)
{
	size_t k = n < CX_HTR_MAX_STREAM_POINTS ? n :
	    CX_HTR_MAX_STREAM_POINTS;
	double last = 0, xs, ys;
	size_t i, j;

	if (n < 2)
		return;
	for (i = 0; i < n; i++)
		if (ev[i].ts > ex->start && cx_ms(ev[i].ts - ex->start) > last)
			last = cx_ms(ev[i].ts - ex->start);
	if (!(last > 0))
		last = 1;
	xs = (SC_W - SC_L - 8) / (double)(n - 1);
	ys = SC_H / last;
	fprintf(f, "<p class=\"dim\">Arrival (since the request's start) "
	    "against number: a steep step is a stall.");
	if (k < n)
		fprintf(f, " %zu of the %zu drawn, evenly spaced.", k, n);
	fprintf(f, "</p>\n<div class=\"chart sc\"><svg class=\"arr\" "
	    "xmlns=\"http://www.w3.org/2000/svg\" viewBox=\"0 0 %.0f %.0f\" "
	    "role=\"img\" aria-label=\"arrival times\">\n<g class=\"ax\">"
	    "<line x1=\"%.0f\" y1=\"%.0f\" x2=\"%.0f\" y2=\"%.0f\"/>"
	    "<line x1=\"%.0f\" y1=\"%.0f\" x2=\"%.0f\" y2=\"%.0f\"/>"
	    "<text x=\"%.0f\" y=\"%.0f\" text-anchor=\"end\">", SC_W,
	    SC_T + SC_H + SC_B, SC_L, SC_T, SC_L, SC_T + SC_H, SC_L,
	    SC_T + SC_H, SC_W - 8, SC_T + SC_H, SC_L - 4, SC_T + 9);
	dur(f, last);
	fprintf(f, "</text><text x=\"%.0f\" y=\"%.0f\" text-anchor=\"end\">0"
	    "</text><text x=\"%.0f\" y=\"%.0f\">1</text><text x=\"%.0f\" "
	    "y=\"%.0f\" text-anchor=\"end\">%zu</text></g>\n", SC_L - 4,
	    SC_T + SC_H, SC_L, SC_T + SC_H + 13, SC_W - 8,
	    SC_T + SC_H + 13, n);
	/* A step line through the points drawn, then a dot each. */
	fputs("<path class=\"stp\" d=\"", f);
	for (j = 0; j < k; j++) {
		i = k == n ? j : j * (n - 1) / (k - 1);
		double t = ev[i].ts > ex->start ? cx_ms(ev[i].ts - ex->start) :
		    0;

		if (j == 0) {
			fputc('M', f);
			fixed1(f, SC_L + i * xs);
			fputc(' ', f);
			fixed1(f, SC_T + SC_H - t * ys);
		} else {
			fputc('V', f);
			fixed1(f, SC_T + SC_H - t * ys);
		}
		if (j + 1 < k) {
			fputc('H', f);
			fixed1(f, SC_L + (k == n ? j + 1 :
			    (j + 1) * (n - 1) / (k - 1)) * xs);
		}
	}
	fputs("\"/>\n", f);
	for (j = 0; j < k; j++) {
		i = k == n ? j : j * (n - 1) / (k - 1);
		double t = ev[i].ts > ex->start ? cx_ms(ev[i].ts - ex->start) :
		    0;

		fputs("<circle class=\"sp\" cx=\"", f);
		fixed1(f, SC_L + i * xs);
		fputs("\" cy=\"", f);
		fixed1(f, SC_T + SC_H - t * ys);
		fprintf(f, "\" r=\"2\"><title>%zu: +", i + 1);
		dur(f, t);
		fputs("</title></circle>", f);
	}
	fputs("\n</svg></div>\n", f);
}
