/*
 * test_escape.c: escape.c (what was mdesc.c too), text from a trace for each target: a terminal
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
	/* What the HTML report's hostile test sends: no tag survives, in an
	 * element or a quoted attribute. */
	CAPTURE(out, cx_html_texts(f, "</script><img src=x onerror='a'>\""));
	ck_assert_str_eq(out, "&lt;/script&gt;&lt;img src=x onerror=&#39;a"
	    "&#39;&gt;&quot;");
	free(out);
}
END_TEST

/* JSON for a script element: nothing can end it; JSON.parse reads the
 * same strings (an escape inside a string is the character). */
START_TEST(html_json)
{
	const char *t = "{\"a\":\"</script><!-- & \xe2\x86\x92 \xfe\",\n"
	    "\"b\":'x'}";
	char *out = NULL;

	CAPTURE(out, cx_html_json(f, t, strlen(t)));
	ck_assert_str_eq(out, "{\"a\":\"\\u003c/script\\u003e\\u003c!-- "
	    "\\u0026 \xe2\x86\x92 \\u00fe\",\n\"b\":'x'}");
	free(out);
}
END_TEST

/* Markdown in detail (what was mdesc.c). */
static char *md_mem;
static size_t md_len;
static FILE *mf;

static void
open_out(void)
{
	md_mem = NULL;
	md_len = 0;
	mf = open_memstream(&md_mem, &md_len);
	ck_assert_ptr_nonnull(mf);
}

/* What was written since open_out (the caller frees). */
static char *
out(void)
{
	fclose(mf);
	return md_mem;
}

#define TEXT(s, flags, want) do {                                       \
	char *g_;                                                       \
	open_out();                                                     \
	cx_md_text(mf, s, sizeof(s) - 1, flags);                         \
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
	cx_md_texts(mf, NULL, 0);
	cx_md_texts(mf, "x_y", 0);
	g = out();
	ck_assert_str_eq(g, "x\\_y");
	free(g);
}
END_TEST

START_TEST(md_html)
{
	char *g;
	const char *in = "<b>\"q\" & *not md* `x`\nnext\x01";

	open_out();
	cx_md_html(mf, in, strlen(in));
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
	cx_md_code(mf, "json", "{\"a\": 1}\n", 9);
	g = out();
	ck_assert_str_eq(g, "\n```json\n{\"a\": 1}\n```\n\n");
	free(g);
	/* Markdown and HTML as they are inside; CRLF as LF; no info. */
	open_out();
	cx_md_code(mf, NULL, "*x* <b>\r\n\tindent\r\n", 18);
	g = out();
	ck_assert_str_eq(g, "\n```\n*x* <b>\n\tindent\n```\n\n");
	free(g);
	/* A fence longer than the backticks inside; controls escaped. */
	open_out();
	cx_md_code(mf, NULL, "a ```` b\x1b[0m\xff", 13);
	g = out();
	ck_assert_str_eq(g, "\n`````\na ```` b\\x1b[0m\\xff\n`````\n\n");
	free(g);
	/* Empty content: an empty block. */
	open_out();
	cx_md_code(mf, "text", "", 0);
	g = out();
	ck_assert_str_eq(g, "\n```text\n\n```\n\n");
	free(g);
}
END_TEST

/* Bytes for a terminal (cx_out_term): controls, C1 controls and bytes
 * that are not UTF-8 as \xNN; newlines kept with a prefix, or shown. */
START_TEST(term_escapes)
{
	char *mem = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&mem, &len);
	const char *in = "a\tb\x1b[31mc\xc2\x85" "d\xc3\xa9" "\xff\r\nl2\nl3";

	cx_out_term(f, in, strlen(in), 1, "   | ");
	fputc('|', f);
	cx_out_term(f, in, strlen(in), 0, "");
	fclose(f);
	ck_assert_str_eq(mem, "a\tb\\x1b[31mc\\xc2\\x85" "d\xc3\xa9" "\\xff\n   | l2\n"
	    "   | l3|a\tb\\x1b[31mc\\xc2\\x85" "d\xc3\xa9" "\\xff\\x0d\\nl2\\nl3");
	free(mem);
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
	tcase_add_test(tc, html_json);
	tcase_add_test(tc, inline_text);
	tcase_add_test(tc, md_html);
	tcase_add_test(tc, fences);
	tcase_add_test(tc, code);
	tcase_add_test(tc, term_escapes);
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
