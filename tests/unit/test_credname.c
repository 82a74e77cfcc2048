/*
 * test_credname.c: the names credentials travel under (common/credname.c):
 * the built-in base, names added at run time (any case, tokens only, each
 * kind bounded), agent modules' lists, and the run note's JSON of them.
 */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "credname.h"
#include "jsonobj.h"

/* The names as the run note carries them, into buf. */
static const char *
names_json(const struct cx_credname *set, char *buf, size_t cap, int *cut)
{
	struct cx_jobj j;

	cx_jobj_begin(&j, buf, cap);
	cx_credname_jobj(set, &j, "c");
	cx_jobj_end(&j);
	if (cut != NULL)
		*cut = j.cut;
	return buf;
}

/* The base: every name credname.h lists, in any case; near misses not. */
START_TEST(base)
{
	static const char *const hs[] = { "authorization",
	    "proxy-authorization", "cookie", "set-cookie", "x-api-key",
	    "api-key", "openai-api-key", "chatgpt-account-id", "x-goog-api-key",
	    NULL };
	static const char *const qs[] = { "key", "api_key", "apikey",
	    "access_token", "refresh_token", "id_token", "client_secret",
	    "password", "secret", "token", NULL };
	struct cx_credname set;
	char up[64];

	cx_credname_init(&set);
	ck_assert_int_eq(set.nheader, 0);
	ck_assert_int_eq(set.nquery, 0);
	for (size_t i = 0; hs[i] != NULL; i++) {
		ck_assert_msg(cx_credname_is_header(NULL, hs[i], strlen(hs[i])),
		    "%s", hs[i]);
		ck_assert(cx_credname_is_header(&set, hs[i], strlen(hs[i])));
		for (size_t j = 0; hs[i][j] != '\0'; j++)
			up[j] = (char)(hs[i][j] >= 'a' && hs[i][j] <= 'z' ?
			    hs[i][j] - 32 : hs[i][j]);
		up[strlen(hs[i])] = '\0';
		ck_assert_msg(cx_credname_is_header(NULL, up, strlen(up)), "%s",
		    up);
		/* a header name is not a query name, and the other way */
		ck_assert(!cx_credname_is_query(NULL, hs[i], strlen(hs[i])) ||
		    strcmp(hs[i], "key") == 0);
	}
	for (size_t i = 0; qs[i] != NULL; i++) {
		ck_assert_msg(cx_credname_is_query(NULL, qs[i], strlen(qs[i])),
		    "%s", qs[i]);
		ck_assert(!cx_credname_is_header(NULL, qs[i], strlen(qs[i])));
	}
	/* Only n bytes of the name count: a prefix is not the name. */
	ck_assert(cx_credname_is_header(NULL, "cookie: x", 6));
	ck_assert(!cx_credname_is_header(NULL, "cookie", 5));
	ck_assert(!cx_credname_is_header(NULL, "cookies", 7));
	ck_assert(!cx_credname_is_query(NULL, "keys", 4));
	ck_assert(!cx_credname_is_query(NULL, "monkey", 6));
	ck_assert(!cx_credname_is_header(NULL, "", 0));
	ck_assert(!cx_credname_is_header(NULL, "x-goog-api-client", 17));
}
END_TEST

START_TEST(sets)
{
	struct cx_credname set;
	char json[256];

	cx_credname_init(&set);
	ck_assert_int_eq(cx_credname_is_header(&set, "x-goog-api-key", 14), 1);
	ck_assert_int_eq(cx_credname_is_header(NULL, "Cookie", 6), 1);
	ck_assert_int_eq(cx_credname_is_header(&set, "x-agent-token", 13), 0);
	ck_assert_int_eq(cx_credname_add_header(&set, "X-Agent-Token"), 0);
	ck_assert_int_eq(cx_credname_add_header(&set, "x-agent-token"), 0);
	ck_assert_int_eq(cx_credname_add_header(&set, "cookie"), 0);
	ck_assert_int_eq(set.nheader, 1);
	ck_assert_int_eq(cx_credname_add_header(&set, "bad name"), -1);
	ck_assert_int_eq(cx_credname_add_header(&set, ""), -1);
	ck_assert_int_eq(cx_credname_add_header(&set, NULL), -1);
	ck_assert_int_eq(cx_credname_add_header(&set,
	    "x-0123456789-0123456789-0123456789"), -1);
	ck_assert_int_eq(cx_credname_add_query(&set, "sig.v2"), 0);
	ck_assert_int_eq(cx_credname_add_query(&set, "a=b"), -1);
	ck_assert_int_eq(cx_credname_is_header(&set, "X-AGENT-TOKEN", 13), 1);
	ck_assert_int_eq(cx_credname_is_query(&set, "SIG.v2", 6), 1);
	ck_assert_str_eq(names_json(&set, json, sizeof(json), NULL), "{\"c\":"
	    "{\"headers\":[\"X-Agent-Token\"],\"query\":[\"sig.v2\"]}}");
	ck_assert_str_eq(names_json(NULL, json, sizeof(json), NULL),
	    "{\"c\":{\"headers\":[],\"query\":[]}}");
}
END_TEST

/* Bounded: CX_CREDNAME_MAX of each kind. */
START_TEST(bounded)
{
	struct cx_credname full;
	const char *const hs[] = { "x-a", "x-b", NULL };
	const char *const qs[] = { "qa", NULL };
	char nm[16];

	cx_credname_init(&full);
	ck_assert_int_eq(cx_credname_add_lists(&full, hs, qs), 0);
	ck_assert_int_eq(cx_credname_add_lists(&full, NULL, NULL), 0);
	for (int i = 0; i < CX_CREDNAME_MAX + 5; i++) {
		snprintf(nm, sizeof(nm), "x-n%d", i);
		cx_credname_add_header(&full, nm);
	}
	ck_assert_int_eq(full.nheader, CX_CREDNAME_MAX);
	ck_assert_int_eq(cx_credname_add_header(&full, "x-more"), -1);
	ck_assert_int_eq(cx_credname_add_header(&full, "x-a"), 0);
	ck_assert_int_eq(cx_credname_is_query(&full, "qa", 2), 1);
	/* Full of the longest names: the JSON still fits. */
	for (int i = 0; i < CX_CREDNAME_MAX; i++) {
		snprintf(full.header[i], sizeof(full.header[i]),
		    "%0*d", CX_CREDNAME_LEN, i);
		snprintf(full.query[i], sizeof(full.query[i]),
		    "%0*d", CX_CREDNAME_LEN, i);
	}
	full.nquery = CX_CREDNAME_MAX;
	{
		char big[4 * CX_CREDNAME_MAX * (CX_CREDNAME_LEN + 4)];
		int cut;

		names_json(&full, big, sizeof(big), &cut);
		ck_assert_int_eq(cut, 0);
	}
}
END_TEST

/* Agent modules' lists: what is a token is added even when another is not. */
START_TEST(lists)
{
	struct cx_credname set;
	const char *const hs[] = { "x-ok", "not ok", "X-Also-Ok", NULL };
	const char *const qs[] = { "sig~1", "a.b", "no/slash", NULL };
	char json[256];

	cx_credname_init(&set);
	ck_assert_int_eq(cx_credname_add_lists(&set, hs, NULL), -1);
	ck_assert_int_eq(cx_credname_add_lists(&set, NULL, qs), -1);
	ck_assert_int_eq(set.nheader, 2);
	ck_assert_int_eq(set.nquery, 2);
	ck_assert(cx_credname_is_header(&set, "X-OK", 4));
	ck_assert(cx_credname_is_query(&set, "SIG~1", 5));
	/* '.' and '~' are a query name's, not a header name's. */
	ck_assert_int_eq(cx_credname_add_header(&set, "a.b"), -1);
	ck_assert_int_eq(cx_credname_add_header(&set, "x_under_score"), 0);
	/* CX_CREDNAME_LEN bytes fit, one more does not. */
	ck_assert_int_eq(cx_credname_add_query(&set,
	    "q1234567890123456789012345678901"), 0);
	ck_assert_int_eq(cx_credname_add_query(&set,
	    "q12345678901234567890123456789012"), -1);
	ck_assert_str_eq(names_json(&set, json, sizeof(json), NULL), "{\"c\":"
	    "{\"headers\":[\"x-ok\",\"X-Also-Ok\","
	    "\"x_under_score\"],\"query\":[\"sig~1\",\"a.b\","
	    "\"q1234567890123456789012345678901\"]}}");
}
END_TEST

int
main(void)
{
	Suite *s = suite_create("credname");
	TCase *tc = tcase_create("credname");
	SRunner *sr;
	int failed;

	tcase_add_test(tc, base);
	tcase_add_test(tc, sets);
	tcase_add_test(tc, bounded);
	tcase_add_test(tc, lists);
	suite_add_tcase(s, tc);
	sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
