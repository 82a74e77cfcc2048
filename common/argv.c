/* argv.c: a command line as a JSON array in a frame payload (argv.h). */
#include <stdlib.h>
#include <string.h>

#include "argv.h"
#include "redact.h"
#include "xmalloc.h"

void
cx_argv_jobj(struct cx_jobj *j, const char *key, const char *buf, size_t n,
    const struct cx_srcredact_key *k)
{
	const char *p = buf, *end = buf + n, *prev = NULL;
	char *arg = NULL;       /* an unterminated last argument, terminated */

	cx_jobj_array(j, key);
	while (p < end) {
		const char *z = memchr(p, '\0', (size_t)(end - p));
		const char *a = p;
		char *red;

		if (z == NULL)
			a = arg = xstrndup(p, (size_t)(end - p));
		red = k != NULL ? cx_redact_arg(k, a, prev) : NULL;
		cx_jobj_str(j, NULL, red != NULL ? red : a);
		free(red);
		prev = a;
		p = z != NULL ? z + 1 : end;
	}
	cx_jobj_close(j);
	free(arg);
}
