/*
 * out_text.c: a listing for people, in the spirit of mitmproxy's flow list
 * plus detail: a header about the trace, then per exchange a summary line,
 * the headers, the bodies (JSON indented) and the events one a line.
 *
 * Here: the listing (the header, the trace's notes between the exchanges,
 * the totals) and its helpers for a terminal; one exchange in detail is
 * out_text_exchange.c's.
 */
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <cJSON.h>

#include "escape.h"
#include "json.h"
#include "out_text_int.h"
#include "output.h"

void
text_tputs(FILE *f, const char *s)
{
	cx_out_term(f, s, strlen(s), 0, "");
}

void
text_rputs(FILE *f, const struct cx_out_ctx *ctx, const char *s)
{
	struct cx_buf b;

	cx_buf_init(&b, 0);
	cx_out_redact(&b, ctx->redact, CX_AS_TEXT, s, strlen(s));
	cx_out_term(f, (const char *)b.p, b.len, 0, "");
	cx_buf_free(&b);
}

void
text_rurl(FILE *f, const struct cx_out_ctx *ctx, const char *s)
{
	struct cx_buf b;

	cx_buf_init(&b, 0);
	cx_out_redact(&b, ctx->redact, CX_AS_URL, s, strlen(s));
	cx_out_term(f, (const char *)b.p, b.len, 0, "");
	cx_buf_free(&b);
}

void
text_size(char *buf, size_t len, uint64_t n)
{
	if (n < 1024)
		snprintf(buf, len, "%" PRIu64 "B", n);
	else if (n < 1024 * 1024)
		snprintf(buf, len, "%.1fKB", (double)n / 1024);
	else if (n < 1024ull * 1024 * 1024)
		snprintf(buf, len, "%.1fMB", (double)n / (1024 * 1024));
	else
		snprintf(buf, len, "%.2fGB", (double)n / (1024 * 1024 * 1024));
}

/*
 * JSON text compact (or pretty, lines after the first under indent); text
 * that turns out not to be JSON (invalid UTF-8, say) as escaped text.
 */
void
text_json_out(FILE *f, const struct cx_out_ctx *ctx, const char *p, size_t n,
    int pretty, int scalar, const char *indent)
{
	struct cx_buf b;

	if (cx_json_write(f, p, n, (ctx->redact ? CX_JSON_REDACT : 0) |
	    (pretty ? CX_JSON_PRETTY : 0) | (scalar ? CX_JSON_SCALAR : 0),
	    indent) >= 0)
		return;
	cx_buf_init(&b, 0);
	cx_out_redact(&b, ctx->redact, CX_AS_TEXT, p, n);
	cx_out_term(f, (const char *)b.p, b.len, 0, "");
	cx_buf_free(&b);
}

/* --- the header ---------------------------------------------------------- */

static int
plain_word(const char *s)
{
	if (*s == '\0')
		return 0;
	for (; *s != '\0'; s++)
		if (!strchr("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"
		    "0123456789_./=:,@%+-", *s))
			return 0;
	return 1;
}

/* A note member's value on one line. */
static void
note_value(FILE *f, const struct cx_out_ctx *ctx, const cJSON *v)
{
	const cJSON *e;
	char *s;
	int first = 1;

	if (cJSON_IsString(v)) {
		text_rputs(f, ctx, v->valuestring);
		return;
	}
	if (cJSON_IsArray(v)) {
		/* argv: shell words; routes: "prefix -> upstream". */
		cJSON_ArrayForEach(e, v) {
			const cJSON *pre = cJSON_GetObjectItem(e, "prefix");
			const cJSON *up = cJSON_GetObjectItem(e, "upstream");

			fputs(first ? "" : cJSON_IsString(e) ? " " : ", ", f);
			first = 0;
			if (cJSON_IsString(e) && plain_word(e->valuestring))
				text_rputs(f, ctx, e->valuestring);
			else if (cJSON_IsString(e)) {
				fputc('\'', f);
				for (const char *c = e->valuestring; *c; c++) {
					char one[2] = { *c, '\0' };

					if (*c == '\'')
						fputs("'\\''", f);
					else
						text_rputs(f, ctx, one);
				}
				fputc('\'', f);
			} else if (cJSON_IsString(pre) && cJSON_IsString(up)) {
				text_rputs(f, ctx, pre->valuestring);
				fputs(" -> ", f);
				text_rurl(f, ctx, up->valuestring);
			} else if ((s = cJSON_PrintUnformatted(e)) != NULL) {
				text_json_out(f, ctx, s, strlen(s), 0, 1, NULL);
				cJSON_free(s);
			}
		}
		if (first)
			fputs("(none)", f);
		return;
	}
	if ((s = cJSON_PrintUnformatted(v)) != NULL) {
		text_json_out(f, ctx, s, strlen(s), 0, 1, NULL);
		cJSON_free(s);
	}
}

static void
note(FILE *f, const struct cx_out_ctx *ctx, const struct cx_note *n)
{
	cJSON *o = cJSON_ParseWithLength(n->text, n->len), *v;
	const char *type;
	char when[64], sz[32];
	struct cx_buf b;

	cx_fmt_time(when, sizeof(when), ctx->info, n->ts, 0);
	if (!cJSON_IsObject(o)) {
		fprintf(f, "  %s %s from %s: ", when, cx_kind_name(n->kind),
		    cx_source_name(n->source));
		cx_buf_init(&b, 0);
		cx_out_redact(&b, ctx->redact, CX_AS_TEXT, n->text, n->len);
		cx_out_term(f, (const char *)b.p, b.len, 0, "");
		cx_buf_free(&b);
		fputc('\n', f);
		cJSON_Delete(o);
		return;
	}
	if (n->kind == CX_K_LOSS) {
		double fr = cJSON_GetNumberValue(cJSON_GetObjectItem(o,
		    "frames"));
		double by = cJSON_GetNumberValue(cJSON_GetObjectItem(o,
		    "bytes"));
		double en = cJSON_GetNumberValue(cJSON_GetObjectItem(o,
		    "errno"));

		text_size(sz, sizeof(sz), by > 0 ? (uint64_t)by : 0);
		fprintf(f, "  %s !! LOSS: the %s could not record %.0f "
		    "frames (%s)", when, cx_source_name(n->source),
		    fr > 0 ? fr : 0, sz);
		if (en > 0)
			fprintf(f, ": %s", strerror((int)en));
		fputc('\n', f);
		cJSON_Delete(o);
		return;
	}
	if (n->kind == CX_K_ERROR) {
		const char *e = cJSON_GetStringValue(cJSON_GetObjectItem(o,
		    "error"));

		fprintf(f, "  %s !! error from the %s: ", when,
		    cx_source_name(n->source));
		if (e != NULL)
			text_rputs(f, ctx, e);
		else
			note_value(f, ctx, o);
		fputc('\n', f);
		cJSON_Delete(o);
		return;
	}
	type = cJSON_GetStringValue(cJSON_GetObjectItem(o, "type"));
	fprintf(f, "  %s note", when);
	if (type != NULL) {
		fputs(" \"", f);
		text_tputs(f, type);
		fputc('"', f);
	}
	fprintf(f, " from %s\n", cx_source_name(n->source));
	cJSON_ArrayForEach(v, o) {
		if (v->string == NULL || strcmp(v->string, "type") == 0)
			continue;
		fputs("      ", f);
		text_tputs(f, v->string);
		fputs(": ", f);
		note_value(f, ctx, v);
		fputc('\n', f);
	}
	cJSON_Delete(o);
}

static void
header(FILE *f, const struct cx_out_ctx *ctx)
{
	char when[64];

	cx_fmt_time(when, sizeof(when), ctx->info, ctx->info->monotonic_ns, 1);
	fputs("cxrec trace ", f);
	text_tputs(f, ctx->trace_path);
	fputs("\n  host ", f);
	text_tputs(f, ctx->info->host);
	fprintf(f, ", started %s by pid %" PRIu32 " (times below are UTC)\n\n",
	    when, ctx->info->writer_pid);
}

/*
 * The listing is written as the exchanges come: the trace's notes (the
 * run, losses, errors not about an exchange) each before the first
 * exchange that started after it, the totals at the end.
 */
struct text {
	FILE                    *f;
	const struct cx_out_ctx *ctx;
	size_t                   notes;         /* notes[0..notes) written */
	struct cx_ahead         *ahead;         /* exchanges rendered ahead */
	uint8_t                 *written;       /* notes written, by index */
	size_t                   written_len;
	size_t                   exchanges;
	size_t                   errors;
};

static void *
text_open(FILE *f, const struct cx_out_ctx *ctx)
{
	struct text *t = xcalloc(1, sizeof(*t));

	t->f = f;
	t->ctx = ctx;
	t->ahead = cx_ahead_new(NULL);
	header(f, ctx);
	return t;
}

/*
 * The notes not written yet that are from before ts, in trace order.
 * Notes are in file order, and writers' clocks are not quite in step: a
 * note stamped later than the next ones must not hold them back, so the
 * ones after it are looked at too (NOTES_AHEAD of them).
 */
#define NOTES_AHEAD     256
static void
notes_until(struct text *t, int64_t ts)
{
	const struct cx_analysis_result *r = t->ctx->r;
	size_t end = r->nnotes, any = 0;

	if (end - t->notes > NOTES_AHEAD && ts != INT64_MAX)
		end = t->notes + NOTES_AHEAD;
	if (t->written_len < end) {
		t->written = xrealloc(t->written, end);
		memset(t->written + t->written_len, 0, end - t->written_len);
		t->written_len = end;
	}
	for (size_t i = t->notes; i < end; i++) {
		if (t->written[i] || r->notes[i].ts > ts)
			continue;
		note(t->f, t->ctx, &r->notes[i]);
		t->written[i] = 1;
		any = 1;
	}
	while (t->notes < end && t->written[t->notes])
		t->notes++;
	if (any)
		fputc('\n', t->f);
}

static void
text_exchange(void *st, int pass, const struct cx_exchange *ex)
{
	struct text *t = st;

	(void)pass;
	notes_until(t, ex->start);
	if (!cx_ahead_take(t->ahead, ex, t->f))
		text_show_exchange(t->f, t->ctx, ex);
	t->exchanges++;
	if (ex->error != NULL)
		t->errors++;
}

static void *
render_ahead(FILE *f, void *arg, const struct cx_exchange *ex)
{
	text_show_exchange(f, arg, ex);
	return NULL;
}

/* On the reading thread: exchanges rendered ahead (output.h's cx_ahead). */
static void
text_prepare(void *st, int pass, const struct cx_exchange *ex)
{
	struct text *t = st;

	(void)pass;
	cx_ahead_put(t->ahead, ex, render_ahead, (void *)t->ctx);
}

static void
text_pass_done(void *st, int pass)
{
	struct text *t = st;
	const struct cx_analysis_result *r = t->ctx->r;
	const struct cx_reader_stats *d = t->ctx->damage;
	char up[32], down[32];
	FILE *f = t->f;

	(void)pass;
	notes_until(t, INT64_MAX);
	if (d != NULL && (d->corrupt_regions > 0 || d->torn_bytes > 0))
		fprintf(f, "!! damaged trace: %" PRIu64 " corrupt region%s (%"
		    PRIu64 " bytes skipped), %" PRIu64 " bytes of an incomplete "
		    "frame at the end\n", d->corrupt_regions,
		    d->corrupt_regions == 1 ? "" : "s", d->corrupt_bytes,
		    d->torn_bytes);
	text_size(up, sizeof(up), r->bytes_req);
	text_size(down, sizeof(down), r->bytes_resp);
	fprintf(f, "%zu exchange%s, %zu error%s, %s sent, %s received; %"
	    PRIu64 " frames, %" PRIu64 " connection%s", t->exchanges,
	    t->exchanges == 1 ? "" : "s", t->errors, t->errors == 1 ? "" : "s",
	    up, down, r->frames, r->connections,
	    r->connections == 1 ? "" : "s");
	if (r->lost_frames > 0)
		fprintf(f, ", %" PRIu64 " frames LOST", r->lost_frames);
	fputc('\n', f);
}

static void
text_close(void *st)
{
	struct text *t = st;

	cx_ahead_free(t->ahead);
	free(t->written);
	free(t);
}

const struct cx_out_format cx_out_text_format = {
	.name = "text",
	.summary = "a listing for a terminal",
	.passes = 1,
	.open = text_open,
	.exchange = text_exchange,
	.prepare = text_prepare,
	.pass_done = text_pass_done,
	.close = text_close,
};
