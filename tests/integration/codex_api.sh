#!/usr/bin/env bash
# The real codex 0.98.0 logged in with an API key, recorded through
# `cxrec run` against the mock upstream over HTTPS: both turns, their SSE
# events, the tool output in turn 2, the right upstream, no secret shown.
# codex from npm first, then the rest in a loopback-only namespace (as root).
"$(dirname "$0")/../../scripts/install-codex.sh" >/dev/null || { echo "SKIP: codex 0.98.0 cannot be installed (npm)"; exit 77; }
. "$(dirname "$0")/../lib/agents_env.sh"
agents_netns_try "$0" "$@"
. "$(dirname "$0")/../lib/lib.sh"
. "$TESTS_DIR/lib/codex_common.sh"
. "$TESTS_DIR/lib/agent_check.sh"

KEY=sk-cxrec-test-0123456789abcdefghij
rc=0
CODEX_API_KEY=$KEY "$CXREC" run --upstream "$MOCK_URL" --cacert "$WORK/certs/ca.pem" \
	-o "$WORK/trace.bin" -- "$CODEX" exec $(codex_exec_args) "run the tool" \
	>"$WORK/out.txt" 2>"$WORK/err.txt" </dev/null || rc=$?
[ "$rc" = 0 ] || { cat "$WORK/err.txt"; fail "codex exited $rc"; }
ok "codex finished"
assert_contains "$(cat "$WORK/out.txt")" "Done: the tool printed cxrec-mock-tool-ok" "codex printed the final answer"
assert_contains "$(cat "$WORK/err.txt")" "cxrec: 2 exchanges" "summary counts both turns"
assert_contains "$(cat "$WORK/err.txt")" "login: api (CODEX_API_KEY is set)" "summary names API-key mode"

"$CXREC" decode --format jsonl "$WORK/trace.bin" >"$WORK/t.jsonl"
assert_eq "$(q 'len(x)')" 2 "two exchanges"
assert_eq "$(q '[e["request"]["method"]+" "+e["request"]["url"] for e in x]')" \
	"['POST /v1/responses', 'POST /v1/responses']" "both turns are POST /v1/responses"
assert_eq "$(q 'set(e["request"]["upstream"] for e in x)')" "{'$MOCK_URL/v1/responses'}" "upstream URL"
assert_eq "$(q '[e["response"]["status"] for e in x]')" "[200, 200]" "statuses"
assert_eq "$(q 'all(e["error"] is None for e in x)')" True "no errors"
assert_eq "$(q 'x[0]["source"]')" relay "source"
# SSE events of both turns, in order, with times.
ev='[s["event"] for s in x[%d]["response"]["sse"]]'
assert_eq "$(q "${ev/\%d/0}[0]")" response.created "turn 1 starts with response.created"
assert_eq "$(q "${ev/\%d/0}[-1]")" response.completed "turn 1 ends with response.completed"
assert_eq "$(q "${ev/\%d/1}[-1]")" response.completed "turn 2 ends with response.completed"
assert_eq "$(q "'response.output_text.delta' in ${ev/\%d/1}")" True "turn 2 streams text deltas"
assert_eq "$(q 'all(b["t_ms"] >= a["t_ms"] for e in x for a, b in zip(e["response"]["sse"], e["response"]["sse"][1:]))')" True "event times are ordered"
# Turn 1 asks for exec_command; turn 2 sends its output back.
assert_eq "$(q '[s["data"]["item"]["name"] for s in x[0]["response"]["sse"] if s["event"]=="response.output_item.done" and s["data"]["item"]["type"]=="function_call"]')" \
	"['exec_command']" "turn 1: exec_command function call"
assert_eq "$(q '[i["output"].count("cxrec-mock-tool-ok") > 0 for i in x[1]["request"]["body"]["input"] if i.get("type")=="function_call_output"]')" \
	"[True]" "turn 2 request carries the tool output"
assert_eq "$(q 'x[1]["response"]["sse"][-1]["data"]["response"]["usage"]["output_tokens"] > 0')" True "usage in response.completed"
# Secrets: redacted by default, shown with --no-redact.
all=$(cat "$WORK/t.jsonl"; "$CXREC" decode "$WORK/trace.bin")
assert_not_contains "$all" "$KEY" "API key not shown"
assert_contains "$all" "Bearer [REDACTED]" "authorization redacted"
assert_contains "$("$CXREC" decode --no-redact --format jsonl "$WORK/trace.bin")" "$KEY" "--no-redact shows the key"
# The mock saw the relay's rewritten Host and codex's own headers.
assert_eq "$(jsonq "$MOCK_LOG" '[dict((k.lower(),v) for k,v in e["headers"])["host"] for e in x]')" \
	"['127.0.0.1:$MOCK_PORT', '127.0.0.1:$MOCK_PORT']" "upstream got its own Host header"
assert_eq "$(jsonq "$MOCK_LOG" 'sum(1 for e in x if dict((k.lower(),v) for k,v in e["headers"]).get("authorization")=="Bearer '"$KEY"'")')" 2 "authorization forwarded"
# The note records the run.
assert_contains "$("$CXREC" decode "$WORK/trace.bin" | head -20)" "login" "text header shows the run note"
# Every request the mock saw is in the trace, no error, no credential in
# any output format.
check_trace "$WORK/trace.bin" "$MOCK_LOG" "$KEY" "${KEY:12}"
check_conversation "$WORK/trace.bin" responses exec_command
save_trace "$WORK/trace.bin" codex-0.98.0
echo "codex API-key run recorded and decoded"
