/*
 * preload_int.h: what the pieces of libcxrec-preload.so share (preload.h
 * is what it shares with cxrec).  Nothing here is exported: the pragma
 * makes every declaration hidden, so the compiler reaches these without
 * the GOT, and only the hooks (EXPORT, preload/exports.map) are visible.
 *
 *	preload.c        init: the real functions (dlsym), the environment,
 *	                 debug and failure lines
 *	preload_state.c  the process: its ids, name, fork, the lazy writer
 *	preload_fd.c     the descriptor table: connections tracked, their
 *	                 open and close frames, the proxy's CONNECT, the
 *	                 names getaddrinfo gave
 *	preload_record.c frames: JSON ones, data, source redaction
 *	preload_ring.c   frames handed to cxrec run in a shared ring
 *	hooks_libc.c     the libc hooks
 *	hooks_ssl.c      the OpenSSL hooks
 *
 * The rules (preload.c) hold in every piece: no allocation on the data
 * path, errno preserved by every hook, and pl_in_hook set around the
 * library's own work so that its calls are not recorded again.
 */
#ifndef CX_PRELOAD_INT_H
#define CX_PRELOAD_INT_H

#include <netdb.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <sys/socket.h>
#include <sys/types.h>
#include <sys/uio.h>
#include <unistd.h>

#include "jsonobj.h"
#include "srcredact.h"
#include "trace.h"

#pragma GCC visibility push(hidden)

#define EXPORT  __attribute__((visibility("default")))
#define FD_MAX  65536
#define NHOSTS  64              /* addresses remembered from getaddrinfo */
#define NSTRIPE 64              /* locks over the redaction table */

typedef struct ssl_st SSL;

/* --- the real functions (preload.c) --------------------------------------- */

extern int (*real_connect)(int, const struct sockaddr *, socklen_t);
extern int (*real_accept)(int, struct sockaddr *, socklen_t *);
extern int (*real_accept4)(int, struct sockaddr *, socklen_t *, int);
extern ssize_t (*real_send)(int, const void *, size_t, int);
extern ssize_t (*real_sendto)(int, const void *, size_t, int,
    const struct sockaddr *, socklen_t);
extern ssize_t (*real_sendmsg)(int, const struct msghdr *, int);
extern ssize_t (*real_recv)(int, void *, size_t, int);
extern ssize_t (*real_recvfrom)(int, void *, size_t, int, struct sockaddr *,
    socklen_t *);
extern ssize_t (*real_recvmsg)(int, struct msghdr *, int);
extern ssize_t (*real_write)(int, const void *, size_t);
extern ssize_t (*real_writev)(int, const struct iovec *, int);
extern ssize_t (*real_read)(int, void *, size_t);
extern ssize_t (*real_readv)(int, const struct iovec *, int);
extern int (*real_close)(int);
extern int (*real_shutdown)(int, int);
extern int (*real_dup)(int);
extern int (*real_dup2)(int, int);
extern int (*real_dup3)(int, int, int);
extern int (*real_socket)(int, int, int);
extern int (*real_open)(const char *, int, ...);
extern int (*real_openat)(int, const char *, int, ...);
extern int (*real_fclose)(FILE *);
extern int (*real_close_range)(unsigned, unsigned, int);
extern void (*real_closefrom)(int);
extern int (*real_getaddrinfo)(const char *, const char *,
    const struct addrinfo *, struct addrinfo **);

extern pthread_once_t pl_once;
/* Resolve the real functions, read the environment (once). */
void     pl_init(void);
#define ENTER() do { pthread_once(&pl_once, pl_init); } while (0)

/* With CXREC_DEBUG only: a line on stderr, through the real write. */
void     pl_debug(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* Say why nothing is recorded, in the file cxrec run reads at the end. */
void     pl_report(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* --- the process (preload_state.c) ---------------------------------------- */

extern struct pl_state {
	pthread_mutex_t  lock;          /* opening the trace, hosts */
	int              tried;         /* to open the trace */
	int              off;           /* the program closed our fd */
	int              debug;
	char             trace[4096];   /* CXREC_TRACE, read at init */
	char             errors[4096];  /* CXREC_PRELOAD_ERRORS */
	struct cx_writer *w;            /* NULL: not recording */
	uint32_t         pid;           /* for connection ids */
	uint32_t         next_conn;
	char             comm[64];      /* the process's name */
	int              redact;        /* --redact-at-source: hide them */
	struct cx_srcredact_key key;
	struct sockaddr_storage relay;  /* the relay's address */
	int              have_relay;
	struct sockaddr_storage proxy;  /* its forward proxy's (cxrec run) */
	int              have_proxy;
	/* Which CONNECT hosts it decrypts: "all", "none", or "h1,*.h2,...". */
	char             intercept[2048];
	struct pl_host {
		struct sockaddr_storage addr;
		char             name[128];
	}                hosts[NHOSTS];
	unsigned         nhosts;
} pl_st;

/*
 * The thread-local guard: set while the library does its own work.  The
 * model of a variable of this library's own (as a static one would get).
 */
#define PL_TLS  __attribute__((tls_model("local-dynamic")))
extern __thread int pl_in_hook PL_TLS;
/* Taken around fork, with pl_st.lock: the SSL tables', the stripes. */
extern pthread_mutex_t pl_ssllock;
extern pthread_mutex_t pl_stripe[NSTRIPE];

/* The calling thread's id (asked of the kernel once a thread). */
pid_t    pl_tid(void);
/* The process's name (its main thread's), for open frames. */
const char *pl_comm(void);
/* A new connection id: pid << 32 | counter. */
uint64_t pl_new_conn(void);
/* Fork handlers, registered by pl_init. */
void     pl_before_fork(void);
void     pl_after_fork_parent(void);
void     pl_after_fork_child(void);
/* The counter's start at init and in a forked child. */
uint32_t pl_counter_start(void);
/* The writer, opened at the first connection to record; NULL: none. */
struct cx_writer *pl_writer(void);
/* The program closes or replaces descriptors [lo, hi] (the trace's?). */
void     pl_fds_going(unsigned lo, unsigned hi);

/*
 * A vfork child shares our memory (and runs no fork handlers): it must
 * not change the table or write frames for its parent's connections.
 */
static inline int
pl_in_vfork_child(void)
{
	return (uint32_t)getpid() != __atomic_load_n(&pl_st.pid,
	    __ATOMIC_RELAXED);
}

/* --- descriptors (preload_fd.c) ------------------------------------------- */

/*
 * FD_RELAY: to cxrec's relay, or a CONNECT its proxy decrypts: cxrec
 * records it, the preload only names it.  FD_PROXY: to the proxy, before
 * the program has said where to (its CONNECT decides).  FD_TUNNEL: a
 * CONNECT the proxy only tunnels: its TLS plaintext is recorded here.
 */
enum { FD_NONE, FD_CLIENT, FD_SERVER, FD_RELAY, FD_PROXY, FD_TUNNEL };

struct pl_fdent {
	uint64_t         conn;          /* 0: not tracked */
	uint8_t          kind;          /* FD_* */
	/*
	 * Its plaintext is recorded (through OpenSSL): the ciphertext is
	 * then only counted, each way, and said in the close frame.
	 */
	uint8_t          plain;
	uint8_t          duped;         /* another fd may share conn */
	uint64_t         cipher[2];
};

extern struct pl_fdent pl_fdtab[FD_MAX];

/*
 * Start tracking fd, a connected or accepted socket (kind FD_CLIENT or
 * FD_SERVER), if it is an INET stream socket: its open frame.  to: the
 * address connect was given, or NULL.
 */
void     pl_track(int fd, int kind, const struct sockaddr *to,
    socklen_t tolen);
/* fd is closed (or replaced): the connection ends with its last fd. */
void     pl_untrack(int fd);
/* Remember the names getaddrinfo gave node's addresses (under lock). */
void     pl_hosts_add(const char *node, const struct addrinfo *res);
/* The program's first bytes to the proxy: its CONNECT decides fd's kind. */
void     pl_proxy_decide(int fd, const struct iovec *iov, int iovcnt,
    size_t n);

/* The connection fd records, or 0 (one look-up). */
static inline uint64_t
pl_tracked(int fd, uint8_t *kind)
{
	uint64_t conn;

	if (fd < 0 || fd >= FD_MAX)
		return 0;
	conn = __atomic_load_n(&pl_fdtab[fd].conn, __ATOMIC_ACQUIRE);
	if (conn != 0)
		*kind = __atomic_load_n(&pl_fdtab[fd].kind, __ATOMIC_RELAXED);
	return conn;
}

/* Data the program wrote (out) or read on a tracked connection. */
static inline uint8_t
pl_dir_of(uint8_t kind, int out)
{
	/* A client writes requests; a server reads them. */
	return (kind != FD_SERVER) == (out != 0) ? CX_DIR_REQ : CX_DIR_RESP;
}

/* --- frames (preload_record.c) -------------------------------------------- */

/* A frame whose payload is j's object (open, close, error), ended here. */
void     pl_json_frame(uint8_t kind, uint64_t conn, struct cx_jobj *j);
/*
 * Data of n bytes gathered in iov, hidden first under --redact-at-source;
 * never copied whole, never allocated.
 */
void     pl_data(uint64_t conn, uint8_t dir, uint8_t flags,
    const struct iovec *iov, int iovcnt, size_t n);
/* The connection is gone: its redaction state is free. */
void     pl_red_forget(uint64_t conn);

/* --- the ring to cxrec run (preload_ring.c) ------------------------------- */

/* Read CXREC_RING and CXREC_RING_SIZE (pl_init). */
void     pl_ring_init(void);
/*
 * Put frame f (payload gathered in iov) in the process's ring, handed to
 * cxrec run at the first call: 0, or -1 when the caller must write it
 * itself (no ring, an open frame, cxrec run going or gone).
 */
int      pl_ring_put(struct cx_writer *w, const struct cx_frame *f,
    const struct iovec *iov, int iovcnt);
/* In a forked child: the parent's ring is not ours (pl_after_fork_child). */
void     pl_ring_forked(void);
/* The program closes descriptors [lo, hi]: the ring's socket? */
void     pl_ring_fds_going(unsigned lo, unsigned hi);

/* --- OpenSSL (hooks_ssl.c) ------------------------------------------------ */

extern __thread SSL *pl_cur_ssl PL_TLS; /* inside a real SSL_* call: its */
/* Remember that ssl talks over fd (its transport's I/O during a call). */
void     pl_ssl_map(SSL *ssl, int fd, uint64_t conn, uint8_t kind);

#pragma GCC visibility pop

#endif
