/*
 * test_scan.c: the byte scanners (common/scan.c, scan.h): the class table
 * says what each class holds, and cx_scan (16 bytes at a time with SSE2)
 * finds the same byte as a plain loop over the table, at every offset
 * and length, so the vector path and the tail agree.
 */
#include <check.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "scan.h"

/* The reference: a byte at a time over the table. */
static size_t
slow(const uint8_t *p, size_t i, size_t n, unsigned cls)
{
	while (i < n && !(cx_scan_class[p[i]] & cls))
		i++;
	return i;
}

START_TEST(classes)
{
	for (int c = 0; c < 256; c++) {
		int json = c == '"' || c == '\\' || c < 0x20 || c >= 0x80;
		int secret = c == '-' || c == 'J' || c == 'z' || c == 'b' ||
		    c == 'B';
		int quote = c == '"';
		int eol = c == '\r' || c == '\n';

		ck_assert_msg(!!(cx_scan_class[c] & CX_SC_JSON) == json,
		    "byte 0x%02x: JSON class", c);
		ck_assert_msg(!!(cx_scan_class[c] & CX_SC_SECRET) == secret,
		    "byte 0x%02x: secret class", c);
		ck_assert_msg(!!(cx_scan_class[c] & CX_SC_QUOTE) == quote,
		    "byte 0x%02x: quote class", c);
		ck_assert_msg(!!(cx_scan_class[c] & CX_SC_EOL) == eol,
		    "byte 0x%02x: end-of-line class", c);
	}
}
END_TEST

START_TEST(examples)
{
	const uint8_t *s = (const uint8_t *)
	    "plain text with nothing in it at all, and then \"a quote";
	size_t n = strlen((const char *)s);
	const uint8_t *k = (const uint8_t *)"aaaaaaaaaaaaaaaaaaaa Bearer x";

	ck_assert_uint_eq(cx_scan(s, 0, n, CX_SC_JSON),
	    (size_t)(strchr((const char *)s, '"') - (const char *)s));
	ck_assert_uint_eq(cx_scan(s, 0, n, CX_SC_QUOTE),
	    cx_scan(s, 0, n, CX_SC_JSON));
	ck_assert_uint_eq(cx_scan(s, 0, n, CX_SC_EOL), n);
	ck_assert_uint_eq(cx_scan(s, n, n, CX_SC_JSON), n);
	ck_assert_uint_eq(cx_scan(k, 0, strlen((const char *)k), CX_SC_SECRET),
	    21);
	ck_assert_uint_eq(cx_scan((const uint8_t *)"line\r\n", 0, 6,
	    CX_SC_EOL), 4);
	/* A non-ASCII byte is one the JSON scan stops at. */
	ck_assert_uint_eq(cx_scan((const uint8_t *)"abcdefghijklmnopq\xc3\xa9",
	    0, 19, CX_SC_JSON), 17);
	/* Classes combine. */
	ck_assert_uint_eq(cx_scan((const uint8_t *)"xxxxxxxxxxxxxxxxxxxx\nz", 0,
	    22, CX_SC_SECRET | CX_SC_EOL), 20);
}
END_TEST

/* Every class mix, a byte of interest at every place, every start. */
START_TEST(same_as_byte_loop)
{
	static const unsigned cls[] = { CX_SC_JSON, CX_SC_SECRET, CX_SC_QUOTE,
	    CX_SC_EOL, CX_SC_JSON | CX_SC_SECRET, CX_SC_SECRET | CX_SC_QUOTE,
	    CX_SC_JSON | CX_SC_SECRET | CX_SC_QUOTE | CX_SC_EOL };
	uint8_t buf[80];
	unsigned r = 7;
	size_t bad = 0;         /* disagreements (one assertion: fast) */

	for (size_t c = 0; c < sizeof(cls) / sizeof(cls[0]); c++) {
		for (int b = 0; b < 256; b++) {
			for (size_t at = 0; at < 48; at += 5) {
				memset(buf, 'a', sizeof(buf));
				buf[at] = (uint8_t)b;
				for (size_t i = 0; i < 40; i += 3)
					bad += cx_scan(buf, i, 64, cls[c]) !=
					    slow(buf, i, 64, cls[c]);
			}
		}
		/* Random bytes, random bounds. */
		for (int round = 0; round < 2000; round++) {
			size_t i, n;

			for (size_t j = 0; j < sizeof(buf); j++) {
				r = r * 1103515245 + 12345;
				/* mostly letters: runs long enough for the
				 * 16-byte steps */
				buf[j] = (r >> 16) % 9 == 0 ? (uint8_t)(r >> 8) :
				    (uint8_t)('c' + (r >> 20) % 20);
			}
			r = r * 1103515245 + 12345;
			n = (r >> 8) % (sizeof(buf) + 1);
			i = n ? (r >> 20) % n : 0;
			bad += cx_scan(buf, i, n, cls[c]) != slow(buf, i, n,
			    cls[c]);
		}
	}
	ck_assert_uint_eq(bad, 0);
}
END_TEST

int
main(void)
{
	Suite *s = suite_create("scan");
	TCase *tc = tcase_create("scan");
	SRunner *sr;
	int failed;

	tcase_add_test(tc, classes);
	tcase_add_test(tc, examples);
	tcase_add_test(tc, same_as_byte_loop);
	suite_add_tcase(s, tc);
	sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
