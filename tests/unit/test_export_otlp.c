/*
 * test_export_otlp.c: export_otlp.c, a trace into OTLP JSON documents of
 * GenAI spans: a synthetic codex-like session (two Responses turns, a
 * tool call answered in the second request) gives an invoke_agent span,
 * two chat spans and an execute_tool span, with their parents, times
 * (exact unix ns strings), ids (hex of the right length, the same next
 * time), attributes in the JSON mapping's shapes, the resource; no
 * content without the option, content (redacted) with it; a failed call
 * (429) with error.type and an ERROR status; documents of o->batch spans;
 * a stop and an unreadable trace.
 */
#include <check.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cJSON.h>

#include "export_otlp.h"
#include "export_rows.h"
#include "trace.h"
#include "tracegen.h"

static void
setup(void)
{
	tg_setup("export_otlp");
}

/* The documents: each parsed, every span in one array, the text. */
struct docs {
	cJSON           *spans;
	cJSON           *first;         /* the first document */
	char            *text;
	size_t           len;
	int              n, stop_after;
};

static int
collect(void *arg, const char *json, size_t len)
{
	struct docs *d = arg;
	cJSON *doc = cJSON_ParseWithLength(json, len);
	const cJSON *rs, *ss, *sp;

	ck_assert_msg(cJSON_IsObject(doc), "not JSON: %.*s", (int)len, json);
	if (d->spans == NULL)
		d->spans = cJSON_CreateArray();
	rs = cJSON_GetObjectItem(doc, "resourceSpans");
	ck_assert_int_eq(cJSON_GetArraySize(rs), 1);
	ss = cJSON_GetObjectItem(cJSON_GetArrayItem(rs, 0), "scopeSpans");
	ck_assert_int_eq(cJSON_GetArraySize(ss), 1);
	cJSON_ArrayForEach(sp, cJSON_GetObjectItem(cJSON_GetArrayItem(ss, 0),
	    "spans"))
		cJSON_AddItemToArray(d->spans, cJSON_Duplicate(sp, 1));
	if (d->first == NULL)
		d->first = doc;
	else
		cJSON_Delete(doc);
	d->text = realloc(d->text, d->len + len + 2);
	memcpy(d->text + d->len, json, len);
	d->len += len;
	d->text[d->len++] = '\n';
	d->text[d->len] = '\0';
	return d->stop_after > 0 && ++d->n >= d->stop_after;
}

static void
docs_free(struct docs *d)
{
	cJSON_Delete(d->spans);
	cJSON_Delete(d->first);
	free(d->text);
	memset(d, 0, sizeof(*d));
}

static void
export(int content, size_t batch, struct docs *d, struct cx_otlp_stats *st)
{
	struct cx_otlp_opts o = { .content = content, .redact = 1,
	    .batch = batch };
	char err[256], id[33];

	ck_assert_int_eq(cx_export_otlp(tg_path, &o, collect, d, id, st, err,
	    sizeof(err)), 0);
	ck_assert_uint_eq(strlen(id), 32);
}

/* The span named name (the i-th of them). */
static const cJSON *
span(const struct docs *d, const char *name, int i)
{
	const cJSON *sp;

	cJSON_ArrayForEach(sp, d->spans)
		if (strcmp(tg_jstr(sp, "name"), name) == 0 && i-- == 0)
			return sp;
	ck_abort_msg("no span %s", name);
	return NULL;
}

/* Attribute key of sp: its AnyValue, or NULL. */
static const cJSON *
attr(const cJSON *sp, const char *key)
{
	const cJSON *a;

	cJSON_ArrayForEach(a, cJSON_GetObjectItem(sp, "attributes"))
		if (strcmp(tg_jstr(a, "key"), key) == 0)
			return cJSON_GetObjectItem(a, "value");
	return NULL;
}

static const char *
astr(const cJSON *sp, const char *key)
{
	const cJSON *v = attr(sp, key);

	ck_assert_msg(v != NULL, "no %s", key);
	return tg_jstr(v, "stringValue");
}

static const char *
aint(const cJSON *sp, const char *key)
{
	const cJSON *v = attr(sp, key);

	ck_assert_msg(v != NULL, "no %s", key);
	return tg_jstr(v, "intValue");
}

static void
put(struct cx_writer *w, uint8_t kind, uint8_t dir_, uint64_t conn, double t,
    const char *s)
{
	tg_put(w, kind, CX_SRC_RELAY, dir_, conn, t, s, strlen(s));
}

/* A Responses turn at t ms on conn: input items after a user message,
 * output items, usage in/cached/out; status 200 or an error answer. */
static void
turn(struct cx_writer *w, uint64_t conn, double t, const char *input,
    const char *output, int in, int cached, int out, int status)
{
	char body[1024], buf[4096];

	snprintf(body, sizeof(body), "{\"model\":\"gpt-5\",\"stream\":true,"
	    "\"instructions\":\"be brief\",\"tools\":[{\"type\":\"function\","
	    "\"name\":\"shell\",\"parameters\":{\"type\":\"object\"}}],"
	    "\"input\":[{\"type\":\"message\",\"role\":\"user\",\"content\":"
	    "[{\"type\":\"input_text\",\"text\":\"list " TG_SECRET_KEY
	    "\"}]}%s]}", input);
	put(w, CX_K_OPEN, 0, conn, t, "{\"peer\":\"127.0.0.1:50001\","
	    "\"pid\":4242,\"comm\":\"codex\"}");
	snprintf(buf, sizeof(buf), "POST /v1/responses HTTP/1.1\r\n"
	    "Host: api.example.com:8443\r\n"
	    "Authorization: Bearer " TG_SECRET_KEY "\r\n"
	    "Content-Type: application/json\r\nContent-Length: %zu\r\n\r\n%s",
	    strlen(body), body);
	put(w, CX_K_DATA, CX_DIR_REQ, conn, t + 1, buf);
	if (status != 200) {
		snprintf(buf, sizeof(buf), "HTTP/1.1 %d Too Many Requests\r\n"
		    "Content-Type: application/json\r\nContent-Length: 35\r\n"
		    "\r\n{\"error\":{\"message\":\"slow down\"}}", status);
		put(w, CX_K_DATA, CX_DIR_RESP, conn, t + 5, buf);
		put(w, CX_K_CLOSE, 0, conn, t + 6, "{}");
		return;
	}
	put(w, CX_K_DATA, CX_DIR_RESP, conn, t + 10, "HTTP/1.1 200 OK\r\n"
	    "Content-Type: text/event-stream\r\n\r\n");
	snprintf(buf, sizeof(buf), "event: response.completed\ndata: "
	    "{\"type\":\"response.completed\",\"response\":{\"id\":\"r%d\","
	    "\"model\":\"gpt-5-2025\",\"status\":\"completed\",\"output\":[%s],"
	    "\"usage\":{\"input_tokens\":%d,\"input_tokens_details\":"
	    "{\"cached_tokens\":%d},\"output_tokens\":%d,"
	    "\"output_tokens_details\":{\"reasoning_tokens\":3},"
	    "\"total_tokens\":%d}}}\n\n", in, output, in, cached, out,
	    in + out);
	put(w, CX_K_DATA, CX_DIR_RESP, conn, t + 20, buf);
	put(w, CX_K_CLOSE, 0, conn, t + 21, "{}");
}

#define CALL "{\"type\":\"function_call\",\"call_id\":\"call_1\"," \
    "\"name\":\"shell\",\"arguments\":\"{\\\"cmd\\\":\\\"ls\\\"}\"}"
#define ANSWER ",{\"type\":\"function_call\",\"call_id\":\"call_1\"," \
    "\"name\":\"shell\",\"arguments\":\"{}\"},{\"type\":" \
    "\"function_call_output\",\"call_id\":\"call_1\",\"output\":\"a.txt\"}"
#define SAID "{\"type\":\"message\",\"role\":\"assistant\",\"content\":" \
    "[{\"type\":\"output_text\",\"text\":\"a.txt\"}]}"

static void
session(int fail_third)
{
	struct cx_writer *w = tg_create(tg_path);

	tg_json(w, CX_K_NOTE, 0, 0, "{\"type\":\"run\",\"agent\":\"codex\","
	    "\"agent_version\":\"9.9.9\",\"login_mode\":\"api-key\"}");
	turn(w, 1, 10, "", CALL, 100, 0, 20, 200);
	turn(w, 2, 100, ANSWER, SAID, 150, 100, 10, 200);
	if (fail_third)
		turn(w, 3, 200, ANSWER, "", 0, 0, 0, 429);
	cx_writer_close(w);
}

static void
nanos_is(const cJSON *sp, const char *key, double ms)
{
	char want[32];

	snprintf(want, sizeof(want), "%" PRId64, tg_info.realtime_ns +
	    (int64_t)(ms * MS));
	ck_assert_msg(strcmp(tg_jstr(sp, key), want) == 0, "%s %s: %s, want %s",
	    tg_jstr(sp, "name"), key, tg_jstr(sp, key), want);
}

START_TEST(session_spans)
{
	struct cx_otlp_stats st;
	struct docs d = { 0 }, again = { 0 };
	const cJSON *s, *t0, *t1, *tool, *sp, *v;
	char tid[33];

	session(0);
	export(0, 0, &d, &st);
	ck_assert_uint_eq(st.sessions, 1);
	ck_assert_uint_eq(st.turns, 2);
	ck_assert_uint_eq(st.tools, 1);
	ck_assert_uint_eq(st.documents, 1);
	ck_assert_int_eq(cJSON_GetArraySize(d.spans), 4);
	cx_otlp_trace_id(&tg_info, tid);
	cJSON_ArrayForEach(sp, d.spans) {
		ck_assert_str_eq(tg_jstr(sp, "traceId"), tid);
		ck_assert_uint_eq(strlen(tg_jstr(sp, "spanId")), 16);
		ck_assert_uint_eq(strspn(tg_jstr(sp, "spanId"),
		    "0123456789abcdef"), 16);
		ck_assert(cJSON_IsNumber(tg_jget(sp, "kind")));
		ck_assert(cJSON_IsNumber(tg_jget(sp, "status.code")));
	}
	s = span(&d, "invoke_agent codex", 0);
	t0 = span(&d, "chat gpt-5", 0);
	t1 = span(&d, "chat gpt-5", 1);
	tool = span(&d, "execute_tool shell", 0);
	ck_assert_ptr_null(cJSON_GetObjectItem(s, "parentSpanId"));
	ck_assert_str_eq(tg_jstr(t0, "parentSpanId"), tg_jstr(s, "spanId"));
	ck_assert_str_eq(tg_jstr(t1, "parentSpanId"), tg_jstr(s, "spanId"));
	ck_assert_str_eq(tg_jstr(tool, "parentSpanId"), tg_jstr(s, "spanId"));
	ck_assert_int_eq(tg_jnum(t0, "kind"), CX_OTLP_KIND_CLIENT);
	ck_assert_int_eq(tg_jnum(s, "kind"), CX_OTLP_KIND_INTERNAL);
	/* times: the first request byte to the response's end (here the
	 * close that ends its body); the tool from its call's end to the
	 * next request's start */
	nanos_is(t0, "startTimeUnixNano", 11);
	nanos_is(t0, "endTimeUnixNano", 31);
	nanos_is(t1, "startTimeUnixNano", 101);
	nanos_is(s, "startTimeUnixNano", 11);
	nanos_is(s, "endTimeUnixNano", 121);
	nanos_is(tool, "startTimeUnixNano", 31);
	nanos_is(tool, "endTimeUnixNano", 101);

	ck_assert_str_eq(astr(t1, "gen_ai.operation.name"), "chat");
	ck_assert_str_eq(astr(t1, "gen_ai.provider.name"), "openai");
	ck_assert_str_eq(astr(t1, "gen_ai.request.model"), "gpt-5");
	ck_assert_str_eq(astr(t1, "gen_ai.response.model"), "gpt-5-2025");
	ck_assert_str_eq(astr(t1, "gen_ai.response.id"), "r150");
	v = attr(t1, "gen_ai.response.finish_reasons");
	ck_assert_str_eq(tg_jstr(v, "arrayValue.values.0.stringValue"),
	    "completed");
	ck_assert_str_eq(aint(t1, "gen_ai.usage.input_tokens"), "150");
	ck_assert_str_eq(aint(t1, "gen_ai.usage.cache_read.input_tokens"),
	    "100");
	ck_assert_str_eq(aint(t1, "gen_ai.usage.output_tokens"), "10");
	ck_assert_str_eq(aint(t1, "gen_ai.usage.reasoning.output_tokens"),
	    "3");
	/* the Responses API says nothing of cache writes: none sent */
	ck_assert_ptr_null(attr(t1, "gen_ai.usage.cache_creation.input_tokens"));
	ck_assert_str_eq(astr(t1, "server.address"), "api.example.com");
	ck_assert_str_eq(aint(t1, "server.port"), "8443");
	ck_assert_str_eq(aint(t1, "process.pid"), "4242");
	ck_assert_str_eq(astr(t1, "process.command"), "codex");
	ck_assert_ptr_null(attr(t1, "error.type"));
	ck_assert_str_eq(astr(t1, "gen_ai.conversation.id"),
	    astr(s, "gen_ai.conversation.id"));
	ck_assert_str_eq(astr(tool, "gen_ai.tool.name"), "shell");
	ck_assert_str_eq(astr(tool, "gen_ai.tool.call.id"), "call_1");
	/* the resource */
	v = tg_jget(d.first, "resourceSpans.0.resource");
	ck_assert_str_eq(astr(v, "service.name"), "cxrec");
	ck_assert_str_eq(astr(v, "gen_ai.agent.name"), "codex");
	ck_assert_str_eq(astr(v, "gen_ai.agent.version"), "9.9.9");
	/* no content, no secret */
	ck_assert_ptr_null(strstr(d.text, "gen_ai.input.messages"));
	ck_assert_ptr_null(strstr(d.text, "gen_ai.system_instructions"));
	ck_assert_ptr_null(strstr(d.text, "list "));
	ck_assert_ptr_null(strstr(d.text, TG_SECRET_KEY));
	/* the same documents, byte for byte, the next time */
	export(0, 0, &again, NULL);
	ck_assert_str_eq(d.text, again.text);
	docs_free(&d);
	docs_free(&again);
}
END_TEST

START_TEST(content_redacted)
{
	struct docs d = { 0 };
	const cJSON *t1, *m;
	cJSON *msgs;

	session(0);
	export(1, 0, &d, NULL);
	t1 = span(&d, "chat gpt-5", 1);
	msgs = cJSON_Parse(astr(t1, "gen_ai.input.messages"));
	ck_assert(cJSON_IsArray(msgs));
	ck_assert_str_eq(tg_jstr(msgs, "0.role"), "user");
	ck_assert_str_eq(tg_jstr(msgs, "0.parts.0.type"), "text");
	ck_assert_str_eq(tg_jstr(msgs, "1.role"), "assistant");
	ck_assert_str_eq(tg_jstr(msgs, "1.parts.0.type"), "tool_call");
	ck_assert_str_eq(tg_jstr(msgs, "1.parts.0.id"), "call_1");
	m = tg_jget(msgs, "2");
	ck_assert_str_eq(tg_jstr(m, "role"), "tool");
	ck_assert_str_eq(tg_jstr(m, "parts.0.type"), "tool_call_response");
	ck_assert_str_eq(tg_jstr(m, "parts.0.response"), "a.txt");
	cJSON_Delete(msgs);
	msgs = cJSON_Parse(astr(t1, "gen_ai.output.messages"));
	ck_assert_str_eq(tg_jstr(msgs, "0.role"), "assistant");
	ck_assert_str_eq(tg_jstr(msgs, "0.finish_reason"), "completed");
	ck_assert_str_eq(tg_jstr(msgs, "0.parts.0.content"), "a.txt");
	cJSON_Delete(msgs);
	msgs = cJSON_Parse(astr(t1, "gen_ai.system_instructions"));
	ck_assert_str_eq(tg_jstr(msgs, "0.content"), "be brief");
	cJSON_Delete(msgs);
	msgs = cJSON_Parse(astr(t1, "gen_ai.tool.definitions"));
	ck_assert_str_eq(tg_jstr(msgs, "0.name"), "shell");
	ck_assert_str_eq(tg_jstr(msgs, "0.parameters.type"), "object");
	cJSON_Delete(msgs);
	ck_assert_ptr_nonnull(strstr(d.text, "list "));
	ck_assert_ptr_null(strstr(d.text, TG_SECRET_KEY));
	docs_free(&d);
}
END_TEST

START_TEST(failed_call)
{
	struct docs d = { 0 };
	const cJSON *t2;

	session(1);
	export(0, 0, &d, NULL);
	t2 = span(&d, "chat gpt-5", 2);
	ck_assert_str_eq(astr(t2, "error.type"), "429");
	ck_assert_int_eq(tg_jnum(t2, "status.code"), CX_OTLP_STATUS_ERROR);
	ck_assert_ptr_null(attr(t2, "gen_ai.usage.input_tokens"));
	ck_assert_int_eq(tg_jnum(span(&d, "invoke_agent codex", 0),
	    "status.code"), CX_OTLP_STATUS_ERROR);
	docs_free(&d);
}
END_TEST

START_TEST(batches_stop_unreadable)
{
	struct cx_otlp_opts o = { .redact = 1, .batch = 1 };
	struct cx_otlp_stats st;
	struct docs d = { 0 };
	char err[256];

	session(0);
	export(0, 1, &d, &st);
	ck_assert_uint_eq(st.documents, 4);
	ck_assert_int_eq(cJSON_GetArraySize(d.spans), 4);
	docs_free(&d);
	d.stop_after = 2;
	ck_assert_int_eq(cx_export_otlp(tg_path, &o, collect, &d, NULL, NULL,
	    err, sizeof(err)), CX_EXPORT_ESTOPPED);
	ck_assert_int_eq(d.n, 2);
	docs_free(&d);
	ck_assert_int_eq(cx_export_otlp("/nonexistent/trace.bin", &o,
	    collect, &d, NULL, NULL, err, sizeof(err)), CX_EXPORT_EINPUT);
	ck_assert_ptr_nonnull(strstr(err, "/nonexistent/trace.bin"));
}
END_TEST

static Suite *
export_otlp_suite(void)
{
	Suite *s = suite_create("export_otlp");
	TCase *tc = tcase_create("export_otlp");

	tcase_add_checked_fixture(tc, setup, tg_teardown);
	tcase_add_test(tc, session_spans);
	tcase_add_test(tc, content_redacted);
	tcase_add_test(tc, failed_call);
	tcase_add_test(tc, batches_stop_unreadable);
	suite_add_tcase(s, tc);
	return s;
}

int
main(void)
{
	SRunner *sr = srunner_create(export_otlp_suite());
	int failed;

	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
