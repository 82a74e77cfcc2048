/* decode.c: trace in, exchanges out (see decode.h). */
#include <errno.h>
#include <stdio.h>
#include <stdio_ext.h>
#include <stdlib.h>
#include <string.h>

#include <cJSON.h>

#include "decode.h"
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
    const struct cx_exchange *ex)
{
	int64_t off = ex->start - info->monotonic_ns;

	if (flt->has_pid && ex->pid != flt->pid)
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

/* Streaming jsonl: each exchange written as soon as it is settled. */
struct stream_ctx {
	FILE                            *out;
	const struct cx_out_ctx         *ctx;
	const struct cx_decode_filter   *filter;
};

static void
emit_jsonl(void *arg, struct cx_exchange *ex)
{
	struct stream_ctx *s = arg;

	if (keep(s->filter, s->ctx->info, ex))
		cx_out_jsonl_exchange(s->out, s->ctx, ex);
}

int
cx_decode(const char *trace_path, const struct cx_decode_opts *opts,
    FILE *out, char *err, size_t errlen)
{
	static const struct cx_decode_opts defaults;
	struct cx_analysis *a;
	struct cx_reader *r;
	struct cx_out_ctx ctx;
	struct cx_frame f;
	struct warn_ctx w;
	struct stream_ctx sc;

	if (opts == NULL)
		opts = &defaults;
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
	a = cx_analysis_new(cx_reader_info(r));

	memset(&ctx, 0, sizeof(ctx));
	ctx.trace_path = trace_path;
	ctx.info = cx_reader_info(r);
	ctx.r = cx_analysis_result(a);
	ctx.damage = cx_reader_stats(r);
	ctx.redact = !opts->no_redact;
	ctx.max_body = opts->max_body;
	if (opts->format == CX_DECODE_JSONL) {
		sc.out = out;
		sc.ctx = &ctx;
		sc.filter = &opts->filter;
		cx_analysis_stream(a, emit_jsonl, &sc);
	}
	while (cx_reader_next(r, &f) == 1)
		cx_analysis_frame(a, &f);
	cx_analysis_finish(a);
	report_losses(cx_analysis_result(a), &w);

	/* The filters: a view of the result holding the exchanges kept. */
	struct cx_analysis_result view = *cx_analysis_result(a);
	view.ex = xcalloc(view.nex ? view.nex : 1, sizeof(*view.ex));
	view.nex = 0;
	for (size_t i = 0; i < cx_analysis_result(a)->nex; i++) {
		struct cx_exchange *ex = cx_analysis_result(a)->ex[i];
		if (keep(&opts->filter, cx_reader_info(r), ex))
			view.ex[view.nex++] = ex;
	}
	ctx.r = &view;
	switch (opts->format) {
	case CX_DECODE_JSONL:
		break;          /* written as the trace was read */
	case CX_DECODE_MD:
		cx_out_md(out, &ctx);
		break;
	case CX_DECODE_HAR:
		cx_out_har(out, &ctx);
		break;
	case CX_DECODE_CONVERSATION:
		cx_out_conversation(out, &ctx, 0);
		break;
	default:
		cx_out_text(out, &ctx);
		break;
	}
	free(view.ex);
	cx_analysis_free(a);
	cx_reader_close(r);
	if (fflush(out) == EOF || ferror(out)) {
		snprintf(err, errlen, "error writing the decoded trace: %s",
		    strerror(errno ? errno : EIO));
		return CX_DECODE_EOUTPUT;
	}
	return 0;
}
