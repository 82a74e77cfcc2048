/*
 * scan.h: find the next byte of interest in text, 16 bytes at a time where
 * the processor has SSE2 (every x86-64), a byte at a time elsewhere.  The
 * hot loops of decode (JSON strings, redaction) spend most of their time
 * skipping bytes that need nothing done; these do the skipping.
 *
 * Each returns the index of the first byte in p[i..n) of its class, or n.
 */
#ifndef CX_SCAN_H
#define CX_SCAN_H

#include <stddef.h>
#include <stdint.h>

#if defined(__SSE2__)
#include <emmintrin.h>
#endif

/*
 * Classes, one bit each, for the byte-at-a-time tails:
 * CX_SC_JSON   '"', '\\', a control (< 0x20) or a non-ASCII byte: where
 *              a JSON string scan has to look;
 * CX_SC_SECRET '-' (of "sk-"), 'J' (of "eyJ"), 'z' (of "AIza"), 'b' and
 *              'B' (of "Bearer"): where a secret can be recognised
 *              (redact.c);
 * CX_SC_QUOTE  '"', the other place a secret can be (a quoted key);
 * CX_SC_EOL    '\r' and '\n', the ends of lines.
 */
#define CX_SC_JSON      0x01
#define CX_SC_SECRET    0x02
#define CX_SC_QUOTE     0x04
#define CX_SC_EOL       0x08

extern const uint8_t cx_scan_class[256];

#if defined(__SSE2__)
static inline unsigned
cx_scan_mask_json(__m128i v)
{
	__m128i q = _mm_cmpeq_epi8(v, _mm_set1_epi8('"'));
	__m128i b = _mm_cmpeq_epi8(v, _mm_set1_epi8('\\'));
	/* Signed: below 0x20, and every byte from 0x80 up. */
	__m128i c = _mm_cmplt_epi8(v, _mm_set1_epi8(0x20));

	return (unsigned)_mm_movemask_epi8(_mm_or_si128(_mm_or_si128(q, b),
	    c));
}

static inline unsigned
cx_scan_mask_secret(__m128i v)
{
	__m128i d = _mm_cmpeq_epi8(v, _mm_set1_epi8('-'));
	__m128i j = _mm_cmpeq_epi8(v, _mm_set1_epi8('J'));
	__m128i z = _mm_cmpeq_epi8(v, _mm_set1_epi8('z'));
	/* 'B' | 0x20 == 'b'; no other byte ORs to it. */
	__m128i b = _mm_cmpeq_epi8(_mm_or_si128(v, _mm_set1_epi8(0x20)),
	    _mm_set1_epi8('b'));

	return (unsigned)_mm_movemask_epi8(_mm_or_si128(_mm_or_si128(d, j),
	    _mm_or_si128(z, b)));
}
#endif

/* The next byte of class cls (an OR of CX_SC_*) at or after i. */
static inline size_t
cx_scan(const uint8_t *p, size_t i, size_t n, unsigned cls)
{
#if defined(__SSE2__)
	while (i + 16 <= n) {
		__m128i v = _mm_loadu_si128((const __m128i *)(const void *)
		    (p + i));
		unsigned m = 0;

		if (cls & CX_SC_JSON)
			m |= cx_scan_mask_json(v);
		if (cls & CX_SC_SECRET)
			m |= cx_scan_mask_secret(v);
		if (cls & CX_SC_QUOTE)
			m |= (unsigned)_mm_movemask_epi8(_mm_cmpeq_epi8(v,
			    _mm_set1_epi8('"')));
		if (cls & CX_SC_EOL)
			m |= (unsigned)_mm_movemask_epi8(_mm_or_si128(
			    _mm_cmpeq_epi8(v, _mm_set1_epi8('\r')),
			    _mm_cmpeq_epi8(v, _mm_set1_epi8('\n'))));
		if (m != 0)
			return i + (size_t)__builtin_ctz(m);
		i += 16;
	}
#endif
	while (i < n && !(cx_scan_class[p[i]] & cls))
		i++;
	return i;
}

#endif
