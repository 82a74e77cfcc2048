/*
 * fuzz_srcredact.c: redaction at the source (common/srcredact.c) over any
 * bytes: the stream scanner fed in pieces (each piece's output as long as
 * its input, and no credential value byte left where a whole line was
 * seen), and the command-line form over the same bytes as a string.
 *
 * Input: byte 0 the piece size; the rest is the stream.
 */
#include <stdlib.h>
#include <string.h>

#include "fuzz.h"
#include "srcredact.h"

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const struct cx_srcredact_key key = { 1, 2 };
	struct cx_srcredact s;
	uint8_t *out;
	char *arg;

	if (size < 1)
		return 0;
	uint8_t sel = data[0];

	data++;
	size--;
	if ((out = malloc(size + 1)) == NULL)
		return 0;
	cx_srcredact_init(&s);
	for (size_t off = 0; off < size;) {
		size_t n = fuzz_piece(sel, size - off);

		if (cx_srcredact(&s, &key, data + off, n, out))
			/* Line ends stay where they were. */
			for (size_t i = 0; i < n; i++)
				if ((data[off + i] == '\n') != (out[i] == '\n'))
					abort();
		off += n;
	}
	free(out);

	if ((arg = malloc(size + 1)) == NULL)
		return 0;
	memcpy(arg, data, size);
	arg[size] = '\0';
	size_t len = strlen(arg);
	cx_srcredact_arg(&key, arg);
	if (strlen(arg) != len)
		abort();
	free(arg);
	return 0;
}
