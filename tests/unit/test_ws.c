/*
 * test_ws.c: WebSocket frames to messages (analyzer/ws.c): masking,
 * lengths, fragmentation with control frames between, permessage-deflate
 * with and without context takeover, input split at every byte, and
 * corrupt input (a note, never a crash).
 */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <zlib.h>

#include "bytebuf.h"
#include "ws.h"

struct got {
	int              n;
	int              dir[64], opcode[64], compressed[64], code[64];
	char             data[64][80000];
	size_t           len[64];
	const char      *note[64];
};

static struct got g;

static int
on_msg(void *arg, const struct cx_ws_msg *m)
{
	(void)arg;
	ck_assert_int_lt(g.n, 64);
	g.dir[g.n] = m->dir;
	g.opcode[g.n] = m->opcode;
	g.compressed[g.n] = m->compressed;
	g.code[g.n] = m->close_code;
	ck_assert_uint_lt(m->len, sizeof(g.data[0]));
	memcpy(g.data[g.n], m->data, m->len);
	g.data[g.n][m->len] = '\0';
	g.len[g.n] = m->len;
	g.note[g.n] = m->note;
	g.n++;
	return 0;
}

/* One frame into b. */
static void
frame(struct cx_buf *b, int fin, int rsv1, int opcode, int masked,
    const void *p, size_t n)
{
	static const uint8_t key[4] = { 0x12, 0x34, 0x56, 0x78 };
	uint8_t h[14];
	size_t k = 2;

	h[0] = (uint8_t)((fin ? 0x80 : 0) | (rsv1 ? 0x40 : 0) | opcode);
	if (n < 126)
		h[1] = (uint8_t)n;
	else if (n < 65536) {
		h[1] = 126;
		h[2] = (uint8_t)(n >> 8);
		h[3] = (uint8_t)n;
		k = 4;
	} else {
		h[1] = 127;
		for (int i = 0; i < 8; i++)
			h[2 + i] = (uint8_t)((uint64_t)n >> (56 - 8 * i));
		k = 10;
	}
	if (masked) {
		h[1] |= 0x80;
		memcpy(h + k, key, 4);
		k += 4;
	}
	cx_buf_add(b, h, k);
	for (size_t i = 0; i < n; i++) {
		uint8_t c = ((const uint8_t *)p)[i];

		cx_buf_addc(b, masked ? c ^ key[i & 3] : c);
	}
}

/* Feed b to a new parser in pieces of `step` bytes (0: at once). */
static void
feed(const char *ext, enum cx_ws_dir dir, const struct cx_buf *b, size_t step,
    int expect_fail)
{
	struct cx_ws *w = cx_ws_new(ext, on_msg, NULL);
	int rc = 0;

	memset(&g, 0, sizeof(g));
	for (size_t i = 0; i < b->len && rc == 0; i += step ? step : b->len)
		rc = cx_ws_feed(w, dir, b->p + i, step && b->len - i > step ?
		    step : b->len - i);
	cx_ws_finish(w);
	if (expect_fail)
		ck_assert_ptr_nonnull(cx_ws_error(w, dir));
	else
		ck_assert_msg(cx_ws_error(w, dir) == NULL, "%s",
		    cx_ws_error(w, dir));
	cx_ws_free(w);
}

START_TEST(frames_split_anywhere)
{
	static char big[70000];
	struct cx_buf b;

	memset(big, 'x', sizeof(big));
	cx_buf_init(&b, 0);
	frame(&b, 1, 0, CX_WS_TEXT, 1, "{\"type\":\"response.create\"}", 26);
	frame(&b, 1, 0, CX_WS_BINARY, 1, "\x00\x01\x02", 3);
	frame(&b, 1, 0, CX_WS_TEXT, 1, big, 300);          /* 16-bit length */
	frame(&b, 1, 0, CX_WS_TEXT, 1, big, sizeof(big));  /* 64-bit */
	for (size_t step = 0; step <= 17; step += (step < 3 ? 1 : 7)) {
		feed(NULL, CX_WS_CLIENT, &b, step, 0);
		ck_assert_int_eq(g.n, 4);
		ck_assert_str_eq(g.data[0], "{\"type\":\"response.create\"}");
		ck_assert_int_eq(g.opcode[1], CX_WS_BINARY);
		ck_assert_uint_eq(g.len[1], 3);
		ck_assert_int_eq(memcmp(g.data[1], "\x00\x01\x02", 3), 0);
		ck_assert_uint_eq(g.len[2], 300);
		ck_assert_uint_eq(g.len[3], sizeof(big));
		ck_assert_int_eq(g.dir[0], CX_WS_CLIENT);
	}
	cx_buf_free(&b);
}
END_TEST

START_TEST(fragments_and_control_frames)
{
	struct cx_buf b;

	cx_buf_init(&b, 0);
	frame(&b, 0, 0, CX_WS_TEXT, 0, "Hel", 3);
	frame(&b, 1, 0, CX_WS_PING, 0, "p", 1);    /* between fragments */
	frame(&b, 0, 0, CX_WS_CONT, 0, "lo, ", 4);
	frame(&b, 1, 0, CX_WS_CONT, 0, "world", 5);
	frame(&b, 1, 0, CX_WS_PONG, 0, "", 0);
	frame(&b, 1, 0, CX_WS_CLOSE, 0, "\x03\xe8" "bye", 5);
	for (size_t step = 0; step < 6; step++) {
		feed(NULL, CX_WS_SERVER, &b, step, 0);
		ck_assert_int_eq(g.n, 4);
		ck_assert_int_eq(g.opcode[0], CX_WS_PING);
		ck_assert_str_eq(g.data[0], "p");
		ck_assert_int_eq(g.opcode[1], CX_WS_TEXT);
		ck_assert_str_eq(g.data[1], "Hello, world");
		ck_assert_int_eq(g.opcode[2], CX_WS_PONG);
		ck_assert_int_eq(g.opcode[3], CX_WS_CLOSE);
		ck_assert_int_eq(g.code[3], 1000);
		ck_assert_str_eq(g.data[3], "bye");
	}
	cx_buf_free(&b);
}
END_TEST

/* Raw deflate of s with a sync flush, the 4 tail bytes taken off. */
static void
deflated(z_stream *z, const char *s, struct cx_buf *out)
{
	uint8_t buf[4096];

	z->next_in = (Bytef *)(uintptr_t)s;
	z->avail_in = (uInt)strlen(s);
	do {
		z->next_out = buf;
		z->avail_out = sizeof(buf);
		ck_assert_int_ne(deflate(z, Z_SYNC_FLUSH), Z_STREAM_ERROR);
		cx_buf_add(out, buf, sizeof(buf) - z->avail_out);
	} while (z->avail_out == 0);
	ck_assert_uint_ge(out->len, 4);
	ck_assert_int_eq(memcmp(out->p + out->len - 4, "\x00\x00\xff\xff", 4),
	    0);
	out->len -= 4;
}

static void
deflate_case(int takeover)
{
	const char *msgs[3] = {
		"{\"type\":\"response.output_text.delta\",\"delta\":\"Hello\"}",
		"{\"type\":\"response.output_text.delta\",\"delta\":\"Hello\"}",
		"{\"type\":\"response.completed\",\"response\":{\"status\":"
		    "\"completed\"}}",
	};
	struct cx_buf b, c;
	z_stream z;

	memset(&z, 0, sizeof(z));
	ck_assert_int_eq(deflateInit2(&z, 6, Z_DEFLATED, -15, 8,
	    Z_DEFAULT_STRATEGY), Z_OK);
	cx_buf_init(&b, 0);
	for (int i = 0; i < 3; i++) {
		cx_buf_init(&c, 0);
		deflated(&z, msgs[i], &c);
		if (i == 2) {
			/* fragmented: the compressed bytes in two frames */
			frame(&b, 0, 1, CX_WS_TEXT, 0, c.p, c.len / 2);
			frame(&b, 1, 0, CX_WS_CONT, 0, c.p + c.len / 2,
			    c.len - c.len / 2);
		} else
			frame(&b, 1, 1, CX_WS_TEXT, 0, c.p, c.len);
		cx_buf_free(&c);
		if (!takeover)
			deflateReset(&z);
	}
	deflateEnd(&z);
	for (size_t step = 0; step < 4; step++) {
		feed(takeover ? "permessage-deflate; client_max_window_bits" :
		    "x-other, permessage-deflate; server_no_context_takeover; "
		    "client_no_context_takeover", CX_WS_SERVER, &b, step, 0);
		ck_assert_int_eq(g.n, 3);
		for (int i = 0; i < 3; i++) {
			ck_assert_str_eq(g.data[i], msgs[i]);
			ck_assert_int_eq(g.compressed[i], 1);
		}
	}
	cx_buf_free(&b);
}

START_TEST(deflate_with_context)
{
	deflate_case(1);
}
END_TEST

START_TEST(deflate_without_context)
{
	deflate_case(0);
}
END_TEST

START_TEST(corrupt_input)
{
	struct cx_buf b;

	/* an unknown opcode */
	cx_buf_init(&b, 0);
	frame(&b, 1, 0, CX_WS_TEXT, 1, "ok", 2);
	frame(&b, 1, 0, 3, 1, "x", 1);
	frame(&b, 1, 0, CX_WS_TEXT, 1, "never", 5);
	feed(NULL, CX_WS_CLIENT, &b, 0, 1);
	ck_assert_int_eq(g.n, 1);
	ck_assert_str_eq(g.data[0], "ok");
	cx_buf_free(&b);
	/* a control frame over 125 bytes */
	cx_buf_init(&b, 0);
	static char big[200];
	frame(&b, 1, 0, CX_WS_PING, 0, big, sizeof(big));
	feed(NULL, CX_WS_SERVER, &b, 1, 1);
	ck_assert_int_eq(g.n, 0);
	cx_buf_free(&b);
	/* a continuation with nothing to continue; RSV1 not negotiated */
	cx_buf_init(&b, 0);
	frame(&b, 1, 0, CX_WS_CONT, 0, "x", 1);
	feed(NULL, CX_WS_SERVER, &b, 0, 1);
	cx_buf_free(&b);
	cx_buf_init(&b, 0);
	frame(&b, 1, 1, CX_WS_TEXT, 0, "x", 1);
	feed(NULL, CX_WS_SERVER, &b, 0, 1);
	cx_buf_free(&b);
	/* bad deflate data: shown raw with a note, then the side stops */
	cx_buf_init(&b, 0);
	frame(&b, 1, 1, CX_WS_TEXT, 0, "\xff\xff\xff\xff garbage", 12);
	frame(&b, 1, 1, CX_WS_TEXT, 0, "more", 4);
	feed("permessage-deflate", CX_WS_SERVER, &b, 0, 1);
	ck_assert_int_eq(g.n, 1);
	ck_assert_ptr_nonnull(g.note[0]);
	ck_assert_ptr_nonnull(strstr(g.note[0], "bad deflate data"));
	cx_buf_free(&b);
	/* the stream ends inside a message: handed over, partial */
	cx_buf_init(&b, 0);
	frame(&b, 0, 0, CX_WS_TEXT, 0, "half", 4);
	feed(NULL, CX_WS_SERVER, &b, 0, 0);
	ck_assert_int_eq(g.n, 1);
	ck_assert_str_eq(g.data[0], "half");
	ck_assert_ptr_nonnull(g.note[0]);
	cx_buf_free(&b);
	/* random bytes: no crash, whatever they say */
	unsigned r = 1;
	for (int round = 0; round < 2000; round++) {
		uint8_t junk[64];
		struct cx_ws *w = cx_ws_new(round % 2 ? "permessage-deflate" :
		    NULL, on_msg, NULL);

		for (size_t i = 0; i < sizeof(junk); i++) {
			r = r * 1103515245 + 12345;
			junk[i] = (uint8_t)(r >> 16);
		}
		memset(&g, 0, sizeof(g));
		cx_ws_feed(w, (enum cx_ws_dir)(round % 2), junk, sizeof(junk));
		cx_ws_finish(w);
		cx_ws_free(w);
	}
}
END_TEST

int
main(void)
{
	Suite *s = suite_create("ws");
	TCase *tc = tcase_create("ws");
	SRunner *sr;
	int failed;

	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, frames_split_anywhere);
	tcase_add_test(tc, fragments_and_control_frames);
	tcase_add_test(tc, deflate_with_context);
	tcase_add_test(tc, deflate_without_context);
	tcase_add_test(tc, corrupt_input);
	suite_add_tcase(s, tc);
	sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
