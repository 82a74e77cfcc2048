/*
 * fuzz_reader.c: the trace reader (common/trace.c) over any bytes: every
 * frame it returns lies inside the file, then again after a rewind, and
 * with pages released as it goes; and following the file as it grows
 * (appended in pieces, each looked at with cx_reader_grow), then read as
 * finished, it returns the same frames and finds the same damage as
 * reading it whole.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "fuzz.h"
#include "trace.h"

/* What a reading returned: the frames, hashed in order, and how many. */
struct seen {
	uint64_t hash;
	uint64_t n;
};

static void
read_all(struct cx_reader *r, size_t size, struct seen *s)
{
	struct cx_frame f;

	while (cx_reader_next(r, &f) == 1) {
		if (f.offset + CX_FRAME_HEADER_LEN + f.len > size)
			abort();        /* a frame outside the file */
		if (f.len > 0 && f.payload == NULL)
			abort();
		if (s != NULL) {
			s->hash = s->hash * 1000003 + f.offset * 31 + f.len;
			s->n++;
		}
	}
	(void)cx_reader_stats(r);
}

static int
append(int fd, const uint8_t *p, size_t n)
{
	while (n > 0) {
		ssize_t k = write(fd, p, n);

		if (k <= 0)
			return -1;
		p += k;
		n -= (size_t)k;
	}
	return 0;
}

/* Follow data as it is written in pieces (the last byte picks their
 * size): the same as want, whole. */
static void
follow(const uint8_t *data, size_t size, const struct seen *want,
    const struct cx_reader_stats *damage)
{
	char path[64], err[256], why[300];
	size_t off = CX_FILE_HEADER_LEN;
	struct seen got = { 0, 0 };
	struct cx_reader *r;
	const struct cx_reader_stats *st;
	uint8_t sel = data[size - 1];
	int fd = memfd_create("cxrec-fuzz-follow", MFD_CLOEXEC);

	if (fd == -1)
		return;
	snprintf(path, sizeof(path), "/proc/self/fd/%d", fd);
	if (append(fd, data, off) == -1 ||
	    (r = cx_reader_open(path, err, sizeof(err))) == NULL) {
		close(fd);
		return;
	}
	cx_reader_set_warn(r, fuzz_quiet, NULL);
	cx_reader_set_follow(r, 1);
	read_all(r, off, &got);
	while (off < size) {
		size_t n = fuzz_piece(sel, size - off);

		if (append(fd, data + off, n) == -1)
			abort();
		off += n;
		if (cx_reader_grow(r, why, sizeof(why)) != 1)
			abort();        /* it grew */
		read_all(r, off, &got);
	}
	if (cx_reader_grow(r, why, sizeof(why)) != 0)
		abort();        /* nothing more, and still the same file */        /* nothing more, and still the same file */
	cx_reader_set_follow(r, 0);
	read_all(r, size, &got);
	st = cx_reader_stats(r);
	if (got.n != want->n || got.hash != want->hash ||
	    st->corrupt_regions != damage->corrupt_regions ||
	    st->corrupt_bytes != damage->corrupt_bytes ||
	    st->torn_bytes != damage->torn_bytes)
		abort();        /* following saw another trace */
	cx_reader_close(r);
	close(fd);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char path[64], err[256];
	struct cx_reader *r;
	struct cx_reader_stats damage;
	struct seen whole = { 0, 0 };
	int fd = fuzz_file(data, size, path, sizeof(path));

	if (fd == -1)
		return 0;
	if ((r = cx_reader_open(path, err, sizeof(err))) != NULL) {
		cx_reader_set_warn(r, fuzz_quiet, NULL);
		read_all(r, size, &whole);
		damage = *cx_reader_stats(r);
		cx_reader_rewind(r);
		cx_reader_set_release(r, 1);
		read_all(r, size, NULL);
		cx_reader_close(r);
		follow(data, size, &whole, &damage);
	}
	close(fd);
	return 0;
}
