/*
 * connect_loop: N loopback TCP connections, one after another, for the
 * probe's overhead benchmark (probe_bench.sh, docs/performance.md).
 *
 * A thread accepts and closes; the main thread connects and closes with
 * a reset (SO_LINGER 0: no TIME_WAIT left behind on either side, so that
 * run after run finds the same free ports).  Prints "connects N seconds S" (the loop's own
 * CLOCK_MONOTONIC time, startup excluded).
 *
 * usage: connect_loop N
 */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

static int lfd;

static void *
acceptor(void *arg)
{
	(void)arg;
	for (;;) {
		int fd = accept(lfd, NULL, NULL);

		if (fd == -1) {
			if (errno == EINTR || errno == ECONNABORTED)
				continue;
			return NULL;
		}
		close(fd);
	}
}

static double
now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

int
main(int argc, char **argv)
{
	struct sockaddr_in sa;
	socklen_t sl = sizeof(sa);
	pthread_t t;
	long n = argc > 1 ? strtol(argv[1], NULL, 10) : 20000;
	double t0, t1;

	if (n <= 0) {
		fprintf(stderr, "usage: connect_loop N\n");
		return 2;
	}
	memset(&sa, 0, sizeof(sa));
	sa.sin_family = AF_INET;
	sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	if ((lfd = socket(AF_INET, SOCK_STREAM, 0)) == -1 ||
	    bind(lfd, (struct sockaddr *)&sa, sizeof(sa)) == -1 ||
	    listen(lfd, 512) == -1 ||
	    getsockname(lfd, (struct sockaddr *)&sa, &sl) == -1) {
		perror("connect_loop: listen");
		return 1;
	}
	if (pthread_create(&t, NULL, acceptor, NULL) != 0) {
		fprintf(stderr, "connect_loop: pthread_create failed\n");
		return 1;
	}
	t0 = now();
	for (long i = 0; i < n; i++) {
		struct linger lg = { 1, 0 };
		int fd = socket(AF_INET, SOCK_STREAM, 0);

		if (fd == -1 || connect(fd, (struct sockaddr *)&sa,
		    sizeof(sa)) == -1) {
			perror("connect_loop: connect");
			return 1;
		}
		setsockopt(fd, SOL_SOCKET, SO_LINGER, &lg, sizeof(lg));
		close(fd);
	}
	t1 = now();
	printf("connects %ld seconds %.6f\n", n, t1 - t0);
	return 0;
}
