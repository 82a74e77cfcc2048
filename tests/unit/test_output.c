/*
 * test_output.c: the table of output formats and what they share
 * (analyzer/output.c): every format named once, found by its name, with a
 * summary and its functions; times from the trace's anchor; milliseconds
 * and HTTP versions as the outputs print them; redaction if asked
 * (cx_out_redact, cx_out_redact_header) and the --max-body cut
 * (cx_out_shown).
 */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "output.h"

START_TEST(table)
{
	static const char *const want[] = { "text", "jsonl", "md", "har",
	    "conversation", "html" };
	size_t n = 0;

	for (; cx_out_formats[n] != NULL; n++) {
		const struct cx_out_format *f = cx_out_formats[n];

		ck_assert_ptr_nonnull(f->name);
		ck_assert_msg(f->summary != NULL && f->summary[0] != '\0',
		    "%s has no summary", f->name);
		ck_assert_msg(strchr(f->summary, '\n') == NULL,
		    "%s: a summary is one line", f->name);
		ck_assert_int_ge(f->passes, 1);
		ck_assert_ptr_nonnull(f->open);
		ck_assert_ptr_nonnull(f->exchange);
		ck_assert_ptr_nonnull(f->close);
		ck_assert_ptr_eq(cx_out_find(f->name), f);
		for (size_t j = 0; j < n; j++)
			ck_assert_str_ne(cx_out_formats[j]->name, f->name);
	}
	ck_assert_uint_eq(n, sizeof(want) / sizeof(want[0]));
	for (size_t i = 0; i < n; i++)
		ck_assert_ptr_nonnull(cx_out_find(want[i]));
	/* The first is decode's default. */
	ck_assert_str_eq(cx_out_formats[0]->name, "text");
	ck_assert_ptr_null(cx_out_find("xml"));
	ck_assert_ptr_null(cx_out_find("TEXT"));
	ck_assert_ptr_null(cx_out_find(""));
	ck_assert_ptr_null(cx_out_find(NULL));
}
END_TEST

START_TEST(times)
{
	struct cx_file_info info;
	char buf[64];

	memset(&info, 0, sizeof(info));
	/* 2026-11-23T07:07:53.123456789Z at monotonic 1000 s. */
	info.realtime_ns = 1795417673123456789LL;
	info.monotonic_ns = 1000LL * 1000000000;
	cx_fmt_time(buf, sizeof(buf), &info, info.monotonic_ns, 1);
	ck_assert_str_eq(buf, "2026-11-23T07:07:53.123456Z");
	cx_fmt_time(buf, sizeof(buf), &info, info.monotonic_ns, 0);
	ck_assert_str_eq(buf, "07:07:53.123456");
	/* 2.5 s later; and 0.2 s earlier (before the anchor). */
	cx_fmt_time(buf, sizeof(buf), &info, info.monotonic_ns + 2500000000LL,
	    0);
	ck_assert_str_eq(buf, "07:07:55.623456");
	cx_fmt_time(buf, sizeof(buf), &info, info.monotonic_ns - 200000000LL,
	    0);
	ck_assert_str_eq(buf, "07:07:52.923456");
	/* Across midnight. */
	cx_fmt_time(buf, sizeof(buf), &info, info.monotonic_ns +
	    (int64_t)(17 * 3600) * 1000000000, 1);
	ck_assert_str_eq(buf, "2026-11-24T00:07:53.123456Z");
	/* Before 1970: the fraction stays positive. */
	info.realtime_ns = -1500000000LL;
	cx_fmt_time(buf, sizeof(buf), &info, info.monotonic_ns, 1);
	ck_assert_str_eq(buf, "1969-12-31T23:59:58.500000Z");
	/* Cut to the buffer, terminated. */
	cx_fmt_time(buf, 6, &info, info.monotonic_ns, 0);
	ck_assert_str_eq(buf, "23:59");
}
END_TEST

START_TEST(numbers)
{
	char buf[16];

	ck_assert_double_eq(cx_ms(0), 0.0);
	ck_assert_double_eq_tol(cx_ms(12345678), 12.346, 1e-12);
	ck_assert_double_eq_tol(cx_ms(499), 0.0, 1e-12);
	ck_assert_double_eq_tol(cx_ms(500), 0.001, 1e-12);
	ck_assert_double_eq_tol(cx_ms(-1500500), -1.501, 1e-12);
	/* %.3f prints the microseconds exactly. */
	snprintf(buf, sizeof(buf), "%.3f", cx_ms(1234500));
	ck_assert_str_eq(buf, "1.235");
	cx_fmt_version(buf, sizeof(buf), 11);
	ck_assert_str_eq(buf, "HTTP/1.1");
	cx_fmt_version(buf, sizeof(buf), 10);
	ck_assert_str_eq(buf, "HTTP/1.0");
	cx_fmt_version(buf, sizeof(buf), 20);
	ck_assert_str_eq(buf, "HTTP/2.0");
}
END_TEST

/* cx_fmt_ms1 writes what "%.1f" of cx_ms writes, ties and all. */
START_TEST(ms_tenths)
{
	static const int64_t big[] = { 0, 49, 50, 51, 99, 100, 149, 150, 151,
	    999950, 999951, 1099511627775, 1099511627776, 1099511627850,
	    -1, -50, -51, -150000, -1500500, INT64_C(86400000000000) };
	char want[64], got[64];
	size_t n;

	for (int64_t us = 0; us < 2000000; us += 7) {
		for (int64_t r = -499; r <= 499; r += 499) {
			int64_t ns = us * 1000 + r;

			snprintf(want, sizeof(want), "%.1f", cx_ms(ns));
			n = cx_fmt_ms1(got, sizeof(got), ns);
			ck_assert_str_eq(got, want);
			ck_assert_uint_eq(n, strlen(want));
		}
	}
	for (size_t i = 0; i < sizeof(big) / sizeof(big[0]); i++) {
		int64_t ns = big[i] * 1000;

		snprintf(want, sizeof(want), "%.1f", cx_ms(ns));
		cx_fmt_ms1(got, sizeof(got), ns);
		ck_assert_str_eq(got, want);
	}
	/* cut as snprintf cuts */
	n = cx_fmt_ms1(got, 3, 12345000);
	ck_assert_str_eq(got, "12");
	ck_assert_uint_eq(n, 2);
}
END_TEST

static const char *key = "sk-proj-SECRETsecretSECRET12345";

/* s redacted as `as` says, with redact set or not, as a C string. */
static char *
red(int redact, enum cx_out_as as, const char *s)
{
	struct cx_buf b;

	cx_buf_init(&b, 0);
	cx_buf_adds(&b, "[");           /* appended to, not reset */
	cx_out_redact(&b, redact, as, s, strlen(s));
	cx_buf_addc(&b, '\0');
	return cx_buf_take(&b);
}

START_TEST(redaction)
{
	char text[128], url[128], form[128];
	char *s;
	struct cx_buf b;

	snprintf(text, sizeof(text), "key %s here", key);
	snprintf(url, sizeof(url), "/v1?api_key=%s&x=1", key);
	snprintf(form, sizeof(form), "client_secret=%s&x=1", key);
	s = red(1, CX_AS_TEXT, text);
	ck_assert_ptr_null(strstr(s, key));
	ck_assert_int_eq(strncmp(s, "[key ", 5), 0);
	free(s);
	s = red(1, CX_AS_URL, url);
	ck_assert_ptr_null(strstr(s, key));
	ck_assert_ptr_nonnull(strstr(s, "&x=1"));
	free(s);
	s = red(1, CX_AS_FORM, form);
	ck_assert_ptr_null(strstr(s, key));
	free(s);
	/* Not asked: as it is. */
	s = red(0, CX_AS_URL, url);
	ck_assert_str_eq(s + 1, url);
	free(s);

	cx_buf_init(&b, 0);
	cx_out_redact_header(&b, 1, "Authorization", "Bearer abcdefghijklmnop"
	    "qrstuvwxyz0123456789");
	cx_buf_addc(&b, '\0');
	ck_assert_ptr_null(strstr((const char *)b.p, "abcdefghijklmnopqrstuv"));
	cx_buf_reset(&b);
	cx_out_redact_header(&b, 0, "Authorization", "Bearer x");
	cx_buf_addc(&b, '\0');
	ck_assert_str_eq((const char *)b.p, "Bearer x");
	cx_buf_free(&b);
}
END_TEST

START_TEST(shown)
{
	struct cx_out_ctx ctx;
	const char *s = "ab\xc3\xa9" "cd";     /* é at 2..3 */

	memset(&ctx, 0, sizeof(ctx));
	ck_assert_uint_eq(cx_out_shown(&ctx, s, 6), 6);
	ctx.max_body = 3;                       /* inside é: before it */
	ck_assert_uint_eq(cx_out_shown(&ctx, s, 6), 2);
	ctx.max_body = 4;
	ck_assert_uint_eq(cx_out_shown(&ctx, s, 6), 4);
	ctx.max_body = 10;
	ck_assert_uint_eq(cx_out_shown(&ctx, s, 6), 6);
}
END_TEST

static void *
render_id(FILE *f, void *arg, const struct cx_exchange *ex)
{
	(*(int *)arg)++;
	fprintf(f, "[%llu]", (unsigned long long)ex->id);
	return NULL;
}

/* Rendered ahead: those put while the format's thread is said to be
 * behind (here every other one), taken back in order; one not rendered
 * ahead is not found; none when it is not behind. */
START_TEST(ahead)
{
	struct cx_ahead *a = cx_ahead_new(NULL);
	struct cx_exchange ex[6];
	char *out = NULL, *text;
	size_t len = 0, tl;
	void *extra;
	FILE *f = open_memstream(&out, &len);
	int rendered = 0, taken = 0;

	memset(ex, 0, sizeof(ex));
	for (int i = 0; i < 6; i++) {
		ex[i].id = (uint64_t)i + 1;
		cx_ahead_behind(i % 2 == 0);
		cx_ahead_put(a, &ex[i], render_id, &rendered);
	}
	ck_assert_int_eq(rendered, 3);
	for (int i = 0; i < 6; i++) {
		if (i == 4) {
			ck_assert_int_eq(cx_ahead_get(a, &ex[i], &text, &tl,
			    &extra), 1);
			ck_assert_ptr_null(extra);
			fwrite(text, 1, tl, f);
			free(text);
			taken++;
		} else if (cx_ahead_take(a, &ex[i], f))
			taken++;
		else
			fprintf(f, "(%d)", i + 1);
	}
	fclose(f);
	ck_assert_int_eq(taken, 3);
	ck_assert_str_eq(out, "[1](2)[3](4)[5](6)");
	free(out);
	cx_ahead_behind(0);
	rendered = 0;
	for (int i = 0; i < 6; i++) {
		ex[i].id = (uint64_t)i + 11;
		cx_ahead_put(a, &ex[i], render_id, &rendered);
	}
	ck_assert_int_eq(rendered, 0);
	for (int i = 0; i < 6; i++)
		ck_assert_int_eq(cx_ahead_take(a, &ex[i], stderr), 0);
	cx_ahead_behind(1);
	/* left over: freed with the FIFO */
	cx_ahead_put(a, &ex[0], render_id, &rendered);
	cx_ahead_free(a);
	cx_ahead_free(NULL);
}
END_TEST

int
main(void)
{
	Suite *s = suite_create("output");
	TCase *tc = tcase_create("output");
	SRunner *sr;
	int failed;

	tcase_add_test(tc, table);
	tcase_add_test(tc, times);
	tcase_add_test(tc, ms_tenths);
	tcase_add_test(tc, numbers);
	tcase_add_test(tc, redaction);
	tcase_add_test(tc, shown);
	tcase_add_test(tc, ahead);
	suite_add_tcase(s, tc);
	sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
