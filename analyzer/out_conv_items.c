/*
 * out_conv_items.c: the conversation view's writing (out_conv.c): text
 * from the traffic redacted and escaped inline, as prose or as code, in
 * plain text or Markdown; an item of a turn (a message, reasoning, a tool
 * call or its result, a refusal, an error, a raw item); a turn's end (its
 * stop reason, usage and token times).
 */
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "conv.h"
#include "escape.h"
#include "json.h"
#include "out_conv.h"
#include "output.h"
#include "strmap.h"

/* --- writing --------------------------------------------------------- */

/* The redacted form of s[0..n), valid until the next call. */
static const char *
red(struct cx_conv *c, const char *s, size_t n, int url, size_t *len)
{
	cx_buf_reset(&c->rb);
	cx_out_redact(&c->rb, c->ctx->redact, url ? CX_AS_URL : CX_AS_TEXT, s,
	    n);
	*len = c->rb.len;
	return (const char *)c->rb.p;
}

/* Text from the trace on one line, redacted and escaped. */
void
cx_cv_inl(struct cx_conv *c, const char *s)
{
	size_t n;
	const char *r;

	if (s == NULL)
		s = "";
	r = red(c, s, strlen(s), 0, &n);
	if (c->md)
		cx_md_prose(c->f, r, n, 0, "");
	else
		cx_out_term(c->f, r, n, 0, "");
}

void
cx_cv_inl_url(struct cx_conv *c, const char *s)
{
	size_t n;
	const char *r = red(c, s, strlen(s), 1, &n);

	if (c->md)
		cx_md_prose(c->f, r, n, 0, "");
	else
		cx_out_term(c->f, r, n, 0, "");
}

static void
more(struct cx_conv *c, size_t left)
{
	if (left == 0)
		return;
	if (c->md)
		fprintf(c->f, "\\.\\.\\. %zu more bytes not shown "
		    "\\(\\-\\-max\\-body\\)\n\n", left);
	else
		fprintf(c->f, IND2 "... %zu more bytes not shown "
		    "(--max-body)\n", left);
}

/*
 * A heading for an item: plain "   >> what name (id):", Markdown
 * "**what name \(id\):**"; name and id come from the traffic.
 */
static void
heading(struct cx_conv *c, const char *mark, const char *what, const char *name,
    const char *id)
{
	if (c->md)
		fputs("\n**", c->f);      /* a blank line ends a list */
	else
		fprintf(c->f, IND "%s ", mark);
	fputs(what, c->f);
	if (name != NULL) {
		if (*what != '\0')
			fputc(' ', c->f);
		cx_cv_inl(c, name);
	}
	if (id != NULL) {
		fputs(c->md ? " \\(" : " (", c->f);
		cx_cv_inl(c, id);
		fputs(c->md ? "\\)" : ")", c->f);
	}
	fputs(c->md ? ":**\n\n" : ":\n", c->f);
}

/* Prose (a message, reasoning): plain indented, Markdown a blockquote. */
static void
prose(struct cx_conv *c, const char *s, size_t n)
{
	size_t len, show;
	const char *r = red(c, s, n, 0, &len);

	while (len > 0 && (r[len - 1] == '\n' || r[len - 1] == '\r'))
		len--;
	show = cx_out_shown(c->ctx, r, len);
	if (c->md) {
		fputs("> ", c->f);
		cx_md_prose(c->f, r, show, 1, "> ");
		fputs("\n\n", c->f);
	} else {
		fputs(IND2, c->f);
		cx_out_term(c->f, r, show, 1, IND2);
		fputc('\n', c->f);
	}
	more(c, len - show);
}

/* Code (JSON, tool output, patches): plain indented, Markdown fenced. */
static void
code(struct cx_conv *c, const char *r, size_t len, const char *info)
{
	size_t show, fence;

	while (len > 0 && (r[len - 1] == '\n' || r[len - 1] == '\r'))
		len--;
	show = cx_out_shown(c->ctx, r, len);
	if (!c->md) {
		fputs(IND2, c->f);
		cx_out_term(c->f, r, show, 1, IND2);
		fputc('\n', c->f);
		more(c, len - show);
		return;
	}
	fence = cx_md_fence_len(r, show);
	for (size_t i = 0; i < fence; i++)
		fputc('`', c->f);
	fprintf(c->f, "%s\n", info);
	/* Inside a fence only controls need care. */
	cx_out_term(c->f, r, show, 1, "");
	fputc('\n', c->f);
	for (size_t i = 0; i < fence; i++)
		fputc('`', c->f);
	fputs("\n\n", c->f);
	more(c, len - show);
}

static void
code_text(struct cx_conv *c, const char *s, size_t n)
{
	size_t len;
	const char *r = red(c, s, n, 0, &len);

	code(c, r, len, "text");
}

/* JSON text pretty-printed (redacted), or as text if it is not JSON. */
static void
code_json(struct cx_conv *c, const char *s, size_t n)
{
	char *mem = NULL;
	size_t memlen = 0;
	FILE *ms;

	if (!cx_json_check(s, n, CX_JSON_SCALAR) ||
	    (ms = open_memstream(&mem, &memlen)) == NULL) {
		code_text(c, s, n);
		return;
	}
	cx_json_write(ms, s, n, CX_JSON_PRETTY | CX_JSON_SCALAR |
	    (c->ctx->redact ? CX_JSON_REDACT : 0), "");
	fclose(ms);
	code(c, mem, memlen, "json");
	free(mem);
}

/* A bullet (Markdown) or an indented line (plain); the caller ends it. */
void
cx_cv_item_line(struct cx_conv *c)
{
	fputs(c->md ? "- " : IND, c->f);
}

/* --- items --------------------------------------------------------------- */

void
cx_cv_note_line(struct cx_conv *c, const char *what, const char *s)
{
	cx_cv_item_line(c);
	fputs(what, c->f);
	cx_cv_inl(c, s);
	fputc('\n', c->f);
}

/* One item; mark: ">>" sent, "<<" received. */
void
cx_cv_item(struct cx_conv *c, const struct cx_item *it, const char *mark)
{
	const char *name;

	switch (it->kind) {
	case CX_ITEM_TEXT:
		heading(c, mark, "", cx_role_name(it->role, "?"), NULL);
		prose(c, it->text, it->len);
		break;
	case CX_ITEM_REASONING:
		if (!it->hidden) {
			heading(c, mark, "reasoning", NULL, NULL);
			prose(c, it->text, it->len);
		} else if (it->len > 0) {
			heading(c, mark, "reasoning (hidden; its summary)",
			    NULL, NULL);
			prose(c, it->text, it->len);
		} else {
			cx_cv_item_line(c);
			fprintf(c->f, "%sreasoning (hidden, no summary)\n",
			    c->md ? "" : mark[0] == '<' ? "<< " : ">> ");
		}
		break;
	case CX_ITEM_TOOL_CALL:
		if (it->call_id != NULL && it->name != NULL)
			cx_strmap_put(c->calls, it->call_id, it->name);
		heading(c, mark, "call", it->name ? it->name : "(no name)",
		    it->call_id);
		code_json(c, it->text, it->len);
		break;
	case CX_ITEM_TOOL_RESULT:
		name = it->name;
		if (name == NULL && it->call_id != NULL)
			name = cx_strmap_get(c->calls, it->call_id);
		heading(c, mark, "tool output", name ? name :
		    "(unknown call)", it->call_id);
		code_text(c, it->text, it->len);
		break;
	case CX_ITEM_REFUSAL:
		heading(c, mark, "refusal", NULL, NULL);
		prose(c, it->text, it->len);
		break;
	case CX_ITEM_ERROR:
		heading(c, mark, "error", NULL, NULL);
		code_json(c, it->text, it->len);
		break;
	case CX_ITEM_OTHER:
		heading(c, mark, "raw", NULL, it->note ? it->note :
		    "no note");
		code_json(c, it->text, it->len);
		return;
	}
	if (it->note != NULL)
		cx_cv_note_line(c, "note: ", it->note);
}

/* Instructions folded: their first lines, and their size. */
void
cx_cv_instructions(struct cx_conv *c, const struct cx_item *it)
{
	size_t n = 0, lines = 0;

	if (it->kind != CX_ITEM_TEXT) {
		cx_cv_item(c, it, ">>");
		return;
	}
	while (n < it->len && lines < FOLD_LINES) {
		const char *nl = memchr(it->text + n, '\n', it->len - n);

		n = nl != NULL ? (size_t)(nl - it->text) + 1 : it->len;
		lines++;
	}
	heading(c, ">>", "instructions", cx_role_name(it->role, "?"), NULL);
	prose(c, it->text, n);
	if (n < it->len) {
		cx_cv_item_line(c);
		fprintf(c->f, "(folded: %zu bytes in all, %zu more not "
		    "shown)\n", it->len, it->len - n);
	}
}

/* --- usage and times ---------------------------------------------------- */

static void
count(FILE *f, int64_t n)
{
	if (n < 0)
		fputc('?', f);
	else
		fprintf(f, "%" PRId64, n);
}

/* "input N (cached N, cache write N), output N (reasoning N), total N" */
void
cx_cv_usage_text(FILE *f, const struct cx_usage *u)
{
	fputs("input ", f);
	count(f, u->input);
	if (u->cached >= 0 || u->cache_write >= 0) {
		fputs(" (", f);
		if (u->cached >= 0) {
			fputs("cached ", f);
			count(f, u->cached);
		}
		if (u->cache_write >= 0) {
			fputs(u->cached >= 0 ? ", cache write " :
			    "cache write ", f);
			count(f, u->cache_write);
		}
		fputc(')', f);
	}
	fputs(", output ", f);
	count(f, u->output);
	if (u->reasoning >= 0) {
		fputs(" (reasoning ", f);
		count(f, u->reasoning);
		fputc(')', f);
	}
	fputs(", total ", f);
	count(f, cx_usage_total(u));
}

/* "cost: $0.0123 (claude-sonnet-4-5, prices read 2026-12-07)", or "cost:
 * no price for MODEL"; nothing when the API reported no usage. */
static void
cost_line(struct cx_conv *c, const struct cx_turn *t)
{
	const char *m = t->model_answered != NULL ? t->model_answered :
	    t->model;
	const struct cx_price *p;
	struct cx_cost one;
	char buf[96];

	cx_cost_init(&one);
	p = cx_cost_of_turn(&one, c->ctx->prices, t);
	cx_cost_add(&c->cost, &one);
	if (one.priced == 0 && one.noprice == 0)
		return;
	cx_cv_item_line(c);
	if (p == NULL) {
		fputs("cost: no price for ", c->f);
		cx_cv_inl(c, m != NULL ? m : "(unknown model)");
		fputs(c->md ? " \\(not in the price table\\)\n" :
		    " (not in the price table)\n", c->f);
		return;
	}
	cx_cost_text(buf, sizeof(buf), &one, 1);
	fprintf(c->f, "cost: %s %s", buf, c->md ? "\\(" : "(");
	cx_cv_inl(c, p->model);
	if (p->above > 0)
		fprintf(c->f, " above %" PRId64 " input tokens", p->above);
	if (p->date != NULL && *p->date != '\0') {
		fputs(", prices read ", c->f);
		cx_cv_inl(c, p->date);
	}
	fputs(c->md ? "\\)\n" : ")\n", c->f);
}

void
cx_cv_end_of_turn(struct cx_conv *c, const struct cx_turn *t)
{
	if (t->stop_reason != NULL || t->response_id != NULL) {
		cx_cv_item_line(c);
		fputs("stop: ", c->f);
		cx_cv_inl(c, t->stop_reason ? t->stop_reason : "(none)");
		if (t->response_id != NULL) {
			fputs(", response id ", c->f);
			cx_cv_inl(c, t->response_id);
		}
		fputc('\n', c->f);
	}
	if (cx_usage_known(&t->usage)) {
		cx_cv_item_line(c);
		fputs("usage: ", c->f);
		cx_cv_usage_text(c->f, &t->usage);
		if (t->usage.api_total >= 0 &&
		    t->usage.api_total != cx_usage_total(&t->usage))
			fprintf(c->f, " (the API says %" PRId64 ")",
			    t->usage.api_total);
		fputc('\n', c->f);
	}
	cost_line(c, t);
	if (t->t_first_token > 0 && t->t_request > 0) {
		cx_cv_item_line(c);
		fprintf(c->f, "first token after %.1f ms", cx_ms(
		    t->t_first_token - t->t_request));
		if (t->t_last_token > 0)
			fprintf(c->f, ", last after %.1f ms", cx_ms(
			    t->t_last_token - t->t_request));
		fputc('\n', c->f);
	}
}
