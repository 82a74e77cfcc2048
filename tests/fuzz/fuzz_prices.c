/*
 * fuzz_prices.c: a --prices file (analyzer/price.c, docs/prices.md) from
 * any bytes: it parses or gives one line naming the place; what parses is
 * looked up and priced (no crash, no leak, no read past the text).
 *
 * Input: the file's text (not NUL-terminated: copied to a buffer of its
 * exact size).
 */
#include <stdlib.h>
#include <string.h>

#include "fuzz.h"
#include "price.h"
#include "xmalloc.h"

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *txt = xmalloc(size > 0 ? size : 1), err[256];
	struct cx_prices *p;
	struct cx_usage u;

	memcpy(txt, data, size);
	err[0] = '\0';
	p = cx_prices_parse(txt, size, "f.json", err, sizeof(err));
	if (p == NULL) {
		if (err[0] == '\0' || strchr(err, '\n') != NULL)
			abort();        /* one line, always */
		free(txt);
		return 0;
	}
	cx_usage_init(&u);
	u.input = (int64_t)size * 1000;
	u.cached = (int64_t)size;
	u.cache_write = (int64_t)size / 2;
	u.cache_write_1h = (int64_t)size / 4;
	u.output = 12345;
	u.reasoning = 99;
	for (size_t i = 0; i < p->n; i++) {
		const struct cx_price *r = cx_price_find(p, p->v[i].family,
		    p->v[i].model, u.input);
		char buf[96];
		struct cx_cost c;

		if (r == NULL || cx_price_apply(r, &u) < 0)
			abort();
		cx_cost_init(&c);
		(void)cx_cost_turn(&c, p, p->v[i].family, p->v[i].model, &u);
		cx_cost_text(buf, sizeof(buf), &c, 1);
	}
	cx_prices_free(p);
	free(txt);
	return 0;
}
