/*
 * out_conv.c: the codex view, turn by turn (docs/conversation.md).
 *
 * A turn is one POST .../responses exchange (the Responses API: API-key
 * mode /v1/responses, ChatGPT mode /backend-api/codex/responses).  For
 * each: what was sent that is new since the previous turn (codex resends
 * the whole history, so an input item already seen in the previous
 * request or among the previous turn's output items is not shown again),
 * the tools offered when they change, then what the model streamed back,
 * item by item, with the final status and the token usage.  Every other
 * exchange gets one line, in time order.  Nothing from the trace is
 * dropped: unknown events and items are shown raw.
 *
 * Plain text for a terminal (control characters escaped), or Markdown for
 * the report, where everything from the traffic is escaped outside code
 * blocks and code blocks are fenced with more backticks than they hold.
 * Everything shown is redacted unless ctx->redact is off.
 */
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include <cJSON.h>
#include <openssl/evp.h>

#include "json.h"
#include "log.h"
#include "output.h"
#include "redact.h"
#include "strmap.h"
#include "view.h"
#include "wsturns.h"

#define IND     "   "
/* Tool calls remembered by call id (for their outputs' headings). */
#define MAX_CALLS       65536
#define IND2    "      "

/* A conversation: codex's session_id header (or prompt_cache_key). */
/*
 * An item key's digest: the first 16 bytes of its SHA-256, so that the
 * traffic (a tool's output, say) cannot make two items look the same.
 */
struct digest {
	uint8_t          d[16];
};

struct sess {
	char                    *key;
	/* its previous turn */
	/*
	 * Its previous turn: the hashes of its request's input items and of
	 * its output items (item_key), which codex sends back; so that a
	 * turn costs memory only while it is shown.
	 */
	int                      seen;          /* has had a turn */
	struct digest           *known;
	size_t                   nknown;
	char                    *prev_tools;    /* "a, b, c" */
};

struct cx_conv {
	FILE                    *f;
	const struct cx_out_ctx *ctx;
	int                      md;
	struct cx_buf            rb;            /* redacted text */
	struct sess             *sess;
	size_t                   nsess;
	size_t                   asess;
	size_t                  *slot;          /* hash of keys: index + 1 */
	size_t                   nslot;         /* a power of two, or 0 */
	struct sess             *cur;           /* the turn's session */
	char                    *last_key;      /* the last turn's session */
	struct cx_strmap        *calls;         /* call_id -> tool name */
	size_t                   turns;
	size_t                   others;        /* exchanges not turns */
	int                      in_list;       /* of other exchanges */
	double                   tok_in, tok_cached, tok_out, tok_reason;
};

/* --- writing --------------------------------------------------------- */

/*
 * Markdown text: & < > as entities, Markdown specials backslash-escaped,
 * leading blanks as &#32; and &#9; (no indented code), "1." as "1\.",
 * controls as \xNN.  With nl set a newline becomes a hard line break and
 * the next line starts with prefix; otherwise it is shown as \n.
 */
static void
put_md(FILE *f, const char *s, size_t n, int nl, const char *prefix)
{
	const uint8_t *p = (const uint8_t *)s;
	size_t i = 0, k;
	int bol = 1;

	while (i < n) {
		uint8_t c = p[i];

		if (c == '\r' && i + 1 < n && p[i + 1] == '\n' && nl) {
			i++;
			continue;
		}
		if (c == '\n') {
			if (nl) {
				fputs(bol ? "\n" : "  \n", f);
				fputs(prefix, f);
				bol = 1;
			} else
				fputs("\\\\n", f);
			i++;
			continue;
		}
		if (bol && (c == ' ' || c == '\t')) {
			fputs(c == ' ' ? "&#32;" : "&#9;", f);
			i++;
			continue;
		}
		if (bol && c >= '0' && c <= '9') {
			/* "1." and "1)" would start a list */
			size_t j = i;

			while (j < n && p[j] >= '0' && p[j] <= '9')
				j++;
			fwrite(p + i, 1, j - i, f);
			if (j < n && p[j] == '.') {
				fputs("\\.", f);
				j++;
			}
			i = j;
			bol = 0;
			continue;
		}
		bol = 0;
		if (c == '&')
			fputs("&amp;", f);
		else if (c == '<')
			fputs("&lt;", f);
		else if (c == '>')
			fputs("&gt;", f);
		else if (strchr("\\`*_{}[]()#+-!|~=:", c) != NULL && c != '\0')
			fprintf(f, "\\%c", c);
		else if (c == '\t' || (c >= 0x20 && c < 0x7f))
			fputc(c, f);
		else if (c >= 0x80 && (k = cx_utf8_seq(p + i, n - i)) > 0 &&
		    !(k == 2 && p[i] == 0xc2 && p[i + 1] < 0xa0)) {
			fwrite(p + i, 1, k, f);
			i += k;
			continue;
		} else
			fprintf(f, "\\\\x%02x", c);
		i++;
	}
}

/* The redacted form of s[0..n), valid until the next call. */
static const char *
red(struct cx_conv *c, const char *s, size_t n, int url, size_t *len)
{
	cx_buf_reset(&c->rb);
	if (!c->ctx->redact)
		cx_buf_add(&c->rb, s, n);
	else if (url)
		cx_redact_query(&c->rb, s, n, 0);
	else
		cx_redact_text(&c->rb, s, n);
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
		put_md(c->f, r, n, 0, "");
	else
		cx_out_term(c->f, r, n, 0, "");
}

static void
inl_url(struct cx_conv *c, const char *s)
{
	size_t n;
	const char *r = red(c, s, strlen(s), 1, &n);

	if (c->md)
		put_md(c->f, r, n, 0, "");
	else
		cx_out_term(c->f, r, n, 0, "");
}

/* Cut at max_body bytes (0: all), on a UTF-8 boundary. */
static size_t
shown(const struct cx_conv *c, const char *s, size_t n)
{
	size_t m;

	if (c->ctx->max_body == 0 || n <= c->ctx->max_body)
		return n;
	m = (size_t)c->ctx->max_body;
	while (m > 0 && ((uint8_t)s[m] & 0xc0) == 0x80)
		m--;
	return m;
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
	show = shown(c, r, len);
	if (c->md) {
		fputs("> ", c->f);
		put_md(c->f, r, show, 1, "> ");
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
	size_t show, run = 0, longest = 0;

	while (len > 0 && (r[len - 1] == '\n' || r[len - 1] == '\r'))
		len--;
	show = shown(c, r, len);
	if (!c->md) {
		fputs(IND2, c->f);
		cx_out_term(c->f, r, show, 1, IND2);
		fputc('\n', c->f);
		more(c, len - show);
		return;
	}
	for (size_t i = 0; i < show; i++) {
		run = r[i] == '`' ? run + 1 : 0;
		if (run > longest)
			longest = run;
	}
	longest = longest < 3 ? 3 : longest + 1;
	for (size_t i = 0; i < longest; i++)
		fputc('`', c->f);
	fprintf(c->f, "%s\n", info);
	/* Inside a fence only controls need care. */
	cx_out_term(c->f, r, show, 1, "");
	fputc('\n', c->f);
	for (size_t i = 0; i < longest; i++)
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

static void
code_cjson(struct cx_conv *c, const cJSON *v)
{
	char *s = cJSON_PrintUnformatted(v);

	if (s == NULL)
		return;
	code_json(c, s, strlen(s));
	cJSON_free(s);
}

/* A bullet (Markdown) or an indented line (plain); the caller ends it. */
static void
item_line(struct cx_conv *c)
{
	fputs(c->md ? "- " : IND, c->f);
}

/* --- JSON helpers ------------------------------------------------------ */

static const char *
jstr(const cJSON *o, const char *key)
{
	return cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(o, key));
}

static const char *
jtype(const cJSON *o)
{
	const char *t = jstr(o, "type");

	return t != NULL ? t : "";
}

/* The text parts of a message's content (a string, or parts with text),
 * joined; other parts as "[type]". */
static void
message_text(const cJSON *item, struct cx_buf *b)
{
	const cJSON *content = cJSON_GetObjectItemCaseSensitive(item,
	    "content"), *part;

	if (cJSON_IsString(content)) {
		cx_buf_adds(b, content->valuestring);
		return;
	}
	cJSON_ArrayForEach(part, content) {
		const char *t = jstr(part, "text");

		if (b->len > 0)
			cx_buf_adds(b, "\n");
		if (t == NULL)
			t = jstr(part, "refusal");
		if (t != NULL)
			cx_buf_adds(b, t);
		else {
			cx_buf_adds(b, "[");
			cx_buf_adds(b, jtype(part));
			cx_buf_adds(b, "]");
		}
	}
}

/* A reasoning item's summary texts, joined by blank lines. */
static void
summary_text(const cJSON *item, struct cx_buf *b)
{
	const cJSON *s;

	cJSON_ArrayForEach(s, cJSON_GetObjectItemCaseSensitive(item,
	    "summary")) {
		const char *t = jstr(s, "text");

		if (t == NULL)
			continue;
		if (b->len > 0)
			cx_buf_adds(b, "\n\n");
		cx_buf_adds(b, t);
	}
}

/*
 * What makes an item the same when codex sends it back: the call id for
 * calls and their outputs, the encrypted content (or summary) for
 * reasoning, role and text for messages, else the id, else all of it.
 */
static char *
item_key(const cJSON *item)
{
	struct cx_buf b;
	const char *t = jtype(item), *v;
	char *s;

	cx_buf_init(&b, 0);
	cx_buf_adds(&b, t);
	cx_buf_addc(&b, '\x1f');
	if ((v = jstr(item, "call_id")) != NULL)
		cx_buf_adds(&b, v);
	else if (strcmp(t, "reasoning") == 0 &&
	    (v = jstr(item, "encrypted_content")) != NULL)
		cx_buf_adds(&b, v);
	else if (strcmp(t, "reasoning") == 0)
		summary_text(item, &b);
	else if (strcmp(t, "message") == 0) {
		v = jstr(item, "role");
		cx_buf_adds(&b, v ? v : "");
		cx_buf_addc(&b, '\x1f');
		message_text(item, &b);
	} else if ((v = jstr(item, "id")) != NULL)
		cx_buf_adds(&b, v);
	else if ((s = cJSON_PrintUnformatted(item)) != NULL) {
		cx_buf_adds(&b, s);
		cJSON_free(s);
	}
	return cx_buf_take(&b);
}

static void
remember_call(struct cx_conv *c, const cJSON *item)
{
	const char *id = jstr(item, "call_id"), *name = jstr(item, "name");

	if (id == NULL || name == NULL)
		return;
	cx_strmap_put(c->calls, id, name);
}

/* --- a turn: the request --------------------------------------------- */

static void
show_message(struct cx_conv *c, const cJSON *item, const char *mark,
    const char *role)
{
	struct cx_buf b;

	cx_buf_init(&b, 0);
	message_text(item, &b);
	heading(c, mark, "", role, NULL);
	prose(c, (const char *)b.p, b.len);
	cx_buf_free(&b);
}

static void
show_tool_output(struct cx_conv *c, const cJSON *item)
{
	const char *id = jstr(item, "call_id");
	const char *name = id ? cx_strmap_get(c->calls, id) : NULL;
	const cJSON *out = cJSON_GetObjectItemCaseSensitive(item, "output");

	heading(c, ">>", "tool output", name ? name : "(unknown call)", id);
	if (cJSON_IsString(out))
		code_text(c, out->valuestring, strlen(out->valuestring));
	else
		code_cjson(c, out);
}

/* An input item that is not a message or a tool output. */
static void
show_input_other(struct cx_conv *c, const cJSON *item)
{
	heading(c, ">>", "input item", *jtype(item) ? jtype(item) :
	    "(no type)", NULL);
	code_cjson(c, item);
}

/* An item key's digest (struct digest). */
static struct digest
hash(const char *s)
{
	unsigned char md[EVP_MAX_MD_SIZE];
	unsigned int len = 0;
	struct digest h;

	if (EVP_Digest(s, strlen(s), md, &len, EVP_sha256(), NULL) != 1 ||
	    len < sizeof(h.d))
		fatalx("SHA-256 failed");
	memcpy(h.d, md, sizeof(h.d));
	return h;
}

static void
show_input(struct cx_conv *c, const cJSON *input, int first)
{
	const size_t nk = first ? 0 : c->cur->nknown;
	uint8_t *used = xcalloc(nk ? nk : 1, 1);
	const cJSON *item;
	size_t i;

	cJSON_ArrayForEach(item, input) {
		const char *t = jtype(item);
		int seen = 0;

		if (!first) {
			char *k = item_key(item);
			struct digest h = hash(k);

			free(k);
			for (i = 0; i < nk; i++)
				if (!used[i] && memcmp(c->cur->known[i].d, h.d,
				    sizeof(h.d)) == 0) {
					used[i] = 1;
					seen = 1;
					break;
				}
		}
		if (strcmp(t, "function_call") == 0 ||
		    strcmp(t, "custom_tool_call") == 0)
			remember_call(c, item);
		if (seen)
			continue;
		if (strcmp(t, "message") == 0 || (*t == '\0' &&
		    jstr(item, "role") != NULL)) {
			const char *role = jstr(item, "role");

			show_message(c, item, ">>", role ? role : "?");
		} else if (strcmp(t, "function_call_output") == 0 ||
		    strcmp(t, "custom_tool_call_output") == 0)
			show_tool_output(c, item);
		else
			show_input_other(c, item);
	}
	free(used);
}

/* Remember the items of a turn's input and output, by hash. */
static void
remember_turn(struct sess *se, const cJSON *input, const cJSON *outputs)
{
	const cJSON *arr[2] = { input, outputs }, *item;
	size_t n = 0;

	free(se->known);
	for (int a = 0; a < 2; a++)
		n += (size_t)cJSON_GetArraySize(arr[a]);
	se->known = xcalloc(n ? n : 1, sizeof(*se->known));
	se->nknown = 0;
	for (int a = 0; a < 2; a++)
		cJSON_ArrayForEach(item, arr[a]) {
			char *k = item_key(item);

			se->known[se->nknown++] = hash(k);
			free(k);
		}
	se->seen = 1;
}

static void
show_tools(struct cx_conv *c, const cJSON *tools)
{
	struct cx_buf b;
	const cJSON *t;
	char *list;

	cx_buf_init(&b, 0);
	cJSON_ArrayForEach(t, tools) {
		const char *name = jstr(t, "name");

		if (name == NULL)       /* the Chat Completions shape */
			name = jstr(cJSON_GetObjectItemCaseSensitive(t,
			    "function"), "name");
		if (b.len > 0)
			cx_buf_adds(&b, ", ");
		cx_buf_adds(&b, name ? name : jtype(t));
	}
	list = cx_buf_take(&b);
	if (c->cur->prev_tools != NULL && strcmp(c->cur->prev_tools, list) == 0) {
		free(list);
		return;
	}
	item_line(c);
	fputs(c->cur->prev_tools == NULL ? "tools offered: " :
	    "tools offered (changed): ", c->f);
	inl(c, *list ? list : "(none)");
	fputc('\n', c->f);
	free(c->cur->prev_tools);
	c->cur->prev_tools = list;
}

/* --- a turn: the response ---------------------------------------------- */

/* Text streamed for one item (deltas), keyed by item id and kind. */
struct acc {
	char            *key;
	struct cx_buf    text;
	int              done;          /* its output_item.done came */
};

struct stream {
	struct acc      *v;
	size_t           n;
};

static struct acc *
acc_get(struct stream *st, const char *kind, const char *id, int idx)
{
	char key[512];

	snprintf(key, sizeof(key), "%s\x1f%s\x1f%d", kind, id ? id : "", idx);
	for (size_t i = 0; i < st->n; i++)
		if (strcmp(st->v[i].key, key) == 0)
			return &st->v[i];
	st->v = xreallocarray(st->v, st->n + 1, sizeof(*st->v));
	memset(&st->v[st->n], 0, sizeof(st->v[st->n]));
	st->v[st->n].key = xstrdup(key);
	cx_buf_init(&st->v[st->n].text, 0);
	return &st->v[st->n++];
}

static void
stream_free(struct stream *st)
{
	for (size_t i = 0; i < st->n; i++) {
		free(st->v[i].key);
		cx_buf_free(&st->v[i].text);
	}
	free(st->v);
}

/* The deltas of one kind for item id, all indexes joined; marks them. */
static void
acc_join(struct stream *st, const char *kind, const char *id,
    const char *sep, struct cx_buf *out)
{
	char pre[300];
	size_t pl;

	snprintf(pre, sizeof(pre), "%s\x1f%s\x1f", kind, id ? id : "");
	pl = strlen(pre);
	for (size_t i = 0; i < st->n; i++) {
		if (strncmp(st->v[i].key, pre, pl) != 0)
			continue;
		if (out->len > 0)
			cx_buf_adds(out, sep);
		cx_buf_add(out, st->v[i].text.p, st->v[i].text.len);
		st->v[i].done = 1;
	}
}

static void
show_output_item(struct cx_conv *c, struct stream *st, const cJSON *item)
{
	const char *t = jtype(item), *id = jstr(item, "id");
	struct cx_buf b, d;

	cx_buf_init(&b, 0);
	cx_buf_init(&d, 0);
	if (strcmp(t, "message") == 0) {
		const char *role = jstr(item, "role");

		message_text(item, &b);
		acc_join(st, "text", id, "\n", &d);
		show_message(c, item, "<<", role ? role : "assistant");
		if (d.len > 0 && (d.len != b.len ||
		    memcmp(d.p, b.p, b.len) != 0)) {
			item_line(c);
			fputs("note: the streamed deltas differ from the "
			    "final item (shown above); they said:\n", c->f);
			if (c->md)
				fputc('\n', c->f);
			prose(c, (const char *)d.p, d.len);
		}
	} else if (strcmp(t, "reasoning") == 0) {
		summary_text(item, &b);
		acc_join(st, "summary", id, "\n\n", &d);
		acc_join(st, "reasoning", id, "\n", &d);
		if (b.len == 0 && d.len > 0)
			cx_buf_add(&b, d.p, d.len);
		heading(c, "<<", "reasoning", NULL, NULL);
		if (b.len > 0)
			prose(c, (const char *)b.p, b.len);
		else {
			item_line(c);
			fputs("(no summary)\n", c->f);
		}
	} else if (strcmp(t, "function_call") == 0) {
		const char *args = jstr(item, "arguments");

		remember_call(c, item);
		acc_join(st, "args", id, "", &d);
		heading(c, "<<", "call", jstr(item, "name"),
		    jstr(item, "call_id"));
		if (args != NULL)
			code_json(c, args, strlen(args));
		else
			code_cjson(c, item);
	} else if (strcmp(t, "custom_tool_call") == 0) {
		const char *in = jstr(item, "input");

		remember_call(c, item);
		acc_join(st, "input", id, "", &d);
		heading(c, "<<", "custom tool call", jstr(item, "name"),
		    jstr(item, "call_id"));
		if (in != NULL)
			code_text(c, in, strlen(in));
		else
			code_cjson(c, item);
	} else {
		heading(c, "<<", "output item", *t ? t : "(no type)", NULL);
		code_cjson(c, item);
	}
	cx_buf_free(&b);
	cx_buf_free(&d);
}

static void
show_usage(struct cx_conv *c, const cJSON *u)
{
	double in = cJSON_GetNumberValue(cJSON_GetObjectItem(u,
	    "input_tokens"));
	double out = cJSON_GetNumberValue(cJSON_GetObjectItem(u,
	    "output_tokens"));
	double tot = cJSON_GetNumberValue(cJSON_GetObjectItem(u,
	    "total_tokens"));
	double ca = cJSON_GetNumberValue(cJSON_GetObjectItem(
	    cJSON_GetObjectItem(u, "input_tokens_details"), "cached_tokens"));
	double re = cJSON_GetNumberValue(cJSON_GetObjectItem(
	    cJSON_GetObjectItem(u, "output_tokens_details"),
	    "reasoning_tokens"));

	if (!cJSON_IsObject(u))
		return;
	/* cJSON_GetNumberValue gives NaN for a missing number */
	if (in != in)
		in = 0;
	if (out != out)
		out = 0;
	if (tot != tot)
		tot = in + out;
	if (ca != ca)
		ca = 0;
	if (re != re)
		re = 0;
	item_line(c);
	fprintf(c->f, "usage: input %.0f (cached %.0f), output %.0f "
	    "(reasoning %.0f), total %.0f\n", in, ca, out, re, tot);
	c->tok_in += in;
	c->tok_cached += ca;
	c->tok_out += out;
	c->tok_reason += re;
}

/* An event shown as it came: its name and its data. */
static void
show_raw_event(struct cx_conv *c, const struct cx_event *e, const char *why)
{
	heading(c, "<<", why, e->event, NULL);
	code_json(c, e->data, e->data_len);
}

static const char *const quiet_events[] = {
	"response.in_progress", "response.output_item.added",
	"response.content_part.added", "response.content_part.done",
	"response.output_text.done", "response.reasoning_summary_part.added",
	"response.reasoning_summary_part.done",
	"response.reasoning_summary_text.done", "response.reasoning_text.done",
	"response.function_call_arguments.done",
	"response.custom_tool_call_input.done",
	"response.output_text.annotation.added", "response.refusal.done",
	"response.queued", "response.created",
};

static int
quiet(const char *name)
{
	for (size_t i = 0; i < sizeof(quiet_events) / sizeof(*quiet_events);
	    i++)
		if (strcmp(name, quiet_events[i]) == 0)
			return 1;
	return 0;
}

static void
delta(struct stream *st, const cJSON *d, const char *kind, const char *idx)
{
	const char *id = jstr(d, "item_id"), *s = jstr(d, "delta");
	double i = cJSON_GetNumberValue(cJSON_GetObjectItem(d, idx));

	if (s == NULL)
		return;
	if (!(i >= 0 && i < 1e6))       /* missing (NaN) or nonsense */
		i = 0;
	cx_buf_adds(&acc_get(st, kind, id, (int)i)->text, s);
}

/* A response's final state: response.completed, .failed, .incomplete. */
static void
show_final(struct cx_conv *c, const char *name, const cJSON *resp)
{
	const char *status = jstr(resp, "status");
	const cJSON *err = cJSON_GetObjectItem(resp, "error");
	const cJSON *inc = cJSON_GetObjectItem(resp, "incomplete_details");

	item_line(c);
	inl(c, name + strlen("response."));
	fputs(": status ", c->f);
	inl(c, status ? status : "(none)");
	if (jstr(resp, "id") != NULL) {
		fputs(", response id ", c->f);
		inl(c, jstr(resp, "id"));
	}
	fputc('\n', c->f);
	if (cJSON_IsObject(err)) {
		item_line(c);
		fputs("error: ", c->f);
		inl(c, jstr(err, "code"));
		fputs(": ", c->f);
		inl(c, jstr(err, "message"));
		fputc('\n', c->f);
	}
	if (cJSON_IsObject(inc)) {
		item_line(c);
		fputs("incomplete: ", c->f);
		inl(c, jstr(inc, "reason"));
		fputc('\n', c->f);
	}
	show_usage(c, cJSON_GetObjectItem(resp, "usage"));
}

static void
show_stream(struct cx_conv *c, const struct cx_exchange *ex, cJSON *outputs)
{
	const struct cx_msg *rs = &ex->resp;
	struct stream st;
	int final = 0;

	memset(&st, 0, sizeof(st));
	for (size_t i = 0; i < rs->nevents; i++) {
		const struct cx_event *e = &rs->events[i];
		cJSON *d = cJSON_ParseWithLength(e->data, e->data_len);
		const char *name = e->event;

		/* codex reads the type from the data; so do we when the
		 * event line is missing */
		if (strcmp(name, "message") == 0 && jstr(d, "type") != NULL)
			name = jstr(d, "type");
		if (!cJSON_IsObject(d)) {
			if (!(e->data_len == 6 &&
			    memcmp(e->data, "[DONE]", 6) == 0))
				show_raw_event(c, e, "event (not a JSON object)");
		} else if (strcmp(name, "response.output_text.delta") == 0)
			delta(&st, d, "text", "content_index");
		else if (strcmp(name,
		    "response.reasoning_summary_text.delta") == 0)
			delta(&st, d, "summary", "summary_index");
		else if (strcmp(name, "response.reasoning_text.delta") == 0)
			delta(&st, d, "reasoning", "content_index");
		else if (strcmp(name,
		    "response.function_call_arguments.delta") == 0)
			delta(&st, d, "args", "output_index");
		else if (strcmp(name,
		    "response.custom_tool_call_input.delta") == 0)
			delta(&st, d, "input", "output_index");
		else if (strcmp(name, "response.refusal.delta") == 0)
			delta(&st, d, "text", "content_index");
		else if (strcmp(name, "response.output_item.done") == 0) {
			cJSON *item = cJSON_GetObjectItem(d, "item");

			if (cJSON_IsObject(item)) {
				show_output_item(c, &st, item);
				cJSON_AddItemToArray(outputs,
				    cJSON_Duplicate(item, 1));
			} else
				show_raw_event(c, e, "event");
		} else if (strcmp(name, "response.completed") == 0 ||
		    strcmp(name, "response.failed") == 0 ||
		    strcmp(name, "response.incomplete") == 0) {
			final = 1;
			show_final(c, name, cJSON_GetObjectItem(d,
			    "response"));
		} else if (strcmp(name, "error") == 0 ||
		    strcmp(name, "response.error") == 0)
			show_raw_event(c, e, "error event");
		else if (!quiet(name))
			show_raw_event(c, e, "event");
		if (e->partial || e->truncated) {
			item_line(c);
			fputs(e->partial ? "(the stream ended inside an event)"
			    "\n" : "(an event's data was cut: too long)\n",
			    c->f);
		}
		cJSON_Delete(d);
	}
	/* Deltas whose item never came (the stream was cut). */
	for (size_t i = 0; i < st.n; i++) {
		char kind[32];

		if (st.v[i].done || st.v[i].text.len == 0)
			continue;
		snprintf(kind, sizeof(kind), "%.*s",
		    (int)strcspn(st.v[i].key, "\x1f"), st.v[i].key);
		heading(c, "<<", "streamed without a final item", kind,
		    NULL);
		prose(c, (const char *)st.v[i].text.p, st.v[i].text.len);
	}
	if (rs->events_cut) {
		item_line(c);
		fputs("(more events than fit in memory: the rest were "
		    "dropped)\n", c->f);
	}
	if (!final) {
		item_line(c);
		fputs("no response.completed: the stream ended without a "
		    "final status\n", c->f);
	}
	stream_free(&st);
}

/* A response that is not an event stream (an error, usually). */
static void
show_plain_response(struct cx_conv *c, const struct cx_exchange *ex)
{
	struct cx_view v;

	if (!ex->has_resp || !ex->resp.head_done)
		return;
	cx_view_body(&v, &ex->resp);
	if (v.kind == CX_VIEW_JSON || v.kind == CX_VIEW_TEXT) {
		heading(c, "<<", "response body", NULL, NULL);
		if (v.kind == CX_VIEW_JSON)
			code_json(c, (const char *)v.p, v.n);
		else
			code_text(c, (const char *)v.p, v.n);
	} else if (v.kind == CX_VIEW_BINARY) {
		item_line(c);
		fprintf(c->f, "response body: %zu bytes of binary data\n",
		    v.n);
	}
	cx_view_free(&v);
}

/* --- exchanges --------------------------------------------------------- */

static int
is_turn(const struct cx_exchange *ex)
{
	const char *t;
	size_t n;

	if (!ex->has_req || !ex->req.head_done || ex->req.method == NULL ||
	    strcmp(ex->req.method, "POST") != 0 || ex->req.target == NULL)
		return 0;
	t = ex->req.target;
	n = strcspn(t, "?#");
	return n >= 10 && memcmp(t + n - 10, "/responses", 10) == 0;
}

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
	if (ex->note != NULL) {
		item_line(c);
		fputs("note: ", c->f);
		inl(c, ex->note);
		fputc('\n', c->f);
	}
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

static size_t
key_hash(const char *k)
{
	size_t h = 14695981039346656037u;

	for (; *k != '\0'; k++)
		h = (h ^ (unsigned char)*k) * 1099511628211u;
	return h;
}

/* The session with this key, or c->nsess if there is none. */
static size_t
sess_find(const struct cx_conv *c, const char *key)
{
	if (c->nslot == 0)
		return c->nsess;
	for (size_t h = key_hash(key) & (c->nslot - 1); c->slot[h] != 0;
	    h = (h + 1) & (c->nslot - 1))
		if (strcmp(c->sess[c->slot[h] - 1].key, key) == 0)
			return c->slot[h] - 1;
	return c->nsess;
}

/* Index session i (already in c->sess); the table stays under half full. */
static void
sess_index(struct cx_conv *c, size_t i)
{
	if (2 * c->nsess > c->nslot) {
		size_t n = c->nslot ? c->nslot * 2 : 64;
		free(c->slot);
		c->slot = xcalloc(n, sizeof(*c->slot));
		c->nslot = n;
		for (size_t k = 0; k < c->nsess; k++)
			if (k != i)
				sess_index(c, k);
	}
	size_t h = key_hash(c->sess[i].key) & (c->nslot - 1);
	while (c->slot[h] != 0)
		h = (h + 1) & (c->nslot - 1);
	c->slot[h] = i + 1;
}

/* The turn's conversation; a new one says so when it is not the only. */
static void
session(struct cx_conv *c, const struct cx_exchange *ex, const cJSON *body)
{
	const char *key = cx_fields_get(&ex->req.fields, "session_id");
	size_t i;

	if (key == NULL)
		key = jstr(body, "prompt_cache_key");
	if (key == NULL)
		key = "";
	i = sess_find(c, key);
	if (i == c->nsess) {
		if (c->nsess == c->asess) {
			c->asess = c->asess ? c->asess * 2 : 16;
			c->sess = xreallocarray(c->sess, c->asess,
			    sizeof(*c->sess));
		}
		memset(&c->sess[i], 0, sizeof(c->sess[i]));
		c->sess[i].key = xstrdup(key);
		c->nsess++;
		sess_index(c, i);
	}
	c->cur = &c->sess[i];
	if (*key != '\0' && (c->last_key == NULL ||
	    strcmp(c->last_key, key) != 0)) {
		item_line(c);
		fputs(c->last_key == NULL ? "session " : "session (switched) ",
		    c->f);
		inl(c, key);
		fputc('\n', c->f);
	}
	free(c->last_key);
	c->last_key = xstrdup(key);
}

/*
 * The model a turn's response names (response.created or .completed carry
 * the response object), for a request that does not name one: codex's
 * response.append on a WebSocket carries only the new input.  In out, or
 * "" if none.
 */
static void
response_model(const struct cx_exchange *ex, char *out, size_t len)
{
	out[0] = '\0';
	for (size_t i = 0; i < ex->resp.nevents && out[0] == '\0'; i++) {
		const struct cx_event *e = &ex->resp.events[i];
		cJSON *d;

		/* response.created, .in_progress, .completed, .failed,
		 * .incomplete (named, or typed in a "message"'s data) carry
		 * it; the deltas do not and are not parsed */
		if ((strncmp(e->event, "response.", 9) != 0 &&
		    strcmp(e->event, "message") != 0) ||
		    memmem(e->data, e->data_len, "\"model\"", 7) == NULL)
			continue;
		d = cJSON_ParseWithLength(e->data, e->data_len);
		const char *m = jstr(cJSON_GetObjectItemCaseSensitive(d,
		    "response"), "model");
		if (m != NULL)
			snprintf(out, len, "%s", m);
		cJSON_Delete(d);
	}
}

static void
turn(struct cx_conv *c, const struct cx_exchange *ex)
{
	struct cx_view v;
	cJSON *body = NULL, *outputs = cJSON_CreateArray();
	const cJSON *input;
	const char *model;
	char when[32], st[32], rmodel[128];

	c->turns++;
	cx_fmt_time(when, sizeof(when), c->ctx->info, ex->start, 0);
	status_str(ex, st, sizeof(st));
	cx_view_body(&v, &ex->req);
	if (v.kind == CX_VIEW_JSON)
		body = cJSON_ParseWithLength((const char *)v.p, v.n);
	model = jstr(body, "model");
	if (model == NULL && ex->has_resp && ex->resp.sse) {
		response_model(ex, rmodel, sizeof(rmodel));
		if (rmodel[0] != '\0')
			model = rmodel;
	}
	if (c->md) {
		fprintf(c->f, "\n### Turn %zu\n\n", c->turns);
		fprintf(c->f, "- %s, model ", when);
		inl(c, model ? model : "(unknown)");
		fprintf(c->f, ", exchange #%" PRIu64 " \\(", ex->id);
		inl(c, ex->req.method);
		fputc(' ', c->f);
		inl_url(c, ex->req.target);
		fprintf(c->f, " &rarr; %s\\)\n", st);
	} else {
		fprintf(c->f, "== Turn %zu  %s  ", c->turns, when);
		inl(c, model ? model : "(unknown model)");
		fprintf(c->f, "  (exchange #%" PRIu64 ", ", ex->id);
		inl(c, ex->req.method);
		fputc(' ', c->f);
		inl_url(c, ex->req.target);
		fprintf(c->f, " -> %s)\n", st);
	}
	session(c, ex, body);
	show_problems(c, ex);
	if (v.error != NULL) {
		item_line(c);
		fputs("request body could not be decoded: ", c->f);
		inl(c, v.error);
		fputc('\n', c->f);
	} else if (!cJSON_IsObject(body)) {
		item_line(c);
		fputs("request body is not a JSON object\n", c->f);
	}
	input = cJSON_GetObjectItemCaseSensitive(body, "input");
	if (cJSON_IsString(input)) {
		heading(c, ">>", "user (input)", NULL, NULL);
		prose(c, input->valuestring, strlen(input->valuestring));
	}
	if (cJSON_IsObject(body))
		show_tools(c, cJSON_GetObjectItemCaseSensitive(body, "tools"));
	if (cJSON_IsArray(input))
		show_input(c, input, !c->cur->seen);
	else if (input != NULL && !cJSON_IsString(input)) {
		heading(c, ">>", "input (not a list)", NULL, NULL);
		code_cjson(c, input);
	}
	if (ex->has_resp && ex->resp.sse)
		show_stream(c, ex, outputs);
	else
		show_plain_response(c, ex);
	/* This turn becomes the previous one. */
	remember_turn(c->cur, cJSON_IsArray(input) ? input : NULL, outputs);
	cJSON_Delete(outputs);
	cJSON_Delete(body);
	cx_view_free(&v);
	fputc('\n', c->f);
}

struct cx_conv *
cx_conv_new(FILE *f, const struct cx_out_ctx *ctx, int markdown)
{
	struct cx_conv *c = xcalloc(1, sizeof(*c));

	c->f = f;
	c->ctx = ctx;
	c->md = markdown;
	c->calls = cx_strmap_new(MAX_CALLS);
	cx_buf_init(&c->rb, 0);
	if (!markdown) {
		fputs("cxrec conversation ", f);
		cx_out_term(f, ctx->trace_path, strlen(ctx->trace_path), 0, "");
		fputs(" (times are UTC)\n\n", f);
	}
	return c;
}

/* A turn on a WebSocket (wsturns.h): as a POST's. */
static void
ws_turn(void *arg, const struct cx_exchange *t)
{
	struct cx_conv *c = arg;

	if (c->in_list)
		fputc('\n', c->f);
	turn(c, t);
	c->in_list = 0;
}

void
cx_conv_exchange(struct cx_conv *c, const struct cx_exchange *ex)
{
	if (ex->nws > 0 && cx_ws_turns(ex, ws_turn, c) > 0)
		return;
	if (is_turn(ex)) {
		if (c->in_list)
			fputc('\n', c->f);
		turn(c, ex);
		c->in_list = 0;
		return;
	}
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
	fprintf(f, "%zu turn%s, %zu other exchange%s", c->turns,
	    c->turns == 1 ? "" : "s", c->others, c->others == 1 ? "" : "s");
	if (c->turns > 0)
		fprintf(f, "; tokens: input %.0f (cached %.0f), output %.0f "
		    "(reasoning %.0f)", c->tok_in, c->tok_cached, c->tok_out,
		    c->tok_reason);
	fputc('\n', f);
	for (size_t i = 0; i < c->nsess; i++) {
		free(c->sess[i].key);
		free(c->sess[i].known);
		free(c->sess[i].prev_tools);
	}
	free(c->sess);
	free(c->slot);
	free(c->last_key);
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
	.passes = 1,
	.open = conv_open,
	.exchange = conv_exchange,
	.pass_done = conv_pass_done,
	.close = conv_close,
};
