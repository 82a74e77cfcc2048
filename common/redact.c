/* redact.c: find and hide credentials (see redact.h). */
#include <ctype.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>


#include "credname.h"
#include "redact.h"
#include "srcredact.h"
#include "scan.h"
#include "xmalloc.h"

/* The credential names in use (credname.h); NULL: the base. */
static const struct cx_credname *names;

static const struct {
	const char      *name;
	size_t           len;
} secret_keys[] = {
#define K(s)    { s, sizeof(s) - 1 }
	K("access_token"), K("refresh_token"), K("id_token"), K("api_key"),
	K("apikey"), K("client_secret"), K("password"), K("secret"),
	K("token"),
#undef K
};
#define SECRET_KEY_MIN  5
#define SECRET_KEY_MAX  13

#define NELEM(a) (sizeof(a) / sizeof((a)[0]))

const struct cx_credname *
cx_redact_use_names(const struct cx_credname *set)
{
	const struct cx_credname *prev = names;

	names = set;
	return prev;
}

int
cx_redact_is_secret_header(const char *name)
{
	return cx_credname_is_header(names, name, strlen(name));
}

int
cx_redact_is_secret_query(const char *name, size_t len)
{
	return cx_credname_is_query(names, name, len);
}

int
cx_redact_is_secret_key(const char *key, size_t len)
{
	/* Called for every key of every JSON object: cheap for most. */
	if (len < SECRET_KEY_MIN || len > SECRET_KEY_MAX)
		return 0;
	for (size_t i = 0; i < NELEM(secret_keys); i++)
		if (secret_keys[i].len == len &&
		    (key[0] | 0x20) == secret_keys[i].name[0] &&
		    strncasecmp(key, secret_keys[i].name, len) == 0)
			return 1;
	return 0;
}

static int
is_alnum(int c)
{
	return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') ||
	    (c >= 'A' && c <= 'Z');
}

static int
is_b64url(int c)
{
	return is_alnum(c) || c == '-' || c == '_';
}

static int
is_token68(int c)
{
	return is_alnum(c) || c == '-' || c == '.' || c == '_' || c == '~' ||
	    c == '+' || c == '/';
}

/* Characters the partial form may show: no quote, escape, dot or space. */
static int
is_keepable(int c)
{
	return is_alnum(c) || c == '-' || c == '_' || c == '~' || c == '+' ||
	    c == '/' || c == '=';
}

size_t
cx_redact_secret(struct cx_buf *out, const char *s, size_t n)
{
	size_t i;

	if (n < CX_REDACT_PARTIAL_MIN)
		goto full;
	for (i = 0; i < CX_REDACT_HEAD; i++)
		if (!is_keepable((unsigned char)s[i]))
			goto full;
	for (i = n - CX_REDACT_TAIL; i < n; i++)
		if (!is_keepable((unsigned char)s[i]))
			goto full;
	cx_buf_add(out, s, CX_REDACT_HEAD);
	cx_buf_adds(out, "...");
	cx_buf_add(out, s + n - CX_REDACT_TAIL, CX_REDACT_TAIL);
	return 1;
full:
	cx_buf_adds(out, CX_REDACTED);
	return 1;
}

static size_t
run(const char *s, size_t n, size_t i, int (*cls)(int))
{
	size_t j = i;

	while (j < n && cls((unsigned char)s[j]))
		j++;
	return j - i;
}

/* An API key at i: its length, or 0. */
static size_t
match_key(const char *s, size_t n, size_t i)
{
	size_t k;

	if (n - i < 3 || memcmp(s + i, "sk-", 3) != 0)
		return 0;
	k = run(s, n, i + 3, is_b64url);
	return k >= 16 ? 3 + k : 0;
}

/* A Google API key ("AIza" and 35 of [A-Za-z0-9_-]) at i: its length,
 * or 0. */
static size_t
match_google(const char *s, size_t n, size_t i)
{
	size_t k;

	if (n - i < 4 || memcmp(s + i, "AIza", 4) != 0)
		return 0;
	k = run(s, n, i + 4, is_b64url);
	return k >= 35 ? 4 + k : 0;
}

/* A JWT at i: its length, or 0. */
static size_t
match_jwt(const char *s, size_t n, size_t i)
{
	size_t a, b, c;

	if (n - i < 3 || memcmp(s + i, "eyJ", 3) != 0)
		return 0;
	a = run(s, n, i, is_b64url);
	if (a < 4 || i + a >= n || s[i + a] != '.')
		return 0;
	b = run(s, n, i + a + 1, is_b64url);
	if (b < 1 || i + a + 1 + b >= n || s[i + a + 1 + b] != '.')
		return 0;
	c = run(s, n, i + a + 2 + b, is_b64url);
	return a + b + c + 2;
}

/* "Bearer TOKEN" at i: the offset of TOKEN and its length in *tlen. */
static size_t
match_bearer(const char *s, size_t n, size_t i, size_t *tlen)
{
	size_t j = i + 6, t;

	if (n - i < 7 || strncasecmp(s + i, "bearer", 6) != 0)
		return 0;
	if (s[j] != ' ' && s[j] != '\t')
		return 0;
	while (j < n && (s[j] == ' ' || s[j] == '\t'))
		j++;
	t = run(s, n, j, is_token68);
	while (j + t < n && s[j + t] == '=')
		t++;
	if (t < 8)
		return 0;
	*tlen = t;
	return j - i;
}

/*
 * A quoted secret key and its quoted string value at i ("password":
 * "x"): the offset and length of the value's content.
 */
static size_t
match_quoted(const char *s, size_t n, size_t i, size_t *vlen)
{
	size_t j, k;

	if (s[i] != '"')
		return 0;
	for (j = i + 1; j < n && s[j] != '"' && s[j] != '\\'; j++)
		;
	if (j >= n || s[j] != '"' ||
	    !cx_redact_is_secret_key(s + i + 1, j - i - 1))
		return 0;
	for (j++; j < n && isspace((unsigned char)s[j]); j++)
		;
	if (j >= n || s[j] != ':')
		return 0;
	for (j++; j < n && isspace((unsigned char)s[j]); j++)
		;
	if (j >= n || s[j] != '"')
		return 0;
	for (k = j + 1; k < n && s[k] != '"'; k++)
		if (s[k] == '\\' && k + 1 < n)
			k++;
	if (k - j - 1 == 0)
		return 0;
	*vlen = k - j - 1;
	return j + 1 - i;
}

/* May a secret start at st: at the text's start or after a non-alnum? */
static int
boundary(const char *s, size_t st)
{
	return st == 0 || !is_alnum((unsigned char)s[st - 1]);
}

/* The secret whose anchor is s[i] ('-', 'J' or 'z'), starting at st. */
static size_t
match_at(const char *s, size_t n, size_t i, size_t st)
{
	switch (s[i]) {
	case '-':
		return match_key(s, n, st);
	case 'J':
		return match_jwt(s, n, st);
	default:
		return match_google(s, n, st);
	}
}

/*
 * A key or JWT whose anchor ('-' of "sk-", 'J' of "eyJ", 'z' of "AIza")
 * is at i: its start (i - 2) in *st and its length, or 0.  Not before
 * from.
 */
static size_t
match_anchored(const char *s, size_t n, size_t i, size_t from, size_t *st)
{
	if (i < from + 2 || !boundary(s, i - 2))
		return 0;
	*st = i - 2;
	return match_at(s, n, i, i - 2);
}

size_t
cx_redact_text(struct cx_buf *out, const char *s, size_t n)
{
	size_t i = 0, from = 0, count = 0, m, st, off, len;

	/*
	 * Only at the '-' of "sk-", the 'J' of "eyJ", the 'z' of "AIza", a
	 * 'b' or 'B' (of "Bearer") or a '"' can a secret be recognised: skip
	 * to the next.  Secrets found are replaced left to right, as if every
	 * position were tried in turn: a '-', 'J' or 'z' anchors a match two
	 * bytes back, where no other anchor can be ('s', 'e', 'A' and 'k',
	 * 'y', 'I' are none).
	 */
	while ((i = cx_scan((const uint8_t *)s, i, n,
	    CX_SC_SECRET | CX_SC_QUOTE)) < n) {
		if (s[i] == '-' || s[i] == 'J' || s[i] == 'z') {
			if ((m = match_anchored(s, n, i, from, &st)) > 0) {
				cx_buf_add(out, s + from, st - from);
				cx_redact_secret(out, s + st, m);
				i = st + m;
				from = i;
				count++;
				continue;
			}
			i++;
			continue;
		}
		if ((s[i] != '"' && boundary(s, i) &&
		    (off = match_bearer(s, n, i, &len)) > 0) ||
		    (s[i] == '"' && (off = match_quoted(s, n, i, &len)) > 0)) {
			cx_buf_add(out, s + from, i + off - from);
			cx_redact_secret(out, s + i + off, len);
			i += off + len;
			from = i;
			count++;
			continue;
		}
		i++;
	}
	cx_buf_add(out, s + from, n - from);
	return count;
}

/*
 * In a JSON string's raw content, with no \u or \/ escape, a secret of
 * the decoded text is there byte for byte (its characters are never
 * escaped), and the byte before it is either itself or the letter of an
 * escape (a control character, '"' or '\\' decoded): hence the looser
 * boundary.  A decoded '"' is a \" escape.
 */
static int
raw_boundary(const char *s, size_t st)
{
	return boundary(s, st) || (st >= 2 && s[st - 2] == '\\');
}

int
cx_redact_json_suspect(const char *s, size_t n, size_t i)
{
	size_t j, st;

	switch (s[i]) {
	case '-':
	case 'J':
	case 'z':
		if (i < 2 || !raw_boundary(s, i - 2))
			return 0;
		st = i - 2;
		return match_at(s, n, i, st) > 0;
	case 'b':
	case 'B':
		/* "Bearer" and a space or tab (maybe "\t"). */
		return raw_boundary(s, i) && n - i >= 7 &&
		    strncasecmp(s + i, "bearer", 6) == 0 &&
		    (s[i + 6] == ' ' || s[i + 6] == '\\');
	case '\\':
		/* \" then a secret key up to the next escape */
		if (n - i < 2 || s[i + 1] != '"')
			return 0;
		for (j = i + 2; j < n && s[j] != '\\' && s[j] != '"'; j++)
			;
		return j < n && s[j] == '\\' &&
		    cx_redact_is_secret_key(s + i + 2, j - i - 2);
	default:
		return 0;
	}
}

/*
 * Authorization: keep the scheme word; a Bearer token (or a value without
 * a scheme) in the partial form, other credentials (Basic: a password)
 * whole.
 */
static size_t
redact_auth(struct cx_buf *out, const char *v)
{
	size_t k = 0;

	while (v[k] != '\0' && v[k] != ' ' && v[k] != '\t' && v[k] != '=')
		k++;
	if (k > 0 && (v[k] == ' ' || v[k] == '\t')) {
		const char *t = v + k;

		cx_buf_add(out, v, k);
		cx_buf_addc(out, ' ');
		while (*t == ' ' || *t == '\t')
			t++;
		if (k == 6 && strncasecmp(v, "bearer", 6) == 0)
			return cx_redact_secret(out, t, strlen(t));
		cx_buf_adds(out, CX_REDACTED);
		return 1;
	}
	return cx_redact_secret(out, v, strlen(v));
}

/* name=value pairs separated by sep: keep the names; n pairs at most. */
static size_t
redact_pairs(struct cx_buf *out, const char *v, int sep, size_t max)
{
	size_t count = 0, pairs = 0;
	const char *p = v;

	while (*p != '\0') {
		const char *end = strchr(p, sep), *eq;
		size_t len = end ? (size_t)(end - p) : strlen(p);

		if (pairs++ >= max) {
			cx_buf_adds(out, p);
			break;
		}
		while (len > 0 && *p == ' ') {
			cx_buf_addc(out, ' ');
			p++;
			len--;
		}
		eq = memchr(p, '=', len);
		if (eq != NULL) {
			cx_buf_add(out, p, (size_t)(eq - p) + 1);
			cx_redact_secret(out, eq + 1,
			    len - (size_t)(eq - p) - 1);
		} else
			cx_redact_secret(out, p, len);
		count++;
		if (end == NULL)
			break;
		cx_buf_addc(out, sep);
		p = end + 1;
	}
	return count;
}

/* Headers whose value is a URL: secret query parameters too. */
static int
is_url_header(const char *name)
{
	return strcasecmp(name, "location") == 0 ||
	    strcasecmp(name, "content-location") == 0 ||
	    strcasecmp(name, "referer") == 0;
}

char *
cx_redact_arg(const struct cx_srcredact_key *k, const char *arg,
    const char *prev)
{
	struct cx_buf out;
	size_t n = strlen(arg);
	char *tmp = xmalloc(n + 1);

	memcpy(tmp, arg, n + 1);
	cx_srcredact_arg(k, tmp, prev);
	cx_buf_init(&out, 0);
	cx_redact_text(&out, tmp, n);
	cx_buf_addc(&out, '\0');
	free(tmp);
	return (char *)out.p;
}

/* A secret that merely starts like a fingerprint is still a secret. */
int
cx_redact_is_fingerprint(const char *v, size_t n)
{
	const size_t ml = strlen(CX_SRCREDACT_MARK);
	size_t i = 0;

	if (n >= CX_SRCREDACT_MARK_LEN && memcmp(v, CX_SRCREDACT_MARK,
	    ml) == 0) {
		for (i = ml; i < ml + 16; i++)
			if (!((v[i] >= '0' && v[i] <= '9') ||
			    (v[i] >= 'a' && v[i] <= 'f')))
				return 0;
		if (v[i++] != ']')
			return 0;
	} else if (n == 0)
		return 0;
	for (; i < n; i++)
		if (v[i] != '*')
			return 0;
	return 1;
}

/*
 * Was this credential's value replaced when it was recorded
 * (--redact-at-source, srcredact.h)?  Its fingerprint is then shown as
 * it is: it tells keys apart and gives nothing away.
 */
static int
source_redacted(const char *name, const char *v)
{
	size_t k = 0;

	/* Past a scheme word the scanner keeps in view (Bearer...). */
	if (strcasecmp(name, "authorization") == 0 ||
	    strcasecmp(name, "proxy-authorization") == 0) {
		while (v[k] != '\0' && v[k] != ' ' && v[k] != '\t')
			k++;
		if (v[k] != '\0' && cx_srcredact_scheme(v, k)) {
			while (v[k] == ' ' || v[k] == '\t')
				k++;
			v += k;
		}
	}
	return cx_redact_is_fingerprint(v, strlen(v));
}

size_t
cx_redact_header(struct cx_buf *out, const char *name, const char *value)
{
	if (is_url_header(name))
		return cx_redact_query(out, value, strlen(value), 0);
	if (!cx_redact_is_secret_header(name) || *value == '\0')
		return cx_redact_text(out, value, strlen(value));
	if (source_redacted(name, value)) {
		cx_buf_adds(out, value);
		return 0;
	}
	if (strcasecmp(name, "authorization") == 0 ||
	    strcasecmp(name, "proxy-authorization") == 0)
		return redact_auth(out, value);
	if (strcasecmp(name, "cookie") == 0)
		return redact_pairs(out, value, ';', SIZE_MAX);
	if (strcasecmp(name, "set-cookie") == 0) {
		/* The first pair is the cookie; attributes are not secret. */
		const char *semi = strchr(value, ';');
		size_t count;
		struct cx_buf first;

		cx_buf_init(&first, 0);
		cx_buf_add(&first, value, semi ? (size_t)(semi - value) :
		    strlen(value));
		count = redact_pairs(out, (const char *)first.p, ';', 1);
		cx_buf_free(&first);
		if (semi != NULL)
			count += cx_redact_text(out, semi, strlen(semi));
		return count;
	}
	return cx_redact_secret(out, value, strlen(value));
}

size_t
cx_redact_query(struct cx_buf *out, const char *s, size_t n, int form)
{
	struct cx_buf tmp;
	size_t i = 0, count = 0;

	cx_buf_init(&tmp, 0);
	if (!form) {
		const char *q = memchr(s, '?', n);

		i = q ? (size_t)(q - s) + 1 : n;
		cx_buf_add(&tmp, s, i);
	}
	while (i < n) {
		size_t end = i, eq;

		while (end < n && s[end] != '&' && s[end] != '#')
			end++;
		for (eq = i; eq < end && s[eq] != '='; eq++)
			;
		if (eq < end && cx_redact_is_secret_query(s + i, eq - i) &&
		    eq + 1 < end) {
			cx_buf_add(&tmp, s + i, eq + 1 - i);
			if (cx_redact_is_fingerprint(s + eq + 1, end - eq - 1))
				cx_buf_add(&tmp, s + eq + 1, end - eq - 1);
			else {
				cx_redact_secret(&tmp, s + eq + 1,
				    end - eq - 1);
				count++;
			}
		} else
			cx_buf_add(&tmp, s + i, end - i);
		if (end < n && s[end] == '#') {
			cx_buf_add(&tmp, s + end, n - end);
			break;
		}
		if (end < n)
			cx_buf_addc(&tmp, '&');
		i = end + 1;
	}
	count += cx_redact_text(out, (const char *)tmp.p, tmp.len);
	cx_buf_free(&tmp);
	return count;
}
