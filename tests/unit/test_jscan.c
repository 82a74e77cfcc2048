/*
 * test_jscan.c: the object scan (jscan.c) against cJSON: what the scan
 * takes, cJSON parses as an object with the same members (type, decoded
 * string, integer); what it leaves includes what cJSON rejects.
 */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cJSON.h>

#include "jscan.h"

/* The scan of s, checked against cJSON; returns what the scan said. */
static int
agree(const char *s, size_t n)
{
	struct cx_jscan_member m[3] = { { .key = "delta" },
	    { .key = "item_id" }, { .key = "output_index" } };
	struct cx_buf b;
	cJSON *o;
	int ok = cx_jscan_object(s, n, m, 3);

	if (!ok)
		return 0;
	o = cJSON_ParseWithLength(s, n);
	ck_assert_msg(cJSON_IsObject(o), "cJSON does not take %s", s);
	cx_buf_init(&b, 0);
	for (int k = 0; k < 3; k++) {
		const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, m[k].key);
		long x;

		if (m[k].type == CX_JS_NONE) {
			ck_assert_ptr_null(v);
			continue;
		}
		ck_assert_ptr_nonnull(v);
		if (m[k].type == CX_JS_STRING) {
			ck_assert(cJSON_IsString(v));
			cx_jscan_string(&b, &m[k]);
			ck_assert_str_eq((const char *)b.p, v->valuestring);
		} else if (m[k].type == CX_JS_NUMBER) {
			ck_assert(cJSON_IsNumber(v));
			if (cx_jscan_uint(&m[k], &x))
				ck_assert(v->valuedouble == (double)x);
		} else
			ck_assert(!cJSON_IsString(v) && !cJSON_IsNumber(v));
	}
	cx_buf_free(&b);
	cJSON_Delete(o);
	return 1;
}

#define AGREE(lit)      agree(lit, sizeof(lit) - 1)

START_TEST(taken)
{
	ck_assert(AGREE("{\"type\":\"response.output_text.delta\","
	    "\"item_id\":\"msg_1\",\"output_index\":1,\"delta\":\"Hi\"}"));
	ck_assert(AGREE(" {\"delta\" : \"a\\\"b\\\\c\\/d\\n\\t\\r\\b\\f\" ,"
	    " \"x\":[1,-2.5e+3,{\"y\":[true,false,null]}], \"item_id\":null}"));
	ck_assert(AGREE("{\"delta\":\"first\",\"delta\":\"second\"}"));
	ck_assert(AGREE("{}"));
	ck_assert(AGREE("{\"output_index\":0} trailing"));
	ck_assert(AGREE("{\"output_index\":1234567890}"));
	ck_assert(AGREE("{\"output_index\":-1,\"delta\":{}}"));
	ck_assert(AGREE("{\"de\\u006cta\":1}") == 0);
	ck_assert(AGREE("{\"d\\\\elta\":\"x\",\"delta\":\"y\"}"));
	ck_assert(AGREE("{\"delta\":\"\xff\xfe raw bytes\"}"));
}
END_TEST

START_TEST(left)
{
	static const char *const no[] = {
		"", " ", "[]", "\"s\"", "1", "{", "{\"a\"}", "{\"a\":}",
		"{\"a\":1,}", "{\"a\":01}", "{\"a\":1.}", "{\"a\":.5}",
		"{\"a\":1e}", "{\"a\":+1}", "{\"a\":tru}", "{\"a\":nul}",
		"{\"a\":\"\\x\"}", "{\"a\":\"\\u0041\"}", "{\"a\":\"open}",
		"{\"a\":1 \"b\":2}", "{'a':1}", "\xef\xbb\xbf{}",
		"{\"a\":\f1}", "{\"a\":[1,]}",
		"{\"a\":1234567890123456789012345678901}",
	};

	for (size_t i = 0; i < sizeof(no) / sizeof(no[0]); i++)
		ck_assert_msg(agree(no[i], strlen(no[i])) == 0, "took %s",
		    no[i]);
	/* a NUL byte in a string, and nesting past the depth */
	ck_assert(agree("{\"a\":\"x\0y\"}", 11) == 0);
	{
		char deep[200];
		size_t n = 0;

		deep[n++] = '{';
		deep[n++] = '"';
		deep[n++] = 'a';
		deep[n++] = '"';
		deep[n++] = ':';
		for (int i = 0; i < CX_JSCAN_DEPTH + 1; i++)
			deep[n++] = '[';
		for (int i = 0; i < CX_JSCAN_DEPTH + 1; i++)
			deep[n++] = ']';
		deep[n++] = '}';
		ck_assert(agree(deep, n) == 0);
	}
}
END_TEST

/* Cut anywhere, a taken object is taken only when cJSON agrees. */
START_TEST(cut)
{
	static const char s[] = "{\"type\":\"x\",\"delta\":\"a\\nb\","
	    "\"output_index\":12,\"obj\":{\"k\":[1,2.5,\"v\"]},"
	    "\"item_id\":\"it\"}";

	for (size_t n = 0; n <= sizeof(s) - 1; n++)
		ck_assert_int_eq(agree(s, n), n == sizeof(s) - 1);
}
END_TEST

static Suite *
jscan_suite(void)
{
	Suite *s = suite_create("jscan");
	TCase *tc = tcase_create("jscan");

	tcase_add_test(tc, taken);
	tcase_add_test(tc, left);
	tcase_add_test(tc, cut);
	suite_add_tcase(s, tc);
	return s;
}

int
main(void)
{
	SRunner *sr = srunner_create(jscan_suite());
	int failed;

	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
