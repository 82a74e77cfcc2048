/*
 * protocol_diff_write.c: a protocol diff (protocol_diff.h) as text or
 * Markdown: the agents compared, then each part that changed, "+" for
 * what B has and A has not, "-" for the reverse, "a → b" for a value or
 * type that changed; the instructions as unified diffs.
 */
#include <string.h>

#include "escape.h"
#include "protocol_diff.h"

struct out {
	FILE            *f;
	int              md;
};

static const char *
sget(const cJSON *o, const char *key)
{
	const char *s = cJSON_GetStringValue(cJSON_GetObjectItem(o, key));

	return s != NULL ? s : "";
}

/* A name, as code in Markdown (escaped), as is in text. */
static void
name(struct out *o, const char *s)
{
	if (!o->md) {
		fputs(s, o->f);
		return;
	}
	fputc('`', o->f);
	for (; *s != '\0'; s++)
		fputc(*s == '`' ? '\'' : (unsigned char)*s < 0x20 ? ' ' : *s,
		    o->f);
	fputc('`', o->f);
}

static void
heading(struct out *o, const char *text, const char *what)
{
	if (o->md) {
		fprintf(o->f, "\n## %s", text);
		if (what != NULL) {
			fputc(' ', o->f);
			name(o, what);
		}
		fputs("\n\n", o->f);
	} else {
		fprintf(o->f, "\n%s", text);
		if (what != NULL)
			fprintf(o->f, " %s", what);
		fputs(":\n", o->f);
	}
}

/* " (v)": a string, strings joined with ", ", other JSON as text. */
static void
value(struct out *o, const cJSON *w)
{
	const cJSON *e;
	char *t;

	if (w == NULL)
		return;
	fputs(" (", o->f);
	if (cJSON_IsString(w))
		fputs(w->valuestring, o->f);
	else if (cJSON_IsArray(w))
		cJSON_ArrayForEach(e, w) {
			t = cJSON_IsString(e) ? NULL : cJSON_PrintUnformatted(e);
			fprintf(o->f, "%s%s", e == w->child ? "" : ", ",
			    t != NULL ? t : e->valuestring);
			cJSON_free(t);
		}
	else {
		t = cJSON_PrintUnformatted(w);
		fputs(t, o->f);
		cJSON_free(t);
	}
	fputc(')', o->f);
}

/* "  + x, y" lines for added and removed (strings or {name, what}). */
static void
added_removed(struct out *o, const char *label, const cJSON *d,
    const char *what)
{
	static const char *const keys[] = { "added", "removed" };

	for (int k = 0; k < 2; k++) {
		const cJSON *a = cJSON_GetObjectItem(d, keys[k]), *e;
		int first = 1;

		if (a == NULL)
			continue;
		fprintf(o->f, "%s%s%s%c ", o->md ? "- " : "  ", label,
		    *label ? ": " : "", k == 0 ? '+' : '-');
		cJSON_ArrayForEach(e, a) {
			fputs(first ? "" : ", ", o->f);
			first = 0;
			if (cJSON_IsString(e)) {
				name(o, e->valuestring);
				continue;
			}
			name(o, sget(e, "name"));
			if (what != NULL)
				value(o, cJSON_GetObjectItem(e, what));
		}
		fputc('\n', o->f);
	}
}

/* "  label: x a → b" lines for changes of field from a to b. */
static void
changes(struct out *o, const char *label, const cJSON *a, const char *field)
{
	const cJSON *e;

	cJSON_ArrayForEach(e, a) {
		fprintf(o->f, "%s%s ", o->md ? "- " : "  ", label);
		name(o, sget(e, field));
		fputs(": ", o->f);
		name(o, sget(e, "a"));
		fputs(" \xe2\x86\x92 ", o->f);
		name(o, sget(e, "b"));
		fputc('\n', o->f);
	}
}

static void
keys(struct out *o, const char *label, const cJSON *k)
{
	char l[80];

	if (k == NULL)
		return;
	added_removed(o, label, k, "types");
	snprintf(l, sizeof(l), "%s type of", label);
	changes(o, l, cJSON_GetObjectItem(k, "types"), "path");
}

static void
events(struct out *o, const char *label, const cJSON *ev)
{
	const cJSON *c;
	char l[120];

	if (ev == NULL)
		return;
	added_removed(o, label, ev, NULL);
	cJSON_ArrayForEach(c, cJSON_GetObjectItem(ev, "changed")) {
		snprintf(l, sizeof(l), "%s %s keys", label, sget(c, "type"));
		keys(o, l, cJSON_GetObjectItem(c, "keys"));
	}
}

static void
headers(struct out *o, const cJSON *h)
{
	if (h == NULL)
		return;
	added_removed(o, "request headers", h, NULL);
	changes(o, "request header", cJSON_GetObjectItem(h, "changed"),
	    "name");
}

static void
endpoint(struct out *o, const cJSON *e)
{
	heading(o, "Endpoint", sget(e, "endpoint"));
	if (cJSON_GetObjectItem(e, "transports") != NULL)
		added_removed(o, "transports", cJSON_GetObjectItem(e,
		    "transports"), NULL);
	headers(o, cJSON_GetObjectItem(e, "headers"));
	keys(o, "request body keys", cJSON_GetObjectItem(e, "body"));
	events(o, "response events", cJSON_GetObjectItem(e, "events"));
	events(o, "WebSocket messages from the client", cJSON_GetObjectItem(e,
	    "ws_client"));
	events(o, "WebSocket messages from the server", cJSON_GetObjectItem(e,
	    "ws_server"));
}

static void
tool(struct out *o, const cJSON *t)
{
	const cJSON *p = cJSON_GetObjectItem(t, "parameters");

	fprintf(o->f, "%stool ", o->md ? "- " : "  ");
	name(o, sget(t, "name"));
	fputs(cJSON_IsTrue(cJSON_GetObjectItem(t, "description_changed")) ?
	    ": its description changed\n" : ":\n", o->f);
	if (p != NULL) {
		added_removed(o, "    parameters", p, "type");
		changes(o, "    type of parameter", cJSON_GetObjectItem(p,
		    "types"), "name");
	}
	if (cJSON_GetObjectItem(t, "required") != NULL)
		added_removed(o, "    required", cJSON_GetObjectItem(t,
		    "required"), NULL);
}

static void
instructions(struct out *o, const cJSON *in)
{
	const cJSON *d;

	heading(o, "Instructions", NULL);
	added_removed(o, "", in, "role");
	cJSON_ArrayForEach(d, cJSON_GetObjectItem(in, "diffs")) {
		const char *u = sget(d, "unified");

		fprintf(o->f, "%sthe main %s instruction changed%s%s\n",
		    o->md ? "- " : "  ", sget(d, "role"), *sget(d, "note") ?
		    ": " : "", sget(d, "note"));
		if (*u != '\0') {
			if (o->md)
				cx_md_code(o->f, "diff", u, strlen(u));
			else
				fputs(u, o->f);
		}
	}
}

void
cx_protocol_diff_write(FILE *f, const cJSON *d, int md)
{
	struct out o = { f, md };
	const cJSON *x, *e;

	fputs(md ? "# What changed\n\n" : "", f);
	for (int side = 0; side < 2; side++) {
		int first = 1;

		fputs(side == 0 ? (md ? "From " : "from ") : " to ", f);
		cJSON_ArrayForEach(e, cJSON_GetObjectItem(d, side == 0 ? "a" :
		    "b")) {
			fputs(first ? "" : ", ", f);
			first = 0;
			name(&o, cJSON_GetStringValue(e) ?
			    cJSON_GetStringValue(e) : "?");
		}
	}
	fputs(md ? ".\n" : "\n", f);
	if (!cJSON_IsTrue(cJSON_GetObjectItem(d, "same_agent")))
		fputs(md ? "\nThey are different agents: what can be compared "
		    "is.\n" : "(different agents: what can be compared is)\n",
		    f);
	if (!cx_protocol_diff_changed(d)) {
		fputs(md ? "\nNothing changed.\n" : "nothing changed\n", f);
		return;
	}
	if ((x = cJSON_GetObjectItem(d, "endpoints")) != NULL) {
		heading(&o, "Endpoints", NULL);
		added_removed(&o, "", x, "transports");
	}
	if ((x = cJSON_GetObjectItem(d, "model_calls")) != NULL) {
		heading(&o, "The model API's calls", NULL);
		if (cJSON_GetObjectItem(x, "transports") != NULL)
			added_removed(&o, "transports", cJSON_GetObjectItem(x,
			    "transports"), NULL);
		headers(&o, cJSON_GetObjectItem(x, "headers"));
	}
	cJSON_ArrayForEach(e, cJSON_GetObjectItem(d, "changed_endpoints"))
		endpoint(&o, e);
	if ((x = cJSON_GetObjectItem(d, "tools")) != NULL) {
		heading(&o, "Tools", NULL);
		added_removed(&o, "", x, NULL);
		cJSON_ArrayForEach(e, cJSON_GetObjectItem(x, "changed"))
			tool(&o, e);
	}
	if ((x = cJSON_GetObjectItem(d, "instructions")) != NULL)
		instructions(&o, x);
}
