/*
 * protocol_md.c: a protocol's model (protocol.h) as Markdown, for people
 * and for docs/protocol/: the traces it came from, the order of the
 * calls, each endpoint (transports, statuses, hosts, headers, body keys,
 * events and WebSocket messages), the tools, the instructions.  It reads
 * the JSON model only, so a saved model renders the same.  Everything
 * from the traffic is escaped (escape.h).
 */
#include <stdlib.h>
#include <string.h>

#include "escape.h"
#include "protocol.h"

#define DESC_MAX        300     /* bytes of a tool's description shown */

static const char *
str(const cJSON *o, const char *key)
{
	const char *s = cJSON_GetStringValue(cJSON_GetObjectItem(o, key));

	return s != NULL ? s : "";
}

static double
num(const cJSON *o, const char *key)
{
	const cJSON *v = cJSON_GetObjectItem(o, key);

	return cJSON_IsNumber(v) ? v->valuedouble : 0;
}

/*
 * s as a code span, fit for a table cell: fenced with one backtick more
 * than its longest run of them, "|" as "\|" (GFM's tables), controls and
 * newlines as spaces.  Nothing is an escape inside a code span.
 */
static void
code(FILE *f, const char *s)
{
	size_t run = 0, longest = 0;

	for (const char *c = s; *c != '\0'; c++) {
		run = *c == '`' ? run + 1 : 0;
		if (run > longest)
			longest = run;
	}
	for (size_t i = 0; i <= longest; i++)
		fputc('`', f);
	if (longest > 0 || *s == '`')
		fputc(' ', f);
	for (const char *c = s; *c != '\0'; c++)
		if (*c == '|')
			fputs("\\|", f);
		else
			fputc((unsigned char)*c < 0x20 || *c == 0x7f ? ' ' : *c,
			    f);
	if (longest > 0)
		fputc(' ', f);
	for (size_t i = 0; i <= longest; i++)
		fputc('`', f);
}

static void
list(FILE *f, const cJSON *a)
{
	const cJSON *e;
	int first = 1;

	cJSON_ArrayForEach(e, a) {
		fputs(first ? "" : ", ", f);
		code(f, cJSON_GetStringValue(e) != NULL ? cJSON_GetStringValue(e) :
		    "?");
		first = 0;
	}
	if (first)
		fputs("none", f);
}

static void
keys_table(FILE *f, const char *title, const cJSON *keys)
{
	const cJSON *k;

	if (cJSON_GetArraySize(keys) == 0)
		return;
	fprintf(f, "\n%s:\n\n| key path | types | count | example |\n"
	    "|---|---|---:|---|\n", title);
	cJSON_ArrayForEach(k, keys) {
		fputs("| ", f);
		code(f, str(k, "path"));
		fprintf(f, " | %s | %.0f | ", str(k, "types"), num(k, "count"));
		cx_md_texts(f, str(k, "example"), 0);
		fputs(" |\n", f);
	}
}

static void
headers_table(FILE *f, const char *title, const cJSON *h)
{
	const cJSON *x;

	if (cJSON_GetArraySize(h) == 0)
		return;
	fprintf(f, "\n%s:\n\n| header | count | value |\n|---|---:|---|\n",
	    title);
	cJSON_ArrayForEach(x, h) {
		fputs("| ", f);
		code(f, str(x, "name"));
		fprintf(f, " | %.0f | %s", num(x, "count"), cJSON_IsTrue(
		    cJSON_GetObjectItem(x, "constant")) ? "" : "varies, e.g. ");
		cx_md_texts(f, str(x, "example"), 0);
		fputs(" |\n", f);
	}
}

static void
events(FILE *f, const char *title, const cJSON *ev)
{
	const cJSON *e;

	if (cJSON_GetArraySize(ev) == 0)
		return;
	fprintf(f, "\n%s:\n\n| type | count | key paths |\n|---|---:|---|\n",
	    title);
	cJSON_ArrayForEach(e, ev) {
		const cJSON *k;
		int first = 1;

		fputs("| ", f);
		code(f, str(e, "type"));
		fprintf(f, " | %.0f | ", num(e, "count"));
		cJSON_ArrayForEach(k, cJSON_GetObjectItem(e, "keys")) {
			fputs(first ? "" : ", ", f);
			code(f, str(k, "path"));
			fprintf(f, " %s", str(k, "types"));
			first = 0;
		}
		fputs(" |\n", f);
	}
}

static void
endpoint(FILE *f, const cJSON *e)
{
	const cJSON *rq = cJSON_GetObjectItem(e, "request");
	const cJSON *rs = cJSON_GetObjectItem(e, "response");
	const cJSON *ws = cJSON_GetObjectItem(e, "websocket"), *s;
	int first = 1;

	fputs("\n### ", f);
	code(f, str(e, "endpoint"));
	fprintf(f, "\n\n- calls: %.0f%s\n- transports: ", num(e, "count"),
	    cJSON_IsTrue(cJSON_GetObjectItem(e, "model_api")) ?
	    " (a model API's)" : "");
	list(f, cJSON_GetObjectItem(e, "transports"));
	fputs("\n- statuses: ", f);
	cJSON_ArrayForEach(s, cJSON_GetObjectItem(e, "statuses")) {
		/* A model read from a file may hold anything. */
		const char *k = s->string != NULL ? s->string : "?";

		fputs(first ? "" : ", ", f);
		cx_md_texts(f, strcmp(k, "0") == 0 ? "none" : k, 0);
		fprintf(f, " \xc3\x97 %.0f", cJSON_IsNumber(s) ?
		    s->valuedouble : 0);
		first = 0;
	}
	fputs("\n- hosts: ", f);
	list(f, cJSON_GetObjectItem(e, "hosts"));
	fputs("\n- reached through: ", f);
	list(f, cJSON_GetObjectItem(e, "via"));
	fputc('\n', f);
	headers_table(f, "Request headers", cJSON_GetObjectItem(rq, "headers"));
	keys_table(f, "Request body", cJSON_GetObjectItem(rq, "body"));
	headers_table(f, "Response headers", cJSON_GetObjectItem(rs,
	    "headers"));
	keys_table(f, "Response body", cJSON_GetObjectItem(rs, "body"));
	events(f, "Response events (SSE)", cJSON_GetObjectItem(rs, "events"));
	if (ws != NULL) {
		events(f, "WebSocket messages from the client",
		    cJSON_GetObjectItem(ws, "client"));
		events(f, "WebSocket messages from the server",
		    cJSON_GetObjectItem(ws, "server"));
	}
}

static void
tools(FILE *f, const cJSON *a)
{
	const cJSON *t;

	fprintf(f, "\n## Tools offered to the model (%d)\n", cJSON_GetArraySize(
	    a));
	cJSON_ArrayForEach(t, a) {
		const cJSON *schema = cJSON_GetObjectItem(t, "schema");
		char *js = cJSON_IsNull(schema) ? NULL : cJSON_Print(schema);

		fputs("\n### ", f);
		code(f, str(t, "name"));
		fprintf(f, "\n\nOffered in %.0f turns%s.", num(t, "count"),
		    cJSON_IsTrue(cJSON_GetObjectItem(t, "schema_varies")) ?
		    "; its schema varies (the first one below)" : "");
		if (*str(t, "description") != '\0') {
			/* Its first paragraph, at most DESC_MAX bytes (the
			 * JSON has it whole). */
			const char *d = str(t, "description"), *end;
			size_t n = (end = strstr(d, "\n\n")) != NULL ?
			    (size_t)(end - d) : strlen(d);

			fputs(" ", f);
			cx_md_prose(f, d, n < DESC_MAX ? n : DESC_MAX, 0, "");
			if (n > DESC_MAX || d[n] != '\0')
				fputs(" \xe2\x80\xa6", f);
		}
		fputc('\n', f);
		if (js != NULL)
			cx_md_code(f, "json", js, strlen(js));
		free(js);
	}
}

static void
instructions(FILE *f, const cJSON *a)
{
	const cJSON *x;

	fprintf(f, "\n## Instructions (%d distinct)\n", cJSON_GetArraySize(a));
	cJSON_ArrayForEach(x, a) {
		const cJSON *l;
		char head[200];

		snprintf(head, sizeof(head), "\n- %s, %.0f bytes, sent %.0f "
		    "times, sha256 ", str(x, "role"), num(x, "bytes"),
		    num(x, "count"));
		fputs(head, f);
		code(f, str(x, "sha256"));
		fputs(":\n", f);
		cJSON_ArrayForEach(l, cJSON_GetObjectItem(x, "first_lines")) {
			fputs("  > ", f);
			if (cJSON_GetStringValue(l) != NULL)
				cx_md_texts(f, cJSON_GetStringValue(l), 0);
			fputc('\n', f);
		}
		if (*str(x, "text") != '\0')
			cx_md_code(f, NULL, str(x, "text"), strlen(str(x,
			    "text")));
	}
}

static void
sequence(FILE *f, const cJSON *s)
{
	const cJSON *c;

	fputs("\n## The order of the calls\n\n", f);
	if (cJSON_GetObjectItem(s, "other") != NULL) {
		/* --stable: which came first is a race */
		fputs("- model calls: ", f);
		list(f, cJSON_GetObjectItem(s, "model"));
		fputs("\n- other calls: ", f);
		list(f, cJSON_GetObjectItem(s, "other"));
	} else {
		fputs("- before the first model call: ", f);
		list(f, cJSON_GetObjectItem(s, "startup"));
		fputs("\n- model calls: ", f);
		list(f, cJSON_GetObjectItem(s, "model"));
		fputs("\n- between model calls: ", f);
		list(f, cJSON_GetObjectItem(s, "between_model_calls"));
	}
	fputs("\n", f);
	if (cJSON_GetArraySize(cJSON_GetObjectItem(s, "calls")) > 0)
		fputs("\nThe first trace's calls in order:\n\n", f);
	cJSON_ArrayForEach(c, cJSON_GetObjectItem(s, "calls")) {
		fputs("1. ", f);
		code(f, str(c, "endpoint"));
		if (num(c, "times") > 1)
			fprintf(f, " \xc3\x97 %.0f", num(c, "times"));
		fputc('\n', f);
	}
}

void
cx_protocol_md(FILE *f, const cJSON *m)
{
	const cJSON *t, *e;

	fputs("# What the agent speaks\n\nFrom", f);
	cJSON_ArrayForEach(t, cJSON_GetObjectItem(m, "traces")) {
		fputs(t == cJSON_GetObjectItem(m, "traces")->child ? " " :
		    "; ", f);
		code(f, str(t, "path"));
		fputs(" (", f);
		cx_md_texts(f, *str(t, "agent") ? str(t, "agent") :
		    "an unknown agent", 0);
		if (*str(t, "agent_version") != '\0') {
			fputc(' ', f);
			cx_md_texts(f, str(t, "agent_version"), 0);
		}
		if (*str(t, "login_mode") != '\0') {
			fputs(", login ", f);
			cx_md_texts(f, str(t, "login_mode"), 0);
		}
		fprintf(f, ", %.0f exchanges)", num(t, "exchanges"));
	}
	fputs(".  Generated by `cxrec protocol` (docs/protocol-json.md).\n", f);
	sequence(f, cJSON_GetObjectItem(m, "sequence"));
	fprintf(f, "\n## Endpoints (%d)\n", cJSON_GetArraySize(
	    cJSON_GetObjectItem(m, "endpoints")));
	cJSON_ArrayForEach(e, cJSON_GetObjectItem(m, "endpoints"))
		endpoint(f, e);
	tools(f, cJSON_GetObjectItem(m, "tools"));
	instructions(f, cJSON_GetObjectItem(m, "instructions"));
	if (num(m, "dropped") > 0)
		fprintf(f, "\n%.0f things past the tables' limits were left "
		    "out.\n", num(m, "dropped"));
}
