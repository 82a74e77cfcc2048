/*
 * test_protocol.c: what a recorded agent speaks (analyzer/protocol.c):
 * from a made-up session (a startup call, two model calls over SSE, a
 * token refresh between them), the endpoints with their transports and
 * statuses, headers constant or varying, body key types, event types,
 * the tools and instructions from the conversation model, the order of
 * the calls; the JSON read back; the Markdown.  Real agents:
 * tests/integration/protocol.sh.
 */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "protocol.h"
#include "trace.h"
#include "tracegen.h"

static void
setup(void)
{
	tg_setup("protocol");
}

static void
put(struct cx_writer *w, uint8_t dir, double t, const char *s)
{
	tg_put(w, CX_K_DATA, CX_SRC_RELAY, dir, 1, t, s, strlen(s));
}

static void
model_call(struct cx_writer *w, double t, const char *rid)
{
	static const char body[] = "{\"model\":\"gpt-5\",\"instructions\":"
	    "\"You are X.\\nBe brief.\",\"input\":[{\"type\":\"message\","
	    "\"role\":\"user\",\"content\":[{\"type\":\"input_text\","
	    "\"text\":\"hi\"}]}],\"tools\":[{\"type\":\"function\",\"name\":"
	    "\"shell\",\"description\":\"Run a command\",\"parameters\":"
	    "{\"type\":\"object\",\"properties\":{\"cmd\":{\"type\":"
	    "\"string\"}}}}],\"stream\":true}";
	static const char ev[] = "event: response.created\ndata: "
	    "{\"type\":\"response.created\",\"response\":{\"id\":\"r1\"}}\n\n"
	    "event: response.completed\ndata: {\"type\":"
	    "\"response.completed\",\"response\":{\"id\":\"r1\",\"usage\":"
	    "{\"input_tokens\":5,\"output_tokens\":2}}}\n\n";
	char head[512], chunk[1024];

	snprintf(head, sizeof(head), "POST /v1/responses HTTP/1.1\r\nHost: a"
	    "\r\nOriginator: codex_exec\r\nX-Request-Id: %s\r\n"
	    "Authorization: Bearer sk-proj-abcdefghijklmnopqrstuvwxyz012345\r\n"
	    "Content-Type: application/json\r\nContent-Length: %zu\r\n\r\n%s",
	    rid, sizeof(body) - 1, body);
	put(w, CX_DIR_REQ, t, head);
	snprintf(chunk, sizeof(chunk), "HTTP/1.1 200 OK\r\nContent-Type: "
	    "text/event-stream\r\nContent-Length: %zu\r\n\r\n%s",
	    sizeof(ev) - 1, ev);
	put(w, CX_DIR_RESP, t + 1, chunk);
}

static void
plain(struct cx_writer *w, double t, const char *line, const char *json)
{
	char s[512];

	put(w, CX_DIR_REQ, t, line);
	snprintf(s, sizeof(s), "HTTP/1.1 200 OK\r\nContent-Type: "
	    "application/json\r\nContent-Length: %zu\r\n\r\n%s", strlen(json),
	    json);
	put(w, CX_DIR_RESP, t + 1, s);
}

static const cJSON *
endpoint(const cJSON *m, const char *key)
{
	const cJSON *e;

	cJSON_ArrayForEach(e, cJSON_GetObjectItem(m, "endpoints"))
		if (strcmp(cJSON_GetStringValue(cJSON_GetObjectItem(e,
		    "endpoint")), key) == 0)
			return e;
	ck_abort_msg("no endpoint %s", key);
	return NULL;
}

static const cJSON *
named(const cJSON *a, const char *field, const char *name)
{
	const cJSON *e;

	cJSON_ArrayForEach(e, a)
		if (strcmp(cJSON_GetStringValue(cJSON_GetObjectItem(e, field)),
		    name) == 0)
			return e;
	ck_abort_msg("no %s %s", field, name);
	return NULL;
}

static const char *
str(const cJSON *o, const char *key)
{
	return cJSON_GetStringValue(cJSON_GetObjectItem(o, key));
}

START_TEST(a_session)
{
	struct cx_writer *w = tg_create(tg_path);
	struct cx_protocol *p;
	const cJSON *e, *h, *seq;
	char err[256], *text, *md = NULL;
	size_t mdlen = 0;
	cJSON *m, *back;
	FILE *f;

	tg_put(w, CX_K_OPEN, CX_SRC_RELAY, 0, 1, 0, "{}", 2);
	plain(w, 1, "GET /v1/models?client=1 HTTP/1.1\r\nHost: a\r\n\r\n",
	    "{\"data\":[{\"id\":\"gpt-5\"}]}");
	model_call(w, 10, "req-1");
	plain(w, 20, "POST /oauth/token HTTP/1.1\r\nHost: a\r\n"
	    "Content-Length: 0\r\n\r\n", "{\"access_token\":\"x\"}");
	model_call(w, 30, "req-2");
	cx_writer_close(w);

	p = cx_protocol_new(1, 0);
	ck_assert_int_eq(cx_protocol_add_trace(p, tg_path, err, sizeof(err)),
	    0);
	m = cx_protocol_json(p);
	ck_assert_int_eq(cJSON_GetObjectItem(m, "cxrec_protocol")->valueint,
	    CX_PROTOCOL_VERSION);
	ck_assert_int_eq(cJSON_GetArraySize(cJSON_GetObjectItem(m,
	    "endpoints")), 3);
	/* Sorted by key. */
	ck_assert_str_eq(str(cJSON_GetObjectItem(m, "endpoints")->child,
	    "endpoint"), "GET /v1/models");

	e = endpoint(m, "POST /v1/responses");
	ck_assert(cJSON_IsTrue(cJSON_GetObjectItem(e, "model_api")));
	ck_assert_str_eq(cJSON_GetStringValue(cJSON_GetArrayItem(
	    cJSON_GetObjectItem(e, "transports"), 0)), "sse");
	ck_assert_int_eq(cJSON_GetObjectItem(cJSON_GetObjectItem(e,
	    "statuses"), "200")->valueint, 2);
	h = cJSON_GetObjectItem(cJSON_GetObjectItem(e, "request"), "headers");
	ck_assert(cJSON_IsTrue(cJSON_GetObjectItem(named(h, "name",
	    "originator"), "constant")));
	ck_assert(cJSON_IsFalse(cJSON_GetObjectItem(named(h, "name",
	    "x-request-id"), "constant")));
	/* A credential's example is redacted. */
	ck_assert_ptr_null(strstr(str(named(h, "name", "authorization"),
	    "example"), "abcdefghijklmnop"));
	ck_assert_str_eq(str(named(cJSON_GetObjectItem(cJSON_GetObjectItem(e,
	    "request"), "body"), "path", "tools[].parameters"), "types"),
	    "object");
	ck_assert_int_eq(cJSON_GetObjectItem(named(cJSON_GetObjectItem(
	    cJSON_GetObjectItem(e, "response"), "events"), "type",
	    "response.completed"), "count")->valueint, 2);
	ck_assert_str_eq(cJSON_GetStringValue(cJSON_GetArrayItem(
	    cJSON_GetObjectItem(endpoint(m, "GET /v1/models"), "transports"),
	    0)), "plain");

	/* The tools and the instructions, from the conversation model. */
	e = named(cJSON_GetObjectItem(m, "tools"), "name", "shell");
	ck_assert_int_eq(cJSON_GetObjectItem(e, "count")->valueint, 2);
	ck_assert_str_eq(str(e, "description"), "Run a command");
	ck_assert_str_eq(str(cJSON_GetObjectItem(cJSON_GetObjectItem(
	    cJSON_GetObjectItem(e, "schema"), "properties"), "cmd"), "type"),
	    "string");
	e = cJSON_GetObjectItem(m, "instructions")->child;
	ck_assert_int_eq(cJSON_GetObjectItem(e, "bytes")->valueint, 20);
	ck_assert_int_eq(cJSON_GetObjectItem(e, "count")->valueint, 2);
	ck_assert_uint_eq(strlen(str(e, "sha256")), 64);
	ck_assert_str_eq(cJSON_GetStringValue(cJSON_GetArrayItem(
	    cJSON_GetObjectItem(e, "first_lines"), 1)), "Be brief.");
	ck_assert_ptr_null(cJSON_GetObjectItem(e, "text"));

	/* The order: models first, the token refresh between model calls. */
	seq = cJSON_GetObjectItem(m, "sequence");
	ck_assert_str_eq(cJSON_GetStringValue(cJSON_GetObjectItem(seq,
	    "startup")->child), "GET /v1/models");
	ck_assert_str_eq(cJSON_GetStringValue(cJSON_GetObjectItem(seq,
	    "between_model_calls")->child), "POST /oauth/token");
	ck_assert_int_eq(cJSON_GetArraySize(cJSON_GetObjectItem(seq, "calls")),
	    4);

	/* Read back as it was written; another version is refused. */
	text = cJSON_Print(m);
	ck_assert_ptr_nonnull(back = cx_protocol_parse(text, strlen(text), err,
	    sizeof(err)));
	ck_assert(cJSON_Compare(m, back, 1));
	cJSON_Delete(back);
	ck_assert_ptr_null(cx_protocol_parse("{\"cxrec_protocol\":7}", 20, err,
	    sizeof(err)));
	ck_assert_ptr_nonnull(strstr(err, "version 7"));
	ck_assert_ptr_null(cx_protocol_parse("[1]", 3, err, sizeof(err)));
	free(text);

	f = open_memstream(&md, &mdlen);
	cx_protocol_md(f, m);
	fclose(f);
	ck_assert_ptr_nonnull(strstr(md, "### `POST /v1/responses`"));
	ck_assert_ptr_nonnull(strstr(md, "- between model calls: "
	    "`POST /oauth/token`"));
	ck_assert_ptr_nonnull(strstr(md, "| `x-request-id` | 2 | varies"));
	free(md);
	cJSON_Delete(m);

	/* Stable: varying values folded, no examples of keys, sets. */
	cx_protocol_set_stable(p, 1);
	m = cx_protocol_json(p);
	e = endpoint(m, "POST /v1/responses");
	h = cJSON_GetObjectItem(cJSON_GetObjectItem(e, "request"), "headers");
	ck_assert_str_eq(str(named(h, "name", "x-request-id"), "example"),
	    "req-#");
	ck_assert(cJSON_IsTrue(cJSON_GetObjectItem(named(h, "name",
	    "x-request-id"), "constant")));
	ck_assert_ptr_null(cJSON_GetObjectItem(named(cJSON_GetObjectItem(
	    cJSON_GetObjectItem(e, "request"), "body"), "path", "model"),
	    "example"));
	seq = cJSON_GetObjectItem(m, "sequence");
	ck_assert_ptr_null(cJSON_GetObjectItem(seq, "startup"));
	ck_assert_ptr_null(cJSON_GetObjectItem(seq, "calls"));
	ck_assert_str_eq(cJSON_GetStringValue(cJSON_GetObjectItem(seq,
	    "other")->child), "GET /v1/models");
	ck_assert_str_eq(str(cJSON_GetObjectItem(m, "traces")->child, "path"),
	    "trace.bin");
	cJSON_Delete(m);
	cx_protocol_free(p);
}
END_TEST

/* What always varies, folded; what stays random, scrubbed (stable). */
START_TEST(fold)
{
	char *f = cx_protocol_fold("session 01a24db3-5076-7593-9bad-331925520088"
	    " at 127.0.0.1:35129, v0.98.0, deadbeef, cafe, key U31HpniSPdg7aESFIQMIaA==");

	ck_assert_str_eq(f, "session # at #.#.#.#:#, v#.#.#, deadbeef, cafe, key "
	    "\xe2\x80\xa6");
	free(f);
}
END_TEST

START_TEST(not_a_trace)
{
	struct cx_protocol *p = cx_protocol_new(1, 0);
	char err[256];

	ck_assert_int_eq(cx_protocol_add_trace(p, "/nonexistent/t.bin", err,
	    sizeof(err)), -1);
	ck_assert_ptr_nonnull(strstr(err, "/nonexistent/t.bin"));
	cx_protocol_free(p);
}
END_TEST

static Suite *
protocol_suite(void)
{
	Suite *s = suite_create("protocol");
	TCase *tc = tcase_create("core");

	tcase_add_checked_fixture(tc, setup, tg_teardown);
	tcase_add_test(tc, a_session);
	tcase_add_test(tc, not_a_trace);
	tcase_add_test(tc, fold);
	suite_add_tcase(s, tc);
	return s;
}

int
main(void)
{
	SRunner *sr = srunner_create(protocol_suite());
	int failed;

	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
