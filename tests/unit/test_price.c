/*
 * test_price.c: the price table and the cost arithmetic (analyzer/price.c,
 * docs/prices.md): a table of cases per API, each an answer with the
 * API's own usage object run through its adapter (so what each count means
 * is tested with the arithmetic: OpenAI's input includes cached, Anthropic's
 * excludes cache reads and writes, Gemini's prompt count includes cached,
 * reasoning and thoughts are billed as output), the model lookup (dated
 * snapshots, tiers, no price), money as text, and --prices files, good and
 * bad.
 */
#include <check.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "conv.h"
#include "exchange.h"
#include "price.h"
#include "trace.h"
#include "tracegen.h"

/* $ as picodollars (10^-12 $). */
#define PICO(d)         ((int64_t)((d) * 1e12 + 0.5))

struct tcase {
	const char      *api;           /* the adapter that must claim it */
	const char      *target;
	const char      *req;
	const char      *resp;
	int64_t          pico;          /* the cost, -1: no price, -2: none */
	const char      *priced_as;     /* the row's model */
};

static const struct tcase CASES[] = {
	/* OpenAI Responses: input_tokens includes the cached ones, output
	 * the reasoning: 200 x $1.75 + 800 x $0.175 + 300 x $14 = $0.00469 */
	{ "responses", "/v1/responses", "{\"model\":\"gpt-5.2\",\"input\":"
	  "\"hi\"}", "{\"id\":\"resp_1\",\"object\":\"response\",\"status\":"
	  "\"completed\",\"model\":\"gpt-5.2\",\"output\":[],\"usage\":{"
	  "\"input_tokens\":1000,\"input_tokens_details\":{\"cached_tokens\":"
	  "800},\"output_tokens\":300,\"output_tokens_details\":{"
	  "\"reasoning_tokens\":200},\"total_tokens\":1300}}",
	  PICO(0.00469), "gpt-5.2" },
	/* A dated snapshot answered: priced as its model. */
	{ "responses", "/v1/responses", "{\"model\":\"gpt-5.2\",\"input\":"
	  "\"hi\"}", "{\"id\":\"resp_2\",\"object\":\"response\",\"status\":"
	  "\"completed\",\"model\":\"gpt-5.2-2025-12-11\",\"output\":[],"
	  "\"usage\":{\"input_tokens\":1000000,\"output_tokens\":0}}",
	  PICO(1.75), "gpt-5.2" },
	/* A model the table does not hold: no price, never guessed. */
	{ "responses", "/v1/responses", "{\"model\":\"gpt-6.2-sol\",\"input\":"
	  "\"hi\"}", "{\"id\":\"resp_3\",\"object\":\"response\",\"status\":"
	  "\"completed\",\"model\":\"gpt-6.2-sol\",\"output\":[],\"usage\":{"
	  "\"input_tokens\":10,\"output_tokens\":1}}", -1, NULL },
	/* No usage: nothing to price. */
	{ "responses", "/v1/responses", "{\"model\":\"gpt-5.2\",\"input\":"
	  "\"hi\"}", "{\"id\":\"resp_4\",\"object\":\"response\",\"status\":"
	  "\"completed\",\"model\":\"gpt-5.2\",\"output\":[]}", -2, NULL },
	/* OpenAI Chat: prompt_tokens includes cached_tokens: 976 x $0.15 +
	 * 1024 x $0.075 + 100 x $0.60 = $0.0002832 */
	{ "chat", "/v1/chat/completions", "{\"model\":\"gpt-4o-mini\","
	  "\"messages\":[]}", "{\"id\":\"c\",\"model\":\"gpt-4o-mini\","
	  "\"choices\":[{\"index\":0,\"message\":{\"content\":\"x\"},"
	  "\"finish_reason\":\"stop\"}],\"usage\":{\"prompt_tokens\":2000,"
	  "\"prompt_tokens_details\":{\"cached_tokens\":1024},"
	  "\"completion_tokens\":100,\"total_tokens\":2100}}",
	  PICO(0.0002832), "gpt-4o-mini" },
	/* Anthropic: input_tokens excludes cache reads and writes; 1-hour
	 * writes apart: 100 x $3 + 5000 x $0.30 + 500 x $3.75 + 1500 x $6 +
	 * 400 x $15 = $0.018675 */
	{ "anthropic", "/v1/messages", "{\"model\":\"claude-sonnet-4-5\","
	  "\"max_tokens\":10,\"messages\":[{\"role\":\"user\",\"content\":"
	  "\"hi\"}]}", "{\"id\":\"msg_1\",\"type\":\"message\",\"role\":"
	  "\"assistant\",\"model\":\"claude-sonnet-4-5-20250929\",\"content\":"
	  "[],\"stop_reason\":\"end_turn\",\"usage\":{\"input_tokens\":100,"
	  "\"cache_read_input_tokens\":5000,\"cache_creation_input_tokens\":"
	  "2000,\"cache_creation\":{\"ephemeral_5m_input_tokens\":500,"
	  "\"ephemeral_1h_input_tokens\":1500},\"output_tokens\":400}}",
	  PICO(0.018675), "claude-sonnet-4-5" },
	/* Anthropic, tiered by the whole prompt (input + reads + writes):
	 * Haiku 5.5 over 100,000: 90,000 x $0.50 + 20,000 x $0.05 + 10 x
	 * $2.50 = $0.046025 */
	{ "anthropic", "/v1/messages", "{\"model\":\"claude-haiku-5-5\","
	  "\"max_tokens\":10,\"messages\":[{\"role\":\"user\",\"content\":"
	  "\"hi\"}]}", "{\"id\":\"msg_2\",\"type\":\"message\",\"role\":"
	  "\"assistant\",\"model\":\"claude-haiku-5-5\",\"content\":[],"
	  "\"stop_reason\":\"end_turn\",\"usage\":{\"input_tokens\":90000,"
	  "\"cache_read_input_tokens\":20000,\"output_tokens\":10}}",
	  PICO(0.046025), "claude-haiku-5-5" },
	/* Gemini: promptTokenCount includes cachedContentTokenCount;
	 * thoughts are output: 6000 x $0.50 + 4000 x $0.05 + (50 + 150) x
	 * $3 = $0.0038 */
	{ "gemini", "/v1beta/models/gemini-3-flash-preview:generateContent",
	  "{\"contents\":[{\"role\":\"user\",\"parts\":[{\"text\":\"hi\"}]}]}",
	  "{\"candidates\":[],\"usageMetadata\":{\"promptTokenCount\":10000,"
	  "\"cachedContentTokenCount\":4000,\"candidatesTokenCount\":50,"
	  "\"thoughtsTokenCount\":150,\"totalTokenCount\":10200},"
	  "\"modelVersion\":\"gemini-3-flash-preview\"}",
	  PICO(0.0038), "gemini-3-flash-preview" },
	/* Gemini's long-context tier: a prompt of more than 200,000 tokens
	 * at $4 / $18; of exactly 200,000 at $2 / $12. */
	{ "gemini", "/v1beta/models/gemini-3.1-pro-preview:generateContent",
	  "{\"contents\":[{\"role\":\"user\",\"parts\":[{\"text\":\"hi\"}]}]}",
	  "{\"candidates\":[],\"usageMetadata\":{\"promptTokenCount\":250000,"
	  "\"candidatesTokenCount\":10,\"totalTokenCount\":250010},"
	  "\"modelVersion\":\"gemini-3.1-pro-preview\"}",
	  PICO(1.00018), "gemini-3.1-pro-preview" },
	{ "gemini", "/v1beta/models/gemini-3.1-pro-preview:generateContent",
	  "{\"contents\":[{\"role\":\"user\",\"parts\":[{\"text\":\"hi\"}]}]}",
	  "{\"candidates\":[],\"usageMetadata\":{\"promptTokenCount\":200000,"
	  "\"candidatesTokenCount\":10,\"totalTokenCount\":200010},"
	  "\"modelVersion\":\"gemini-3.1-pro-preview\"}",
	  PICO(0.40012), "gemini-3.1-pro-preview" },
};

#define NCASES  (sizeof(CASES) / sizeof(CASES[0]))

static void
setup(void)
{
	tg_setup("price");
}

static void
put_exchange(struct cx_writer *w, uint64_t conn, double t,
    const struct tcase *c)
{
	static const char by[] = "{\"by\":\"upstream\",\"reason\":\"eof\"}";
	char head[512];

	snprintf(head, sizeof(head), "POST %s HTTP/1.1\r\nHost: 127.0.0.1\r\n"
	    "content-type: application/json\r\ncontent-length: %zu\r\n\r\n",
	    c->target, strlen(c->req));
	tg_req(w, conn, t, head);
	tg_req(w, conn, t + 0.1, c->req);
	snprintf(head, sizeof(head), "HTTP/1.1 200 OK\r\ncontent-type: "
	    "application/json\r\ncontent-length: %zu\r\n\r\n",
	    strlen(c->resp));
	tg_resp(w, conn, t + 1, head);
	tg_resp(w, conn, t + 2, c->resp);
	tg_put(w, CX_K_CLOSE, CX_SRC_RELAY, CX_DIR_REQ, conn, t + 3, by,
	    sizeof(by) - 1);
}

START_TEST(per_api)
{
	struct cx_writer *w = tg_create(tg_path);
	struct cx_analysis *an;
	const struct cx_analysis_result *res;

	for (size_t i = 0; i < NCASES; i++)
		put_exchange(w, i + 1, 10.0 * (double)i, &CASES[i]);
	cx_writer_close(w);
	an = tg_analyse(tg_path);
	res = cx_analysis_result(an);
	ck_assert_uint_eq(res->nex, NCASES);
	for (size_t i = 0; i < NCASES; i++) {
		const struct tcase *c = &CASES[i];
		struct cx_turn *t = tg_turn_one(res->ex[i], tg_api(c->api));
		struct cx_cost cost;
		const struct cx_price *p;

		cx_cost_init(&cost);
		p = cx_cost_of_turn(&cost, NULL, t);
		if (c->pico == -2) {
			ck_assert_msg(p == NULL && cost.priced == 0 &&
			    cost.noprice == 0, "case %zu: priced", i);
		} else if (c->pico == -1) {
			ck_assert_msg(p == NULL && cost.noprice == 1 &&
			    cost.priced == 0, "case %zu: has a price", i);
		} else {
			ck_assert_msg(p != NULL, "case %zu: no price", i);
			ck_assert_str_eq(p->model, c->priced_as);
			ck_assert_msg(cost.pico == c->pico, "case %zu: %" PRId64
			    " pico$, not %" PRId64, i, cost.pico, c->pico);
			ck_assert_uint_eq(cost.priced, 1);
			ck_assert_uint_eq(cost.partial, 0);
		}
		tg_turn_free(t);
	}
	cx_analysis_free(an);
}
END_TEST

/* The arithmetic alone: fallbacks, parts larger than their whole, unknown
 * counts, saturation. */
START_TEST(arithmetic)
{
	const struct cx_price p = { "x", "m", 0, 1000000, -1, -1, -1,
	    2000000, -1, "", "" };
	const struct cx_price q = { "x", "m", 0, 1000000, 100000, 1250000,
	    -1, 2000000, 3000000, "", "" };
	struct cx_usage u;
	struct cx_cost c;

	cx_usage_init(&u);
	u.input = 100;
	u.cached = 40;
	u.cache_write = 10;
	u.cache_write_1h = 5;
	u.output = 20;
	u.reasoning = 5;
	/* No separate prices: all input at $1, all output at $2. */
	ck_assert_int_eq(cx_price_apply(&p, &u), 100 * 1000000 + 20 * 2000000);
	/* 50 fresh x 1 + 40 x 0.1 + 10 writes x 1.25 (1 h falls back to
	 * write) + 15 x 2 + 5 reasoning x 3 */
	ck_assert_int_eq(cx_price_apply(&q, &u), 50 * 1000000 + 40 * 100000 +
	    10 * 1250000 + 15 * 2000000 + 5 * 3000000);
	/* Parts larger than the whole: clipped, never billed twice. */
	u.cached = 500;
	u.reasoning = 50;
	ck_assert_int_eq(cx_price_apply(&q, &u), 100 * 100000 +
	    20 * 3000000);
	/* Saturation. */
	u.input = CX_COUNT_MAX;
	u.cached = u.cache_write = u.cache_write_1h = u.reasoning = -1;
	ck_assert_int_eq(cx_price_apply(&p, &u), INT64_MAX);
	/* Output unknown: a lower bound. */
	cx_usage_init(&u);
	u.input = 1000;
	cx_cost_init(&c);
	ck_assert_ptr_nonnull(cx_cost_turn(&c, NULL, "chat", "gpt-4o-mini",
	    &u));
	ck_assert_uint_eq(c.partial, 1);
	ck_assert_int_eq(c.pico, 1000 * 150000);
}
END_TEST

START_TEST(lookup)
{
	const struct cx_price *p;

	ck_assert_str_eq(cx_price_family("responses"), "openai");
	ck_assert_str_eq(cx_price_family("chat"), "openai");
	ck_assert_str_eq(cx_price_family("anthropic"), "anthropic");
	p = cx_price_find(NULL, "anthropic", "claude-opus-5-5-20260922", 10);
	ck_assert_ptr_nonnull(p);
	ck_assert_str_eq(p->model, "claude-opus-5-5");
	ck_assert_ptr_nonnull(cx_price_find(NULL, "gemini",
	    "models/gemini-3-flash-preview", 10));
	/* The family counts: an OpenAI model asked of another API, a
	 * prefix, a different suffix: no price. */
	ck_assert_ptr_null(cx_price_find(NULL, "anthropic", "gpt-5.2", 10));
	ck_assert_str_eq(cx_price_find(NULL, "responses", "gpt-5",
	    10)->model, "gpt-5");
	ck_assert_ptr_null(cx_price_find(NULL, "responses", "gpt-5.2-pro",
	    10));
	ck_assert_ptr_null(cx_price_find(NULL, "responses", "gpt", 10));
	ck_assert_ptr_null(cx_price_find(NULL, "responses", NULL, 10));
	ck_assert_ptr_null(cx_price_find(NULL, "responses", "gpt-5.2-2025",
	    10));
	/* Tiers: over the threshold only; unknown input takes the base. */
	p = cx_price_find(NULL, "responses", "gpt-5.4", 272001);
	ck_assert_int_eq(p->above, 272000);
	ck_assert_int_eq(cx_price_find(NULL, "responses", "gpt-5.4",
	    272000)->above, 0);
	ck_assert_int_eq(cx_price_find(NULL, "responses", "gpt-5.4",
	    -1)->above, 0);
	/* Every built-in row says where it came from and when. */
	for (size_t i = 0; i < cx_prices_builtin()->n; i++) {
		const struct cx_price *r = &cx_prices_builtin()->v[i];

		ck_assert_msg(strncmp(r->source, "https://", 8) == 0 &&
		    strlen(r->date) == 10 && r->input >= 0 && r->output >= 0,
		    "row %zu", i);
	}
}
END_TEST

START_TEST(money)
{
	static const struct {
		int64_t          pico;
		const char      *text;
	} rows[] = {
		{ 0, "$0.0000" },
		{ 1, "$0.000000" },
		{ 499999, "$0.000000" },
		{ 500000, "$0.000001" },
		{ PICO(0.0013685), "$0.001369" },
		{ PICO(0.009999), "$0.009999" },
		{ PICO(0.0099995), "$0.0100" },
		{ PICO(0.01), "$0.0100" },
		{ PICO(0.0123), "$0.0123" },
		{ PICO(0.01235), "$0.0124" },
		{ PICO(12.5), "$12.5000" },
		{ INT64_MAX, ">$9223372" },
	};
	char buf[64];
	struct cx_cost c;

	for (size_t i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
		cx_cost_money(buf, sizeof(buf), rows[i].pico);
		ck_assert_msg(strcmp(buf, rows[i].text) == 0, "%" PRId64
		    ": %s, not %s", rows[i].pico, buf, rows[i].text);
	}
	cx_cost_init(&c);
	cx_cost_text(buf, sizeof(buf), &c, 0);
	ck_assert_str_eq(buf, "?");
	c.noprice = 1;
	cx_cost_text(buf, sizeof(buf), &c, 0);
	ck_assert_str_eq(buf, "no price");
	c.priced = 2;
	c.pico = PICO(0.5);
	c.noprice = 2;
	cx_cost_text(buf, sizeof(buf), &c, 0);
	ck_assert_str_eq(buf, "$0.5000 + 2 turns with no price");
	c.noprice = 0;
	c.partial = 1;
	cx_cost_text(buf, sizeof(buf), &c, 0);
	ck_assert_str_eq(buf, ">=$0.5000");
	cx_cost_text(buf, sizeof(buf), &c, 1);
	ck_assert_str_eq(buf, "\xe2\x89\xa5$0.5000");
}
END_TEST

/* --- --prices files ------------------------------------------------------ */

static struct cx_prices *
parse(const char *s, char *err, size_t len)
{
	return cx_prices_parse(s, strlen(s), "p.json", err, len);
}

START_TEST(file_extends)
{
	char err[256] = "";
	struct cx_prices *p = parse("{\"prices\":[\n"
	    " {\"family\":\"openai\",\"model\":\"gpt-6.2-sol\",\"input\":2,"
	    "\"cached_input\":0.1,\"output\":10,\"date\":\"2026-12-01\","
	    "\"source\":\"https://example.invalid/p\"},\n"
	    " {\"family\":\"gemini\",\"model\":\"gemini-3.1-pro-preview\","
	    "\"input\":1.5,\"output\":9}\n]}\n", err, sizeof(err));
	const struct cx_price *r;

	ck_assert_msg(p != NULL, "%s", err);
	r = cx_price_find(p, "responses", "gpt-6.2-sol", 10);
	ck_assert_ptr_nonnull(r);
	ck_assert_int_eq(r->input, 2000000);
	ck_assert_int_eq(r->cached, 100000);
	ck_assert_int_eq(r->write, -1);
	ck_assert_str_eq(r->date, "2026-12-01");
	/* The built-in rows stay ... */
	ck_assert_ptr_nonnull(cx_price_find(p, "anthropic", "claude-opus-5-5",
	    1));
	/* ... but a model the file names has the file's rows only: no long
	 * tier left from the built-in table. */
	r = cx_price_find(p, "gemini", "gemini-3.1-pro-preview", 300000);
	ck_assert_int_eq(r->above, 0);
	ck_assert_int_eq(r->input, 1500000);
	/* Without a table: the built-in one, which has no gpt-6.2-sol. */
	ck_assert_ptr_null(cx_price_find(NULL, "responses", "gpt-6.2-sol",
	    10));
	cx_prices_free(p);
}
END_TEST

START_TEST(file_replaces)
{
	char err[256] = "";
	struct cx_prices *p = parse("{\"replace\":true,\"prices\":[{\"family\":"
	    "\"anthropic\",\"model\":\"m\",\"input\":1,\"output\":2,"
	    "\"above\":1000,\"cache_write_1h\":null},{\"family\":"
	    "\"anthropic\",\"model\":\"m\",\"input\":0.5,\"output\":1}]}",
	    err, sizeof(err));

	ck_assert_msg(p != NULL, "%s", err);
	ck_assert_uint_eq(p->n, 2);
	ck_assert_ptr_null(cx_price_find(p, "anthropic", "claude-opus-5-5",
	    1));
	ck_assert_int_eq(cx_price_find(p, "anthropic", "m", 1000)->input,
	    500000);
	ck_assert_int_eq(cx_price_find(p, "anthropic", "m", 1001)->input,
	    1000000);
	cx_prices_free(p);
}
END_TEST

/* A file that does not parse, or says something wrong: one line naming
 * the place. */
START_TEST(file_bad)
{
	static const struct {
		const char      *text;
		const char      *err;
	} rows[] = {
		/* a missing comma: the place of the next member */
		{ "{\"prices\":[\n  {\"family\": \"openai\" \"model\": 1}\n]}",
		  "p.json:2:23: not JSON" },
		{ "{\"prices\": [{\"input\": 1.2.3}]}",
		  "p.json:1:26: not JSON" },
		{ "", "p.json:1:1: not JSON" },
		{ "{\"prices\":[]} x", "p.json:1:15: text after the JSON value" },
		{ "[]", "p.json: not a JSON object ({\"prices\": [...]})" },
		{ "{\"price\":[]}", "p.json: price: unknown key (\"prices\", "
		  "\"replace\")" },
		{ "{}", "p.json: prices: missing (an array of rows)" },
		/* an adapter's name priced under another family: never found */
		{ "{\"prices\":[{\"family\":\"responses\",\"model\":\"m\","
		  "\"input\":1,\"output\":2}]}", "p.json: prices[0].family: "
		  "priced as \"openai\" (the family of the responses and chat "
		  "APIs)" },
		{ "{\"prices\":{}}", "p.json: prices: not an array" },
		{ "{\"replace\":1,\"prices\":[]}",
		  "p.json: replace: not true or false" },
		{ "{\"prices\":[1]}", "p.json: prices[0]: not an object" },
		{ "{\"prices\":[{\"family\":\"a\",\"model\":\"b\",\"input\":1,"
		  "\"output\":1},{\"family\":\"a\",\"model\":\"c\",\"input\":"
		  "\"1\",\"output\":1}]}",
		  "p.json: prices[1].input: not a number ($ per million "
		  "tokens)" },
		{ "{\"prices\":[{\"family\":\"a\",\"model\":\"b\",\"output\":1}]}",
		  "p.json: prices[0].input: missing (a price in $ per million "
		  "tokens)" },
		{ "{\"prices\":[{\"model\":\"b\",\"input\":1,\"output\":1}]}",
		  "p.json: prices[0].family: missing (a string)" },
		{ "{\"prices\":[{\"family\":\"\",\"model\":\"b\",\"input\":1,"
		  "\"output\":1}]}",
		  "p.json: prices[0].family: not a non-empty string" },
		{ "{\"prices\":[{\"family\":\"a\",\"model\":\"b\",\"input\":-1,"
		  "\"output\":1}]}",
		  "p.json: prices[0].input: out of range (0 to 1000000 $ per "
		  "million tokens)" },
		{ "{\"prices\":[{\"family\":\"a\",\"model\":\"b\",\"input\":"
		  "0.0000001,\"output\":1}]}",
		  "p.json: prices[0].input: more than 6 decimals "
		  "(micro-dollars)" },
		{ "{\"prices\":[{\"family\":\"a\",\"model\":\"b\",\"input\":1,"
		  "\"output\":1,\"outptu\":2}]}",
		  "p.json: prices[0].outptu: unknown key" },
		/* what the file says is shown on one line */
		{ "{\"prices\":[{\"family\":\"a\",\"model\":\"b\",\"input\":1,"
		  "\"output\":1,\"ou\\ntput\":2}]}",
		  "p.json: prices[0].ou?tput: unknown key" },
		{ "{\"prices\":[{\"family\":\"a\",\"model\":\"b\",\"input\":1,"
		  "\"output\":1,\"above\":1.5}]}",
		  "p.json: prices[0].above: not a whole number of tokens" },
		{ "{\"prices\":[{\"family\":\"a\",\"model\":\"b\",\"input\":1,"
		  "\"output\":1,\"above\":100}]}",
		  "p.json: prices[0].above: a tier of a model with no base row "
		  "(above 0)" },
		{ "{\"prices\":[{\"family\":\"a\",\"model\":\"b\",\"input\":1,"
		  "\"output\":1},{\"family\":\"a\",\"model\":\"b\",\"input\":2,"
		  "\"output\":1}]}",
		  "p.json: prices[1]: the same family, model and above as "
		  "prices[0]" },
	};
	char err[256];

	for (size_t i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
		struct cx_prices *p;

		err[0] = '\0';
		p = parse(rows[i].text, err, sizeof(err));
		ck_assert_msg(p == NULL, "row %zu parsed", i);
		ck_assert_msg(strcmp(err, rows[i].err) == 0, "row %zu: \"%s\", "
		    "not \"%s\"", i, err, rows[i].err);
	}
	/* A file that is not there, or not text. */
	ck_assert_ptr_null(cx_prices_load("/nonexistent/p.json", err,
	    sizeof(err)));
	ck_assert_str_eq(err, "/nonexistent/p.json: No such file or "
	    "directory");
}
END_TEST

static Suite *
suite(void)
{
	Suite *s = suite_create("price");
	TCase *tc = tcase_create("price");

	tcase_add_checked_fixture(tc, setup, tg_teardown);
	tcase_add_test(tc, per_api);
	tcase_add_test(tc, arithmetic);
	tcase_add_test(tc, lookup);
	tcase_add_test(tc, money);
	tcase_add_test(tc, file_extends);
	tcase_add_test(tc, file_replaces);
	tcase_add_test(tc, file_bad);
	suite_add_tcase(s, tc);
	return s;
}

int
main(void)
{
	SRunner *sr = srunner_create(suite());
	int failed;

	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : 0;
}
