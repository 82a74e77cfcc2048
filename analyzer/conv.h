/*
 * conv.h: the conversation model: what an agent said to its model and
 * what came back, the same for every model API.  Every view after decode
 * (the conversation view, the report's conversation and usage, HAR
 * extras, and the HTML, export and diff that follow) reads this model,
 * never an API's own shapes.
 *
 * An API adapter (one file each: conv_responses.c, conv_chat.c,
 * conv_anthropic.c, conv_gemini.c; one line each in conv.c's table)
 * claims an exchange from its request (path, body shape, headers; never
 * from which agent ran) and turns it into turns: one for an HTTP
 * exchange, one per request message for a WebSocket.  Nothing is dropped:
 * a body that is not the JSON its API promises, an event or an item of a
 * kind the adapter does not know, becomes a CX_ITEM_OTHER holding it raw,
 * with a note.
 *
 * Usage, one definition for every API (docs/conversation.md):
 *   input        every input token the model read: cached or not, written
 *                to a cache or not (Anthropic's input_tokens +
 *                cache_read_input_tokens + cache_creation_input_tokens;
 *                OpenAI's input_tokens / prompt_tokens; Gemini's
 *                promptTokenCount)
 *   cached       of input, read from a cache
 *   cache_write  of input, written to a cache
 *   cache_write_1h  of cache_write, written for an hour (Anthropic's
 *                cache_creation.ephemeral_1h_input_tokens; priced apart)
 *   output       every output token, reasoning included (Gemini's
 *                candidatesTokenCount + thoughtsTokenCount)
 *   reasoning    of output, reasoning/thinking
 *   total        input + output, always computed (cx_usage_total); the
 *                API's own total, when it sends one, is kept apart
 * A count the API did not send is -1 (unknown), never 0.
 *
 * Ownership: a turn owns its items and strings (all malloc'd); cx_turn_free
 * frees it.  An adapter's turns live during its callback only; a caller
 * that keeps one takes it with cx_turn_take.
 */
#ifndef CX_CONV_H
#define CX_CONV_H

#include <stddef.h>
#include <stdint.h>

#include "exchange.h"

enum cx_role {
	CX_ROLE_NONE,
	CX_ROLE_SYSTEM,         /* system instructions */
	CX_ROLE_DEVELOPER,      /* developer instructions (OpenAI) */
	CX_ROLE_USER,
	CX_ROLE_ASSISTANT,
	CX_ROLE_TOOL,           /* a tool's result */
};

enum cx_item_kind {
	CX_ITEM_TEXT,           /* a message's text; role says whose */
	CX_ITEM_REASONING,      /* reasoning / thinking (see hidden) */
	CX_ITEM_TOOL_CALL,      /* name, call_id, text: arguments (JSON) */
	CX_ITEM_TOOL_RESULT,    /* call_id (name if the API says), text */
	CX_ITEM_REFUSAL,        /* text */
	CX_ITEM_ERROR,          /* text: what the API said */
	CX_ITEM_OTHER,          /* text: the raw JSON; note says why */
};

struct cx_item {
	enum cx_item_kind kind;
	enum cx_role     role;
	char            *id;            /* the API's item id, or NULL */
	char            *name;          /* tool name (calls, results if known) */
	char            *call_id;       /* calls and results */
	char            *text;          /* NUL-terminated, len bytes */
	size_t           len;
	/* Reasoning: 1 when its content is not shown (encrypted, redacted,
	 * omitted): text then holds a summary if any, else is "". */
	int              hidden;
	char            *note;          /* a problem with it, or NULL */
	/* call_id was made up or borrowed by the adapter (the API gave the
	 * item none): it is no part of the item's identity. */
	int              call_id_derived;
	/* Set by cx_sessions_turn: new since the session's previous turn. */
	int              fresh;
};

struct cx_items {
	struct cx_item  *v;
	size_t           n;
	size_t           cap;
};

/* A tool the request offered: name, description, parameters' schema. */
struct cx_tool {
	char            *name;
	char            *description;   /* or NULL */
	char            *schema;        /* JSON text, or NULL */
};

struct cx_usage {
	int64_t          input;
	int64_t          cached;
	int64_t          cache_write;
	int64_t          cache_write_1h;        /* of cache_write */
	int64_t          output;
	int64_t          reasoning;
	int64_t          api_total;     /* what the API said, or -1 */
};

struct cx_turn {
	const struct cx_exchange *ex;   /* the exchange it came from */
	const char      *api;           /* the adapter's name: "anthropic" */
	size_t           index;         /* 0, 1, ... within ex (WebSocket) */
	char            *session;       /* the agent's session/conversation
					 * key if it sends one, else NULL */
	char            *model;         /* the model asked for */
	char            *model_answered;        /* the model that answered */
	char            *response_id;
	char            *previous_response_id;  /* Responses API */
	char            *stop_reason;   /* finish/stop reason, or status */
	int              streamed;      /* SSE or WebSocket events */
	int              warmup;        /* codex's prewarm: no generation */
	struct cx_items  instructions;  /* system/developer */
	struct cx_items  input;         /* the request's items, in order */
	struct cx_items  output;        /* the response's items, in order */
	struct cx_tool  *tools;
	size_t           ntools;
	struct cx_usage  usage;
	int64_t          t_request;     /* the request's last byte (ns) */
	int64_t          t_first_token; /* first output (ns), 0: unknown */
	int64_t          t_last_token;
	char            *error;         /* the API's error, or NULL */
	char            *note;          /* "; "-joined notes, or NULL */
};

/* --- the adapters --------------------------------------------------- */

typedef void (*cx_turn_fn)(void *arg, struct cx_turn *t);

struct cx_api {
	const char      *name;          /* "responses", "chat", ... */
	const char      *title;         /* "OpenAI Responses" */
	/* Is ex's request one of this API's model calls? */
	int            (*claims)(const struct cx_exchange *ex);
	/* Its turns, each handed to fn (which may cx_turn_take it), in
	 * order; returns how many. */
	size_t         (*turns)(const struct cx_exchange *ex, cx_turn_fn fn,
			    void *arg);
};

/* The table, NULL-terminated. */
extern const struct cx_api *const cx_api_table[];
/* The adapter that claims ex, or NULL (not a model call). */
const struct cx_api *cx_api_of(const struct cx_exchange *ex);
/* ex's turns through its adapter; 0 when none claims it. */
size_t   cx_conv_turns(const struct cx_exchange *ex, cx_turn_fn fn,
    void *arg);

/* --- building turns (for adapters) ----------------------------------- */

/* A turn for ex (zeroed, usage unknown). */
void     cx_turn_init(struct cx_turn *t, const struct cx_exchange *ex,
    const char *api);
void     cx_turn_free(struct cx_turn *t);       /* NULL is fine */
/* Move t's contents into a new heap turn (t is left empty). */
struct cx_turn *cx_turn_take(struct cx_turn *t);
/* Append an item; text is copied (len bytes), the strings too (or NULL). */
struct cx_item *cx_items_add(struct cx_items *l, enum cx_item_kind kind,
    enum cx_role role, const char *text, size_t len);
void     cx_item_set(char **field, const char *s);     /* copy, or NULL */
void     cx_turn_note(struct cx_turn *t, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
void     cx_turn_tool(struct cx_turn *t, const char *name,
    const char *description, const char *schema);
void     cx_items_free(struct cx_items *l);
/* p[0..n) as one JSON value with nothing but whitespace after it, or
 * NULL.  Caller frees with cJSON_Delete. */
struct cJSON *cx_conv_json(const char *p, size_t n);
/* JSON access for adapters: NULL (or -1) for a missing key, a value of
 * another type, or o not an object. */
const struct cJSON *cx_jget(const struct cJSON *o, const char *key);
const char *cx_jstr(const struct cJSON *o, const char *key);
const struct cJSON *cx_jarr(const struct cJSON *o, const char *key);
int64_t  cx_jcount(const struct cJSON *o, const char *key);
/* v as compact JSON text, malloc'd; "null" for NULL. */
char    *cx_jtext(const struct cJSON *v);
/* "user", "assistant", "system", "developer", "tool" (and OpenAI's old
 * "function"); else dflt. */
enum cx_role cx_role_of(const char *name, enum cx_role dflt);
/* The name of a role ("user", ...); dflt for CX_ROLE_NONE. */
const char *cx_role_name(enum cx_role r, const char *dflt);
/* An item whose text is v's JSON. */
struct cx_item *cx_items_add_json(struct cx_items *l, enum cx_item_kind kind,
    enum cx_role role, const struct cJSON *v);
/* v kept raw: a CX_ITEM_OTHER holding its JSON, with the note why. */
struct cx_item *cx_items_add_raw(struct cx_items *l, enum cx_role role,
    const struct cJSON *v, const char *why);
/* m's body (content-decoded) kept raw: a CX_ITEM_OTHER with the note why
 * ("the body is not JSON" when NULL). */
void     cx_items_add_body(struct cx_items *l, enum cx_role role,
    const struct cx_msg *m, const char *why);
/* The request's or response's body as JSON (content-decoded), or NULL
 * (no body, not JSON: *why says so when why is not NULL). Caller frees
 * with cJSON_Delete. */
struct cJSON *cx_conv_body_json(const struct cx_msg *m, const char **why);

/* --- usage ------------------------------------------------------------ */

/* Counts are at most CX_COUNT_MAX: sums of any number of turns stay far
 * from int64_t's end (they saturate there). */
#define CX_COUNT_MAX    INT64_C(1000000000000000)

/* A JSON number as a token count: 0 ... CX_COUNT_MAX, else -1. */
int64_t  cx_conv_count(const struct cJSON *v);
/* A JSON number as an index: 0 ... 1,000,000, else -1. */
long     cx_conv_index(const struct cJSON *v);

void     cx_usage_init(struct cx_usage *u);     /* every count unknown */
/* input + output, unknown parts as 0; -1 when both are unknown. */
int64_t  cx_usage_total(const struct cx_usage *u);
/* Did the API report any usage (a count known)? */
int      cx_usage_known(const struct cx_usage *u);
/* a += b, unknown + known = known. */
void     cx_usage_add(struct cx_usage *a, const struct cx_usage *b);

/* --- sessions and new input ------------------------------------------ */

/*
 * Turns grouped into sessions: by t->session where the agent sends one,
 * else by process and API.  cx_sessions_turn marks each of t's input
 * items fresh when it is new since the previous turn of the same thread of
 * the session (the thread whose previous turn the input repeats most: a
 * side call such as gemini-cli's router is a thread of its own), by the
 * API's item ids, else
 * by content (agents resend the whole history); and returns the session's
 * number (1, 2, ...) and whether it is new.  At most 4096 sessions and 4
 * threads each are remembered (memory stays bounded); a forgotten one
 * starts afresh under a new number.
 */
struct cx_sessions;
struct cx_sessions *cx_sessions_new(void);
void     cx_sessions_free(struct cx_sessions *s);       /* NULL is fine */
size_t   cx_sessions_turn(struct cx_sessions *s, struct cx_turn *t,
    int *is_new);

#endif
