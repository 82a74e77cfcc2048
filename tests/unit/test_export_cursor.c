/*
 * test_export_cursor.c: export_cursor.c: ranges joined as ids come in any
 * order, the file written and read back, a cursor of another trace, files
 * that are not cursors, the limit on ranges.
 */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "export_cursor.h"
#include "tracegen.h"

#define TRACE   "0123456789abcdef"

static char path[64];

static void
setup(void)
{
	snprintf(path, sizeof(path), "/tmp/cxrec-cursor-%d", (int)getpid());
	unlink(path);
}

static void
teardown(void)
{
	unlink(path);
}

START_TEST(ranges_join)
{
	struct cx_xcursor *c = cx_xcursor_new(TRACE);
	static const uint64_t ids[] = { 3, 1, 7, 2, 5, 9, 8, 5, 1 };
	char err[256], tmp[80];

	for (size_t i = 0; i < sizeof(ids) / sizeof(ids[0]); i++)
		ck_assert_int_eq(cx_xcursor_add(c, ids[i]), 0);
	ck_assert_uint_eq(cx_xcursor_count(c), 7);
	ck_assert(cx_xcursor_has(c, 1) && cx_xcursor_has(c, 3));
	ck_assert(!cx_xcursor_has(c, 4) && !cx_xcursor_has(c, 6));
	ck_assert(!cx_xcursor_has(c, 10) && !cx_xcursor_has(c, 0));
	ck_assert_int_eq(cx_xcursor_save(c, path, err, sizeof(err)), 0);
	ck_assert_str_eq(tg_slurp(path), "cxrec-export-cursor 1 trace=" TRACE
	    " ended=0 done=1-3,5,7-9\n");
	/* 4 and 6 close the gaps: one range */
	cx_xcursor_add(c, 4);
	cx_xcursor_add(c, 6);
	cx_xcursor_set_ended(c);
	ck_assert_int_eq(cx_xcursor_save(c, path, err, sizeof(err)), 0);
	ck_assert_str_eq(tg_slurp(path), "cxrec-export-cursor 1 trace=" TRACE
	    " ended=1 done=1-9\n");
	snprintf(tmp, sizeof(tmp), "%s.tmp.%d", path, (int)getpid());
	ck_assert_int_ne(access(tmp, F_OK), 0);         /* renamed over */
	cx_xcursor_free(c);
}
END_TEST

START_TEST(load_back)
{
	struct cx_xcursor *c = cx_xcursor_new(TRACE), *d;
	char err[256];
	int other = -1;

	/* missing: empty */
	d = cx_xcursor_load(path, TRACE, &other, err, sizeof(err));
	ck_assert_ptr_nonnull(d);
	ck_assert_int_eq(other, 0);
	ck_assert_uint_eq(cx_xcursor_count(d), 0);
	cx_xcursor_free(d);
	cx_xcursor_add(c, 2);
	cx_xcursor_add(c, 4);
	cx_xcursor_add(c, 5);
	ck_assert_int_eq(cx_xcursor_save(c, path, err, sizeof(err)), 0);
	d = cx_xcursor_load(path, TRACE, &other, err, sizeof(err));
	ck_assert_ptr_nonnull(d);
	ck_assert(!cx_xcursor_has(d, 1) && cx_xcursor_has(d, 2) &&
	    !cx_xcursor_has(d, 3) && cx_xcursor_has(d, 5));
	ck_assert(!cx_xcursor_ended(d));
	cx_xcursor_free(d);
	/* another trace's: empty, said */
	d = cx_xcursor_load(path, "fedcba9876543210", &other, err,
	    sizeof(err));
	ck_assert_ptr_nonnull(d);
	ck_assert_int_eq(other, 1);
	ck_assert_uint_eq(cx_xcursor_count(d), 0);
	cx_xcursor_free(d);
	cx_xcursor_free(c);
}
END_TEST

static void
bad(const char *text, const char *why)
{
	FILE *f = fopen(path, "w");
	char err[256];

	fputs(text, f);
	fclose(f);
	ck_assert_ptr_null(cx_xcursor_load(path, TRACE, NULL, err,
	    sizeof(err)));
	ck_assert_msg(strstr(err, why) != NULL && strstr(err, path) != NULL,
	    "%s: %s", text, err);
}

START_TEST(not_cursors)
{
	bad("garbage\n", "not a cxrec export cursor");
	bad("", "not a cxrec export cursor");
	bad("cxrec-export-cursor 1 trace=" TRACE " ended=2 done=\n",
	    "damaged");
	bad("cxrec-export-cursor 1 trace=" TRACE " ended=0 done=3-1\n",
	    "damaged");
	bad("cxrec-export-cursor 1 trace=" TRACE " ended=0 done=1-3,2\n",
	    "damaged");
	bad("cxrec-export-cursor 1 trace=" TRACE " ended=0 done=0\n",
	    "damaged");
	bad("cxrec-export-cursor 1 trace=" TRACE " ended=0 done=1,x\n",
	    "damaged");
	/* strtoull would take these */
	bad("cxrec-export-cursor 1 trace=" TRACE " ended=0 done=2--1\n",
	    "damaged");
	bad("cxrec-export-cursor 1 trace=" TRACE " ended=0 done=+3\n",
	    "damaged");
	bad("cxrec-export-cursor 1 trace=" TRACE " ended=0 done= 3\n",
	    "damaged");
	bad("cxrec-export-cursor 1 trace=" TRACE " ended=0 done=1-3,\n",
	    "damaged");
	bad("cxrec-export-cursor 1 trace=" TRACE " ended=0 done=1\n\n",
	    "damaged");
}
END_TEST

START_TEST(range_limit)
{
	struct cx_xcursor *c = cx_xcursor_new(TRACE);
	char err[256];

	for (uint64_t i = 0; i < CX_XCURSOR_MAX_RANGES; i++)
		ck_assert_int_eq(cx_xcursor_add(c, 2 * i + 1), 0);
	ck_assert_int_eq(cx_xcursor_add(c, 2 * CX_XCURSOR_MAX_RANGES + 1),
	    -1);
	/* joining two is still possible */
	ck_assert_int_eq(cx_xcursor_add(c, 2), 0);
	ck_assert_int_eq(cx_xcursor_save(c, path, err, sizeof(err)), 0);
	cx_xcursor_free(c);
	c = cx_xcursor_load(path, TRACE, NULL, err, sizeof(err));
	ck_assert_ptr_nonnull(c);
	ck_assert_uint_eq(cx_xcursor_count(c), CX_XCURSOR_MAX_RANGES + 1);
	cx_xcursor_free(c);
}
END_TEST

int
main(void)
{
	Suite *s = suite_create("export_cursor");
	TCase *tc = tcase_create("export_cursor");
	SRunner *sr;
	int failed;

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, ranges_join);
	tcase_add_test(tc, load_back);
	tcase_add_test(tc, not_cursors);
	tcase_add_test(tc, range_limit);
	suite_add_tcase(s, tc);
	sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
