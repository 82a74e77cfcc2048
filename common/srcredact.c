/* srcredact.c: credential headers hidden before recording (srcredact.h). */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>
#include <sys/random.h>

#include "srcredact.h"

/* --- SipHash-2-4 (Aumasson and Bernstein) --------------------------------- */

#define ROTL(x, b)      (uint64_t)(((x) << (b)) | ((x) >> (64 - (b))))
#define SIPROUND do {                                                   \
		v0 += v1; v1 = ROTL(v1, 13); v1 ^= v0; v0 = ROTL(v0, 32); \
		v2 += v3; v3 = ROTL(v3, 16); v3 ^= v2;                  \
		v0 += v3; v3 = ROTL(v3, 21); v3 ^= v0;                  \
		v2 += v1; v1 = ROTL(v1, 17); v1 ^= v2; v2 = ROTL(v2, 32); \
	} while (0)

uint64_t
cx_siphash(const struct cx_srcredact_key *k, const void *p, size_t n)
{
	const uint8_t *in = p;
	uint64_t v0 = UINT64_C(0x736f6d6570736575) ^ k->k0;
	uint64_t v1 = UINT64_C(0x646f72616e646f6d) ^ k->k1;
	uint64_t v2 = UINT64_C(0x6c7967656e657261) ^ k->k0;
	uint64_t v3 = UINT64_C(0x7465646279746573) ^ k->k1;
	uint64_t b = (uint64_t)n << 56, m;
	size_t i, left = n & 7;

	for (i = 0; i + 8 <= n; i += 8) {
		m = 0;
		for (int j = 7; j >= 0; j--)
			m = m << 8 | in[i + (size_t)j];
		v3 ^= m;
		SIPROUND;
		SIPROUND;
		v0 ^= m;
	}
	for (size_t j = 0; j < left; j++)
		b |= (uint64_t)in[i + j] << (8 * j);
	v3 ^= b;
	SIPROUND;
	SIPROUND;
	v0 ^= b;
	v2 ^= 0xff;
	SIPROUND;
	SIPROUND;
	SIPROUND;
	SIPROUND;
	return v0 ^ v1 ^ v2 ^ v3;
}

/* --- keys ----------------------------------------------------------------- */

int
cx_srcredact_key_new(struct cx_srcredact_key *k)
{
	uint8_t b[16];
	size_t got = 0;

	while (got < sizeof(b)) {
		ssize_t r = getrandom(b + got, sizeof(b) - got, 0);

		if (r == -1 && errno == EINTR)
			continue;
		if (r <= 0)
			return -1;
		got += (size_t)r;
	}
	memcpy(&k->k0, b, 8);
	memcpy(&k->k1, b + 8, 8);
	return 0;
}

/* --- names, schemes, command-line arguments ------------------------------- */

void
cx_srcredact_init(struct cx_srcredact *s)
{
	memset(s, 0, sizeof(*s));
}

static int
is_tchar(int c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
	    (c >= '0' && c <= '9') || c == '-' || c == '_';
}

static int
is_ws(int c)
{
	return c == ' ' || c == '\t';
}

/* A byte of a query parameter's name as credname.h allows them. */
static int
is_qchar(int c)
{
	return is_tchar(c) || c == '.' || c == '~';
}

/*
 * A byte of a query parameter's value: any printable ASCII but '&' (the
 * next parameter), '#' (a fragment), quotes, '<', '>' and '\\' (what
 * encloses or escapes a URL in text around it).
 */
static int
is_qval(int c)
{
	return c > 0x20 && c < 0x7f && c != '&' && c != '#' && c != '"' &&
	    c != '\'' && c != '<' && c != '>' && c != '\\';
}

static int
in_list(const char *const *list, size_t nlist, const char *w, size_t n)
{
	for (size_t i = 0; i < nlist; i++)
		if (strlen(list[i]) == n && strncasecmp(list[i], w, n) == 0)
			return 1;
	return 0;
}

/* The schemes an Authorization value keeps in view (IANA's registry and
 * common others); any other first word may be the credential itself. */
static const char *const schemes[] = {
	"basic", "bearer", "digest", "dpop", "hoba", "mutual", "negotiate",
	"ntlm", "privatetoken", "scram-sha-1", "scram-sha-256", "token",
	"vapid", "aws4-hmac-sha256", "apikey", "gssapi",
};

int
cx_srcredact_scheme(const char *w, size_t n)
{
	return in_list(schemes, sizeof(schemes) / sizeof(*schemes), w, n);
}

static int
auth_name(const char *name, size_t n)
{
	return n >= 13 && strncasecmp(name + n - 13, "authorization", 13) == 0;
}


/*
 * The value v[0..len) of a credential, whole in this buffer: its
 * replacement, in place.  An Authorization value keeps its scheme word
 * when that is a known scheme followed by something.
 */
static void
replace_value(const struct cx_srcredact_key *k, uint8_t *v, size_t len,
    int auth)
{
	char mark[CX_SRCREDACT_MARK_LEN + 1];
	size_t i = 0, j;

	if (auth) {
		while (i < len && v[i] != ' ' && v[i] != '\t')
			i++;
		for (j = i; j < len && is_ws(v[j]); j++)
			;
		if (j > i && j < len && cx_srcredact_scheme((const char *)v,
		    i)) {
			v += j;
			len -= j;
		}
	}
	if (len >= CX_SRCREDACT_MARK_LEN) {
		snprintf(mark, sizeof(mark), CX_SRCREDACT_MARK "%016llx]",
		    (unsigned long long)cx_siphash(k, v, len));
		memcpy(v, mark, CX_SRCREDACT_MARK_LEN);
		v += CX_SRCREDACT_MARK_LEN;
		len -= CX_SRCREDACT_MARK_LEN;
	}
	memset(v, '*', len);
}

/* Options whose value (the next argument, or after '=') is a secret. */
static const char *const secret_opts[] = {
	"--cookie", "--user", "--proxy-user", "--oauth2-bearer", "--password",
	"--api-key", "--token",
};

/*
 * A credential header's name at p, as a command line may carry one: in a
 * header line ("Cookie: v"), a TOML or JSON key ("\"Cookie\" = \"v\"",
 * {Cookie:'v'}): the name, its closing quote if it had one, blanks, then
 * ':' or '='.  The length up to and with that sign, or 0.
 */
static size_t
name_at(const struct cx_credname *names, const char *p, int quoted, int *auth)
{
	size_t n = 0, c;

	while (n < CX_CREDNAME_LEN && is_tchar((unsigned char)p[n]))
		n++;
	if (n == 0 || is_tchar((unsigned char)p[n]) ||
	    !cx_credname_is_header(names, p, n))
		return 0;
	c = n;
	if (quoted && (p[c] == '"' || p[c] == '\''))
		c++;
	while (is_ws(p[c]))
		c++;
	if (p[c] != ':' && p[c] != '=')
		return 0;
	*auth = auth_name(p, n);
	return c + 1;
}

/* Does a secret option start at p?  Its length, if '=' or a blank or the
 * end follows. */
static size_t
opt_at(const char *p)
{
	for (size_t i = 0; i < sizeof(secret_opts) / sizeof(*secret_opts);
	    i++) {
		size_t n = strlen(secret_opts[i]);

		if (strncmp(p, secret_opts[i], n) == 0 &&
		    (p[n] == '=' || is_ws(p[n]) || p[n] == '\0'))
			return n;
	}
	return 0;
}

/*
 * A credential query parameter's name and its '=' at p, at the start of
 * s or after '?', '&', a blank or a quote: the length with the '=', or 0.
 */
static size_t
query_at(const struct cx_credname *names, const char *s, const char *p)
{
	size_t n = 0;

	if (p > s && strchr("?& \t'\"", p[-1]) == NULL)
		return 0;
	while (n < CX_CREDNAME_LEN && is_qchar((unsigned char)p[n]))
		n++;
	if (p[n] != '=' || !cx_credname_is_query(names, p, n))
		return 0;
	return n + 1;
}

/* Can a name start at p?  At the start, after a character that cannot be
 * part of one, after "-H" (curl's header option, glued), or after a
 * written-out "\n" (printf 'GET / HTTP/1.1\r\nCookie: ...'). */
static int
boundary(const char *s, const char *p)
{
	if (p == s || !is_tchar((unsigned char)p[-1]))
		return 1;
	if (p - s >= 2 && p[-2] == '-' && p[-1] == 'H' &&
	    (p - s == 2 || !is_tchar((unsigned char)p[-3])))
		return 1;
	return p - s >= 2 && p[-2] == '\\' && p[-1] == 'n';
}

size_t
cx_srcredact_arg(const struct cx_srcredact_key *k, char *s, const char *prev)
{
	size_t count = 0;

	/* The value of "--cookie VALUE" is the next argument. */
	if (prev != NULL && opt_at(prev) == strlen(prev) && *s != '\0') {
		replace_value(k, (uint8_t *)s, strlen(s), 0);
		return 1;
	}
	for (char *p = s; *p != '\0'; p++) {
		/* The quote the name (or option) is inside, if any. */
		char q = p > s && (p[-1] == '\'' || p[-1] == '"') ? p[-1] : 0;
		size_t n;
		int auth = 0, word = 0;        /* an option's value: one word */

		if (!boundary(s, p))
			continue;
		if ((n = name_at(k->names, p, q != 0, &auth)) > 0) {
			/* A quoted key ("Cookie" = ...) closed its quote. */
			if (q != 0 && memchr(p, q, n) != NULL)
				q = 0;
			p += n;
		} else if ((n = opt_at(p)) > 0) {
			p += n;
			if (*p == '\0') {
				p--;            /* the loop steps on: to *p */
				continue;
			}
			word = 1;
		} else if ((n = query_at(k->names, s, p)) > 0) {
			/* A query value: to the next '&', '#', blank, quote... */
			char *v = p + n, *e = v;

			while (is_qval((unsigned char)*e))
				e++;
			if (e > v) {
				replace_value(k, (uint8_t *)v, (size_t)(e - v), 0);
				count++;
			}
			p = e - 1;              /* the loop steps on: to *e */
			continue;
		} else
			continue;
		while (is_ws(*p) || (word && *p == '='))
			p++;
		/* Inside the name's quotes the value runs to their end; else
		 * a value may bring quotes of its own. */
		if (q == 0 && (*p == '\'' || *p == '"'))
			q = *p++;
		char *e = p;
		/* To the closing quote, else to the end of the line (a
		 * written-out \r or \n too; of the word, for an option's
		 * value). */
		while (*e != '\0' && *e != '\n' && !(q != 0 && *e == q) &&
		    !(word && q == 0 && is_ws(*e)) &&
		    !(e[0] == '\\' && (e[1] == 'r' || e[1] == 'n')))
			e++;
		if (e > p && e[-1] == '\r')
			e--;
		if (e > p) {
			replace_value(k, (uint8_t *)p, (size_t)(e - p), auth);
			count++;
		}
		p = e > p ? e - 1 : p - 1;
	}
	return count;
}

size_t
cx_srcredact_url(const struct cx_srcredact_key *k, char *s, size_t n)
{
	size_t count = 0, i = 0;

	while (i < n) {
		size_t a, m, e;

		if (s[i] != '?' && s[i] != '&') {
			i++;
			continue;
		}
		for (a = m = i + 1; m < n && m - a < CX_CREDNAME_LEN &&
		    is_qchar((unsigned char)s[m]); m++)
			;
		if (m >= n || s[m] != '=' || !cx_credname_is_query(k->names,
		    s + a, m - a)) {
			i++;
			continue;
		}
		for (e = m + 1; e < n && is_qval((unsigned char)s[e]); e++)
			;
		if (e > m + 1) {
			replace_value(k, (uint8_t *)s + m + 1, e - m - 1, 0);
			count++;
		}
		i = e;
	}
	return count;
}

/* --- the stream scanner --------------------------------------------------- */

/*
 * Where the scanner is: at a line's start, in a header's name (S_NAME,
 * S_NAME_WS) or value (S_OWS, S_STAR), elsewhere in a line (S_SKIP), or
 * after a '?' or '&': a query parameter's name (S_QNAME), a credential's
 * value (S_QVAL, S_QSTAR: split across calls).
 */
enum { S_LINE, S_NAME, S_NAME_WS, S_OWS, S_STAR, S_SKIP, S_QNAME, S_QVAL,
	S_QSTAR };

static const char preface[] = "PRI * HTTP/2.0\r\n";

int
cx_srcredact_h2(const struct cx_srcredact *s)
{
	return s->pre == sizeof(preface) - 1 || s->h2c;
}

int
cx_srcredact(struct cx_srcredact *s, const struct cx_srcredact_key *k,
    const uint8_t *in, size_t n, uint8_t *out)
{
	int changed = 0;
	size_t i = 0;

#define CHANGE() do {                                   \
		if (!changed) {                         \
			memcpy(out, in, n);             \
			changed = 1;                    \
		}                                       \
	} while (0)

	/* HTTP/2 compresses its headers: nothing here could hide them. */
	for (size_t j = 0; j < n && s->pre < sizeof(preface) - 1; j++)
		s->pre = (uint8_t)(in[j] == (uint8_t)preface[s->pre] ?
		    s->pre + 1u : sizeof(preface));
	if (cx_srcredact_h2(s))
		return CX_SRCREDACT_DROP;

	while (i < n) {
		uint8_t c = in[i];

		switch (s->state) {
		case S_LINE:                    /* a line starts */
			if (s->cont && is_ws(c)) {
				/* obs-fold: the credential's value goes on */
				s->cred = 1;
				s->auth = 0;
				s->state = S_OWS;
				break;
			}
			s->cont = 0;
			s->nlen = 0;
			s->state = S_NAME;
			break;
		case S_NAME:
		case S_NAME_WS:
			if (s->state == S_NAME && is_tchar(c) &&
			    s->nlen < sizeof(s->name)) {
				s->name[s->nlen++] = (char)c;
				i++;
			} else if (is_ws(c) && s->nlen > 0) {
				s->state = S_NAME_WS;
				i++;
			} else if (c == ':' && cx_credname_is_header(k->names,
			    s->name, s->nlen)) {
				s->cred = 1;
				s->auth = auth_name(s->name, s->nlen);
				s->state = S_OWS;
				i++;
			} else if (c == ':' && s->nlen == 14 &&
			    strncasecmp(s->name, "http2-settings", 14) == 0) {
				/* An upgrade to h2c: HTTP/2 follows the head. */
				s->h2c = 1;
				s->state = S_SKIP;
			} else
				s->state = S_SKIP;
			break;
		case S_OWS:
			if (is_ws(c)) {
				i++;
				break;
			}
			/* The value: to the end of its line, if that is here. */
			const uint8_t *nl = memchr(in + i, '\n', n - i);
			if (nl != NULL) {
				size_t e = (size_t)(nl - in);

				if (e > i && in[e - 1] == '\r')
					e--;
				if (e > i) {
					CHANGE();
					replace_value(k, out + i, e - i, s->auth);
				}
				i = e;
				s->state = S_SKIP;
			} else
				s->state = S_STAR;
			break;
		case S_STAR:                    /* a value split across calls */
			if (c == '\n') {
				s->state = S_SKIP;
				break;
			}
			if (c != '\r' || (i + 1 < n && in[i + 1] != '\n')) {
				CHANGE();
				out[i] = '*';
			}
			i++;
			break;
		case S_QNAME:                   /* a query parameter's name */
			if (c == '=') {
				s->state = cx_credname_is_query(k->names,
				    s->name, s->nlen) ? S_QVAL : S_SKIP;
				i++;
			} else if (c == '&' || c == '?') {
				s->nlen = 0;
				i++;
			} else if (is_qchar(c) && s->nlen < sizeof(s->name)) {
				s->name[s->nlen++] = (char)c;
				i++;
			} else
				s->state = S_SKIP;
			break;
		case S_QVAL: {                  /* a credential's value */
			size_t e = i;

			while (e < n && is_qval(in[e]))
				e++;
			if (e == n) {
				/* It may go on in the next call. */
				s->state = S_QSTAR;
				break;
			}
			if (e > i) {
				CHANGE();
				replace_value(k, out + i, e - i, 0);
			}
			i = e;
			s->state = S_SKIP;
			break;
		}
		case S_QSTAR:                   /* ... split across calls */
			if (!is_qval(c)) {
				s->state = S_SKIP;
				break;
			}
			CHANGE();
			out[i++] = '*';
			break;
		case S_SKIP:                    /* on to a query or a line */
			while (i < n && in[i] != '\n' && in[i] != '?' &&
			    in[i] != '&')
				i++;
			if (i == n)
				return changed;
			if (in[i++] != '\n') {
				s->nlen = 0;
				s->state = S_QNAME;
				break;
			}
			s->cont = s->cred;
			s->cred = 0;
			s->state = S_LINE;
			break;
		}
	}
#undef CHANGE
	return changed;
}

int
cx_srcredact_conn(struct cx_srcredact_conn *c, int d,
    const struct cx_srcredact_key *k, const uint8_t *in, size_t n,
    uint8_t *out)
{
	if (!cx_srcredact_h2(&c->dir[0]) && !cx_srcredact_h2(&c->dir[1])) {
		int rc = cx_srcredact(&c->dir[d], k, in, n, out);

		if (rc != CX_SRCREDACT_DROP)
			return rc;
	}
	if (c->said)
		return CX_SRCREDACT_DROPPED;
	c->said = 1;
	return CX_SRCREDACT_DROP;
}
