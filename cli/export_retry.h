/*
 * export_retry.h: waiting for a destination that does not answer, for the
 * continuous export (`cxrec export --follow`, docs/fleet.md): backoff from
 * CX_RETRY_FIRST_NS doubling to CX_RETRY_MAX_NS, said on standard error in
 * one line when it starts failing and one when it answers again (not at
 * each attempt), cut short by *stop.
 */
#ifndef CX_EXPORT_RETRY_H
#define CX_EXPORT_RETRY_H

#include <signal.h>
#include <stdint.h>

#define CX_RETRY_FIRST_NS       (250LL * 1000000)
#define CX_RETRY_MAX_NS         (10LL * 1000000000)

struct cx_retry {
	volatile sig_atomic_t *stop;    /* NULL: never */
	int64_t          delay;         /* the next wait; 0: not failing */
	int64_t          since;         /* failing since (cx_now_ns) */
	uint64_t         attempts;
};

/* Not failing, stopping when *stop (may be NULL). */
void     cx_retry_init(struct cx_retry *r, volatile sig_atomic_t *stop);
/* It failed (why: one line): say so the first time, wait the backoff.
 * 0 to try again, -1 when stopping. */
int      cx_retry_wait(struct cx_retry *r, const char *why);
/* It answered: say so if it had been failing, with what (may be NULL). */
void     cx_retry_ok(struct cx_retry *r, const char *what);

#endif
