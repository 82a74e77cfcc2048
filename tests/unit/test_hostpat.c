/* test_hostpat.c: host name patterns (common/hostpat.c). */
#include <check.h>
#include <stdlib.h>

#include "hostpat.h"

START_TEST(patterns)
{
	static const char *const l[] = { "api.openai.com", "*.chatgpt.com",
	    "*-aiplatform.googleapis.com", NULL };

	ck_assert(cx_hostpat_listed(l, "api.openai.com"));
	ck_assert(cx_hostpat_listed(l, "API.OpenAI.com"));
	ck_assert(!cx_hostpat_listed(l, "openai.com"));
	ck_assert(!cx_hostpat_listed(l, "xapi.openai.com"));
	ck_assert(cx_hostpat_listed(l, "ab.chatgpt.com"));
	ck_assert(cx_hostpat_listed(l, "a.b.chatgpt.com"));
	ck_assert(!cx_hostpat_listed(l, "chatgpt.com"));
	ck_assert(!cx_hostpat_listed(l, "evilchatgpt.com"));
	ck_assert(cx_hostpat_listed(l, "us-central1-aiplatform.googleapis.com"));
	ck_assert(!cx_hostpat_listed(l, "a.b-aiplatform.googleapis.com"));
	ck_assert(!cx_hostpat_listed(NULL, "api.openai.com"));
	ck_assert(!cx_hostpat_match("*.", 2, "x"));
	ck_assert(!cx_hostpat_match("", 0, "x"));
}
END_TEST

/* The preload's form: the same answers from a comma-separated list. */
START_TEST(csv_list)
{
	const char *csv = "api.openai.com,*.chatgpt.com,,"
	    "*-aiplatform.googleapis.com";

	ck_assert(cx_hostpat_csv(csv, "api.openai.com"));
	ck_assert(cx_hostpat_csv(csv, "x.chatgpt.com"));
	ck_assert(!cx_hostpat_csv(csv, "chatgpt.com"));
	ck_assert(cx_hostpat_csv(csv, "eu-aiplatform.googleapis.com"));
	ck_assert(!cx_hostpat_csv(csv, "api.openai.co"));
	ck_assert(!cx_hostpat_csv(csv, "github.com"));
	ck_assert(cx_hostpat_csv("all", "github.com"));
	ck_assert(!cx_hostpat_csv("none", "api.openai.com"));
	ck_assert(!cx_hostpat_csv("", "api.openai.com"));
}
END_TEST

int
main(void)
{
	Suite *s = suite_create("hostpat");
	TCase *tc = tcase_create("hostpat");
	SRunner *sr;
	int failed;

	tcase_add_test(tc, patterns);
	tcase_add_test(tc, csv_list);
	suite_add_tcase(s, tc);
	sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
