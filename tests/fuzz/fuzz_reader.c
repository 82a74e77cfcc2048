/*
 * fuzz_reader.c: the trace reader (common/trace.c) over any bytes: every
 * frame it returns lies inside the file, then again after a rewind, and
 * with pages released as it goes.
 */
#include <stdlib.h>
#include <unistd.h>

#include "fuzz.h"
#include "trace.h"

static void
read_all(struct cx_reader *r, size_t size)
{
	struct cx_frame f;

	while (cx_reader_next(r, &f) == 1) {
		if (f.offset + CX_FRAME_HEADER_LEN + f.len > size)
			abort();        /* a frame outside the file */
		if (f.len > 0 && f.payload == NULL)
			abort();
	}
	(void)cx_reader_stats(r);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char path[64], err[256];
	struct cx_reader *r;
	int fd = fuzz_file(data, size, path, sizeof(path));

	if (fd == -1)
		return 0;
	if ((r = cx_reader_open(path, err, sizeof(err))) != NULL) {
		cx_reader_set_warn(r, fuzz_quiet, NULL);
		read_all(r, size);
		cx_reader_rewind(r);
		cx_reader_set_release(r, 1);
		read_all(r, size);
		cx_reader_close(r);
	}
	close(fd);
	return 0;
}
