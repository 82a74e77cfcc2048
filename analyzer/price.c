/*
 * price.c: the price table built in, the reading of a --prices file, the
 * lookup and the arithmetic (price.h, docs/prices.md).
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cJSON.h>

#include "price.h"
#include "xmalloc.h"

/* --- the table ---------------------------------------------------------- */

/* $ per million tokens as micro-dollars per million tokens, rounded once
 * at compile time; N: no separate price. */
#define D(x)    ((int64_t)((x) * 1e6 + 0.5))
#define N       (-1)

#define OPENAI          "https://developers.openai.com/api/docs/pricing"
#define OPENAI_61SOL    "https://developers.openai.com/api/docs/models/" \
			"gpt-6.1-sol"
#define ANTHROPIC       "https://platform.claude.com/docs/en/about-claude/" \
			"pricing"
#define GEMINI          "https://ai.google.dev/gemini-api/docs/pricing"
#define READ            "2026-12-07"

/*
 * One line a model (and a line a long-context tier): family, model, above
 * (input tokens), then $/MTok: input, cached (cache reads), cache write,
 * 1-hour cache write, output, reasoning; the date the source was read, the
 * source.  docs/prices.md says how each was read.
 */
#define P(fam, model, above, in, cached, w, w1h, out, r, date, src) \
	{ fam, model, above, in, cached, w, w1h, out, r, date, src },

static const struct cx_price PRICES[] = {
/* OpenAI: input includes cached; output includes reasoning (billed as
 * output). */
P("openai", "gpt-4o-mini",    0, D(0.15), D(0.075), N, N, D(0.60), N, READ, OPENAI)
P("openai", "gpt-4o",         0, D(2.50), D(1.25),  N, N, D(10.00), N, READ, OPENAI)
P("openai", "gpt-5",          0, D(1.25), D(0.125), N, N, D(10.00), N, READ, OPENAI)
P("openai", "gpt-5-mini",     0, D(0.25), D(0.025), N, N, D(2.00), N, READ, OPENAI)
P("openai", "gpt-5-codex",    0, D(1.25), D(0.125), N, N, D(10.00), N, READ, OPENAI)
P("openai", "gpt-5.1",        0, D(1.25), D(0.125), N, N, D(10.00), N, READ, OPENAI)
P("openai", "gpt-5.1-codex",  0, D(1.25), D(0.125), N, N, D(10.00), N, READ, OPENAI)
P("openai", "gpt-5.1-codex-max", 0, D(1.25), D(0.125), N, N, D(10.00), N, READ, OPENAI)
P("openai", "gpt-5.2",        0, D(1.75), D(0.175), N, N, D(14.00), N, READ, OPENAI)
P("openai", "gpt-5.2-codex",  0, D(1.75), D(0.175), N, N, D(14.00), N, READ, OPENAI)
P("openai", "gpt-5.3-codex",  0, D(1.75), D(0.175), N, N, D(14.00), N, READ, OPENAI)
P("openai", "gpt-5.4",        0, D(2.50), D(0.25),  N, N, D(15.00), N, READ, OPENAI)
P("openai", "gpt-5.4", 272000,   D(5.00), D(0.50),  N, N, D(22.50), N, READ, OPENAI)
P("openai", "gpt-5.4-mini",   0, D(0.75), D(0.075), N, N, D(4.50), N, READ, OPENAI)
P("openai", "gpt-5.4-nano",   0, D(0.20), D(0.02),  N, N, D(1.25), N, READ, OPENAI)
P("openai", "gpt-5.5",        0, D(5.00), D(0.50),  N, N, D(30.00), N, READ, OPENAI)
P("openai", "gpt-5.5", 272000,   D(10.00), D(1.00), N, N, D(45.00), N, READ, OPENAI)
P("openai", "gpt-6-sol",      0, D(2.00), D(0.20), D(2.50), N, D(10.00), N, READ, OPENAI)
P("openai", "gpt-6-sol", 272000, D(4.00), D(0.40), D(5.00), N, D(15.00), N, READ, OPENAI)
P("openai", "gpt-6-luna",     0, D(0.10), D(0.01), D(0.125), N, D(0.50), N, READ, OPENAI)
P("openai", "gpt-6-luna", 272000, D(0.20), D(0.02), D(0.25), N, D(0.75), N, READ, OPENAI)
P("openai", "gpt-6.1-sol",    0, D(2.00), D(0.10),  N, N, D(10.00), N, READ, OPENAI_61SOL)
P("openai", "gpt-6.1-sol", 272000, D(4.00), D(0.20), N, N, D(15.00), N, READ, OPENAI_61SOL)
/* Anthropic: input_tokens excludes cache reads and writes (conv.h adds
 * them to input); thinking is billed as output. */
P("anthropic", "claude-haiku-3-5",  0, D(0.80), D(0.08), D(1.00), D(1.60), D(4.00), N, READ, ANTHROPIC)
P("anthropic", "claude-haiku-4-5",  0, D(1.00), D(0.10), D(1.25), D(2.00), D(5.00), N, READ, ANTHROPIC)
P("anthropic", "claude-haiku-5-5",  0, D(0.10), D(0.01), D(0.125), D(0.20), D(0.50), N, READ, ANTHROPIC)
P("anthropic", "claude-haiku-5-5", 100000, D(0.50), D(0.05), D(0.625), D(1.00), D(2.50), N, READ, ANTHROPIC)
P("anthropic", "claude-sonnet-4",   0, D(3.00), D(0.30), D(3.75), D(6.00), D(15.00), N, READ, ANTHROPIC)
P("anthropic", "claude-sonnet-4-5", 0, D(3.00), D(0.30), D(3.75), D(6.00), D(15.00), N, READ, ANTHROPIC)
P("anthropic", "claude-sonnet-4-6", 0, D(3.00), D(0.30), D(3.75), D(6.00), D(15.00), N, READ, ANTHROPIC)
P("anthropic", "claude-sonnet-5",   0, D(2.00), D(0.20), D(2.50), D(4.00), D(10.00), N, READ, ANTHROPIC)
P("anthropic", "claude-sonnet-5-5", 0, D(2.00), D(0.10), D(2.50), D(4.00), D(10.00), N, READ, ANTHROPIC)
P("anthropic", "claude-opus-4",     0, D(15.00), D(1.50), D(18.75), D(30.00), D(75.00), N, READ, ANTHROPIC)
P("anthropic", "claude-opus-4-1",   0, D(15.00), D(1.50), D(18.75), D(30.00), D(75.00), N, READ, ANTHROPIC)
P("anthropic", "claude-opus-4-5",   0, D(5.00), D(0.50), D(6.25), D(10.00), D(25.00), N, READ, ANTHROPIC)
P("anthropic", "claude-opus-4-6",   0, D(5.00), D(0.50), D(6.25), D(10.00), D(25.00), N, READ, ANTHROPIC)
P("anthropic", "claude-opus-4-7",   0, D(5.00), D(0.50), D(6.25), D(10.00), D(25.00), N, READ, ANTHROPIC)
P("anthropic", "claude-opus-4-8",   0, D(5.00), D(0.50), D(6.25), D(10.00), D(25.00), N, READ, ANTHROPIC)
P("anthropic", "claude-opus-5",     0, D(5.00), D(0.50), D(6.25), D(10.00), D(25.00), N, READ, ANTHROPIC)
P("anthropic", "claude-opus-5-5",   0, D(4.00), D(0.20), D(5.00), D(8.00), D(20.00), N, READ, ANTHROPIC)
P("anthropic", "claude-fable-5",    0, D(10.00), D(1.00), D(12.50), D(20.00), D(50.00), N, READ, ANTHROPIC)
P("anthropic", "claude-fable-5-1",  0, D(10.00), D(0.25), D(12.50), D(20.00), D(50.00), N, READ, ANTHROPIC)
/* Gemini: promptTokenCount includes cached content; thoughts are billed
 * as output (conv.h adds them to output).  Text prices; the context
 * cache's storage (per hour) is not in the traffic. */
P("gemini", "gemini-3-flash-preview", 0, D(0.50), D(0.05), N, N, D(3.00), N, READ, GEMINI)
P("gemini", "gemini-3.1-pro-preview", 0, D(2.00), D(0.20), N, N, D(12.00), N, READ, GEMINI)
P("gemini", "gemini-3.1-pro-preview", 200000, D(4.00), D(0.40), N, N, D(18.00), N, READ, GEMINI)
};

#undef P

static const struct cx_prices BUILTIN = {
	PRICES, sizeof(PRICES) / sizeof(PRICES[0]), NULL, NULL, 0
};

const struct cx_prices *
cx_prices_builtin(void)
{
	return &BUILTIN;
}

/* --- the lookup --------------------------------------------------------- */

const char *
cx_price_family(const char *api)
{
	if (api == NULL)
		return "?";
	if (strcmp(api, "responses") == 0 || strcmp(api, "chat") == 0)
		return "openai";
	return api;
}

static int
digits(const char *s, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (s[i] < '0' || s[i] > '9')
			return 0;
	return 1;
}

/* How long model is without a snapshot's date ("-20250929",
 * "-2025-09-29"); its length when it has none. */
static size_t
undated(const char *m, size_t n)
{
	if (n > 9 && m[n - 9] == '-' && digits(m + n - 8, 8))
		return n - 9;
	if (n > 11 && m[n - 11] == '-' && digits(m + n - 10, 4) &&
	    m[n - 6] == '-' && digits(m + n - 5, 2) && m[n - 3] == '-' &&
	    digits(m + n - 2, 2))
		return n - 11;
	return n;
}

/* The row of (family, model[0..n)) for input tokens, or NULL. */
static const struct cx_price *
find(const struct cx_prices *p, const char *fam, const char *m, size_t n,
    int64_t input)
{
	const struct cx_price *best = NULL;

	for (size_t i = 0; i < p->n; i++) {
		const struct cx_price *r = &p->v[i];

		if (strcmp(r->family, fam) != 0 || strlen(r->model) != n ||
		    memcmp(r->model, m, n) != 0)
			continue;
		if (r->above > 0 && (input < 0 || input <= r->above))
			continue;
		if (best == NULL || r->above > best->above)
			best = r;
	}
	return best;
}

const struct cx_price *
cx_price_find(const struct cx_prices *p, const char *api, const char *model,
    int64_t input)
{
	const char *fam = cx_price_family(api);
	const struct cx_price *r;
	size_t n, u;

	if (p == NULL)
		p = cx_prices_builtin();
	if (model == NULL)
		return NULL;
	if (strcmp(fam, "gemini") == 0 && strncmp(model, "models/", 7) == 0)
		model += 7;
	n = strlen(model);
	if ((r = find(p, fam, model, n, input)) != NULL)
		return r;
	if ((u = undated(model, n)) != n)
		return find(p, fam, model, u, input);
	return NULL;
}

/* --- the arithmetic ----------------------------------------------------- */

static int64_t
sat_add(int64_t a, int64_t b)
{
	int64_t r;

	return __builtin_add_overflow(a, b, &r) ? INT64_MAX : r;
}

/* tokens at a price (micro-dollars per million tokens) in picodollars. */
static int64_t
at(int64_t tokens, int64_t price)
{
	int64_t r;

	if (tokens <= 0 || price <= 0)
		return 0;
	return __builtin_mul_overflow(tokens, price, &r) ? INT64_MAX : r;
}

static int64_t
known(int64_t v)
{
	return v > 0 ? v : 0;
}

int64_t
cx_price_apply(const struct cx_price *pr, const struct cx_usage *u)
{
	int64_t in = known(u->input), cached = known(u->cached);
	int64_t w = known(u->cache_write), w1h = known(u->cache_write_1h);
	int64_t out = known(u->output), r = known(u->reasoning);
	int64_t p_cached = pr->cached >= 0 ? pr->cached : pr->input;
	int64_t p_w = pr->write >= 0 ? pr->write : pr->input;
	int64_t p_w1h = pr->write_1h >= 0 ? pr->write_1h : p_w;
	int64_t p_r = pr->reasoning >= 0 ? pr->reasoning : pr->output;
	int64_t fresh, c = 0;

	/* Parts never more than their whole (bad data is not billed
	 * twice). */
	if (cached > in)
		cached = in;
	if (w > in - cached)
		w = in - cached;
	if (w1h > w)
		w1h = w;
	if (r > out)
		r = out;
	fresh = in - cached - w;
	c = sat_add(c, at(fresh, pr->input));
	c = sat_add(c, at(cached, p_cached));
	c = sat_add(c, at(w - w1h, p_w));
	c = sat_add(c, at(w1h, p_w1h));
	c = sat_add(c, at(out - r, pr->output));
	c = sat_add(c, at(r, p_r));
	return c;
}

void
cx_cost_init(struct cx_cost *c)
{
	memset(c, 0, sizeof(*c));
}

void
cx_cost_add(struct cx_cost *a, const struct cx_cost *b)
{
	a->pico = sat_add(a->pico, b->pico);
	a->priced += b->priced;
	a->noprice += b->noprice;
	a->partial += b->partial;
}

const struct cx_price *
cx_cost_turn(struct cx_cost *c, const struct cx_prices *p, const char *api,
    const char *model, const struct cx_usage *u)
{
	const struct cx_price *pr;

	if (u->input < 0 && u->output < 0 && u->cached < 0 &&
	    u->cache_write < 0 && u->reasoning < 0)
		return NULL;            /* no usage: nothing to price */
	if ((pr = cx_price_find(p, api, model, u->input)) == NULL) {
		c->noprice++;
		return NULL;
	}
	c->pico = sat_add(c->pico, cx_price_apply(pr, u));
	c->priced++;
	if (u->input < 0 || u->output < 0)
		c->partial++;
	return pr;
}

const struct cx_price *
cx_cost_of_turn(struct cx_cost *c, const struct cx_prices *p,
    const struct cx_turn *t)
{
	return cx_cost_turn(c, p, t->api, t->model_answered != NULL ?
	    t->model_answered : t->model, &t->usage);
}

void
cx_cost_money(char *buf, size_t len, int64_t pico)
{
	/* 1 dollar = 10^12 picodollars. */
	const int64_t unit = INT64_C(1000000000000);
	int64_t dollars, frac;

	if (pico == INT64_MAX) {
		snprintf(buf, len, ">$%" PRId64, INT64_MAX / unit);
		return;
	}
	if (pico < 0)
		pico = 0;
	if ((pico + 500000) / 1000000 >= 10000 || pico == 0) {
		/* 4 decimals: units of 10^8 picodollars. */
		int64_t q = (pico + 50000000) / 100000000;

		dollars = q / 10000;
		frac = q % 10000;
		snprintf(buf, len, "$%" PRId64 ".%04" PRId64, dollars, frac);
	} else {
		/* below a cent: 6 decimals, units of 10^6 picodollars. */
		int64_t q = (pico + 500000) / 1000000;

		snprintf(buf, len, "$0.%06" PRId64, q);
	}
}

void
cx_cost_text(char *buf, size_t len, const struct cx_cost *c, int utf8)
{
	char money[48];
	int n;

	if (c->priced == 0) {
		snprintf(buf, len, "%s", c->noprice > 0 ? "no price" : "?");
		return;
	}
	cx_cost_money(money, sizeof(money), c->pico);
	n = snprintf(buf, len, "%s%s", c->partial > 0 ? (utf8 ?
	    "\xe2\x89\xa5" : ">=") : "", money);
	if (c->noprice > 0 && n >= 0 && (size_t)n < len)
		snprintf(buf + n, len - (size_t)n, " + %" PRIu64 " turn%s with "
		    "no price", c->noprice, c->noprice == 1 ? "" : "s");
}

/* --- a --prices file ---------------------------------------------------- */

#define MAX_FILE        (4 << 20)
#define MAX_ROWS        10000

static const char *const FIELDS[] = {
	"family", "model", "above", "input", "cached_input", "cache_write",
	"cache_write_1h", "output", "reasoning", "date", "source", NULL
};

struct loader {
	const char      *name;
	char            *err;
	size_t           errlen;
	struct cx_prices *p;
	size_t           arows, astrs;
};

static char *
keep(struct loader *l, const char *s)
{
	struct cx_prices *p = l->p;

	if (p->nstrs == l->astrs) {
		l->astrs = l->astrs ? 2 * l->astrs : 32;
		p->strs = xreallocarray(p->strs, l->astrs, sizeof(*p->strs));
	}
	return p->strs[p->nstrs++] = xstrdup(s);
}

/* A key from the file as it can be shown on one line: at most 64 bytes,
 * control characters as '?'. */
static void
shown(char *buf, size_t len, const char *key)
{
	size_t n = 0;

	for (; key[n] != '\0' && n < 64 && n + 1 < len; n++)
		buf[n] = (unsigned char)key[n] < 0x20 || key[n] == 0x7f ? '?' :
		    key[n];
	buf[n] = '\0';
}

static int
bad(struct loader *l, size_t i, const char *key, const char *why)
{
	char k[80];

	if (key != NULL) {
		shown(k, sizeof(k), key);
		snprintf(l->err, l->errlen, "%s: prices[%zu].%s: %s", l->name, i,
		    k, why);
	}
	else
		snprintf(l->err, l->errlen, "%s: prices[%zu]: %s", l->name, i,
		    why);
	return -1;
}

/* A price: a number of dollars per million tokens, 0 ... 1,000,000, at
 * most 6 decimals (micro-dollars); null or absent: -1. */
static int
money(struct loader *l, size_t i, const cJSON *o, const char *key,
    int required, int64_t *v)
{
	const cJSON *x = cJSON_GetObjectItemCaseSensitive(o, key);
	double d, r;

	*v = -1;
	if (x == NULL || cJSON_IsNull(x))
		return required ? bad(l, i, key, "missing (a price in $ per "
		    "million tokens)") : 0;
	if (!cJSON_IsNumber(x))
		return bad(l, i, key, "not a number ($ per million tokens)");
	d = x->valuedouble;
	if (!(d >= 0 && d <= 1e6))
		return bad(l, i, key, "out of range (0 to 1000000 $ per "
		    "million tokens)");
	r = (double)(int64_t)(d * 1e6 + 0.5);
	if (d * 1e6 - r > 1e-3 || r - d * 1e6 > 1e-3)
		return bad(l, i, key, "more than 6 decimals (micro-dollars)");
	*v = (int64_t)r;
	return 0;
}

static int
text(struct loader *l, size_t i, const cJSON *o, const char *key,
    int required, const char **v)
{
	const cJSON *x = cJSON_GetObjectItemCaseSensitive(o, key);

	*v = NULL;
	if (x == NULL || cJSON_IsNull(x)) {
		if (required)
			return bad(l, i, key, "missing (a string)");
		*v = "";
		return 0;
	}
	if (!cJSON_IsString(x) || (required && *x->valuestring == '\0'))
		return bad(l, i, key, "not a non-empty string");
	*v = keep(l, x->valuestring);
	return 0;
}

static int
row(struct loader *l, size_t i, const cJSON *o, struct cx_price *r)
{
	const cJSON *x;
	int64_t above = 0;

	if (!cJSON_IsObject(o))
		return bad(l, i, NULL, "not an object");
	cJSON_ArrayForEach(x, o) {
		size_t k;

		for (k = 0; FIELDS[k] != NULL; k++)
			if (strcmp(FIELDS[k], x->string) == 0)
				break;
		if (FIELDS[k] == NULL)
			return bad(l, i, x->string, "unknown key");
	}
	x = cJSON_GetObjectItemCaseSensitive(o, "above");
	if (x != NULL && !cJSON_IsNull(x)) {
		if (!cJSON_IsNumber(x) || x->valuedouble < 0 ||
		    x->valuedouble > 1e12 || x->valuedouble !=
		    (double)(int64_t)x->valuedouble)
			return bad(l, i, "above", "not a whole number of "
			    "tokens");
		above = (int64_t)x->valuedouble;
	}
	r->above = above;
	if (text(l, i, o, "family", 1, &r->family) == -1 ||
	    text(l, i, o, "model", 1, &r->model) == -1 ||
	    money(l, i, o, "input", 1, &r->input) == -1 ||
	    money(l, i, o, "cached_input", 0, &r->cached) == -1 ||
	    money(l, i, o, "cache_write", 0, &r->write) == -1 ||
	    money(l, i, o, "cache_write_1h", 0, &r->write_1h) == -1 ||
	    money(l, i, o, "output", 1, &r->output) == -1 ||
	    money(l, i, o, "reasoning", 0, &r->reasoning) == -1 ||
	    text(l, i, o, "date", 0, &r->date) == -1 ||
	    text(l, i, o, "source", 0, &r->source) == -1)
		return -1;
	/* The lookup asks for an API's family: a row under an adapter's
	 * name that is priced as another family would never be found. */
	if (strcmp(cx_price_family(r->family), r->family) != 0)
		return bad(l, i, "family", "priced as \"openai\" (the family "
		    "of the responses and chat APIs)");
	return 0;
}

/* Each model has one base row and no two rows of the same tier. */
static int
check_rows(struct loader *l, const struct cx_price *v, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		int base = v[i].above == 0;

		for (size_t j = 0; j < n; j++) {
			if (j == i || strcmp(v[i].family, v[j].family) != 0 ||
			    strcmp(v[i].model, v[j].model) != 0)
				continue;
			if (v[j].above == v[i].above && j < i) {
				char why[96];

				snprintf(why, sizeof(why), "the same family, model "
				    "and above as prices[%zu]", j);
				return bad(l, i, NULL, why);
			}
			base |= v[j].above == 0;
		}
		if (!base)
			return bad(l, i, "above", "a tier of a model with no "
			    "base row (above 0)");
	}
	return 0;
}

/* Does the file name (family, model)? */
static int
named(const struct cx_price *v, size_t n, const struct cx_price *b)
{
	for (size_t i = 0; i < n; i++)
		if (strcmp(v[i].family, b->family) == 0 &&
		    strcmp(v[i].model, b->model) == 0)
			return 1;
	return 0;
}

/* Where p is in text, as "LINE:COL" (1-based, columns in bytes). */
static void
place(const char *text, const char *p, size_t *line, size_t *col)
{
	*line = 1;
	*col = 1;
	for (const char *c = text; c < p; c++) {
		if (*c == '\n') {
			(*line)++;
			*col = 1;
		} else
			(*col)++;
	}
}

struct cx_prices *
cx_prices_parse(const char *txt, size_t len, const char *name, char *err,
    size_t errlen)
{
	struct loader l = { name, err, errlen, NULL, 0, 0 };
	const char *end = NULL;
	cJSON *doc, *rows, *x;
	struct cx_price *v;
	size_t n = 0, nfile, line, col;
	int replace = 0;

	doc = cJSON_ParseWithLengthOpts(txt, len, &end, 0);
	if (doc != NULL && end != NULL)         /* whitespace after it only */
		while (end < txt + len && strchr(" \t\r\n", *end) != NULL &&
		    *end != '\0')
			end++;
	if (doc == NULL || (end != NULL && end < txt + len)) {
		const char *at_ = doc == NULL ? cJSON_GetErrorPtr() : end;

		if (at_ == NULL || at_ < txt || at_ > txt + len)
			at_ = txt + len;
		place(txt, at_, &line, &col);
		snprintf(err, errlen, "%s:%zu:%zu: %s", name, line, col,
		    doc == NULL ? "not JSON" : "text after the JSON value");
		cJSON_Delete(doc);
		return NULL;
	}
	if (!cJSON_IsObject(doc)) {
		snprintf(err, errlen, "%s: not a JSON object ({\"prices\": "
		    "[...]})", name);
		goto fail;
	}
	cJSON_ArrayForEach(x, doc)
		if (strcmp(x->string, "prices") != 0 &&
		    strcmp(x->string, "replace") != 0) {
			char k[80];

			shown(k, sizeof(k), x->string);
			snprintf(err, errlen, "%s: %s: unknown key (\"prices\", "
			    "\"replace\")", name, k);
			goto fail;
		}
	x = cJSON_GetObjectItemCaseSensitive(doc, "replace");
	if (x != NULL && !cJSON_IsBool(x)) {
		snprintf(err, errlen, "%s: replace: not true or false", name);
		goto fail;
	}
	replace = cJSON_IsTrue(x);
	rows = cJSON_GetObjectItemCaseSensitive(doc, "prices");
	if (!cJSON_IsArray(rows)) {
		snprintf(err, errlen, "%s: prices: %s", name, rows == NULL ?
		    "missing (an array of rows)" : "not an array");
		goto fail;
	}
	nfile = (size_t)cJSON_GetArraySize(rows);
	if (nfile > MAX_ROWS) {
		snprintf(err, errlen, "%s: prices: more than %d rows", name,
		    MAX_ROWS);
		goto fail;
	}
	l.p = xcalloc(1, sizeof(*l.p));
	v = xcalloc(nfile + (replace ? 0 : BUILTIN.n) + 1, sizeof(*v));
	l.p->own = v;
	cJSON_ArrayForEach(x, rows) {
		if (row(&l, n, x, &v[n]) == -1)
			goto fail;
		n++;
	}
	if (check_rows(&l, v, n) == -1)
		goto fail;
	if (!replace)
		for (size_t i = 0; i < BUILTIN.n; i++)
			if (!named(v, nfile, &BUILTIN.v[i]))
				v[n++] = BUILTIN.v[i];
	l.p->v = v;
	l.p->n = n;
	cJSON_Delete(doc);
	return l.p;
fail:
	cJSON_Delete(doc);
	cx_prices_free(l.p);
	return NULL;
}

struct cx_prices *
cx_prices_load(const char *path, char *err, size_t errlen)
{
	FILE *f = fopen(path, "rb");
	struct cx_prices *p;
	char *buf;
	size_t n;

	if (f == NULL) {
		snprintf(err, errlen, "%s: %s", path, strerror(errno));
		return NULL;
	}
	buf = xmalloc(MAX_FILE + 1);
	n = fread(buf, 1, MAX_FILE + 1, f);
	if (ferror(f) || n > MAX_FILE) {
		snprintf(err, errlen, "%s: %s", path, ferror(f) ?
		    strerror(errno) : "more than 4 MiB");
		fclose(f);
		free(buf);
		return NULL;
	}
	fclose(f);
	buf[n] = '\0';
	if (memchr(buf, '\0', n) != NULL) {
		snprintf(err, errlen, "%s: a NUL byte: not JSON text", path);
		free(buf);
		return NULL;
	}
	p = cx_prices_parse(buf, n, path, err, errlen);
	free(buf);
	return p;
}

void
cx_prices_free(struct cx_prices *p)
{
	if (p == NULL || p == &BUILTIN)
		return;
	for (size_t i = 0; i < p->nstrs; i++)
		free(p->strs[i]);
	free(p->strs);
	free(p->own);
	free(p);
}
