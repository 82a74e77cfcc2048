/* crc32c.c: CRC-32C (Castagnoli), with the SSE4.2 instruction where the CPU has it. */
#include <pthread.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "trace.h"

static uint32_t table[256];
static int table_ready;

static void
table_init(void)
{
	for (uint32_t i = 0; i < 256; i++) {
		uint32_t c = i;
		for (int k = 0; k < 8; k++)
			c = (c & 1) ? (c >> 1) ^ 0x82f63b78u : c >> 1;
		table[i] = c;
	}
	__atomic_store_n(&table_ready, 1, __ATOMIC_RELEASE);
}

static uint32_t
crc_sw(uint32_t crc, const uint8_t *p, size_t len)
{
	if (!__atomic_load_n(&table_ready, __ATOMIC_ACQUIRE))
		table_init();
	while (len--)
		crc = table[(crc ^ *p++) & 0xff] ^ (crc >> 8);
	return crc;
}

#if defined(__x86_64__)
/*
 * Three streams at once: the crc32 instruction takes 3 cycles but can
 * start one a cycle, so a buffer is cut into three blocks of BLK bytes
 * whose CRCs are computed together, then joined: the CRC of A then B is
 * the CRC of A shifted over len(B) zero bytes, XOR the CRC of B from 0
 * (the register is linear).  The shift over BLK bytes is a fixed linear
 * map of 32 bits: four byte tables, made once.
 */
#define BLK_LOG2        10      /* even: see shift_init */
#define BLK             (1u << BLK_LOG2)

static uint32_t shift_tab[4][256];
static pthread_once_t shift_once = PTHREAD_ONCE_INIT;

/* 32x32 matrices over GF(2), a column a bit, as zlib's crc32_combine. */
static uint32_t
gf2_times(const uint32_t *m, uint32_t v)
{
	uint32_t r = 0;

	for (int i = 0; v != 0; i++, v >>= 1)
		if (v & 1)
			r ^= m[i];
	return r;
}

static void
gf2_square(uint32_t *sq, const uint32_t *m)
{
	for (int i = 0; i < 32; i++)
		sq[i] = gf2_times(m, m[i]);
}

static void
shift_init(void)
{
	uint32_t odd[32], even[32];
	uint32_t row = 1;

	/* One zero bit: the reflected polynomial's step. */
	odd[0] = 0x82f63b78u;
	for (int i = 1; i < 32; i++) {
		odd[i] = row;
		row <<= 1;
	}
	gf2_square(even, odd);          /* 2 bits */
	gf2_square(odd, even);          /* 4 bits */
	gf2_square(even, odd);          /* 1 byte */
	/* BLK = 2^BLK_LOG2 bytes: that many more squarings. */
	for (int k = 0; k < BLK_LOG2; k++) {
		if (k % 2 == 0)
			gf2_square(odd, even);
		else
			gf2_square(even, odd);
	}
	/* After an even number of squarings the map is in even. */
	for (int t = 0; t < 4; t++)
		for (uint32_t b = 0; b < 256; b++)
			shift_tab[t][b] = gf2_times(even, b << (8 * t));
}

static uint32_t
shift_blk(uint32_t c)
{
	return shift_tab[0][c & 0xff] ^ shift_tab[1][(c >> 8) & 0xff] ^
	    shift_tab[2][(c >> 16) & 0xff] ^ shift_tab[3][c >> 24];
}

__attribute__((target("sse4.2"))) static uint32_t
crc_hw(uint32_t crc, const uint8_t *p, size_t len)
{
	uint64_t c = crc;

	if (len >= 3 * BLK) {
		pthread_once(&shift_once, shift_init);
		while (len >= 3 * BLK) {
			uint64_t c1 = 0, c2 = 0;

			for (size_t i = 0; i < BLK; i += 8) {
				uint64_t v0, v1, v2;

				memcpy(&v0, p + i, 8);
				memcpy(&v1, p + BLK + i, 8);
				memcpy(&v2, p + 2 * BLK + i, 8);
				c = __builtin_ia32_crc32di(c, v0);
				c1 = __builtin_ia32_crc32di(c1, v1);
				c2 = __builtin_ia32_crc32di(c2, v2);
			}
			c = shift_blk(shift_blk((uint32_t)c) ^ (uint32_t)c1) ^
			    (uint32_t)c2;
			p += 3 * BLK;
			len -= 3 * BLK;
		}
	}
	while (len >= 8) {
		uint64_t v;
		memcpy(&v, p, 8);
		c = __builtin_ia32_crc32di(c, v);
		p += 8;
		len -= 8;
	}
	crc = (uint32_t)c;
	while (len--)
		crc = __builtin_ia32_crc32qi(crc, *p++);
	return crc;
}
#endif

uint32_t
cx_crc32c(uint32_t crc, const void *buf, size_t len)
{
	crc = ~crc;
#if defined(__x86_64__)
	static int hw = -1;
	int h = __atomic_load_n(&hw, __ATOMIC_RELAXED);
	if (h < 0) {
		h = __builtin_cpu_supports("sse4.2") ? 1 : 0;
		__atomic_store_n(&hw, h, __ATOMIC_RELAXED);
	}
	if (h)
		return ~crc_hw(crc, buf, len);
#endif
	return ~crc_sw(crc, buf, len);
}
