/*
 * out_har_fields.c: header fields in the HAR (out_har.c): headers[], each
 * value redacted as its name says, and cookies[] taken apart from the
 * (redacted) Cookie fields of a request or Set-Cookie fields of a
 * response.
 */
#include <string.h>
#include <strings.h>

#include "json.h"
#include "out_har_int.h"
#include "output.h"

void
har_headers(FILE *f, const struct cx_out_ctx *ctx, const struct cx_fields *fl)
{
	struct cx_buf b;

	cx_buf_init(&b, 0);
	putc('[', f);
	for (size_t i = 0; i < fl->n; i++) {
		if (i > 0)
			putc(',', f);
		fputs("{\"name\":", f);
		cx_json_cstr(f, fl->v[i].name);
		fputs(",\"value\":", f);
		cx_buf_reset(&b);
		cx_out_redact_header(&b, ctx->redact, fl->v[i].name,
		    fl->v[i].value);
		har_bstr(f, &b);
		putc('}', f);
	}
	putc(']', f);
	cx_buf_free(&b);
}

/* Trim spaces and tabs around s[0..*n). */
static const char *
trim(const char *s, size_t *n)
{
	while (*n > 0 && (*s == ' ' || *s == '\t')) {
		s++;
		(*n)--;
	}
	while (*n > 0 && (s[*n - 1] == ' ' || s[*n - 1] == '\t'))
		(*n)--;
	return s;
}

/* One cookie: "name=value" (a lone value has the name ""). No closing }. */
static void
cookie_open(FILE *f, const char *s, size_t n)
{
	const char *eq = memchr(s, '=', n), *v;
	size_t nl, vl;

	fputs("{\"name\":", f);
	if (eq == NULL) {
		fputs("\"\",\"value\":", f);
		cx_json_str(f, s, n);
		return;
	}
	nl = (size_t)(eq - s);
	vl = n - nl - 1;
	s = trim(s, &nl);
	cx_json_str(f, s, nl);
	v = trim(eq + 1, &vl);
	fputs(",\"value\":", f);
	cx_json_str(f, v, vl);
}

/*
 * A Set-Cookie's attributes that HAR has fields for.  Not "expires": HAR
 * wants ISO 8601 there, and Chrome's importer rejects the whole file when
 * a date does not parse.
 */
static void
cookie_attrs(FILE *f, const char *s, const char *end)
{
	static const char *names[] = { "path", "domain" };

	while (s < end) {
		const char *semi = memchr(s, ';', (size_t)(end - s)), *a, *eq;
		size_t n = (size_t)((semi ? semi : end) - s);

		a = trim(s, &n);
		eq = memchr(a, '=', n);
		if (n == 8 && strncasecmp(a, "httponly", 8) == 0)
			fputs(",\"httpOnly\":true", f);
		else if (n == 6 && strncasecmp(a, "secure", 6) == 0)
			fputs(",\"secure\":true", f);
		else if (eq != NULL)
			for (size_t i = 0; i < 2; i++) {
				size_t k = strlen(names[i]), vl;
				const char *v;

				if ((size_t)(eq - a) != k ||
				    strncasecmp(a, names[i], k) != 0)
					continue;
				vl = n - k - 1;
				v = trim(eq + 1, &vl);
				fprintf(f, ",\"%s\":", names[i]);
				cx_json_str(f, v, vl);
			}
		s = semi ? semi + 1 : end;
	}
}

/*
 * cookies[]: from the (redacted) Cookie fields of a request, or the
 * Set-Cookie fields of a response, with their path, domain, httpOnly and
 * secure attributes.
 */
void
har_cookies(FILE *f, const struct cx_out_ctx *ctx, const struct cx_fields *fl,
    int response)
{
	struct cx_buf b;
	int first = 1;

	cx_buf_init(&b, 0);
	putc('[', f);
	for (size_t i = 0; i < fl->n; i++) {
		const char *s, *end;

		if (strcasecmp(fl->v[i].name, response ? "set-cookie" :
		    "cookie") != 0)
			continue;
		cx_buf_reset(&b);
		cx_out_redact_header(&b, ctx->redact, fl->v[i].name,
		    fl->v[i].value);
		s = (const char *)b.p;
		end = s + b.len;
		while (s < end) {
			const char *semi = memchr(s, ';', (size_t)(end - s));
			const char *pe = semi ? semi : end, *t;
			size_t n = (size_t)(pe - s);

			t = trim(s, &n);
			s = semi ? semi + 1 : end;
			if (n == 0)
				continue;
			if (!first)
				putc(',', f);
			first = 0;
			cookie_open(f, t, n);
			if (response) {
				cookie_attrs(f, s, end);
				putc('}', f);
				break;
			}
			putc('}', f);
		}
	}
	putc(']', f);
	cx_buf_free(&b);
}
