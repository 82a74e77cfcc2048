/*
 * test_conv.c: the conversation model (analyzer/conv.c): the adapters'
 * table and who claims what, turns built, moved and freed, items and
 * notes, the JSON helpers adapters read requests with, roles, bodies kept
 * raw, the usage arithmetic.  Each adapter's own tests: test_conv_*.c.
 */
#include <check.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cJSON.h>

#include "bytebuf.h"
#include "conv.h"
#include "exchange.h"
#include "tracegen.h"

START_TEST(table)
{
	static const char *const want[] = { "responses", "chat", "anthropic",
	    "gemini" };
	struct cx_exchange ex;
	size_t n = 0;

	for (; cx_api_table[n] != NULL; n++) {
		ck_assert_ptr_nonnull(cx_api_table[n]->title);
		ck_assert_ptr_nonnull(cx_api_table[n]->claims);
		ck_assert_ptr_nonnull(cx_api_table[n]->turns);
	}
	ck_assert_uint_eq(n, sizeof(want) / sizeof(want[0]));
	for (size_t i = 0; i < n; i++)
		ck_assert_ptr_eq(tg_api(want[i]), tg_api(want[i]));
	/* No request: nobody's. */
	memset(&ex, 0, sizeof(ex));
	ck_assert_ptr_null(cx_api_of(&ex));
	ck_assert_ptr_null(cx_api_of(NULL));
	ck_assert_uint_eq(cx_conv_turns(&ex, tg_turns_take, NULL), 0);
}
END_TEST

/* Exchanges of a decoded trace: model calls claimed, the rest not. */
START_TEST(claims)
{
	struct cx_analysis *a = cx_analysis_new(&tg_info);
	const struct cx_analysis_result *r;
	struct tg_turns l = { 0 };
	const char *body = "{\"model\":\"m\",\"input\":\"hi\"}";
	char head[256];

	snprintf(head, sizeof(head), "POST /v1/responses HTTP/1.1\r\nHost: h\r\n"
	    "Content-Type: application/json\r\nContent-Length: %zu\r\n\r\n%s",
	    strlen(body), body);
	tg_feed(a, CX_DIR_REQ, 1, 0, head);
	tg_feed(a, CX_DIR_RESP, 1, 5, "HTTP/1.1 200 OK\r\nContent-Type: "
	    "application/json\r\nContent-Length: 2\r\n\r\n{}");
	tg_feed(a, CX_DIR_REQ, 2, 10, "GET /v1/models HTTP/1.1\r\nHost: h\r\n\r\n");
	tg_feed(a, CX_DIR_RESP, 2, 11, "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n"
	    "\r\n{}");
	cx_analysis_finish(a);
	r = cx_analysis_result(a);
	ck_assert_uint_eq(r->nex, 2);
	ck_assert_ptr_eq(cx_api_of(r->ex[0]), tg_api("responses"));
	ck_assert_ptr_null(cx_api_of(r->ex[1]));
	ck_assert_uint_eq(tg_turns_of(a, NULL, &l), 1);
	ck_assert_uint_eq(l.n, 1);
	ck_assert_str_eq(l.v[0]->api, "responses");
	ck_assert_ptr_eq(l.v[0]->ex, r->ex[0]);
	ck_assert_str_eq(l.v[0]->model, "m");
	tg_turns_free(&l);
	cx_analysis_free(a);
}
END_TEST

START_TEST(turns_and_items)
{
	struct cx_turn t, *h;
	struct cx_item *it;

	cx_turn_init(&t, NULL, "chat");
	ck_assert_str_eq(t.api, "chat");
	ck_assert_int_eq(t.usage.input, -1);
	ck_assert_int_eq(t.usage.api_total, -1);
	ck_assert_int_eq(cx_usage_total(&t.usage), -1);
	it = cx_items_add(&t.input, CX_ITEM_TEXT, CX_ROLE_USER, "hello there",
	    5);
	ck_assert_str_eq(it->text, "hello");
	ck_assert_uint_eq(it->len, 5);
	cx_item_set(&it->name, "n");
	cx_item_set(&it->name, "renamed");
	ck_assert_str_eq(it->name, "renamed");
	cx_item_set(&it->id, NULL);
	ck_assert_ptr_null(it->id);
	it = cx_items_add(&t.output, CX_ITEM_TOOL_CALL, CX_ROLE_ASSISTANT,
	    NULL, 99);
	ck_assert_str_eq(it->text, "");
	ck_assert_uint_eq(it->len, 0);
	/* Many: the array grows, earlier items kept. */
	for (int i = 0; i < 100; i++)
		cx_items_add(&t.input, CX_ITEM_TEXT, CX_ROLE_USER, "x", 1);
	ck_assert_uint_eq(t.input.n, 101);
	ck_assert_str_eq(t.input.v[0].text, "hello");
	cx_turn_note(&t, "first %d", 1);
	cx_turn_note(&t, "second");
	ck_assert_str_eq(t.note, "first 1; second");
	cx_turn_tool(&t, "shell", "runs a command", "{\"type\":\"object\"}");
	cx_turn_tool(&t, NULL, NULL, NULL);
	ck_assert_uint_eq(t.ntools, 2);
	ck_assert_str_eq(t.tools[1].name, "");
	ck_assert_ptr_null(t.tools[1].description);
	ck_assert(tg_has_tool(&t, "shell"));
	/* Taken: the heap turn has it all, t is empty. */
	h = cx_turn_take(&t);
	ck_assert_uint_eq(t.input.n, 0);
	ck_assert_ptr_null(t.note);
	ck_assert_uint_eq(h->input.n, 101);
	ck_assert_str_eq(h->note, "first 1; second");
	cx_turn_free(&t);
	cx_turn_free(h);
	free(h);
	cx_turn_free(NULL);
}
END_TEST

START_TEST(json_helpers)
{
	cJSON *o = cx_conv_json("{\"s\":\"v\",\"a\":[1,2],\"n\":42,\"neg\":-1,"
	    "\"big\":1e18,\"o\":{\"k\":null}}  \r\n", 65);
	char *s;

	ck_assert_ptr_nonnull(o);
	ck_assert_str_eq(cx_jstr(o, "s"), "v");
	ck_assert_ptr_null(cx_jstr(o, "a"));
	ck_assert_ptr_null(cx_jstr(o, "missing"));
	ck_assert_ptr_nonnull(cx_jarr(o, "a"));
	ck_assert_ptr_null(cx_jarr(o, "s"));
	ck_assert_int_eq(cx_jcount(o, "n"), 42);
	ck_assert_int_eq(cx_jcount(o, "neg"), -1);
	ck_assert_int_eq(cx_jcount(o, "big"), -1);    /* over CX_COUNT_MAX */
	ck_assert_int_eq(cx_jcount(o, "s"), -1);
	ck_assert_ptr_null(cx_jget(cx_jarr(o, "a"), "k"));   /* not an object */
	ck_assert_ptr_null(cx_jget(NULL, "k"));
	s = cx_jtext(cx_jget(o, "o"));
	ck_assert_str_eq(s, "{\"k\":null}");
	free(s);
	s = cx_jtext(NULL);
	ck_assert_str_eq(s, "null");
	free(s);
	cJSON_Delete(o);
	/* One value and only whitespace after it. */
	ck_assert_ptr_null(cx_conv_json("502 Bad Gateway", 15));
	ck_assert_ptr_null(cx_conv_json("{} {}", 5));
	ck_assert_ptr_null(cx_conv_json("", 0));
	o = cx_conv_json("[1]xyz", 3);
	ck_assert_ptr_nonnull(o);
	cJSON_Delete(o);
}
END_TEST

START_TEST(roles)
{
	ck_assert_int_eq(cx_role_of("user", CX_ROLE_NONE), CX_ROLE_USER);
	ck_assert_int_eq(cx_role_of("assistant", CX_ROLE_NONE),
	    CX_ROLE_ASSISTANT);
	ck_assert_int_eq(cx_role_of("system", CX_ROLE_NONE), CX_ROLE_SYSTEM);
	ck_assert_int_eq(cx_role_of("developer", CX_ROLE_NONE),
	    CX_ROLE_DEVELOPER);
	ck_assert_int_eq(cx_role_of("tool", CX_ROLE_NONE), CX_ROLE_TOOL);
	ck_assert_int_eq(cx_role_of("function", CX_ROLE_NONE), CX_ROLE_TOOL);
	ck_assert_int_eq(cx_role_of("model", CX_ROLE_ASSISTANT),
	    CX_ROLE_ASSISTANT);
	ck_assert_int_eq(cx_role_of("User", CX_ROLE_NONE), CX_ROLE_NONE);
	ck_assert_int_eq(cx_role_of(NULL, CX_ROLE_USER), CX_ROLE_USER);
}
END_TEST

/* Kept raw: JSON as its text, a body as its bytes, with the note why. */
START_TEST(raw_items)
{
	struct cx_items l = { 0 };
	cJSON *v = cJSON_Parse("{\"type\":\"new_kind\",\"x\":1}");
	char ctn[] = "Content-Type", ct[] = "text/plain";
	struct cx_field fl = { ctn, ct };
	struct cx_msg m;
	const char *why = "?";
	struct cx_item *it;
	cJSON *j;

	it = cx_items_add_raw(&l, CX_ROLE_ASSISTANT, v, "an item of a kind "
	    "not known");
	ck_assert_int_eq(it->kind, CX_ITEM_OTHER);
	ck_assert_str_eq(it->text, "{\"type\":\"new_kind\",\"x\":1}");
	ck_assert_str_eq(it->note, "an item of a kind not known");
	it = cx_items_add_json(&l, CX_ITEM_TOOL_CALL, CX_ROLE_ASSISTANT,
	    cJSON_GetObjectItem(v, "x"));
	ck_assert_str_eq(it->text, "1");
	ck_assert_ptr_null(it->note);
	cJSON_Delete(v);

	memset(&m, 0, sizeof(m));
	m.fields.v = &fl;
	m.fields.n = 1;
	cx_buf_init(&m.body, 0);
	cx_buf_adds(&m.body, "upstream said no");
	m.body_bytes = m.body.len;
	cx_items_add_body(&l, CX_ROLE_ASSISTANT, &m, NULL);
	ck_assert_str_eq(l.v[2].text, "upstream said no");
	ck_assert_str_eq(l.v[2].note, "the body is not JSON");
	ck_assert_ptr_null(cx_conv_body_json(&m, &why));
	ck_assert_str_eq(why, "the body is not JSON");
	cx_buf_reset(&m.body);
	cx_buf_adds(&m.body, "{\"ok\":true}");
	j = cx_conv_body_json(&m, &why);
	ck_assert_ptr_nonnull(j);
	ck_assert_ptr_null(why);
	cJSON_Delete(j);
	cx_buf_reset(&m.body);
	ck_assert_ptr_null(cx_conv_body_json(&m, &why));
	ck_assert_str_eq(why, "no body");
	cx_buf_free(&m.body);
	ck_assert_uint_eq(l.n, 3);
	cx_items_free(&l);
	ck_assert_uint_eq(l.n, 0);
	ck_assert_ptr_null(l.v);
}
END_TEST

/* The usage arithmetic: counts from any JSON number without undefined
 * conversions, sums that saturate, unknown never taken for 0. */
static int64_t
count_of(const char *json)
{
	cJSON *v = cJSON_Parse(json);
	int64_t n = cx_conv_count(v);

	cJSON_Delete(v);
	return n;
}

START_TEST(counts)
{
	ck_assert_int_eq(count_of("0"), 0);
	ck_assert_int_eq(count_of("1234"), 1234);
	ck_assert_int_eq(count_of("1e15"), CX_COUNT_MAX);
	ck_assert_int_eq(count_of("1.0000001e15"), -1);
	ck_assert_int_eq(count_of("9e18"), -1);
	ck_assert_int_eq(count_of("1e300"), -1);
	ck_assert_int_eq(count_of("-1"), -1);
	ck_assert_int_eq(count_of("\"12\""), -1);
	ck_assert_int_eq(count_of("null"), -1);
	ck_assert_int_eq(cx_conv_count(NULL), -1);
	{
		cJSON *v = cJSON_Parse("1e300");

		ck_assert_int_eq(cx_conv_index(v), -1);
		cJSON_Delete(v);
		v = cJSON_Parse("3");
		ck_assert_int_eq(cx_conv_index(v), 3);
		cJSON_Delete(v);
	}
}
END_TEST

START_TEST(sums)
{
	struct cx_usage a, b;

	cx_usage_init(&a);
	ck_assert_int_eq(cx_usage_total(&a), -1);
	cx_usage_init(&b);
	b.output = 5;
	cx_usage_add(&a, &b);
	ck_assert_int_eq(a.output, 5);
	ck_assert_int_eq(a.input, -1);          /* unknown stays unknown */
	ck_assert_int_eq(cx_usage_total(&a), 5);
	b.input = CX_COUNT_MAX;
	b.output = CX_COUNT_MAX;
	for (int i = 0; i < 20000; i++)
		cx_usage_add(&a, &b);
	ck_assert(a.input > 0 && a.output > 0);
	ck_assert(cx_usage_total(&a) > 0);      /* saturated, not wrapped */
	ck_assert_int_eq(cx_usage_total(&a), INT64_MAX);
}
END_TEST

int
main(void)
{
	Suite *s = suite_create("conv");
	TCase *tc = tcase_create("conv");
	SRunner *sr;
	int failed;

	tcase_add_test(tc, table);
	tcase_add_test(tc, claims);
	tcase_add_test(tc, turns_and_items);
	tcase_add_test(tc, json_helpers);
	tcase_add_test(tc, roles);
	tcase_add_test(tc, raw_items);
	tcase_add_test(tc, counts);
	tcase_add_test(tc, sums);
	suite_add_tcase(s, tc);
	sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
