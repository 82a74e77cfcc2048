/* fuzz_common.c: helpers for the fuzz targets (fuzz.h). */
#include <stdio.h>
#include <sys/mman.h>
#include <unistd.h>

#include "fuzz.h"
#include "http.h"

int
fuzz_file(const uint8_t *data, size_t size, char *path, size_t len)
{
	int fd = memfd_create("cxrec-fuzz", MFD_CLOEXEC);
	size_t off = 0;

	if (fd == -1)
		return -1;
	while (off < size) {
		ssize_t n = write(fd, data + off, size - off);

		if (n <= 0) {
			close(fd);
			return -1;
		}
		off += (size_t)n;
	}
	snprintf(path, len, "/proc/self/fd/%d", fd);
	return fd;
}

void
fuzz_pieces(uint8_t sel, const uint8_t *data, size_t size, fuzz_feed_fn fn,
    void *arg)
{
	for (size_t off = 0; off < size;) {
		size_t n = fuzz_piece(sel, size - off);

		fn(arg, data + off, n);
		off += n;
	}
}

void
fuzz_http_feed(void *h, const uint8_t *p, size_t n)
{
	cx_http_feed(h, p, n);
}

void
fuzz_quiet(void *arg, const char *msg)
{
	(void)arg;
	(void)msg;
}
