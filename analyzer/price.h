/*
 * price.h: what a model's tokens cost (docs/prices.md): a price table (one
 * built in, price.c's PRICES, each line with the public page it came from
 * and the date it was read; a --prices FILE replaces or extends it), the
 * lookup of a turn's model in it, and the arithmetic on the conversation
 * model's usage (conv.h), once for every API.
 *
 * Money is integers, never floats: a price is micro-dollars per million
 * tokens (so tokens x price is picodollars, exact), a cost is picodollars
 * (int64_t: up to $9.2 million, saturating there).  A model the table does
 * not hold has no price: it is never guessed from another one.
 *
 * The arithmetic, on conv.h's usage (input: every input token, cached and
 * cache writes included; output: every output token, reasoning included):
 *   fresh input   = input - cached - cache_write        at `input`
 *   cached        = cache reads                         at `cached`
 *   cache_write   - cache_write_1h                      at `write`
 *   cache_write_1h (Anthropic's 1-hour cache writes)    at `write_1h`
 *   output - reasoning                                  at `output`
 *   reasoning                                           at `reasoning`
 * a price of -1 (the page gives none) falls back: cached, write to input;
 * write_1h to write; reasoning to output.  A row with `above` N applies to
 * a turn whose input is more than N tokens (a long-context tier: the whole
 * turn at its prices), the row with the largest such N winning.
 *
 * Ownership: the built-in table is static; a loaded one is the caller's
 * (cx_prices_free), and must outlive every report and view that prices
 * with it (decode.h's cx_decode_opts.prices, output.h's cx_out_ctx).
 */
#ifndef CX_PRICE_H
#define CX_PRICE_H

#include <stddef.h>
#include <stdint.h>

#include "conv.h"

/* One model's prices in one family, in micro-dollars per million tokens
 * ($1.75 / MTok is 1750000); -1: no separate price (see above). */
struct cx_price {
	const char      *family;        /* "openai", "anthropic", "gemini" */
	const char      *model;         /* "claude-sonnet-4-5" */
	int64_t          above;         /* input tokens; 0: the base row */
	int64_t          input;
	int64_t          cached;        /* cache reads */
	int64_t          write;         /* cache writes (Anthropic: 5 min) */
	int64_t          write_1h;      /* Anthropic's 1-hour cache writes */
	int64_t          output;
	int64_t          reasoning;
	const char      *date;          /* when the source was read */
	const char      *source;        /* the public page (URL) */
};

struct cx_prices {
	const struct cx_price *v;
	size_t           n;
	/* Loaded from a file: what it owns (NULL for the built-in one). */
	struct cx_price *own;
	char           **strs;
	size_t           nstrs;
};

/* What a turn, or a sum of turns, cost. */
struct cx_cost {
	int64_t          pico;          /* picodollars of the priced turns */
	uint64_t         priced;        /* turns with usage and a price */
	uint64_t         noprice;       /* turns with usage, no price */
	uint64_t         partial;       /* priced, but the API did not say
					 * input or output: a lower bound */
};

/* The built-in table. */
const struct cx_prices *cx_prices_builtin(void);

/*
 * Read a --prices file (docs/prices.md): its rows in front of the built-in
 * table (whose rows of a model the file names are dropped), or alone with
 * "replace": true.  NULL on failure, with one line in err naming the place:
 * "FILE:LINE:COL: ..." when it is not JSON, "FILE: prices[2].input: ..."
 * when a value is wrong.
 */
struct cx_prices *cx_prices_load(const char *path, char *err, size_t errlen);
/* The same from text (name: for the messages). */
struct cx_prices *cx_prices_parse(const char *text, size_t len,
    const char *name, char *err, size_t errlen);
void     cx_prices_free(struct cx_prices *p);   /* NULL is fine */

/* The price family of an API (conv.h's adapter names): "responses" and
 * "chat" are "openai"; any other is its own name. */
const char *cx_price_family(const char *api);
/*
 * model's row in p for a turn of API api with input tokens (-1: unknown,
 * the base row): exact name, else without a snapshot's date suffix
 * ("-20250929", "-2025-09-29") or Gemini's "models/" prefix; p NULL: the
 * built-in table.  NULL: no price.
 */
const struct cx_price *cx_price_find(const struct cx_prices *p,
    const char *api, const char *model, int64_t input);
/* u at pr's prices, in picodollars (saturating). */
int64_t  cx_price_apply(const struct cx_price *pr, const struct cx_usage *u);

/* A turn (api, model, usage) into c, priced from p (NULL: the built-in
 * table): nothing when the API reported no usage.  Returns its row, or
 * NULL. */
const struct cx_price *cx_cost_turn(struct cx_cost *c,
    const struct cx_prices *p, const char *api, const char *model,
    const struct cx_usage *u);
/* The same for a turn of the conversation model: the model that answered
 * is priced (it is the one billed), else the one asked for. */
const struct cx_price *cx_cost_of_turn(struct cx_cost *c,
    const struct cx_prices *p, const struct cx_turn *t);
void     cx_cost_init(struct cx_cost *c);
void     cx_cost_add(struct cx_cost *a, const struct cx_cost *b);

/* picodollars as "$0.0123" (4 decimals; 6 below a cent: "$0.000123"),
 * rounded half up; a saturated sum as ">$9223372". */
void     cx_cost_money(char *buf, size_t len, int64_t pico);
/* A cost for people: "$0.0123"; "no price" when none of its turns had
 * one; "?" when none reported usage; "$0.0123 + 2 turns with no price"
 * when some had none; a lower bound ("partial") prefixed ">=" ("\xe2\x89\xa5"
 * with utf8 set). */
void     cx_cost_text(char *buf, size_t len, const struct cx_cost *c,
    int utf8);

#endif
