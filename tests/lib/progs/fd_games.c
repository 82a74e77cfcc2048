/*
 * fd_games: what a program may do to descriptors behind a preload's back,
 * none of which may change what it sees (tests/integration/preload.sh).
 * With a server at 127.0.0.1 PORT answering HTTP:
 *  1. recv(MSG_TRUNC) into no buffer (the data is thrown away);
 *  2. a socket wrapped in a FILE and fclose'd, its number then reused by a
 *     file that is read with read();
 *  3. every descriptor from 3 up closed (close_range), then files opened
 *     (they take the low numbers) and written: what they hold must be
 *     exactly what was written.
 * Prints what it saw; writes OUT.
 *
 * usage: fd_games PORT OUT
 */
#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <unistd.h>

static int
dial(int port)
{
	struct sockaddr_in sa;
	int fd = socket(AF_INET, SOCK_STREAM, 0);

	memset(&sa, 0, sizeof(sa));
	sa.sin_family = AF_INET;
	sa.sin_port = htons((uint16_t)port);
	sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	if (fd == -1 || connect(fd, (struct sockaddr *)&sa, sizeof(sa)) == -1) {
		perror("fd_games: connect");
		exit(1);
	}
	return fd;
}

static const char req[] = "GET /v1/models HTTP/1.1\r\nHost: x\r\n"
    "Connection: close\r\n\r\n";

int
main(int argc, char **argv)
{
	char buf[256];
	ssize_t n;
	FILE *f;
	int fd, port;

	if (argc != 3 || (port = atoi(argv[1])) <= 0)
		return 2;
	/* 1 */
	fd = dial(port);
	if (write(fd, req, sizeof(req) - 1) != (ssize_t)sizeof(req) - 1)
		return 1;
	n = recv(fd, NULL, 12, MSG_TRUNC | MSG_WAITALL);
	printf("truncated recv: %zd\n", n);
	while (read(fd, buf, sizeof(buf)) > 0)
		;
	close(fd);
	/* 2 */
	fd = dial(port);
	if ((f = fdopen(fd, "r+")) == NULL)
		return 1;
	fclose(f);
	fd = open("/proc/self/comm", O_RDONLY);
	n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	printf("read a file on a reused number: %zd bytes\n", n);
	/* 3 */
	fflush(stdout);
	syscall(SYS_close_range, 3u, ~0u, 0u);
	close_range(3, ~0u, 0);
	fd = open(argv[2], O_WRONLY | O_CREAT | O_TRUNC, 0644);
	for (int i = 0; i < 100; i++) {
		int k = snprintf(buf, sizeof(buf), "line %d\n", i);

		if (write(fd, buf, (size_t)k) != k)
			return 1;
	}
	close(fd);
	printf("done\n");
	return 0;
}
