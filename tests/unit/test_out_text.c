/*
 * test_out_text.c: the listing of cxrec decode -f text
 * (analyzer/out_text.c) for the scenario of tracegen.h, where notes go,
 * and bytes made safe for a terminal.
 */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "output.h"
#include "trace.h"
#include "tracegen.h"

static void
setup(void)
{
	tg_setup("out-text");
}

START_TEST(text_scenario)
{
	char *out;

	tg_scenario(tg_path, 0);
	out = tg_decode(tg_path, "text", 0, NULL);
	/* The header: the run's note and the loss. */
	ck_assert_ptr_nonnull(strstr(out, "cxrec trace "));
	ck_assert_ptr_nonnull(strstr(out, "note \"run\" from relay"));
	ck_assert_ptr_nonnull(strstr(out, "argv: codex exec 'say hello'"));
	ck_assert_ptr_nonnull(strstr(out, "login_mode: chatgpt"));
	ck_assert_ptr_nonnull(strstr(out,
	    "routes: /backend-api/ -> https://chatgpt.com"));
	ck_assert_ptr_nonnull(strstr(out, "LOSS"));
	/* Summary lines. */
	ck_assert_ptr_nonnull(strstr(out, " POST /v1/responses -> 200 "
	    "text/event-stream  ttfb 12.0ms  total 30.0ms  req "));
	ck_assert_ptr_nonnull(strstr(out, "(zstd\xe2\x86\x92"));
	ck_assert_ptr_nonnull(strstr(out, "3 events"));
	ck_assert_ptr_nonnull(strstr(out, "#2 "));
	ck_assert_ptr_nonnull(strstr(out, "-> 502 text/plain"));
	ck_assert_ptr_nonnull(strstr(out, "upstream "
	    "https://api.openai.com/v1/responses  (route /v1)"));
	ck_assert_ptr_nonnull(strstr(out, "pid 4242 tid 4243 (codex)"));
	/* Details. */
	ck_assert_ptr_nonnull(strstr(out, "   > authorization: Bearer "
	    "[REDACTED]\n"));
	ck_assert_ptr_nonnull(strstr(out, "   {\n     \"model\": "
	    "\"gpt-5-codex\",\n"));
	ck_assert_ptr_nonnull(strstr(out, "   +25.5ms "
	    "response.output_text.delta {\"delta\":\"Hel\"}\n"));
	ck_assert_ptr_nonnull(strstr(out, "   +30.0ms [id 7] message "
	    "line1\\nline2\n"));
	ck_assert_ptr_nonnull(strstr(out, "!! error: upstream TLS handshake"));
	ck_assert_ptr_nonnull(strstr(out, "(no request) -> (response not "
	    "decoded)"));
	ck_assert_ptr_nonnull(strstr(out, "7 exchanges, 4 errors, "));
	ck_assert_ptr_null(strstr(out, TG_SECRET_KEY));
	ck_assert_ptr_null(strstr(out, "plain-secret-value"));
	free(out);
}
END_TEST

/*
 * The text listing writes each note before the first exchange that started
 * after it, whatever the file order (writers' clocks are not in step), and
 * a note whose JSON is not valid UTF-8 as escaped text, not as nothing.
 */
START_TEST(text_notes)
{
	static const char late[] = "{\"type\":\"late\",\"n\":1}";
	static const char early[] = "{\"type\":\"early\",\"n\":2}";
	static const char bad[] = "{\"seq\":0,\"detail\":{\"msg\":\"caf\xe9\"}}";
	static const char req[] = "GET /x HTTP/1.1\r\nHost: a\r\n\r\n";
	static const char resp[] = "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok";
	struct cx_writer *w = tg_create(tg_path);
	const char *pe, *pl, *px;
	char *out;

	tg_put(w, CX_K_NOTE, CX_SRC_CLI, 0, 0, 20, late, strlen(late));
	tg_put(w, CX_K_NOTE, CX_SRC_CLI, 0, 0, 5, early, strlen(early));
	tg_put(w, CX_K_ERROR, CX_SRC_RELAY, 0, 0, 6, bad, strlen(bad));
	tg_put(w, CX_K_DATA, CX_SRC_RELAY, CX_DIR_REQ, 7, 11, req, strlen(req));
	tg_put(w, CX_K_DATA, CX_SRC_RELAY, CX_DIR_RESP, 7, 12, resp,
	    strlen(resp));
	cx_writer_close(w);
	out = tg_decode(tg_path, "text", 0, NULL);
	pe = strstr(out, "\"early\"");
	pl = strstr(out, "\"late\"");
	px = strstr(out, "#1 ");
	ck_assert_ptr_nonnull(pe);
	ck_assert_ptr_nonnull(pl);
	ck_assert_ptr_nonnull(px);
	ck_assert_msg(pe < px && px < pl, "notes around the exchange: %s",
	    out);
	ck_assert_msg(strstr(out, "caf\\xe9") != NULL, "the bad note: %s",
	    out);
	free(out);
}
END_TEST

int
main(void)
{
	Suite *s = suite_create("out_text");
	TCase *tc = tcase_create("out_text");
	SRunner *sr;
	int failed;

	tcase_add_checked_fixture(tc, setup, tg_teardown);
	tcase_set_timeout(tc, 30);
	tcase_add_test(tc, text_scenario);
	tcase_add_test(tc, text_notes);
	suite_add_tcase(s, tc);
	sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
