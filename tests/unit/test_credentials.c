/*
 * test_credentials.c: the credential names cxrec knows (cli/credentials.c):
 * the base and every agent module's, whichever agent made the trace.
 */
#include <check.h>
#include <stdlib.h>
#include <string.h>

#include "agent.h"
#include "cli.h"
#include "credname.h"

START_TEST(every_agents_names)
{
	struct cx_credname set;
	size_t agents = 0;

	memset(&set, 0x55, sizeof(set));
	cli_cred_names(&set);
	for (size_t i = 0; agent_table[i] != NULL; i++, agents++) {
		const struct agent *a = agent_table[i];

		for (size_t j = 0; a->cred_headers && a->cred_headers[j]; j++)
			ck_assert_msg(cx_credname_is_header(&set,
			    a->cred_headers[j], strlen(a->cred_headers[j])),
			    "%s's header %s", a->name, a->cred_headers[j]);
		for (size_t j = 0; a->cred_query && a->cred_query[j]; j++)
			ck_assert_msg(cx_credname_is_query(&set,
			    a->cred_query[j], strlen(a->cred_query[j])),
			    "%s's query parameter %s", a->name, a->cred_query[j]);
	}
	ck_assert_uint_ge(agents, 4);
	/* The base too; and nothing that is not a credential. */
	ck_assert(cx_credname_is_header(&set, "Authorization", 13));
	ck_assert(cx_credname_is_query(&set, "access_token", 12));
	ck_assert(!cx_credname_is_header(&set, "content-type", 12));
	ck_assert(!cx_credname_is_query(&set, "alt", 3));
	/* The same set every time. */
	{
		struct cx_credname again;

		cli_cred_names(&again);
		ck_assert_int_eq(again.nheader, set.nheader);
		ck_assert_int_eq(again.nquery, set.nquery);
	}
}
END_TEST

int
main(void)
{
	Suite *s = suite_create("credentials");
	TCase *tc = tcase_create("credentials");
	SRunner *sr;
	int failed;

	tcase_add_test(tc, every_agents_names);
	suite_add_tcase(s, tc);
	sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
