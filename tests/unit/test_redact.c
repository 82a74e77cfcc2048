/*
 * test_redact.c: credential redaction (common/redact.c): patterns in text,
 * header values, query strings, the partial form, Google keys, names added
 * at run time.  Inside JSON bodies: test_json.c.
 */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bytebuf.h"
#include "credname.h"
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

/* A Google API key: "AIza" and 35 more. */
#define GKEY    "AIzaSyA1b2C3d4E5f6G7h8I9j0K_lMnOpQrStUv"

/* Google API keys: bare anywhere, x-goog-api-key, ?key= and &key=. */
START_TEST(google_keys)
{
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
}
END_TEST

/* Names added at run time (an agent module's, a run note's; the set is
 * credname.c's, test_credname.c): decode's redaction with the set in
 * use, and back. */
START_TEST(added_names)
{
	struct cx_credname set;
	const struct cx_credname *prev;

	cx_credname_init(&set);
	ck_assert_int_eq(cx_credname_add_header(&set, "X-Agent-Token"), 0);
	ck_assert_int_eq(cx_credname_add_query(&set, "sig.v2"), 0);
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
