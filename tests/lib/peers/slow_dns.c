/*
 * slow_dns.c: an LD_PRELOAD shim for tests: getaddrinfo for any name
 * ending in ".slow.test" sleeps 3 s and then fails, like a DNS server that
 * does not answer.  Everything else goes to the real getaddrinfo.
 */
#include <dlfcn.h>
#include <netdb.h>
#include <string.h>
#include <unistd.h>

int getaddrinfo(const char *node, const char *service,
    const struct addrinfo *hints, struct addrinfo **res);

int
getaddrinfo(const char *node, const char *service,
    const struct addrinfo *hints, struct addrinfo **res)
{
	static int (*real)(const char *, const char *,
	    const struct addrinfo *, struct addrinfo **);
	size_t n = node ? strlen(node) : 0;

	if (n > 10 && strcmp(node + n - 10, ".slow.test") == 0) {
		if (hints != NULL && (hints->ai_flags & AI_NUMERICHOST))
			return EAI_NONAME;      /* not an address: no wait */
		sleep(3);
		return EAI_AGAIN;
	}
	if (real == NULL)
		*(void **)&real = dlsym(RTLD_NEXT, "getaddrinfo");
	return real(node, service, hints, res);
}
