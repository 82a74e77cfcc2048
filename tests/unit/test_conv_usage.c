/*
 * test_conv_usage.c: the conversation model's usage arithmetic (conv.c):
 * counts from any JSON number without undefined conversions, sums that
 * saturate, unknown never taken for 0.
 */
#include <check.h>
#include <stdint.h>
#include <stdlib.h>

#include <cJSON.h>

#include "conv.h"

static int64_t
count_of(const char *json)
{
	cJSON *v = cJSON_Parse(json);
	int64_t n = cx_conv_count(v);

	cJSON_Delete(v);
	return n;
}

START_TEST(counts)
{
	ck_assert_int_eq(count_of("0"), 0);
	ck_assert_int_eq(count_of("1234"), 1234);
	ck_assert_int_eq(count_of("1e15"), CX_COUNT_MAX);
	ck_assert_int_eq(count_of("1.0000001e15"), -1);
	ck_assert_int_eq(count_of("9e18"), -1);
	ck_assert_int_eq(count_of("1e300"), -1);
	ck_assert_int_eq(count_of("-1"), -1);
	ck_assert_int_eq(count_of("\"12\""), -1);
	ck_assert_int_eq(count_of("null"), -1);
	ck_assert_int_eq(cx_conv_count(NULL), -1);
	{
		cJSON *v = cJSON_Parse("1e300");

		ck_assert_int_eq(cx_conv_index(v), -1);
		cJSON_Delete(v);
		v = cJSON_Parse("3");
		ck_assert_int_eq(cx_conv_index(v), 3);
		cJSON_Delete(v);
	}
}
END_TEST

START_TEST(sums)
{
	struct cx_usage a, b;

	cx_usage_init(&a);
	ck_assert_int_eq(cx_usage_total(&a), -1);
	cx_usage_init(&b);
	b.output = 5;
	cx_usage_add(&a, &b);
	ck_assert_int_eq(a.output, 5);
	ck_assert_int_eq(a.input, -1);          /* unknown stays unknown */
	ck_assert_int_eq(cx_usage_total(&a), 5);
	b.input = CX_COUNT_MAX;
	b.output = CX_COUNT_MAX;
	for (int i = 0; i < 20000; i++)
		cx_usage_add(&a, &b);
	ck_assert(a.input > 0 && a.output > 0);
	ck_assert(cx_usage_total(&a) > 0);      /* saturated, not wrapped */
	ck_assert_int_eq(cx_usage_total(&a), INT64_MAX);
}
END_TEST

int
main(void)
{
	Suite *s = suite_create("conv_usage");
	TCase *tc = tcase_create("conv_usage");
	SRunner *sr;
	int failed;

	tcase_add_test(tc, counts);
	tcase_add_test(tc, sums);
	suite_add_tcase(s, tc);
	sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
