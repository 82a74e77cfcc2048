/*
 * test_protocol_diff.c: what changed between two protocols
 * (analyzer/protocol_diff.c): endpoints and transports, a constant
 * header's value changed (and one that only differs in ids, numbers or a
 * credential, not), body key types, event types, tools' parameters, types
 * and what is required, the instructions as a unified diff (exact), the
 * exit status's flag; text and Markdown.  With real agents:
 * tests/integration/diff.sh.
 */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "protocol.h"
#include "protocol_diff.h"

static const char A[] =
"{\"cxrec_protocol\":1,\"traces\":[{\"agent\":\"codex\",\"agent_version\":"
"\"1.0\"}],\"endpoints\":[{\"endpoint\":\"POST /v1/responses\","
"\"model_api\":true,\"transports\":[\"sse\"],\"request\":{\"headers\":["
"{\"name\":\"originator\",\"constant\":true,\"example\":\"codex_exec\"},"
"{\"name\":\"session_id\",\"constant\":true,\"example\":"
"\"01a24db3-5076-7593-9bad-331925520088\"},"
"{\"name\":\"authorization\",\"constant\":true,\"example\":\"Bearer a\"},"
"{\"name\":\"version\",\"constant\":true,\"example\":\"1.0\"}],"
"\"body\":[{\"path\":\"model\",\"types\":\"string\"},{\"path\":\"store\","
"\"types\":\"boolean\"}]},\"response\":{\"events\":[{\"type\":\"a\","
"\"keys\":[]},{\"type\":\"b\",\"keys\":[]}]}},"
"{\"endpoint\":\"GET /v1/models\",\"transports\":[\"plain\"]}],"
"\"tools\":[{\"name\":\"shell\",\"description\":\"run\",\"schema\":{"
"\"type\":\"object\",\"properties\":{\"cmd\":{\"type\":\"string\"},"
"\"cwd\":{\"type\":\"string\"}},\"required\":[\"cmd\"]}},"
"{\"name\":\"old\",\"schema\":null}],"
"\"instructions\":[{\"role\":\"system\",\"sha256\":\"aa\",\"bytes\":10,"
"\"text\":\"one\\ntwo\\nthree\\nfour\\nfive\\nsix\\nseven\\neight\\n\"}]}";

static const char B[] =
"{\"cxrec_protocol\":1,\"traces\":[{\"agent\":\"codex\",\"agent_version\":"
"\"2.0\"}],\"endpoints\":[{\"endpoint\":\"POST /v1/responses\","
"\"model_api\":true,\"transports\":[\"sse\",\"websocket\"],\"request\":{"
"\"headers\":[{\"name\":\"originator\",\"constant\":true,\"example\":"
"\"codex_tui\"},{\"name\":\"session_id\",\"constant\":true,\"example\":"
"\"01a24db3-63f4-7ba3-a9c3-8ec52a945a66\"},"
"{\"name\":\"authorization\",\"constant\":true,\"example\":\"Bearer b\"},"
"{\"name\":\"version\",\"constant\":true,\"example\":\"2.0\"},"
"{\"name\":\"x-codex-window-id\",\"constant\":false,\"example\":\"w\"}],"
"\"body\":[{\"path\":\"model\",\"types\":\"string|null\"},{\"path\":"
"\"input\",\"types\":\"array\"}]},\"response\":{\"events\":[{\"type\":"
"\"a\",\"keys\":[]},{\"type\":\"c\",\"keys\":[]}]}}],"
"\"tools\":[{\"name\":\"shell\",\"description\":\"run\",\"schema\":{"
"\"type\":\"object\",\"properties\":{\"cmd\":{\"type\":[\"string\","
"\"array\"]},\"timeout\":{\"type\":\"number\"}},\"required\":[\"cmd\","
"\"timeout\"]}},{\"name\":\"new\",\"schema\":null}],"
"\"instructions\":[{\"role\":\"system\",\"sha256\":\"bb\",\"bytes\":12,"
"\"text\":\"one\\ntwo\\nthree\\nfour\\nFIVE\\nsix\\nseven\\neight\\n\"}]}";

static cJSON *
model(const char *s)
{
	char err[256];
	cJSON *m = cx_protocol_parse(s, strlen(s), err, sizeof(err));

	ck_assert_msg(m != NULL, "%s", err);
	return m;
}

static char *
text_of(const cJSON *d, int md)
{
	char *out = NULL;
	size_t n = 0;
	FILE *f = open_memstream(&out, &n);

	cx_protocol_diff_write(f, d, md);
	fclose(f);
	return out;
}

START_TEST(what_changed)
{
	cJSON *a = model(A), *b = model(B), *d = cx_protocol_diff(a, b);
	char *t = text_of(d, 0), *md = text_of(d, 1);

	ck_assert(cx_protocol_diff_changed(d));
	ck_assert_msg(strstr(t, "from codex 1.0 to codex 2.0\n") != NULL, "%s",
	    t);
	ck_assert_ptr_null(strstr(t, "different agents"));
	ck_assert_ptr_nonnull(strstr(t, "Endpoints:\n  - GET /v1/models "
	    "(plain)\n"));
	ck_assert_ptr_nonnull(strstr(t, "transports: + websocket\n"));
	ck_assert_ptr_nonnull(strstr(t, "request headers: + "
	    "x-codex-window-id\n"));
	ck_assert_ptr_nonnull(strstr(t, "request header originator: "
	    "codex_exec \xe2\x86\x92 codex_tui\n"));
	/* Ids, numbers and credentials are not differences. */
	ck_assert_ptr_null(strstr(t, "session_id:"));
	ck_assert_ptr_null(strstr(t, "header version"));
	ck_assert_ptr_null(strstr(t, "authorization:"));
	ck_assert_ptr_nonnull(strstr(t, "request body keys: + input (array)"
	    "\n"));
	ck_assert_ptr_nonnull(strstr(t, "request body keys: - store "
	    "(boolean)\n"));
	ck_assert_ptr_nonnull(strstr(t, "request body keys type of model: "
	    "string \xe2\x86\x92 string|null\n"));
	ck_assert_ptr_nonnull(strstr(t, "response events: + c\n"));
	ck_assert_ptr_nonnull(strstr(t, "response events: - b\n"));
	ck_assert_ptr_nonnull(strstr(t, "Tools:\n  + new\n  - old\n"));
	ck_assert_ptr_nonnull(strstr(t, "parameters: + timeout (number)\n"));
	ck_assert_ptr_nonnull(strstr(t, "parameters: - cwd (string)\n"));
	ck_assert_ptr_nonnull(strstr(t, "type of parameter cmd: string "
	    "\xe2\x86\x92 [\"string\",\"array\"]\n"));
	ck_assert_ptr_nonnull(strstr(t, "required: + timeout\n"));
	/* The instruction: one line changed, three of context each side. */
	ck_assert_ptr_nonnull(strstr(t, "--- a\n+++ b\n@@ -2,7 +2,7 @@\n two\n"
	    " three\n four\n-five\n+FIVE\n six\n seven\n eight\n"));
	ck_assert_ptr_nonnull(strstr(md, "## Tools\n\n- + `new`\n"));
	ck_assert_ptr_nonnull(strstr(md, "```diff\n--- a\n"));
	free(t);
	free(md);
	cJSON_Delete(d);

	/* Itself: nothing. */
	d = cx_protocol_diff(a, a);
	ck_assert(!cx_protocol_diff_changed(d));
	t = text_of(d, 0);
	ck_assert_str_eq(t, "from codex 1.0 to codex 1.0\nnothing changed\n");
	free(t);
	cJSON_Delete(d);
	cJSON_Delete(a);
	cJSON_Delete(b);
}
END_TEST

static Suite *
diff_suite(void)
{
	Suite *s = suite_create("protocol_diff");
	TCase *tc = tcase_create("core");

	tcase_add_test(tc, what_changed);
	suite_add_tcase(s, tc);
	return s;
}

int
main(void)
{
	SRunner *sr = srunner_create(diff_suite());
	int failed;

	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
