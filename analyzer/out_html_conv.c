/*
 * out_html_conv.c: the HTML report's conversation, turn by turn, from the
 * conversation model (conv.h) as the report's facts hand its turns over
 * (report.h): an article a turn with its instructions and tools folded
 * (shown again only when they change within the session), the input new
 * in its session, the answer (text, reasoning folded, tool calls with
 * their arguments, tool results), and its usage and cost (the facts' row).
 *
 * Everything taken from the traffic is redacted unless --no-redact and
 * written as escaped text.
 */
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "conv.h"
#include "escape.h"
#include "out_html.h"
#include "output.h"
#include "price.h"
#include "report.h"
#include "strmap.h"
#include "xmalloc.h"

/* Sessions whose instructions and tools are remembered (the rest show
 * them each turn). */
#define MAX_SESS        4096
/* Tool calls whose names a result can find (strmap.h). */
#define MAX_CALLS       65536
/* ... and whose arguments it is shown beside (the first ARGS_MAX bytes). */
#define MAX_ARGS        4096
#define ARGS_MAX        4096

struct cx_htconv {
	FILE                    *f;
	const struct cx_out_ctx *ctx;
	size_t                   turns;
	uint64_t                 ins[MAX_SESS];  /* by session: a hash of */
	uint64_t                 tools[MAX_SESS];        /* what it showed */
	struct cx_strmap        *calls;         /* call id -> tool name */
	struct cx_strmap        *args;          /* call id -> "TURN\nargs" */
	const char              *last_call;     /* the item just written was
						 * this call (its id) */
};

struct cx_htconv *
cx_htconv_new(FILE *f, const struct cx_out_ctx *ctx)
{
	struct cx_htconv *c = xcalloc(1, sizeof(*c));

	c->f = f;
	c->ctx = ctx;
	c->calls = cx_strmap_new(MAX_CALLS);
	c->args = cx_strmap_new(MAX_ARGS);
	return c;
}

size_t
cx_htconv_end(struct cx_htconv *c)
{
	size_t n = c->turns;

	cx_strmap_free(c->calls);
	cx_strmap_free(c->args);
	free(c);
	return n;
}

/* FNV-1a over s[0..n), on from h (1 when empty). */
static uint64_t
hash(uint64_t h, const char *s, size_t n)
{
	if (h == 0)
		h = 0xcbf29ce484222325ull;
	for (size_t i = 0; i < n; i++)
		h = (h ^ (uint8_t)s[i]) * 0x100000001b3ull;
	return h | 1;
}

static uint64_t
hash_s(uint64_t h, const char *s)
{
	return s != NULL ? hash(h, s, strlen(s) + 1) : hash(h, "", 0);
}

/* Redacted text of an item in a <pre>. */
static void
text_pre(struct cx_htconv *c, const char *cls, const char *s, size_t n)
{
	struct cx_buf b;

	cx_buf_init(&b, 0);
	cx_out_redact(&b, c->ctx->redact, CX_AS_TEXT, s, n);
	cx_htr_pre(c->f, c->ctx, cls, (const char *)b.p, b.len);
	cx_buf_free(&b);
}

/* "<div class="item cls"><div class="who">what NAME (ID)</div>" */
static void
item_head(struct cx_htconv *c, const char *cls, const char *what,
    const char *name, const char *id)
{
	fprintf(c->f, "<div class=\"item %s\"><div class=\"who\">%s", cls,
	    what);
	if (name != NULL) {
		fputs(" <b>", c->f);
		cx_htr_texts(c->f, c->ctx, name, 0);
		fputs("</b>", c->f);
	}
	if (id != NULL) {
		fputs(" <span class=\"id\">(", c->f);
		cx_htr_texts(c->f, c->ctx, id, 0);
		fputs(")</span>", c->f);
	}
	fputs("</div>\n", c->f);
}

/* A call's arguments, remembered for its result (side by side). */
static void
remember_args(struct cx_htconv *c, const struct cx_item *it)
{
	char *v;
	size_t n = it->len < ARGS_MAX ? it->len : ARGS_MAX;

	if (it->call_id == NULL || it->call_id_derived)
		return;
	v = xasprintf("%zu\n%.*s", c->turns, (int)n, it->text);
	cx_strmap_put(c->args, it->call_id, v);
	free(v);
}

/*
 * Before a result: its call, when remembered from an earlier item than
 * the one just written, opening a <div class="pair"> (the call beside the
 * result); 1 if it did.
 */
static int
pair_open(struct cx_htconv *c, const struct cx_item *it, const char *name)
{
	const char *v, *nl;
	char *args;
	size_t turn;

	if (it->call_id == NULL || (c->last_call != NULL &&
	    strcmp(c->last_call, it->call_id) == 0) ||
	    (v = cx_strmap_get(c->args, it->call_id)) == NULL ||
	    (nl = strchr(v, '\n')) == NULL)
		return 0;
	turn = (size_t)strtoull(v, NULL, 10);
	args = xstrdup(nl + 1);         /* v is the map's, until a put */
	fputs("<div class=\"pair\">", c->f);
	item_head(c, "call", "tool call", name, it->call_id);
	cx_htr_json(c->f, c->ctx, "code", args, strlen(args));
	if (turn > 0)
		fprintf(c->f, "<p class=\"dim\">called in <a href=\"#turn-%zu\">"
		    "turn %zu</a></p>\n", turn, turn);
	fputs("</div>\n", c->f);
	free(args);
	return 1;
}

static void
item(struct cx_htconv *c, const struct cx_item *it)
{
	FILE *f = c->f;
	const char *name;
	char sz[32];
	int pair = 0;

	switch (it->kind) {
	case CX_ITEM_TEXT:
		name = cx_role_name(it->role, "other");
		fprintf(f, "<div class=\"item msg r-%s\"><div class=\"who\">"
		    "%s</div>\n", name, name);
		text_pre(c, "prose", it->text, it->len);
		break;
	case CX_ITEM_REASONING:
		cx_htr_size(sz, sizeof(sz), it->len);
		fprintf(f, "<div class=\"item reasoning\"><details><summary>"
		    "reasoning%s (%s)</summary>\n", it->hidden ? (it->len > 0 ?
		    ", hidden: its summary" : ", hidden, no summary") : "", sz);
		if (it->len > 0)
			text_pre(c, "prose", it->text, it->len);
		fputs("</details>\n", f);
		break;
	case CX_ITEM_TOOL_CALL:
		if (it->call_id != NULL && it->name != NULL)
			cx_strmap_put(c->calls, it->call_id, it->name);
		remember_args(c, it);
		item_head(c, "call", "tool call", it->name ? it->name :
		    "(no name)", it->call_id);
		cx_htr_json(f, c->ctx, "code", it->text, it->len);
		break;
	case CX_ITEM_TOOL_RESULT:
		name = it->name;
		if (name == NULL && it->call_id != NULL)
			name = cx_strmap_get(c->calls, it->call_id);
		pair = pair_open(c, it, name ? name : "(no name)");
		item_head(c, "result", "tool result", name ? name :
		    "(unknown call)", it->call_id);
		text_pre(c, "code", it->text, it->len);
		break;
	case CX_ITEM_REFUSAL:
		item_head(c, "refusal", "refusal", NULL, NULL);
		text_pre(c, "prose", it->text, it->len);
		break;
	case CX_ITEM_ERROR:
		item_head(c, "error", "error", NULL, NULL);
		text_pre(c, "prose", it->text, it->len);
		break;
	case CX_ITEM_OTHER:
		item_head(c, "other", "item kept raw", NULL, NULL);
		cx_htr_json(f, c->ctx, "code", it->text, it->len);
		break;
	}
	if (it->note != NULL) {
		fputs("<p class=\"note\">note: ", f);
		cx_htr_texts(f, c->ctx, it->note, 0);
		fputs("</p>\n", f);
	}
	fputs(pair ? "</div></div>\n" : "</div>\n", f);
	c->last_call = it->kind == CX_ITEM_TOOL_CALL ? it->call_id : NULL;
}

/* Instructions and tools, folded; only when they changed in the session
 * (remembered per session, the first MAX_SESS). */
static void
preamble(struct cx_htconv *c, const struct cx_turn *t, size_t sess)
{
	FILE *f = c->f;
	uint64_t hi = 0, ht = 0;
	size_t bytes = 0;
	char sz[32];

	for (size_t i = 0; i < t->instructions.n; i++) {
		const struct cx_item *it = &t->instructions.v[i];

		hi = hash(hi, it->text, it->len + 1);
		bytes += it->len;
	}
	for (size_t i = 0; i < t->ntools; i++) {
		ht = hash_s(ht, t->tools[i].name);
		ht = hash_s(ht, t->tools[i].description);
		ht = hash_s(ht, t->tools[i].schema);
	}
	if (t->instructions.n > 0) {
		if (sess < MAX_SESS && c->ins[sess] == hi)
			fputs("<p class=\"dim\">instructions as before</p>\n",
			    f);
		else {
			cx_htr_size(sz, sizeof(sz), bytes);
			fprintf(f, "<details class=\"ins\"><summary>"
			    "instructions (%zu, %s)</summary>\n",
			    t->instructions.n, sz);
			for (size_t i = 0; i < t->instructions.n; i++)
				item(c, &t->instructions.v[i]);
			fputs("</details>\n", f);
		}
		if (sess < MAX_SESS)
			c->ins[sess] = hi;
	}
	if (t->ntools > 0) {
		if (sess < MAX_SESS && c->tools[sess] == ht)
			fprintf(f, "<p class=\"dim\">%zu tools as before</p>\n",
			    t->ntools);
		else {
			fprintf(f, "<details class=\"tools\"><summary>tools "
			    "offered (%zu)</summary>\n<ul>\n", t->ntools);
			for (size_t i = 0; i < t->ntools; i++) {
				const struct cx_tool *tl = &t->tools[i];

				fputs("<li><b>", f);
				cx_htr_texts(f, c->ctx, tl->name, 0);
				fputs("</b>", f);
				if (tl->description != NULL) {
					fputs(": ", f);
					cx_htr_texts(f, c->ctx,
					    tl->description, 0);
				}
				if (tl->schema != NULL) {
					fputs("<details><summary>parameters"
					    "</summary>\n", f);
					cx_htr_json(f, c->ctx, "code",
					    tl->schema, strlen(tl->schema));
					fputs("</details>", f);
				}
				fputs("</li>\n", f);
			}
			fputs("</ul></details>\n", f);
		}
		if (sess < MAX_SESS)
			c->tools[sess] = ht;
	}
}

/* The turn's row in the facts (its usage and cost): the last one. */
static const struct cx_report_turn *
row_of(const struct cx_report *rep)
{
	if (rep->turns_all > rep->nturns)
		return &rep->spare;
	return rep->nturns > 0 ? &rep->turns[rep->nturns - 1] : NULL;
}

static void
usage_line(struct cx_htconv *c, const struct cx_turn *t,
    const struct cx_report *rep)
{
	const struct cx_report_turn *r = row_of(rep);
	const struct cx_usage *u = &t->usage;
	FILE *f = c->f;
	char cost[96];

	fputs("<p class=\"usage\">", f);
	if (t->stop_reason != NULL) {
		fputs("stop: ", f);
		cx_htr_texts(f, c->ctx, t->stop_reason, 0);
		fputs(" \xc2\xb7 ", f);
	}
	if (!cx_usage_known(u))
		fputs("no usage reported", f);
	else {
		fputs("tokens: input ", f);
		cx_htr_count(f, u->input);
		fputs(" (cached ", f);
		cx_htr_count(f, u->cached);
		fputs(", cache write ", f);
		cx_htr_count(f, u->cache_write);
		fputs("), output ", f);
		cx_htr_count(f, u->output);
		fputs(" (reasoning ", f);
		cx_htr_count(f, u->reasoning);
		fputs("), total ", f);
		cx_htr_count(f, cx_usage_total(u));
	}
	if (r != NULL) {
		cx_cost_text(cost, sizeof(cost), &r->cost, 1);
		fprintf(f, " \xc2\xb7 cost %s", cost);
		if (r->first_ms >= 0)
			fprintf(f, " \xc2\xb7 first token after %.1f ms",
			    r->first_ms);
	}
	fputs("</p>\n", f);
}

void
cx_htconv_turn(struct cx_htconv *c, const struct cx_turn *t, size_t session,
    const struct cx_report *rep)
{
	FILE *f = c->f;
	size_t old = 0;

	c->turns++;
	c->last_call = NULL;            /* the previous turn's, freed */
	fprintf(f, "<article class=\"turn f\" id=\"turn-%zu\"", c->turns);
	/* Its exchange's row: the last one, added before its turns. */
	if (rep != NULL && rep->ntl > 0 && t->ex != NULL &&
	    rep->tl[rep->ntl - 1].id == t->ex->id)
		cx_htr_keys(f, &rep->tl[rep->ntl - 1]);
	fprintf(f, ">\n<h3>Turn %zu <span class=\"dim\">session %zu "
	    "\xc2\xb7 ", c->turns, session);
	cx_html_texts(f, t->api);
	fputs(" \xc2\xb7 ", f);
	cx_htr_texts(f, c->ctx, t->model != NULL ? t->model :
	    t->model_answered != NULL ? t->model_answered : "?", 0);
	if (t->model != NULL && t->model_answered != NULL &&
	    strcmp(t->model, t->model_answered) != 0) {
		fputs(" (answered by ", f);
		cx_htr_texts(f, c->ctx, t->model_answered, 0);
		fputc(')', f);
	}
	if (t->warmup)
		fputs(" \xc2\xb7 warm-up", f);
	fprintf(f, " \xc2\xb7 <a href=\"#exchange-%" PRIu64 "\">exchange #%"
	    PRIu64 "</a>", t->ex->id, t->ex->id);
	if (t->ex->nws > 0)
		fprintf(f, " request %zu", t->index + 1);
	fputs("</span></h3>\n", f);
	preamble(c, t, session);
	fputs("<div class=\"in\">\n", f);
	for (size_t i = 0; i < t->input.n; i++) {
		if (!t->input.v[i].fresh) {
			old++;
			continue;
		}
		item(c, &t->input.v[i]);
	}
	if (old > 0)
		fprintf(f, "<p class=\"dim\">%zu earlier item%s of the session "
		    "resent, not shown</p>\n", old, old == 1 ? "" : "s");
	fputs("</div>\n<div class=\"out\">\n", f);
	for (size_t i = 0; i < t->output.n; i++)
		item(c, &t->output.v[i]);
	if (t->error != NULL) {
		item_head(c, "error", "the API's error", NULL, NULL);
		text_pre(c, "prose", t->error, strlen(t->error));
		fputs("</div>\n", f);
	}
	fputs("</div>\n", f);
	if (t->note != NULL) {
		fputs("<p class=\"note\">note: ", f);
		cx_htr_texts(f, c->ctx, t->note, 0);
		fputs("</p>\n", f);
	}
	usage_line(c, t, rep);
	fputs("</article>\n", f);
	c->last_call = NULL;
}

void
cx_htconv_answer(FILE *f, const struct cx_out_ctx *ctx, const struct cx_turn *t,
    size_t index)
{
	struct cx_htconv *c = cx_htconv_new(f, ctx);

	fprintf(f, "<article class=\"turn f live\">\n<h3>Answering "
	    "<span class=\"dim\">");
	cx_html_texts(f, t->api);
	fputs(" \xc2\xb7 ", f);
	cx_htr_texts(f, ctx, t->model != NULL ? t->model :
	    t->model_answered != NULL ? t->model_answered : "?", 0);
	if (t->ex->nws > 0)
		fprintf(f, " \xc2\xb7 request %zu", index + 1);
	fputs(" \xc2\xb7 in progress</span></h3>\n<div class=\"out\">\n", f);
	for (size_t i = 0; i < t->output.n; i++)
		item(c, &t->output.v[i]);
	if (t->output.n == 0)
		fputs("<p class=\"dim\">nothing yet</p>\n", f);
	fputs("</div>\n</article>\n", f);
	cx_htconv_end(c);
}
