/*
 * driver.c: runs a fuzz target over files without libFuzzer, for
 * `make check`: every argument is a file, or a directory whose files are
 * each one input.  Prints how many inputs ran; a crash is the failure.
 */
#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "fuzz.h"

#define INPUT_MAX       (16u << 20)

static int
run_file(const char *path)
{
	FILE *f = fopen(path, "rb");
	uint8_t *buf;
	size_t n;

	if (f == NULL) {
		fprintf(stderr, "fuzz driver: cannot read %s: %s\n", path,
		    strerror(errno));
		return -1;
	}
	if ((buf = malloc(INPUT_MAX)) == NULL) {
		fclose(f);
		fprintf(stderr, "fuzz driver: out of memory\n");
		return -1;
	}
	n = fread(buf, 1, INPUT_MAX, f);
	fclose(f);
	LLVMFuzzerTestOneInput(buf, n);
	free(buf);
	return 0;
}

int
main(int argc, char **argv)
{
	unsigned long runs = 0;

	for (int i = 1; i < argc; i++) {
		struct stat st;
		DIR *d;
		struct dirent *e;

		if (stat(argv[i], &st) == -1) {
			fprintf(stderr, "fuzz driver: %s: %s\n", argv[i],
			    strerror(errno));
			return 2;
		}
		if (!S_ISDIR(st.st_mode)) {
			if (run_file(argv[i]) == -1)
				return 2;
			runs++;
			continue;
		}
		if ((d = opendir(argv[i])) == NULL) {
			fprintf(stderr, "fuzz driver: %s: %s\n", argv[i],
			    strerror(errno));
			return 2;
		}
		while ((e = readdir(d)) != NULL) {
			char p[4096];

			if (e->d_name[0] == '.')
				continue;
			snprintf(p, sizeof(p), "%s/%s", argv[i], e->d_name);
			if (run_file(p) == -1) {
				closedir(d);
				return 2;
			}
			runs++;
		}
		closedir(d);
	}
	printf("%s: %lu inputs\n", argv[0], runs);
	return 0;
}
