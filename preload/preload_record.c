/*
 * preload_record.c: the preload's frames: the JSON ones (open, close,
 * error), and the data a connection moves, in frames of bounded size
 * taken from the program's own memory, its credentials hidden first under
 * --redact-at-source (srcredact.h).
 */
#include <pthread.h>
#include <stdio.h>
#include <string.h>

#include "preload_int.h"
#include "srcredact.h"

/*
 * --redact-at-source: the scanner's state for each connection, both ways,
 * shared by every descriptor on it (a dup), found by connection id in an
 * open-addressed table; a connection that finds its slot taken by a live
 * other one, or the table full, is not recorded (hidden, never leaked).
 * Scans run under the slot's stripe lock: two threads on one socket queue
 * rather than lose state.
 */
#define NRED    4096

static struct redslot {
	uint64_t         conn;          /* 0: free */
	struct cx_srcredact_conn red;
	uint8_t          plain[2];      /* plaintext seen that way */
} redtab[NRED];

static void
frame(uint8_t kind, uint8_t dir, uint8_t flags, uint64_t conn,
    const struct iovec *iov, int iovcnt)
{
	struct cx_writer *w = pl_writer();
	struct cx_frame f;

	if (w == NULL)
		return;
	memset(&f, 0, sizeof(f));
	f.kind = kind;
	f.source = CX_SRC_PRELOAD;
	f.dir = dir;
	f.flags = flags;
	f.conn = conn;
	f.ts_ns = cx_now_ns();
	f.pid = pl_st.pid;      /* kept right across fork (preload_state.c) */
	f.tid = (uint32_t)pl_tid();
	if (pl_ring_put(w, &f, iov, iovcnt) == 0)
		return;
	cx_writer_putv(w, &f, iov, iovcnt);
}

void
pl_json_frame(uint8_t kind, uint64_t conn, struct cx_jobj *j)
{
	struct iovec v;

	v.iov_len = cx_jobj_end(j);
	v.iov_base = j->p;
	frame(kind, 0, 0, conn, &v, 1);
}

/*
 * Data of n bytes gathered in iov (the first n bytes of it), in frames of
 * at most 16 pieces and CX_FRAME_MAX_PAYLOAD bytes: never a copy of a
 * large write (the writer would flatten it into one allocation).
 */
static void
data_raw(uint64_t conn, uint8_t dir, uint8_t flags, const struct iovec *iov,
    int iovcnt, size_t n)
{
	struct iovec v[16];
	size_t in_frame = 0;
	int k = 0;

	for (int i = 0; i < iovcnt && n > 0; i++) {
		const uint8_t *p = iov[i].iov_base;
		size_t len = iov[i].iov_len < n ? iov[i].iov_len : n;

		n -= len;
		while (len > 0) {
			size_t take = len;

			if (take > CX_FRAME_MAX_PAYLOAD - in_frame)
				take = CX_FRAME_MAX_PAYLOAD - in_frame;
			v[k].iov_base = (void *)(uintptr_t)p;
			v[k++].iov_len = take;
			in_frame += take;
			p += take;
			len -= take;
			if (k == 16 || in_frame == CX_FRAME_MAX_PAYLOAD) {
				frame(CX_K_DATA, dir, flags, conn, v, k);
				k = 0;
				in_frame = 0;
			}
		}
	}
	if (k > 0)
		frame(CX_K_DATA, dir, flags, conn, v, k);
}

static void
raw1(uint64_t conn, uint8_t dir, uint8_t flags, const void *p, size_t n)
{
	struct iovec v = { (void *)(uintptr_t)p, n };

	if (n > 0)
		data_raw(conn, dir, flags, &v, 1, n);
}

/* conn's slot, locked (*lk set), claimed if need be (claim); NULL if
 * none. */
static struct redslot *
red_slot(uint64_t conn, pthread_mutex_t **lk, int claim)
{
	unsigned h = (unsigned)((conn ^ conn >> 32) * 2654435761u) % NRED;

	/* Its own slot first (a slot before it may have been freed since),
	 * then, to claim, the first free one. */
	for (int pass = 0; pass <= claim; pass++)
		for (unsigned i = 0; i < 8; i++) {
			unsigned j = (h + i) % NRED;
			struct redslot *r = &redtab[j];

			*lk = &pl_stripe[j % NSTRIPE];
			pthread_mutex_lock(*lk);
			if (r->conn == conn)
				return r;
			if (pass == 1 && r->conn == 0) {
				memset(r, 0, sizeof(*r));
				r->conn = conn;
				return r;
			}
			pthread_mutex_unlock(*lk);
		}
	return NULL;
}

/* The connection is gone: its slot is free. */
void
pl_red_forget(uint64_t conn)
{
	pthread_mutex_t *lk;
	struct redslot *r;

	if (!pl_st.redact || (r = red_slot(conn, &lk, 0)) == NULL)
		return;
	r->conn = 0;
	pthread_mutex_unlock(lk);
}

/*
 * Data on a connection, with credential headers hidden first when
 * `--redact-at-source` asked (srcredact.h): scanned in slices through a
 * buffer on the stack, the slices left alone recorded from the program's
 * memory as one frame.  Plaintext starting on a connection starts its
 * scan afresh (the handshake's bytes are not HTTP).  An HTTP/2 connection
 * cannot be redacted: nothing more of it is recorded, said once in an
 * error frame.
 */
void
pl_data(uint64_t conn, uint8_t dir, uint8_t flags, const struct iovec *iov,
    int iovcnt, size_t n)
{
	pthread_mutex_t *lk;
	struct redslot *r;
	uint8_t buf[2048];
	int d = dir == CX_DIR_REQ ? 0 : 1, rc = 0;

	if (!pl_st.redact) {
		data_raw(conn, dir, flags, iov, iovcnt, n);
		return;
	}
	if ((r = red_slot(conn, &lk, 1)) == NULL)
		return;                 /* no state to scan with: hidden */
	if ((flags & CX_F_PLAIN) && !r->plain[d]) {
		r->plain[d] = 1;
		cx_srcredact_init(&r->red.dir[d]);
	}
	for (int i = 0; i < iovcnt && n > 0 && rc < CX_SRCREDACT_DROP; i++) {
		const uint8_t *p = iov[i].iov_base, *keep = p;
		size_t len = iov[i].iov_len < n ? iov[i].iov_len : n;

		n -= len;
		while (len > 0) {
			size_t k = len < sizeof(buf) ? len : sizeof(buf);

			rc = cx_srcredact_conn(&r->red, d, &pl_st.key, p, k,
			    buf);
			if (rc >= CX_SRCREDACT_DROP)
				break;
			if (rc == 1) {
				raw1(conn, dir, flags, keep,
				    (size_t)(p - keep));
				raw1(conn, dir, flags, buf, k);
				keep = p + k;
			}
			p += k;
			len -= k;
		}
		if (rc < CX_SRCREDACT_DROP)
			raw1(conn, dir, flags, keep, (size_t)(p - keep));
	}
	pthread_mutex_unlock(lk);
	if (rc == CX_SRCREDACT_DROP) {
		char js[256];
		struct cx_jobj j;

		cx_jobj_begin(&j, js, sizeof(js));
		cx_jobj_str(&j, "error", "HTTP/2 is not recorded under "
		    "--redact-at-source: its headers are compressed and "
		    "cannot be hidden");
		pl_json_frame(CX_K_ERROR, conn, &j);
	}
}

