/* srcredact.c: credential headers hidden before recording (srcredact.h). */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/random.h>

#include "srcredact.h"

static const char *const secret_names[] = {
	"authorization", "proxy-authorization", "cookie", "set-cookie",
	"x-api-key", "api-key", "openai-api-key", "chatgpt-account-id",
};

/* --- SipHash-2-4 (Aumasson and Bernstein) ----------------------------------- */

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

/* --- keys ------------------------------------------------------------------ */

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

void
cx_srcredact_key_hex(const struct cx_srcredact_key *k, char *out)
{
	snprintf(out, CX_SRCREDACT_KEY_HEX + 1, "%016llx%016llx",
	    (unsigned long long)k->k0, (unsigned long long)k->k1);
}

static int
hex64(const char *s, uint64_t *v)
{
	*v = 0;
	for (int i = 0; i < 16; i++) {
		int c = s[i], d;

		if (c >= '0' && c <= '9')
			d = c - '0';
		else if (c >= 'a' && c <= 'f')
			d = c - 'a' + 10;
		else
			return -1;
		*v = *v << 4 | (uint64_t)d;
	}
	return 0;
}

int
cx_srcredact_key_parse(struct cx_srcredact_key *k, const char *hex)
{
	if (hex == NULL || strlen(hex) != CX_SRCREDACT_KEY_HEX ||
	    hex64(hex, &k->k0) == -1 || hex64(hex + 16, &k->k1) == -1)
		return -1;
	return 0;
}

/* --- the scanner ----------------------------------------------------------- */

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
secret_name(const char *name, size_t n)
{
	for (size_t i = 0; i < sizeof(secret_names) / sizeof(*secret_names);
	    i++)
		if (strlen(secret_names[i]) == n &&
		    memcmp(secret_names[i], name, n) == 0)
			return 1;
	return 0;
}

/*
 * The value v[0..len) of a credential, whole in this buffer: its
 * replacement, in place (Authorization keeps its scheme word).
 */
static void
replace_value(const struct cx_srcredact_key *k, uint8_t *v, size_t len,
    int auth)
{
	char mark[CX_SRCREDACT_MARK_LEN + 1];
	size_t i = 0;

	if (auth) {
		while (i < len && is_tchar(v[i]))
			i++;
		if (i < len && (v[i] == ' ' || v[i] == '\t')) {
			while (i < len && (v[i] == ' ' || v[i] == '\t'))
				i++;
			v += i;
			len -= i;
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

/* Does a credential header's name, then ':', start at p?  Its length. */
static size_t
name_at(const char *p, int *auth)
{
	size_t n = 0;
	char low[24];

	while (n < sizeof(low) && is_tchar((unsigned char)p[n])) {
		low[n] = (char)(p[n] >= 'A' && p[n] <= 'Z' ? p[n] + 32 : p[n]);
		n++;
	}
	if (n == 0 || p[n] != ':' || !secret_name(low, n))
		return 0;
	*auth = n >= 13 && memcmp(low + n - 13, "authorization", 13) == 0;
	return n;
}

size_t
cx_srcredact_arg(const struct cx_srcredact_key *k, char *s)
{
	size_t count = 0;

	for (char *p = s; *p != '\0'; p++) {
		char open = p > s ? p[-1] : '\0';
		size_t n;
		int auth = 0, word = 0;        /* an option's value: one word */

		if (p > s && open != ' ' && open != '\'' && open != '"' &&
		    open != '=' && open != '\n' && open != '\t')
			continue;
		if ((n = name_at(p, &auth)) > 0)
			p += n + 1;
		else if (strncmp(p, "--cookie", 8) == 0 ||
		    strncmp(p, "--user", 6) == 0) {
			p += p[2] == 'c' ? 8 : 6;
			if (*p != ' ' && *p != '=') {
				p--;            /* the loop steps on: to *p */
				continue;
			}
			word = 1;
		} else
			continue;
		while (*p == ' ' || *p == '\t' || *p == '=')
			p++;
		if (*p == '\'' || *p == '"')
			open = *p++;
		char *e = p;
		/* To its closing quote, else to the end of the line (of the
		 * word, for an option's value). */
		while (*e != '\0' && *e != '\n' && *e != '\r' &&
		    !((open == '\'' || open == '"') && *e == open) &&
		    !(word && open != '\'' && open != '"' && *e == ' '))
			e++;
		if (e > p) {
			replace_value(k, (uint8_t *)p, (size_t)(e - p), auth);
			count++;
		}
		p = e - 1;
	}
	return count;
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

	while (i < n) {
		uint8_t c = in[i];

		if (s->star) {                  /* a value split across calls */
			if (c == '\r' || c == '\n') {
				s->star = 0;
				continue;
			}
			CHANGE();
			out[i++] = '*';
			continue;
		}
		if (s->ows) {
			if (c == ' ' || c == '\t') {
				i++;
				continue;
			}
			s->ows = 0;
			/* The value: to the end of its line, if that is here. */
			size_t e = i;
			while (e < n && in[e] != '\r' && in[e] != '\n')
				e++;
			if (e == i)
				continue;               /* empty */
			CHANGE();
			if (e < n) {
				replace_value(k, out + i, e - i, s->auth);
			} else {
				memset(out + i, '*', e - i);
				s->star = 1;
			}
			i = e;
			s->mid = 1;
			s->skip = 1;
			continue;
		}
		if (!s->mid) {                  /* a line starts */
			s->mid = 1;
			s->nlen = 0;
			s->skip = 0;
		}
		if (s->skip) {                  /* on to the next line */
			const uint8_t *nl = memchr(in + i, '\n', n - i);

			if (nl == NULL)
				return changed;
			i = (size_t)(nl - in) + 1;
			s->mid = 0;
			continue;
		}
		if (c == ':') {
			if (secret_name(s->name, s->nlen)) {
				s->ows = 1;
				/* authorization, proxy-authorization */
				s->auth = s->nlen >= 13 && memcmp(s->name +
				    s->nlen - 13, "authorization", 13) == 0;
			} else
				s->skip = 1;
			i++;
			continue;
		}
		if (is_tchar(c) && s->nlen < sizeof(s->name)) {
			s->name[s->nlen++] = (char)(c >= 'A' && c <= 'Z' ?
			    c + 32 : c);
			i++;
			continue;
		}
		s->skip = 1;                    /* not a header we hide */
		if (c == '\n') {
			s->mid = 0;
			i++;
		}
	}
#undef CHANGE
	return changed;
}
