/* tracegen.c: building traces and reading decode's output in the unit
 * tests (see tracegen.h). */
#include <check.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <zlib.h>
#include <zstd.h>

#include "decode.h"
#include "tracegen.h"
#include "xmalloc.h"

char                    tg_dir[64];
char                    tg_path[256];
struct cx_file_info     tg_info;

void
tg_setup(const char *name)
{
	snprintf(tg_dir, sizeof(tg_dir), "/tmp/cxrec-test-%s.XXXXXX", name);
	ck_assert_ptr_nonnull(mkdtemp(tg_dir));
	snprintf(tg_path, sizeof(tg_path), "%s/trace.bin", tg_dir);
}

void
tg_teardown(void)
{
	char cmd[300];

	snprintf(cmd, sizeof(cmd), "rm -rf %s", tg_dir);
	ck_assert_int_eq(system(cmd), 0);
}

struct cx_writer *
tg_create(const char *p)
{
	char err[256];
	struct cx_writer *w = cx_writer_create(p, 0, err, sizeof(err));
	struct cx_reader *r;

	ck_assert_msg(w != NULL, "create: %s", err);
	/* The anchor the frames' times are relative to. */
	r = cx_reader_open(p, err, sizeof(err));
	ck_assert_msg(r != NULL, "open: %s", err);
	tg_info = *cx_reader_info(r);
	cx_reader_close(r);
	return w;
}

void
tg_put_pid(struct cx_writer *w, uint8_t kind, uint8_t source, uint8_t dir,
    uint64_t conn, uint32_t pid, double t, const void *p, size_t n)
{
	struct cx_frame f;

	memset(&f, 0, sizeof(f));
	f.kind = kind;
	f.source = source;
	f.dir = dir;
	f.conn = conn;
	f.pid = pid;
	f.ts_ns = tg_info.monotonic_ns + (int64_t)(t * MS);
	f.payload = p;
	f.len = (uint32_t)n;
	ck_assert_int_eq(cx_writer_put(w, &f), 0);
}

void
tg_put(struct cx_writer *w, uint8_t kind, uint8_t source, uint8_t dir,
    uint64_t conn, double t, const void *p, size_t n)
{
	tg_put_pid(w, kind, source, dir, conn, 0, t, p, n);
}

void
tg_req(struct cx_writer *w, uint64_t conn, double t, const char *s)
{
	tg_put(w, CX_K_DATA, CX_SRC_RELAY, CX_DIR_REQ, conn, t, s, strlen(s));
}

void
tg_resp(struct cx_writer *w, uint64_t conn, double t, const char *s)
{
	tg_put(w, CX_K_DATA, CX_SRC_RELAY, CX_DIR_RESP, conn, t, s, strlen(s));
}

void
tg_json(struct cx_writer *w, uint8_t kind, uint64_t conn, double t,
    const char *json)
{
	tg_put(w, kind, CX_SRC_RELAY, 0, conn, t, json, strlen(json));
}

/* --- the scenario ------------------------------------------------------- */

const char tg_request_json[] =
    "{\"model\":\"gpt-5-codex\",\"instructions\":\"be brief\","
    "\"input\":[{\"role\":\"user\",\"content\":\"say hello\"}],"
    "\"api_key\":\"plain-secret-value\",\"stream\":true}";
size_t tg_zstd_len;

static void
req_bytes(struct cx_writer *w, uint64_t conn, double t, const void *p,
    size_t n)
{
	tg_put(w, CX_K_DATA, CX_SRC_RELAY, CX_DIR_REQ, conn, t, p, n);
}

void
tg_scenario(const char *p, int torn)
{
	struct cx_writer *w = tg_create(p);
	char head[1024], *z;
	size_t zcap, n = strlen(tg_request_json);

	tg_json(w, CX_K_NOTE, 0, 0.5, "{\"type\":\"run\",\"cxrec_version\":"
	    "\"0.1.0\",\"argv\":[\"codex\",\"exec\",\"say hello\"],"
	    "\"login_mode\":\"chatgpt\",\"routes\":[{\"prefix\":"
	    "\"/backend-api/\",\"upstream\":\"https://chatgpt.com\"}],"
	    "\"insecure\":false}");
	/* Connection 1: an SSE exchange with a zstd request body (#1), then
	 * keep-alive with a JSON GET (#3). */
	tg_json(w, CX_K_OPEN, 1, 1, "{\"peer\":\"127.0.0.1:50001\",\"local\":"
	    "\"127.0.0.1:8080\",\"pid\":4242,\"tid\":4243,\"comm\":\"codex\"}");
	zcap = ZSTD_compressBound(n);
	z = xmalloc(zcap);
	tg_zstd_len = ZSTD_compress(z, zcap, tg_request_json, n, 3);
	ck_assert(!ZSTD_isError(tg_zstd_len));
	snprintf(head, sizeof(head),
	    "POST /v1/responses HTTP/1.1\r\n"
	    "Host: 127.0.0.1:8080\r\n"
	    "authorization: Bearer %s\r\n"
	    "Content-Type: application/json\r\n"
	    "Content-Encoding: zstd\r\n"
	    "Content-Length: %zu\r\n"
	    "\r\n", TG_SECRET_KEY, tg_zstd_len);
	/* Split mid-header, then mid-body. */
	req_bytes(w, 1, 10, head, 20);
	req_bytes(w, 1, 10.5, head + 20, strlen(head) - 20);
	req_bytes(w, 1, 10.5, z, tg_zstd_len / 2);
	req_bytes(w, 1, 11, z + tg_zstd_len / 2, tg_zstd_len - tg_zstd_len / 2);
	free(z);
	tg_json(w, CX_K_ROUTE, 1, 11.2, "{\"seq\":0,\"method\":\"POST\","
	    "\"target\":\"/v1/responses\",\"upstream\":"
	    "\"https://api.openai.com/v1/responses\",\"route\":\"/v1\"}");
	tg_resp(w, 1, 23, "HTTP/1.1 200 OK\r\nContent-Type: text/event-stream; "
	    "charset=utf-8\r\nTransfer-Encoding: chunked\r\n\r\n");
	/* Event 1 whole in one chunk; event 2 split mid chunk-size and mid
	 * event; event 3 multi-line data with an id. */
	tg_resp(w, 1, 24, "3e\r\nevent: response.created\r\ndata: "
	    "{\"type\":\"response.created\"}\r\n\r\n\r\n");
	tg_resp(w, 1, 30, "3");
	tg_resp(w, 1, 31, "c\r\nevent: response.output_text.delta\r\ndata: "
	    "{\"delta\":\"Hel");
	tg_resp(w, 1, 35.5, "\"}\r\n\r\n\r\n");
	tg_resp(w, 1, 40, "1f\r\nid: 7\ndata: line1\ndata: line2\n\n\r\n0\r\n\r\n");
	/* #3: keep-alive */
	tg_req(w, 1, 100, "GET /v1/models?client_version=0.98.0 HTTP/1.1\r\n"
	    "Host: 127.0.0.1:8080\r\n\r\n");
	tg_json(w, CX_K_ROUTE, 1, 100.1, "{\"seq\":1,\"method\":\"GET\",\"target\":"
	    "\"/v1/models?client_version=0.98.0\",\"upstream\":"
	    "\"https://api.openai.com/v1/models?client_version=0.98.0\","
	    "\"route\":\"/v1\"}");
	tg_resp(w, 1, 120, "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\n"
	    "Content-Length: 40\r\n\r\n{\"models\":[{\"slug\":\"gpt-5\"}],"
	    "\"etag\":\"x\"}");
	tg_json(w, CX_K_CLOSE, 1, 130, "{\"by\":\"client\",\"reason\":\"eof\"}");

	/* Connection 2, written later in the file but starting earlier
	 * (#2): the relay could not reach the upstream; then a response
	 * cut short by the upstream closing (#4). */
	tg_json(w, CX_K_OPEN, 2, 12, "{\"peer\":\"127.0.0.1:50002\",\"local\":"
	    "\"127.0.0.1:8080\"}");
	tg_req(w, 2, 15, "POST /v1/responses HTTP/1.1\r\nHost: h\r\n"
	    "Content-Length: 5\r\n\r\nhello");
	tg_json(w, CX_K_ERROR, 2, 16, "{\"seq\":0,\"error\":\"upstream TLS "
	    "handshake with api.openai.com:443 failed: certificate verify "
	    "failed\"}");
	tg_resp(w, 2, 16.5, "HTTP/1.1 502 Bad Gateway\r\nContent-Type: text/plain"
	    "\r\nContent-Length: 12\r\n\r\nbad gateway\n");
	tg_req(w, 2, 200, "GET /v1/slow HTTP/1.1\r\nHost: h\r\n\r\n");
	tg_json(w, CX_K_ROUTE, 2, 200.1, "{\"seq\":1,\"method\":\"GET\",\"target\":"
	    "\"/v1/slow\",\"upstream\":\"https://api.openai.com/v1/slow\","
	    "\"route\":\"/v1\"}");
	tg_resp(w, 2, 250, "HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\n"
	    "only part");
	tg_json(w, CX_K_CLOSE, 2, 260, "{\"by\":\"upstream\",\"reason\":"
	    "\"connection reset\"}");

	/* Connection 3: garbage from the server, no request (#5). */
	tg_json(w, CX_K_OPEN, 3, 300, "{\"peer\":\"127.0.0.1:50003\"}");
	tg_resp(w, 3, 301, "garbage\r\n\r\n");
	tg_json(w, CX_K_CLOSE, 3, 302, "{\"by\":\"relay\"}");

	/* Things decode must skip or report quietly. */
	tg_put(w, 99, CX_SRC_RELAY, 0, 0, 303, "future", 6);
	tg_json(w, CX_K_LOSS, 0, 304, "{\"frames\":3,\"bytes\":1234,\"errno\":28}");

	/* Connection 4: a 600 KB upload (written as several CX_F_CONT
	 * frames), answered (#6). */
	{
		size_t big = 600 * 1000;
		char *b = xmalloc(big + 200);
		int hl = snprintf(b, 200, "PUT /upload HTTP/1.1\r\nContent-Type: "
		    "text/plain\r\nContent-Length: %zu\r\n\r\n", big);

		memset(b + hl, 'x', big);
		req_bytes(w, 4, 400, b, (size_t)hl + big);
		free(b);
		tg_resp(w, 4, 410, "HTTP/1.1 204 No Content\r\n\r\n");
	}

	/* Connection 5: a request the trace ends before answering (#7). */
	tg_req(w, 5, 500, "GET /v1/never HTTP/1.1\r\nHost: h\r\n\r\n");
	cx_writer_close(w);

	if (torn) {
		/* A writer killed mid-frame: half a frame at the end. */
		int fd = open(p, O_WRONLY | O_APPEND);
		uint8_t half[30] = { 0x43, 0x58, 0x46, 0x52, 100 };

		ck_assert_int_ge(fd, 0);
		ck_assert_int_eq(write(fd, half, sizeof(half)),
		    (ssize_t)sizeof(half));
		close(fd);
	}
}

/* --- an analysis --------------------------------------------------------- */

void
tg_feed(struct cx_analysis *a, uint8_t dir, uint64_t conn, double t,
    const char *s)
{
	struct cx_frame f;

	memset(&f, 0, sizeof(f));
	f.kind = CX_K_DATA;
	f.source = CX_SRC_RELAY;
	f.dir = dir;
	f.conn = conn;
	f.ts_ns = tg_info.monotonic_ns + (int64_t)(t * MS);
	f.payload = (const uint8_t *)s;
	f.len = (uint32_t)strlen(s);
	cx_analysis_frame(a, &f);
}

static int
ends_with(const char *s, const char *end)
{
	size_t n = strlen(s), e = strlen(end);

	return n >= e && strcmp(s + n - e, end) == 0;
}

/* The file at path decompressed into the temporary file fd. */
static void
unpack(const char *path, int fd)
{
	static char buf[1 << 16];
	int n;

	if (ends_with(path, ".zst")) {
		FILE *f = fopen(path, "rb");
		ZSTD_DStream *ds = ZSTD_createDStream();
		static char out[1 << 16];
		size_t got;

		ck_assert_msg(f != NULL, "%s: run the tests from the source tree",
		    path);
		ck_assert_ptr_nonnull(ds);
		ZSTD_initDStream(ds);
		while ((got = fread(buf, 1, sizeof(buf), f)) > 0) {
			ZSTD_inBuffer in = { buf, got, 0 };

			while (in.pos < in.size) {
				ZSTD_outBuffer o = { out, sizeof(out), 0 };
				size_t rc = ZSTD_decompressStream(ds, &o, &in);

				ck_assert_msg(!ZSTD_isError(rc), "%s: %s", path,
				    ZSTD_getErrorName(rc));
				ck_assert_int_eq(write(fd, out, o.pos),
				    (ssize_t)o.pos);
			}
		}
		ZSTD_freeDStream(ds);
		fclose(f);
		return;
	}
	/* gzopen reads a file that is not gzip'd as it is. */
	gzFile gz = gzopen(path, "rb");

	ck_assert_msg(gz != NULL, "%s: run the tests from the source tree",
	    path);
	while ((n = gzread(gz, buf, sizeof(buf))) > 0)
		ck_assert_int_eq(write(fd, buf, (size_t)n), n);
	ck_assert_int_eq(n, 0);
	gzclose(gz);
}

struct cx_analysis *
tg_analyse(const char *path)
{
	char tmp[] = "/tmp/cxrec-test-trace.XXXXXX", err[256];
	struct cx_reader *r;
	struct cx_analysis *a;
	struct cx_frame f;
	int fd = mkstemp(tmp);

	ck_assert_int_ge(fd, 0);
	unpack(path, fd);
	close(fd);
	r = cx_reader_open(tmp, err, sizeof(err));
	ck_assert_msg(r != NULL, "%s: %s", path, err);
	a = cx_analysis_new(cx_reader_info(r));
	while (cx_reader_next(r, &f) == 1)
		cx_analysis_frame(a, &f);
	cx_analysis_finish(a);
	cx_reader_close(r);
	unlink(tmp);
	return a;
}

void
tg_turns_take(void *arg, struct cx_turn *t)
{
	struct tg_turns *l = arg;

	l->v = xreallocarray(l->v, l->n + 1, sizeof(*l->v));
	l->v[l->n++] = cx_turn_take(t);
}

void
tg_turns_free(struct tg_turns *l)
{
	for (size_t i = 0; i < l->n; i++) {
		cx_turn_free(l->v[i]);
		free(l->v[i]);
	}
	free(l->v);
	l->v = NULL;
	l->n = 0;
}

size_t
tg_turns_of(const struct cx_analysis *a, const struct cx_api *api,
    struct tg_turns *l)
{
	const struct cx_analysis_result *r = cx_analysis_result(a);
	size_t n = 0;

	for (size_t i = 0; i < r->nex; i++) {
		if (api != NULL && cx_api_of(r->ex[i]) != api)
			continue;
		n += cx_conv_turns(r->ex[i], tg_turns_take, l) > 0;
	}
	return n;
}

struct cx_turn *
tg_turn_one(const struct cx_exchange *ex, const struct cx_api *api)
{
	struct tg_turns l = { NULL, 0 };
	struct cx_turn *t;

	ck_assert_ptr_eq(cx_api_of(ex), api);
	ck_assert_uint_eq(cx_conv_turns(ex, tg_turns_take, &l), 1);
	ck_assert_uint_eq(l.n, 1);
	t = l.v[0];
	free(l.v);
	ck_assert_str_eq(t->api, api->name);
	return t;
}

void
tg_turn_free(struct cx_turn *t)
{
	cx_turn_free(t);
	free(t);
}

const struct cx_api *
tg_api(const char *name)
{
	for (size_t i = 0; cx_api_table[i] != NULL; i++)
		if (strcmp(cx_api_table[i]->name, name) == 0)
			return cx_api_table[i];
	ck_abort_msg("no %s adapter in the table", name);
	return NULL;
}

const struct cx_item *
tg_item_find(const struct cx_items *l, enum cx_item_kind kind, size_t from)
{
	for (size_t i = from; i < l->n; i++)
		if (l->v[i].kind == kind)
			return &l->v[i];
	return NULL;
}

size_t
tg_item_count(const struct cx_items *l, enum cx_item_kind kind)
{
	size_t n = 0;

	for (size_t i = 0; i < l->n; i++)
		n += l->v[i].kind == kind;
	return n;
}

const struct cx_tool *
tg_tool(const struct cx_turn *t, const char *name)
{
	for (size_t i = 0; i < t->ntools; i++)
		if (strcmp(t->tools[i].name, name) == 0)
			return &t->tools[i];
	return NULL;
}

int
tg_has_tool(const struct cx_turn *t, const char *name)
{
	return tg_tool(t, name) != NULL;
}

const char *
tg_kind_name(enum cx_item_kind k)
{
	static const char *const n[] = { "text", "reasoning", "tool_call",
	    "tool_result", "refusal", "error", "other" };

	return (size_t)k < sizeof(n) / sizeof(n[0]) ? n[k] : "?";
}

const char *
tg_role_name(enum cx_role r)
{
	return cx_role_name(r, r == CX_ROLE_NONE ? "-" : "?");
}

static const char *
or_dash(const char *s)
{
	return s != NULL ? s : "-";
}

/* s, or its first cut bytes and "..." (cut 0: all of it). */
static void
put_cut(FILE *f, const char *s, size_t cut)
{
	s = or_dash(s);
	if (cut == 0 || strlen(s) <= cut)
		fputs(s, f);
	else
		fprintf(f, "%.*s...", (int)cut, s);
}

static void
dump_items(FILE *f, const char *what, const struct cx_items *l, size_t cut)
{
	for (size_t i = 0; i < l->n; i++) {
		const struct cx_item *it = &l->v[i];

		fprintf(f, "  %s[%zu] %s %s id=%s name=%s call_id=%s%s len=%zu "
		    "note=%s: ", what, i, tg_kind_name(it->kind),
		    tg_role_name(it->role), or_dash(it->id), or_dash(it->name),
		    or_dash(it->call_id), it->hidden ? " hidden" : "", it->len,
		    or_dash(it->note));
		put_cut(f, it->text, cut);
		fputc('\n', f);
	}
}

void
tg_turn_dump(FILE *f, const struct cx_turn *t, size_t cut)
{
	const struct cx_usage *u = &t->usage;

	if (t->ex != NULL)
		fprintf(f, "turn of %s %s\n", or_dash(t->ex->req.method),
		    or_dash(t->ex->req.target));
	fprintf(f, "turn api=%s session=%s model=%s answered=%s id=%s stop=%s "
	    "streamed=%d error=%s note=%s\n", or_dash(t->api),
	    or_dash(t->session), or_dash(t->model), or_dash(t->model_answered),
	    or_dash(t->response_id), or_dash(t->stop_reason), t->streamed,
	    or_dash(t->error), or_dash(t->note));
	fprintf(f, "  usage in=%lld cached=%lld cache_write=%lld out=%lld "
	    "reasoning=%lld api_total=%lld total=%lld; first token %+.3f ms, "
	    "last %+.3f ms after the request\n", (long long)u->input,
	    (long long)u->cached, (long long)u->cache_write,
	    (long long)u->output, (long long)u->reasoning,
	    (long long)u->api_total, (long long)cx_usage_total(u),
	    (double)(t->t_first_token - t->t_request) / 1e6,
	    (double)(t->t_last_token - t->t_request) / 1e6);
	for (size_t i = 0; i < t->ntools; i++) {
		fprintf(f, "  tool %s: ", t->tools[i].name);
		put_cut(f, t->tools[i].description, cut);
		fputc(' ', f);
		put_cut(f, t->tools[i].schema, cut);
		fputc('\n', f);
	}
	dump_items(f, "instructions", &t->instructions, cut);
	dump_items(f, "input", &t->input, cut);
	dump_items(f, "output", &t->output, cut);
}

/* --- decode's output ------------------------------------------------------ */

char *
tg_decode_opts(const char *path, const struct cx_decode_opts *opts)
{
	char *mem = NULL, err[512];
	size_t len = 0;
	FILE *f = open_memstream(&mem, &len);

	ck_assert_ptr_nonnull(f);
	ck_assert_msg(cx_decode(path, opts, f, err, sizeof(err)) == 0, "%s",
	    err);
	fclose(f);
	return mem;
}

static void
on_warn(void *arg, const char *msg)
{
	struct tg_warnings *w = arg;
	size_t len = strlen(w->text);

	snprintf(w->text + len, sizeof(w->text) - len, "%s\n", msg);
	w->count++;
}

char *
tg_decode(const char *path, const char *format, int no_redact,
    struct tg_warnings *warn)
{
	struct cx_decode_opts opts;
	struct tg_warnings dummy;

	memset(&opts, 0, sizeof(opts));
	memset(&dummy, 0, sizeof(dummy));
	opts.format = format;
	opts.no_redact = no_redact;
	opts.warn = on_warn;
	opts.warn_arg = warn ? warn : &dummy;
	if (warn)
		memset(warn, 0, sizeof(*warn));
	return tg_decode_opts(path, &opts);
}

cJSON *
tg_jlines(const char *out)
{
	cJSON *all = cJSON_CreateArray();
	const char *p = out;

	while (*p != '\0') {
		const char *nl = strchr(p, '\n');
		cJSON *o;

		ck_assert_ptr_nonnull(nl);
		o = cJSON_ParseWithLength(p, (size_t)(nl - p));
		ck_assert_msg(o != NULL, "not JSON: %.*s", (int)(nl - p), p);
		cJSON_AddItemToArray(all, o);
		p = nl + 1;
	}
	return all;
}

const cJSON *
tg_jget(const cJSON *o, const char *path)
{
	char buf[256], *save = NULL, *tok;

	snprintf(buf, sizeof(buf), "%s", path);
	for (tok = strtok_r(buf, ".", &save); tok != NULL && o != NULL;
	    tok = strtok_r(NULL, ".", &save)) {
		if (tok[0] >= '0' && tok[0] <= '9')
			o = cJSON_GetArrayItem(o, atoi(tok));
		else
			o = cJSON_GetObjectItemCaseSensitive(o, tok);
	}
	ck_assert_msg(o != NULL, "no %s", path);
	return o;
}

const char *
tg_jstr(const cJSON *o, const char *path)
{
	const cJSON *v = tg_jget(o, path);

	ck_assert_msg(cJSON_IsString(v), "%s is not a string", path);
	return v->valuestring;
}

double
tg_jnum(const cJSON *o, const char *path)
{
	const cJSON *v = tg_jget(o, path);

	ck_assert_msg(cJSON_IsNumber(v), "%s is not a number", path);
	return v->valuedouble;
}

int
tg_jnull(const cJSON *o, const char *path)
{
	return cJSON_IsNull(tg_jget(o, path));
}

const char *
tg_slurp(const char *path)
{
	static char buf[1 << 20];
	FILE *f = fopen(path, "r");
	size_t n;

	ck_assert_msg(f != NULL, "%s: cannot open", path);
	n = fread(buf, 1, sizeof(buf) - 1, f);
	buf[n] = '\0';
	fclose(f);
	return buf;
}
