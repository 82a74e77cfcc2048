/*
 * test_output.c: output.c, what the output formats share: the table
 * (cx_out_find), redaction if asked (cx_out_redact, cx_out_redact_header),
 * the --max-body cut (cx_out_shown) and the time and size formats.
 */
#include <check.h>
#include <stdlib.h>
#include <string.h>

#include "output.h"

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

START_TEST(table_and_formats)
{
	struct cx_file_info info;
	char buf[64];

	ck_assert_ptr_nonnull(cx_out_find("md"));
	ck_assert_ptr_eq(cx_out_find("text"), cx_out_formats[0]);
	ck_assert_ptr_null(cx_out_find("nope"));
	ck_assert_ptr_null(cx_out_find(NULL));
	memset(&info, 0, sizeof(info));
	info.realtime_ns = INT64_C(1764000000) * 1000000000 + 123456789;
	info.monotonic_ns = 1000;
	cx_fmt_time(buf, sizeof(buf), &info, 1000, 1);
	ck_assert_str_eq(buf, "2025-11-24T16:00:00.123456Z");
	cx_fmt_time(buf, sizeof(buf), &info, 1000, 0);
	ck_assert_str_eq(buf, "16:00:00.123456");
	ck_assert(cx_ms(1500) == 0.002);
	cx_fmt_version(buf, sizeof(buf), 11);
	ck_assert_str_eq(buf, "HTTP/1.1");
}
END_TEST

static Suite *
output_suite(void)
{
	Suite *s = suite_create("output");
	TCase *tc = tcase_create("output");

	tcase_add_test(tc, redaction);
	tcase_add_test(tc, shown);
	tcase_add_test(tc, table_and_formats);
	suite_add_tcase(s, tc);
	return s;
}

int
main(void)
{
	SRunner *sr = srunner_create(output_suite());
	int failed;

	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
