/*
 * out_html_filter.c: the HTML report's filters beside the search box:
 * process, endpoint, status class and "errors only", as <select>s and a
 * checkbox whose values are indexes (lanes[], ep[]) or numbers, never
 * trace text; and the keys an exchange, a turn or a timeline bar carries
 * for them, as data-* attributes holding numbers only (report.h's
 * timeline row).  The page's script compares these strings, nothing more.
 */
#include <inttypes.h>
#include <stdio.h>

#include "escape.h"
#include "out_html.h"
#include "report.h"

int
cx_htr_bad(const struct cx_report_tlrow *r)
{
	return r->error || r->status >= 400 || r->status == 0;
}

void
cx_htr_keys(FILE *f, const struct cx_report_tlrow *r)
{
	if (r == NULL)
		return;
	fprintf(f, " data-p=\"%" PRIu32 "\" data-e=\"%" PRId32 "\" "
	    "data-s=\"%d\" data-x=\"%d\"", r->lane, r->ep < 0 ? -1 : r->ep,
	    r->status / 100, cx_htr_bad(r));
}

const struct cx_report_tlrow *
cx_htr_row(const struct cx_report *rep, uint64_t id, size_t *cursor)
{
	size_t i;

	if (*cursor < rep->ntl && rep->tl[*cursor].id == id)
		return &rep->tl[(*cursor)++];
	/* Ahead (the exchanges between are another thread's). */
	for (i = *cursor; i < rep->ntl; i++)
		if (rep->tl[i].id == id) {
			*cursor = i + 1;
			return &rep->tl[i];
		}
	for (i = 0; i < rep->ntl; i++)
		if (rep->tl[i].id == id) {
			*cursor = i + 1;
			return &rep->tl[i];
		}
	return NULL;
}

void
cx_htr_filters(FILE *f, const struct cx_out_ctx *ctx,
    const struct cx_report *rep)
{
	static const char *const cls[] = { "no response", "1xx", "2xx",
	    "3xx", "4xx", "5xx", "6xx", "7xx", "8xx", "9xx" };
	int seen[10] = { 0 };

	fputs("<select id=\"fp\" title=\"process\"><option value=\"\">all "
	    "processes</option>", f);
	for (size_t i = 0; i < rep->nlanes; i++) {
		const struct cx_report_lane *ln = &rep->lanes[i];

		fprintf(f, "<option value=\"%zu\">", i);
		if (ln->pid == 0)
			fputs("no known process", f);
		else {
			fprintf(f, "pid %" PRIu32, ln->pid);
			if (ln->comm != NULL) {
				fputc(' ', f);
				cx_htr_texts(f, ctx, ln->comm, 0);
			}
		}
		fprintf(f, " (%zu)</option>", ln->n);
	}
	fputs("</select><select id=\"fe\" title=\"endpoint\"><option value=\"\">"
	    "all endpoints</option>", f);
	for (size_t i = 0; i < rep->nep; i++) {
		fprintf(f, "<option value=\"%zu\">", i);
		cx_htr_texts(f, ctx, rep->ep[i].key, 1);
		fprintf(f, " (%" PRIu64 ")</option>", rep->ep[i].count);
	}
	if (rep->ep_other > 0)
		fprintf(f, "<option value=\"-1\">endpoints past the table's (%"
		    PRIu64 ")</option>", rep->ep_other);
	for (size_t i = 0; i < rep->ntl; i++)
		seen[rep->tl[i].status / 100 % 10] = 1;
	fputs("</select><select id=\"fs\" title=\"status\"><option value=\"\">"
	    "any status</option>", f);
	for (int i = 1; i <= 10; i++)
		if (seen[i % 10])
			fprintf(f, "<option value=\"%d\">%s</option>", i % 10,
			    cls[i % 10]);
	fputs("</select><label class=\"fx\"><input id=\"fx\" type=\"checkbox\">"
	    " errors only</label>", f);
}
