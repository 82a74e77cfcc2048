/*
 * test_json.c: writing JSON and re-writing the JSON found in bodies
 * (analyzer/json.c): the output must stay valid JSON (parsed back here
 * with cJSON), numbers copied as written, secrets redacted inside it
 * (redact.h's policy) when asked, whatever the escapes.
 */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cJSON.h>

#include "bytebuf.h"
#include "json.h"
#include "redact.h"

/* Write JSON through the re-writer into a string. */
static char *
rewrite(const char *in, int flags, long *count)
{
	char *mem = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&mem, &len);

	ck_assert_ptr_nonnull(f);
	*count = cx_json_write(f, in, strlen(in), flags, "  ");
	fclose(f);
	return mem;
}

START_TEST(json_keys_nested)
{
	const char *in =
	    "{\"a\": {\"Access_Token\": \"x\", \"list\": [{\"password\": "
	    "{\"deep\": [1, 2]}}, \"ok\"], \"n\": 1.0e-7, "
	    "\"big\": 12345678901234567890, \"s\": \"Bearer abcdefghijk\", "
	    "\"token\": null, \"secret\": \"\", \"api_key\": 42, "
	    "\"max_output_tokens\": 100}}";
	cJSON *o, *a;
	long count;
	char *out;

	ck_assert_int_eq(cx_json_check(in, strlen(in), 0), 1);
	out = rewrite(in, CX_JSON_REDACT, &count);
	ck_assert_int_eq(count, 4);
	/* Numbers are copied as written, no float round trip. */
	ck_assert_ptr_nonnull(strstr(out, "12345678901234567890"));
	ck_assert_ptr_nonnull(strstr(out, "1.0e-7"));
	ck_assert_ptr_null(strstr(out, "\": "));        /* compact */
	ck_assert_ptr_null(strstr(out, ", "));
	o = cJSON_Parse(out);
	ck_assert_ptr_nonnull(o);
	a = cJSON_GetObjectItem(o, "a");
	ck_assert_str_eq(cJSON_GetObjectItem(a, "Access_Token")->valuestring,
	    "[REDACTED]");
	ck_assert_str_eq(cJSON_GetObjectItem(cJSON_GetArrayItem(
	    cJSON_GetObjectItem(a, "list"), 0), "password")->valuestring,
	    "[REDACTED]");
	ck_assert_str_eq(cJSON_GetArrayItem(cJSON_GetObjectItem(a, "list"),
	    1)->valuestring, "ok");
	ck_assert_str_eq(cJSON_GetObjectItem(a, "s")->valuestring,
	    "Bearer [REDACTED]");
	ck_assert(cJSON_IsNull(cJSON_GetObjectItem(a, "token")));
	ck_assert_str_eq(cJSON_GetObjectItem(a, "secret")->valuestring, "");
	ck_assert_str_eq(cJSON_GetObjectItem(a, "api_key")->valuestring,
	    "[REDACTED]");
	ck_assert_int_eq(cJSON_GetObjectItem(a, "max_output_tokens")->valueint,
	    100);
	cJSON_Delete(o);
	free(out);

	/* Without redaction: the same JSON, compact. */
	out = rewrite(in, 0, &count);
	ck_assert_int_eq(count, 0);
	ck_assert_ptr_nonnull(strstr(out, "\"Access_Token\":\"x\""));
	free(out);

	/* A long secret under a secret key: the same partial form as elsewhere. */
	out = rewrite("{\"refresh_token\":\"rt-0123456789abcdefghijklmnopqrstuvwxyz\"}",
	    CX_JSON_REDACT, &count);
	ck_assert_int_eq(count, 1);
	ck_assert_str_eq(out, "{\"refresh_token\":\"rt-01...wxyz\"}");
	free(out);
}
END_TEST

START_TEST(json_strings_escapes)
{
	const char *in = "[\"sk-\\u0061bcdefghijklmnopqrs\", \"quote \\\" and "
	    "\\\\ and \\n \\ud83d\\ude00 x\", \"caf\xc3\xa9\", "
	    "{\"k\": \"see eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxIn0.abc\"}, "
	    "\"lone \\ud800 \\/\"]";
	cJSON *o;
	long count;
	char *out;

	ck_assert_int_eq(cx_json_check(in, strlen(in), 0), 1);
	out = rewrite(in, CX_JSON_REDACT, &count);
	ck_assert_int_eq(count, 2);
	ck_assert_int_eq(cx_utf8_valid((const uint8_t *)out, strlen(out)), 1);
	o = cJSON_Parse(out);
	ck_assert_ptr_nonnull(o);
	ck_assert_str_eq(cJSON_GetArrayItem(o, 0)->valuestring, "[REDACTED]");
	/* Unredacted strings are copied byte for byte. */
	ck_assert_ptr_nonnull(strstr(out, "\"quote \\\" and \\\\ and \\n "
	    "\\ud83d\\ude00 x\""));
	/* A lone surrogate is replaced (U+FFFD), so every parser takes it. */
	ck_assert_str_eq(cJSON_GetArrayItem(o, 4)->valuestring,
	    "lone \xef\xbf\xbd /");
	ck_assert_str_eq(cJSON_GetArrayItem(o, 2)->valuestring, "caf\xc3\xa9");
	ck_assert_str_eq(cJSON_GetObjectItem(cJSON_GetArrayItem(o, 3),
	    "k")->valuestring, "see [REDACTED]");
	cJSON_Delete(o);
	free(out);
}
END_TEST

START_TEST(json_pretty)
{
	const char *in = "{\"a\":[1,{\"b\":null,\"c\":[]},{}],\"d\":\"e\"}";
	cJSON *x, *y;
	long count;
	char *out, *p1, *p2;

	out = rewrite(in, CX_JSON_PRETTY, &count);
	ck_assert_str_eq(out,
	    "{\n"
	    "    \"a\": [\n"
	    "      1,\n"
	    "      {\n"
	    "        \"b\": null,\n"
	    "        \"c\": []\n"
	    "      },\n"
	    "      {}\n"
	    "    ],\n"
	    "    \"d\": \"e\"\n"
	    "  }");
	x = cJSON_Parse(in);
	y = cJSON_Parse(out);
	ck_assert_ptr_nonnull(y);
	p1 = cJSON_PrintUnformatted(x);
	p2 = cJSON_PrintUnformatted(y);
	ck_assert_str_eq(p1, p2);
	cJSON_free(p1);
	cJSON_free(p2);
	cJSON_Delete(x);
	cJSON_Delete(y);
	free(out);
}
END_TEST

START_TEST(json_check)
{
	static const char *bad[] = {
		"", "   ", "{", "{\"a\":}", "[1,]", "{\"a\" 1}", "[01]", "[1.]",
		"[.5]", "[1e]", "[-]", "[\"\x01\"]", "[\"\\x\"]", "[\"\\u12\"]",
		"{\"a\":1}x", "[tru]", "[nul]", "{1:2}", "[\"a\"", "[\"\xff\"]",
		"{\"a\":1,}", "[\"\xc0\xaf\"]",
	};
	static const char *good[] = {
		"{}", "[]", " [1, -0.5e+10, 0, true, false, null] ",
		"{\"a\":{\"b\":[\"\\u00e9\\/\"]}}",
	};
	char deep[2 * CX_JSON_MAX_DEPTH + 10];
	int n;

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		ck_assert_msg(!cx_json_check(bad[i], strlen(bad[i]),
		    CX_JSON_SCALAR), "accepted %s", bad[i]);
	for (size_t i = 0; i < sizeof(good) / sizeof(good[0]); i++)
		ck_assert_msg(cx_json_check(good[i], strlen(good[i]), 0),
		    "refused %s", good[i]);
	/* Scalars only when asked. */
	ck_assert_int_eq(cx_json_check("\"s\"", 3, 0), 0);
	ck_assert_int_eq(cx_json_check("\"s\"", 3, CX_JSON_SCALAR), 1);
	ck_assert_int_eq(cx_json_check("42", 2, CX_JSON_SCALAR), 1);
	/* Nesting: up to the limit, not past it. */
	n = CX_JSON_MAX_DEPTH;
	memset(deep, '[', (size_t)n);
	memset(deep + n, ']', (size_t)n);
	ck_assert_int_eq(cx_json_check(deep, 2 * (size_t)n, 0), 1);
	n = CX_JSON_MAX_DEPTH + 1;
	memset(deep, '[', (size_t)n);
	memset(deep + n, ']', (size_t)n);
	ck_assert_int_eq(cx_json_check(deep, 2 * (size_t)n, 0), 0);
}
END_TEST

START_TEST(json_strings_any_bytes)
{
	const char in[] = "ctl \x01\x1f\t\r\n quote\" bs\\ bad \xff\xc3 "
	    "ok \xe2\x82\xac nul-next";
	char *mem = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&mem, &len);
	cJSON *o;

	cx_json_str(f, in, sizeof(in) - 1);
	fputc(' ', f);
	cx_json_cstr(f, NULL);
	fclose(f);
	ck_assert_int_eq(cx_utf8_valid((const uint8_t *)mem, len), 1);
	ck_assert_ptr_nonnull(strstr(mem, " null"));
	mem[len - 5] = '\0';
	o = cJSON_Parse(mem);
	ck_assert_ptr_nonnull(o);
	/* Bytes that are not UTF-8 come out as their Latin-1 characters. */
	ck_assert_str_eq(o->valuestring, "ctl \x01\x1f\t\r\n quote\" bs\\ bad "
	    "\xc3\xbf\xc3\x83 ok \xe2\x82\xac nul-next");
	cJSON_Delete(o);
	free(mem);
}
END_TEST

/* Random mutations of JSON: whatever is accepted re-writes to JSON. */
START_TEST(json_fuzz)
{
	const char *seed = "{\"password\":\"x\",\"a\":[1,2.5e3,\"sk-"
	    "abcdefghijklmnopqrst\",{\"token\":[true]}],\"b\":\"\\u00e9\"}";
	size_t len = strlen(seed);
	unsigned r = 7;
	int accepted = 0;

	for (int round = 0; round < 20000; round++) {
		char buf[256];
		long count;
		char *out;
		cJSON *o;
		struct cx_buf b;

		memcpy(buf, seed, len + 1);
		for (int k = 0; k < 1 + round % 3; k++) {
			r = r * 1103515245 + 12345;
			buf[(r >> 8) % len] = "{}[],:\"\\0123456789aetnl -.eE"
			    "\x01\x80"[(r >> 16) % 30];
		}
		cx_buf_init(&b, 0);
		cx_redact_text(&b, buf, len);
		cx_buf_free(&b);
		if (!cx_json_check(buf, len, CX_JSON_SCALAR))
			continue;
		accepted++;
		out = rewrite(buf, CX_JSON_REDACT | CX_JSON_SCALAR |
		    (round % 2 ? CX_JSON_PRETTY : 0), &count);
		ck_assert_int_ge(count, 0);
		o = cJSON_Parse(out);
		ck_assert_msg(o != NULL, "in %s out %s", buf, out);
		cJSON_Delete(o);
		free(out);
	}
	ck_assert_int_gt(accepted, 100);
}
END_TEST

/*
 * json.c copies a string as it is when one scan of its raw (escaped) bytes
 * shows that no secret can be in it (cx_redact_json_suspect), and decodes
 * and redacts only the others.  Whatever the escapes, the result must be
 * what redacting the decoded string gives: checked on random strings made
 * of the pieces that matter (secrets' starts, escapes next to them, quoted
 * secret keys), against cx_redact_text on cJSON's decoding.
 */
START_TEST(json_fast_path_same_as_decoded)
{
	static const char *piece[] = {
		"sk-", "sk-abcdefghijklmnop", "SK-", "eyJ", "eyJhbGciOi.eyJz.x",
		"eyJ0eXAiOiJKV1QiLCJhbGc.abc", "Bearer ", "bearer", "BEARER\\t",
		"Bearer\\t", "abcdefgh12345678", "-", "J", "b", "B", "\\n",
		"\\t", "\\\\", "\\\"", "\\\"password\\\": \\\"",
		"\\\"token\\\":\\\"", "\\\"Secret\\\"",
		"\\u0041", "\\u0020", "\\/", "x", " ", ".", "_", "=", "é",
		"desk-", "key", "\\r", "\\b", "\\f",
		"AIza", "AIzaSyD-0123456789_abcdefghijklmnopqrst", "AI", "z",
		"Iza", "aiza", "A", "0123456789_-abcdefghijklmnopq",
	};
	const size_t npiece = sizeof(piece) / sizeof(piece[0]);
	unsigned r = 12345;
	int redacted = 0, copied = 0;

	for (int round = 0; round < 30000; round++) {
		char doc[1024], *got_s;
		size_t len = 0;
		struct cx_buf out, want;
		cJSON *in, *got;
		int k = 1 + round % 12;

		doc[len++] = '[';
		doc[len++] = '"';
		for (int j = 0; j < k; j++) {
			const char *p;

			r = r * 1103515245 + 12345;
			p = piece[(r >> 8) % npiece];
			memcpy(doc + len, p, strlen(p));
			len += strlen(p);
		}
		doc[len++] = '"';
		doc[len++] = ']';
		doc[len] = '\0';
		in = cJSON_Parse(doc);
		ck_assert_msg(in != NULL, "test string is not JSON: %s", doc);

		cx_buf_init(&out, 0);
		cx_buf_init(&want, 0);
		ck_assert_int_ge(cx_json_emit(&out, doc, len, CX_JSON_REDACT,
		    NULL), 0);
		got = cJSON_Parse((const char *)out.p);
		ck_assert_msg(got != NULL, "not JSON: %s", out.p);
		got_s = cJSON_GetArrayItem(got, 0)->valuestring;
		const char *dec = cJSON_GetArrayItem(in, 0)->valuestring;
		if (cx_redact_text(&want, dec, strlen(dec)) > 0)
			redacted++;
		else
			copied++;
		ck_assert_msg(strcmp(got_s, (const char *)want.p) == 0,
		    "in %s: got %s want %s", doc, got_s, want.p);
		cJSON_Delete(in);
		cJSON_Delete(got);
		cx_buf_free(&out);
		cx_buf_free(&want);
	}
	ck_assert_int_gt(redacted, 1000);
	ck_assert_int_gt(copied, 1000);
}
END_TEST

/* A Google API key in a body: redacted in its partial form; "key" is a
 * query parameter's name, not a secret JSON key. */
#define GKEY    "AIzaSyA1b2C3d4E5f6G7h8I9j0K_lMnOpQrStUv"

START_TEST(google_key_in_body)
{
	long count;
	char *out;

	out = rewrite("{\"key\":\"value\",\"k\":\"use " GKEY "\"}",
	    CX_JSON_REDACT, &count);
	ck_assert_int_eq(count, 1);
	ck_assert_str_eq(out, "{\"key\":\"value\",\"k\":\"use AIzaS...StUv\"}");
	free(out);
}
END_TEST

int
main(void)
{
	Suite *s = suite_create("json");
	TCase *tc = tcase_create("json");
	SRunner *sr;
	int failed;

	tcase_add_test(tc, json_keys_nested);
	tcase_add_test(tc, json_strings_escapes);
	tcase_add_test(tc, json_pretty);
	tcase_add_test(tc, json_check);
	tcase_add_test(tc, json_strings_any_bytes);
	tcase_add_test(tc, json_fuzz);
	tcase_add_test(tc, json_fast_path_same_as_decoded);
	tcase_add_test(tc, google_key_in_body);
	suite_add_tcase(s, tc);
	sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
