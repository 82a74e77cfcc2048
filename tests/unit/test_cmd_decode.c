/*
 * test_cmd_decode.c: the decode command (cli/cmd_decode.c): its options,
 * usage errors and help, output to a file, what it says of input that
 * is not a trace it can read (exit 2, one line naming the file), and
 * --follow's options.
 */
#include <check.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cli.h"
#include "trace.h"
#include "tracegen.h"

static void
setup(void)
{
	tg_setup("cmd-decode");
}

/* Run cmd_decode with stderr (and stdout) captured. */
static int
run(const char **args, char *errout, size_t errlen, char *stdout_,
    size_t outlen)
{
	char epath[300], opath[300], *argv[16];
	int argc = 0, rc, saved_err, saved_out, fd;
	FILE *f;
	size_t n;

	/* cmd_decode takes char **, as main's argv. */
	while (args[argc] != NULL && argc < 15) {
		argv[argc] = strdup(args[argc]);
		argc++;
	}
	argv[argc] = NULL;
	snprintf(epath, sizeof(epath), "%s/stderr", tg_dir);
	snprintf(opath, sizeof(opath), "%s/stdout", tg_dir);
	fflush(stdout);
	fflush(stderr);
	saved_err = dup(2);
	saved_out = dup(1);
	fd = open(epath, O_WRONLY | O_CREAT | O_TRUNC, 0600);
	dup2(fd, 2);
	close(fd);
	fd = open(opath, O_WRONLY | O_CREAT | O_TRUNC, 0600);
	dup2(fd, 1);
	close(fd);
	rc = cmd_decode(argc, argv);
	for (int i = 0; i < argc; i++)
		free(argv[i]);
	fflush(stdout);
	fflush(stderr);
	dup2(saved_err, 2);
	dup2(saved_out, 1);
	close(saved_err);
	close(saved_out);
	f = fopen(epath, "r");
	n = fread(errout, 1, errlen - 1, f);
	errout[n] = '\0';
	fclose(f);
	if (stdout_ != NULL) {
		f = fopen(opath, "r");
		n = fread(stdout_, 1, outlen - 1, f);
		stdout_[n] = '\0';
		fclose(f);
	}
	return rc;
}

static void
write_file(const char *p, const void *data, size_t n)
{
	FILE *f = fopen(p, "w");

	ck_assert_ptr_nonnull(f);
	ck_assert_uint_eq(fwrite(data, 1, n, f), n);
	fclose(f);
}

/* decode FILE must fail with exit 2 and one line naming the file. */
static void
bad_input(const char *p, const char *want)
{
	const char *argv[] = { "decode", p, NULL };
	char err[1024];

	ck_assert_int_eq(run(argv, err, sizeof(err), NULL, 0), CX_EXIT_USAGE);
	ck_assert_msg(strncmp(err, "cxrec: decode: ", 15) == 0, "%s", err);
	ck_assert_msg(strstr(err, p) != NULL, "%s does not name %s", err, p);
	ck_assert_msg(strstr(err, want) != NULL, "%s: want %s", err, want);
	ck_assert_ptr_eq(strchr(err, '\n'), err + strlen(err) - 1);
}

START_TEST(bad_inputs)
{
	const char *not_trace = "this is not a trace, this is not a trace, "
	    "this is not a trace, this is not a trace, this is not a trace, "
	    "this is not a trace\n";
	char p[300], hdr[CX_FILE_HEADER_LEN + 40];
	FILE *f;

	snprintf(p, sizeof(p), "%s/empty", tg_dir);
	write_file(p, "", 0);
	bad_input(p, "empty");
	snprintf(p, sizeof(p), "%s/text.txt", tg_dir);
	write_file(p, not_trace, strlen(not_trace));
	bad_input(p, "not a cxrec trace");
	snprintf(p, sizeof(p), "%s/short", tg_dir);
	write_file(p, "CXTRACE\n", 8);
	bad_input(p, "not a cxrec trace");
	bad_input(tg_dir, "is a directory");
	snprintf(p, sizeof(p), "%s/missing.bin", tg_dir);
	bad_input(p, "cannot read");
	/* A trace from a future version. */
	cx_writer_close(tg_create(tg_path));
	f = fopen(tg_path, "r");
	ck_assert_uint_eq(fread(hdr, 1, CX_FILE_HEADER_LEN, f),
	    CX_FILE_HEADER_LEN);
	fclose(f);
	hdr[8] = 99;
	snprintf(p, sizeof(p), "%s/future.bin", tg_dir);
	write_file(p, hdr, CX_FILE_HEADER_LEN);
	bad_input(p, "version 99");
}
END_TEST

START_TEST(command_line)
{
	char err[1024], out[8192], opath[300], optbuf[320];
	const char *missing[] = { "decode", NULL };
	const char *unknown[] = { "decode", "--frobnicate", tg_path, NULL };
	const char *unknown_short[] = { "decode", "-x", tg_path, NULL };
	const char *badfmt[] = { "decode", "--format", "xml", tg_path, NULL };
	const char *two[] = { "decode", tg_path, tg_path, NULL };
	const char *help[] = { "decode", "--help", NULL };
	const char *noval[] = { "decode", tg_path, "-o", NULL };
	const char *tofile[] = { "decode", "--format=jsonl", "-o", opath, tg_path,
	    NULL };
	const char *cantcreate[] = { "decode", "-o", optbuf, tg_path, NULL };
	const char *overwrite[] = { "decode", "-o", tg_path, tg_path, NULL };
	const char *tostdout[] = { "decode", "--no-redact", "--max-body", "4", tg_path,
	    NULL };
	FILE *f;
	size_t n;

	tg_scenario(tg_path, 0);
	ck_assert_int_eq(run(missing, err, sizeof(err), NULL, 0),
	    CX_EXIT_USAGE);
	ck_assert_ptr_nonnull(strstr(err, "missing TRACE"));
	ck_assert_ptr_nonnull(strstr(err, "usage: cxrec decode"));
	ck_assert_ptr_eq(strchr(err, '\n'), err + strlen(err) - 1);
	ck_assert_int_eq(run(unknown, err, sizeof(err), NULL, 0),
	    CX_EXIT_USAGE);
	ck_assert_ptr_nonnull(strstr(err, "unknown option '--frobnicate'"));
	ck_assert_int_eq(run(unknown_short, err, sizeof(err), NULL, 0),
	    CX_EXIT_USAGE);
	ck_assert_ptr_nonnull(strstr(err, "unknown option '-x'"));
	ck_assert_int_eq(run(badfmt, err, sizeof(err), NULL, 0),
	    CX_EXIT_USAGE);
	ck_assert_ptr_nonnull(strstr(err, "unknown format 'xml'"));
	ck_assert_int_eq(run(two, err, sizeof(err), NULL, 0), CX_EXIT_USAGE);
	ck_assert_int_eq(run(noval, err, sizeof(err), NULL, 0), CX_EXIT_USAGE);
	ck_assert_ptr_nonnull(strstr(err, "needs a value"));
	ck_assert_int_eq(run(help, err, sizeof(err), out, sizeof(out)),
	    CX_EXIT_OK);
	ck_assert_ptr_nonnull(strstr(out, "--no-redact"));
	ck_assert_ptr_nonnull(strstr(out, "--format"));
	ck_assert_str_eq(err, "");

	snprintf(opath, sizeof(opath), "%s/out.jsonl", tg_dir);
	ck_assert_int_eq(run(tofile, err, sizeof(err), out, sizeof(out)),
	    CX_EXIT_OK);
	ck_assert_str_eq(out, "");
	f = fopen(opath, "r");
	ck_assert_ptr_nonnull(f);
	n = fread(out, 1, sizeof(out) - 1, f);
	out[n] = '\0';
	fclose(f);
	ck_assert(strncmp(out, "{\"id\":1,", 8) == 0);

	snprintf(optbuf, sizeof(optbuf), "%s/no/such/tg_dir/out", tg_dir);
	ck_assert_int_eq(run(cantcreate, err, sizeof(err), NULL, 0),
	    CX_EXIT_USAGE);
	ck_assert_ptr_nonnull(strstr(err, "cannot create"));
	ck_assert_ptr_nonnull(strstr(err, optbuf));
	ck_assert_int_eq(run(overwrite, err, sizeof(err), NULL, 0),
	    CX_EXIT_USAGE);
	ck_assert_ptr_nonnull(strstr(err, "would overwrite the trace"));

	/* Text to stdout with --max-body. */
	ck_assert_int_eq(run(tostdout, err, sizeof(err), out, sizeof(out)),
	    CX_EXIT_OK);
	ck_assert_ptr_nonnull(strstr(out, "cxrec trace "));
	ck_assert_ptr_nonnull(strstr(out, "more bytes not shown"));
}
END_TEST

/*
 * --follow: the formats that need the whole trace refuse it (one line,
 * exit 2), --idle needs it and a time; a trace no writer closes ends
 * after --idle, decoded.
 */
START_TEST(follow_options)
{
	char err[1024], out[16384];
	const char *md[] = { "decode", "--follow", "-f", "md", tg_path, NULL };
	const char *har[] = { "decode", "-f", "har", "--follow", tg_path, NULL };
	const char *idle_alone[] = { "decode", "--idle", "1s", tg_path, NULL };
	const char *idle_bad[] = { "decode", "--follow", "--idle", "soon",
	    tg_path, NULL };
	const char *idle[] = { "decode", "--follow", "--idle", "200ms", "-f",
	    "conversation", tg_path, NULL };
	const char *help[] = { "decode", "--help", NULL };

	tg_scenario(tg_path, 0);
	ck_assert_int_eq(run(md, err, sizeof(err), NULL, 0), CX_EXIT_USAGE);
	ck_assert_ptr_nonnull(strstr(err, "--follow: format 'md' needs the "
	    "whole trace"));
	ck_assert_ptr_eq(strchr(err, '\n'), err + strlen(err) - 1);
	ck_assert_int_eq(run(har, err, sizeof(err), NULL, 0), CX_EXIT_USAGE);
	ck_assert_ptr_nonnull(strstr(err, "format 'har'"));
	ck_assert_int_eq(run(idle_alone, err, sizeof(err), NULL, 0),
	    CX_EXIT_USAGE);
	ck_assert_ptr_nonnull(strstr(err, "--idle needs --follow"));
	ck_assert_int_eq(run(idle_bad, err, sizeof(err), NULL, 0),
	    CX_EXIT_USAGE);
	ck_assert_ptr_nonnull(strstr(err, "bad --idle 'soon'"));
	ck_assert_int_eq(run(idle, err, sizeof(err), out, sizeof(out)),
	    CX_EXIT_OK);
	ck_assert_ptr_nonnull(strstr(out, "== Turn 1"));
	ck_assert_int_eq(run(help, err, sizeof(err), out, sizeof(out)),
	    CX_EXIT_OK);
	ck_assert_ptr_nonnull(strstr(out, "--follow"));
	ck_assert_ptr_nonnull(strstr(out, "--idle T"));
}
END_TEST

int
main(void)
{
	Suite *s = suite_create("cmd_decode");
	TCase *tc = tcase_create("cmd_decode");
	SRunner *sr;
	int failed;

	tcase_add_checked_fixture(tc, setup, tg_teardown);
	tcase_set_timeout(tc, 30);
	tcase_add_test(tc, bad_inputs);
	tcase_add_test(tc, command_line);
	tcase_add_test(tc, follow_options);
	suite_add_tcase(s, tc);
	sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
