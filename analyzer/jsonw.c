/* jsonw.c: shared JSON output pieces (see jsonw.h). */
#include <string.h>

#include "json.h"
#include "jsonw.h"
#include "output.h"
#include "scan.h"

void
cx_jw_red(struct cx_buf *b, int redact, enum cx_out_as as, const char *s,
    size_t n)
{
	struct cx_buf r;

	/* Most strings hold no byte where a secret could be: no copy. */
	if (!redact || (as == CX_AS_TEXT && cx_scan((const uint8_t *)s, 0, n,
	    CX_SC_SECRET | CX_SC_QUOTE) == n)) {
		cx_json_str_buf(b, s, n);
		return;
	}
	cx_buf_init(&r, 0);
	cx_out_redact(&r, redact, as, s, n);
	cx_json_str_buf(b, r.p != NULL ? (const char *)r.p : "", r.len);
	cx_buf_free(&r);
}

void
cx_jw_str(struct cx_buf *b, int redact, const char *s, size_t n)
{
	cx_jw_red(b, redact, CX_AS_TEXT, s, n);
}

void
cx_jw_cstr(struct cx_buf *b, int redact, const char *s)
{
	if (s == NULL)
		cx_buf_add(b, "null", 4);
	else
		cx_jw_str(b, redact, s, strlen(s));
}

void
cx_jw_url(struct cx_buf *b, int redact, const char *s)
{
	if (s == NULL)
		cx_buf_add(b, "null", 4);
	else
		cx_jw_red(b, redact, CX_AS_URL, s, strlen(s));
}

void
cx_jw_fields(struct cx_buf *b, int redact, const struct cx_fields *fl)
{
	struct cx_buf r;

	cx_buf_init(&r, 0);
	cx_buf_addc(b, '[');
	for (size_t i = 0; i < fl->n; i++) {
		if (i > 0)
			cx_buf_addc(b, ',');
		cx_buf_addc(b, '[');
		cx_jw_cstr(b, 0, fl->v[i].name);
		cx_buf_addc(b, ',');
		if (redact) {
			cx_buf_reset(&r);
			cx_out_redact_header(&r, 1, fl->v[i].name,
			    fl->v[i].value);
			cx_json_str_buf(b, r.p != NULL ? (const char *)r.p : "",
			    r.len);
		} else
			cx_jw_cstr(b, 0, fl->v[i].value);
		cx_buf_addc(b, ']');
	}
	cx_buf_addc(b, ']');
	cx_buf_free(&r);
}

void
cx_jw_u64(struct cx_buf *b, uint64_t v)
{
	char d[20];
	size_t k = sizeof(d);

	do {
		d[--k] = (char)('0' + v % 10);
		v /= 10;
	} while (v > 0);
	cx_buf_add(b, d + k, sizeof(d) - k);
}

void
cx_jw_ms(struct cx_buf *b, int64_t ns)
{
	/* Whole microseconds, rounded as cx_ms rounds them. */
	uint64_t us = ns >= 0 ? ((uint64_t)ns + 500) / 1000 :
	    ((uint64_t)-(ns + 1) + 501) / 1000;
	char frac[4];

	if (ns < 0 && us > 0)
		cx_buf_addc(b, '-');
	cx_jw_u64(b, us / 1000);
	frac[0] = '.';
	frac[1] = (char)('0' + us / 100 % 10);
	frac[2] = (char)('0' + us / 10 % 10);
	frac[3] = (char)('0' + us % 10);
	cx_buf_add(b, frac, 4);
}

void
cx_jw_raw(struct cx_buf *b, const char *s)
{
	cx_buf_add(b, s, strlen(s));
}

void
cx_jw_flush(struct cx_buf *b, FILE *f, int all)
{
	if (b->len == 0 || (!all && b->len < CX_JW_FLUSH))
		return;
	fwrite(b->p, 1, b->len, f);
	cx_buf_reset(b);
}

void
cx_jw_process(struct cx_buf *b, int redact, const struct cx_proc *p)
{
	if (p == NULL) {
		cx_jw_raw(b, "null");
		return;
	}
	cx_jw_raw(b, "{\"pid\":");
	cx_jw_u64(b, p->pid);
	cx_jw_raw(b, ",\"ppid\":");
	if (p->ppid != 0)
		cx_jw_u64(b, p->ppid);
	else
		cx_jw_raw(b, "null");
	cx_jw_raw(b, ",\"comm\":");
	cx_jw_cstr(b, 0, p->comm);
	cx_jw_raw(b, ",\"exe\":");
	cx_jw_cstr(b, redact, p->exe);
	cx_jw_raw(b, ",\"argv\":");
	/* A command line can hold a key: redacted like any JSON. */
	if (p->argv == NULL || cx_json_emit(b, p->argv, strlen(p->argv),
	    redact ? CX_JSON_REDACT : 0, NULL) < 0)
		cx_jw_raw(b, "null");
	cx_jw_raw(b, ",\"via\":");
	cx_jw_cstr(b, 0, p->via);
	cx_buf_addc(b, '}');
}

const char *
cx_jw_ws_opcode(int opcode)
{
	switch (opcode) {
	case 0x1: return "text";
	case 0x2: return "binary";
	case 0x8: return "close";
	case 0x9: return "ping";
	case 0xa: return "pong";
	default: return "continuation";
	}
}
