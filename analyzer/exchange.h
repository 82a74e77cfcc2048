/*
 * exchange.h: from trace frames to HTTP exchanges.
 *
 * An analysis takes the frames of a trace in file order.  For every
 * connection (a writer's source and conn id) it feeds the two byte streams
 * to an HTTP parser each, pairs responses with requests in order
 * (keep-alive, pipelining, interim 1xx), attaches the relay's ROUTE and
 * ERROR frames by request index, parses event streams as they arrive, and
 * closes the books at the CLOSE frame or the end of the trace.  Exchanges
 * cut short carry an error saying what happened; a response without a
 * request, and an error about no known request, become exchanges of their
 * own, so nothing the trace holds is dropped.
 *
 * Memory: one connection's parser state while it is open, and for every
 * exchange its header fields, its raw bodies (each at most
 * CX_EXCHANGE_MAX_BODY bytes; more is counted, not kept) and its events.
 *
 * Ownership: the analysis owns every exchange and note; pointers returned
 * by cx_analysis_result are valid until cx_analysis_free.
 */
#ifndef CX_EXCHANGE_H
#define CX_EXCHANGE_H

#include <stddef.h>
#include <stdint.h>

#include "bytebuf.h"
#include "procs.h"
#include "trace.h"

#define CX_EXCHANGE_MAX_BODY    (256u * 1024 * 1024)
#define CX_NO_SEQ               UINT64_MAX

struct cx_field {
	char            *name;
	char            *value;
};

struct cx_fields {
	struct cx_field *v;
	size_t           n;
};

/* One server-sent event of a text/event-stream response. */
struct cx_event {
	int64_t          ts;            /* arrival of its last byte */
	char            *event;         /* "message" by default */
	char            *id;            /* NULL: no id field */
	char            *data;          /* NUL-terminated, data_len bytes;
					 * event and id live in its block */
	size_t           data_len;
	int              partial;       /* the stream ended inside it */
	int              truncated;     /* its data was cut */
};

/* A WebSocket message on an upgraded connection (ws.h). */
struct cx_wsmsg {
	int64_t          ts;            /* its last frame's arrival */
	uint8_t          dir;           /* enum cx_ws_dir: 0 from the client */
	uint8_t          opcode;        /* enum cx_ws_opcode */
	uint8_t          compressed;    /* permessage-deflate: inflated */
	uint8_t          truncated;
	uint8_t          partial;       /* the stream ended inside it */
	int              close_code;    /* close: its code, 0 if none */
	char            *data;          /* NUL-terminated, len bytes */
	size_t           len;
	char            *note;          /* a problem with it, or NULL */
};

/* A 1xx interim response (100 Continue, 103 Early Hints). */
struct cx_interim {
	int              status;
	char            *reason;
	struct cx_fields fields;
	int64_t          ts;
};

struct cx_msg {
	int              complete;      /* its last byte arrived */
	int              head_done;     /* start line and fields parsed */
	int              version;       /* 10, 11; 0 if the head is missing */
	char            *method;        /* requests */
	char            *target;
	int              status;        /* responses */
	char            *reason;
	struct cx_fields fields;
	struct cx_fields trailers;
	struct cx_buf    body;          /* de-chunked, still encoded; capped */
	uint64_t         body_bytes;    /* all body bytes, kept or not */
	int64_t          t_first;       /* first byte (the final response's) */
	int64_t          t_last;        /* last byte seen */
	/* responses */
	struct cx_interim *interim;
	size_t           ninterim;
	int              sse;           /* text/event-stream: events, no body */
	struct cx_event *events;
	size_t           nevents;
	size_t           aevents;
	uint64_t         event_bytes;   /* data held in events */
	int              events_cut;    /* events dropped at the cap */
	char            *sse_encoding;  /* Content-Encoding decoded on the fly */
	uint64_t         sse_decoded;
	int              sse_decoded_cut;
	char            *sse_error;     /* the on-the-fly decoding failed */
};

struct cx_exchange {
	uint64_t         id;            /* 1, 2, ... as handed over: start
					 * order; settle order following a
					 * trace (cx_analysis_caught_up) */
	uint64_t         order;         /* 0, 1, ...: the order the trace
					 * first shows each (ties; export ids) */
	uint64_t         conn;
	uint8_t          source;        /* enum cx_source (or unknown) */
	uint64_t         seq;           /* request index on conn, CX_NO_SEQ */
	uint32_t         pid;           /* 0: unknown */
	uint32_t         tid;
	char            *comm;          /* NULL: unknown */
	/* What is known of process pid (procs.h), or NULL; set when the
	 * exchange is handed over, valid until cx_analysis_free. */
	const struct cx_proc *proc;
	int64_t          start;         /* CLOCK_MONOTONIC ns */
	int              has_req;
	int              has_resp;
	struct cx_msg    req;
	struct cx_msg    resp;
	char            *upstream;      /* ROUTE: absolute URL */
	char            *route;         /* ROUTE: the route prefix */
	char            *error;         /* NULL: none; "; " between several */
	/*
	 * The client closed the connection before the response ended.  An
	 * error, unless the stream had already sent its final event (codex
	 * closes right after response.completed): then only a note.
	 */
	char            *client_closed;
	char            *note;          /* NULL: none */
	uint64_t         tunnel_req;    /* bytes after a protocol switch */
	uint64_t         tunnel_resp;
	/* after a switch to WebSocket: its messages, both ways, in order */
	struct cx_wsmsg *ws;
	size_t           nws;
	size_t           aws;
	uint64_t         ws_bytes;
	int              ws_cut;        /* more than CX_EXCHANGE_MAX_BODY */
	int              ws_deflate;    /* permessage-deflate negotiated */
};

/* A frame kept as is: notes, losses, errors not about a connection. */
struct cx_note {
	int64_t          ts;
	uint8_t          kind;          /* CX_K_NOTE, CX_K_LOSS, CX_K_ERROR */
	uint8_t          source;
	char            *text;          /* the payload, NUL-terminated */
	size_t           len;
};

struct cx_analysis_result {
	struct cx_exchange **ex;        /* sorted, after cx_analysis_finish */
	size_t           nex;
	struct cx_note  *notes;         /* in trace order */
	size_t           nnotes;
	uint64_t         frames;
	uint64_t         connections;
	uint64_t         bytes_req;     /* DATA bytes client to server */
	uint64_t         bytes_resp;    /* and back */
	uint64_t         lost_frames;   /* LOSS frames, summed */
	uint64_t         lost_bytes;
	const struct cx_procs *procs;   /* the processes seen (procs.h) */
};

struct cx_analysis;

/* info: the trace's header (its writer_pid tells the relay's own pid). */
struct cx_analysis *cx_analysis_new(const struct cx_file_info *info);
void     cx_analysis_free(struct cx_analysis *a);       /* NULL is fine */
/* One frame, in trace order; f->payload is only read during the call. */
void     cx_analysis_frame(struct cx_analysis *a, const struct cx_frame *f);
/* The trace ended: close what is open, sort, number the exchanges. */
void     cx_analysis_finish(struct cx_analysis *a);
/*
 * Streaming: hand each exchange to fn, in start order, as soon as nothing
 * later in the trace can change it or start before it (its messages are
 * complete and 2 s of trace time have passed, or its connection ended),
 * then free it.  Memory then holds only the exchanges still open, and
 * complete ones for those 2 s up to a budget (a few MiB: past it they go
 * as soon as they are complete, so a fast connection cannot fill memory
 * in its 2 s).  The result's ex array holds just those; call before the
 * first frame.
 */
typedef void (*cx_emit_fn)(void *arg, struct cx_exchange *ex);
void     cx_analysis_stream(struct cx_analysis *a, cx_emit_fn fn, void *arg);
/*
 * The same, but fn takes each exchange over: it frees it, with
 * cx_exchange_free, when it likes (another thread may), no later than
 * cx_analysis_free (ex->proc points into the analysis).
 */
void     cx_analysis_stream_own(struct cx_analysis *a, cx_emit_fn fn,
    void *arg);
void     cx_exchange_free(struct cx_exchange *ex);      /* NULL is fine */
/* The bytes ex holds: its bodies, events and WebSocket messages. */
uint64_t cx_exchange_held(const struct cx_exchange *ex);
/*
 * Streaming a trace still being written (decode --follow): every frame
 * the writers had written by now (CLOCK_MONOTONIC, the trace's clock) has
 * been read.  Hands over each exchange that has settled by now less
 * CX_FOLLOW_SLACK_NS (the writers' skew: a frame is stamped a little
 * before it is written), without the 2 s of trace time, and from the
 * first call on, without waiting for an earlier exchange still open: in
 * the order they settle, in start order among those settling together.
 */
#define CX_FOLLOW_SLACK_NS      (100LL * 1000000)
void     cx_analysis_caught_up(struct cx_analysis *a, int64_t now);
const struct cx_analysis_result *cx_analysis_result(
    const struct cx_analysis *a);

/* The value of the first field called name (any case), or NULL. */
const char *cx_fields_get(const struct cx_fields *f, const char *name);

#endif
