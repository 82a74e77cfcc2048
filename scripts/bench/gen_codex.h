/*
 * gen_codex.h: gen_trace's made-up codex exchanges (gen_codex.c): a request
 * and its streamed response, deterministic from the seed.  Part of the
 * decode benchmark, not of cxrec.
 */
#ifndef GEN_CODEX_H
#define GEN_CODEX_H

#include <stddef.h>
#include <stdint.h>

#define MS(x)   ((int64_t)(x) * 1000000)
#define US(x)   ((int64_t)(x) * 1000)

/* A growable byte string, NUL-terminated; the owner frees p. */
struct sb {
	char   *p;
	size_t  len, cap;
};

/* One frame of the response: a chunk, or the terminating chunk. */
struct event {
	size_t  off, len;       /* the chunk (size line, data, CRLF) in resp */
	int64_t gap_ns;         /* after the previous frame */
};

/* A response; the owner frees bytes.p and ev. */
struct resp {
	struct sb       bytes;  /* the whole response as the client got it */
	size_t          head_len;
	struct event   *ev;
	int             nev, cap;
	int             seq;
	const char     *id;
};

/* Start the random sequence everything below draws from. */
void     gen_seed(uint64_t seed);
/* Uniform in [lo, hi]. */
uint64_t rnd(uint64_t lo, uint64_t hi);
/* A random UUIDv7-looking string. */
void     uuid(char out[37]);
/*
 * Request turn of session: its head and its body (~18-23 KB of JSON); or,
 * when turn_bytes is not 0, a turn of one long session: a body resending
 * the same instructions and every earlier turn (about turn_bytes each, the
 * same bytes each time), so that bodies grow with the turn.
 */
void     make_request(struct sb *head, struct sb *body, const char *session,
    int turn, size_t turn_bytes);
/* The response to exchange n: head, 40-60 events, the terminating chunk. */
void     make_response(struct resp *r, int n, const char *session);

#endif
