/* output.c: the table of output formats, and what they share (output.h). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "json.h"
#include "jsonw.h"
#include "output.h"
#include "redact.h"

/*
 * The table: one line a format, whose file out_NAME.c defines `const
 * struct cx_out_format cx_out_NAME_format` (its name for -f is in it), and
 * whether decode --follow can write it as the trace grows (cx_out_follows).
 * The first is decode's default.
 */
#define FORMATS(X) \
	X(text, 1) \
	X(jsonl, 1) \
	X(md, 0) \
	X(har, 0) \
	X(conv, 1) \
	X(html, 0)

#define FORMAT_EXTERN(n, fl) \
	extern const struct cx_out_format cx_out_##n##_format;
#define FORMAT_ENTRY(n, fl) &cx_out_##n##_format,
#define FORMAT_FOLLOWS(n, fl) fl,
FORMATS(FORMAT_EXTERN)

const struct cx_out_format *const cx_out_formats[] = {
	FORMATS(FORMAT_ENTRY)
	NULL
};

static const int follows[] = { FORMATS(FORMAT_FOLLOWS) };

const struct cx_out_format *
cx_out_find(const char *name)
{
	for (size_t i = 0; name != NULL && cx_out_formats[i] != NULL; i++)
		if (strcmp(cx_out_formats[i]->name, name) == 0)
			return cx_out_formats[i];
	return NULL;
}

int
cx_out_follows(const struct cx_out_format *fmt)
{
	for (size_t i = 0; cx_out_formats[i] != NULL; i++)
		if (cx_out_formats[i] == fmt)
			return follows[i];
	return 0;
}

void
cx_fmt_time(char *buf, size_t len, const struct cx_file_info *info,
    int64_t ts, int date)
{
	int64_t rt = info->realtime_ns + (ts - info->monotonic_ns);
	int64_t sec = rt / 1000000000, ns = rt % 1000000000;
	struct tm tm;
	time_t t;

	if (ns < 0) {
		ns += 1000000000;
		sec--;
	}
	t = (time_t)sec;
	if (gmtime_r(&t, &tm) == NULL) {
		snprintf(buf, len, "?");
		return;
	}
	if (date)
		snprintf(buf, len, "%04d-%02d-%02dT%02d:%02d:%02d.%06dZ",
		    tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday, tm.tm_hour,
		    tm.tm_min, tm.tm_sec, (int)(ns / 1000));
	else
		snprintf(buf, len, "%02d:%02d:%02d.%06d", tm.tm_hour,
		    tm.tm_min, tm.tm_sec, (int)(ns / 1000));
}

double
cx_ms(int64_t ns)
{
	/* Round to whole microseconds first, so %.3f prints them exactly. */
	int64_t us = ns >= 0 ? (ns + 500) / 1000 : -((-ns + 500) / 1000);

	return (double)us / 1000.0;
}

size_t
cx_fmt_ms1(char *buf, size_t len, int64_t ns)
{
	int64_t us = ns >= 0 ? (ns + 500) / 1000 : -((-ns + 500) / 1000);
	char t[24], *p = t + sizeof(t);
	size_t n;
	uint64_t v;

	/* Tenths of us / 1000: printf rounds the double nearest it, which is
	 * within 1e-15 of it, so as the exact value but at a tie (us % 100 ==
	 * 50: which side the double fell on) or past 2^40 us. */
	if (us < 0 || us % 100 == 50 || us >= ((int64_t)1 << 40)) {
		int w = snprintf(buf, len, "%.1f", cx_ms(ns));

		return w < 0 ? 0 : (size_t)w < len ? (size_t)w :
		    len > 0 ? len - 1 : 0;
	}
	v = (uint64_t)(us / 100) + (us % 100 > 50);
	*--p = (char)('0' + v % 10);
	*--p = '.';
	v /= 10;
	do {
		*--p = (char)('0' + v % 10);
		v /= 10;
	} while (v > 0);
	n = (size_t)(t + sizeof(t) - p);
	if (len == 0)
		return 0;
	if (n >= len)
		n = len - 1;
	memcpy(buf, p, n);
	buf[n] = '\0';
	return n;
}

void
cx_fmt_version(char *buf, size_t len, int version)
{
	snprintf(buf, len, "HTTP/%d.%d", version / 10, version % 10);
}

void
cx_out_redact(struct cx_buf *b, int redact, enum cx_out_as as, const char *s,
    size_t n)
{
	if (!redact)
		cx_buf_add(b, s, n);
	else if (as == CX_AS_TEXT)
		cx_redact_text(b, s, n);
	else
		cx_redact_query(b, s, n, as == CX_AS_FORM);
}

void
cx_out_redact_header(struct cx_buf *b, int redact, const char *name,
    const char *value)
{
	if (redact)
		cx_redact_header(b, name, value);
	else
		cx_buf_adds(b, value);
}

size_t
cx_out_shown(const struct cx_out_ctx *ctx, const char *s, size_t n)
{
	size_t k;

	if (ctx->max_body == 0 || n <= ctx->max_body)
		return n;
	k = (size_t)ctx->max_body;
	while (k > 0 && ((uint8_t)s[k] & 0xc0) == 0x80)
		k--;
	return k;
}

void
cx_out_ws_events(struct cx_ws_events *we, const struct cx_exchange *ex)
{
	size_t n = ex->nws ? ex->nws : 1;

	memset(we, 0, sizeof(*we));
	we->ev = xcalloc(n, sizeof(*we->ev));
	we->names = xcalloc(n, sizeof(*we->names));
	we->bin = xcalloc(n, sizeof(*we->bin));
	we->n = ex->nws;
	for (size_t i = 0; i < ex->nws; i++) {
		const struct cx_wsmsg *w = &ex->ws[i];
		struct cx_event *e = &we->ev[i];

		snprintf(we->names[i], sizeof(we->names[i]), "%s %s",
		    w->dir == 0 ? "send" : "receive",
		    cx_jw_ws_opcode(w->opcode));
		e->ts = w->ts;
		e->event = we->names[i];
		e->partial = w->partial;
		e->truncated = w->truncated;
		if (w->opcode == 0x2 || !cx_utf8_valid((const uint8_t *)w->data,
		    w->len)) {
			cx_buf_init(&we->bin[i], 0);
			cx_buf_adds(&we->bin[i], "(base64) ");
			cx_json_base64_buf(&we->bin[i],
			    (const uint8_t *)w->data, w->len);
			e->data = (char *)we->bin[i].p;
			e->data_len = we->bin[i].len;
		} else {
			e->data = w->data;
			e->data_len = w->len;
		}
	}
	we->msg.events = we->ev;
	we->msg.nevents = ex->nws;
	we->msg.events_cut = ex->ws_cut;
}

void
cx_out_ws_events_free(struct cx_ws_events *we)
{
	for (size_t i = 0; i < we->n; i++)
		cx_buf_free(&we->bin[i]);
	free(we->bin);
	free(we->names);
	free(we->ev);
	memset(we, 0, sizeof(*we));
}
