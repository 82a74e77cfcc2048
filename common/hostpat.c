/* hostpat.c: host name patterns (hostpat.h).  No allocation: the preload
 * links it too. */
#include <string.h>
#include <strings.h>

#include "hostpat.h"

int
cx_hostpat_match(const char *p, size_t plen, const char *host)
{
	size_t hl = strlen(host);

	if (plen > 2 && p[0] == '*' && (p[1] == '.' || p[1] == '-')) {
		size_t sl = plen - 1;           /* ".x.com" or "-x.com" */

		if (hl <= sl || strncasecmp(host + hl - sl, p + 1, sl) != 0)
			return 0;
		/* "*-x": the part before it is one label */
		return p[1] == '.' || memchr(host, '.', hl - sl) == NULL;
	}
	return plen == hl && strncasecmp(p, host, plen) == 0;
}

int
cx_hostpat_listed(const char *const *list, const char *host)
{
	for (; list != NULL && *list != NULL; list++)
		if (cx_hostpat_match(*list, strlen(*list), host))
			return 1;
	return 0;
}

int
cx_hostpat_csv(const char *csv, const char *host)
{
	if (strcmp(csv, "all") == 0)
		return 1;
	if (strcmp(csv, "none") == 0)
		return 0;
	while (*csv != '\0') {
		size_t n = strcspn(csv, ",");

		if (n > 0 && cx_hostpat_match(csv, n, host))
			return 1;
		csv += n;
		if (*csv == ',')
			csv++;
	}
	return 0;
}
