/*
 * credname.h: the names under which credentials travel in HTTP: header
 * names (any case) whose values are secrets, and URL query (or form)
 * parameter names (any case) whose values are.  Both redactors take their
 * names from here: decode's (common/redact.c) and the recorder's
 * `--redact-at-source` (srcredact.c).
 *
 * A set is the built-in base plus names added at run time: by an agent
 * module (its NULL-terminated cred_headers and cred_query), or by a
 * trace's run note ("credentials":{"headers":[...],"query":[...]}, read
 * by decode).  The base:
 *
 *   headers  authorization, proxy-authorization, cookie, set-cookie,
 *            x-api-key, api-key, openai-api-key, chatgpt-account-id,
 *            x-goog-api-key
 *   query    key, api_key, apikey, access_token, refresh_token, id_token,
 *            client_secret, password, secret, token
 *
 * A set is a plain struct of fixed size (no allocation: the preload can
 * hold one); at most CX_CREDNAME_MAX names of each kind are added, each
 * CX_CREDNAME_LEN bytes at most.  A NULL set means the base alone.
 */
#ifndef CX_CREDNAME_H
#define CX_CREDNAME_H

#include <stddef.h>
#include <stdint.h>

#define CX_CREDNAME_MAX 32      /* names added, of each kind */
#define CX_CREDNAME_LEN 32      /* bytes a name, at most */

struct cx_credname {
	uint8_t  nheader;
	uint8_t  nquery;
	char     header[CX_CREDNAME_MAX][CX_CREDNAME_LEN + 1];
	char     query[CX_CREDNAME_MAX][CX_CREDNAME_LEN + 1];
};

/* The base alone. */
void     cx_credname_init(struct cx_credname *s);
/*
 * Add a name: 0 if it is in the set now (added, or there already), -1 if
 * it is refused: empty, longer than CX_CREDNAME_LEN, not a token (a header
 * name: letters, digits, '-', '_'; a query name: those and '.', '~'), or
 * the set is full.
 */
int      cx_credname_add_header(struct cx_credname *s, const char *name);
int      cx_credname_add_query(struct cx_credname *s, const char *name);
/* Both lists of an agent module (NULL-terminated, either may be NULL);
 * -1 if any name was refused (the others are added). */
int      cx_credname_add_lists(struct cx_credname *s,
    const char *const *headers, const char *const *query);
/* Is name[0..n) a credential header, a credential query parameter? */
int      cx_credname_is_header(const struct cx_credname *s, const char *name,
    size_t n);
int      cx_credname_is_query(const struct cx_credname *s, const char *name,
    size_t n);
/*
 * The names added to the base as the object member key of j, as the run
 * note carries them: {"headers":["x-foo"],"query":["sig"]}.  s NULL: none.
 */
struct cx_jobj;
void     cx_credname_jobj(const struct cx_credname *s, struct cx_jobj *j,
    const char *key);

#endif
