/*
 * fuzz_decode.c: `cxrec decode` end to end (analyzer/decode.c and every
 * output format) over a trace whose frames the fuzzer changes.
 *
 * The input is a trace.  Before decoding, the checksums of the file
 * header and of every frame that can be walked from it are recomputed, so
 * a changed payload byte reaches the parsers instead of stopping at the
 * reader's checksum (fuzz_reader covers damaged frames).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "decode.h"
#include "output.h"
#include "fuzz.h"
#include "trace.h"

static uint32_t
get32(const uint8_t *p)
{
	return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 |
	    (uint32_t)p[3] << 24;
}

static void
put32(uint8_t *p, uint32_t v)
{
	p[0] = (uint8_t)v;
	p[1] = (uint8_t)(v >> 8);
	p[2] = (uint8_t)(v >> 16);
	p[3] = (uint8_t)(v >> 24);
}

/* Make the checksums hold, as far as frames can be walked. */
static void
reseal(uint8_t *t, size_t size)
{
	size_t off = CX_FILE_HEADER_LEN;

	if (size < CX_FILE_HEADER_LEN)
		return;
	put32(t + 124, cx_crc32c(0, t, 124));
	while (size - off >= CX_FRAME_HEADER_LEN) {
		uint8_t *h = t + off;
		uint32_t len = get32(h + 4), crc;

		if (len > CX_FRAME_MAX_PAYLOAD ||
		    len > size - off - CX_FRAME_HEADER_LEN)
			break;
		put32(h, CX_FRAME_MAGIC);
		put32(h + 12, 0);
		crc = cx_crc32c(0, h, CX_FRAME_HEADER_LEN);
		crc = cx_crc32c(crc, h + CX_FRAME_HEADER_LEN, len);
		put32(h + 12, crc);
		off += CX_FRAME_HEADER_LEN + len;
	}
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static FILE *null;
	struct cx_decode_opts o;
	char path[64], err[256];
	uint8_t *t;
	int fd;

	if (null == NULL && (null = fopen("/dev/null", "w")) == NULL)
		return 0;
	if ((t = malloc(size ? size : 1)) == NULL)
		return 0;
	memcpy(t, data, size);
	reseal(t, size);
	fd = fuzz_file(t, size, path, sizeof(path));
	free(t);
	if (fd == -1)
		return 0;
	for (size_t fmt = 0; cx_out_formats[fmt] != NULL; fmt++) {
		memset(&o, 0, sizeof(o));
		o.format = cx_out_formats[fmt]->name;
		o.warn = fuzz_quiet;
		o.max_body = fmt == 0 ? 512 : 0;        /* text, cut */
		cx_decode(path, &o, null, err, sizeof(err));
	}
	close(fd);
	return 0;
}
