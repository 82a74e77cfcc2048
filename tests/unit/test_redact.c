/*
 * test_redact.c: credential redaction (common/redact.c) and the JSON
 * re-writer that applies it inside bodies (analyzer/json.c): the output
 * must stay valid JSON, parsed back here with cJSON.
 */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cJSON.h>

#include "bytebuf.h"
#include "credname.h"
#include "json.h"
#include "redact.h"

static char *
text(const char *s)
{
	struct cx_buf b;

	cx_buf_init(&b, 0);
	cx_redact_text(&b, s, strlen(s));
	return cx_buf_take(&b);
}

static char *
header(const char *name, const char *value)
{
	struct cx_buf b;

	cx_buf_init(&b, 0);
	cx_redact_header(&b, name, value);
	return cx_buf_take(&b);
}

static char *
query(const char *s, int form)
{
	struct cx_buf b;

	cx_buf_init(&b, 0);
	cx_redact_query(&b, s, strlen(s), form);
	return cx_buf_take(&b);
}

#define EXPECT(call, want) do {                                         \
	char *got_ = (call);                                            \
	ck_assert_str_eq(got_, want);                                   \
	free(got_);                                                     \
} while (0)

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

START_TEST(patterns_in_text)
{
	EXPECT(text("key sk-abcdefghijklmnop1234 end"), "key [REDACTED] end");
	EXPECT(text("OPENAI_API_KEY=sk-proj-AbC_dEf-0123456789xyz"),
	    "OPENAI_API_KEY=[REDACTED]");
	EXPECT(text("sk-short is not a key"), "sk-short is not a key");
	/* Inside a word it is not a key. */
	EXPECT(text("task-abcdefghijklmnopqrstuvwx"),
	    "task-abcdefghijklmnopqrstuvwx");
	/* 55 characters: long enough for the partial form. */
	EXPECT(text("jwt eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiIxMjMifQ.c2lnbmF0dXJl"
	    "-_x. done"), "jwt eyJhb...l-_x. done");
	EXPECT(text("jwt eyJhbGciOiJub25lIn0.eyJhIjoxfQ.sig done"),
	    "jwt [REDACTED] done");
	EXPECT(text("?id_token=eyJhbGciOiJub25lIn0.eyJhIjoxfQ.&x=1"),
	    "?id_token=[REDACTED]&x=1");
	EXPECT(text("eyJnot.a-jwt"), "eyJnot.a-jwt");
	EXPECT(text("curl -H 'Authorization: Bearer abc.DEF_123-xyz=' url"),
	    "curl -H 'Authorization: Bearer [REDACTED]' url");
	EXPECT(text("bearer\tLongEnoughToken"), "bearer\t[REDACTED]");
	EXPECT(text("a Bearer of news"), "a Bearer of news");
	/* A secret key in text that is not JSON (say, a cut body). */
	EXPECT(text("{\"password\": \"hunter2\", \"user\": \"bob\", \"Token\":"
	    "\"a\\\"b\"  cut"),
	    "{\"password\": \"[REDACTED]\", \"user\": \"bob\", \"Token\":"
	    "\"[REDACTED]\"  cut");
	EXPECT(text(""), "");
	EXPECT(text("nothing to hide here"), "nothing to hide here");
}
END_TEST

START_TEST(headers)
{
	EXPECT(header("Authorization", "Bearer sk-abcdefghijklmnopqrstuv"),
	    "Bearer [REDACTED]");
	EXPECT(header("authorization", "Basic dXNlcjpwYXNz"),
	    "Basic [REDACTED]");
	EXPECT(header("Proxy-Authorization", "opaque"), "[REDACTED]");
	EXPECT(header("Cookie", "a=1; session=xyz;flag"),
	    "a=[REDACTED]; session=[REDACTED];[REDACTED]");
	EXPECT(header("Set-Cookie", "sid=abc123; Path=/; HttpOnly"),
	    "sid=[REDACTED]; Path=/; HttpOnly");
	EXPECT(header("ChatGPT-Account-Id", "8f7e-uuid"), "[REDACTED]");
	EXPECT(header("x-api-key", "k"), "[REDACTED]");
	EXPECT(header("Api-Key", "k"), "[REDACTED]");
	EXPECT(header("OpenAI-Api-Key", "k"), "[REDACTED]");
	EXPECT(header("Authorization", ""), "");
	/* Other headers: only the patterns. */
	EXPECT(header("X-Debug", "key=sk-abcdefghijklmnopqrstuv ok"),
	    "key=[REDACTED] ok");
	EXPECT(header("User-Agent", "codex_cli_rs/0.98.0"),
	    "codex_cli_rs/0.98.0");
	ck_assert_int_eq(cx_redact_is_secret_header("COOKIE"), 1);
	ck_assert_int_eq(cx_redact_is_secret_header("cookies"), 0);
}
END_TEST

/*
 * The partial form: first 5 and last 4 characters around "...", only when
 * those 9 are under a quarter of the secret (37 bytes or more) and are
 * plain ASCII token characters; else [REDACTED].
 */
START_TEST(partial_form)
{
	/* 40 characters: sk- and 37 more. */
	const char *key = "sk-abcdefghijklmnopqrstuvwxyz0123456f3c";
	char buf[256], *got;
	struct cx_buf b;

	ck_assert_uint_eq(strlen(key), 39);
	ck_assert_uint_eq(CX_REDACT_PARTIAL_MIN, 37);
	EXPECT(text(key), "sk-ab...6f3c");
	snprintf(buf, sizeof(buf), "key=%s.", key);
	EXPECT(text(buf), "key=sk-ab...6f3c.");
	/* The boundary: 36 bytes is whole, 37 partial. */
	EXPECT(text("sk-abcdefghijklmnopqrstuvwxyz0123456"), "[REDACTED]");
	EXPECT(text("sk-abcdefghijklmnopqrstuvwxyz01234567"), "sk-ab...4567");
	cx_buf_init(&b, 0);
	ck_assert_uint_eq(cx_redact_secret(&b,
	    "abcdefghijklmnopqrstuvwxyz0123456789", 36), 1);
	ck_assert_str_eq((const char *)b.p, "[REDACTED]");
	cx_buf_reset(&b);
	cx_redact_secret(&b, "abcdefghijklmnopqrstuvwxyz0123456789A", 37);
	ck_assert_str_eq((const char *)b.p, "abcde...789A");
	/* Shown characters must be plain: no escape, quote, dot, UTF-8. */
	cx_buf_reset(&b);
	cx_redact_secret(&b, "ab\\u00e9fghijklmnopqrstuvwxyz0123456789", 39);
	ck_assert_str_eq((const char *)b.p, "[REDACTED]");
	cx_buf_reset(&b);
	cx_redact_secret(&b, "abcdefghijklmnopqrstuvwxyz012345678\xc3\xa9", 37);
	ck_assert_str_eq((const char *)b.p, "[REDACTED]");
	cx_buf_reset(&b);
	cx_redact_secret(&b, "abcdefghijklmnopqrstuvwxyz01234567.9AB", 38);
	ck_assert_str_eq((const char *)b.p, "[REDACTED]");
	cx_buf_free(&b);

	/* Headers. */
	snprintf(buf, sizeof(buf), "Bearer %s", key);
	EXPECT(header("Authorization", buf), "Bearer sk-ab...6f3c");
	EXPECT(header("authorization", "Bearer  eyJhbGciOiJSUzI1NiJ9."
	    "eyJzdWIiOiIxMjMifQ.c2lnbmF0dXJlc2lnbmF0dXJl"),
	    "Bearer eyJhb...dXJl");
	EXPECT(header("Authorization", "Bearer short-token"),
	    "Bearer [REDACTED]");
	/* A password never shows, however long. */
	EXPECT(header("Authorization", "Basic dXNlcm5hbWU6YS12ZXJ5LWxvbmct"
	    "cGFzc3dvcmQtaW5kZWVk"), "Basic [REDACTED]");
	EXPECT(header("X-Api-Key", key), "sk-ab...6f3c");
	EXPECT(header("ChatGPT-Account-Id",
	    "8f7e1c2a-1234-4cde-9abc-0123456789ab"), "[REDACTED]");
	EXPECT(header("Cookie", "sid=0123456789abcdefghijklmnopqrstuvwxyzAB; "
	    "theme=dark"), "sid=01234...yzAB; theme=[REDACTED]");
	EXPECT(header("Set-Cookie", "__Secure-next-auth.session-token="
	    "eyJhbGciOiJkaXIiLCJlbmMiOiJBMjU2R0NNIn0..aBcDeFgHiJkLmNoP; "
	    "Path=/; Secure"),
	    "__Secure-next-auth.session-token=eyJhb...mNoP; Path=/; Secure");
	EXPECT(header("Location", "https://x/cb?code=1&access_token="
	    "abc&state=s"), "https://x/cb?code=1&access_token=[REDACTED]"
	    "&state=s");

	/* Queries and forms. */
	snprintf(buf, sizeof(buf), "/p?api_key=%s&x=1", key);
	EXPECT(query(buf, 0), "/p?api_key=sk-ab...6f3c&x=1");
	EXPECT(query("refresh_token=rt-0123456789abcdefghijklmnopqrstuvwxyz",
	    1), "refresh_token=rt-01...wxyz");

	/* In quoted text that is not JSON. */
	EXPECT(text("{\"token\": \"0123456789abcdefghijklmnopqrstuvwxyzAB\""
	    " cut"), "{\"token\": \"01234...yzAB\" cut");

	/* The key itself is never there. */
	snprintf(buf, sizeof(buf), "Bearer %s", key);
	got = header("Authorization", buf);
	ck_assert_ptr_null(strstr(got, "abcdefghijklmnop"));
	free(got);
}
END_TEST

START_TEST(queries)
{
	EXPECT(query("/v1/x?api_key=abc&b=2&TOKEN=zz#frag", 0),
	    "/v1/x?api_key=[REDACTED]&b=2&TOKEN=[REDACTED]#frag");
	EXPECT(query("/v1/models?client_version=0.98.0", 0),
	    "/v1/models?client_version=0.98.0");
	EXPECT(query("https://h/p?x=sk-abcdefghijklmnopqrstu", 0),
	    "https://h/p?x=[REDACTED]");
	EXPECT(query("grant_type=refresh_token&refresh_token=rt-123&"
	    "client_id=app", 1),
	    "grant_type=refresh_token&refresh_token=[REDACTED]&client_id=app");
	EXPECT(query("", 1), "");
	EXPECT(query("/no/query", 0), "/no/query");
}
END_TEST

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

/* A Google API key: "AIza" and 35 more. */
#define GKEY    "AIzaSyA1b2C3d4E5f6G7h8I9j0K_lMnOpQrStUv"

/* Google API keys: bare anywhere, x-goog-api-key, ?key= and &key=. */
START_TEST(google_keys)
{
	long count;
	char *out;

	ck_assert_uint_eq(strlen(GKEY), 39);
	EXPECT(text("GEMINI_API_KEY=" GKEY " next"),
	    "GEMINI_API_KEY=AIzaS...StUv next");
	EXPECT(text("[\"" GKEY "\"]"), "[\"AIzaS...StUv\"]");
	/* 34 after "AIza" is not one; inside a word neither. */
	EXPECT(text("AIzaSyA1b2C3d4E5f6G7h8I9j0K_lMnOpQrStU"),
	    "AIzaSyA1b2C3d4E5f6G7h8I9j0K_lMnOpQrStU");
	EXPECT(text("xAIzaSyA1b2C3d4E5f6G7h8I9j0K_lMnOpQrStUv"),
	    "xAIzaSyA1b2C3d4E5f6G7h8I9j0K_lMnOpQrStUv");
	EXPECT(text("aiza" "SyA1b2C3d4E5f6G7h8I9j0K_lMnOpQrStUv"),
	    "aiza" "SyA1b2C3d4E5f6G7h8I9j0K_lMnOpQrStUv");
	/* Two in a row, and next to other secrets. */
	EXPECT(text(GKEY " " GKEY ",sk-abcdefghijklmnop1234"),
	    "AIzaS...StUv AIzaS...StUv,[REDACTED]");

	EXPECT(header("x-goog-api-key", GKEY), "AIzaS...StUv");
	EXPECT(header("X-Goog-Api-Key", "short"), "[REDACTED]");
	EXPECT(header("X-Goog-Api-Key", "[cxrec:0011223344556677]***************"),
	    "[cxrec:0011223344556677]***************");
	EXPECT(header("X-Goog-Api-Client", "gl-node/22"), "gl-node/22");
	ck_assert_int_eq(cx_redact_is_secret_header("X-GOOG-API-KEY"), 1);

	EXPECT(query("/v1beta/models/gemini-2.5-pro:streamGenerateContent"
	    "?alt=sse&key=" GKEY, 0), "/v1beta/models/gemini-2.5-pro:"
	    "streamGenerateContent?alt=sse&key=AIzaS...StUv");
	EXPECT(query("/v1beta/models?key=abc123&pageSize=50", 0),
	    "/v1beta/models?key=[REDACTED]&pageSize=50");
	EXPECT(query("https://h/p?KEY=abc&monkey=nut&keys=x", 0),
	    "https://h/p?KEY=[REDACTED]&monkey=nut&keys=x");
	/* A fingerprint put there at the source is shown as it is. */
	EXPECT(query("/p?key=[cxrec:0123456789abcdef]***************&a=1", 0),
	    "/p?key=[cxrec:0123456789abcdef]***************&a=1");
	EXPECT(query("/p?key=[cxrec:0123456789abcdeX]***************", 0),
	    "/p?key=[REDACTED]");
	EXPECT(query("/p?key=****", 0), "/p?key=****");
	EXPECT(query("key=abc&alt=sse", 1), "key=[REDACTED]&alt=sse");
	ck_assert_int_eq(cx_redact_is_secret_query("Key", 3), 1);
	ck_assert_int_eq(cx_redact_is_secret_query("monkey", 6), 0);
	/* "key" is a query parameter's name, not a JSON key's. */
	ck_assert_int_eq(cx_redact_is_secret_key("key", 3), 0);

	/* In JSON bodies. */
	out = rewrite("{\"key\":\"value\",\"k\":\"use " GKEY "\"}",
	    CX_JSON_REDACT, &count);
	ck_assert_int_eq(count, 1);
	ck_assert_str_eq(out, "{\"key\":\"value\",\"k\":\"use AIzaS...StUv\"}");
	free(out);
}
END_TEST

/* Names added at run time (an agent module's, a run note's). */
START_TEST(added_names)
{
	struct cx_credname set;
	const struct cx_credname *prev;
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
	ck_assert_uint_eq(cx_credname_json(&set, json, sizeof(json)), 48);
	ck_assert_str_eq(json,
	    "{\"headers\":[\"X-Agent-Token\"],\"query\":[\"sig.v2\"]}");
	ck_assert_uint_eq(cx_credname_json(&set, json, 10), 48);
	ck_assert_str_eq(json, "{\"headers");
	ck_assert_uint_eq(cx_credname_json(NULL, json, sizeof(json)), 25);
	ck_assert_str_eq(json, "{\"headers\":[],\"query\":[]}");

	/* Bounded: CX_CREDNAME_MAX of each kind. */
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
		ck_assert_uint_lt(cx_credname_json(&full, NULL, 0),
		    CX_CREDNAME_JSON_MAX);
	}

	/* decode's redaction with the set in use, and back. */
	EXPECT(header("X-Agent-Token", "tok"), "tok");
	EXPECT(query("/p?sig.v2=abc", 0), "/p?sig.v2=abc");
	prev = cx_redact_use_names(&set);
	ck_assert_ptr_null(prev);
	EXPECT(header("X-Agent-Token", "tok"), "[REDACTED]");
	EXPECT(query("/p?sig.v2=abc&key=k", 0), "/p?sig.v2=[REDACTED]&key="
	    "[REDACTED]");
	EXPECT(header("Authorization", "Basic abc"), "Basic [REDACTED]");
	ck_assert_ptr_eq(cx_redact_use_names(prev), &set);
	EXPECT(header("X-Agent-Token", "tok"), "tok");
}
END_TEST

static Suite *
redact_suite(void)
{
	Suite *s = suite_create("redact");
	TCase *tc = tcase_create("redact");

	tcase_add_test(tc, patterns_in_text);
	tcase_add_test(tc, headers);
	tcase_add_test(tc, queries);
	tcase_add_test(tc, partial_form);
	tcase_add_test(tc, json_keys_nested);
	tcase_add_test(tc, json_strings_escapes);
	tcase_add_test(tc, json_pretty);
	tcase_add_test(tc, json_check);
	tcase_add_test(tc, json_strings_any_bytes);
	tcase_add_test(tc, json_fuzz);
	tcase_add_test(tc, json_fast_path_same_as_decoded);
	tcase_add_test(tc, google_keys);
	tcase_add_test(tc, added_names);
	suite_add_tcase(s, tc);
	return s;
}

int
main(void)
{
	SRunner *sr = srunner_create(redact_suite());
	int failed;

	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
