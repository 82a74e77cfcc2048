/*
 * hostpat.h: host name patterns, one matcher for every part of cxrec that
 * decides by host (the forward proxy's --intercept agent, the preload's
 * copy of that policy).  A pattern is an exact name, "*.x.com" (names
 * under x.com, not x.com itself) or "*-x.com" (one label ending in
 * "-x.com": us-central1-aiplatform.googleapis.com); case does not matter.
 */
#ifndef CX_HOSTPAT_H
#define CX_HOSTPAT_H

#include <stddef.h>

/* Does host match the pattern p[0..plen)? */
int cx_hostpat_match(const char *p, size_t plen, const char *host);
/* ... any of list (NULL-terminated; NULL matches nothing)? */
int cx_hostpat_listed(const char *const *list, const char *host);
/* ... any of csv ("p1,p2,..."; "all" matches every host, "none" none)? */
int cx_hostpat_csv(const char *csv, const char *host);

#endif
