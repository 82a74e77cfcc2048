/*
 * test_escape.c: escape.c, text from a trace for each target: a terminal
 * (cx_out_term), Markdown inline and in code blocks (cx_md_text,
 * cx_md_code, cx_md_fence_len), Markdown prose (cx_md_prose), raw HTML in
 * Markdown (cx_md_html) and HTML (cx_html_text).
 */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "escape.h"

/* What stmt wrote to f, in out (the caller frees it). */
#define CAPTURE(out, stmt) do {                                          \
	size_t len_ = 0;                                                 \
	FILE *f = open_memstream(&(out), &len_);                         \
	ck_assert_ptr_nonnull(f);                                        \
	stmt;                                                            \
	fclose(f);                                                       \
} while (0)

START_TEST(terminal)
{
	const char *t = "a\tb\nc\r\nd\x1b[31m\xc2\x85\xc3\xa9\xff";
	char *out = NULL;

	CAPTURE(out, cx_out_term(f, t, strlen(t), 0, ""));
	ck_assert_str_eq(out, "a\tb\\nc\\x0d\\nd\\x1b[31m\\xc2\\x85\xc3\xa9"
	    "\\xff");
	free(out);
	CAPTURE(out, cx_out_term(f, t, strlen(t), 1, "> "));
	ck_assert_str_eq(out, "a\tb\n> c\n> d\\x1b[31m\\xc2\\x85\xc3\xa9"
	    "\\xff");
	free(out);
	CAPTURE(out, cx_out_term(f, "x\x7f", 2, 0, ""));
	ck_assert_str_eq(out, "x\\x7f");
	free(out);
}
END_TEST

START_TEST(markdown)
{
	const char *t = "a<b>&c *x* _y_ [l](u) # |\n`z`\x01";
	char *out = NULL;

	CAPTURE(out, cx_md_text(f, t, strlen(t), CX_MD_NL_BR);
	    fputc('\n', f); cx_md_code(f, "json", "x ```` y\n", 9));
	ck_assert_str_eq(out, "a&lt;b&gt;&amp;c \\*x\\* \\_y\\_ \\[l\\]\\(u\\) "
	    "\\# \\|<br>\\`z\\`\\\\x01\n"
	    "\n`````json\nx ```` y\n`````\n\n");
	free(out);
	CAPTURE(out, cx_md_text(f, "a\nb", 3, 0));
	ck_assert_str_eq(out, "a b");
	free(out);
	CAPTURE(out, cx_md_texts(f, NULL, 0));
	ck_assert_str_eq(out, "");
	free(out);
	ck_assert_uint_eq(cx_md_fence_len("", 0), 3);
	ck_assert_uint_eq(cx_md_fence_len("``` `", 5), 4);
	ck_assert_uint_eq(cx_md_fence_len("``", 2), 3);
	/* Raw HTML: entities only, " too. */
	CAPTURE(out, cx_md_html(f, "<a \"*\">\n", 8));
	ck_assert_str_eq(out, "&lt;a &quot;*&quot;&gt; ");
	free(out);
}
END_TEST

START_TEST(prose)
{
	const char *t = "  1. one\n# two = x:y\n\tthree <b>\x02";
	char *out = NULL;

	/* A line's start is defused; a newline a hard break with prefix. */
	CAPTURE(out, cx_md_prose(f, t, strlen(t), 1, "> "));
	ck_assert_str_eq(out, "&#32;&#32;1\\. one  \n> \\# two \\= x\\:y  \n"
	    "> &#9;three &lt;b&gt;\\\\x02");
	free(out);
	/* On one line: the newline shows as \n. */
	CAPTURE(out, cx_md_prose(f, "a\nb", 3, 0, ""));
	ck_assert_str_eq(out, "a\\\\nb");
	free(out);
	/* An empty line keeps no trailing blanks; CRLF is one break. */
	CAPTURE(out, cx_md_prose(f, "a\r\n\nb", 5, 1, ""));
	ck_assert_str_eq(out, "a  \n\nb");
	free(out);
}
END_TEST

START_TEST(html)
{
	const char *t = "<a href=\"x\" title='y'>&amp;</a>\r\n\tz\x1b\xc2\x80"
	    "\xe2\x86\x92\xfe";
	char *out = NULL;

	CAPTURE(out, cx_html_text(f, t, strlen(t)));
	ck_assert_str_eq(out, "&lt;a href=&quot;x&quot; title=&#39;y&#39;&gt;"
	    "&amp;amp;&lt;/a&gt;\n\tz\\x1b\\xc2\\x80\xe2\x86\x92\\xfe");
	free(out);
	CAPTURE(out, cx_html_texts(f, NULL); cx_html_texts(f, "a\rb"));
	ck_assert_str_eq(out, "a\\x0db");
	free(out);
}
END_TEST

static Suite *
escape_suite(void)
{
	Suite *s = suite_create("escape");
	TCase *tc = tcase_create("escape");

	tcase_add_test(tc, terminal);
	tcase_add_test(tc, markdown);
	tcase_add_test(tc, prose);
	tcase_add_test(tc, html);
	suite_add_tcase(s, tc);
	return s;
}

int
main(void)
{
	SRunner *sr = srunner_create(escape_suite());
	int failed;

	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
