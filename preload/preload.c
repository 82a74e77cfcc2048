/*
 * preload.c: libcxrec-preload.so, the LD_PRELOAD recorder (preload.h).
 *
 * Rules, since it lives inside someone else's program:
 *  - every hook calls the real function first and returns exactly what it
 *    returned, with errno as it left it;
 *  - nothing is printed unless CXREC_DEBUG is set; nothing aborts; memory
 *    is allocated only when opening the trace (a failure there disables
 *    recording, said in the CXREC_PRELOAD_ERRORS file);
 *  - a thread-local guard keeps the library's own calls (the writer's
 *    writev, say) from being recorded or hooked again;
 *  - what is not an AF_INET/AF_INET6 stream socket, or is not known to be
 *    one (a descriptor this library did not see connect or accept), costs
 *    one table look-up.
 *
 * Descriptors are tracked in a table indexed by fd (FD_MAX of them; higher
 * ones are not recorded).  Connection ids are pid << 32 | counter, the
 * counter restarting in a forked child, whose pid differs.
 *
 * This file: init, that is the real functions the hooks call (resolved
 * by dlsym) and the environment; preload_int.h lists the other pieces.
 */
#include <arpa/inet.h>
#include <dlfcn.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "line.h"
#include "preload.h"
#include "preload_int.h"

/* --- the real functions --------------------------------------------------- */

int (*real_connect)(int, const struct sockaddr *, socklen_t);
int (*real_accept)(int, struct sockaddr *, socklen_t *);
int (*real_accept4)(int, struct sockaddr *, socklen_t *, int);
ssize_t (*real_send)(int, const void *, size_t, int);
ssize_t (*real_sendto)(int, const void *, size_t, int,
    const struct sockaddr *, socklen_t);
ssize_t (*real_sendmsg)(int, const struct msghdr *, int);
ssize_t (*real_recv)(int, void *, size_t, int);
ssize_t (*real_recvfrom)(int, void *, size_t, int, struct sockaddr *,
    socklen_t *);
ssize_t (*real_recvmsg)(int, struct msghdr *, int);
ssize_t (*real_write)(int, const void *, size_t);
ssize_t (*real_writev)(int, const struct iovec *, int);
ssize_t (*real_read)(int, void *, size_t);
ssize_t (*real_readv)(int, const struct iovec *, int);
int (*real_close)(int);
int (*real_shutdown)(int, int);
int (*real_dup)(int);
int (*real_dup2)(int, int);
int (*real_dup3)(int, int, int);
int (*real_socket)(int, int, int);
int (*real_open)(const char *, int, ...);
int (*real_openat)(int, const char *, int, ...);
int (*real_fclose)(FILE *);
int (*real_close_range)(unsigned, unsigned, int);
void (*real_closefrom)(int);
int (*real_getaddrinfo)(const char *, const char *,
    const struct addrinfo *, struct addrinfo **);

pthread_once_t pl_once = PTHREAD_ONCE_INIT;

/*
 * Resolve one real function.  A lookup that finds this library itself
 * (another preload before us resolved to us) would loop: treat it as
 * missing.
 */
static void *
next(const char *name, void *self)
{
	void *p = dlsym(RTLD_NEXT, name);

	return p == self ? NULL : p;
}

/* --- debug and failure lines ---------------------------------------------- */

void
pl_debug(const char *fmt, ...)
{
	char line[512];
	va_list ap;
	int n;
	size_t k;

	if (!pl_st.debug || real_write == NULL)
		return;
	n = snprintf(line, sizeof(line), "cxrec-preload[%d]: ", (int)getpid());
	va_start(ap, fmt);
	k = cx_vline(line + n, sizeof(line) - (size_t)n, fmt, ap);
	va_end(ap);
	if (k > 0)
		real_write(2, line, (size_t)n + k);
}

void
pl_report(const char *fmt, ...)
{
	const char *path = pl_st.errors[0] != '\0' ? pl_st.errors : NULL;
	char line[600];
	va_list ap;
	size_t n;
	int fd;

	va_start(ap, fmt);
	n = cx_vline(line, sizeof(line), fmt, ap);
	va_end(ap);
	if (n == 0)
		return;
	pl_debug("%.*s", (int)n - 1, line);
	if (path == NULL || real_write == NULL)
		return;
	if (real_open == NULL || (fd = real_open(path, O_WRONLY | O_APPEND |
	    O_CLOEXEC | O_NOFOLLOW)) == -1)
		return;
	real_write(fd, line, n);
	real_close(fd);
}

/* --- the environment ------------------------------------------------------ */

/* "http://127.0.0.1:8080" (or [::1]) into *ss; *have set when it parses. */
static void
parse_relay(const char *url, struct sockaddr_storage *ss, int *have)
{
	char host[64];
	const char *p, *colon;
	size_t n;
	long port;

	if (url == NULL || strncmp(url, "http://", 7) != 0)
		return;
	p = url + 7;
	if (*p == '[') {
		const char *close = strchr(p, ']');

		if (close == NULL || close[1] != ':')
			return;
		n = (size_t)(close - p - 1);
		if (n >= sizeof(host))
			return;
		memcpy(host, p + 1, n);
		colon = close + 1;
	} else {
		if ((colon = strchr(p, ':')) == NULL)
			return;
		n = (size_t)(colon - p);
		if (n >= sizeof(host))
			return;
		memcpy(host, p, n);
	}
	host[n] = '\0';
	port = strtol(colon + 1, NULL, 10);
	if (port <= 0 || port > 65535)
		return;
	memset(ss, 0, sizeof(*ss));
	if (inet_pton(AF_INET, host, &((struct sockaddr_in *)ss)->
	    sin_addr) == 1) {
		ss->ss_family = AF_INET;
		((struct sockaddr_in *)ss)->sin_port = htons((uint16_t)port);
		*have = 1;
	} else if (inet_pton(AF_INET6, host, &((struct sockaddr_in6 *)
	    ss)->sin6_addr) == 1) {
		ss->ss_family = AF_INET6;
		((struct sockaddr_in6 *)ss)->sin6_port =
		    htons((uint16_t)port);
		*have = 1;
	}
}

void
pl_init(void)
{
#define R(name) real_##name = (__typeof__(real_##name))next(#name, (void *)name)
	R(connect);
	R(accept);
	R(accept4);
	R(send);
	R(sendto);
	R(sendmsg);
	R(recv);
	R(recvfrom);
	R(recvmsg);
	R(write);
	R(writev);
	R(read);
	R(readv);
	R(close);
	R(shutdown);
	R(dup);
	R(dup2);
	R(dup3);
	R(getaddrinfo);
	R(socket);
	R(open);
	R(openat);
	R(fclose);
	R(close_range);
	R(closefrom);
#undef R
	pl_st.debug = getenv(CX_PRELOAD_ENV_DEBUG) != NULL;
	pl_st.pid = (uint32_t)getpid();
	pl_st.next_conn = pl_counter_start();
	snprintf(pl_st.trace, sizeof(pl_st.trace), "%s",
	    getenv(CX_PRELOAD_ENV_TRACE) ? getenv(CX_PRELOAD_ENV_TRACE) : "");
	snprintf(pl_st.errors, sizeof(pl_st.errors), "%s",
	    getenv(CX_PRELOAD_ENV_ERRORS) ? getenv(CX_PRELOAD_ENV_ERRORS) :
	    "");
	parse_relay(getenv(CX_PRELOAD_ENV_RELAY), &pl_st.relay,
	    &pl_st.have_relay);
	parse_relay(getenv(CX_PRELOAD_ENV_PROXY), &pl_st.proxy,
	    &pl_st.have_proxy);
	snprintf(pl_st.intercept, sizeof(pl_st.intercept), "%s",
	    getenv(CX_PRELOAD_ENV_INTERCEPT) ?
	    getenv(CX_PRELOAD_ENV_INTERCEPT) : "all");
	pl_ring_init();
	pthread_atfork(pl_before_fork, pl_after_fork_parent,
	    pl_after_fork_child);
}

