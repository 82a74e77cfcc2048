/* test_crc32c.c: the frames' checksum (common/crc32c.c), CRC-32C. */
#include <check.h>
#include <stdint.h>
#include <stdlib.h>

#include "trace.h"

START_TEST(known_value)
{
	/* The standard check value of CRC-32C. */
	ck_assert_uint_eq(cx_crc32c(0, "123456789", 9), 0xe3069283u);
	/* Incremental equals one-shot. */
	uint32_t c = cx_crc32c(0, "12345", 5);
	ck_assert_uint_eq(cx_crc32c(c, "6789", 4), 0xe3069283u);
	/*
	 * Long buffers go three blocks at a time (crc32c.c): the same CRC as
	 * byte by byte, whatever the length and the split.
	 */
	static uint8_t buf[3 * 4096 * 3 + 77];
	uint32_t slow = 0xffffffffu;
	for (size_t i = 0; i < sizeof(buf); i++)
		buf[i] = (uint8_t)(i * 2654435761u >> 13);
	for (size_t i = 0; i < sizeof(buf); i++) {
		slow ^= buf[i];
		for (int k = 0; k < 8; k++)
			slow = (slow & 1) ? (slow >> 1) ^ 0x82f63b78u : slow >> 1;
	}
	slow = ~slow;
	ck_assert_uint_eq(cx_crc32c(0, buf, sizeof(buf)), slow);
	for (size_t cut = 1; cut < sizeof(buf); cut += 4093) {
		c = cx_crc32c(0, buf, cut);
		ck_assert_uint_eq(cx_crc32c(c, buf + cut, sizeof(buf) - cut),
		    slow);
	}
}
END_TEST

/* Every byte value, every length up to a few blocks: against the bitwise
 * definition. */
START_TEST(short_buffers)
{
	uint8_t buf[300];

	for (size_t i = 0; i < sizeof(buf); i++)
		buf[i] = (uint8_t)(255 - i);
	for (size_t n = 0; n <= sizeof(buf); n++) {
		uint32_t slow = 0xffffffffu;

		for (size_t i = 0; i < n; i++) {
			slow ^= buf[i];
			for (int k = 0; k < 8; k++)
				slow = (slow & 1) ? (slow >> 1) ^ 0x82f63b78u :
				    slow >> 1;
		}
		ck_assert_uint_eq(cx_crc32c(0, buf, n), ~slow);
	}
	/* Nothing: the CRC given back. */
	ck_assert_uint_eq(cx_crc32c(0x12345678u, buf, 0), 0x12345678u);
}
END_TEST

int
main(void)
{
	Suite *s = suite_create("crc32c");
	TCase *tc = tcase_create("crc32c");
	SRunner *sr;
	int failed;

	tcase_add_test(tc, known_value);
	tcase_add_test(tc, short_buffers);
	suite_add_tcase(s, tc);
	sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
