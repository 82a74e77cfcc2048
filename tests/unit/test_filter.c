/* test_filter.c: decode's filters (--pid, --conn, --path, --since, --until). */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "decode.h"
#include "trace.h"

static char dir[64], path[256];
static struct cx_file_info info;

static void
put(struct cx_writer *w, uint8_t kind, uint8_t d, uint64_t conn, uint32_t pid,
    double ms, const char *s)
{
	struct cx_frame f;

	memset(&f, 0, sizeof(f));
	f.kind = kind;
	f.source = CX_SRC_RELAY;
	f.dir = d;
	f.conn = conn;
	f.pid = pid;
	f.ts_ns = info.monotonic_ns + (int64_t)(ms * 1e6);
	f.payload = (const uint8_t *)s;
	f.len = (uint32_t)strlen(s);
	ck_assert_int_eq(cx_writer_put(w, &f), 0);
}

static void
exchange(struct cx_writer *w, uint64_t conn, uint32_t pid, double ms,
    const char *target)
{
	char req[256];

	snprintf(req, sizeof(req), "GET %s HTTP/1.1\r\nHost: x\r\n\r\n", target);
	put(w, CX_K_DATA, CX_DIR_REQ, conn, pid, ms, req);
	put(w, CX_K_DATA, CX_DIR_RESP, conn, pid, ms + 1,
	    "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok");
}

static void
setup(void)
{
	char err[256];
	struct cx_writer *w;
	struct cx_reader *r;

	strcpy(dir, "/tmp/cxrec-test-filter.XXXXXX");
	ck_assert_ptr_nonnull(mkdtemp(dir));
	snprintf(path, sizeof(path), "%s/t.bin", dir);
	w = cx_writer_create(path, 0, err, sizeof(err));
	ck_assert_ptr_nonnull(w);
	r = cx_reader_open(path, err, sizeof(err));
	info = *cx_reader_info(r);
	cx_reader_close(r);
	/* Frames carry the client's pid (as the preload's and probe's will). */
	exchange(w, 11, 100, 100, "/v1/responses");
	exchange(w, 11, 100, 2000, "/v1/models");
	exchange(w, 22, 200, 5000, "/backend-api/codex/responses");
	cx_writer_close(w);
}

static void
teardown(void)
{
	char cmd[128];

	snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
	ck_assert_int_eq(system(cmd), 0);
}

/* The targets decode keeps, space-separated. */
static char *
kept(const struct cx_decode_filter *flt)
{
	struct cx_decode_opts o;
	char *buf = NULL, err[256], *line, *save, *out;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);

	memset(&o, 0, sizeof(o));
	o.format = "jsonl";
	o.filter = *flt;
	ck_assert_int_eq(cx_decode(path, &o, f, err, sizeof(err)), 0);
	fclose(f);
	out = calloc(1, len + 1);
	for (line = strtok_r(buf, "\n", &save); line != NULL;
	    line = strtok_r(NULL, "\n", &save)) {
		char *u = strstr(line, "\"url\":\"");
		ck_assert_ptr_nonnull(u);
		u += 7;
		if (out[0])
			strcat(out, " ");
		strncat(out, u, strcspn(u, "\""));
	}
	free(buf);
	return out;
}

#define KEPT(flt, want) do { char *k_ = kept(flt); \
	ck_assert_str_eq(k_, want); free(k_); } while (0)

START_TEST(test_filters)
{
	struct cx_decode_filter flt;

	memset(&flt, 0, sizeof(flt));
	KEPT(&flt, "/v1/responses /v1/models /backend-api/codex/responses");
	flt.has_pid = 1;
	flt.pid = 100;
	KEPT(&flt, "/v1/responses /v1/models");
	memset(&flt, 0, sizeof(flt));
	flt.has_conn = 1;
	flt.conn = 22;
	KEPT(&flt, "/backend-api/codex/responses");
	memset(&flt, 0, sizeof(flt));
	flt.path = "/v1/";
	KEPT(&flt, "/v1/responses /v1/models");
	memset(&flt, 0, sizeof(flt));
	flt.has_since = 1;
	flt.since_ns = 1000000000;
	KEPT(&flt, "/v1/models /backend-api/codex/responses");
	flt.has_until = 1;
	flt.until_ns = 3000000000;
	KEPT(&flt, "/v1/models");
	flt.path = "/backend-api/";
	KEPT(&flt, "");
}
END_TEST

START_TEST(test_parse_offset)
{
	int64_t ns;

	ck_assert_int_eq(cx_parse_offset("90", &ns), 0);
	ck_assert_int_eq(ns, 90000000000LL);
	ck_assert_int_eq(cx_parse_offset("1.5s", &ns), 0);
	ck_assert_int_eq(ns, 1500000000LL);
	ck_assert_int_eq(cx_parse_offset("250ms", &ns), 0);
	ck_assert_int_eq(ns, 250000000LL);
	ck_assert_int_eq(cx_parse_offset("2m", &ns), 0);
	ck_assert_int_eq(ns, 120000000000LL);
	ck_assert_int_eq(cx_parse_offset("1h", &ns), 0);
	ck_assert_int_eq(cx_parse_offset("1x", &ns), -1);
	ck_assert_int_eq(cx_parse_offset("-1", &ns), -1);
	ck_assert_int_eq(cx_parse_offset("", &ns), -1);
	ck_assert_int_eq(cx_parse_offset("nan", &ns), -1);
}
END_TEST

int
main(void)
{
	Suite *s = suite_create("filter");
	TCase *tc = tcase_create("core");
	SRunner *sr;
	int failed;

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, test_filters);
	tcase_add_test(tc, test_parse_offset);
	suite_add_tcase(s, tc);
	sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
