/* decode.c: trace in, exchanges out (see decode.h). */
#include <errno.h>
#include <stdio.h>
#include <stdio_ext.h>
#include <stdlib.h>
#include <string.h>

#include <cJSON.h>

#include "credname.h"
#include "decode.h"
#include "decode_int.h"
#include "redact.h"
#include "xmalloc.h"
#include "exchange.h"
#include "output.h"

struct warn_ctx {
	const char      *path;
	cx_reader_warn_fn fn;
	void            *arg;
};

static void
warn_stderr(void *arg, const char *msg)
{
	fprintf(stderr, "cxrec: decode: %s: %s\n", (const char *)arg, msg);
}

/* Say on stderr (or to the hook) what the recorder said it lost. */
static void
report_losses(const struct cx_analysis_result *r, struct warn_ctx *w)
{
	char msg[256];

	for (size_t i = 0; i < r->nnotes; i++) {
		const struct cx_note *n = &r->notes[i];
		cJSON *o;
		double fr, by, en;

		if (n->kind != CX_K_LOSS)
			continue;
		o = cJSON_ParseWithLength(n->text, n->len);
		fr = cJSON_GetNumberValue(cJSON_GetObjectItem(o, "frames"));
		by = cJSON_GetNumberValue(cJSON_GetObjectItem(o, "bytes"));
		en = cJSON_GetNumberValue(cJSON_GetObjectItem(o, "errno"));
		snprintf(msg, sizeof(msg), "the %s could not record %.0f "
		    "frames (%.0f bytes)%s%s", cx_source_name(n->source),
		    fr > 0 ? fr : 0, by > 0 ? by : 0, en > 0 ? ": " : "",
		    en > 0 ? strerror((int)en) : "");
		w->fn(w->arg, msg);
		cJSON_Delete(o);
	}
}

void
cx_decode_note_names(struct cx_credname *set, const struct cx_frame *f)
{
	static const char key[] = "\"credentials\"";
	cJSON *o, *c, *e;

	if (f->kind != CX_K_NOTE || f->len < sizeof(key) ||
	    memmem(f->payload, f->len, key, sizeof(key) - 1) == NULL)
		return;
	o = cJSON_ParseWithLength((const char *)f->payload, f->len);
	if (!cJSON_IsString(cJSON_GetObjectItem(o, "type")) || strcmp(
	    cJSON_GetObjectItem(o, "type")->valuestring, "run") != 0) {
		cJSON_Delete(o);
		return;
	}
	c = cJSON_GetObjectItem(o, "credentials");
	cJSON_ArrayForEach(e, cJSON_GetObjectItem(c, "headers"))
		if (cJSON_IsString(e))
			cx_credname_add_header(set, e->valuestring);
	cJSON_ArrayForEach(e, cJSON_GetObjectItem(c, "query"))
		if (cJSON_IsString(e))
			cx_credname_add_query(set, e->valuestring);
	cJSON_Delete(o);
}

int
cx_parse_offset(const char *s, int64_t *ns)
{
	char *end;
	double v, unit = 1e9;

	errno = 0;
	v = strtod(s, &end);
	if (end == s || errno != 0 || v < 0 || v != v)
		return -1;
	if (*end == '\0' || strcmp(end, "s") == 0)
		unit = 1e9;
	else if (strcmp(end, "ms") == 0)
		unit = 1e6;
	else if (strcmp(end, "us") == 0)
		unit = 1e3;
	else if (strcmp(end, "m") == 0 || strcmp(end, "min") == 0)
		unit = 60e9;
	else if (strcmp(end, "h") == 0)
		unit = 3600e9;
	else
		return -1;
	if (v * unit > 9.2e18)
		return -1;
	*ns = (int64_t)(v * unit);
	return 0;
}

static int
keep(const struct cx_decode_filter *flt, const struct cx_file_info *info,
    const struct cx_analysis_result *r, const struct cx_exchange *ex)
{
	int64_t off = ex->start - info->monotonic_ns;

	if (flt->has_pid && ex->pid != flt->pid && !(flt->tree &&
	    ex->pid != 0 && cx_procs_descends(r->procs, ex->pid, flt->pid)))
		return 0;
	if (flt->has_conn && ex->conn != flt->conn)
		return 0;
	if (flt->path != NULL && (!ex->has_req || ex->req.target == NULL ||
	    strncmp(ex->req.target, flt->path, strlen(flt->path)) != 0))
		return 0;
	if (flt->has_since && off < flt->since_ns)
		return 0;
	if (flt->has_until && off > flt->until_ns)
		return 0;
	return 1;
}

/* One pass: each exchange kept by the filters to the format. */
struct pass_ctx {
	const struct cx_out_format      *fmt;
	void                            *st;
	int                              pass;
	const struct cx_decode_filter   *filter;
	const struct cx_file_info       *info;
	const struct cx_analysis_result *r;
	FILE                            *out;
	int                              follow;        /* flush each */
	struct decode_pipe              *pipe;          /* or NULL */
};

static void
emit(void *arg, struct cx_exchange *ex)
{
	struct pass_ctx *p = arg;

	if (!keep(p->filter, p->info, p->r, ex)) {
		if (p->pipe != NULL)
			cx_exchange_free(ex);
		return;
	}
	if (p->fmt->prepare != NULL) {
		/* work for the format's thread done here while it is busy */
		cx_ahead_behind(p->pipe != NULL && decode_pipe_busy(p->pipe));
		p->fmt->prepare(p->st, p->pass, ex);
	}
	if (p->pipe != NULL) {
		decode_pipe_push(p->pipe, p->pass, ex);
		return;
	}
	p->fmt->exchange(p->st, p->pass, ex);
	if (p->follow)
		fflush(p->out);
}

void
decode_frame(struct decode_run *d, const struct cx_frame *f)
{
	/*
	 * What a format may read besides its exchange (the notes, the
	 * processes, the names redacted) changes only here: with the format
	 * on its own thread, it first writes what came before.
	 */
	if (d->pipe != NULL && (f->kind == CX_K_NOTE || f->kind == CX_K_PROC ||
	    f->kind == CX_K_LOSS || f->kind == CX_K_ERROR))
		decode_pipe_drain(d->pipe);
	if (f->kind == CX_K_NOTE)
		cx_decode_note_names(d->names, f);
	cx_analysis_frame(d->a, f);
}

/* May the format run on a thread of its own?  Not when following (each
 * exchange is flushed as it comes), nor when CXREC_DECODE_THREADS=1. */
static int
use_pipe(const struct cx_decode_opts *opts)
{
	const char *e = getenv("CXREC_DECODE_THREADS");

	return !opts->follow && !(e != NULL && strcmp(e, "1") == 0);
}

int
decode_read(struct decode_run *d)
{
	struct cx_frame f;
	int end = 0;

	while (cx_reader_next(d->r, &f) == 1) {
		if (f.kind == CX_K_END)
			end = 1;
		decode_frame(d, &f);
	}
	return end;
}

static void
warn_none(void *arg, const char *msg)
{
	(void)arg;
	(void)msg;
}

void
cx_out_all(const struct cx_out_format *fmt, FILE *f,
    const struct cx_out_ctx *ctx)
{
	void *st = fmt->open(f, ctx);

	for (int pass = 0; pass < fmt->passes; pass++) {
		for (size_t i = 0; i < ctx->r->nex; i++) {
			if (fmt->prepare != NULL)
				fmt->prepare(st, pass, ctx->r->ex[i]);
			fmt->exchange(st, pass, ctx->r->ex[i]);
		}
		fmt->pass_done(st, pass);
	}
	fmt->close(st);
}

int
cx_decode(const char *trace_path, const struct cx_decode_opts *opts,
    FILE *out, char *err, size_t errlen)
{
	static const struct cx_decode_opts defaults;
	const struct cx_out_format *fmt;
	struct cx_analysis *a;
	struct cx_reader *r;
	struct cx_out_ctx ctx;
	struct decode_run d;
	struct warn_ctx w;
	struct pass_ctx pc;
	struct cx_credname names;
	const struct cx_credname *prev_names;
	int rc;

	if (opts == NULL)
		opts = &defaults;
	fmt = opts->format != NULL ? cx_out_find(opts->format) :
	    cx_out_formats[0];
	if (fmt == NULL) {
		snprintf(err, errlen, "unknown output format '%s'",
		    opts->format);
		return CX_DECODE_EINPUT;
	}
	if (opts->follow && !cx_out_follows(fmt)) {
		snprintf(err, errlen, "format '%s' needs the whole trace: it "
		    "cannot follow one", fmt->name);
		return CX_DECODE_EINPUT;
	}
	if ((r = cx_reader_open(trace_path, err, errlen)) == NULL)
		return CX_DECODE_EINPUT;
	/* One thread writes out: no stdio locking on every small write. */
	__fsetlocking(out, FSETLOCKING_BYCALLER);
	w.path = trace_path;
	w.fn = opts->warn ? opts->warn : warn_stderr;
	w.arg = opts->warn ? opts->warn_arg : (void *)(uintptr_t)trace_path;
	cx_reader_set_warn(r, w.fn, w.arg);
	/* The analysis copies what it keeps: read pages can be let go. */
	cx_reader_set_release(r, 1);

	/* The names redacted: the caller's, and what the trace's run note
	 * adds as it is read (it comes before the traffic). */
	if (opts->names != NULL)
		names = *opts->names;
	else
		cx_credname_init(&names);
	prev_names = cx_redact_use_names(&names);

	memset(&ctx, 0, sizeof(ctx));
	ctx.trace_path = trace_path;
	ctx.info = cx_reader_info(r);
	ctx.damage = cx_reader_stats(r);
	ctx.redact = !opts->no_redact;
	ctx.max_body = opts->max_body;
	ctx.follow = opts->follow;
	ctx.prices = opts->prices;
	pc.fmt = fmt;
	pc.filter = &opts->filter;
	pc.info = cx_reader_info(r);
	pc.out = out;
	pc.follow = opts->follow;
	pc.st = fmt->open(out, &ctx);
	if (opts->follow)
		fflush(out);            /* a heading, at once */
	pc.pipe = use_pipe(opts) ? decode_pipe_new(fmt, pc.st) : NULL;
	d.pipe = pc.pipe;
	d.r = r;
	d.names = &names;
	d.out = out;
	d.warn = w.fn;
	d.warn_arg = w.arg;
	rc = 0;
	for (pc.pass = 0; pc.pass < fmt->passes; pc.pass++) {
		if (pc.pass > 0) {
			/* Said once is enough. */
			cx_reader_rewind(r);
			cx_reader_set_warn(r, warn_none, NULL);
		}
		d.a = a = cx_analysis_new(cx_reader_info(r));
		ctx.r = pc.r = cx_analysis_result(a);
		if (pc.pipe != NULL)
			cx_analysis_stream_own(a, emit, &pc);
		else
			cx_analysis_stream(a, emit, &pc);
		if (opts->follow)
			rc = decode_follow(&d, opts);
		else
			decode_read(&d);
		cx_analysis_finish(a);
		if (pc.pipe != NULL)
			decode_pipe_drain(pc.pipe);
		if (pc.pass == 0)
			report_losses(cx_analysis_result(a), &w);
		fmt->pass_done(pc.st, pc.pass);
		ctx.r = NULL;
		cx_analysis_free(a);
	}
	decode_pipe_free(pc.pipe);
	fmt->close(pc.st);
	cx_redact_use_names(prev_names);
	cx_reader_close(r);
	if (fflush(out) == EOF || ferror(out) || rc == -1) {
		snprintf(err, errlen, "error writing the decoded trace: %s",
		    strerror(errno ? errno : EIO));
		return CX_DECODE_EOUTPUT;
	}
	return 0;
}
