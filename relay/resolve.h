/*
 * resolve.h: upstream host names resolved off the event loop.
 *
 * getaddrinfo blocks, for seconds when DNS is slow or broken; the relay's
 * loop must not, or every stream it carries would stall.  Lookups run in
 * short-lived threads; the loop is told through an eventfd when one ends.
 * Results are cached per route for RESOLVE_TTL; a stale entry is still
 * used while a fresh lookup runs in the background.
 */
#ifndef CX_RESOLVE_H
#define CX_RESOLVE_H

#include <stddef.h>
#include <sys/socket.h>

#define RESOLVE_MAX_ADDRS       8

struct resolver;

/* The addresses of one host, copied out: the caller owns them. */
struct addr_list {
	int                      n;
	struct sockaddr_storage  a[RESOLVE_MAX_ADDRS];
	socklen_t                len[RESOLVE_MAX_ADDRS];
};

enum { RESOLVE_OK, RESOLVE_WAIT, RESOLVE_FAIL };

/*
 * nslots: how many distinct hosts (the routes, and the forward proxy's
 * hosts hashed over a few more).  A slot remembers the host and port it
 * holds: asked for another, it starts over once its lookup under way, if
 * any, has ended.  notify_fd: an eventfd.
 */
struct resolver *resolver_new(int nslots, int notify_fd);
/* Never waits for lookups under way: they finish and clean up alone. */
void resolver_free(struct resolver *res);
/*
 * The addresses for slot (host, port): RESOLVE_OK and *out filled,
 * RESOLVE_WAIT (a lookup is under way: try again after the notify fd
 * fires), or RESOLVE_FAIL with the reason in err (the failure of the
 * lookup that just ended; the next call starts a new one).
 */
int  resolver_get(struct resolver *res, int slot, const char *host,
    const char *port, struct addr_list *out, char *err, size_t errlen);
/* Take in finished lookups; call when the notify fd is readable. */
void resolver_collect(struct resolver *res);

#endif
