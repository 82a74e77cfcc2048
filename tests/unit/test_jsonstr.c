/*
 * test_jsonstr.c: JSON string escaping for printf-built JSON
 * (common/jsonstr.c): what comes out parses back (cJSON) to what went
 * in, and a small buffer truncates with "..." and stays terminated.
 */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cJSON.h>

#include "jsonstr.h"

static char out[512];

#define ESC(s)  json_escape(out, sizeof(out), s, sizeof(s) - 1)

START_TEST(escapes)
{
	ck_assert_str_eq(ESC(""), "");
	ck_assert_str_eq(ESC("plain text"), "plain text");
	ck_assert_str_eq(ESC("a \"quote\" and a \\"),
	    "a \\\"quote\\\" and a \\\\");
	ck_assert_str_eq(ESC("l1\nl2\r\n\ttab"), "l1\\nl2\\r\\n\\ttab");
	ck_assert_str_eq(ESC("\x01\x1f\x7f"), "\\u0001\\u001f\\u007f");
	/* A NUL inside the length is escaped, not an end. */
	ck_assert_str_eq(ESC("a\0b"), "a\\u0000b");
	/* UTF-8 passes through. */
	ck_assert_str_eq(ESC("caf\xc3\xa9 \xe2\x9c\x93"), "caf\xc3\xa9 \xe2\x9c\x93");
	/* len, not the NUL, bounds the input. */
	ck_assert_str_eq(json_escape(out, sizeof(out), "abcdef", 3), "abc");
	/* out is returned. */
	ck_assert_ptr_eq(ESC("x"), out);
}
END_TEST

/* Every byte from 1 to 255 in a string: back through a JSON parser. */
START_TEST(round_trip)
{
	char in[256], doc[600];
	cJSON *j;

	for (int i = 1; i < 256; i++)
		in[i - 1] = (char)i;
	json_escape(out, sizeof(out), in, 255);
	/* cJSON wants valid UTF-8 no more than we do: compare the ASCII. */
	in[127] = '\0';
	snprintf(doc, sizeof(doc), "[\"%.*s\"]", (int)(strstr(out, "\x80") -
	    out), out);
	j = cJSON_Parse(doc);
	ck_assert_msg(j != NULL, "not JSON: %s", doc);
	ck_assert_str_eq(cJSON_GetArrayItem(j, 0)->valuestring, in);
	cJSON_Delete(j);
}
END_TEST

START_TEST(truncation)
{
	char small[8];

	ck_assert_str_eq(json_escape(small, sizeof(small), "abcdefghij", 10),
	    "abc...");
	/* An escape that does not fit is not cut in half. */
	ck_assert_str_eq(json_escape(small, sizeof(small), "ab\"\"\"", 5),
	    "ab...");
	ck_assert_str_eq(json_escape(small, sizeof(small), "abc", 3), "abc");
	/* Too small for "...": still terminated. */
	ck_assert_str_eq(json_escape(small, 3, "abcdef", 6), "");
	ck_assert_str_eq(json_escape(small, 1, "abcdef", 6), "");
	/* No room at all: nothing written, not even the NUL. */
	small[0] = 'z';
	json_escape(small, 0, "abc", 3);
	ck_assert_int_eq(small[0], 'z');
	/* Whatever the size, the result fits and ends in "..." when cut. */
	for (size_t n = 5; n < 40; n++) {
		char b[40];
		const char *src = "\"x\\y\nz\x01" "0123456789abcdefghijklmnop";

		json_escape(b, n, src, strlen(src));
		ck_assert_uint_lt(strlen(b), n);
		if (strlen(b) < 30)
			ck_assert_str_eq(b + strlen(b) - 3, "...");
	}
}
END_TEST

int
main(void)
{
	Suite *s = suite_create("jsonstr");
	TCase *tc = tcase_create("jsonstr");
	SRunner *sr;
	int failed;

	tcase_add_test(tc, escapes);
	tcase_add_test(tc, round_trip);
	tcase_add_test(tc, truncation);
	suite_add_tcase(s, tc);
	sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
