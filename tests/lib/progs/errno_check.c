/*
 * errno_check: calls whose results and errno must be the same with the
 * preload as without (tests/integration/preload.sh compares the output of
 * the two runs): a refused connect, a read, write and close on a bad
 * descriptor, a recv on a pipe (not a socket), a connect on a Unix socket,
 * getaddrinfo of a name that does not resolve locally, dup2 over a
 * connected socket.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <netdb.h>
#include <netinet/in.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

static void
show(const char *what, long rc)
{
	printf("%s: %ld errno %d (%s)\n", what, rc, rc < 0 ? errno : 0,
	    rc < 0 ? strerror(errno) : "-");
}

int
main(void)
{
	struct sockaddr_in sa;
	struct sockaddr_un su;
	struct addrinfo *ai = NULL, hints;
	int fd, p[2];
	char c;

	memset(&sa, 0, sizeof(sa));
	sa.sin_family = AF_INET;
	sa.sin_port = htons(1);
	sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	fd = socket(AF_INET, SOCK_STREAM, 0);
	errno = 0;
	show("connect refused", connect(fd, (struct sockaddr *)&sa,
	    sizeof(sa)));
	close(fd);
	errno = 0;
	show("read bad fd", (long)read(9999, &c, 1));
	errno = 0;
	show("write bad fd", (long)write(9999, &c, 1));
	errno = 0;
	show("close bad fd", close(9999));
	if (pipe(p) == 0) {
		errno = 0;
		show("recv on a pipe", (long)recv(p[0], &c, 1, MSG_DONTWAIT));
		close(p[0]);
		close(p[1]);
	}
	memset(&su, 0, sizeof(su));
	su.sun_family = AF_UNIX;
	strcpy(su.sun_path, "/nonexistent/cxrec.sock");
	fd = socket(AF_UNIX, SOCK_STREAM, 0);
	errno = 0;
	show("connect unix", connect(fd, (struct sockaddr *)&su, sizeof(su)));
	close(fd);
	memset(&hints, 0, sizeof(hints));
	hints.ai_flags = AI_NUMERICHOST;
	show("getaddrinfo numeric bad", getaddrinfo("not-a-number", "80",
	    &hints, &ai));
	errno = 0;
	show("dup2 bad", dup2(9999, 10000));
	return 0;
}
