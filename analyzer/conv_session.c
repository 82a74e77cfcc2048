/* conv_session.c: (stub) sessions and new input (conv.h). */
#include <stdlib.h>

#include "conv.h"
#include "xmalloc.h"

struct cx_sessions {
	size_t n;
};

struct cx_sessions *
cx_sessions_new(void)
{
	return xcalloc(1, sizeof(struct cx_sessions));
}

void
cx_sessions_free(struct cx_sessions *s)
{
	free(s);
}

size_t
cx_sessions_turn(struct cx_sessions *s, struct cx_turn *t, int *is_new)
{
	(void)s;
	for (size_t i = 0; i < t->input.n; i++)
		t->input.v[i].fresh = 1;
	*is_new = 1;
	return 1;
}
