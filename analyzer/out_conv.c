/*
 * out_conv.c: the conversation view, turn by turn (docs/conversation.md),
 * for every model API: it reads the conversation model (conv.h) only.
 *
 * Every exchange an adapter claims gives its turns (one for an HTTP
 * exchange, one per request message on a WebSocket).  For each: the
 * session when it changes, the instructions at a session's first turn
 * (folded), the tools offered when they change, the input items new since
 * the session's previous turn (cx_sessions_turn), then the output items,
 * the stop reason, the usage and the token times.  Every other exchange
 * gets one line, in time order.  Nothing is dropped: what an adapter did
 * not understand comes as an "other" item and is shown raw.
 *
 * Plain text for a terminal (control characters escaped), or Markdown for
 * the report, where everything from the traffic is escaped outside code
 * blocks and code blocks are fenced with more backticks than they hold.
 * Everything shown is redacted unless ctx->redact is off.  The writing of
 * text, items and a turn's end is out_conv_items.c's.
 */
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "conv.h"
#include "escape.h"
#include "out_conv.h"
#include "output.h"
#include "strmap.h"

/* Tool calls remembered by call id (for their results' headings). */
#define MAX_CALLS       65536
#define MAX_ROOMS       4096    /* sessions whose tools and instructions
				 * are remembered at once */

/* --- what a session showed last ---------------------------------------- */

/* Session sess's room (its index in the arrays), emptied if another
 * session had it. */
static size_t
sess_room(struct cx_conv *c, size_t sess)
{
	size_t r = (sess - 1) % MAX_ROOMS;

	if (c->ntools == 0) {
		c->tools = xcalloc(MAX_ROOMS, sizeof(*c->tools));
		c->ins = xcalloc(MAX_ROOMS, sizeof(*c->ins));
		c->room_of = xcalloc(MAX_ROOMS, sizeof(*c->room_of));
		c->ntools = MAX_ROOMS;
	}
	if (c->room_of[r] != sess) {
		free(c->tools[r]);
		c->tools[r] = NULL;
		free(c->ins[r].h);
		memset(&c->ins[r], 0, sizeof(c->ins[r]));
		c->room_of[r] = sess;
	}
	return r;
}

/*
 * The instructions: those not among the session's last ones (all at its
 * first turn that has some; a hash of each is kept, not their text).
 */
static void
show_all_instructions(struct cx_conv *c, const struct cx_turn *t,
    size_t sess)
{
	size_t room = sess_room(c, sess);       /* first: it may allocate */
	struct ins *prev = &c->ins[room];
	uint64_t *h;

	if (t->instructions.n == 0)
		return;
	h = xcalloc(t->instructions.n, sizeof(*h));
	for (size_t i = 0; i < t->instructions.n; i++) {
		const struct cx_item *it = &t->instructions.v[i];
		int seen = 0;

		h[i] = 14695981039346656037u;
		for (size_t k = 0; k < it->len; k++)
			h[i] = (h[i] ^ (uint8_t)it->text[k]) * 1099511628211u;
		h[i] = (h[i] ^ (uint64_t)(it->role + 256)) * 1099511628211u;
		for (size_t k = 0; k < prev->n && !seen; k++)
			seen = prev->h[k] == h[i];
		if (!seen)
			cx_cv_instructions(c, it);
	}
	free(prev->h);
	prev->h = h;
	prev->n = t->instructions.n;
}

/* The tools offered, when they differ from the session's last list. */
static void
show_tools(struct cx_conv *c, const struct cx_turn *t, size_t sess)
{
	struct cx_buf b;
	char *list;
	char **prev;
	size_t room = sess_room(c, sess);       /* first: it may allocate */

	prev = &c->tools[room];
	cx_buf_init(&b, 0);
	for (size_t i = 0; i < t->ntools; i++) {
		if (i > 0)
			cx_buf_adds(&b, ", ");
		cx_buf_adds(&b, t->tools[i].name);
	}
	list = cx_buf_take(&b);
	/* A turn that continues a response (previous_response_id, a
	 * later message on a socket) offers none when they stay. */
	if ((t->ntools == 0 && (*prev == NULL ||
	    t->previous_response_id != NULL || t->index > 0)) ||
	    (*prev != NULL && strcmp(*prev, list) == 0)) {
		free(list);
		return;
	}
	cx_cv_item_line(c);
	fputs(*prev == NULL ? "tools offered: " : "tools offered (changed): ",
	    c->f);
	cx_cv_inl(c, *list ? list : "(none)");
	fputc('\n', c->f);
	free(*prev);
	*prev = list;
}

/* --- exchanges --------------------------------------------------------- */

static void
status_str(const struct cx_exchange *ex, char *buf, size_t len)
{
	if (ex->has_resp && ex->resp.head_done)
		snprintf(buf, len, "%d", ex->resp.status);
	else if (ex->has_resp)
		snprintf(buf, len, "response not decoded");
	else
		snprintf(buf, len, "no response");
}

static void
show_problems(struct cx_conv *c, const struct cx_exchange *ex)
{
	if (ex->error != NULL) {
		cx_cv_item_line(c);
		fputs(c->md ? "**error:** " : "!! error: ", c->f);
		cx_cv_inl(c, ex->error);
		fputc('\n', c->f);
	}
	if (ex->note != NULL)
		cx_cv_note_line(c, "note: ", ex->note);
}

static void
other(struct cx_conv *c, const struct cx_exchange *ex)
{
	char when[32], st[32];

	cx_fmt_time(when, sizeof(when), c->ctx->info, ex->start, 0);
	status_str(ex, st, sizeof(st));
	fputs(c->md ? "- " : "", c->f);
	fprintf(c->f, "%s #%" PRIu64 " ", when, ex->id);
	if (ex->has_req && ex->req.head_done) {
		cx_cv_inl(c, ex->req.method);
		fputc(' ', c->f);
		cx_cv_inl_url(c, ex->req.target);
	} else
		fputs(ex->has_req ? "(request not decoded)" : "(no request)",
		    c->f);
	fprintf(c->f, " %s %s", c->md ? "&rarr;" : "->", st);
	if (ex->error != NULL) {
		fputs(c->md ? " \\(error: " : " (error: ", c->f);
		cx_cv_inl(c, ex->error);
		fputs(c->md ? "\\)" : ")", c->f);
	}
	fputc('\n', c->f);
}

static void
count_api(struct cx_conv *c, const struct cx_turn *t)
{
	const char *name = t->api != NULL ? t->api : "?";
	size_t i;

	for (i = 0; i < c->napis; i++)
		if (strcmp(c->apis[i].name, name) == 0)
			break;
	if (i == c->napis) {
		if (c->napis == sizeof(c->apis) / sizeof(*c->apis))
			i--;            /* more APIs than the table: lumped */
		else {
			c->apis[c->napis].name = name;
			cx_usage_init(&c->apis[c->napis].usage);
			c->napis++;
		}
	}
	c->apis[i].turns++;
	cx_usage_add(&c->apis[i].usage, &t->usage);
	cx_usage_add(&c->usage, &t->usage);
}

/* The session line, when the turn's session is not the last one's. */
static void
show_session(struct cx_conv *c, const struct cx_turn *t, size_t sess)
{
	/* without a key, said only when it changes */
	if (sess == c->last_sess || (t->session == NULL && c->last_sess == 0)) {
		c->last_sess = sess;
		return;
	}
	cx_cv_item_line(c);
	fputs(c->last_sess == 0 ? "session " : "session (switched) ", c->f);
	if (t->session != NULL)
		cx_cv_inl(c, t->session);
	else
		fprintf(c->f, "#%zu (no key: process %u, %s)", sess,
		    t->ex != NULL ? t->ex->pid : 0u, t->api ? t->api : "?");
	fputc('\n', c->f);
	c->last_sess = sess;
}

void
cx_conv_turn(struct cx_conv *c, const struct cx_turn *t, size_t sess)
{
	const struct cx_exchange *ex = t->ex;
	const char *model = t->model ? t->model : t->model_answered;
	char when[32], st[32];

	if (c->in_list)
		fputc('\n', c->f);
	c->in_list = 0;
	c->turns++;
	count_api(c, t);
	cx_fmt_time(when, sizeof(when), c->ctx->info, ex->nws > 0 &&
	    t->t_request > 0 ? t->t_request : ex->start, 0);
	status_str(ex, st, sizeof(st));
	if (c->md) {
		fprintf(c->f, "\n### Turn %zu\n\n", c->turns);
		fprintf(c->f, "- %s, model ", when);
	} else
		fprintf(c->f, "== Turn %zu  %s  ", c->turns, when);
	cx_cv_inl(c, model ? model : "(unknown model)");
	if (t->model != NULL && t->model_answered != NULL &&
	    strcmp(t->model, t->model_answered) != 0) {
		fputs(" (answered by ", c->f);
		cx_cv_inl(c, t->model_answered);
		fputc(')', c->f);
	}
	fprintf(c->f, c->md ? ", %s" : "  %s", t->api ? t->api : "?");
	if (t->warmup)
		fputs(c->md ? " \\(warm\\-up\\)" : " (warm-up)", c->f);
	fprintf(c->f, c->md ? ", exchange #%" PRIu64 " \\(" :
	    "  (exchange #%" PRIu64 ", ", ex->id);
	cx_cv_inl(c, ex->req.method);
	fputc(' ', c->f);
	cx_cv_inl_url(c, ex->req.target);
	if (ex->nws > 0)
		fprintf(c->f, c->md ? ", WebSocket request %zu\\)\n" :
		    ", WebSocket request %zu)\n", t->index + 1);
	else
		fprintf(c->f, c->md ? " &rarr; %s\\)\n" : " -> %s)\n", st);
	show_session(c, t, sess);
	if (t->index == 0)
		show_problems(c, ex);
	if (t->error != NULL) {
		cx_cv_item_line(c);
		fputs(c->md ? "**error:** " : "!! error: ", c->f);
		cx_cv_inl(c, t->error);
		fputc('\n', c->f);
	}
	if (t->note != NULL)
		cx_cv_note_line(c, "note: ", t->note);
	show_all_instructions(c, t, sess);
	show_tools(c, t, sess);
	for (size_t i = 0; i < t->input.n; i++) {
		const struct cx_item *it = &t->input.v[i];

		if (it->fresh)
			cx_cv_item(c, it, ">>");
		else if (it->kind == CX_ITEM_TOOL_CALL && it->call_id &&
		    it->name)
			cx_strmap_put(c->calls, it->call_id, it->name);
	}
	for (size_t i = 0; i < t->output.n; i++)
		cx_cv_item(c, &t->output.v[i], "<<");
	cx_cv_end_of_turn(c, t);
	fputc('\n', c->f);
}

/* A turn from the adapter (cx_turn_fn): its session, then shown. */
static void
turn(void *arg, struct cx_turn *t)
{
	struct cx_conv *c = arg;
	int is_new = 0;

	cx_conv_turn(c, t, cx_sessions_turn(c->sessions, t, &is_new));
}

struct cx_conv *
cx_conv_new(FILE *f, const struct cx_out_ctx *ctx, int markdown)
{
	struct cx_conv *c = xcalloc(1, sizeof(*c));

	c->f = f;
	c->ctx = ctx;
	c->md = markdown;
	c->calls = cx_strmap_new(MAX_CALLS);
	c->sessions = cx_sessions_new();
	cx_usage_init(&c->usage);
	cx_buf_init(&c->rb, 0);
	if (!markdown) {
		fputs("cxrec conversation ", f);
		cx_out_term(f, ctx->trace_path, strlen(ctx->trace_path), 0, "");
		fputs(" (times are UTC)\n\n", f);
	}
	return c;
}

void
cx_conv_exchange(struct cx_conv *c, const struct cx_exchange *ex)
{
	if (cx_conv_turns(ex, turn, c) == 0)
		cx_conv_other(c, ex);
}

void
cx_conv_other(struct cx_conv *c, const struct cx_exchange *ex)
{
	if (c->md && !c->in_list && c->turns > 0)
		fputc('\n', c->f);
	c->in_list = 1;
	other(c, ex);
	c->others++;
}

void
cx_conv_end(struct cx_conv *c)
{
	FILE *f = c->f;

	if (c->in_list)
		fputc('\n', f);
	if (c->md)
		fputs("- ", f);
	fprintf(f, "%zu turn%s", c->turns, c->turns == 1 ? "" : "s");
	for (size_t i = 0; i < c->napis; i++)
		fprintf(f, "%s%s %zu", i == 0 ? " (" : ", ", c->apis[i].name,
		    c->apis[i].turns);
	fprintf(f, "%s, %zu other exchange%s", c->napis > 0 ? ")" : "",
	    c->others, c->others == 1 ? "" : "s");
	if (c->turns > 0) {
		char cost[96];

		fputs("; tokens: ", f);
		cx_cv_usage_text(f, &c->usage);
		cx_cost_text(cost, sizeof(cost), &c->cost, 1);
		fprintf(f, "; cost: %s", cost);
	}
	fputc('\n', f);
	for (size_t i = 0; i < c->ntools; i++)
		free(c->tools[i]);
	free(c->tools);
	for (size_t i = 0; i < c->ntools; i++)
		free(c->ins[i].h);
	free(c->ins);
	free(c->room_of);
	cx_sessions_free(c->sessions);
	cx_strmap_free(c->calls);
	cx_buf_free(&c->rb);
	free(c);
}

void
cx_out_conversation(FILE *f, const struct cx_out_ctx *ctx, int markdown)
{
	struct cx_conv *c = cx_conv_new(f, ctx, markdown);

	for (size_t i = 0; i < ctx->r->nex; i++)
		cx_conv_exchange(c, ctx->r->ex[i]);
	cx_conv_end(c);
}

static void *
conv_open(FILE *f, const struct cx_out_ctx *ctx)
{
	return cx_conv_new(f, ctx, 0);
}

static void
conv_exchange(void *st, int pass, const struct cx_exchange *ex)
{
	(void)pass;
	cx_conv_exchange(st, ex);
}

static void
conv_pass_done(void *st, int pass)
{
	(void)st;
	(void)pass;
}

static void
conv_close(void *st)
{
	cx_conv_end(st);
}

const struct cx_out_format cx_out_conv_format = {
	.name = "conversation",
	.summary = "turn by turn, for every model API (docs/conversation.md)",
	.passes = 1,
	.open = conv_open,
	.exchange = conv_exchange,
	.pass_done = conv_pass_done,
	.close = conv_close,
};
