/*
 * fuzz.h: what the fuzz targets (tests/fuzz/fuzz_*.c) share.
 *
 * Each target defines LLVMFuzzerTestOneInput.  Built with clang's
 * -fsanitize=fuzzer it is a libFuzzer binary (`make fuzz`); built with
 * driver.c instead it replays the corpus and the crash regressions under
 * `make check` (and ASan/UBSan under SAN=1).
 */
#ifndef CX_FUZZ_H
#define CX_FUZZ_H

#include <stddef.h>
#include <stdint.h>

int     LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/*
 * Streams are fed in pieces, as they arrive from a socket: sel (an input
 * byte) picks the piece size, 0 the whole rest at once.
 */
static inline size_t
fuzz_piece(uint8_t sel, size_t left)
{
	size_t n = sel == 0 ? left : (size_t)(sel % 61) + 1;

	return n < left ? n : left;
}

/* Feed data[0..size) to fn in pieces chosen by sel (fuzz_piece). */
typedef void (*fuzz_feed_fn)(void *arg, const uint8_t *p, size_t n);
void    fuzz_pieces(uint8_t sel, const uint8_t *data, size_t size,
    fuzz_feed_fn fn, void *arg);

/* A fuzz_feed_fn for the analyzer's HTTP parser (struct cx_http *). */
void    fuzz_http_feed(void *h, const uint8_t *p, size_t n);

/*
 * The input as a file the trace reader can open: a memfd, named by its
 * /proc/self/fd path in path (at least 32 bytes).  Returns the fd to
 * close, or -1.
 */
int     fuzz_file(const uint8_t *data, size_t size, char *path, size_t len);

/* A warn hook that says nothing (damage is what the fuzzer makes). */
void    fuzz_quiet(void *arg, const char *msg);

#endif
