/* test_trace.c: the trace format (common/trace.c): round trip, splitting,
 * corruption, many writers (its checksum: test_crc32c.c). */
#include <check.h>
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "trace.h"

static char dir[] = "/tmp/cxrec-test-trace.XXXXXX";
static char path[256];

static void
setup(void)
{
	strcpy(dir, "/tmp/cxrec-test-trace.XXXXXX");
	ck_assert_ptr_nonnull(mkdtemp(dir));
	snprintf(path, sizeof(path), "%s/t.bin", dir);
}

static void
teardown(void)
{
	char cmd[300];

	snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
	ck_assert_int_eq(system(cmd), 0);
}

static struct cx_writer *
create(void)
{
	char err[256];
	struct cx_writer *w = cx_writer_create(path, CX_W_KEEP_OLD, err,
	    sizeof(err));

	ck_assert_msg(w != NULL, "create: %s", err);
	return w;
}

static void
put(struct cx_writer *w, uint8_t kind, uint64_t conn, const char *s)
{
	struct cx_frame f = { 0 };

	f.kind = kind;
	f.source = CX_SRC_RELAY;
	f.dir = CX_DIR_REQ;
	f.conn = conn;
	f.ts_ns = cx_now_ns();
	f.pid = 42;
	f.tid = 43;
	f.payload = (const uint8_t *)s;
	f.len = (uint32_t)strlen(s);
	ck_assert_int_eq(cx_writer_put(w, &f), 0);
}

struct warns {
	int n;
	char last[256];
};

static void
collect(void *arg, const char *msg)
{
	struct warns *wa = arg;

	wa->n++;
	snprintf(wa->last, sizeof(wa->last), "%s", msg);
}

static struct cx_reader *
open_reader(struct warns *wa)
{
	char err[256];
	struct cx_reader *r = cx_reader_open(path, err, sizeof(err));

	ck_assert_msg(r != NULL, "open: %s", err);
	memset(wa, 0, sizeof(*wa));
	cx_reader_set_warn(r, collect, wa);
	return r;
}

START_TEST(test_round_trip)
{
	struct cx_writer *w = create();
	struct cx_frame f;
	struct warns wa;

	put(w, CX_K_OPEN, 7, "{\"peer\":\"127.0.0.1:1\"}");
	put(w, CX_K_DATA, 7, "GET / HTTP/1.1\r\n\r\n");
	put(w, CX_K_DATA, 7, "");
	cx_writer_close(w);

	struct stat st;
	ck_assert_int_eq(stat(path, &st), 0);
	ck_assert_int_eq(st.st_mode & 0777, 0600);

	struct cx_reader *r = open_reader(&wa);
	const struct cx_file_info *info = cx_reader_info(r);
	ck_assert_int_eq(info->version, CX_TRACE_VERSION);
	ck_assert_int_gt(info->realtime_ns, 1600000000LL * 1000000000);
	ck_assert_int_gt(info->monotonic_ns, 0);
	ck_assert_uint_eq(info->writer_pid, (uint32_t)getpid());
	ck_assert_int_gt(strlen(info->host), 0);

	ck_assert_int_eq(cx_reader_next(r, &f), 1);
	ck_assert_int_eq(f.kind, CX_K_OPEN);
	ck_assert_uint_eq(f.conn, 7);
	ck_assert_uint_eq(f.pid, 42);
	ck_assert_uint_eq(f.tid, 43);
	ck_assert_int_eq(f.source, CX_SRC_RELAY);
	ck_assert_int_ge(f.ts_ns, info->monotonic_ns);
	ck_assert_int_eq(cx_reader_next(r, &f), 1);
	ck_assert_int_eq(f.kind, CX_K_DATA);
	ck_assert_int_eq(f.dir, CX_DIR_REQ);
	ck_assert_uint_eq(f.len, 18);
	ck_assert(memcmp(f.payload, "GET / HTTP/1.1\r\n\r\n", 18) == 0);
	ck_assert_int_eq(cx_reader_next(r, &f), 1);
	ck_assert_uint_eq(f.len, 0);
	ck_assert_int_eq(cx_reader_next(r, &f), 0);
	ck_assert_int_eq(wa.n, 0);
	cx_reader_close(r);
}
END_TEST

/* cx_writer_putn: several frames in one writev, read back in order. */
START_TEST(test_putn_batch)
{
	struct cx_writer *w = create();
	struct cx_frame f[3], g;
	static const char *const body[3] = { "one", "", "three!" };
	struct warns wa;
	uint64_t frames, bytes, lost;

	memset(f, 0, sizeof(f));
	for (int i = 0; i < 3; i++) {
		f[i].kind = CX_K_DATA;
		f[i].source = CX_SRC_PRELOAD;
		f[i].dir = i == 1 ? CX_DIR_RESP : CX_DIR_REQ;
		f[i].conn = 9;
		f[i].pid = 42;
		f[i].tid = 43 + (uint32_t)i;
		f[i].ts_ns = cx_now_ns();
		f[i].payload = (const uint8_t *)body[i];
		f[i].len = (uint32_t)strlen(body[i]);
	}
	ck_assert_int_eq(cx_writer_putn(w, f, 3), 0);
	ck_assert_int_eq(cx_writer_putn(w, f, 0), 0);
	/* Too many, or a payload too large: none written, all counted. */
	ck_assert_int_eq(cx_writer_putn(w, f, CX_WRITER_BATCH + 1), -1);
	f[0].len = CX_FRAME_MAX_PAYLOAD + 1;
	ck_assert_int_eq(cx_writer_putn(w, f, 2), -1);
	cx_writer_stats(w, &frames, &bytes, &lost, NULL);
	ck_assert_uint_eq(frames, 3);
	ck_assert_uint_eq(bytes, 9);
	ck_assert_uint_eq(lost, CX_WRITER_BATCH + 1 + 2);
	cx_writer_close(w);

	struct cx_reader *r = open_reader(&wa);
	for (int i = 0; i < 3; i++) {
		ck_assert_int_eq(cx_reader_next(r, &g), 1);
		ck_assert_uint_eq(g.tid, 43 + (uint32_t)i);
		ck_assert_int_eq(g.dir, i == 1 ? CX_DIR_RESP : CX_DIR_REQ);
		ck_assert_uint_eq(g.len, strlen(body[i]));
		ck_assert(memcmp(g.payload, body[i], g.len) == 0);
	}
	ck_assert_int_eq(cx_reader_next(r, &g), 0);
	ck_assert_int_eq(wa.n, 0);
	cx_reader_close(r);
}
END_TEST

START_TEST(test_large_payload_split)
{
	size_t n = CX_FRAME_MAX_PAYLOAD * 2 + 1000;
	uint8_t *big = malloc(n);
	struct cx_writer *w = create();
	struct cx_frame f = { 0 }, g;
	struct warns wa;
	size_t got = 0;
	int frames = 0;

	for (size_t i = 0; i < n; i++)
		big[i] = (uint8_t)(i * 7);
	f.kind = CX_K_DATA;
	f.source = CX_SRC_RELAY;
	f.conn = 1;
	f.payload = big;
	f.len = (uint32_t)n;
	ck_assert_int_eq(cx_writer_put(w, &f), 0);
	cx_writer_close(w);

	struct cx_reader *r = open_reader(&wa);
	while (cx_reader_next(r, &g) == 1) {
		ck_assert(memcmp(g.payload, big + got, g.len) == 0);
		got += g.len;
		frames++;
		ck_assert_int_eq(!!(g.flags & CX_F_CONT), got < n);
	}
	ck_assert_uint_eq(got, n);
	ck_assert_int_eq(frames, 3);
	cx_reader_close(r);
	free(big);
}
END_TEST

START_TEST(test_corrupt_bytes_resync)
{
	struct cx_writer *w = create();
	struct cx_frame f;
	struct warns wa;

	put(w, CX_K_DATA, 1, "first");
	put(w, CX_K_DATA, 1, "second-frame-payload");
	put(w, CX_K_DATA, 1, "third");
	cx_writer_close(w);
	/* Flip a byte inside the second frame's payload. */
	int fd = open(path, O_RDWR);
	off_t second = CX_FILE_HEADER_LEN + CX_FRAME_HEADER_LEN + 5;
	ck_assert_int_eq(pwrite(fd, "X", 1, second + CX_FRAME_HEADER_LEN + 3), 1);
	/* And insert garbage at the end followed by a valid frame. */
	close(fd);
	w = cx_writer_attach(path, (char[128]){0}, 128);
	ck_assert_ptr_nonnull(w);
	fd = open(path, O_WRONLY | O_APPEND);
	ck_assert_int_eq(write(fd, "garbageCXFRgarbage", 18), 18);
	close(fd);
	put(w, CX_K_DATA, 1, "fourth");
	cx_writer_close(w);

	struct cx_reader *r = open_reader(&wa);
	ck_assert_int_eq(cx_reader_next(r, &f), 1);
	ck_assert(memcmp(f.payload, "first", 5) == 0);
	ck_assert_int_eq(cx_reader_next(r, &f), 1);
	ck_assert(memcmp(f.payload, "third", 5) == 0);
	ck_assert_int_eq(wa.n, 1);
	ck_assert_ptr_nonnull(strstr(wa.last, "corrupt bytes at offset"));
	ck_assert_int_eq(cx_reader_next(r, &f), 1);
	ck_assert(memcmp(f.payload, "fourth", 6) == 0);
	ck_assert_int_eq(wa.n, 2);
	ck_assert_int_eq(cx_reader_next(r, &f), 0);
	ck_assert_uint_eq(cx_reader_stats(r)->corrupt_regions, 2);
	cx_reader_close(r);
}
END_TEST

START_TEST(test_torn_tail)
{
	struct cx_writer *w = create();
	struct cx_frame f;
	struct warns wa;
	struct stat st;

	put(w, CX_K_DATA, 1, "complete");
	put(w, CX_K_DATA, 1, "torn-at-the-end");
	cx_writer_close(w);
	ck_assert_int_eq(stat(path, &st), 0);
	ck_assert_int_eq(truncate(path, st.st_size - 4), 0);

	struct cx_reader *r = open_reader(&wa);
	ck_assert_int_eq(cx_reader_next(r, &f), 1);
	ck_assert(memcmp(f.payload, "complete", 8) == 0);
	ck_assert_int_eq(cx_reader_next(r, &f), 0);
	ck_assert_int_eq(wa.n, 1);
	ck_assert_ptr_nonnull(strstr(wa.last, "incomplete frame"));
	ck_assert_uint_eq(cx_reader_stats(r)->torn_bytes,
	    CX_FRAME_HEADER_LEN + 15 - 4);
	cx_reader_close(r);
}
END_TEST

/* The bytes of one frame as a writer writes it (through a scratch trace). */
static size_t
frame_bytes(uint8_t *buf, size_t cap, uint8_t kind, const void *payload,
    size_t len)
{
	char scratch[300], err[256];
	struct cx_writer *w;
	struct cx_frame f = { 0 };
	ssize_t n;
	int fd;

	snprintf(scratch, sizeof(scratch), "%s/scratch.bin", dir);
	unlink(scratch);
	w = cx_writer_create(scratch, 0, err, sizeof(err));
	ck_assert_msg(w != NULL, "%s", err);
	f.kind = kind;
	f.source = CX_SRC_RELAY;
	f.dir = CX_DIR_RESP;
	f.conn = 9;
	f.ts_ns = cx_now_ns();
	f.payload = payload;
	f.len = (uint32_t)len;
	ck_assert_int_eq(cx_writer_put(w, &f), 0);
	cx_writer_close(w);
	fd = open(scratch, O_RDONLY);
	ck_assert_int_ge(fd, 0);
	n = pread(fd, buf, cap, CX_FILE_HEADER_LEN);
	close(fd);
	ck_assert_int_eq(n, CX_FRAME_HEADER_LEN + (ssize_t)len);
	return (size_t)n;
}

static void
append(const void *p, size_t n)
{
	int fd = open(path, O_WRONLY | O_APPEND);

	ck_assert_int_ge(fd, 0);
	ck_assert_int_eq(write(fd, p, n), (ssize_t)n);
	close(fd);
}

/*
 * Following a growing trace: a frame appended in pieces (torn mid-header,
 * then mid-payload) is waited for, never reported; garbage is reported
 * once a good frame follows it; the END frame closes it; read as
 * finished, a torn tail is reported as before.
 */
START_TEST(test_follow_growing_file)
{
	struct cx_writer *w = create();
	uint8_t fr[256];
	static const char ev[] = "data: {\"delta\":\"hello\"}\n\n";
	size_t n = frame_bytes(fr, sizeof(fr), CX_K_DATA, ev, sizeof(ev) - 1);
	struct cx_frame f;
	struct warns wa;
	char why[200];

	put(w, CX_K_OPEN, 9, "{\"peer\":\"127.0.0.1:1\"}");
	struct cx_reader *r = open_reader(&wa);
	cx_reader_set_follow(r, 1);
	ck_assert_int_eq(cx_reader_next(r, &f), 1);
	ck_assert_int_eq(f.kind, CX_K_OPEN);
	ck_assert_int_eq(cx_reader_next(r, &f), 0);
	ck_assert_int_eq(cx_reader_grow(r, why, sizeof(why)), 0);

	/* Torn inside the header, then inside the payload. */
	append(fr, 10);
	ck_assert_int_eq(cx_reader_grow(r, why, sizeof(why)), 1);
	ck_assert_int_eq(cx_reader_next(r, &f), 0);
	ck_assert_int_eq(cx_reader_next(r, &f), 0);
	append(fr + 10, CX_FRAME_HEADER_LEN + 5 - 10);
	ck_assert_int_eq(cx_reader_grow(r, why, sizeof(why)), 1);
	ck_assert_int_eq(cx_reader_next(r, &f), 0);
	append(fr + CX_FRAME_HEADER_LEN + 5, n - CX_FRAME_HEADER_LEN - 5);
	ck_assert_int_eq(cx_reader_grow(r, why, sizeof(why)), 1);
	ck_assert_int_eq(cx_reader_next(r, &f), 1);
	ck_assert_int_eq(f.kind, CX_K_DATA);
	ck_assert_uint_eq(f.len, n - CX_FRAME_HEADER_LEN);
	ck_assert(memcmp(f.payload, "data: {\"delta\"", 14) == 0);
	ck_assert_int_eq(wa.n, 0);
	ck_assert_uint_eq(cx_reader_stats(r)->torn_bytes, 0);
	ck_assert_uint_eq(cx_reader_stats(r)->corrupt_regions, 0);

	/* Garbage: said only when a good frame has come after it. */
	append("garbage!", 8);
	ck_assert_int_eq(cx_reader_grow(r, why, sizeof(why)), 1);
	ck_assert_int_eq(cx_reader_next(r, &f), 0);
	ck_assert_int_eq(wa.n, 0);
	put(w, CX_K_DATA, 9, "after");
	ck_assert_int_eq(cx_reader_grow(r, why, sizeof(why)), 1);
	ck_assert_int_eq(cx_reader_next(r, &f), 1);
	ck_assert(memcmp(f.payload, "after", 5) == 0);
	ck_assert_int_eq(wa.n, 1);
	ck_assert_ptr_nonnull(strstr(wa.last, "corrupt bytes"));
	ck_assert_uint_eq(cx_reader_stats(r)->corrupt_bytes, 8);

	/* The creator closes it: one END frame, a second call adds none. */
	ck_assert_int_eq(cx_writer_end(w, CX_SRC_RELAY), 0);
	ck_assert_int_eq(cx_writer_end(w, CX_SRC_RELAY), 0);
	ck_assert_int_eq(cx_reader_grow(r, why, sizeof(why)), 1);
	ck_assert_int_eq(cx_reader_next(r, &f), 1);
	ck_assert_int_eq(f.kind, CX_K_END);
	ck_assert_int_eq(f.source, CX_SRC_RELAY);
	ck_assert_str_eq(cx_kind_name(f.kind), "end");
	ck_assert(f.len > 10 && memcmp(f.payload, "{\"frames\":2,\"bytes\":", 20)
	    == 0);
	ck_assert_int_eq(cx_reader_next(r, &f), 0);
	ck_assert_int_eq(cx_reader_grow(r, why, sizeof(why)), 0);
	cx_writer_close(w);

	/* A straggler torn at the end: waited for while following, then
	 * reported when read as finished. */
	append(fr, 20);
	ck_assert_int_eq(cx_reader_grow(r, why, sizeof(why)), 1);
	ck_assert_int_eq(cx_reader_next(r, &f), 0);
	ck_assert_int_eq(wa.n, 1);
	cx_reader_set_follow(r, 0);
	ck_assert_int_eq(cx_reader_next(r, &f), 0);
	ck_assert_int_eq(wa.n, 2);
	ck_assert_ptr_nonnull(strstr(wa.last, "incomplete frame"));
	ck_assert_uint_eq(cx_reader_stats(r)->torn_bytes, 20);
	cx_reader_close(r);
}
END_TEST

/*
 * Following, resynchronising after garbage stops at a frame still being
 * written: a frame inside its payload is not taken for the next one.
 */
START_TEST(test_follow_resync_waits)
{
	struct cx_writer *w = create();
	uint8_t inner[256], outer[512];
	uint8_t payload[300];
	size_t ni, no;
	struct cx_frame f;
	struct warns wa;
	char why[200];

	ni = frame_bytes(inner, sizeof(inner), CX_K_DATA, "inner", 5);
	/* A payload that holds a whole frame (the trace of a trace). */
	memset(payload, 'p', sizeof(payload));
	memcpy(payload + 100, inner, ni);
	no = frame_bytes(outer, sizeof(outer), CX_K_DATA, payload,
	    sizeof(payload));
	put(w, CX_K_OPEN, 9, "{}");
	struct cx_reader *r = open_reader(&wa);
	cx_reader_set_follow(r, 1);
	ck_assert_int_eq(cx_reader_next(r, &f), 1);
	append("garbage!", 8);
	append(outer, 200);
	ck_assert_int_eq(cx_reader_grow(r, why, sizeof(why)), 1);
	ck_assert_int_eq(cx_reader_next(r, &f), 0);
	ck_assert_int_eq(wa.n, 0);
	append(outer + 200, no - 200);
	ck_assert_int_eq(cx_reader_grow(r, why, sizeof(why)), 1);
	ck_assert_int_eq(cx_reader_next(r, &f), 1);
	ck_assert_uint_eq(f.len, sizeof(payload));
	ck_assert_int_eq(wa.n, 1);
	ck_assert_uint_eq(cx_reader_stats(r)->corrupt_bytes, 8);
	ck_assert_int_eq(cx_reader_next(r, &f), 0);
	cx_reader_close(r);
	cx_writer_close(w);
}
END_TEST

/* An attached writer never ends the trace; the creator's END is last. */
START_TEST(test_end_only_by_creator)
{
	struct cx_writer *w = create(), *w2;
	struct cx_frame f;
	struct warns wa;
	char err[256];

	w2 = cx_writer_attach(path, err, sizeof(err));
	ck_assert_msg(w2 != NULL, "%s", err);
	ck_assert_int_eq(cx_writer_end(w2, CX_SRC_PRELOAD), 0);
	ck_assert_int_eq(cx_writer_end(NULL, CX_SRC_RELAY), 0);
	put(w2, CX_K_DATA, 1, "preload");
	cx_writer_close(w2);
	ck_assert_int_eq(cx_writer_end(w, CX_SRC_CLI), 0);
	cx_writer_close(w);
	struct cx_reader *r = open_reader(&wa);
	ck_assert_int_eq(cx_reader_next(r, &f), 1);
	ck_assert_int_eq(f.kind, CX_K_DATA);
	ck_assert_int_eq(cx_reader_next(r, &f), 1);
	ck_assert_int_eq(f.kind, CX_K_END);
	ck_assert_int_eq(f.source, CX_SRC_CLI);
	ck_assert_int_eq(cx_reader_next(r, &f), 0);
	cx_reader_close(r);
}
END_TEST

/* The file removed, or another at its path: following ends. */
START_TEST(test_follow_removed_or_replaced)
{
	struct cx_writer *w = create();
	struct warns wa;
	char why[200];

	put(w, CX_K_OPEN, 1, "{}");
	struct cx_reader *r = open_reader(&wa);
	cx_reader_set_follow(r, 1);
	ck_assert_int_eq(cx_reader_grow(r, why, sizeof(why)), 0);
	/* A new recording at the path: the old one becomes PATH.old. */
	struct cx_writer *w2 = create();
	/* ... still written to: what it gets is read first. */
	put(w, CX_K_DATA, 1, "late");
	ck_assert_int_eq(cx_reader_grow(r, why, sizeof(why)), 1);
	ck_assert_int_eq(cx_reader_grow(r, why, sizeof(why)), -1);
	ck_assert_str_eq(why, "the file was replaced by another");
	cx_reader_close(r);
	cx_writer_close(w);

	r = open_reader(&wa);
	cx_reader_set_follow(r, 1);
	ck_assert_int_eq(cx_reader_grow(r, why, sizeof(why)), 0);
	ck_assert_int_eq(unlink(path), 0);
	ck_assert_int_eq(cx_reader_grow(r, why, sizeof(why)), -1);
	ck_assert_str_eq(why, "the file was removed");
	cx_reader_close(r);
	cx_writer_close(w2);
}
END_TEST

START_TEST(test_not_a_trace)
{
	char err[256];
	int fd;

	/* Empty. */
	fd = open(path, O_CREAT | O_WRONLY, 0600);
	close(fd);
	ck_assert_ptr_null(cx_reader_open(path, err, sizeof(err)));
	ck_assert_ptr_nonnull(strstr(err, "not a cxrec trace"));
	/* Text. */
	fd = open(path, O_WRONLY | O_TRUNC);
	for (int i = 0; i < 20; i++)
		ck_assert_int_eq(write(fd, "hello world, not a trace\n", 25), 25);
	close(fd);
	ck_assert_ptr_null(cx_reader_open(path, err, sizeof(err)));
	ck_assert_ptr_nonnull(strstr(err, "bad magic"));
	/* Missing. */
	ck_assert_ptr_null(cx_reader_open("/nonexistent/t.bin", err, sizeof(err)));
	ck_assert_ptr_nonnull(strstr(err, "No such file"));
	/* A directory. */
	ck_assert_ptr_null(cx_reader_open(dir, err, sizeof(err)));
	ck_assert_ptr_nonnull(strstr(err, "directory"));
}
END_TEST

START_TEST(test_future_version_rejected)
{
	struct cx_writer *w = create();
	char err[256];

	cx_writer_close(w);
	int fd = open(path, O_RDWR);
	uint8_t v[2] = { 99, 0 };
	ck_assert_int_eq(pwrite(fd, v, 2, 8), 2);
	close(fd);
	ck_assert_ptr_null(cx_reader_open(path, err, sizeof(err)));
	ck_assert_ptr_nonnull(strstr(err, "version 99"));
}
END_TEST

START_TEST(test_symlink_not_followed_and_old_kept)
{
	char target[300], err[256], old[300];
	struct stat st;

	/* A symlink planted at the path is moved aside, never written through. */
	snprintf(target, sizeof(target), "%s/victim", dir);
	int fd = open(target, O_CREAT | O_WRONLY, 0644);
	ck_assert_int_ge(fd, 0);
	ck_assert_int_eq(write(fd, "keep", 4), 4);
	close(fd);
	ck_assert_int_eq(symlink(target, path), 0);
	struct cx_writer *w = cx_writer_create(path, CX_W_KEEP_OLD, err,
	    sizeof(err));
	ck_assert_msg(w != NULL, "%s", err);
	cx_writer_close(w);
	ck_assert_int_eq(stat(target, &st), 0);
	ck_assert_int_eq(st.st_size, 4);
	ck_assert_int_eq(lstat(path, &st), 0);
	ck_assert(S_ISREG(st.st_mode));
	/* Without KEEP_OLD an existing file is refused, not overwritten. */
	ck_assert_ptr_null(cx_writer_create(path, 0, err, sizeof(err)));
	ck_assert_ptr_nonnull(strstr(err, "File exists"));
	/* With it, the previous trace becomes .old. */
	w = create();
	cx_writer_close(w);
	snprintf(old, sizeof(old), "%s.old", path);
	ck_assert_int_eq(lstat(old, &st), 0);
	ck_assert(S_ISREG(st.st_mode));
	ck_assert_int_eq(st.st_size, CX_FILE_HEADER_LEN);
}
END_TEST

#define THREADS 8
#define PER_THREAD 2000

static void *
writer_thread(void *arg)
{
	struct cx_writer *w = arg;
	uint64_t conn = cx_writer_new_conn(w);
	char buf[600];

	for (int i = 0; i < PER_THREAD; i++) {
		int n = snprintf(buf, sizeof(buf), "%llu:%d:",
		    (unsigned long long)conn, i);
		memset(buf + n, 'a' + i % 26, (size_t)(i % 500));
		buf[n + i % 500] = '\0';
		put(w, CX_K_DATA, conn, buf);
	}
	return NULL;
}

static void
check_many(int writers)
{
	struct cx_frame f;
	struct warns wa;
	int count = 0;
	struct cx_reader *r = open_reader(&wa);
	int *next = calloc((size_t)writers * 4 + 1, sizeof(int));
	uint64_t *conns = calloc((size_t)writers * 4 + 1, sizeof(uint64_t));
	int nconns = 0;

	while (cx_reader_next(r, &f) == 1) {
		unsigned long long conn;
		int i, k;
		ck_assert_int_eq(sscanf((const char *)f.payload, "%llu:%d:",
		    &conn, &i), 2);
		ck_assert_uint_eq(conn, f.conn);
		for (k = 0; k < nconns && conns[k] != conn; k++)
			;
		if (k == nconns) {
			ck_assert_int_lt(nconns, writers * 4);
			conns[nconns++] = conn;
		}
		/* Each writer's frames are whole and in its order. */
		ck_assert_int_eq(i, next[k]);
		next[k]++;
		count++;
	}
	ck_assert_int_eq(wa.n, 0);
	ck_assert_int_eq(nconns, writers);
	ck_assert_int_eq(count, writers * PER_THREAD);
	cx_reader_close(r);
	free(next);
	free(conns);
}

START_TEST(test_threads_share_a_trace)
{
	struct cx_writer *w = create();
	pthread_t t[THREADS];

	for (int i = 0; i < THREADS; i++)
		pthread_create(&t[i], NULL, writer_thread, w);
	for (int i = 0; i < THREADS; i++)
		pthread_join(t[i], NULL);
	cx_writer_close(w);
	check_many(THREADS);
}
END_TEST

START_TEST(test_processes_share_a_trace)
{
	struct cx_writer *w = create();
	char err[256];
	pid_t pids[4];

	cx_writer_close(w);
	for (int i = 0; i < 4; i++) {
		if ((pids[i] = fork()) == 0) {
			struct cx_writer *cw = cx_writer_attach(path, err,
			    sizeof(err));
			if (cw == NULL)
				_exit(1);
			writer_thread(cw);
			cx_writer_close(cw);
			_exit(0);
		}
	}
	for (int i = 0; i < 4; i++) {
		int st;
		ck_assert_int_eq(waitpid(pids[i], &st, 0), pids[i]);
		ck_assert(WIFEXITED(st) && WEXITSTATUS(st) == 0);
	}
	check_many(4);
}
END_TEST

START_TEST(test_kill9_keeps_complete_frames)
{
	struct cx_writer *w = create();
	struct cx_frame f;
	struct warns wa;
	int pfd[2];
	pid_t pid;
	char c;

	cx_writer_close(w);
	ck_assert_int_eq(pipe(pfd), 0);
	if ((pid = fork()) == 0) {
		char err[256];
		struct cx_writer *cw = cx_writer_attach(path, err, sizeof(err));
		for (int i = 0;; i++) {
			char buf[64];
			snprintf(buf, sizeof(buf), "0:%d:", i);
			struct cx_frame g = { 0 };
			g.kind = CX_K_DATA;
			g.payload = (const uint8_t *)buf;
			g.len = (uint32_t)strlen(buf);
			cx_writer_put(cw, &g);
			if (i == 1000 && write(pfd[1], "x", 1) != 1)
				_exit(1);
		}
	}
	ck_assert_int_eq(read(pfd[0], &c, 1), 1);
	kill(pid, SIGKILL);
	waitpid(pid, NULL, 0);
	struct cx_reader *r = open_reader(&wa);
	int n = 0;
	while (cx_reader_next(r, &f) == 1) {
		int i;
		ck_assert_int_eq(sscanf((const char *)f.payload, "0:%d:", &i), 1);
		ck_assert_int_eq(i, n);
		n++;
	}
	ck_assert_int_gt(n, 1000);
	ck_assert_int_eq(wa.n, 0);
	cx_reader_close(r);
}
END_TEST

/* A full disk (here a file size limit): losses are counted, the rest decodes. */
START_TEST(test_write_failure_counted)
{
	struct cx_writer *w = create();
	struct warns wa;
	struct cx_frame f;
	int st;

	cx_writer_close(w);
	pid_t pid = fork();
	if (pid == 0) {
		char err[256];
		struct rlimit rl = { 4096, 4096 };
		uint64_t frames, lf, lb;
		signal(SIGXFSZ, SIG_IGN);
		setrlimit(RLIMIT_FSIZE, &rl);
		struct cx_writer *cw = cx_writer_attach(path, err, sizeof(err));
		for (int i = 0; i < 200; i++) {
			char buf[64];
			snprintf(buf, sizeof(buf), "0:%d:", i);
			struct cx_frame g = { 0 };
			g.kind = CX_K_DATA;
			g.payload = (const uint8_t *)buf;
			g.len = (uint32_t)strlen(buf);
			cx_writer_put(cw, &g);      /* never aborts */
		}
		cx_writer_stats(cw, &frames, NULL, &lf, &lb);
		/* Each frame is either written whole or counted as lost. */
		if (frames + lf != 200 || lf == 0 || lb == 0 ||
		    cx_writer_last_errno(cw) != EFBIG)
			_exit(1);
		cx_writer_close(cw);
		_exit(0);
	}
	ck_assert_int_eq(waitpid(pid, &st, 0), pid);
	ck_assert(WIFEXITED(st) && WEXITSTATUS(st) == 0);
	struct cx_reader *r = open_reader(&wa);
	int n = 0;
	while (cx_reader_next(r, &f) == 1) {
		int i;
		ck_assert_int_eq(sscanf((const char *)f.payload, "0:%d:", &i), 1);
		ck_assert_int_eq(i, n);
		n++;
	}
	ck_assert_int_gt(n, 10);
	ck_assert_int_lt(n, 200);
	cx_reader_close(r);
}
END_TEST

static Suite *
trace_suite(void)
{
	Suite *s = suite_create("trace");
	TCase *tc = tcase_create("core");

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_set_timeout(tc, 30);
	tcase_add_test(tc, test_round_trip);
	tcase_add_test(tc, test_large_payload_split);
	tcase_add_test(tc, test_corrupt_bytes_resync);
	tcase_add_test(tc, test_torn_tail);
	tcase_add_test(tc, test_follow_growing_file);
	tcase_add_test(tc, test_follow_resync_waits);
	tcase_add_test(tc, test_end_only_by_creator);
	tcase_add_test(tc, test_follow_removed_or_replaced);
	tcase_add_test(tc, test_not_a_trace);
	tcase_add_test(tc, test_future_version_rejected);
	tcase_add_test(tc, test_symlink_not_followed_and_old_kept);
	tcase_add_test(tc, test_threads_share_a_trace);
	tcase_add_test(tc, test_processes_share_a_trace);
	tcase_add_test(tc, test_kill9_keeps_complete_frames);
	tcase_add_test(tc, test_write_failure_counted);
	tcase_add_test(tc, test_putn_batch);
	suite_add_tcase(s, tc);
	return s;
}

int
main(void)
{
	SRunner *sr = srunner_create(trace_suite());
	int failed;

	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
