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
 * Everything shown is redacted unless ctx->redact is off.
 */
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "conv.h"
#include "escape.h"
#include "json.h"
#include "log.h"
#include "output.h"
#include "strmap.h"
#include "view.h"

#define IND     "   "
#define IND2    "      "
/* Tool calls remembered by call id (for their results' headings). */
#define MAX_CALLS       65536
#define MAX_ROOMS       4096    /* sessions whose tools and instructions
				 * are remembered at once */
/* Instructions folded: this many lines shown. */
#define FOLD_LINES      3

/* A session's last instructions: a hash of each (not their text). */
struct ins {
	uint64_t                *h;
	size_t                   n;
};

/* Turns and usage of one API. */
struct api_sum {
	const char              *name;
	size_t                   turns;
	struct cx_usage          usage;
};

struct cx_conv {
	FILE                    *f;
	const struct cx_out_ctx *ctx;
	int                      md;
	struct cx_buf            rb;            /* redacted text */
	struct cx_sessions      *sessions;
	/* Per session, in MAX_ROOMS rooms (session - 1 modulo): the tools
	 * last listed and its instructions' hashes; a room taken by another
	 * session is emptied first, so memory stays bounded. */
	char                   **tools;         /* "a, b" */
	struct ins              *ins;
	size_t                  *room_of;       /* the session in each room */
	size_t                   ntools;        /* the arrays' length */
	size_t                   last_sess;     /* the last turn's, or 0 */
	struct cx_strmap        *calls;         /* call_id -> tool name */
	size_t                   turns;
	size_t                   others;        /* exchanges not turns */
	int                      in_list;       /* of other exchanges */
	struct api_sum           apis[16];
	size_t                   napis;
	struct cx_usage          usage;         /* all turns */
};

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
static void
inl(struct cx_conv *c, const char *s)
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

static void
inl_url(struct cx_conv *c, const char *s)
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
		inl(c, name);
	}
	if (id != NULL) {
		fputs(c->md ? " \\(" : " (", c->f);
		inl(c, id);
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
static void
item_line(struct cx_conv *c)
{
	fputs(c->md ? "- " : IND, c->f);
}

/* --- items --------------------------------------------------------------- */

static const char *
role_name(enum cx_role r)
{
	switch (r) {
	case CX_ROLE_SYSTEM:
		return "system";
	case CX_ROLE_DEVELOPER:
		return "developer";
	case CX_ROLE_USER:
		return "user";
	case CX_ROLE_ASSISTANT:
		return "assistant";
	case CX_ROLE_TOOL:
		return "tool";
	case CX_ROLE_NONE:
		break;
	}
	return "?";
}

static void
note_line(struct cx_conv *c, const char *what, const char *s)
{
	item_line(c);
	fputs(what, c->f);
	inl(c, s);
	fputc('\n', c->f);
}

/* One item; mark: ">>" sent, "<<" received. */
static void
show_item(struct cx_conv *c, const struct cx_item *it, const char *mark)
{
	const char *name;

	switch (it->kind) {
	case CX_ITEM_TEXT:
		heading(c, mark, "", role_name(it->role), NULL);
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
			item_line(c);
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
		note_line(c, "note: ", it->note);
}

/* Instructions folded: their first lines, and their size. */
static void
show_instructions(struct cx_conv *c, const struct cx_item *it)
{
	size_t n = 0, lines = 0;

	if (it->kind != CX_ITEM_TEXT) {
		show_item(c, it, ">>");
		return;
	}
	while (n < it->len && lines < FOLD_LINES) {
		const char *nl = memchr(it->text + n, '\n', it->len - n);

		n = nl != NULL ? (size_t)(nl - it->text) + 1 : it->len;
		lines++;
	}
	heading(c, ">>", "instructions", role_name(it->role), NULL);
	prose(c, it->text, n);
	if (n < it->len) {
		item_line(c);
		fprintf(c->f, "(folded: %zu bytes in all, %zu more not "
		    "shown)\n", it->len, it->len - n);
	}
}

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
			show_instructions(c, it);
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
	item_line(c);
	fputs(*prev == NULL ? "tools offered: " : "tools offered (changed): ",
	    c->f);
	inl(c, *list ? list : "(none)");
	fputc('\n', c->f);
	free(*prev);
	*prev = list;
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
static void
usage_text(FILE *f, const struct cx_usage *u)
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

static int
usage_known(const struct cx_usage *u)
{
	return u->input >= 0 || u->output >= 0 || u->cached >= 0 ||
	    u->cache_write >= 0 || u->reasoning >= 0 || u->api_total >= 0;
}

static void
show_end(struct cx_conv *c, const struct cx_turn *t)
{
	if (t->stop_reason != NULL || t->response_id != NULL) {
		item_line(c);
		fputs("stop: ", c->f);
		inl(c, t->stop_reason ? t->stop_reason : "(none)");
		if (t->response_id != NULL) {
			fputs(", response id ", c->f);
			inl(c, t->response_id);
		}
		fputc('\n', c->f);
	}
	if (usage_known(&t->usage)) {
		item_line(c);
		fputs("usage: ", c->f);
		usage_text(c->f, &t->usage);
		if (t->usage.api_total >= 0 &&
		    t->usage.api_total != cx_usage_total(&t->usage))
			fprintf(c->f, " (the API says %" PRId64 ")",
			    t->usage.api_total);
		fputc('\n', c->f);
	}
	if (t->t_first_token > 0 && t->t_request > 0) {
		item_line(c);
		fprintf(c->f, "first token after %.1f ms", cx_ms(
		    t->t_first_token - t->t_request));
		if (t->t_last_token > 0)
			fprintf(c->f, ", last after %.1f ms", cx_ms(
			    t->t_last_token - t->t_request));
		fputc('\n', c->f);
	}
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
		item_line(c);
		fputs(c->md ? "**error:** " : "!! error: ", c->f);
		inl(c, ex->error);
		fputc('\n', c->f);
	}
	if (ex->note != NULL)
		note_line(c, "note: ", ex->note);
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
		inl(c, ex->req.method);
		fputc(' ', c->f);
		inl_url(c, ex->req.target);
	} else
		fputs(ex->has_req ? "(request not decoded)" : "(no request)",
		    c->f);
	fprintf(c->f, " %s %s", c->md ? "&rarr;" : "->", st);
	if (ex->error != NULL) {
		fputs(c->md ? " \\(error: " : " (error: ", c->f);
		inl(c, ex->error);
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
	item_line(c);
	fputs(c->last_sess == 0 ? "session " : "session (switched) ", c->f);
	if (t->session != NULL)
		inl(c, t->session);
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
	inl(c, model ? model : "(unknown model)");
	if (t->model != NULL && t->model_answered != NULL &&
	    strcmp(t->model, t->model_answered) != 0) {
		fputs(" (answered by ", c->f);
		inl(c, t->model_answered);
		fputc(')', c->f);
	}
	fprintf(c->f, c->md ? ", %s" : "  %s", t->api ? t->api : "?");
	if (t->warmup)
		fputs(c->md ? " \\(warm\\-up\\)" : " (warm-up)", c->f);
	fprintf(c->f, c->md ? ", exchange #%" PRIu64 " \\(" :
	    "  (exchange #%" PRIu64 ", ", ex->id);
	inl(c, ex->req.method);
	fputc(' ', c->f);
	inl_url(c, ex->req.target);
	if (ex->nws > 0)
		fprintf(c->f, c->md ? ", WebSocket request %zu\\)\n" :
		    ", WebSocket request %zu)\n", t->index + 1);
	else
		fprintf(c->f, c->md ? " &rarr; %s\\)\n" : " -> %s)\n", st);
	show_session(c, t, sess);
	if (t->index == 0)
		show_problems(c, ex);
	if (t->error != NULL) {
		item_line(c);
		fputs(c->md ? "**error:** " : "!! error: ", c->f);
		inl(c, t->error);
		fputc('\n', c->f);
	}
	if (t->note != NULL)
		note_line(c, "note: ", t->note);
	show_all_instructions(c, t, sess);
	show_tools(c, t, sess);
	for (size_t i = 0; i < t->input.n; i++) {
		const struct cx_item *it = &t->input.v[i];

		if (it->fresh)
			show_item(c, it, ">>");
		else if (it->kind == CX_ITEM_TOOL_CALL && it->call_id &&
		    it->name)
			cx_strmap_put(c->calls, it->call_id, it->name);
	}
	for (size_t i = 0; i < t->output.n; i++)
		show_item(c, &t->output.v[i], "<<");
	show_end(c, t);
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
		fputs("; tokens: ", f);
		usage_text(f, &c->usage);
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
