/* credname.c: credential header and query parameter names (credname.h). */
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "credname.h"
#include "jsonobj.h"

static const char *const base_headers[] = {
	"authorization", "proxy-authorization", "cookie", "set-cookie",
	"x-api-key", "api-key", "openai-api-key", "chatgpt-account-id",
	"x-goog-api-key",
};

static const char *const base_query[] = {
	"key", "api_key", "apikey", "access_token", "refresh_token",
	"id_token", "client_secret", "password", "secret", "token",
};

#define NELEM(a) (sizeof(a) / sizeof((a)[0]))

void
cx_credname_init(struct cx_credname *s)
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
in_base(const char *const *list, size_t nlist, const char *w, size_t n)
{
	for (size_t i = 0; i < nlist; i++)
		if ((w[0] | 0x20) == list[i][0] && strlen(list[i]) == n &&
		    strncasecmp(list[i], w, n) == 0)
			return 1;
	return 0;
}

static int
in_added(const char (*list)[CX_CREDNAME_LEN + 1], size_t nlist,
    const char *w, size_t n)
{
	for (size_t i = 0; i < nlist; i++)
		if (strlen(list[i]) == n && strncasecmp(list[i], w, n) == 0)
			return 1;
	return 0;
}

int
cx_credname_is_header(const struct cx_credname *s, const char *name,
    size_t n)
{
	if (n == 0)
		return 0;
	return in_base(base_headers, NELEM(base_headers), name, n) ||
	    (s != NULL && in_added(s->header, s->nheader, name, n));
}

int
cx_credname_is_query(const struct cx_credname *s, const char *name,
    size_t n)
{
	if (n == 0)
		return 0;
	return in_base(base_query, NELEM(base_query), name, n) ||
	    (s != NULL && in_added(s->query, s->nquery, name, n));
}

static int
add(char (*list)[CX_CREDNAME_LEN + 1], uint8_t *nlist, const char *name,
    int query)
{
	size_t n = name != NULL ? strlen(name) : 0;

	if (n == 0 || n > CX_CREDNAME_LEN)
		return -1;
	for (size_t i = 0; i < n; i++)
		if (!is_tchar((unsigned char)name[i]) && !(query &&
		    (name[i] == '.' || name[i] == '~')))
			return -1;
	if (query ? cx_credname_is_query(NULL, name, n) :
	    cx_credname_is_header(NULL, name, n))
		return 0;
	if (in_added(list, *nlist, name, n))
		return 0;
	if (*nlist >= CX_CREDNAME_MAX)
		return -1;
	memcpy(list[*nlist], name, n + 1);
	(*nlist)++;
	return 0;
}

int
cx_credname_add_header(struct cx_credname *s, const char *name)
{
	return add(s->header, &s->nheader, name, 0);
}

int
cx_credname_add_query(struct cx_credname *s, const char *name)
{
	return add(s->query, &s->nquery, name, 1);
}

int
cx_credname_add_lists(struct cx_credname *s, const char *const *headers,
    const char *const *query)
{
	int rc = 0;

	for (size_t i = 0; headers != NULL && headers[i] != NULL; i++)
		if (cx_credname_add_header(s, headers[i]) == -1)
			rc = -1;
	for (size_t i = 0; query != NULL && query[i] != NULL; i++)
		if (cx_credname_add_query(s, query[i]) == -1)
			rc = -1;
	return rc;
}

void
cx_credname_jobj(const struct cx_credname *s, struct cx_jobj *j,
    const char *key)
{
	static const struct cx_credname none;

	if (s == NULL)
		s = &none;
	cx_jobj_object(j, key);
	cx_jobj_array(j, "headers");
	for (size_t i = 0; i < s->nheader; i++)
		cx_jobj_str(j, NULL, s->header[i]);
	cx_jobj_close(j);
	cx_jobj_array(j, "query");
	for (size_t i = 0; i < s->nquery; i++)
		cx_jobj_str(j, NULL, s->query[i]);
	cx_jobj_close(j);
	cx_jobj_close(j);
}
