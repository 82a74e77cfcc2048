/*
 * test_out_md_usage.c: the report's token usage (out_md.c, docs/report.md)
 * reads the conversation model for every API: the per-turn table, the
 * sessions' and the APIs' sums for recorded Claude Code and gemini-cli
 * traces (tests/data/conv/, the adapters' tests use them too) and a
 * non-streamed Anthropic answer; and a stream's "data: [DONE]" counted
 * as its end, not as an event type.
 */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <zstd.h>

#include "decode.h"
#include "trace.h"
#include "tracegen.h"

#define DATA    "tests/data/conv/"

static void
setup(void)
{
	tg_setup("md_usage");
}

/* tests/data/conv/NAME (zstd) decompressed into tg_path. */
static void
unpack(const char *name)
{
	char path[256];
	FILE *f;
	long n;
	void *z, *raw;
	unsigned long long rn;

	snprintf(path, sizeof(path), DATA "%s", name);
	f = fopen(path, "rb");
	ck_assert_msg(f != NULL, "%s: run the tests from the source tree", path);
	fseek(f, 0, SEEK_END);
	n = ftell(f);
	rewind(f);
	z = malloc((size_t)n);
	ck_assert_uint_eq(fread(z, 1, (size_t)n, f), (size_t)n);
	fclose(f);
	rn = ZSTD_getFrameContentSize(z, (size_t)n);
	ck_assert(rn != ZSTD_CONTENTSIZE_ERROR && rn != ZSTD_CONTENTSIZE_UNKNOWN);
	raw = malloc(rn);
	ck_assert_uint_eq(ZSTD_decompress(raw, rn, z, (size_t)n), rn);
	free(z);
	f = fopen(tg_path, "wb");
	ck_assert_ptr_nonnull(f);
	ck_assert_uint_eq(fwrite(raw, 1, rn, f), rn);
	fclose(f);
	free(raw);
}

static void
quiet(void *arg, const char *msg)
{
	(void)arg;
	(void)msg;
}

static char *
decode_md(const char *p)
{
	struct cx_decode_opts opts;
	char *mem = NULL, err[512];
	size_t len = 0;
	FILE *f = open_memstream(&mem, &len);

	ck_assert_ptr_nonnull(f);
	memset(&opts, 0, sizeof(opts));
	opts.format = "md";
	opts.warn = quiet;
	ck_assert_msg(cx_decode(p, &opts, f, err, sizeof(err)) == 0, "%s",
	    err);
	fclose(f);
	return mem;
}

/* The line of out that starts with prefix, whole, or fail. */
static void
line(const char *out, const char *want)
{
	size_t n = strlen(want);

	for (const char *p = out; p != NULL && *p != '\0';) {
		if (strncmp(p, want, n) == 0 && (p[n] == '\n' || p[n] == '\0'))
			return;
		p = strchr(p, '\n');
		if (p != NULL)
			p++;
	}
	ck_abort_msg("no line %s in:\n%s", want, strstr(out,
	    "### Token usage") ? strstr(out, "### Token usage") : out);
}

/* Claude Code 2.1.332 (API key): two streamed Messages calls. */
START_TEST(anthropic)
{
	char *out;

	unpack("anthropic_claude_api-key.bin.zst");
	out = decode_md(tg_path);
	/* input = input_tokens + cache read + cache write: 12587 + 0 + 6293,
	 * then 3173 + 9516 + 0; no reasoning count: "?" */
	line(out, "| 1 | [#1](#exchange-1) | anthropic | claude\\-opus\\-5\\-5 "
	    "| 18880 | 0 | 6293 | 62 | ? | 18942 | $0.0831 | 11.7 |");
	line(out, "| 2 | [#2](#exchange-2) | anthropic | claude\\-opus\\-5\\-5 "
	    "| 12689 | 9516 | 0 | 42 | ? | 12731 | $0.0154 | 5.8 |");
	line(out, "| **all** | | | | 31569 | 9516 | 6293 | 104 | ? | 31673 | "
	    "$0.0985 | |");
	line(out, "| 1: 1ad63964\\-5841\\-44a9\\-9cae\\-f262c5eb39e9 | anthropic "
	    "| 2 | 31569 | 9516 | 6293 | 104 | ? | 31673 | $0.0985 |");
	line(out, "- Anthropic Messages \\(anthropic\\): 2 turns, all with usage; "
	    "input 31569, output 104, total 31673; cost $0.0985");
	/* Opus 5.5: $4 input, $5 cache write, $0.20 cache read, $20 output:
	 * 12587 x 4 + 6293 x 5 + 62 x 20 = $0.083053, the row that priced
	 * it listed with its source. */
	line(out, "| anthropic | claude\\-opus\\-5\\-5 |  | $4.00 | $0.20 | "
	    "$5.00 | $8.00 | $20.00 | \xe2\x80\x94 | 2026\\-12\\-07 | "
	    "https://platform.claude.com/docs/en/about\\-claude/pricing |");
	ck_assert_ptr_null(strstr(out, "response.completed"));
	free(out);
}
END_TEST

/* A Messages answer not streamed: usage from its body, no token times. */
START_TEST(anthropic_nostream)
{
	char *out;

	unpack("anthropic_nostream.bin.zst");
	out = decode_md(tg_path);
	line(out, "| 1 | [#1](#exchange-1) | anthropic | "
	    "claude\\-sonnet\\-4\\-5\\-20250929 | 172 | 0 | 57 | 37 | ? | 209 "
	    "| $0.001114 | ? |");
	/* The snapshot priced as its model, claude-sonnet-4-5. */
	line(out, "| anthropic | claude\\-sonnet\\-4\\-5 |  | $3.00 | $0.30 | "
	    "$3.75 | $6.00 | $15.00 | \xe2\x80\x94 | 2026\\-12\\-07 | "
	    "https://platform.claude.com/docs/en/about\\-claude/pricing |");
	free(out);
}
END_TEST

/* gemini-cli 0.61.0 (API key): the router's generateContent, then two
 * streamed turns; output = candidates + thoughts. */
START_TEST(gemini)
{
	char *out;

	unpack("gemini_api.bin.zst");
	out = decode_md(tg_path);
	line(out, "| 1 | [#1](#exchange-1) | gemini | gemini\\-3.5\\-flash\\-lite "
	    "| 860 | 0 | ? | 25 | 0 | 885 | no price | 6.9 |");
	line(out, "| 2 | [#2](#exchange-2) | gemini | gemini\\-3.8\\-flash "
	    "| 11667 | 0 | ? | 69 | 19 | 11736 | no price | 7.4 |");
	line(out, "| 3 | [#3](#exchange-3) | gemini | gemini\\-3.8\\-flash "
	    "| 11798 | 8848 | ? | 32 | 19 | 11830 | no price | 3.8 |");
	line(out, "| **all** | | | | 24325 | 8848 | ? | 126 | 38 | 24451 | "
	    "no price | |");
	ck_assert_ptr_nonnull(strstr(out, "| gemini | 3 | 24325 | 8848 | ? "
	    "| 126 | 38 | 24451 | no price |\n"));
	line(out, "- Gemini API / Code Assist \\(gemini\\): 3 turns, all with "
	    "usage; input 24325, output 126, total 24451; cost no price");
	/* Models the table does not hold: named, never guessed. */
	line(out, "No price (the table holds no such model; not guessed): "
	    "gemini\\-3.5\\-flash\\-lite, gemini\\-3.8\\-flash.");
	free(out);
}
END_TEST

/* No model call; a stream ending with data: [DONE] (counted apart). */
START_TEST(done_and_none)
{
	struct cx_writer *w = tg_create(tg_path);
	static const char req[] = "POST /v1/things HTTP/1.1\r\nHost: h\r\n"
	    "Content-Length: 2\r\n\r\n{}";
	static const char resp[] = "HTTP/1.1 200 OK\r\nContent-Type: "
	    "text/event-stream\r\n\r\ndata: {\"a\":1}\n\ndata: [DONE]\n\n";
	char *out;

	tg_put(w, CX_K_OPEN, CX_SRC_RELAY, 0, 1, 1, "{}", 2);
	tg_put(w, CX_K_DATA, CX_SRC_RELAY, CX_DIR_REQ, 1, 2, req,
	    sizeof(req) - 1);
	tg_put(w, CX_K_DATA, CX_SRC_RELAY, CX_DIR_RESP, 1, 3, resp,
	    sizeof(resp) - 1);
	tg_put(w, CX_K_CLOSE, CX_SRC_RELAY, 0, 1, 4, "{\"by\":\"upstream\"}",
	    17);
	cx_writer_close(w);
	out = decode_md(tg_path);
	ck_assert_ptr_nonnull(strstr(out, "### Token usage\n\nNo model API "
	    "call: "));
	line(out, "| message | 1 |");
	line(out, "1 stream ended with `data: [DONE]` (the stream's end, not "
	    "an event: not counted above).");
	ck_assert_ptr_null(strstr(out, "### Event [DONE]"));
	free(out);
}
END_TEST

static Suite *
md_usage_suite(void)
{
	Suite *s = suite_create("md_usage");
	TCase *tc = tcase_create("md_usage");

	tcase_add_checked_fixture(tc, setup, tg_teardown);
	tcase_set_timeout(tc, 30);
	tcase_add_test(tc, anthropic);
	tcase_add_test(tc, anthropic_nostream);
	tcase_add_test(tc, gemini);
	tcase_add_test(tc, done_and_none);
	suite_add_tcase(s, tc);
	return s;
}

int
main(void)
{
	SRunner *sr = srunner_create(md_usage_suite());
	int failed;

	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
