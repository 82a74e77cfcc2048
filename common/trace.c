/* trace.c: write and read cxrec traces (see trace.h, docs/trace-format.md). */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include "jsonobj.h"
#include "trace.h"

/* --- little-endian encoding ---------------------------------------------- */

static void
put16(uint8_t *p, uint16_t v)
{
	p[0] = v & 0xff;
	p[1] = v >> 8;
}

static void
put32(uint8_t *p, uint32_t v)
{
	for (int i = 0; i < 4; i++)
		p[i] = (v >> (8 * i)) & 0xff;
}

static void
put64(uint8_t *p, uint64_t v)
{
	for (int i = 0; i < 8; i++)
		p[i] = (v >> (8 * i)) & 0xff;
}

static uint16_t
get16(const uint8_t *p)
{
	return (uint16_t)(p[0] | p[1] << 8);
}

static uint32_t
get32(const uint8_t *p)
{
	return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 |
	    (uint32_t)p[3] << 24;
}

static uint64_t
get64(const uint8_t *p)
{
	return (uint64_t)get32(p) | (uint64_t)get32(p + 4) << 32;
}

int64_t
cx_now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

const char *
cx_kind_name(uint8_t kind)
{
	static const char *names[] = { "?", "open", "close", "data", "proc",
	    "error", "note", "route", "loss", "end" };

	return kind < sizeof(names) / sizeof(names[0]) ? names[kind] : "?";
}

const char *
cx_source_name(uint8_t source)
{
	switch (source) {
	case CX_SRC_RELAY:	return "relay";
	case CX_SRC_PRELOAD:	return "preload";
	case CX_SRC_PROBE:	return "probe";
	case CX_SRC_CLI:	return "cxrec";
	case CX_SRC_PROXY:	return "proxy";
	default:		return "unknown";
	}
}

/*
 * Frame header, 40 bytes:
 *   0 u32 magic   4 u32 payload length   8 u8 kind  9 u8 source  10 u8 dir
 *  11 u8 flags   12 u32 crc32c (header with this field zero, then payload)
 *  16 u64 conn   24 i64 ts_ns   32 u32 pid   36 u32 tid
 */
static void
frame_header(uint8_t *h, const struct cx_frame *f, uint32_t len, uint8_t flags)
{
	put32(h, CX_FRAME_MAGIC);
	put32(h + 4, len);
	h[8] = f->kind;
	h[9] = f->source;
	h[10] = f->dir;
	h[11] = flags;
	put32(h + 12, 0);
	put64(h + 16, f->conn);
	put64(h + 24, (uint64_t)f->ts_ns);
	put32(h + 32, f->pid);
	put32(h + 36, f->tid);
}

/* --- writer ---------------------------------------------------------------- */

struct cx_writer {
	int             fd;
	uint32_t        pid;
	uint32_t        next_conn;      /* atomic */
	uint64_t        frames;         /* atomic counters */
	uint64_t        bytes;
	uint64_t        lost_frames;
	uint64_t        lost_bytes;
	int             last_errno;
	uint32_t        file_flags;     /* attach: the header's flags */
	int             created;        /* cx_writer_create made the file */
	int             ended;          /* atomic: the END frame is written */
};

static struct cx_writer *
writer_new(int fd)
{
	struct cx_writer *w = calloc(1, sizeof(*w));

	if (w == NULL)
		return NULL;
	w->fd = fd;
	w->pid = (uint32_t)getpid();
	return w;
}

static int
write_all(int fd, const void *buf, size_t len)
{
	const uint8_t *p = buf;

	while (len > 0) {
		ssize_t n = write(fd, p, len);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return -1;
		p += n;
		len -= (size_t)n;
	}
	return 0;
}

struct cx_writer *
cx_writer_create(const char *path, int flags, char *err, size_t errlen)
{
	uint8_t hdr[CX_FILE_HEADER_LEN];
	struct cx_writer *w;
	struct timespec rt, mt;
	int fd, saved;

	if (flags & CX_W_KEEP_OLD) {
		char old[PATH_MAX];
		struct stat st;

		if (snprintf(old, sizeof(old), "%s.old", path) >= (int)sizeof(old)) {
			errno = ENAMETOOLONG;
			snprintf(err, errlen, "%s: path too long", path);
			return NULL;
		}
		/* rename moves a planted symlink itself, never its target. */
		if (lstat(path, &st) == 0 && rename(path, old) == -1) {
			saved = errno;
			snprintf(err, errlen, "cannot move %s to %s: %s", path,
			    old, strerror(saved));
			errno = saved;
			return NULL;
		}
	}
	fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_APPEND | O_NOFOLLOW |
	    O_CLOEXEC, 0600);
	if (fd == -1) {
		saved = errno;
		snprintf(err, errlen, "cannot create trace %s: %s", path,
		    strerror(saved));
		errno = saved;
		return NULL;
	}
	memset(hdr, 0, sizeof(hdr));
	memcpy(hdr, CX_TRACE_MAGIC, 8);
	put16(hdr + 8, CX_TRACE_VERSION);
	put16(hdr + 10, CX_FILE_HEADER_LEN);
	put32(hdr + 12, flags & CX_W_REDACTED ? CX_FILE_REDACTED : 0);
	/* The two anchors, read as close together as we can. */
	clock_gettime(CLOCK_REALTIME, &rt);
	clock_gettime(CLOCK_MONOTONIC, &mt);
	put64(hdr + 16, (uint64_t)((int64_t)rt.tv_sec * 1000000000 + rt.tv_nsec));
	put64(hdr + 24, (uint64_t)((int64_t)mt.tv_sec * 1000000000 + mt.tv_nsec));
	put32(hdr + 32, (uint32_t)getpid());
	if (gethostname((char *)hdr + 40, 63) == -1)
		memcpy(hdr + 40, "unknown", 7);
	hdr[40 + 63] = '\0';
	put32(hdr + 124, cx_crc32c(0, hdr, 124));
	if (write_all(fd, hdr, sizeof(hdr)) == -1) {
		saved = errno;
		snprintf(err, errlen, "cannot write trace %s: %s", path,
		    strerror(saved));
		close(fd);
		unlink(path);
		errno = saved;
		return NULL;
	}
	if ((w = writer_new(fd)) == NULL) {
		snprintf(err, errlen, "out of memory");
		close(fd);
		errno = ENOMEM;
		return NULL;
	}
	w->created = 1;
	return w;
}

struct cx_writer *
cx_writer_attach(const char *path, char *err, size_t errlen)
{
	struct cx_writer *w;
	struct stat st;
	int fd, saved;

	uint8_t hdr[CX_FILE_HEADER_LEN];

	/* Read too: the header's flags say how to record. */
	fd = open(path, O_RDWR | O_APPEND | O_NOFOLLOW | O_CLOEXEC);
	if (fd == -1) {
		saved = errno;
		snprintf(err, errlen, "cannot open trace %s: %s", path,
		    strerror(saved));
		errno = saved;
		return NULL;
	}
	if (fstat(fd, &st) == -1 || !S_ISREG(st.st_mode) ||
	    st.st_size < CX_FILE_HEADER_LEN ||
	    pread(fd, hdr, sizeof(hdr), 0) != (ssize_t)sizeof(hdr) ||
	    memcmp(hdr, CX_TRACE_MAGIC, 8) != 0 ||
	    get32(hdr + 124) != cx_crc32c(0, hdr, 124)) {
		snprintf(err, errlen, "%s: not a cxrec trace", path);
		close(fd);
		errno = EINVAL;
		return NULL;
	}
	if ((w = writer_new(fd)) == NULL) {
		snprintf(err, errlen, "out of memory");
		close(fd);
		errno = ENOMEM;
		return NULL;
	}
	w->file_flags = get32(hdr + 12);
	return w;
}

uint32_t
cx_writer_file_flags(const struct cx_writer *w)
{
	return w->file_flags;
}

int
cx_writer_fd(const struct cx_writer *w)
{
	return __atomic_load_n(&w->fd, __ATOMIC_RELAXED);
}

int
cx_writer_move_fd(struct cx_writer *w, int min)
{
	int old = __atomic_load_n(&w->fd, __ATOMIC_RELAXED);
	int fd = fcntl(old, F_DUPFD_CLOEXEC, min);

	if (fd == -1)
		return -1;
	__atomic_store_n(&w->fd, fd, __ATOMIC_RELAXED);
	close(old);
	return 0;
}

int
cx_writer_end(struct cx_writer *w, uint8_t source)
{
	char buf[96];
	struct cx_jobj j;
	uint64_t frames, bytes;

	if (w == NULL || !w->created ||
	    __atomic_exchange_n(&w->ended, 1, __ATOMIC_RELAXED))
		return 0;
	cx_writer_stats(w, &frames, &bytes, NULL, NULL);
	cx_jobj_begin(&j, buf, sizeof(buf));
	cx_jobj_u64(&j, "frames", frames);
	cx_jobj_u64(&j, "bytes", bytes);
	return cx_writer_jobj(w, CX_K_END, source, 0, &j);
}

void
cx_writer_close(struct cx_writer *w)
{
	if (w == NULL)
		return;
	close(w->fd);
	free(w);
}

uint64_t
cx_writer_new_conn(struct cx_writer *w)
{
	uint32_t n = __atomic_add_fetch(&w->next_conn, 1, __ATOMIC_RELAXED);

	return (uint64_t)w->pid << 32 | n;
}

static void
count_lost(struct cx_writer *w, size_t len, int err)
{
	__atomic_add_fetch(&w->lost_frames, 1, __ATOMIC_RELAXED);
	__atomic_add_fetch(&w->lost_bytes, len, __ATOMIC_RELAXED);
	__atomic_store_n(&w->last_errno, err, __ATOMIC_RELAXED);
}

/* One frame, one writev: whole or counted as lost. */
static int
put_one(struct cx_writer *w, const struct cx_frame *f, uint8_t flags,
    const struct iovec *iov, int iovcnt, uint32_t len)
{
	uint8_t h[CX_FRAME_HEADER_LEN];
	struct iovec v[1 + 16];
	uint32_t crc;
	ssize_t n;

	if (iovcnt > 16) {
		count_lost(w, len, EINVAL);
		return -1;
	}
	frame_header(h, f, len, flags);
	crc = cx_crc32c(0, h, sizeof(h));
	for (int i = 0; i < iovcnt; i++)
		crc = cx_crc32c(crc, iov[i].iov_base, iov[i].iov_len);
	put32(h + 12, crc);
	v[0].iov_base = h;
	v[0].iov_len = sizeof(h);
	memcpy(v + 1, iov, sizeof(*iov) * (size_t)iovcnt);
	do
		n = writev(__atomic_load_n(&w->fd, __ATOMIC_RELAXED), v,
		    1 + iovcnt);
	while (n == -1 && errno == EINTR);
	if (n != (ssize_t)(sizeof(h) + len)) {
		/* A short write leaves a torn frame the reader skips. */
		count_lost(w, len, n == -1 ? errno : ENOSPC);
		return -1;
	}
	__atomic_add_fetch(&w->frames, 1, __ATOMIC_RELAXED);
	__atomic_add_fetch(&w->bytes, len, __ATOMIC_RELAXED);
	return 0;
}

int
cx_writer_putv(struct cx_writer *w, const struct cx_frame *f,
    const struct iovec *iov, int iovcnt)
{
	size_t total = 0;

	for (int i = 0; i < iovcnt; i++)
		total += iov[i].iov_len;
	if (total <= CX_FRAME_MAX_PAYLOAD)
		return put_one(w, f, f->flags, iov, iovcnt, (uint32_t)total);
	/* Large gathered payloads are flattened, then split. */
	uint8_t *buf = malloc(total);
	if (buf == NULL) {
		count_lost(w, total, ENOMEM);
		return -1;
	}
	size_t off = 0;
	for (int i = 0; i < iovcnt; i++) {
		memcpy(buf + off, iov[i].iov_base, iov[i].iov_len);
		off += iov[i].iov_len;
	}
	struct cx_frame g = *f;
	g.payload = buf;
	g.len = (uint32_t)total;
	int rc = cx_writer_put(w, &g);
	free(buf);
	return rc;
}

int
cx_writer_put(struct cx_writer *w, const struct cx_frame *f)
{
	const uint8_t *p = f->payload;
	size_t left = f->len;
	int rc = 0;

	do {
		size_t n = left > CX_FRAME_MAX_PAYLOAD ? CX_FRAME_MAX_PAYLOAD :
		    left;
		struct iovec v = { (void *)(uintptr_t)p, n };
		uint8_t flags = f->flags | (left > n ? CX_F_CONT : 0);

		if (put_one(w, f, flags, &v, n ? 1 : 0, (uint32_t)n) == -1)
			rc = -1;
		p += n;
		left -= n;
	} while (left > 0);
	return rc;
}

int
cx_writer_putn(struct cx_writer *w, const struct cx_frame *f, int n)
{
	uint8_t h[CX_WRITER_BATCH][CX_FRAME_HEADER_LEN];
	struct iovec v[2 * CX_WRITER_BATCH];
	size_t total = 0;
	ssize_t got;
	int bad = n < 0 || n > CX_WRITER_BATCH;

	for (int i = 0; !bad && i < n; i++) {
		uint32_t crc;

		if (f[i].len > CX_FRAME_MAX_PAYLOAD) {
			bad = 1;
			break;
		}
		frame_header(h[i], &f[i], f[i].len, f[i].flags);
		crc = cx_crc32c(0, h[i], sizeof(h[i]));
		put32(h[i] + 12, cx_crc32c(crc, f[i].payload, f[i].len));
		v[2 * i].iov_base = h[i];
		v[2 * i].iov_len = sizeof(h[i]);
		v[2 * i + 1].iov_base = (void *)(uintptr_t)f[i].payload;
		v[2 * i + 1].iov_len = f[i].len;
		total += sizeof(h[i]) + f[i].len;
	}
	if (!bad && n > 0) {
		do
			got = writev(__atomic_load_n(&w->fd, __ATOMIC_RELAXED),
			    v, 2 * n);
		while (got == -1 && errno == EINTR);
		if (got == (ssize_t)total) {
			__atomic_add_fetch(&w->frames, (uint64_t)n,
			    __ATOMIC_RELAXED);
			__atomic_add_fetch(&w->bytes, total - (size_t)n *
			    CX_FRAME_HEADER_LEN, __ATOMIC_RELAXED);
			return 0;
		}
		/* A short write leaves a torn frame the reader skips. */
		for (int i = 0; i < n; i++)
			count_lost(w, f[i].len, got == -1 ? errno : ENOSPC);
		return -1;
	}
	/* Too many to be an array of f's (not read), or one too large. */
	for (int i = 0; bad && i < n; i++)
		count_lost(w, n > CX_WRITER_BATCH ? 0 : f[i].len, EINVAL);
	return bad ? -1 : 0;
}

int
cx_writer_jobj(struct cx_writer *w, uint8_t kind, uint8_t source,
    uint64_t conn, struct cx_jobj *j)
{
	struct cx_frame f;

	memset(&f, 0, sizeof(f));
	f.kind = kind;
	f.source = source;
	f.conn = conn;
	f.ts_ns = cx_now_ns();
	f.pid = (uint32_t)getpid();
	f.tid = (uint32_t)syscall(SYS_gettid);
	f.len = (uint32_t)cx_jobj_end(j);
	f.payload = (const uint8_t *)j->p;
	return cx_writer_put(w, &f);
}

void
cx_writer_stats(const struct cx_writer *w, uint64_t *frames, uint64_t *bytes,
    uint64_t *lost_frames, uint64_t *lost_bytes)
{
	if (frames)
		*frames = __atomic_load_n(&w->frames, __ATOMIC_RELAXED);
	if (bytes)
		*bytes = __atomic_load_n(&w->bytes, __ATOMIC_RELAXED);
	if (lost_frames)
		*lost_frames = __atomic_load_n(&w->lost_frames, __ATOMIC_RELAXED);
	if (lost_bytes)
		*lost_bytes = __atomic_load_n(&w->lost_bytes, __ATOMIC_RELAXED);
}

int
cx_writer_last_errno(const struct cx_writer *w)
{
	return __atomic_load_n(&w->last_errno, __ATOMIC_RELAXED);
}

/* --- reader ---------------------------------------------------------------- */

struct cx_reader {
	char                   *path;
	int                     fd;             /* open: cx_reader_grow */
	const uint8_t          *map;
	size_t                  size;
	size_t                  pos;
	struct cx_file_info     info;
	struct cx_reader_stats  stats;
	cx_reader_warn_fn       warn;
	void                   *warn_arg;
	int                     release;
	size_t                  released;       /* pages before this let go */
	int                     follow;         /* an incomplete tail: wait */
};

#define RELEASE_STEP    (4u * 1024 * 1024)

static void
default_warn(void *arg, const char *msg)
{
	fprintf(stderr, "cxrec: %s: %s\n", (const char *)arg, msg);
}

struct cx_reader *
cx_reader_open(const char *path, char *err, size_t errlen)
{
	struct cx_reader *r = NULL;
	const uint8_t *h;
	struct stat st;
	void *map = NULL;
	int fd;

	if ((fd = open(path, O_RDONLY | O_CLOEXEC)) == -1) {
		snprintf(err, errlen, "cannot read %s: %s", path,
		    strerror(errno));
		return NULL;
	}
	if (fstat(fd, &st) == -1) {
		snprintf(err, errlen, "cannot read %s: %s", path,
		    strerror(errno));
		goto fail;
	}
	if (S_ISDIR(st.st_mode)) {
		snprintf(err, errlen, "cannot read %s: is a directory", path);
		goto fail;
	}
	if (!S_ISREG(st.st_mode)) {
		snprintf(err, errlen, "%s: not a regular file", path);
		goto fail;
	}
	if (st.st_size < CX_FILE_HEADER_LEN) {
		snprintf(err, errlen, "%s: not a cxrec trace (%s)", path,
		    st.st_size == 0 ? "empty file" : "too short");
		goto fail;
	}
	map = mmap(NULL, (size_t)st.st_size, PROT_READ, MAP_PRIVATE, fd, 0);
	if (map == MAP_FAILED) {
		map = NULL;
		snprintf(err, errlen, "cannot map %s: %s", path,
		    strerror(errno));
		goto fail;
	}
	h = map;
	if (memcmp(h, CX_TRACE_MAGIC, 8) != 0) {
		snprintf(err, errlen, "%s: not a cxrec trace (bad magic)", path);
		goto fail;
	}
	if (get16(h + 8) != CX_TRACE_VERSION) {
		snprintf(err, errlen, "%s: trace format version %u is not "
		    "supported (this cxrec reads version %d)", path,
		    get16(h + 8), CX_TRACE_VERSION);
		goto fail;
	}
	if (get16(h + 10) != CX_FILE_HEADER_LEN ||
	    get32(h + 124) != cx_crc32c(0, h, 124)) {
		snprintf(err, errlen, "%s: corrupt trace header", path);
		goto fail;
	}
	if ((r = calloc(1, sizeof(*r))) == NULL ||
	    (r->path = strdup(path)) == NULL) {
		snprintf(err, errlen, "out of memory");
		goto fail;
	}
	r->map = map;
	r->size = (size_t)st.st_size;
	r->pos = CX_FILE_HEADER_LEN;
	r->info.version = get16(h + 8);
	r->info.flags = get32(h + 12);
	r->info.realtime_ns = (int64_t)get64(h + 16);
	r->info.monotonic_ns = (int64_t)get64(h + 24);
	r->info.writer_pid = get32(h + 32);
	memcpy(r->info.host, h + 40, 63);
	r->info.host[63] = '\0';
	r->warn = default_warn;
	r->warn_arg = r->path;
	r->fd = fd;
	return r;
fail:
	if (r != NULL)
		free(r->path);
	free(r);
	if (map != NULL)
		munmap(map, (size_t)st.st_size);
	close(fd);
	return NULL;
}

void
cx_reader_close(struct cx_reader *r)
{
	if (r == NULL)
		return;
	munmap((void *)(uintptr_t)r->map, r->size);
	close(r->fd);
	free(r->path);
	free(r);
}

const struct cx_file_info *
cx_reader_info(const struct cx_reader *r)
{
	return &r->info;
}

void
cx_reader_set_warn(struct cx_reader *r, cx_reader_warn_fn fn, void *arg)
{
	r->warn = fn;
	r->warn_arg = arg;
}

void
cx_reader_set_release(struct cx_reader *r, int on)
{
	r->release = on;
}

void
cx_reader_set_follow(struct cx_reader *r, int on)
{
	r->follow = on;
}

int
cx_reader_grow(struct cx_reader *r, char *why, size_t whylen)
{
	struct stat st, at;
	void *map;

	if (fstat(r->fd, &st) == -1) {
		snprintf(why, whylen, "cannot read it: %s", strerror(errno));
		return -1;
	}
	if ((uint64_t)st.st_size < r->size) {
		snprintf(why, whylen, "the file was cut shorter (%zu bytes to "
		    "%lld)", r->size, (long long)st.st_size);
		return -1;
	}
	if ((size_t)st.st_size > r->size) {
		/* The pages already mapped (and those let go) stay as they
		 * are; the mapping may move. */
		map = mremap((void *)(uintptr_t)r->map, r->size,
		    (size_t)st.st_size, MREMAP_MAYMOVE);
		if (map == MAP_FAILED) {
			snprintf(why, whylen, "cannot map it: %s",
			    strerror(errno));
			return -1;
		}
		r->map = map;
		r->size = (size_t)st.st_size;
		return 1;
	}
	/* (Not st_nlink: a memfd has none, and is still there.) */
	if (stat(r->path, &at) == -1) {
		snprintf(why, whylen, "the file was removed");
		return -1;
	}
	if (at.st_dev != st.st_dev || at.st_ino != st.st_ino) {
		snprintf(why, whylen, "the file was replaced by another");
		return -1;
	}
	return 0;
}

void
cx_reader_rewind(struct cx_reader *r)
{
	/* What the last pass left mapped goes too (faulted in again). */
	if (r->release && r->pos > r->released)
		madvise((void *)(uintptr_t)(r->map + r->released),
		    r->pos - r->released, MADV_DONTNEED);
	r->pos = CX_FILE_HEADER_LEN;
	r->released = 0;
	memset(&r->stats, 0, sizeof(r->stats));
}

/* Let go of the pages wholly before the frame at r->pos. */
static void
release_behind(struct cx_reader *r)
{
	size_t page = (size_t)sysconf(_SC_PAGESIZE);
	size_t upto = r->pos / page * page;

	if (upto - r->released < RELEASE_STEP)
		return;
	madvise((void *)(uintptr_t)(r->map + r->released), upto - r->released,
	    MADV_DONTNEED);
	r->released = upto;
}

const struct cx_reader_stats *
cx_reader_stats(const struct cx_reader *r)
{
	return &r->stats;
}

/*
 * Following: could the bytes at off be a frame still being written?  Too
 * few for a header, or a header whose payload goes past the end.
 */
static int
frame_pending(const struct cx_reader *r, size_t off)
{
	const uint8_t *h = r->map + off;
	uint32_t len;

	if (r->size - off < CX_FRAME_HEADER_LEN) {
		static const uint8_t magic[4] = { 0x43, 0x58, 0x46, 0x52 };
		size_t n = r->size - off < 4 ? r->size - off : 4;

		return memcmp(h, magic, n) == 0;
	}
	if (get32(h) != CX_FRAME_MAGIC)
		return 0;
	len = get32(h + 4);
	return len <= CX_FRAME_MAX_PAYLOAD &&
	    r->size - off - CX_FRAME_HEADER_LEN < len;
}

/* Is there a whole frame with a good checksum at off? */
static int
frame_ok(const struct cx_reader *r, size_t off)
{
	const uint8_t *h = r->map + off;
	uint8_t tmp[CX_FRAME_HEADER_LEN];
	uint32_t len, crc;

	if (r->size - off < CX_FRAME_HEADER_LEN || get32(h) != CX_FRAME_MAGIC)
		return 0;
	len = get32(h + 4);
	if (len > CX_FRAME_MAX_PAYLOAD ||
	    r->size - off - CX_FRAME_HEADER_LEN < len)
		return 0;
	memcpy(tmp, h, sizeof(tmp));
	put32(tmp + 12, 0);
	crc = cx_crc32c(0, tmp, sizeof(tmp));
	crc = cx_crc32c(crc, h + CX_FRAME_HEADER_LEN, len);
	return crc == get32(h + 12);
}

/*
 * The offset of the next good frame at or after off, or r->size.
 * Following, r->size too if a frame still being written comes first: the
 * good frame found once it is whole may be that one.
 */
static size_t
next_good(const struct cx_reader *r, size_t off)
{
	static const uint8_t magic[4] = { 0x43, 0x58, 0x46, 0x52 };

	while (off + CX_FRAME_HEADER_LEN <= r->size) {
		const uint8_t *p = memmem(r->map + off, r->size - off, magic, 4);
		if (p == NULL)
			break;
		off = (size_t)(p - r->map);
		if (frame_ok(r, off))
			return off;
		if (r->follow && frame_pending(r, off))
			break;
		off++;
	}
	return r->size;
}

static void warnf(struct cx_reader *r, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
static void
warnf(struct cx_reader *r, const char *fmt, ...)
{
	char msg[256];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	if (r->warn != NULL)
		r->warn(r->warn_arg, msg);
}

int
cx_reader_next(struct cx_reader *r, struct cx_frame *f)
{
	const uint8_t *h;

	if (r->pos >= r->size)
		return 0;
	if (r->release)
		release_behind(r);
	if (!frame_ok(r, r->pos)) {
		size_t good;
		size_t bad;

		/* A frame being written: read it again when it has come. */
		if (r->follow && frame_pending(r, r->pos))
			return 0;
		good = next_good(r, r->pos + 1);
		bad = good - r->pos;
		if (good >= r->size && r->follow)
			return 0;       /* damage is told once a frame follows */
		if (good >= r->size) {
			r->stats.torn_bytes += bad;
			warnf(r, "incomplete frame at offset %zu (%zu bytes at the "
			    "end, the writer stopped mid-frame): ignored",
			    r->pos, bad);
			r->pos = r->size;
			return 0;
		}
		r->stats.corrupt_regions++;
		r->stats.corrupt_bytes += bad;
		warnf(r, "corrupt bytes at offset %zu (%zu bytes skipped, "
		    "resynchronised at offset %zu)", r->pos, bad, good);
		r->pos = good;
	}
	h = r->map + r->pos;
	f->len = get32(h + 4);
	f->kind = h[8];
	f->source = h[9];
	f->dir = h[10];
	f->flags = h[11];
	f->conn = get64(h + 16);
	f->ts_ns = (int64_t)get64(h + 24);
	f->pid = get32(h + 32);
	f->tid = get32(h + 36);
	f->payload = h + CX_FRAME_HEADER_LEN;
	f->offset = r->pos;
	r->pos += CX_FRAME_HEADER_LEN + f->len;
	r->stats.frames++;
	return 1;
}

