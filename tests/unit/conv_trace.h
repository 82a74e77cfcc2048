/*
 * conv_trace.h: for the conversation model's unit tests: load a recorded
 * trace (tests/data/conv/NAME, gzip'd; README there says how each was
 * made) and take every exchange's turns.  Static functions (unused
 * ones are fine).
 */
#ifndef CX_TEST_CONV_TRACE_H
#define CX_TEST_CONV_TRACE_H

#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include <zlib.h>

#include "conv.h"
#include "exchange.h"
#include "trace.h"
#include "xmalloc.h"

struct ct_trace {
	struct cx_analysis      *a;
	const struct cx_analysis_result *r;
	struct cx_turn         **turns;         /* taken, in order */
	size_t                   nturns;
};

static __attribute__((unused)) void
ct_take(void *arg, struct cx_turn *t)
{
	struct ct_trace *ct = arg;

	ct->turns = xreallocarray(ct->turns, ct->nturns + 1,
	    sizeof(*ct->turns));
	ct->turns[ct->nturns++] = cx_turn_take(t);
}

static __attribute__((unused)) void
ct_load(struct ct_trace *ct, const char *name)
{
	char src[512], tmp[] = "/tmp/cxrec-test-convtrace.XXXXXX", err[256];
	char buf[65536];
	struct cx_reader *rd;
	struct cx_frame f;
	gzFile gz;
	int fd, n;

	memset(ct, 0, sizeof(*ct));
	snprintf(src, sizeof(src), "tests/data/conv/%s", name);
	gz = gzopen(src, "rb");
	ck_assert_msg(gz != NULL, "cannot open %s", src);
	fd = mkstemp(tmp);
	ck_assert_int_ge(fd, 0);
	while ((n = gzread(gz, buf, sizeof(buf))) > 0)
		ck_assert_int_eq(write(fd, buf, (size_t)n), n);
	ck_assert_int_eq(n, 0);
	gzclose(gz);
	close(fd);
	rd = cx_reader_open(tmp, err, sizeof(err));
	ck_assert_msg(rd != NULL, "%s", err);
	ct->a = cx_analysis_new(cx_reader_info(rd));
	while (cx_reader_next(rd, &f) == 1)
		cx_analysis_frame(ct->a, &f);
	cx_analysis_finish(ct->a);
	cx_reader_close(rd);
	unlink(tmp);
	ct->r = cx_analysis_result(ct->a);
	for (size_t i = 0; i < ct->r->nex; i++)
		cx_conv_turns(ct->r->ex[i], ct_take, ct);
}

static __attribute__((unused)) void
ct_free(struct ct_trace *ct)
{
	for (size_t i = 0; i < ct->nturns; i++) {
		cx_turn_free(ct->turns[i]);
		free(ct->turns[i]);
	}
	free(ct->turns);
	cx_analysis_free(ct->a);
	memset(ct, 0, sizeof(*ct));
}

/* The first item of kind in l from index from on, or NULL. */
static __attribute__((unused)) const struct cx_item *
ct_find(const struct cx_items *l, enum cx_item_kind kind, size_t from)
{
	for (size_t i = from; i < l->n; i++)
		if (l->v[i].kind == kind)
			return &l->v[i];
	return NULL;
}

static __attribute__((unused)) size_t
ct_count(const struct cx_items *l, enum cx_item_kind kind)
{
	size_t n = 0;

	for (size_t i = 0; i < l->n; i++)
		n += l->v[i].kind == kind;
	return n;
}

static __attribute__((unused)) int
ct_has_tool(const struct cx_turn *t, const char *name)
{
	for (size_t i = 0; i < t->ntools; i++)
		if (strcmp(t->tools[i].name, name) == 0)
			return 1;
	return 0;
}

#endif
