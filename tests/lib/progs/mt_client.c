/*
 * mt_client: THREADS threads each make N HTTP/1.1 requests to 127.0.0.1
 * PORT, one connection a request ("GET /t<thread>/<i>"), reading each
 * response to its end.  For the preload's test (tests/integration/
 * preload.sh): every exchange must be in the trace once, with the tid of
 * the thread that made it.  Prints "tid T" for each thread, then "ok".
 *
 * usage: mt_client PORT THREADS N
 */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <unistd.h>

static int port, n;
static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;

static void *
worker(void *arg)
{
	int t = (int)(intptr_t)arg;
	long tid = syscall(SYS_gettid);

	pthread_mutex_lock(&lock);
	printf("tid %ld thread %d\n", tid, t);
	pthread_mutex_unlock(&lock);
	for (int i = 0; i < n; i++) {
		struct sockaddr_in sa;
		char req[128], buf[4096];
		int fd, len;

		memset(&sa, 0, sizeof(sa));
		sa.sin_family = AF_INET;
		sa.sin_port = htons((uint16_t)port);
		sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
		if ((fd = socket(AF_INET, SOCK_STREAM, 0)) == -1 ||
		    connect(fd, (struct sockaddr *)&sa, sizeof(sa)) == -1) {
			perror("mt_client: connect");
			exit(1);
		}
		len = snprintf(req, sizeof(req), "GET /t%d/%d HTTP/1.1\r\n"
		    "Host: 127.0.0.1\r\nConnection: close\r\n\r\n", t, i);
		if (write(fd, req, (size_t)len) != len) {
			perror("mt_client: write");
			exit(1);
		}
		while (read(fd, buf, sizeof(buf)) > 0)
			;
		close(fd);
	}
	return NULL;
}

int
main(int argc, char **argv)
{
	pthread_t th[64];
	int nt;

	if (argc != 4 || (port = atoi(argv[1])) <= 0 ||
	    (nt = atoi(argv[2])) <= 0 || nt > 64 || (n = atoi(argv[3])) <= 0) {
		fprintf(stderr, "usage: mt_client PORT THREADS N\n");
		return 2;
	}
	for (int i = 0; i < nt; i++)
		if (pthread_create(&th[i], NULL, worker,
		    (void *)(intptr_t)i) != 0) {
			fprintf(stderr, "mt_client: pthread_create failed\n");
			return 1;
		}
	for (int i = 0; i < nt; i++)
		pthread_join(th[i], NULL);
	printf("ok\n");
	return 0;
}
