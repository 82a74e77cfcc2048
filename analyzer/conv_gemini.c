/* conv_gemini.c: (stub) the adapter for this API family (conv.h). */
#include "conv.h"

static int
claims(const struct cx_exchange *ex)
{
	(void)ex;
	return 0;
}

static size_t
turns(const struct cx_exchange *ex, cx_turn_fn fn, void *arg)
{
	(void)ex;
	(void)fn;
	(void)arg;
	return 0;
}

const struct cx_api cx_api_gemini = {
	.name = "gemini",
	.title = "gemini",
	.claims = claims,
	.turns = turns,
};
