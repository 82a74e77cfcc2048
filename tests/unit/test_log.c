/*
 * test_log.c: one-line diagnostics on stderr (common/log.c): the program's
 * name first, strerror for log_warn, debug only when turned on, errno
 * kept, fatalx exiting 3.
 */
#include <check.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "log.h"

static char path[] = "/tmp/cxrec-test-log.XXXXXX";
static int saved = -1;

/* stderr into a temporary file until said(). */
static void
capture(void)
{
	int fd;

	strcpy(path, "/tmp/cxrec-test-log.XXXXXX");
	fd = mkstemp(path);
	ck_assert_int_ge(fd, 0);
	fflush(stderr);
	saved = dup(2);
	dup2(fd, 2);
	close(fd);
}

/* What went to stderr since capture(). */
static const char *
said(void)
{
	static char buf[4096];
	FILE *f;
	size_t n;

	fflush(stderr);
	dup2(saved, 2);
	close(saved);
	f = fopen(path, "r");
	ck_assert_ptr_nonnull(f);
	n = fread(buf, 1, sizeof(buf) - 1, f);
	buf[n] = '\0';
	fclose(f);
	unlink(path);
	return buf;
}

START_TEST(lines)
{
	capture();
	log_warnx("plain %d", 1);
	log_init("cxrec: run");
	errno = ENOENT;
	log_warn("cannot open %s", "x.bin");
	ck_assert_int_eq(errno, ENOENT);
	log_info("info");
	log_debug("hidden");
	log_set_debug(1);
	log_debug("shown %s", "now");
	log_set_debug(0);
	log_debug("hidden again");
	ck_assert_str_eq(said(), "cxrec: plain 1\n"
	    "cxrec: run: cannot open x.bin: No such file or directory\n"
	    "cxrec: run: info\n"
	    "cxrec: run: shown now\n");
}
END_TEST

/* A message longer than the line buffer is cut, still one line. */
START_TEST(long_message)
{
	char big[3000];
	const char *s;

	memset(big, 'x', sizeof(big) - 1);
	big[sizeof(big) - 1] = '\0';
	log_init("p");
	capture();
	log_warnx("%s", big);
	s = said();
	ck_assert_int_eq(strncmp(s, "p: xxx", 6), 0);
	ck_assert_ptr_eq(strchr(s, '\n'), s + strlen(s) - 1);
	ck_assert_uint_lt(strlen(s), 1100);
}
END_TEST

START_TEST(fatal)
{
	log_init("cxrec");
	fatalx("cannot go on");
}
END_TEST

int
main(void)
{
	Suite *s = suite_create("log");
	TCase *tc = tcase_create("log");
	SRunner *sr;
	int failed;

	tcase_add_test(tc, lines);
	tcase_add_test(tc, long_message);
	tcase_add_exit_test(tc, fatal, 3);
	suite_add_tcase(s, tc);
	sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
