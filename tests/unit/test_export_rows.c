/*
 * test_export_rows.c: export_rows.c, a trace into the rows of
 * docs/fleet.md's tables: every row has exactly its table's columns, with
 * JSON types that fit theirs; the rows are the same from one export to
 * the next (a stable trace id); a synthetic codex-like session (two
 * Responses turns streamed, a tool call answered in the second request)
 * gives its turns, tokens, events, tool call with its result, process and
 * session row; secrets stay out, those a run note names too; a stop and
 * an unreadable trace.
 */
#include <check.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cJSON.h>

#include "export_cursor.h"
#include "export_rows.h"
#include "trace.h"
#include "tracegen.h"

static void
setup(void)
{
	tg_setup("export_rows");
}

/* The rows, a JSON array a table, and their text. */
struct rows {
	cJSON           *t[CX_X_NTABLES];
	char            *text;
	size_t           len;
	int              stop_after;    /* > 0: stop at that row */
	int              n;
};

static int
collect(void *arg, enum cx_xtable t, const char *row, size_t len)
{
	struct rows *r = arg;
	cJSON *o = cJSON_ParseWithLength(row, len);

	ck_assert_msg(cJSON_IsObject(o), "not a JSON object: %.*s", (int)len,
	    row);
	if (r->t[t] == NULL)
		r->t[t] = cJSON_CreateArray();
	cJSON_AddItemToArray(r->t[t], o);
	r->text = realloc(r->text, r->len + len + 2);
	memcpy(r->text + r->len, row, len);
	r->len += len;
	r->text[r->len++] = '\n';
	r->text[r->len] = '\0';
	return r->stop_after > 0 && ++r->n >= r->stop_after;
}

static void
rows_free(struct rows *r)
{
	for (int t = 0; t < CX_X_NTABLES; t++)
		cJSON_Delete(r->t[t]);
	free(r->text);
	memset(r, 0, sizeof(*r));
}

static int
count(const struct rows *r, enum cx_xtable t)
{
	return r->t[t] != NULL ? cJSON_GetArraySize(r->t[t]) : 0;
}

static const cJSON *
row(const struct rows *r, enum cx_xtable t, int i)
{
	ck_assert_int_gt(count(r, t), i);
	return cJSON_GetArrayItem(r->t[t], i);
}

static void
export(const char *path, int redact, struct rows *r)
{
	struct cx_export_opts o = { .redact = redact };
	char err[256], id[17];

	ck_assert_int_eq(cx_export_rows(path, &o, collect, r, id, err,
	    sizeof(err)), 0);
	ck_assert_uint_eq(strlen(id), 16);
}

/* Every row has exactly its table's columns, of fitting JSON types. */
static void
check_columns(const struct rows *r, const char *id)
{
	for (int t = 0; t < CX_X_NTABLES; t++) {
		const struct cx_xtable_def *d = cx_export_table(t);

		for (int i = 0; i < count(r, t); i++) {
			const cJSON *o = row(r, t, i), *v;

			ck_assert_int_eq(cJSON_GetArraySize(o), (int)d->ncols);
			for (size_t c = 0; c < d->ncols; c++) {
				const char *ty = d->cols[c].type;

				v = cJSON_GetObjectItemCaseSensitive(o,
				    d->cols[c].name);
				ck_assert_msg(v != NULL, "%s: no %s", d->name,
				    d->cols[c].name);
				if (strcmp(ty, "String") == 0)
					ck_assert(cJSON_IsString(v));
				else if (strncmp(ty, "Array", 5) == 0)
					ck_assert(cJSON_IsArray(v));
				else
					ck_assert_msg(cJSON_IsNumber(v),
					    "%s.%s", d->name, d->cols[c].name);
				if (ty[0] == 'U')
					ck_assert(v->valuedouble >= 0);
			}
			ck_assert_str_eq(cJSON_GetObjectItem(o,
			    "trace")->valuestring, id);
		}
	}
}

START_TEST(scenario_columns_and_stable)
{
	struct rows a = { 0 }, b = { 0 };
	char id[17];

	tg_scenario(tg_path, 0);
	export(tg_path, 1, &a);
	cx_export_trace_id(&tg_info, id);
	check_columns(&a, id);
	ck_assert_int_eq(count(&a, CX_X_EXCHANGES), 7);
	ck_assert_int_eq(count(&a, CX_X_SESSIONS), 1);
	ck_assert_int_eq(tg_jnum(row(&a, CX_X_SESSIONS, 0), "exchanges"), 7);
	ck_assert_ptr_null(strstr(a.text, TG_SECRET_KEY));
	/* the same rows, byte for byte, the next time */
	export(tg_path, 1, &b);
	ck_assert_str_eq(a.text, b.text);
	rows_free(&a);
	rows_free(&b);
}
END_TEST

/* A run note; a Responses turn at t ms on conn, with a tool call (call)
 * or answering one (answer), its usage input/output/cached. */
static void
put(struct cx_writer *w, uint8_t kind, uint8_t dir_, uint64_t conn, double t,
    const char *s)
{
	tg_put(w, kind, CX_SRC_RELAY, dir_, conn, t, s, strlen(s));
}

static void
turn(struct cx_writer *w, uint64_t conn, double t, const char *input,
    const char *output, int in, int cached, int out)
{
	char body[1024], buf[4096];

	snprintf(body, sizeof(body), "{\"model\":\"gpt-5\",\"stream\":true,"
	    "\"input\":[{\"type\":\"message\",\"role\":\"user\",\"content\":"
	    "[{\"type\":\"input_text\",\"text\":\"list\"}]}%s]}", input);
	put(w, CX_K_OPEN, 0, conn, t, "{\"peer\":\"127.0.0.1:50001\","
	    "\"pid\":4242,\"comm\":\"codex\"}");
	snprintf(buf, sizeof(buf), "POST /v1/responses HTTP/1.1\r\nHost: h\r\n"
	    "Authorization: Bearer " TG_SECRET_KEY "\r\n"
	    "Content-Type: application/json\r\nContent-Length: %zu\r\n\r\n%s",
	    strlen(body), body);
	put(w, CX_K_DATA, CX_DIR_REQ, conn, t + 1, buf);
	put(w, CX_K_DATA, CX_DIR_RESP, conn, t + 10, "HTTP/1.1 200 OK\r\n"
	    "Content-Type: text/event-stream\r\n\r\n");
	put(w, CX_K_DATA, CX_DIR_RESP, conn, t + 12, "event: "
	    "response.output_text.delta\ndata: {\"type\":"
	    "\"response.output_text.delta\",\"delta\":\"ok\"}\n\n");
	snprintf(buf, sizeof(buf), "event: response.completed\ndata: "
	    "{\"type\":\"response.completed\",\"response\":{\"id\":\"r%d\","
	    "\"model\":\"gpt-5\",\"status\":\"completed\",\"output\":[%s],"
	    "\"usage\":{\"input_tokens\":%d,\"input_tokens_details\":"
	    "{\"cached_tokens\":%d},\"output_tokens\":%d,"
	    "\"output_tokens_details\":{\"reasoning_tokens\":3},"
	    "\"total_tokens\":%d}}}\n\n", in, output, in, cached, out,
	    in + out);
	put(w, CX_K_DATA, CX_DIR_RESP, conn, t + 20, buf);
	put(w, CX_K_CLOSE, 0, conn, t + 21, "{}");
}

START_TEST(session_rows)
{
	struct cx_writer *w = tg_create(tg_path);
	struct rows r = { 0 };
	const cJSON *o;
	char id[17], want[128];

	tg_json(w, CX_K_NOTE, 0, 0, "{\"type\":\"run\",\"agent\":\"codex\","
	    "\"agent_version\":\"9.9.9\",\"login_mode\":\"api-key\"}");
	turn(w, 1, 10, "", "{\"type\":\"function_call\",\"call_id\":"
	    "\"call_1\",\"name\":\"shell\",\"arguments\":\"{\\\"cmd\\\":"
	    "\\\"ls\\\"}\"}", 100, 0, 20);
	turn(w, 2, 100, ",{\"type\":\"function_call\",\"call_id\":\"call_1\","
	    "\"name\":\"shell\",\"arguments\":\"{}\"},{\"type\":"
	    "\"function_call_output\",\"call_id\":\"call_1\",\"output\":"
	    "\"a.txt\"}", "{\"type\":\"message\",\"role\":\"assistant\","
	    "\"content\":[{\"type\":\"output_text\",\"text\":\"a.txt\"}]}",
	    150, 100, 10);
	cx_writer_close(w);
	export(tg_path, 1, &r);
	cx_export_trace_id(&tg_info, id);
	check_columns(&r, id);
	ck_assert_int_eq(count(&r, CX_X_EXCHANGES), 2);
	ck_assert_int_eq(count(&r, CX_X_TURNS), 2);
	ck_assert_int_eq(count(&r, CX_X_EVENTS), 4);
	ck_assert_int_eq(count(&r, CX_X_TOOL_CALLS), 1);
	ck_assert_ptr_null(strstr(r.text, TG_SECRET_KEY));

	o = row(&r, CX_X_EXCHANGES, 0);
	ck_assert_str_eq(tg_jstr(o, "endpoint"), "POST /v1/responses");
	ck_assert_str_eq(tg_jstr(o, "transport"), "sse");
	ck_assert_int_eq(tg_jnum(o, "status"), 200);
	ck_assert_int_eq(tg_jnum(o, "pid"), 4242);
	ck_assert_ptr_nonnull(strstr(tg_jstr(o, "request_body"),
	    "\"model\":\"gpt-5\""));
	ck_assert_str_eq(tg_jstr(o, "response_body"), "");
	/* times: ns since the epoch, exactly (a double would round them) */
	snprintf(want, sizeof(want), "\"id\":1,\"start\":%" PRId64 ",",
	    tg_info.realtime_ns + 11 * MS);      /* its first byte */
	ck_assert_msg(strstr(r.text, want) != NULL, "%s not in %.300s", want, r.text);

	o = row(&r, CX_X_TURNS, 1);
	ck_assert_str_eq(tg_jstr(o, "model"), "gpt-5");
	ck_assert_str_eq(tg_jstr(o, "api"), "responses");
	ck_assert_int_eq(tg_jnum(o, "input_tokens"), 150);
	ck_assert_int_eq(tg_jnum(o, "cached_input_tokens"), 100);
	ck_assert_int_eq(tg_jnum(o, "output_tokens"), 10);
	ck_assert_int_eq(tg_jnum(o, "reasoning_tokens"), 3);
	ck_assert_int_eq(tg_jnum(o, "usage"), 1);
	ck_assert_int_eq(tg_jnum(o, "ttft"), 11 * MS);
	ck_assert_int_eq(tg_jnum(o, "session"), 1);
	ck_assert_int_eq(tg_jnum(row(&r, CX_X_TURNS, 0), "session"), 1);

	o = row(&r, CX_X_TOOL_CALLS, 0);
	ck_assert_str_eq(tg_jstr(o, "name"), "shell");
	ck_assert_str_eq(tg_jstr(o, "call_id"), "call_1");
	ck_assert_str_eq(tg_jstr(o, "arguments"), "{\"cmd\":\"ls\"}");
	ck_assert_int_eq(tg_jnum(o, "has_result"), 1);
	ck_assert_str_eq(tg_jstr(o, "result"), "a.txt");
	ck_assert_int_eq(tg_jnum(o, "exchange"), 1);
	ck_assert_int_eq(tg_jnum(o, "result_exchange"), 2);

	o = row(&r, CX_X_EVENTS, 1);
	ck_assert_str_eq(tg_jstr(o, "type"), "response.completed");
	ck_assert_int_eq(tg_jnum(o, "idx"), 1);

	o = row(&r, CX_X_SESSIONS, 0);
	ck_assert_str_eq(tg_jstr(o, "agent"), "codex");
	ck_assert_str_eq(tg_jstr(o, "agent_version"), "9.9.9");
	ck_assert_str_eq(tg_jstr(o, "login"), "api-key");
	ck_assert_int_eq(tg_jnum(o, "turns"), 2);
	ck_assert_int_eq(tg_jnum(o, "input_tokens"), 250);
	ck_assert_int_eq(tg_jnum(o, "output_tokens"), 30);
	ck_assert_int_gt(tg_jnum(o, "cost_pico"), 0);
	rows_free(&r);
}
END_TEST

/* A run note's credential names are redacted, as decode redacts them. */
START_TEST(run_note_names)
{
	struct cx_writer *w = tg_create(tg_path);
	struct rows r = { 0 };

	tg_json(w, CX_K_NOTE, 0, 0, "{\"type\":\"run\",\"agent\":\"x\","
	    "\"credentials\":{\"headers\":[],\"query\":[\"sig\"]}}");
	put(w, CX_K_DATA, CX_DIR_REQ, 1, 1, "GET /v1/models?sig=topsecret42 "
	    "HTTP/1.1\r\nHost: h\r\n\r\n");
	put(w, CX_K_DATA, CX_DIR_RESP, 1, 5, "HTTP/1.1 200 OK\r\n"
	    "Content-Length: 2\r\n\r\n{}");
	put(w, CX_K_CLOSE, 0, 1, 6, "{}");
	cx_writer_close(w);
	export(tg_path, 1, &r);
	ck_assert_int_eq(count(&r, CX_X_EXCHANGES), 1);
	ck_assert_ptr_null(strstr(r.text, "topsecret42"));
	ck_assert_ptr_nonnull(strstr(tg_jstr(row(&r, CX_X_EXCHANGES, 0), "url"),
	    "sig="));
	rows_free(&r);
	export(tg_path, 0, &r);
	ck_assert_ptr_nonnull(strstr(r.text, "topsecret42"));
	rows_free(&r);
}
END_TEST

/* The walk's deliver calls, counted. */
static int delivered;

static int
count_deliver(void *arg)
{
	(void)arg;
	delivered++;
	return 0;
}

/* The session_rows trace: two turns on connections 1 and 2, the second
 * answering the first's tool call; closed with its END. */
static void
two_turns(void)
{
	struct cx_writer *w = tg_create(tg_path);

	turn(w, 1, 10, "", "{\"type\":\"function_call\",\"call_id\":"
	    "\"call_1\",\"name\":\"shell\",\"arguments\":\"{}\"}", 100, 0,
	    20);
	turn(w, 2, 100, ",{\"type\":\"function_call\",\"call_id\":\"call_1\","
	    "\"name\":\"shell\",\"arguments\":\"{}\"},{\"type\":"
	    "\"function_call_output\",\"call_id\":\"call_1\",\"output\":"
	    "\"a.txt\"}", "{\"type\":\"message\",\"role\":\"assistant\","
	    "\"content\":[]}", 150, 100, 10);
	cx_writer_end(w, CX_SRC_RELAY);
	cx_writer_close(w);
}

/* A cursor holding exchange 1: its rows (exchange, turn, events) are not
 * handed over again, the tool call its result in exchange 2 settles is;
 * the trace closed, the cursor then holds both and the end, and a third
 * export hands nothing over. */
START_TEST(resume_from_cursor)
{
	struct cx_xwalk_opts wo = { 0 };
	struct cx_export_opts o = { .redact = 1, .walk = &wo,
	    .deliver = count_deliver };
	struct cx_xwalk_stats st;
	struct rows r = { 0 };
	char err[256], id[17];

	o.stats = &st;
	two_turns();
	ck_assert_int_eq(cx_xwalk_trace_id(tg_path, id, err, sizeof(err)), 0);
	wo.cursor = cx_xcursor_new(id);
	cx_xcursor_add(wo.cursor, 1);
	delivered = 0;
	ck_assert_int_eq(cx_export_rows(tg_path, &o, collect, &r, NULL, err,
	    sizeof(err)), 0);
	ck_assert_int_eq(delivered, 1);
	ck_assert_int_eq(st.skipped, 1);
	ck_assert_int_eq(st.exchanges, 1);
	ck_assert_int_eq(st.finished, 1);
	ck_assert_int_eq(count(&r, CX_X_EXCHANGES), 1);
	ck_assert_int_eq(tg_jnum(row(&r, CX_X_EXCHANGES, 0), "id"), 2);
	for (int i = 0; i < count(&r, CX_X_TURNS); i++)
		ck_assert_int_ne(tg_jnum(row(&r, CX_X_TURNS, i), "exchange"), 1);
	for (int i = 0; i < count(&r, CX_X_EVENTS); i++)
		ck_assert_int_ne(tg_jnum(row(&r, CX_X_EVENTS, i), "exchange"),
		    1);
	/* the call of exchange 1, answered in 2: handed over with 2 */
	ck_assert_int_eq(count(&r, CX_X_TOOL_CALLS), 1);
	ck_assert_int_eq(tg_jnum(row(&r, CX_X_TOOL_CALLS, 0), "exchange"), 1);
	ck_assert_int_eq(tg_jnum(row(&r, CX_X_TOOL_CALLS, 0),
	    "result_exchange"), 2);
	ck_assert_int_eq(count(&r, CX_X_SESSIONS), 1);
	ck_assert(cx_xcursor_has(wo.cursor, 2));
	ck_assert_uint_eq(cx_xcursor_count(wo.cursor), 2);
	ck_assert(cx_xcursor_ended(wo.cursor));
	rows_free(&r);
	/* everything delivered: nothing more */
	ck_assert_int_eq(cx_export_rows(tg_path, &o, collect, &r, NULL, err,
	    sizeof(err)), 0);
	ck_assert_ptr_null(r.text);
	ck_assert_int_eq(st.exchanges, 0);
	ck_assert_int_eq(st.skipped, 2);
	cx_xcursor_free(wo.cursor);
}
END_TEST

/* A trace still being written (no END; its writer, this process, alive),
 * its second request unanswered yet: read to its end, what was open there
 * is handed over as the end made it but left out of the cursor, and so is
 * the end. */
START_TEST(resume_live_trace)
{
	struct cx_writer *w;
	struct cx_xwalk_opts wo = { 0 };
	struct cx_export_opts o = { .redact = 1, .walk = &wo,
	    .deliver = count_deliver };
	struct cx_xwalk_stats st;
	struct rows r = { 0 };
	char err[256], id[17];

	o.stats = &st;
	w = tg_create(tg_path);
	turn(w, 1, 10, "", "{\"type\":\"message\",\"role\":\"assistant\","
	    "\"content\":[]}", 100, 0, 20);
	tg_req(w, 2, 100, "POST /v1/responses HTTP/1.1\r\nHost: x\r\n"
	    "Content-Length: 2\r\n\r\n{}");
	cx_writer_close(w);
	ck_assert_int_eq(cx_xwalk_trace_id(tg_path, id, err, sizeof(err)), 0);
	wo.cursor = cx_xcursor_new(id);
	ck_assert_int_eq(cx_export_rows(tg_path, &o, collect, &r, NULL, err,
	    sizeof(err)), 0);
	ck_assert_int_eq(count(&r, CX_X_EXCHANGES), 2);
	ck_assert_int_eq(st.finished, 0);
	ck_assert(!cx_xcursor_ended(wo.cursor));
	/* exchange 1 settled; exchange 2 was handed over by the end only */
	ck_assert(cx_xcursor_has(wo.cursor, 1));
	ck_assert(!cx_xcursor_has(wo.cursor, 2));
	rows_free(&r);
	cx_xcursor_free(wo.cursor);
}
END_TEST

START_TEST(stop_and_unreadable)
{
	struct cx_export_opts o = { .redact = 1 };
	struct rows r = { .stop_after = 2 };
	char err[256];

	tg_scenario(tg_path, 0);
	ck_assert_int_eq(cx_export_rows(tg_path, &o, collect, &r, NULL, err,
	    sizeof(err)), CX_EXPORT_ESTOPPED);
	ck_assert_int_eq(r.n, 2);
	rows_free(&r);
	ck_assert_int_eq(cx_export_rows("/nonexistent/trace.bin", &o,
	    collect, &r, NULL, err, sizeof(err)), CX_EXPORT_EINPUT);
	ck_assert_ptr_nonnull(strstr(err, "/nonexistent/trace.bin"));
}
END_TEST

static Suite *
export_rows_suite(void)
{
	Suite *s = suite_create("export_rows");
	TCase *tc = tcase_create("export_rows");

	tcase_add_checked_fixture(tc, setup, tg_teardown);
	tcase_add_test(tc, scenario_columns_and_stable);
	tcase_add_test(tc, session_rows);
	tcase_add_test(tc, run_note_names);
	tcase_add_test(tc, resume_from_cursor);
	tcase_add_test(tc, resume_live_trace);
	tcase_add_test(tc, stop_and_unreadable);
	suite_add_tcase(s, tc);
	return s;
}

int
main(void)
{
	SRunner *sr = srunner_create(export_rows_suite());
	int failed;

	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
