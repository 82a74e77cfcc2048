/*
 * test_conv_session.c: sessions and new input (conv_session.c): on the
 * recorded codex traces (tests/data/conv/README) and on hand-made turns:
 * sessions by key, else by process and API; an item is fresh unless the
 * session's previous turn had it (in its input or output), matched by id
 * or by content, each at most once.
 */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "conv.h"
#include "tracegen.h"

static size_t
fresh(const struct cx_turn *t)
{
	size_t n = 0;

	for (size_t i = 0; i < t->input.n; i++)
		n += t->input.v[i].fresh != 0;
	return n;
}

START_TEST(codex098)
{
	struct cx_sessions *s = cx_sessions_new();
	struct cx_analysis *a;
	struct tg_turns ct = { 0 };
	int is_new;

	a = tg_analyse("tests/data/conv/codex098-http.bin.gz");
	tg_turns_of(a, NULL, &ct);
	ck_assert_uint_eq(cx_sessions_turn(s, ct.v[0], &is_new), 1);
	ck_assert_int_eq(is_new, 1);
	ck_assert_uint_eq(fresh(ct.v[0]), ct.v[0]->input.n);
	ck_assert_uint_eq(cx_sessions_turn(s, ct.v[1], &is_new), 1);
	ck_assert_int_eq(is_new, 0);
	/* the history and turn 1's output resent: only the tool's output */
	ck_assert_uint_eq(fresh(ct.v[1]), 1);
	for (size_t i = 0; i < ct.v[1]->input.n; i++)
		if (ct.v[1]->input.v[i].fresh)
			ck_assert_int_eq(ct.v[1]->input.v[i].kind,
			    CX_ITEM_TOOL_RESULT);
	tg_turns_free(&ct);
	cx_analysis_free(a);
	cx_sessions_free(s);
}
END_TEST

START_TEST(codex171)
{
	struct cx_sessions *s = cx_sessions_new();
	struct cx_analysis *a;
	struct tg_turns ct = { 0 };
	int is_new;

	a = tg_analyse("tests/data/conv/codex171-ws.bin.gz");
	tg_turns_of(a, NULL, &ct);
	ck_assert_uint_eq(ct.n, 3);
	for (size_t i = 0; i < 3; i++) {
		ck_assert_uint_eq(cx_sessions_turn(s, ct.v[i], &is_new),
		    1);
		ck_assert_int_eq(is_new, i == 0);
		/* previous_response_id: each sends only what is new */
		ck_assert_uint_eq(fresh(ct.v[i]), ct.v[i]->input.n);
	}
	tg_turns_free(&ct);
	cx_analysis_free(a);
	cx_sessions_free(s);
}
END_TEST

/* --- hand-made turns ----------------------------------------------------- */

static struct cx_exchange ex_a = { .pid = 10 }, ex_b = { .pid = 20 };

static void
turn(struct cx_turn *t, const struct cx_exchange *ex, const char *api,
    const char *session)
{
	cx_turn_init(t, ex, api);
	cx_item_set(&t->session, session);
}

static struct cx_item *
add(struct cx_items *l, enum cx_item_kind k, enum cx_role r, const char *text)
{
	return cx_items_add(l, k, r, text, strlen(text));
}

START_TEST(by_key_and_process)
{
	struct cx_sessions *s = cx_sessions_new();
	struct cx_turn t;
	int is_new;

	turn(&t, &ex_a, "responses", "k1");
	ck_assert_uint_eq(cx_sessions_turn(s, &t, &is_new), 1);
	ck_assert_int_eq(is_new, 1);
	cx_turn_free(&t);
	turn(&t, &ex_a, "responses", "k2");
	ck_assert_uint_eq(cx_sessions_turn(s, &t, &is_new), 2);
	ck_assert_int_eq(is_new, 1);
	cx_turn_free(&t);
	/* no key: by process and API */
	turn(&t, &ex_a, "responses", NULL);
	ck_assert_uint_eq(cx_sessions_turn(s, &t, &is_new), 3);
	cx_turn_free(&t);
	turn(&t, &ex_b, "responses", NULL);
	ck_assert_uint_eq(cx_sessions_turn(s, &t, &is_new), 4);
	cx_turn_free(&t);
	turn(&t, &ex_a, "anthropic", NULL);
	ck_assert_uint_eq(cx_sessions_turn(s, &t, &is_new), 5);
	cx_turn_free(&t);
	turn(&t, &ex_b, "responses", NULL);
	ck_assert_uint_eq(cx_sessions_turn(s, &t, &is_new), 4);
	ck_assert_int_eq(is_new, 0);
	cx_turn_free(&t);
	turn(&t, &ex_b, "responses", "k1");
	ck_assert_uint_eq(cx_sessions_turn(s, &t, &is_new), 1);
	ck_assert_int_eq(is_new, 0);
	cx_turn_free(&t);
	/* many sessions: the table grows */
	for (int i = 0; i < 300; i++) {
		char k[32];

		snprintf(k, sizeof(k), "s%d", i);
		turn(&t, &ex_a, "responses", k);
		ck_assert_uint_eq(cx_sessions_turn(s, &t, &is_new),
		    (size_t)(6 + i));
		cx_turn_free(&t);
	}
	turn(&t, &ex_a, "responses", "s7");
	ck_assert_uint_eq(cx_sessions_turn(s, &t, &is_new), 13);
	cx_turn_free(&t);
	cx_sessions_free(s);
	cx_sessions_free(NULL);
}
END_TEST

START_TEST(fresh_items)
{
	struct cx_sessions *s = cx_sessions_new();
	struct cx_turn t;
	struct cx_item *it;
	int is_new;

	/* turn 1: u1; answers a1 and a call with an id */
	turn(&t, &ex_a, "chat", NULL);
	add(&t.input, CX_ITEM_TEXT, CX_ROLE_USER, "u1");
	add(&t.output, CX_ITEM_TEXT, CX_ROLE_ASSISTANT, "a1");
	it = add(&t.output, CX_ITEM_TOOL_CALL, CX_ROLE_ASSISTANT, "{}");
	cx_item_set(&it->id, "fc_1");
	cx_item_set(&it->call_id, "c1");
	cx_item_set(&it->name, "ls");
	cx_sessions_turn(s, &t, &is_new);
	ck_assert_int_eq(t.input.v[0].fresh, 1);
	cx_turn_free(&t);
	/* turn 2: all of it back, u1 twice, the call by id with other
	 * arguments, its result, a new question */
	turn(&t, &ex_a, "chat", NULL);
	add(&t.input, CX_ITEM_TEXT, CX_ROLE_USER, "u1");
	add(&t.input, CX_ITEM_TEXT, CX_ROLE_ASSISTANT, "a1");
	it = add(&t.input, CX_ITEM_TOOL_CALL, CX_ROLE_ASSISTANT, "{ }");
	cx_item_set(&it->id, "fc_1");
	it = add(&t.input, CX_ITEM_TOOL_RESULT, CX_ROLE_TOOL, "a b");
	cx_item_set(&it->call_id, "c1");
	add(&t.input, CX_ITEM_TEXT, CX_ROLE_USER, "u1");
	add(&t.input, CX_ITEM_TEXT, CX_ROLE_ASSISTANT, "u1"); /* other role */
	cx_sessions_turn(s, &t, &is_new);
	ck_assert_int_eq(is_new, 0);
	ck_assert_int_eq(t.input.v[0].fresh, 0);
	ck_assert_int_eq(t.input.v[1].fresh, 0);
	ck_assert_int_eq(t.input.v[2].fresh, 0);        /* by its id */
	ck_assert_int_eq(t.input.v[3].fresh, 1);
	ck_assert_int_eq(t.input.v[4].fresh, 1);        /* matched once */
	ck_assert_int_eq(t.input.v[5].fresh, 1);
	cx_turn_free(&t);
	/* turn 3: only the previous turn is remembered */
	turn(&t, &ex_a, "chat", NULL);
	add(&t.input, CX_ITEM_TEXT, CX_ROLE_ASSISTANT, "a1");
	it = add(&t.input, CX_ITEM_TOOL_RESULT, CX_ROLE_TOOL, "a b");
	cx_item_set(&it->call_id, "c1");
	cx_item_set(&it->name, "ls");   /* a name does not make it new */
	cx_sessions_turn(s, &t, &is_new);
	ck_assert_int_eq(t.input.v[0].fresh, 0);
	ck_assert_int_eq(t.input.v[1].fresh, 0);
	cx_turn_free(&t);
	/* turn 4: nothing of turn 2's only items is known */
	turn(&t, &ex_a, "chat", NULL);
	add(&t.input, CX_ITEM_TEXT, CX_ROLE_USER, "u1");
	cx_sessions_turn(s, &t, &is_new);
	ck_assert_int_eq(t.input.v[0].fresh, 1);
	cx_turn_free(&t);
	cx_sessions_free(s);
}
END_TEST

static Suite *
suite(void)
{
	Suite *s = suite_create("conv_session");
	TCase *tc = tcase_create("session");

	tcase_set_timeout(tc, 30);
	tcase_add_test(tc, codex098);
	tcase_add_test(tc, codex171);
	tcase_add_test(tc, by_key_and_process);
	tcase_add_test(tc, fresh_items);
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
	return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
