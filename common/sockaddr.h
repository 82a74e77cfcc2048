/*
 * sockaddr.h: listening addresses as people write them, for every
 * listener of cxrec's (the relay, its forward proxy, the live view).
 */
#ifndef CX_SOCKADDR_H
#define CX_SOCKADDR_H

#include <stddef.h>
#include <sys/socket.h>

/* "HOST:PORT", "[V6]:PORT" or "PORT" (on 127.0.0.1) into a socket
 * address; -1 with a one-line err naming s as --listen's. */
int      cx_listen_parse(const char *s, struct sockaddr_storage *ss,
    socklen_t *sl, char *err, size_t errlen);
/* Is it 127.0.0.0/8 or ::1? */
int      cx_sockaddr_loopback(const struct sockaddr_storage *ss);
/* "127.0.0.1:PORT", "[::1]:PORT" */
void     cx_sockaddr_str(const struct sockaddr_storage *ss, char *out,
    size_t len);

#endif
