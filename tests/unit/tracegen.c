/* tracegen.c: synthetic traces for the decode tests (see tracegen.h). */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tracegen.h"

char                    tg_dir[64];
char                    tg_path[256];
struct cx_file_info     tg_info;

void
tg_setup(const char *name)
{
	snprintf(tg_dir, sizeof(tg_dir), "/tmp/cxrec-test-%s.XXXXXX", name);
	ck_assert_ptr_nonnull(mkdtemp(tg_dir));
	snprintf(tg_path, sizeof(tg_path), "%s/trace.bin", tg_dir);
}

void
tg_teardown(void)
{
	char cmd[300];

	snprintf(cmd, sizeof(cmd), "rm -rf %s", tg_dir);
	ck_assert_int_eq(system(cmd), 0);
}

struct cx_writer *
tg_create(const char *p)
{
	char err[256];
	struct cx_writer *w = cx_writer_create(p, 0, err, sizeof(err));
	struct cx_reader *r;

	ck_assert_msg(w != NULL, "create: %s", err);
	/* The anchor the frames' times are relative to. */
	r = cx_reader_open(p, err, sizeof(err));
	ck_assert_msg(r != NULL, "open: %s", err);
	tg_info = *cx_reader_info(r);
	cx_reader_close(r);
	return w;
}

void
tg_put(struct cx_writer *w, uint8_t kind, uint8_t source, uint8_t dir,
    uint64_t conn, double t, const void *p, size_t n)
{
	struct cx_frame f;

	memset(&f, 0, sizeof(f));
	f.kind = kind;
	f.source = source;
	f.dir = dir;
	f.conn = conn;
	f.ts_ns = tg_info.monotonic_ns + (int64_t)(t * MS);
	f.payload = p;
	f.len = (uint32_t)n;
	ck_assert_int_eq(cx_writer_put(w, &f), 0);
}
