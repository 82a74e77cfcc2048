/*
 * exchange_int.h: INTERNAL to the analysis (exchange*.c); nothing else
 * includes it.  The public contract is exchange.h.
 *
 * The analysis in pieces, each a concept:
 *   exchange.c         the exchanges (making, errors, freeing) and the
 *                      analysis's lifecycle (new, finish, result, free)
 *   exchange_conn.c    the connection table and each connection's process
 *   exchange_http.c    the HTTP parsers' callbacks, event streams (SSE,
 *                      decoded on the fly), WebSocket messages
 *   exchange_frames.c  the trace's frames: DATA, and the JSON ones (OPEN,
 *                      CLOSE, ROUTE, ERROR, NOTE, LOSS, PROC)
 *   exchange_end.c     a connection's end told to its exchanges
 *   exchange_stream.c  handing exchanges over as the trace goes
 *
 * Ownership as in exchange.h: the analysis owns its connections, its
 * exchanges (in r.ex until handed over) and its notes; a connection holds
 * pointers to exchanges, never owns them.
 */
#ifndef CX_EXCHANGE_INT_H
#define CX_EXCHANGE_INT_H

#include <stddef.h>
#include <stdint.h>

#include <cJSON.h>

#include "body.h"
#include "exchange.h"
#include "http.h"
#include "procs.h"
#include "sse.h"
#include "trace.h"
#include "ws.h"

#define NBUCKETS                4096
/* Streaming: how often cx_analysis_frame tries to hand exchanges over. */
#define STREAM_FLUSH_FRAMES     256
/*
 * Streaming: the bytes complete exchanges may hold while they wait out
 * the writers' skew (exchange_stream.c).  Past it they are handed over
 * once complete, whatever the trace's clock says: memory stays bounded
 * on a fast connection, whose seconds hold hundreds of megabytes.
 */
#define STREAM_HOLD_BYTES       (8u * 1024 * 1024)

/* A ROUTE or ERROR for a request whose bytes have not arrived (yet). */
struct pend {
	uint64_t         seq;
	int64_t          ts;
	char            *upstream;
	char            *route;
	char            *error;
};

struct frag;                    /* exchange_frames.c */

struct conn {
	struct conn     *next;          /* hash chain */
	struct cx_analysis *a;
	uint8_t          source;
	uint64_t         id;
	int64_t          now;           /* ts of the frame being fed */
	uint32_t         pid;
	uint32_t         tid;
	char            *comm;
	struct cx_http  *req;
	struct cx_http  *resp;
	struct cx_exchange **reqs;      /* by seq */
	size_t           nreqs;
	size_t           areqs;
	size_t           qhead;         /* reqs[qhead..] await a response */
	struct cx_exchange *creq;       /* request being parsed */
	struct cx_exchange *cresp;      /* response being parsed */
	int64_t          resp_begin;
	int              interim;       /* cresp's current message is 1xx */
	struct cx_exchange *tunnel;     /* switched protocols */
	struct cx_ws    *ws;            /* ... to WebSocket (ws.h) */
	struct cx_sse   *sse;
	struct cx_decoder *dec;
	struct pend     *pend;
	size_t           npend;
	/*
	 * TLS seen by the preload: the wire's bytes are ciphertext (tls
	 * set by the first bytes: a TLS record), counted, not parsed; the
	 * plaintext (CX_F_PLAIN frames) is parsed instead.
	 */
	int              tls;
	int              plain;         /* plaintext has come */
	uint64_t         tls_bytes[2];  /* ciphertext each way */
	/* A proxy tunnel's bytes, passed on but not recorded (its close). */
	uint64_t         unrecorded[2];
	int              tunnelled;
	char            *origin;        /* "https://host:port" (preload) */
	uint64_t         fed;           /* bytes given to the parsers */
};

struct cx_analysis {
	struct cx_file_info      info;
	struct conn             *buckets[NBUCKETS];
	struct frag             *frags;
	struct cx_procs         *procs;
	size_t                   aex;
	size_t                   anotes;
	uint64_t                 order;
	struct cx_analysis_result r;
	/* streaming (cx_analysis_stream) */
	cx_emit_fn               emit;
	void                    *emit_arg;
	int                      emit_owns;     /* cx_analysis_stream_own */
	int64_t                  now;           /* latest frame time */
	int                      live;          /* cx_analysis_caught_up */
	int64_t                  clock;         /* ... its latest now */
	uint64_t                 emitted;
	unsigned                 since_flush;
};

/* A string member of a JSON object, or NULL. */
static inline const char *
jstr(const cJSON *o, const char *key)
{
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, key);

	return cJSON_IsString(v) ? v->valuestring : NULL;
}

/* A non-negative integer member, or -1. */
static inline double
jnum(const cJSON *o, const char *key)
{
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, key);

	return cJSON_IsNumber(v) && v->valuedouble >= 0 ? v->valuedouble : -1;
}

/* exchange.c: exchanges, owned by a->r.ex from exchange_new on. */
struct cx_exchange *exchange_new(struct cx_analysis *a, uint8_t source,
    uint64_t conn, int64_t ts);
void     exchange_free(struct cx_exchange *ex);         /* NULL is fine */
/* Add an error ("; " between several, each said once). */
void     ex_add_error(struct cx_exchange *ex, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
void     ex_set_client_closed(struct cx_exchange *ex, const char *msg);
void     ex_set_route(struct cx_exchange *ex, const char *upstream,
    const char *route);
int      ex_cmp_start(const void *x, const void *y);    /* for qsort */
void     ex_finalize(struct cx_analysis *a, struct cx_exchange *ex);

/* exchange_conn.c: the connection table. */
struct conn *conn_find(struct cx_analysis *a, uint8_t source, uint64_t id);
struct conn *conn_get(struct cx_analysis *a, uint8_t source, uint64_t id);
void     conn_unlink(struct cx_analysis *a, struct conn *c);
void     conn_free(struct conn *c);                     /* NULL is fine */
void     conn_process(struct conn *c, const struct cx_frame *f,
    const cJSON *o);
struct cx_exchange *conn_exchange(struct conn *c);
/* The procs.h callback: a relay connection's process became known. */
void     conn_assign(void *arg, uint8_t source, uint64_t conn, uint32_t pid,
    uint32_t tid, const char *comm);

/* exchange_http.c: the parsers' callbacks (arg: the struct conn). */
extern const struct cx_http_cb ex_req_cb;
extern const struct cx_http_cb ex_resp_cb;
void     ex_sse_end(struct conn *c);

/* exchange_end.c */
void     conn_end(struct cx_analysis *a, struct conn *c, const char *how);
void     ex_client_done(struct cx_exchange *ex);

/* exchange_frames.c */
void     ex_frag_drop(struct cx_analysis *a, struct frag *g);

/* exchange_stream.c */
void     ex_stream_flush(struct cx_analysis *a, int all);

#endif
