/*
 * protocol_diff.c: what changed between two protocols (protocol_diff.h):
 * the comparison, as a model of its own; protocol_diff_write.c renders
 * it.
 */
#include <stdlib.h>
#include <string.h>

#include "log.h"
#include "protocol.h"
#include "protocol_diff.h"
#include "redact.h"
#include "xmalloc.h"

#define DIFF_MAX_LINES  3000            /* an instruction's, to diff */
#define CONTEXT         3               /* lines around a change */

/* --- reading the models ----------------------------------------------- */

static const char *
sget(const cJSON *o, const char *key)
{
	const char *s = cJSON_GetStringValue(cJSON_GetObjectItem(o, key));

	return s != NULL ? s : "";
}

static const cJSON *
aget(const cJSON *o, const char *key)
{
	const cJSON *a = cJSON_GetObjectItem(o, key);

	return cJSON_IsArray(a) ? a : NULL;
}

/* The element of a whose field (or, field NULL, itself) is name. */
static const cJSON *
find(const cJSON *a, const char *field, const char *name)
{
	const cJSON *e;

	cJSON_ArrayForEach(e, a) {
		const char *s = field != NULL ? cJSON_GetStringValue(
		    cJSON_GetObjectItem(e, field)) : cJSON_GetStringValue(e);

		if (s != NULL && strcmp(s, name) == 0)
			return e;
	}
	return NULL;
}

static const char *
name_of(const cJSON *e, const char *field)
{
	const char *s = field != NULL ? cJSON_GetStringValue(
	    cJSON_GetObjectItem(e, field)) : cJSON_GetStringValue(e);

	return s != NULL ? s : NULL;
}

/* --- building the diff ------------------------------------------------- */

/* Add item under key of o, unless it is an empty array or object (then
 * drop it): 1 if added. */
static int
put(cJSON *o, const char *key, cJSON *item)
{
	if ((cJSON_IsArray(item) || cJSON_IsObject(item)) &&
	    item->child == NULL) {
		cJSON_Delete(item);
		return 0;
	}
	cJSON_AddItemToObject(o, key, item);
	return 1;
}

/*
 * What is in b and not in a ("added") and the reverse ("removed"), by
 * field; each as the name, or (with what) the name and what's value.
 */
static cJSON *
set_diff(const cJSON *a, const cJSON *b, const char *field, const char *what)
{
	cJSON *o = cJSON_CreateObject(), *add = cJSON_CreateArray(),
	    *rm = cJSON_CreateArray();
	const cJSON *e;

	for (int side = 0; side < 2; side++)
		cJSON_ArrayForEach(e, (side == 0 ? b : a)) {
			const char *n = name_of(e, field);
			const cJSON *w;

			if (n == NULL || find(side == 0 ? a : b, field, n))
				continue;
			w = what != NULL ? cJSON_GetObjectItem(e, what) : NULL;
			if (w != NULL) {
				cJSON *x = cJSON_CreateObject();

				cJSON_AddStringToObject(x, "name", n);
				cJSON_AddItemToObject(x, what,
				    cJSON_Duplicate(w, 1));
				cJSON_AddItemToArray(side == 0 ? add : rm, x);
			} else
				cJSON_AddItemToArray(side == 0 ? add : rm,
				    cJSON_CreateString(n));
		}
	put(o, "added", add);
	put(o, "removed", rm);
	return o;
}

/* Headers: names added or removed, constants whose value changed. */
static cJSON *
headers_diff(const cJSON *a, const cJSON *b)
{
	cJSON *o = set_diff(a, b, "name", NULL), *ch = cJSON_CreateArray();
	const cJSON *x, *y;

	cJSON_ArrayForEach(x, a) {
		char *fa, *fb;

		/* A credential's value is never compared: it is redacted,
		 * or a secret. */
		if ((y = find(b, "name", sget(x, "name"))) == NULL ||
		    !cJSON_IsTrue(cJSON_GetObjectItem(x, "constant")) ||
		    !cJSON_IsTrue(cJSON_GetObjectItem(y, "constant")) ||
		    cx_redact_is_secret_header(sget(x, "name")))
			continue;
		fa = cx_protocol_fold(sget(x, "example"));
		fb = cx_protocol_fold(sget(y, "example"));
		if (strcmp(fa, fb) != 0) {
			cJSON *c = cJSON_CreateObject();

			cJSON_AddStringToObject(c, "name", sget(x, "name"));
			cJSON_AddStringToObject(c, "a", sget(x, "example"));
			cJSON_AddStringToObject(c, "b", sget(y, "example"));
			cJSON_AddItemToArray(ch, c);
		}
		free(fa);
		free(fb);
	}
	put(o, "changed", ch);
	return o;
}

/* Key paths: added or removed (with their types), types changed. */
static cJSON *
keys_diff(const cJSON *a, const cJSON *b)
{
	cJSON *o = set_diff(a, b, "path", "types"), *ch = cJSON_CreateArray();
	const cJSON *x, *y;

	cJSON_ArrayForEach(x, a)
		if ((y = find(b, "path", sget(x, "path"))) != NULL &&
		    strcmp(sget(x, "types"), sget(y, "types")) != 0) {
			cJSON *c = cJSON_CreateObject();

			cJSON_AddStringToObject(c, "path", sget(x, "path"));
			cJSON_AddStringToObject(c, "a", sget(x, "types"));
			cJSON_AddStringToObject(c, "b", sget(y, "types"));
			cJSON_AddItemToArray(ch, c);
		}
	put(o, "types", ch);
	return o;
}

/* Event or message types: added or removed; the keys of those in both. */
static cJSON *
events_diff(const cJSON *a, const cJSON *b)
{
	cJSON *o = set_diff(a, b, "type", NULL), *ch = cJSON_CreateArray();
	const cJSON *x, *y;

	cJSON_ArrayForEach(x, a) {
		cJSON *k, *c;

		if ((y = find(b, "type", sget(x, "type"))) == NULL)
			continue;
		k = keys_diff(aget(x, "keys"), aget(y, "keys"));
		if (k->child == NULL) {
			cJSON_Delete(k);
			continue;
		}
		c = cJSON_CreateObject();
		cJSON_AddStringToObject(c, "type", sget(x, "type"));
		cJSON_AddItemToObject(c, "keys", k);
		cJSON_AddItemToArray(ch, c);
	}
	put(o, "changed", ch);
	return o;
}

static cJSON *
endpoint_diff(const cJSON *x, const cJSON *y)
{
	const cJSON *rqa = cJSON_GetObjectItem(x, "request");
	const cJSON *rqb = cJSON_GetObjectItem(y, "request");
	const cJSON *wa = cJSON_GetObjectItem(x, "websocket");
	const cJSON *wb = cJSON_GetObjectItem(y, "websocket");
	cJSON *o = cJSON_CreateObject();
	int n = 0;

	cJSON_AddStringToObject(o, "endpoint", sget(x, "endpoint"));
	n += put(o, "transports", set_diff(aget(x, "transports"),
	    aget(y, "transports"), NULL, NULL));
	n += put(o, "headers", headers_diff(aget(rqa, "headers"),
	    aget(rqb, "headers")));
	n += put(o, "body", keys_diff(aget(rqa, "body"), aget(rqb, "body")));
	n += put(o, "events", events_diff(aget(cJSON_GetObjectItem(x,
	    "response"), "events"), aget(cJSON_GetObjectItem(y, "response"),
	    "events")));
	n += put(o, "ws_client", events_diff(aget(wa, "client"),
	    aget(wb, "client")));
	n += put(o, "ws_server", events_diff(aget(wa, "server"),
	    aget(wb, "server")));
	if (n == 0) {
		cJSON_Delete(o);
		return NULL;
	}
	return o;
}

/*
 * The model API's calls of a model as one: their transports and their
 * request headers (a header's entry from the first endpoint having it;
 * constant only if constant wherever it is).
 */
static void
model_calls(const cJSON *m, cJSON *transports, cJSON *headers)
{
	const cJSON *e, *t, *h;

	cJSON_ArrayForEach(e, aget(m, "endpoints")) {
		if (!cJSON_IsTrue(cJSON_GetObjectItem(e, "model_api")))
			continue;
		cJSON_ArrayForEach(t, aget(e, "transports"))
			if (cJSON_IsString(t) && !find(transports, NULL,
			    t->valuestring))
				cJSON_AddItemToArray(transports,
				    cJSON_CreateString(t->valuestring));
		cJSON_ArrayForEach(h, aget(cJSON_GetObjectItem(e, "request"),
		    "headers")) {
			cJSON *have = (cJSON *)find(headers, "name",
			    sget(h, "name"));

			if (have == NULL)
				cJSON_AddItemToArray(headers,
				    cJSON_Duplicate(h, 1));
			else if (!cJSON_IsTrue(cJSON_GetObjectItem(h,
			    "constant")) || strcmp(sget(h, "example"),
			    sget(have, "example")) != 0) {
				cJSON_DeleteItemFromObject(have, "constant");
				cJSON_AddFalseToObject(have, "constant");
			}
		}
	}
}

static cJSON *
model_calls_diff(const cJSON *a, const cJSON *b)
{
	cJSON *ta = cJSON_CreateArray(), *ha = cJSON_CreateArray();
	cJSON *tb = cJSON_CreateArray(), *hb = cJSON_CreateArray();
	cJSON *o = cJSON_CreateObject();

	model_calls(a, ta, ha);
	model_calls(b, tb, hb);
	if (ta->child != NULL && tb->child != NULL) {
		put(o, "transports", set_diff(ta, tb, NULL, NULL));
		put(o, "headers", headers_diff(ha, hb));
	}
	cJSON_Delete(ta);
	cJSON_Delete(ha);
	cJSON_Delete(tb);
	cJSON_Delete(hb);
	return o;
}

/* A JSON Schema's property type, as text ("string", "[\"a\",\"b\"]"). */
static char *
ptype(const cJSON *prop)
{
	const cJSON *t = cJSON_GetObjectItem(prop, "type");

	if (cJSON_IsString(t))
		return xstrdup(t->valuestring);
	if (t != NULL)
		return cJSON_PrintUnformatted(t);
	return xstrdup(cJSON_GetObjectItem(prop, "$ref") != NULL ? "$ref" :
	    "(no type)");
}

static cJSON *
tool_diff(const cJSON *x, const cJSON *y)
{
	const cJSON *sa = cJSON_GetObjectItem(x, "schema");
	const cJSON *sb = cJSON_GetObjectItem(y, "schema");
	const cJSON *pa = cJSON_GetObjectItem(sa, "properties");
	const cJSON *pb = cJSON_GetObjectItem(sb, "properties");
	cJSON *o = cJSON_CreateObject(), *add = cJSON_CreateArray(),
	    *rm = cJSON_CreateArray(), *ty = cJSON_CreateArray(), *params;
	const cJSON *p, *q;
	int n = 0;

	cJSON_AddStringToObject(o, "name", sget(x, "name"));
	for (int side = 0; side < 2; side++)
		cJSON_ArrayForEach(p, (side == 0 ? pb : pa)) {
			cJSON *e;
			char *t;

			if (p->string == NULL || cJSON_GetObjectItem(side == 0 ?
			    pa : pb, p->string) != NULL)
				continue;
			e = cJSON_CreateObject();
			t = ptype(p);
			cJSON_AddStringToObject(e, "name", p->string);
			cJSON_AddStringToObject(e, "type", t);
			free(t);
			cJSON_AddItemToArray(side == 0 ? add : rm, e);
		}
	cJSON_ArrayForEach(p, pa) {
		char *ta, *tb;

		if (p->string == NULL || (q = cJSON_GetObjectItem(pb,
		    p->string)) == NULL)
			continue;
		ta = ptype(p);
		tb = ptype(q);
		if (strcmp(ta, tb) != 0) {
			cJSON *e = cJSON_CreateObject();

			cJSON_AddStringToObject(e, "name", p->string);
			cJSON_AddStringToObject(e, "a", ta);
			cJSON_AddStringToObject(e, "b", tb);
			cJSON_AddItemToArray(ty, e);
		}
		free(ta);
		free(tb);
	}
	params = cJSON_CreateObject();
	put(params, "added", add);
	put(params, "removed", rm);
	put(params, "types", ty);
	n += put(o, "parameters", params);
	n += put(o, "required", set_diff(aget(sa, "required"),
	    aget(sb, "required"), NULL, NULL));
	if (strcmp(sget(x, "description"), sget(y, "description")) != 0) {
		cJSON_AddTrueToObject(o, "description_changed");
		n++;
	}
	if (n == 0) {
		cJSON_Delete(o);
		return NULL;
	}
	return o;
}

/* --- instructions: a unified diff -------------------------------------- */

struct lines {
	const char     **v;
	size_t          *len;
	size_t           n;
};

static void
split(struct lines *l, const char *s)
{
	l->n = 0;
	l->v = NULL;
	l->len = NULL;
	while (*s != '\0' && l->n < DIFF_MAX_LINES + 1) {
		const char *nl = strchr(s, '\n');
		size_t n = nl != NULL ? (size_t)(nl - s) : strlen(s);

		l->v = xreallocarray(l->v, l->n + 1, sizeof(*l->v));
		l->len = xreallocarray(l->len, l->n + 1, sizeof(*l->len));
		l->v[l->n] = s;
		l->len[l->n++] = n;
		s += n + (nl != NULL);
	}
}

static int
same(const struct lines *a, size_t i, const struct lines *b, size_t j)
{
	return a->len[i] == b->len[j] && memcmp(a->v[i], b->v[j],
	    a->len[i]) == 0;
}

/*
 * The unified diff of a and b (---/+++ headed, hunks with CONTEXT lines
 * around each change), from their longest common subsequence of lines;
 * NULL when either is longer than DIFF_MAX_LINES lines.
 */
static char *
unified(const char *a, const char *b)
{
	struct lines la, lb;
	unsigned *t;
	char *ops, *out = NULL;
	size_t n = 0, i, j, k, nops = 0, w;
	FILE *f;

	split(&la, a);
	split(&lb, b);
	if (la.n > DIFF_MAX_LINES || lb.n > DIFF_MAX_LINES) {
		free(la.v);
		free(la.len);
		free(lb.v);
		free(lb.len);
		return NULL;
	}
	/* t[i][j]: the LCS of a[i..] and b[j..]. */
	w = lb.n + 1;
	t = xcalloc((la.n + 1) * w, sizeof(*t));
	for (i = la.n; i-- > 0; )
		for (j = lb.n; j-- > 0; )
			t[i * w + j] = same(&la, i, &lb, j) ?
			    t[(i + 1) * w + j + 1] + 1 :
			    t[(i + 1) * w + j] > t[i * w + j + 1] ?
			    t[(i + 1) * w + j] : t[i * w + j + 1];
	/* The edit script: ' ' both, '-' a only, '+' b only. */
	ops = xmalloc(la.n + lb.n + 1);
	for (i = j = 0; i < la.n || j < lb.n; )
		if (i < la.n && j < lb.n && same(&la, i, &lb, j)) {
			ops[nops++] = ' ';
			i++;
			j++;
		} else if (j < lb.n && (i == la.n || t[i * w + j + 1] >
		    t[(i + 1) * w + j]))
			ops[nops++] = '+', j++;
		else
			ops[nops++] = '-', i++;
	free(t);
	if ((f = open_memstream(&out, &n)) == NULL)
		fatalx("diff: out of memory");
	fputs("--- a\n+++ b\n", f);
	/* Hunks: changes with CONTEXT lines around, joined when close. */
	for (k = 0, i = j = 0; k < nops; ) {
		size_t s, e, c, ai, bj, na = 0, nb = 0;

		if (ops[k] == ' ') {
			k++, i++, j++;
			continue;
		}
		s = k > CONTEXT ? k - CONTEXT : 0;
		for (e = k; e < nops; e++) {
			if (ops[e] != ' ')
				continue;
			for (c = e; c < nops && ops[c] == ' '; c++)
				;
			if (c == nops || c - e > 2 * CONTEXT)
				break;
			e = c - 1;
		}
		e = e + CONTEXT < nops ? e + CONTEXT : nops;
		/* Where the hunk starts in a and b. */
		ai = i - (k - s);
		bj = j - (k - s);
		for (c = s; c < e; c++) {
			na += ops[c] != '+';
			nb += ops[c] != '-';
		}
		fprintf(f, "@@ -%zu,%zu +%zu,%zu @@\n", ai + 1, na, bj + 1, nb);
		for (c = s; c < e; c++) {
			if (ops[c] == '+') {
				fprintf(f, "+%.*s\n", (int)lb.len[bj],
				    lb.v[bj]);
				bj++;
			} else {
				fprintf(f, "%c%.*s\n", ops[c], (int)la.len[ai],
				    la.v[ai]);
				ai++;
				bj += ops[c] == ' ';
			}
		}
		i = ai;
		j = bj;
		k = e;
	}
	fclose(f);
	free(ops);
	free(la.v);
	free(la.len);
	free(lb.v);
	free(lb.len);
	return out;
}

/* The largest instruction of role in m, or NULL. */
static const cJSON *
main_instruction(const cJSON *m, const char *role)
{
	const cJSON *x, *best = NULL;

	cJSON_ArrayForEach(x, aget(m, "instructions"))
		if (strcmp(sget(x, "role"), role) == 0 && (best == NULL ||
		    cJSON_GetNumberValue(cJSON_GetObjectItem(x, "bytes")) >
		    cJSON_GetNumberValue(cJSON_GetObjectItem(best, "bytes"))))
			best = x;
	return best;
}

static cJSON *
instructions_diff(const cJSON *a, const cJSON *b)
{
	static const char *const roles[] = { "system", "developer" };
	cJSON *o = set_diff(aget(a, "instructions"), aget(b, "instructions"),
	    "sha256", "role"), *diffs = cJSON_CreateArray();

	for (size_t r = 0; r < sizeof(roles) / sizeof(roles[0]); r++) {
		const cJSON *x = main_instruction(a, roles[r]);
		const cJSON *y = main_instruction(b, roles[r]);
		cJSON *d;
		char *u;

		if (x == NULL || y == NULL || strcmp(sget(x, "sha256"),
		    sget(y, "sha256")) == 0)
			continue;
		d = cJSON_CreateObject();
		cJSON_AddStringToObject(d, "role", roles[r]);
		cJSON_AddStringToObject(d, "a", sget(x, "sha256"));
		cJSON_AddStringToObject(d, "b", sget(y, "sha256"));
		if (!cJSON_IsString(cJSON_GetObjectItem(x, "text")) ||
		    !cJSON_IsString(cJSON_GetObjectItem(y, "text")))
			cJSON_AddStringToObject(d, "note", "the texts are not "
			    "in the models (cxrec protocol --full)");
		else if ((u = unified(sget(x, "text"), sget(y, "text"))) ==
		    NULL)
			cJSON_AddStringToObject(d, "note", "too long to diff");
		else {
			cJSON_AddStringToObject(d, "unified", u);
			free(u);
		}
		cJSON_AddItemToArray(diffs, d);
	}
	put(o, "diffs", diffs);
	return o;
}

/* --- the whole ---------------------------------------------------------- */

static cJSON *
agents(const cJSON *m)
{
	cJSON *a = cJSON_CreateArray();
	const cJSON *t;
	char s[200];

	cJSON_ArrayForEach(t, aget(m, "traces")) {
		snprintf(s, sizeof(s), "%s%s%s", *sget(t, "agent") ?
		    sget(t, "agent") : "an unknown agent",
		    *sget(t, "agent_version") ? " " : "",
		    sget(t, "agent_version"));
		if (!find(a, NULL, s))
			cJSON_AddItemToArray(a, cJSON_CreateString(s));
	}
	return a;
}

/* The agents' names (before the version) of m, for "same agent". */
static int
same_agent(const cJSON *a, const cJSON *b)
{
	const cJSON *x = aget(a, "traces") ? aget(a, "traces")->child : NULL;
	const cJSON *y = aget(b, "traces") ? aget(b, "traces")->child : NULL;

	return x == NULL || y == NULL || strcmp(sget(x, "agent"),
	    sget(y, "agent")) == 0;
}

cJSON *
cx_protocol_diff(const cJSON *a, const cJSON *b)
{
	cJSON *d = cJSON_CreateObject(), *ch = cJSON_CreateArray(), *tc;
	const cJSON *x, *y, *ea = aget(a, "endpoints"),
	    *eb = aget(b, "endpoints");
	int n = 0;

	cJSON_AddItemToObject(d, "a", agents(a));
	cJSON_AddItemToObject(d, "b", agents(b));
	cJSON_AddBoolToObject(d, "same_agent", same_agent(a, b));
	n += put(d, "endpoints", set_diff(ea, eb, "endpoint", "transports"));
	n += put(d, "model_calls", model_calls_diff(a, b));
	cJSON_ArrayForEach(x, ea)
		if ((y = find(eb, "endpoint", sget(x, "endpoint"))) != NULL) {
			cJSON *e = endpoint_diff(x, y);

			if (e != NULL)
				cJSON_AddItemToArray(ch, e);
		}
	n += put(d, "changed_endpoints", ch);
	tc = set_diff(aget(a, "tools"), aget(b, "tools"), "name", NULL);
	ch = cJSON_CreateArray();
	cJSON_ArrayForEach(x, aget(a, "tools"))
		if ((y = find(aget(b, "tools"), "name", sget(x, "name")))) {
			cJSON *t = tool_diff(x, y);

			if (t != NULL)
				cJSON_AddItemToArray(ch, t);
		}
	put(tc, "changed", ch);
	n += put(d, "tools", tc);
	n += put(d, "instructions", instructions_diff(a, b));
	cJSON_AddBoolToObject(d, "changed", n > 0);
	return d;
}

int
cx_protocol_diff_changed(const cJSON *d)
{
	return cJSON_IsTrue(cJSON_GetObjectItem(d, "changed"));
}
