/*
 * trace.h: the cxrec trace format, its writer and its reader.
 *
 * A trace is a file header followed by self-delimiting frames.  Every
 * integer is little-endian on disk, whatever the host.  The layout is
 * described byte by byte in docs/trace-format.md: bump CX_TRACE_VERSION
 * whenever anything here changes incompatibly.  Readers reject versions
 * they do not know.
 *
 * Writers: several (the relay's threads, preloaded processes, the probe)
 * may append to one trace at once.  Each frame goes to the kernel in one
 * write(2) on an O_APPEND descriptor, so frames never interleave and every
 * frame the kernel has accepted survives a kill -9 of the writer.
 */
#ifndef CX_TRACE_H
#define CX_TRACE_H

#include <stddef.h>
#include <stdint.h>
#include <sys/uio.h>

#define CX_TRACE_MAGIC          "CXTRACE\n"     /* 8 bytes */
#define CX_TRACE_VERSION        1
#define CX_FILE_HEADER_LEN      128
#define CX_FRAME_MAGIC          0x52465843u     /* "CXFR" little-endian */
#define CX_FRAME_HEADER_LEN     40
#define CX_FRAME_MAX_PAYLOAD    (256u * 1024)   /* writers split larger data */

/* Frame kinds. */
enum cx_kind {
	CX_K_OPEN = 1,          /* connection opened; payload: JSON object */
	CX_K_CLOSE = 2,         /* connection closed; payload: JSON object */
	CX_K_DATA = 3,          /* bytes on a connection; payload: raw bytes */
	CX_K_PROC = 4,          /* process info; payload: JSON object */
	CX_K_ERROR = 5,         /* an error; payload: JSON object */
	CX_K_NOTE = 6,          /* a note (cxrec run); payload: JSON object */
	CX_K_ROUTE = 7,         /* where a request went; payload: JSON object */
	CX_K_LOSS = 8,          /* data the writer could not record; JSON */
	CX_K_END = 9,           /* the trace is complete (cx_writer_end) */
};

/* Who wrote a frame. */
enum cx_source {
	CX_SRC_RELAY = 1,
	CX_SRC_PRELOAD = 2,
	CX_SRC_PROBE = 3,
	CX_SRC_CLI = 4,         /* cxrec itself (notes, process info) */
	CX_SRC_PROXY = 5,       /* the relay's forward proxy (docs/proxy.md) */
};

/* Direction of a DATA frame. */
enum cx_dir {
	CX_DIR_NONE = 0,
	CX_DIR_REQ = 1,         /* client to server: requests */
	CX_DIR_RESP = 2,        /* server to client: responses */
};

/* Frame flags. */
#define CX_F_CONT       0x01    /* payload continues in the next frame */
#define CX_F_PLAIN      0x02    /* data: TLS plaintext (the preload's
				 * SSL_read/SSL_write), not the wire's bytes */

/*
 * One frame as the reader returns it and the writer takes it.  payload
 * points into the reader's mapping (valid until cx_reader_close) or at the
 * writer's caller's memory.
 */
struct cx_frame {
	uint8_t          kind;
	uint8_t          source;
	uint8_t          dir;
	uint8_t          flags;
	uint64_t         conn;          /* 0: not tied to a connection */
	int64_t          ts_ns;         /* CLOCK_MONOTONIC */
	uint32_t         pid;           /* 0: unknown */
	uint32_t         tid;           /* 0: unknown */
	const uint8_t   *payload;
	uint32_t         len;
	uint64_t         offset;        /* reader: file offset of the frame */
};

/* The file header's contents. */
struct cx_file_info {
	uint16_t version;
	uint32_t flags;
	int64_t  realtime_ns;   /* CLOCK_REALTIME at the anchor */
	int64_t  monotonic_ns;  /* CLOCK_MONOTONIC at the same instant */
	uint32_t writer_pid;
	char     host[64];
};

uint32_t cx_crc32c(uint32_t crc, const void *buf, size_t len);
int64_t  cx_now_ns(void);       /* CLOCK_MONOTONIC in ns */

/* --- Writer ------------------------------------------------------------ */

struct cx_writer;

/* cx_writer_create flags */
#define CX_W_KEEP_OLD   0x01    /* rename an existing file to FILE.old */
#define CX_W_REDACTED   0x02    /* set CX_FILE_REDACTED in the header */

/* The file header's flags (struct cx_file_info.flags) */
#define CX_FILE_REDACTED 0x01   /* recorded with --redact-at-source: every
				 * writer hides credential headers */

/*
 * Create a new trace at path (mode 0600, O_EXCL, never following a
 * symlink) and write its header.  Returns NULL with errno set and a message
 * in err.
 */
struct cx_writer *cx_writer_create(const char *path, int flags, char *err,
    size_t errlen);
/* Append to an existing trace (a second writer).  Same error convention. */
struct cx_writer *cx_writer_attach(const char *path, char *err, size_t errlen);
/* An attached writer: the trace header's flags (CX_FILE_*); else 0. */
uint32_t cx_writer_file_flags(const struct cx_writer *w);
/* The descriptor the writer writes to. */
int      cx_writer_fd(const struct cx_writer *w);
/*
 * Move the writer to a descriptor at least min (close-on-exec), closing
 * the old one: for a writer inside another program (the preload), out of
 * the way of the numbers it uses.  0, or -1 (errno) with nothing changed.
 */
int      cx_writer_move_fd(struct cx_writer *w, int min);
/*
 * The trace is complete: write its END frame ({"frames":N,"bytes":N}, what
 * this writer wrote before it), which tells a reader following the trace
 * (cx_reader_set_follow) that nothing more is coming.  Only a writer that
 * created the trace (cx_writer_create) writes it, once, as its last frame;
 * for an attached writer, or a second call, nothing is written.  source:
 * who closes it (CX_SRC_RELAY, CX_SRC_CLI).  0, or -1 as cx_writer_put.
 * NULL is fine.
 */
int      cx_writer_end(struct cx_writer *w, uint8_t source);
/* Flush nothing (frames are never buffered), close, free.  NULL is fine.
 * It writes no END frame: cx_writer_end does. */
void     cx_writer_close(struct cx_writer *w);

/* A connection id unique within the trace: writer pid << 32 | counter. */
uint64_t cx_writer_new_conn(struct cx_writer *w);

/*
 * Write one frame (f->payload, f->len; f->offset ignored).  Payloads over
 * CX_FRAME_MAX_PAYLOAD are split into several frames, all but the last
 * flagged CX_F_CONT.  Thread-safe.  Returns 0, or -1 if the frame could not
 * be written in full: it is then counted as lost (cx_writer_lost) and the
 * caller carries on.
 */
int      cx_writer_put(struct cx_writer *w, const struct cx_frame *f);
/* The same with the payload gathered from iov (total at most the max). */
int      cx_writer_putv(struct cx_writer *w, const struct cx_frame *f,
    const struct iovec *iov, int iovcnt);
/*
 * Several whole frames (n at most CX_WRITER_BATCH, each payload at most
 * CX_FRAME_MAX_PAYLOAD, f[i].offset ignored) in one writev: in this order,
 * never interleaved with another writer's.  For a writer that has many at
 * once (cxrec run draining a preload's ring): one system call, not one a
 * frame.  0, or -1 if they could not all be written in full: then all n
 * are counted as lost.
 */
#define CX_WRITER_BATCH 64
int      cx_writer_putn(struct cx_writer *w, const struct cx_frame *f, int n);
/*
 * A JSON-payload frame (open, route, note, ...): j's object, ended here,
 * stamped with the time, this process and this thread.
 */
struct cx_jobj;
int      cx_writer_jobj(struct cx_writer *w, uint8_t kind, uint8_t source,
    uint64_t conn, struct cx_jobj *j);

/* Frames and payload bytes written, and lost (could not be written). */
void     cx_writer_stats(const struct cx_writer *w, uint64_t *frames,
    uint64_t *bytes, uint64_t *lost_frames, uint64_t *lost_bytes);
/* The last write error (an errno value), 0 if none. */
int      cx_writer_last_errno(const struct cx_writer *w);

/* --- Reader ------------------------------------------------------------ */

struct cx_reader;

/* Called for every problem found (corrupt bytes, torn tail). */
typedef void (*cx_reader_warn_fn)(void *arg, const char *msg);

/*
 * Open a trace.  Returns NULL with a one-line message in err if the file
 * cannot be read or is not a trace (or is a version this build does not
 * know).
 */
struct cx_reader *cx_reader_open(const char *path, char *err, size_t errlen);
void     cx_reader_close(struct cx_reader *r);
const struct cx_file_info *cx_reader_info(const struct cx_reader *r);
/* Where to report problems; the default prints "cxrec: PATH: ..." on stderr */
void     cx_reader_set_warn(struct cx_reader *r, cx_reader_warn_fn fn,
    void *arg);
/*
 * The next valid frame: 1 and *f filled, 0 at the end.  Corrupt bytes are
 * skipped (the reader resynchronises on the next frame whose checksum
 * holds) and a torn tail is ignored, each reported through the warn hook.
 */
int      cx_reader_next(struct cx_reader *r, struct cx_frame *f);
/*
 * With on set, a frame's payload is valid only until the next call, and
 * the pages of the file already read are released as the reader moves on,
 * so reading a trace of any size keeps memory bounded.
 */
void     cx_reader_set_release(struct cx_reader *r, int on);
/*
 * Read again from the first frame (the same bytes: what was appended to the
 * file since it was opened, or the last cx_reader_grow, is not seen), with
 * the statistics from zero.
 */
void     cx_reader_rewind(struct cx_reader *r);
/*
 * Following a trace still being written (decode --follow).  With on set,
 * an incomplete frame at the end of what is mapped is not damage but a
 * frame still being written: cx_reader_next returns 0 before it, warns
 * nothing and reads it again once cx_reader_grow has mapped the rest.
 * Bytes that are not a frame's start are still reported as corrupt, once
 * a good frame after them has been written.  Set it off to read the end
 * as a finished trace (a torn tail is then reported).
 */
void     cx_reader_set_follow(struct cx_reader *r, int on);
/*
 * Look at the file again: 1 if bytes were appended since the last look
 * (cx_reader_next goes on with them; payloads it returned before are no
 * longer valid), 0 if not, -1 with a one-line reason in why ("the file
 * was removed", without the path) if the file was cut shorter, or if
 * nothing was appended and the file at the reader's path is no longer the
 * one read (removed, or replaced by another: a new recording renamed it
 * to PATH.old).
 */
int      cx_reader_grow(struct cx_reader *r, char *why, size_t whylen);
/* What was skipped so far. */
struct cx_reader_stats {
	uint64_t frames;
	uint64_t corrupt_regions;
	uint64_t corrupt_bytes;
	uint64_t torn_bytes;    /* incomplete frame at the end */
};
const struct cx_reader_stats *cx_reader_stats(const struct cx_reader *r);

const char *cx_kind_name(uint8_t kind);
const char *cx_source_name(uint8_t source);

#endif
