/*
 * gen_codex.c: the exchanges gen_trace writes, made up in codex's shape: the
 * request (codex 0.98.0's headers and a JSON body of its shape) and the
 * streamed response (the events tests/lib/mocks/mock_upstream.py sends),
 * byte for byte a function of the seed.
 */
#include <inttypes.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "gen_codex.h"

/* --- a growable byte string ------------------------------------------------ */


static void
sb_reserve(struct sb *s, size_t more)
{
	if (s->len + more + 1 <= s->cap)
		return;
	size_t cap = s->cap ? s->cap : 4096;
	while (cap < s->len + more + 1)
		cap *= 2;
	char *p = realloc(s->p, cap);
	if (p == NULL) {
		perror("gen_trace: realloc");
		exit(1);
	}
	s->p = p;
	s->cap = cap;
}

static void
sb_add(struct sb *s, const void *b, size_t n)
{
	sb_reserve(s, n);
	memcpy(s->p + s->len, b, n);
	s->len += n;
	s->p[s->len] = '\0';
}

static void
sb_str(struct sb *s, const char *str)
{
	sb_add(s, str, strlen(str));
}

static void sb_printf(struct sb *s, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

static void
sb_printf(struct sb *s, const char *fmt, ...)
{
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(NULL, 0, fmt, ap);
	va_end(ap);
	sb_reserve(s, (size_t)n);
	va_start(ap, fmt);
	vsnprintf(s->p + s->len, (size_t)n + 1, fmt, ap);
	va_end(ap);
	s->len += (size_t)n;
}

/* str as a JSON string literal, quotes included. */
static void
sb_jstr(struct sb *s, const char *str, size_t n)
{
	sb_add(s, "\"", 1);
	for (size_t i = 0; i < n; i++) {
		unsigned char c = (unsigned char)str[i];
		if (c == '"' || c == '\\') {
			char e[2] = { '\\', (char)c };
			sb_add(s, e, 2);
		} else if (c == '\n') {
			sb_add(s, "\\n", 2);
		} else if (c < 0x20) {
			sb_printf(s, "\\u%04x", c);
		} else {
			sb_add(s, &str[i], 1);
		}
	}
	sb_add(s, "\"", 1);
}

/* --- deterministic randomness ---------------------------------------------- */

static uint64_t rng_state;

void
gen_seed(uint64_t seed)
{
	rng_state = seed * 0x9E3779B97F4A7C15ULL + 1;
}

static uint64_t
rng(void)
{
	/* xorshift64* */
	rng_state ^= rng_state >> 12;
	rng_state ^= rng_state << 25;
	rng_state ^= rng_state >> 27;
	return rng_state * 0x2545F4914F6CDD1DULL;
}

/* Uniform in [lo, hi]. */
uint64_t
rnd(uint64_t lo, uint64_t hi)
{
	return lo + rng() % (hi - lo + 1);
}

static const char *const words[] = {
	"the", "agent", "should", "read", "files", "run", "commands",
	"carefully", "explain", "results", "keep", "changes", "small",
	"prefer", "tests", "before", "edits", "summarize", "output", "for",
	"user", "when", "working", "in", "a", "repository", "respect",
	"existing", "style", "and", "never", "invent", "facts", "about",
	"code", "it", "has", "not", "opened", "use", "tools", "sparingly",
	"report", "errors", "plainly", "function", "module", "parser",
	"buffer", "stream", "request", "response", "header", "trace",
};
#define NWORDS (sizeof(words) / sizeof(words[0]))

/* Prose of about n bytes: "- Sentence of words.\n" lines. */
static void
prose(struct sb *s, size_t n)
{
	size_t start = s->len;

	while (s->len - start < n) {
		int k = (int)rnd(8, 16);
		sb_str(s, "- ");
		for (int i = 0; i < k; i++) {
			const char *w = words[rng() % NWORDS];
			if (i == 0) {
				char c = (char)(w[0] - 'a' + 'A');
				sb_add(s, &c, 1);
				sb_str(s, w + 1);
			} else {
				sb_add(s, " ", 1);
				sb_str(s, w);
			}
		}
		sb_str(s, ".\n");
	}
}

/* A base64-looking string of n characters. */
static void
b64ish(struct sb *s, size_t n)
{
	static const char al[] =
	    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
	sb_reserve(s, n);
	for (size_t i = 0; i < n; i++)
		s->p[s->len + i] = al[rng() & 63];
	s->len += n;
	s->p[s->len] = '\0';
}

void
uuid(char out[37])
{
	uint64_t a = rng(), b = rng();
	snprintf(out, 37, "%08" PRIx64 "-%04" PRIx64 "-7%03" PRIx64 "-%04" PRIx64
	    "-%012" PRIx64, a >> 32, (a >> 16) & 0xffff, a & 0xfff,
	    (b >> 48) | 0x8000, b & (uint64_t)0xffffffffffff);
}

/* --- the request ----------------------------------------------------------- */

/* codex 0.98.0's tools, abridged but of the same shape and about the size. */
static const char TOOLS[] =
"[{\"type\":\"function\",\"name\":\"exec_command\",\"description\":\"Runs a command in a PTY, returning output or a session ID for ongoing interaction.\",\"strict\":false,\"parameters\":{\"type\":\"object\",\"properties\":{\"cmd\":{\"type\":\"string\",\"description\":\"Shell command to execute.\"},\"justification\":{\"type\":\"string\",\"description\":\"Only set if sandbox_permissions is \\\"require_escalated\\\". 1-sentence explanation of why we want to run this command.\"},\"login\":{\"type\":\"boolean\",\"description\":\"Whether to run the shell with -l/-i semantics. Defaults to true.\"},\"max_output_tokens\":{\"type\":\"number\",\"description\":\"Maximum number of tokens to return. Excess output will be truncated.\"},\"prefix_rule\":{\"type\":\"array\",\"items\":{\"type\":\"string\"},\"description\":\"Only specify when sandbox_permissions is `require_escalated`.\"},\"sandbox_permissions\":{\"type\":\"string\",\"description\":\"Sandbox permissions for the command.\"},\"shell\":{\"type\":\"string\",\"description\":\"Shell binary to launch. Defaults to the user's default shell.\"},\"tty\":{\"type\":\"boolean\",\"description\":\"Whether to allocate a TTY for the command. Defaults to false (plain pipes); set to true to open a PTY and access TTY process.\"},\"workdir\":{\"type\":\"string\",\"description\":\"Optional working directory to run the command in; defaults to the turn cwd.\"},\"yield_time_ms\":{\"type\":\"number\",\"description\":\"How long to wait (in milliseconds) for output before yielding.\"}},\"required\":[\"cmd\"],\"additionalProperties\":false}},"
"{\"type\":\"function\",\"name\":\"write_stdin\",\"description\":\"Writes characters to an existing unified exec session and returns recent output.\",\"strict\":false,\"parameters\":{\"type\":\"object\",\"properties\":{\"chars\":{\"type\":\"string\",\"description\":\"Bytes to write to stdin (may be empty to poll).\"},\"max_output_tokens\":{\"type\":\"number\",\"description\":\"Maximum number of tokens to return. Excess output will be truncated.\"},\"session_id\":{\"type\":\"number\",\"description\":\"Identifier of the running unified exec session.\"},\"yield_time_ms\":{\"type\":\"number\",\"description\":\"How long to wait (in milliseconds) for output before yielding.\"}},\"required\":[\"session_id\"],\"additionalProperties\":false}},"
"{\"type\":\"function\",\"name\":\"list_mcp_resources\",\"description\":\"Lists resources provided by MCP servers. Resources allow servers to share data that provides context to language models, such as files, database schemas, or application-specific information. Prefer resources over web search when possible.\",\"strict\":false,\"parameters\":{\"type\":\"object\",\"properties\":{\"cursor\":{\"type\":\"string\",\"description\":\"Opaque cursor returned by a previous list_mcp_resources call for the same server.\"},\"server\":{\"type\":\"string\",\"description\":\"Optional MCP server name. When omitted, lists resources from every configured server.\"}},\"additionalProperties\":false}},"
"{\"type\":\"function\",\"name\":\"list_mcp_resource_templates\",\"description\":\"Lists resource templates provided by MCP servers. Parameterized resource templates allow servers to share data that takes parameters and provides context to language models.\",\"strict\":false,\"parameters\":{\"type\":\"object\",\"properties\":{\"cursor\":{\"type\":\"string\",\"description\":\"Opaque cursor returned by a previous list_mcp_resource_templates call for the same server.\"},\"server\":{\"type\":\"string\",\"description\":\"Optional MCP server name. When omitted, lists resource templates from all configured servers.\"}},\"additionalProperties\":false}},"
"{\"type\":\"function\",\"name\":\"read_mcp_resource\",\"description\":\"Read a specific resource from an MCP server given the server name and resource URI.\",\"strict\":false,\"parameters\":{\"type\":\"object\",\"properties\":{\"server\":{\"type\":\"string\",\"description\":\"MCP server name exactly as configured. Must match the 'server' field returned by list_mcp_resources.\"},\"uri\":{\"type\":\"string\",\"description\":\"Resource URI to read. Must be one of the URIs returned by list_mcp_resources.\"}},\"required\":[\"server\",\"uri\"],\"additionalProperties\":false}},"
"{\"type\":\"function\",\"name\":\"update_plan\",\"description\":\"Updates the task plan.\\nProvide an optional explanation and a list of plan items, each with a step and status.\\nAt most one step can be in_progress at a time.\\n\",\"strict\":false,\"parameters\":{\"type\":\"object\",\"properties\":{\"explanation\":{\"type\":\"string\"},\"plan\":{\"type\":\"array\",\"items\":{\"type\":\"object\",\"properties\":{\"status\":{\"type\":\"string\",\"description\":\"One of: pending, in_progress, completed\"},\"step\":{\"type\":\"string\"}},\"required\":[\"step\",\"status\"],\"additionalProperties\":false},\"description\":\"The list of steps\"}},\"required\":[\"plan\"],\"additionalProperties\":false}},"
"{\"type\":\"function\",\"name\":\"request_user_input\",\"description\":\"Request user input for one to three short questions and wait for the response.\",\"strict\":false,\"parameters\":{\"type\":\"object\",\"properties\":{\"questions\":{\"type\":\"array\",\"items\":{\"type\":\"object\",\"properties\":{\"header\":{\"type\":\"string\",\"description\":\"Short header label shown in the UI (12 or fewer chars).\"},\"id\":{\"type\":\"string\",\"description\":\"Stable identifier for mapping answers (snake_case).\"},\"question\":{\"type\":\"string\",\"description\":\"Single-sentence prompt shown to the user.\"}},\"required\":[\"id\",\"header\",\"question\"],\"additionalProperties\":false}}},\"required\":[\"questions\"],\"additionalProperties\":false}},"
"{\"type\":\"custom\",\"name\":\"apply_patch\",\"description\":\"Use the `apply_patch` tool to edit files. This is a FREEFORM tool, so do not wrap the patch in JSON.\",\"format\":{\"type\":\"grammar\",\"syntax\":\"lark\",\"definition\":\"start: begin_patch hunk+ end_patch\\nbegin_patch: \\\"*** Begin Patch\\\" LF\\nend_patch: \\\"*** End Patch\\\" LF?\\n\\nhunk: add_hunk | delete_hunk | update_hunk\\nadd_hunk: \\\"*** Add File: \\\" filename LF add_line+\\ndelete_hunk: \\\"*** Delete File: \\\" filename LF\\nupdate_hunk: \\\"*** Update File: \\\" filename LF change_move? change?\\n\\nfilename: /(.+)/\\nadd_line: \\\"+\\\" /(.*)/ LF -> line\\n\\nchange_move: \\\"*** Move to: \\\" filename LF\\nchange: (change_context | change_line)+ eof_line?\\nchange_context: (\\\"@@\\\" | \\\"@@ \\\" /(.+)/) LF\\nchange_line: (\\\"+\\\" | \\\"-\\\" | \\\" \\\") /(.*)/ LF\\neof_line: \\\"*** End of File\\\" LF\\n\\n%import common.LF\\n\"}},"
"{\"type\":\"web_search\",\"external_web_access\":false},"
"{\"type\":\"function\",\"name\":\"view_image\",\"description\":\"Attach a local image (by filesystem path) to the conversation context for this turn.\",\"strict\":false,\"parameters\":{\"type\":\"object\",\"properties\":{\"path\":{\"type\":\"string\",\"description\":\"Local filesystem path to an image file\"}},\"required\":[\"path\"],\"additionalProperties\":false}}]";

static void
input_message(struct sb *b, const char *role, const char *text, size_t n)
{
	sb_printf(b, "{\"type\":\"message\",\"role\":\"%s\",\"content\":"
	    "[{\"type\":\"input_text\",\"text\":", role);
	sb_jstr(b, text, n);
	sb_str(b, "}]}");
}

/* FNV-1a of a session id: the seed of what a long session resends. */
static uint64_t
session_hash(const char *session)
{
	uint64_t h = 0xcbf29ce484222325ULL;

	for (const char *p = session; *p; p++)
		h = (h ^ (uint8_t)*p) * 0x100000001b3ULL;
	return h;
}

/*
 * Earlier turn k of a long session as codex resends it: its reasoning
 * (encrypted), its tool call and the call's output, about n bytes of JSON
 * (n/2 to 3n/2), the same bytes at every later turn: drawn from a sequence
 * seeded by the session and k, the caller's sequence left as it was.
 */
static void
history_turn(struct sb *b, struct sb *t, const char *session, int k, size_t n)
{
	uint64_t saved = rng_state;
	size_t start = b->len, used, want;
	char call[40];

	gen_seed(session_hash(session) ^ ((uint64_t)k << 20));
	snprintf(call, sizeof(call), "call_%016" PRIx64, rng());
	sb_str(b, ",{\"type\":\"reasoning\",\"summary\":[{\"type\":"
	    "\"summary_text\",\"text\":\"**Inspecting the failure**\"}],"
	    "\"content\":null,\"encrypted_content\":\"gAAAAB");
	b64ish(b, (size_t)rnd(200, 600));
	sb_printf(b, "\"},{\"type\":\"function_call\",\"name\":"
	    "\"exec_command\",\"arguments\":\"{\\\"cmd\\\":\\\"sed -n "
	    "1,%d0p src/%s.c\\\",\\\"yield_time_ms\\\":10000}\","
	    "\"call_id\":\"%s\"},{\"type\":\"function_call_output\","
	    "\"call_id\":\"%s\",\"output\":", (int)rnd(1, 30),
	    words[rng() % NWORDS], call, call);
	t->len = 0;
	sb_str(t, "Chunk ID: 998d71\nWall time: 0.0520 seconds\n"
	    "Process exited with code 0\nOutput:\n");
	used = b->len - start + t->len + 2;
	want = n / 2 + (size_t)rnd(0, n);
	prose(t, want > used ? want - used : 1);
	sb_jstr(b, t->p, t->len);
	sb_str(b, "}");
	rng_state = saved;
}

/*
 * The request body: codex's top-level keys in codex's order; the
 * instructions are ~7.5 KB of prose; the input grows with the turn (earlier
 * tool calls and their outputs) up to a body of about target bytes.  When
 * turn_bytes is not 0, the body is a turn of one long session instead: the
 * same instructions and first messages at every turn, then every earlier
 * turn (history_turn, about turn_bytes each), without bound; drawn from a
 * sequence of its own (the caller's is left as it was).
 */
static void
make_body(struct sb *b, size_t target, const char *session, int turn,
    size_t turn_bytes)
{
	struct sb t = { 0 };
	uint64_t saved = rng_state;

	if (turn_bytes != 0)
		gen_seed(session_hash(session));

	sb_str(b, "{\"model\":\"gpt-5.2-codex\",\"instructions\":");
	sb_str(&t, "You are Codex, based on GPT-5. You are running as a coding "
	    "agent in the Codex CLI on a user's computer.\n\n");
	prose(&t, 7400);
	sb_jstr(b, t.p, t.len);
	sb_str(b, ",\"input\":[");

	t.len = 0;
	sb_str(&t, "<permissions instructions>\nFilesystem sandboxing: "
	    "workspace-write. Network access is restricted. Approval policy: "
	    "never.\n");
	prose(&t, 900);
	sb_str(&t, "</permissions instructions>");
	input_message(b, "developer", t.p, t.len);
	sb_add(b, ",", 1);

	t.len = 0;
	sb_str(&t, "# AGENTS.md instructions for /home/user/proj\n\n"
	    "<INSTRUCTIONS>\n");
	prose(&t, 1600);
	sb_str(&t, "</INSTRUCTIONS>");
	input_message(b, "user", t.p, t.len);
	sb_add(b, ",", 1);

	t.len = 0;
	sb_str(&t, "<environment_context>\n  <cwd>/home/user/proj</cwd>\n"
	    "  <shell>bash</shell>\n</environment_context>");
	input_message(b, "user", t.p, t.len);
	sb_add(b, ",", 1);

	t.len = 0;
	sb_str(&t, "Fix the failing test in the parser module and explain "
	    "what was wrong.");
	input_message(b, "user", t.p, t.len);

	/* Earlier turns: reasoning, a tool call, its output; until ~target. */
	size_t tail = 260 + strlen(TOOLS) + strlen(session);
	for (int k = 0; k < turn && turn_bytes != 0; k++)
		history_turn(b, &t, session, k, turn_bytes);
	for (int k = 0; k < turn && turn_bytes == 0 &&
	    b->len + tail < target; k++) {
		char call[40];
		snprintf(call, sizeof(call), "call_%016" PRIx64, rng());
		sb_str(b, ",{\"type\":\"reasoning\",\"summary\":[{\"type\":"
		    "\"summary_text\",\"text\":\"**Inspecting the failure**\"}],"
		    "\"content\":null,\"encrypted_content\":\"gAAAAB");
		b64ish(b, 600);
		sb_printf(b, "\"},{\"type\":\"function_call\",\"name\":"
		    "\"exec_command\",\"arguments\":\"{\\\"cmd\\\":\\\"sed -n "
		    "1,%d0p src/parser.c\\\",\\\"yield_time_ms\\\":10000}\","
		    "\"call_id\":\"%s\"},{\"type\":\"function_call_output\","
		    "\"call_id\":\"%s\",\"output\":", (int)rnd(1, 30), call, call);
		t.len = 0;
		sb_str(&t, "Chunk ID: 998d71\nWall time: 0.0520 seconds\n"
		    "Process exited with code 0\nOutput:\n");
		size_t room = target > b->len + tail + 200 ?
		    target - b->len - tail - 200 : 0;
		prose(&t, room < 3000 ? room : (size_t)rnd(1200, 3000));
		sb_jstr(b, t.p, t.len);
		sb_str(b, "}");
	}
	sb_str(b, "],\"tools\":");
	sb_str(b, TOOLS);
	sb_printf(b, ",\"tool_choice\":\"auto\",\"parallel_tool_calls\":true,"
	    "\"reasoning\":{\"effort\":\"medium\",\"summary\":\"auto\"},"
	    "\"store\":false,\"stream\":true,\"include\":"
	    "[\"reasoning.encrypted_content\"],\"prompt_cache_key\":\"%s\"}",
	    session);
	free(t.p);
	if (turn_bytes != 0)
		rng_state = saved;
}

void
make_request(struct sb *head, struct sb *body, const char *session,
    int turn, size_t turn_bytes)
{
	char key[49];
	uint64_t h;

	make_body(body, (size_t)rnd(18000, 23000), session, turn, turn_bytes);
	/* The key is the same for the whole session: a hash of its id. */
	h = session_hash(session);
	for (int i = 0; i < 48; i++) {
		h ^= h >> 29;
		h *= 0xbf58476d1ce4e5b9ULL;
		key[i] = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJ0123456789"
		    [(h >> 32) % 46];
	}
	key[48] = '\0';
	sb_printf(head, "POST /v1/responses HTTP/1.1\r\n"
	    "version: 0.98.0\r\n"
	    "x-oai-web-search-eligible: true\r\n"
	    "session_id: %s\r\n"
	    "authorization: Bearer sk-proj-%s\r\n"
	    "accept: text/event-stream\r\n"
	    "content-type: application/json\r\n"
	    "user-agent: codex_exec/0.98.0 (Debian 12.0.0; x86_64) xterm\r\n"
	    "originator: codex_exec\r\n"
	    "host: 127.0.0.1:8080\r\n"
	    "content-length: %zu\r\n\r\n", session, key, body->len);
}

/* --- the response ---------------------------------------------------------- */


static void
emit(struct resp *r, const char *type, const char *fields, int64_t gap_ns)
{
	struct sb d = { 0 };

	sb_printf(&d, "event: %s\ndata: {\"type\":\"%s\",\"sequence_number\":"
	    "%d%s%s}\n\n", type, type, r->seq++, fields[0] ? "," : "", fields);
	if (r->nev == r->cap) {
		r->cap = r->cap ? r->cap * 2 : 64;
		r->ev = realloc(r->ev, sizeof(*r->ev) * (size_t)r->cap);
		if (r->ev == NULL) {
			perror("gen_trace: realloc");
			exit(1);
		}
	}
	r->ev[r->nev].off = r->bytes.len;
	sb_printf(&r->bytes, "%zx\r\n", d.len);
	sb_add(&r->bytes, d.p, d.len);
	sb_str(&r->bytes, "\r\n");
	r->ev[r->nev].len = r->bytes.len - r->ev[r->nev].off;
	r->ev[r->nev].gap_ns = gap_ns;
	r->nev++;
	free(d.p);
}

static void
base_response(struct sb *s, const char *id, const char *status,
    const char *output, const char *usage, const char *session)
{
	sb_printf(s, "\"response\":{\"id\":\"%s\",\"object\":\"response\","
	    "\"created_at\":1763971200,\"status\":\"%s\",\"background\":false,"
	    "\"error\":null,\"incomplete_details\":null,\"instructions\":null,"
	    "\"max_output_tokens\":null,\"model\":\"gpt-5.2-codex\","
	    "\"output\":%s,\"parallel_tool_calls\":true,"
	    "\"previous_response_id\":null,\"prompt_cache_key\":\"%s\","
	    "\"reasoning\":{\"effort\":\"medium\",\"summary\":\"auto\"},"
	    "\"store\":false,\"temperature\":1.0,\"text\":{\"format\":"
	    "{\"type\":\"text\"},\"verbosity\":\"medium\"},\"tool_choice\":"
	    "\"auto\",\"tools\":[],\"top_p\":1.0,\"truncation\":\"disabled\","
	    "\"usage\":%s,\"user\":null,\"metadata\":{}}", id, status, output,
	    session, usage);
}


/*
 * 40-60 events: created, in_progress, a reasoning item with a streamed
 * summary, then either a function call (streamed arguments) or an
 * assistant message (many small text deltas), then completed with usage.
 */
void
make_response(struct resp *r, int n, const char *session)
{
	struct sb f = { 0 }, text = { 0 }, out = { 0 }, rs_item = { 0 };
	char id[40], rs_id[40], it_id[40];
	int target = (int)rnd(40, 60);

	snprintf(id, sizeof(id), "resp_%016" PRIx64 "%08x", rng(), n);
	snprintf(rs_id, sizeof(rs_id), "rs_%016" PRIx64 "%08x", rng(), n);
	sb_printf(&r->bytes, "HTTP/1.1 200 OK\r\n"
	    "date: Mon, 24 Nov 2026 08:00:00 GMT\r\n"
	    "content-type: text/event-stream; charset=utf-8\r\n"
	    "transfer-encoding: chunked\r\n"
	    "connection: keep-alive\r\n"
	    "x-request-id: req_%016" PRIx64 "\r\n"
	    "openai-processing-ms: %d\r\n"
	    "openai-version: 2020-10-01\r\n"
	    "x-codex-primary-used-percent: 1.0\r\n"
	    "x-codex-primary-window-minutes: 300\r\n"
	    "x-codex-primary-reset-after-seconds: 1800\r\n"
	    "x-codex-secondary-used-percent: 2.0\r\n"
	    "x-codex-secondary-window-minutes: 10080\r\n"
	    "x-codex-secondary-reset-after-seconds: 86400\r\n"
	    "cache-control: no-cache\r\n"
	    "strict-transport-security: max-age=31536000; includeSubDomains; "
	    "preload\r\n"
	    "cf-ray: %016" PRIx64 "-CDG\r\n"
	    "server: cloudflare\r\n\r\n", rng(), (int)rnd(80, 400), rng());
	r->head_len = r->bytes.len;

	base_response(&f, id, "in_progress", "[]", "null", session);
	emit(r, "response.created", f.p, 0);
	emit(r, "response.in_progress", f.p, US(rnd(50, 400)));

	/* Reasoning with a streamed summary. */
	f.len = 0;
	sb_printf(&f, "\"output_index\":0,\"item\":{\"id\":\"%s\",\"type\":"
	    "\"reasoning\",\"summary\":[]}", rs_id);
	emit(r, "response.output_item.added", f.p, MS(rnd(100, 900)));
	f.len = 0;
	sb_printf(&f, "\"item_id\":\"%s\",\"output_index\":0,"
	    "\"summary_index\":0,\"part\":{\"type\":\"summary_text\","
	    "\"text\":\"\"}", rs_id);
	emit(r, "response.reasoning_summary_part.added", f.p, US(rnd(50, 300)));
	int nsum = (int)rnd(4, 8);
	sb_str(&text, "**Inspecting the failing test**\n\n");
	for (int i = 0; i < nsum; i++) {
		size_t from = text.len;
		for (int k = (int)rnd(2, 5); k > 0; k--) {
			sb_add(&text, " ", 1);
			sb_str(&text, words[rng() % NWORDS]);
		}
		f.len = 0;
		sb_printf(&f, "\"item_id\":\"%s\",\"output_index\":0,"
		    "\"summary_index\":0,\"delta\":", rs_id);
		sb_jstr(&f, i ? text.p + from : text.p, text.len -
		    (i ? from : 0));
		emit(r, "response.reasoning_summary_text.delta", f.p,
		    MS(rnd(10, 40)));
	}
	f.len = 0;
	sb_printf(&f, "\"item_id\":\"%s\",\"output_index\":0,"
	    "\"summary_index\":0,\"text\":", rs_id);
	sb_jstr(&f, text.p, text.len);
	emit(r, "response.reasoning_summary_text.done", f.p, US(rnd(100, 900)));
	f.len = 0;
	sb_printf(&f, "\"item_id\":\"%s\",\"output_index\":0,"
	    "\"summary_index\":0,\"part\":{\"type\":\"summary_text\","
	    "\"text\":", rs_id);
	sb_jstr(&f, text.p, text.len);
	sb_str(&f, "}");
	emit(r, "response.reasoning_summary_part.done", f.p, US(rnd(50, 300)));
	sb_printf(&rs_item, "{\"id\":\"%s\",\"type\":\"reasoning\","
	    "\"summary\":[{\"type\":\"summary_text\",\"text\":", rs_id);
	sb_jstr(&rs_item, text.p, text.len);
	sb_str(&rs_item, "}],\"encrypted_content\":\"gAAAAB");
	b64ish(&rs_item, (size_t)rnd(800, 2400));
	sb_str(&rs_item, "\"}");
	f.len = 0;
	sb_printf(&f, "\"output_index\":0,\"item\":%s", rs_item.p);
	emit(r, "response.output_item.done", f.p, MS(rnd(5, 60)));

	const char *usage;
	sb_add(&out, "[", 1);
	sb_add(&out, rs_item.p, rs_item.len);
	sb_add(&out, ",", 1);
	if (n % 3 != 2) {
		/* A function call, its arguments streamed in small pieces. */
		char call[40];
		struct sb args = { 0 }, item = { 0 };
		snprintf(it_id, sizeof(it_id), "fc_%016" PRIx64, rng());
		snprintf(call, sizeof(call), "call_%016" PRIx64, rng());
		sb_printf(&args, "{\"cmd\":\"sed -n 1,%dp src/%s.c && grep -n "
		    "%s tests/test_%s.c\",\"yield_time_ms\":10000}",
		    (int)rnd(40, 400), words[rng() % NWORDS],
		    words[rng() % NWORDS], words[rng() % NWORDS]);
		f.len = 0;
		sb_printf(&f, "\"output_index\":1,\"item\":{\"id\":\"%s\","
		    "\"type\":\"function_call\",\"status\":\"in_progress\","
		    "\"arguments\":\"\",\"call_id\":\"%s\",\"name\":"
		    "\"exec_command\"}", it_id, call);
		emit(r, "response.output_item.added", f.p, MS(rnd(5, 40)));
		int left = target - r->nev - 3;
		size_t piece = args.len / (size_t)(left > 1 ? left : 1) + 1;
		for (size_t o = 0; o < args.len; o += piece) {
			size_t m = args.len - o < piece ? args.len - o : piece;
			f.len = 0;
			sb_printf(&f, "\"item_id\":\"%s\",\"output_index\":1,"
			    "\"delta\":", it_id);
			sb_jstr(&f, args.p + o, m);
			emit(r, "response.function_call_arguments.delta", f.p,
			    MS(rnd(3, 25)));
		}
		f.len = 0;
		sb_printf(&f, "\"item_id\":\"%s\",\"output_index\":1,"
		    "\"arguments\":", it_id);
		sb_jstr(&f, args.p, args.len);
		emit(r, "response.function_call_arguments.done", f.p,
		    US(rnd(100, 900)));
		sb_printf(&item, "{\"id\":\"%s\",\"type\":\"function_call\","
		    "\"status\":\"completed\",\"arguments\":", it_id);
		sb_jstr(&item, args.p, args.len);
		sb_printf(&item, ",\"call_id\":\"%s\",\"name\":"
		    "\"exec_command\"}", call);
		f.len = 0;
		sb_printf(&f, "\"output_index\":1,\"item\":%s", item.p);
		emit(r, "response.output_item.done", f.p, US(rnd(100, 900)));
		sb_add(&out, item.p, item.len);
		usage = "{\"input_tokens\":5210,\"input_tokens_details\":"
		    "{\"cached_tokens\":4864},\"output_tokens\":96,"
		    "\"output_tokens_details\":{\"reasoning_tokens\":64},"
		    "\"total_tokens\":5306}";
		free(args.p);
		free(item.p);
	} else {
		/* An assistant message, streamed a word or two at a time. */
		struct sb msg = { 0 }, part = { 0 };
		snprintf(it_id, sizeof(it_id), "msg_%016" PRIx64, rng());
		f.len = 0;
		sb_printf(&f, "\"output_index\":1,\"item\":{\"id\":\"%s\","
		    "\"type\":\"message\",\"status\":\"in_progress\","
		    "\"role\":\"assistant\",\"content\":[]}", it_id);
		emit(r, "response.output_item.added", f.p, MS(rnd(5, 40)));
		f.len = 0;
		sb_printf(&f, "\"item_id\":\"%s\",\"output_index\":1,"
		    "\"content_index\":0,\"part\":{\"type\":\"output_text\","
		    "\"annotations\":[],\"logprobs\":[],\"text\":\"\"}", it_id);
		emit(r, "response.content_part.added", f.p, US(rnd(50, 300)));
		int ndelta = target - r->nev - 4;
		for (int i = 0; i < ndelta; i++) {
			size_t from = msg.len;
			for (int k = (int)rnd(1, 3); k > 0; k--) {
				if (msg.len)
					sb_add(&msg, " ", 1);
				sb_str(&msg, words[rng() % NWORDS]);
			}
			if (rnd(0, 9) == 0)
				sb_str(&msg, ".\n\n");
			f.len = 0;
			sb_printf(&f, "\"item_id\":\"%s\",\"output_index\":1,"
			    "\"content_index\":0,\"delta\":", it_id);
			sb_jstr(&f, msg.p + from, msg.len - from);
			sb_str(&f, ",\"logprobs\":[]");
			emit(r, "response.output_text.delta", f.p,
			    MS(rnd(8, 35)));
		}
		f.len = 0;
		sb_printf(&f, "\"item_id\":\"%s\",\"output_index\":1,"
		    "\"content_index\":0,\"text\":", it_id);
		sb_jstr(&f, msg.p, msg.len);
		sb_str(&f, ",\"logprobs\":[]");
		emit(r, "response.output_text.done", f.p, US(rnd(100, 900)));
		sb_str(&part, "{\"type\":\"output_text\",\"annotations\":[],"
		    "\"logprobs\":[],\"text\":");
		sb_jstr(&part, msg.p, msg.len);
		sb_str(&part, "}");
		f.len = 0;
		sb_printf(&f, "\"item_id\":\"%s\",\"output_index\":1,"
		    "\"content_index\":0,\"part\":%s", it_id, part.p);
		emit(r, "response.content_part.done", f.p, US(rnd(50, 300)));
		struct sb item = { 0 };
		sb_printf(&item, "{\"id\":\"%s\",\"type\":\"message\","
		    "\"status\":\"completed\",\"role\":\"assistant\","
		    "\"content\":[%s]}", it_id, part.p);
		f.len = 0;
		sb_printf(&f, "\"output_index\":1,\"item\":%s", item.p);
		emit(r, "response.output_item.done", f.p, US(rnd(50, 300)));
		sb_add(&out, item.p, item.len);
		usage = "{\"input_tokens\":5980,\"input_tokens_details\":"
		    "{\"cached_tokens\":5632},\"output_tokens\":210,"
		    "\"output_tokens_details\":{\"reasoning_tokens\":96},"
		    "\"total_tokens\":6190}";
		free(msg.p);
		free(part.p);
		free(item.p);
	}
	sb_add(&out, "]", 1);
	f.len = 0;
	base_response(&f, id, "completed", out.p, usage, session);
	emit(r, "response.completed", f.p, MS(rnd(1, 20)));
	/* The terminating chunk, as its own frame. */
	r->ev = realloc(r->ev, sizeof(*r->ev) * (size_t)(r->nev + 1));
	r->ev[r->nev].off = r->bytes.len;
	sb_str(&r->bytes, "0\r\n\r\n");
	r->ev[r->nev].len = 5;
	r->ev[r->nev].gap_ns = US(rnd(50, 400));
	r->nev++;
	free(f.p);
	free(text.p);
	free(out.p);
	free(rs_item.p);
}
