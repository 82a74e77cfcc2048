/*
 * preload_fd.c: the descriptor table.  Descriptors are tracked in a table
 * indexed by fd (FD_MAX of them; higher ones are not recorded): a
 * connected or accepted INET stream socket gets a connection id and an
 * open frame, its last descriptor's close a close frame; a connection to
 * the proxy becomes what its CONNECT says.
 */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>

#include "hostpat.h"
#include "preload_int.h"

struct pl_fdent pl_fdtab[FD_MAX];

/* --- addresses ------------------------------------------------------------ */

static void
addr_str(const struct sockaddr_storage *ss, char *out, size_t len)
{
	char host[INET6_ADDRSTRLEN] = "?";

	if (ss->ss_family == AF_INET) {
		const struct sockaddr_in *s = (const void *)ss;

		inet_ntop(AF_INET, &s->sin_addr, host, sizeof(host));
		snprintf(out, len, "%s:%u", host, ntohs(s->sin_port));
	} else if (ss->ss_family == AF_INET6) {
		const struct sockaddr_in6 *s = (const void *)ss;

		if (IN6_IS_ADDR_V4MAPPED(&s->sin6_addr)) {
			inet_ntop(AF_INET, &s->sin6_addr.s6_addr[12], host,
			    sizeof(host));
			snprintf(out, len, "%s:%u", host, ntohs(s->sin6_port));
		} else {
			inet_ntop(AF_INET6, &s->sin6_addr, host, sizeof(host));
			snprintf(out, len, "[%s]:%u", host,
			    ntohs(s->sin6_port));
		}
	} else
		snprintf(out, len, "unknown");
}

/* Same address and port (an IPv4-mapped IPv6 address as IPv4)? */
static int
same_addr(const struct sockaddr_storage *a, const struct sockaddr_storage *b)
{
	char x[80], y[80];

	addr_str(a, x, sizeof(x));
	addr_str(b, y, sizeof(y));
	return strcmp(x, y) == 0;
}

/* The name getaddrinfo gave this address (port aside), or "". */
static void
host_of(const struct sockaddr_storage *ss, char *out, size_t len)
{
	out[0] = '\0';
	pthread_mutex_lock(&pl_st.lock);
	for (unsigned i = 0; i < NHOSTS && i < pl_st.nhosts; i++) {
		const struct pl_host *h =
		    &pl_st.hosts[(pl_st.nhosts - 1 - i) % NHOSTS];
		int match = 0;

		if (h->addr.ss_family != ss->ss_family)
			continue;
		if (ss->ss_family == AF_INET)
			match = memcmp(&((const struct sockaddr_in *)
			    &h->addr)->sin_addr, &((const struct sockaddr_in *)
			    ss)->sin_addr, 4) == 0;
		else if (ss->ss_family == AF_INET6)
			match = memcmp(&((const struct sockaddr_in6 *)
			    &h->addr)->sin6_addr, &((const struct
			    sockaddr_in6 *)ss)->sin6_addr, 16) == 0;
		if (match) {
			snprintf(out, len, "%s", h->name);
			break;
		}
	}
	pthread_mutex_unlock(&pl_st.lock);
}

/* The names getaddrinfo gave (the last NHOSTS addresses). */
void
pl_hosts_add(const char *node, const struct addrinfo *res)
{
	pthread_mutex_lock(&pl_st.lock);
	for (const struct addrinfo *ai = res; ai != NULL; ai = ai->ai_next) {
		struct pl_host *h;

		if ((ai->ai_family != AF_INET && ai->ai_family != AF_INET6) ||
		    ai->ai_addrlen > sizeof(h->addr))
			continue;
		h = &pl_st.hosts[pl_st.nhosts++ % NHOSTS];
		memset(&h->addr, 0, sizeof(h->addr));
		memcpy(&h->addr, ai->ai_addr, ai->ai_addrlen);
		snprintf(h->name, sizeof(h->name), "%s", node);
	}
	pthread_mutex_unlock(&pl_st.lock);
}

/* --- connections ---------------------------------------------------------- */

/*
 * Start tracking fd, a connected or accepted socket, if it is an INET
 * stream socket: its open frame.  to: the address connect was given (a
 * non-blocking connect has no peer name yet), or NULL.
 */
void
pl_track(int fd, int kind, const struct sockaddr *to, socklen_t tolen)
{
	struct sockaddr_storage peer, local;
	socklen_t pl = sizeof(peer), ll = sizeof(local);
	char ps[80], ls[80], host[128], js[1024];
	struct cx_jobj j;
	int type;
	socklen_t tl = sizeof(type);
	uint64_t conn;

	if (fd < 0 || fd >= FD_MAX)
		return;
	if (getsockopt(fd, SOL_SOCKET, SO_TYPE, &type, &tl) == -1 ||
	    type != SOCK_STREAM)
		return;
	if (to != NULL && tolen <= sizeof(peer)) {
		memset(&peer, 0, sizeof(peer));
		memcpy(&peer, to, tolen);
	} else if (getpeername(fd, (struct sockaddr *)&peer, &pl) == -1)
		return;
	if (peer.ss_family != AF_INET && peer.ss_family != AF_INET6)
		return;
	if (getsockname(fd, (struct sockaddr *)&local, &ll) == -1)
		return;
	if (pl_writer() == NULL)
		return;
	conn = pl_new_conn();
	addr_str(&peer, ps, sizeof(ps));
	addr_str(&local, ls, sizeof(ls));
	cx_jobj_begin(&j, js, sizeof(js));
	cx_jobj_str(&j, "peer", ps);
	cx_jobj_str(&j, "local", ls);
	if (kind == FD_CLIENT && ((pl_st.have_relay && same_addr(&peer,
	    &pl_st.relay)) || (pl_st.have_proxy && same_addr(&peer,
	    &pl_st.proxy)))) {
		/* The relay (or its proxy) records this one: say who, not
		 * what.  The proxy's CONNECT may still make it a tunnel. */
		kind = same_addr(&peer, &pl_st.relay) ? FD_RELAY : FD_PROXY;
		cx_jobj_str(&j, "role", "client");
		cx_jobj_bool(&j, "relay", 1);
		cx_jobj_str(&j, "comm", pl_comm());
	} else {
		host_of(&peer, host, sizeof(host));
		cx_jobj_str(&j, "role", kind == FD_CLIENT ? "client" :
		    "server");
		cx_jobj_str(&j, "comm", pl_comm());
		if (host[0] != '\0')
			cx_jobj_str(&j, "host", host);
	}
	pl_json_frame(CX_K_OPEN, conn, &j);
	__atomic_store_n(&pl_fdtab[fd].kind, (uint8_t)kind, __ATOMIC_RELAXED);
	__atomic_store_n(&pl_fdtab[fd].plain, 0, __ATOMIC_RELAXED);
	__atomic_store_n(&pl_fdtab[fd].duped, 0, __ATOMIC_RELAXED);
	__atomic_store_n(&pl_fdtab[fd].cipher[0], 0, __ATOMIC_RELAXED);
	__atomic_store_n(&pl_fdtab[fd].cipher[1], 0, __ATOMIC_RELAXED);
	__atomic_store_n(&pl_fdtab[fd].conn, conn, __ATOMIC_RELEASE);
	pl_debug("fd %d: connection %llx (%s -> %s)", fd,
	    (unsigned long long)conn, ls, ps);
}

/* Is another descriptor open on this connection (a dup)? */
static int
shared(int fd, uint64_t conn)
{
	for (int i = 0; i < FD_MAX; i++)
		if (i != fd && __atomic_load_n(&pl_fdtab[i].conn,
		    __ATOMIC_RELAXED) == conn)
			return 1;
	return 0;
}

/* fd is closed (or replaced): the connection ends with its last fd. */
void
pl_untrack(int fd)
{
	uint8_t kind = 0, plain;
	uint64_t conn = pl_tracked(fd, &kind), up, down;
	char js[128];
	struct cx_jobj j;

	if (conn == 0)
		return;
	__atomic_store_n(&pl_fdtab[fd].conn, 0, __ATOMIC_RELEASE);
	plain = __atomic_exchange_n(&pl_fdtab[fd].plain, 0,
	    __ATOMIC_RELAXED);
	up = __atomic_exchange_n(&pl_fdtab[fd].cipher[0], 0,
	    __ATOMIC_RELAXED);
	down = __atomic_exchange_n(&pl_fdtab[fd].cipher[1], 0,
	    __ATOMIC_RELAXED);
	if ((__atomic_exchange_n(&pl_fdtab[fd].duped, 0, __ATOMIC_RELAXED) &&
	    shared(fd, conn)) || kind == FD_RELAY || kind == FD_PROXY)
		return;
	pl_red_forget(conn);
	cx_jobj_begin(&j, js, sizeof(js));
	cx_jobj_str(&j, "by", kind != FD_SERVER ? "client" : "server");
	if (plain) {
		cx_jobj_array(&j, "tls_bytes");
		cx_jobj_u64(&j, NULL, up);
		cx_jobj_u64(&j, NULL, down);
		cx_jobj_close(&j);
	}
	pl_json_frame(CX_K_CLOSE, conn, &j);
}

/*
 * The program's first bytes to the proxy: a CONNECT the proxy decrypts is
 * its to record (FD_RELAY); one it only tunnels becomes a connection of
 * the preload's own, to that host, whose TLS plaintext is recorded here
 * (FD_TUNNEL).  The CONNECT itself (it carries the run's token) never is.
 * A request line not whole in the first write, or not a CONNECT we can
 * read, is taken as a tunnel of an unknown host: recorded twice at worst,
 * never lost.  One thread decides (the others see FD_RELAY meanwhile and
 * record nothing of a CONNECT); a vfork child leaves it to its parent.
 */
void
pl_proxy_decide(int fd, const struct iovec *iov, int iovcnt, size_t n)
{
	char head[300], host[256] = "", target[300] = "", js[1024];
	struct cx_jobj j;
	size_t got = 0;
	uint64_t old, conn;
	uint8_t want = FD_PROXY;

	if (pl_in_vfork_child() || !__atomic_compare_exchange_n(
	    &pl_fdtab[fd].kind, &want, (uint8_t)FD_RELAY, 0, __ATOMIC_ACQ_REL,
	    __ATOMIC_RELAXED))
		return;
	for (int i = 0; i < iovcnt && got < sizeof(head) - 1 && got < n; i++) {
		size_t k = iov[i].iov_len;

		if (k > sizeof(head) - 1 - got)
			k = sizeof(head) - 1 - got;
		if (k > n - got)
			k = n - got;
		if (k > 0)
			memcpy(head + got, iov[i].iov_base, k);
		got += k;
	}
	head[got] = '\0';
	if (memcmp(head, "CONNECT ", got < 8 ? got : 8) != 0)
		return;                 /* plain-HTTP: the proxy records it */
	const char *t = head + 8, *eol = got > 8 ? strstr(head, "\r\n") : NULL;
	if (eol != NULL) {
		const char *end = t + strcspn(t, " \r\n");
		size_t hn;

		snprintf(target, sizeof(target), "%.*s", (int)(end - t), t);
		if (*t == '[') {
			const char *rb = memchr(t, ']', (size_t)(end - t));

			hn = rb != NULL ? (size_t)(rb - t - 1) : 0;
			if (rb != NULL && hn < sizeof(host))
				snprintf(host, sizeof(host), "%.*s", (int)hn,
				    t + 1);
		} else {
			hn = strcspn(t, ": \r\n");
			if (hn < sizeof(host))
				snprintf(host, sizeof(host), "%.*s", (int)hn,
				    t);
		}
		if (host[0] != '\0' && cx_hostpat_csv(pl_st.intercept, host))
			return;         /* the proxy's to record */
	}
	old = __atomic_load_n(&pl_fdtab[fd].conn, __ATOMIC_ACQUIRE);
	conn = pl_new_conn();
	cx_jobj_begin(&j, js, sizeof(js));
	cx_jobj_str(&j, "connect", target);
	if (host[0] != '\0')
		cx_jobj_str(&j, "host", host);
	cx_jobj_str(&j, "role", "client");
	cx_jobj_str(&j, "via", "proxy");
	cx_jobj_str(&j, "comm", pl_comm());
	pl_json_frame(CX_K_OPEN, conn, &j);
	/* Every descriptor of that connection (dup) is now the tunnel. */
	for (int i = 0; i < FD_MAX; i++)
		if (i == fd || (__atomic_load_n(&pl_fdtab[fd].duped,
		    __ATOMIC_RELAXED) && __atomic_load_n(&pl_fdtab[i].conn,
		    __ATOMIC_RELAXED) == old)) {
			__atomic_store_n(&pl_fdtab[i].kind, (uint8_t)FD_TUNNEL,
			    __ATOMIC_RELAXED);
			__atomic_store_n(&pl_fdtab[i].conn, conn,
			    __ATOMIC_RELEASE);
		}
}

