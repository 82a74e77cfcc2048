/*
 * nosock: a program that uses no sockets (files, pipes, a child): its
 * output must be byte for byte the same with the preload as without.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

int
main(int argc, char **argv)
{
	char buf[256];
	FILE *f;
	int p[2];
	ssize_t n;
	pid_t pid;

	if (argc != 2)
		return 2;
	if ((f = fopen(argv[1], "w+")) == NULL)
		return 1;
	for (int i = 0; i < 1000; i++)
		fprintf(f, "line %d\n", i);
	rewind(f);
	while (fgets(buf, sizeof(buf), f) != NULL)
		if (strcmp(buf, "line 999\n") == 0)
			printf("file ok\n");
	fclose(f);
	if (pipe(p) != 0)
		return 1;
	if ((pid = fork()) == 0) {
		close(p[0]);
		n = write(p[1], "from the child\n", 15);
		_exit(n == 15 ? 0 : 1);
	}
	close(p[1]);
	while ((n = read(p[0], buf, sizeof(buf))) > 0)
		fwrite(buf, 1, (size_t)n, stdout);
	waitpid(pid, NULL, 0);
	printf("done\n");
	return 0;
}
