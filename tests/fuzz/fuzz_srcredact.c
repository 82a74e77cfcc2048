/*
 * fuzz_srcredact.c: redaction at the source (common/srcredact.c) over any
 * bytes, fed in pieces, against an oracle written from srcredact.h: the
 * output is as long as the input and equal to it outside credential
 * values; every credential header's value (blanks before the colon,
 * folded continuation lines, a known Authorization scheme kept unless the
 * value was split across pieces) is either
 * "[cxrec:" 16 hex "]" then '*', or all '*' (a CR the input had at a
 * piece's end may stay); so is, in every other line, each credential
 * query parameter's value: after a '?' or '&', a name of up to 32 of
 * [A-Za-z0-9_.~-] and '=', the value is the printable ASCII up to the
 * next '&', '#', quote, '<', '>' or '\\'.  The names are the base and one
 * of each kind added to the key's set.  A stream starting with HTTP/2's preface must be
 * dropped, and only such a stream or one with an HTTP2-Settings header
 * may be.  Then the command-line form over the same bytes as a string.
 *
 * Input: byte 0 the piece size; the rest is the stream.
 */
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "credname.h"
#include "fuzz.h"
#include "srcredact.h"

static const char *const names[] = {
	"authorization", "proxy-authorization", "cookie", "set-cookie",
	"x-api-key", "api-key", "openai-api-key", "chatgpt-account-id",
	"x-goog-api-key", "x-fuzz-token",
};
#define NNAMES  (sizeof(names) / sizeof(*names))
static const char *const qnames[] = {
	"key", "api_key", "apikey", "access_token", "refresh_token",
	"id_token", "client_secret", "password", "secret", "token", "sig",
};
#define NQNAMES (sizeof(qnames) / sizeof(*qnames))
#define NAMEMAX 32              /* bytes a name, at most */
static const char *const schemes[] = {
	"basic", "bearer", "digest", "dpop", "hoba", "mutual", "negotiate",
	"ntlm", "privatetoken", "scram-sha-1", "scram-sha-256", "token",
	"vapid", "aws4-hmac-sha256", "apikey", "gssapi",
};

static int
tchar(int c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
	    (c >= '0' && c <= '9') || c == '-' || c == '_';
}

static int
listed(const char *const *l, size_t nl, const uint8_t *w, size_t n)
{
	for (size_t i = 0; i < nl; i++)
		if (strlen(l[i]) == n && strncasecmp(l[i], (const char *)w,
		    n) == 0)
			return 1;
	return 0;
}

/* out[v..e) is a proper replacement of in[v..e). */
static void
check_value(const uint8_t *in, const uint8_t *out, size_t v, size_t e)
{
	size_t i = v;

	if (e - v >= 24 && memcmp(out + v, "[cxrec:", 7) == 0) {
		for (i = v + 7; i < v + 23; i++)
			if (strchr("0123456789abcdef", out[i]) == NULL ||
			    out[i] == '\0')
				abort();
		if (out[v + 23] != ']')
			abort();
		i = v + 24;
	}
	for (; i < e; i++)
		if (out[i] != '*' && !(out[i] == '\r' && in[i] == '\r'))
			abort();        /* a credential byte came through */
}

static int
qchar(int c)
{
	return tchar(c) || c == '.' || c == '~';
}

static int
qval(int c)
{
	return c > 0x20 && c < 0x7f && strchr("&#\"'<>\\", c) == NULL;
}

/*
 * in[p..le), no credential header's: each credential query parameter's
 * value replaced, every other byte as it was.
 */
static void
check_query(const uint8_t *in, const uint8_t *out, size_t p, size_t le)
{
	size_t done = p, j = p;

	while (j < le) {
		size_t a = j + 1, m = a, ve;

		if (in[j] != '?' && in[j] != '&') {
			j++;
			continue;
		}
		while (m < le && m - a <= NAMEMAX && qchar(in[m]))
			m++;
		if (m - a > NAMEMAX || m >= le || in[m] != '=' ||
		    !listed(qnames, NQNAMES, in + a, m - a)) {
			j++;
			continue;
		}
		for (ve = m + 1; ve < le && qval(in[ve]); ve++)
			;
		if (memcmp(out + done, in + done, m + 1 - done) != 0)
			abort();
		check_value(in, out, m + 1, ve);
		done = j = ve;
	}
	if (memcmp(out + done, in + done, le - done) != 0)
		abort();        /* not a credential: untouched */
}

static void
oracle(const uint8_t *in, const uint8_t *out, size_t n)
{
	int cont = 0;

	for (size_t ls = 0; ls < n;) {
		const uint8_t *nl = memchr(in + ls, '\n', n - ls);
		size_t le = nl ? (size_t)(nl - in) : n, p = ls, v, e, k = 0;
		int cred = 0, auth = 0;

		if (cont && (in[p] == ' ' || in[p] == '\t'))
			cred = 1;
		else {
			while (p < le && k < NAMEMAX && tchar(in[p])) {
				p++;
				k++;
			}
			size_t nend = p;

			while (k > 0 && p < le && (in[p] == ' ' ||
			    in[p] == '\t'))
				p++;
			if (k > 0 && p < le && in[p] == ':' &&
			    !(k == NAMEMAX && tchar(in[nend])) &&
			    listed(names, NNAMES, in + ls, k)) {
				cred = 1;
				auth = k >= 13 && strncasecmp((const char *)
				    in + nend - 13, "authorization", 13) == 0;
				p++;
			}
		}
		if (cred) {
			while (p < le && (in[p] == ' ' || in[p] == '\t'))
				p++;
			v = p;
			e = nl && le > v && in[le - 1] == '\r' ? le - 1 : le;
			if (auth) {
				size_t w = v, j;

				while (w < e && in[w] != ' ' && in[w] != '\t')
					w++;
				for (j = w; j < e && (in[j] == ' ' ||
				    in[j] == '\t'); j++)
					;
				/* The scheme kept (or, for a value split
				 * across pieces, starred with the rest). */
				if (j > w && j < e && listed(schemes, 16,
				    in + v, w - v) &&
				    memcmp(out + v, in + v, j - v) == 0)
					v = j;
			}
			if (v < e)
				check_value(in, out, v, e);
		} else
			check_query(in, out, ls, le);
		cont = cred;
		ls = le + 1;
	}
}

/* Does w (lower case) occur in p[0..n), in any case? */
static int
memmem_ci(const uint8_t *p, size_t n, const char *w)
{
	size_t k = strlen(w);

	for (size_t i = 0; i + k <= n; i++)
		if (strncasecmp((const char *)p + i, w, k) == 0)
			return 1;
	return 0;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct cx_credname extra;
	static struct cx_srcredact_key key = { 1, 2, NULL };
	struct cx_srcredact s;
	uint8_t *out, *all;
	char *arg;
	int dropped = 0;

	if (size < 1)
		return 0;
	if (key.names == NULL) {
		cx_credname_init(&extra);
		cx_credname_add_header(&extra, "X-Fuzz-Token");
		cx_credname_add_query(&extra, "sig");
		key.names = &extra;
	}
	uint8_t sel = data[0];

	data++;
	size--;
	out = malloc(size + 1);
	all = malloc(size + 1);
	if (out == NULL || all == NULL) {
		free(out);
		free(all);
		return 0;
	}
	cx_srcredact_init(&s);
	for (size_t off = 0; off < size;) {
		size_t n = fuzz_piece(sel, size - off);
		int rc = cx_srcredact(&s, &key, data + off, n, out);

		if (rc == CX_SRCREDACT_DROP)
			dropped = 1;
		memcpy(all + off, rc == 1 ? out : data + off, n);
		off += n;
	}
	/* Dropped: HTTP/2's preface at the start, or after an h2c
	 * upgrade's HTTP2-Settings header. */
	int preface = size >= 16 && memcmp(data, "PRI * HTTP/2.0\r\n", 16) == 0;
	if ((preface && !dropped) || (dropped && !preface &&
	    memmem_ci(data, size, "http2-settings") == 0))
		abort();
	if (!dropped)
		oracle(data, all, size);
	free(out);
	free(all);

	if ((arg = malloc(size + 1)) == NULL)
		return 0;
	memcpy(arg, data, size);
	arg[size] = '\0';
	size_t len = strlen(arg);
	cx_srcredact_arg(&key, arg, NULL);
	if (strlen(arg) != len)
		abort();
	free(arg);
	return 0;
}
