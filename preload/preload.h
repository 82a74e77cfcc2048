/*
 * preload.h: what libcxrec-preload.so shares with cxrec run (the
 * environment it reads) and with decode (what it writes).
 *
 * The library records, in the trace named by CXREC_TRACE, the TCP
 * connections (IPv4 and IPv6) of the process it is loaded into and of its
 * dynamically linked children: an open frame per connection (source
 * preload; {"peer","local","role":"client"|"server","host"}), the bytes
 * read and written (data frames, dir 1 client to server, dir 2 back), a
 * close frame; and, where the program uses the system's OpenSSL, the
 * plaintext of SSL_read/SSL_write on the same connection, flagged
 * CX_F_PLAIN (the ciphertext is recorded until the plaintext flows, then
 * counted, in the close frame; decode uses the plaintext).  A connection to the relay (CXREC_RELAY_URL) gets an
 * open frame with "relay":true and no data: the relay records its bytes,
 * and decode uses the frame to name the process and thread.
 */
#ifndef CX_PRELOAD_H
#define CX_PRELOAD_H

/* The environment */
#define CX_PRELOAD_ENV_TRACE    "CXREC_TRACE"           /* absolute path */
#define CX_PRELOAD_ENV_RELAY    "CXREC_RELAY_URL"       /* http://IP:PORT */
#define CX_PRELOAD_ENV_PROXY    "CXREC_PROXY_ADDR"      /* http://IP:PORT, no token */
/* Which CONNECT hosts the proxy decrypts: "all", "none", "h1,*.h2,..." */
#define CX_PRELOAD_ENV_INTERCEPT "CXREC_PROXY_INTERCEPT"
#define CX_PRELOAD_ENV_ERRORS   "CXREC_PRELOAD_ERRORS"  /* a file: one line
							 * per failure */
#define CX_PRELOAD_ENV_DEBUG    "CXREC_DEBUG"           /* say what it does,
							 * on stderr */
#define CX_PRELOAD_LIB          "libcxrec-preload.so"

/*
 * cxrec run's Unix socket for rings (common/shmring.h): a recorded
 * process hands it a ring of its own (its memfd, SCM_RIGHTS, with a
 * struct cx_ringhello), cxrec run answers one byte ('k') once it drains
 * it, and writes the frames the process puts there to the trace.  Unset:
 * each frame is written by the thread that makes it (writev).
 */
#define CX_PRELOAD_ENV_RING     "CXREC_RING"
/* The ring's size in bytes (default CX_RING_DEFAULT); 0: no ring. */
#define CX_PRELOAD_ENV_RING_SIZE "CXREC_RING_SIZE"
#define CX_RING_DEFAULT         (8u << 20)
#define CX_RING_FLOOR           (256u << 10)

#include <stdint.h>

struct cx_ringhello {
	uint32_t magic;                 /* CX_RING_MAGIC */
	uint32_t pid;
};

/* A frame in a ring: this header, then its payload (trace.h's fields). */
struct cx_ringframe {
	uint8_t  kind;
	uint8_t  source;
	uint8_t  dir;
	uint8_t  flags;
	uint32_t pid;
	uint32_t tid;
	uint32_t pad;
	uint64_t conn;
	int64_t  ts_ns;
};

#endif
