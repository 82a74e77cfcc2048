/*
 * test_mdesc.c: text from a trace written into Markdown
 * (analyzer/mdesc.c): inline text escaped so it renders as text (and fits
 * a table cell), text inside raw HTML, code blocks fenced longer than any
 * run of backticks inside, controls and bytes that are not UTF-8 as \xNN.
 */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "mdesc.h"

static char *mem;
static size_t len;
static FILE *f;

static void
open_out(void)
{
	mem = NULL;
	len = 0;
	f = open_memstream(&mem, &len);
	ck_assert_ptr_nonnull(f);
}

/* What was written since open_out (the caller frees). */
static char *
out(void)
{
	fclose(f);
	return mem;
}

#define TEXT(s, flags, want) do {                                       \
	char *g_;                                                       \
	open_out();                                                     \
	cx_md_text(f, s, sizeof(s) - 1, flags);                         \
	g_ = out();                                                     \
	ck_assert_str_eq(g_, want);                                     \
	free(g_);                                                       \
} while (0)

START_TEST(inline_text)
{
	char *g;

	TEXT("plain words, digits 123.", 0, "plain words, digits 123.");
	TEXT("*bold* _it_ `code` [l](u) #h", 0,
	    "\\*bold\\* \\_it\\_ \\`code\\` \\[l\\]\\(u\\) \\#h");
	TEXT("a|b ~s~ $x$ !i + - \\", 0,
	    "a\\|b \\~s\\~ \\$x\\$ \\!i \\+ \\- \\\\");
	TEXT("<script>&amp;</script>", 0,
	    "&lt;script&gt;&amp;amp;&lt;/script&gt;");
	/* One line: newlines a space, or <br> when asked; tab a space. */
	TEXT("l1\nl2\r\nl3\tx", 0, "l1 l2 l3 x");
	TEXT("l1\nl2\r\nl3", CX_MD_NL_BR, "l1<br>l2<br>l3");
	/* UTF-8 kept; controls, C1 controls and bad bytes as \xNN. */
	TEXT("caf\xc3\xa9 \xe2\x9c\x93", 0, "caf\xc3\xa9 \xe2\x9c\x93");
	TEXT("a\x01" "b\x7f" "c\xc2\x85" "d\xff", 0,
	    "a\\\\x01b\\\\x7fc\\\\xc2\\\\x85d\\\\xff");
	TEXT("a\0b", 0, "a\\\\x00b");
	/* NULL through the C-string form: nothing. */
	open_out();
	cx_md_texts(f, NULL, 0);
	cx_md_texts(f, "x_y", 0);
	g = out();
	ck_assert_str_eq(g, "x\\_y");
	free(g);
}
END_TEST

START_TEST(html)
{
	char *g;
	const char *in = "<b>\"q\" & *not md* `x`\nnext\x01";

	open_out();
	cx_md_html(f, in, strlen(in));
	g = out();
	ck_assert_str_eq(g,
	    "&lt;b&gt;&quot;q&quot; &amp; *not md* `x` next\\x01");
	free(g);
}
END_TEST

START_TEST(fences)
{
	ck_assert_uint_eq(cx_md_fence_len("", 0), 3);
	ck_assert_uint_eq(cx_md_fence_len("no ticks", 8), 3);
	ck_assert_uint_eq(cx_md_fence_len("`a` ``b``", 9), 3);
	ck_assert_uint_eq(cx_md_fence_len("```", 3), 4);
	ck_assert_uint_eq(cx_md_fence_len("x ````` y ```", 13), 6);
	/* Only n bytes count. */
	ck_assert_uint_eq(cx_md_fence_len("``````", 2), 3);
}
END_TEST

START_TEST(code)
{
	char *g;

	open_out();
	cx_md_code(f, "json", "{\"a\": 1}\n", 9);
	g = out();
	ck_assert_str_eq(g, "\n```json\n{\"a\": 1}\n```\n\n");
	free(g);
	/* Markdown and HTML as they are inside; CRLF as LF; no info. */
	open_out();
	cx_md_code(f, NULL, "*x* <b>\r\n\tindent\r\n", 18);
	g = out();
	ck_assert_str_eq(g, "\n```\n*x* <b>\n\tindent\n```\n\n");
	free(g);
	/* A fence longer than the backticks inside; controls escaped. */
	open_out();
	cx_md_code(f, NULL, "a ```` b\x1b[0m\xff", 13);
	g = out();
	ck_assert_str_eq(g, "\n`````\na ```` b\\x1b[0m\\xff\n`````\n\n");
	free(g);
	/* Empty content: an empty block. */
	open_out();
	cx_md_code(f, "text", "", 0);
	g = out();
	ck_assert_str_eq(g, "\n```text\n\n```\n\n");
	free(g);
}
END_TEST

int
main(void)
{
	Suite *s = suite_create("mdesc");
	TCase *tc = tcase_create("mdesc");
	SRunner *sr;
	int failed;

	tcase_add_test(tc, inline_text);
	tcase_add_test(tc, html);
	tcase_add_test(tc, fences);
	tcase_add_test(tc, code);
	suite_add_tcase(s, tc);
	sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
