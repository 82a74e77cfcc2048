/*
 * test_sse.c: the incremental server-sent events parser (analyzer/sse.c),
 * split at every byte, with every kind of line end.
 */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bytebuf.h"
#include "sse.h"

/* Events as "event|id|data|flags\n" lines. */
static int
on_event(void *arg, const struct cx_sse_event *ev)
{
	struct cx_buf *b = arg;

	cx_buf_adds(b, ev->event);
	cx_buf_adds(b, "|");
	cx_buf_adds(b, ev->id ? ev->id : "(none)");
	cx_buf_adds(b, "|");
	cx_buf_add(b, ev->data, ev->data_len);
	cx_buf_adds(b, "|");
	if (ev->partial)
		cx_buf_adds(b, "P");
	if (ev->truncated)
		cx_buf_adds(b, "T");
	cx_buf_adds(b, "\n");
	return 0;
}

/* Parse s cut at the given points, then finish. */
static char *
parse(const char *s, size_t len, const size_t *cuts, int ncuts, size_t max)
{
	struct cx_buf b;
	struct cx_sse *p;
	size_t from = 0;

	cx_buf_init(&b, 0);
	p = cx_sse_new(max, on_event, &b);
	for (int i = 0; i <= ncuts; i++) {
		size_t to = i < ncuts ? cuts[i] : len;

		if (cx_sse_feed(p, (const uint8_t *)s + from, to - from) != 0)
			ck_abort_msg("feed failed");
		from = to;
	}
	if (cx_sse_finish(p) != 0)
		ck_abort_msg("finish failed");
	cx_sse_free(p);
	return cx_buf_take(&b);
}

/* Whole, every two-way and three-way split, and bytewise: same events. */
static void
check(const char *s, size_t len, const char *expect)
{
	size_t cuts[2];
	char *got;

	got = parse(s, len, NULL, 0, 1 << 20);
	ck_assert_str_eq(got, expect);
	free(got);
	for (size_t i = 0; i <= len; i++) {
		cuts[0] = i;
		got = parse(s, len, cuts, 1, 1 << 20);
		if (strcmp(got, expect) != 0)
			ck_abort_msg("split at %zu:\n%s", i, got);
		free(got);
		for (size_t j = i; j <= len && len <= 300; j++) {
			cuts[1] = j;
			got = parse(s, len, cuts, 2, 1 << 20);
			if (strcmp(got, expect) != 0)
				ck_abort_msg("split at %zu,%zu:\n%s", i, j,
				    got);
			free(got);
		}
	}
	{
		size_t *all = malloc(sizeof(size_t) * (len + 1));

		for (size_t i = 0; i < len; i++)
			all[i] = i + 1;
		got = parse(s, len, all, (int)len, 1 << 20);
		ck_assert_str_eq(got, expect);
		free(got);
		free(all);
	}
}

#define CHECK(s, expect) check(s, sizeof(s) - 1, expect)

START_TEST(responses_stream)
{
	/* What the Responses API sends, with CRLF line ends. */
	CHECK("event: response.created\r\n"
	    "data: {\"type\":\"response.created\",\"sequence_number\":0}\r\n"
	    "\r\n"
	    "event: response.output_text.delta\r\n"
	    "data: {\"delta\":\"Hel\"}\r\n"
	    "\r\n"
	    "data: [DONE]\r\n\r\n",
	    "response.created|(none)|{\"type\":\"response.created\","
	    "\"sequence_number\":0}|\n"
	    "response.output_text.delta|(none)|{\"delta\":\"Hel\"}|\n"
	    "message|(none)|[DONE]|\n");
}
END_TEST

START_TEST(line_ends)
{
	const char *expect = "a|1|x\ny|\nmessage|(none)|z|\n";

	CHECK("event: a\nid: 1\ndata: x\ndata: y\n\ndata: z\n\n", expect);
	CHECK("event: a\rid: 1\rdata: x\rdata: y\r\rdata: z\r\r", expect);
	CHECK("event: a\r\nid: 1\r\ndata: x\r\ndata: y\r\n\r\ndata: z\r\n\r\n",
	    expect);
	/* Mixed, and a CR LF split across feeds counts as one line end. */
	CHECK("event: a\r\nid: 1\rdata: x\ndata: y\r\n\rdata: z\n\r\n", expect);
}
END_TEST

START_TEST(fields_and_comments)
{
	CHECK(": this is a comment\n"
	    ":another\n"
	    "data\n"                    /* no colon: empty value */
	    "data:no space\n"
	    "data:  two spaces\n"       /* only one space is removed */
	    "retry: 1000\n"
	    "unknown: field\n"
	    "\n"
	    "event: only an event\n"    /* no data: not dispatched */
	    "\n"
	    "id: 7\n"
	    "data: after\n"
	    "\n",
	    "message|(none)|\nno space\n two spaces|\n"
	    "message|7|after|\n");
}
END_TEST

START_TEST(bom_and_partial)
{
	/* A BOM is skipped, only at the start. */
	CHECK("\xef\xbb\xbf" "data: a\n\n\xef\xbb\xbf" "data: b\n\n",
	    "message|(none)|a|\n");
	/* Not quite a BOM: kept. */
	CHECK("\xef\xbb" "data: a\n\n", "");
	/* The stream ends inside an event: handed over, marked partial. */
	CHECK("data: complete\n\nevent: e\ndata: {\"delta\":\"cut",
	    "message|(none)|complete|\ne|(none)|{\"delta\":\"cut|P\n");
	CHECK("data: x\n", "message|(none)|x|P\n");
	CHECK("", "");
	CHECK("\n\n\r\n", "");
}
END_TEST

START_TEST(long_data_cut)
{
	struct cx_buf in;
	char *got;

	cx_buf_init(&in, 0);
	cx_buf_adds(&in, "data: ");
	for (int i = 0; i < 1000; i++)
		cx_buf_adds(&in, "0123456789");
	cx_buf_adds(&in, "\n\ndata: next\n\n");
	got = parse((const char *)in.p, in.len, NULL, 0, 100);
	ck_assert_str_eq(got, "message|(none)|"
	    "01234567890123456789012345678901234567890123456789"
	    "01234567890123456789012345678901234567890123|T\n"
	    "message|(none)|next|\n");
	free(got);
	cx_buf_free(&in);
}
END_TEST

START_TEST(counts)
{
	struct cx_buf b;
	struct cx_sse *p;
	const char *s = ": ping\n\ndata: 1\n\n: ping\ndata: 2\n\n";

	cx_buf_init(&b, 0);
	p = cx_sse_new(0, on_event, &b);
	ck_assert_int_eq(cx_sse_feed(p, (const uint8_t *)s, strlen(s)), 0);
	ck_assert_uint_eq(cx_sse_events(p), 2);
	ck_assert_uint_eq(cx_sse_comments(p), 2);
	cx_sse_free(p);
	cx_sse_free(NULL);
	cx_buf_free(&b);
}
END_TEST

static Suite *
sse_suite(void)
{
	Suite *s = suite_create("sse");
	TCase *tc = tcase_create("parser");

	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, responses_stream);
	tcase_add_test(tc, line_ends);
	tcase_add_test(tc, fields_and_comments);
	tcase_add_test(tc, bom_and_partial);
	tcase_add_test(tc, long_data_cut);
	tcase_add_test(tc, counts);
	suite_add_tcase(s, tc);
	return s;
}

int
main(void)
{
	SRunner *sr = srunner_create(sse_suite());
	int failed;

	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
