#!/usr/bin/env bash
# codex 0.98.0 over the Responses API's WebSocket transport
# (`--enable responses_websockets`), through `cxrec run` to the mock
# upstream (which speaks it too, over TLS): codex completes without
# falling back to HTTP, and decode shows both turns on the one socket:
# response.create, response.append with the tool's output, the tool call,
# both response.completed.
. "$(dirname "$0")/../lib/lib.sh"
. "$TESTS_DIR/lib/codex_common.sh"

KEY=sk-cxrec-test-0123456789abcdefghij
rc=0
CODEX_API_KEY=$KEY "$CXREC" run --upstream "$MOCK_URL" --cacert "$WORK/certs/ca.pem" \
	-o "$WORK/trace.bin" -- "$CODEX" exec --enable responses_websockets $(codex_exec_args) \
	"run the tool" >"$WORK/out.txt" 2>"$WORK/err.txt" </dev/null || rc=$?
[ "$rc" = 0 ] || { cat "$WORK/err.txt"; fail "codex exited $rc"; }
assert_contains "$(cat "$WORK/out.txt")" "Done: the tool printed cxrec-mock-tool-ok" "codex printed the final answer"
assert_not_contains "$(cat "$WORK/err.txt")" "Falling back" "no fallback to HTTP"
"$CXREC" decode -f jsonl "$WORK/trace.bin" >"$WORK/t.jsonl"
wsq='[e for e in x if e.get("websocket")]'
assert_eq "$(q "len($wsq)")" 1 "one WebSocket exchange"
assert_eq "$(q "$wsq[0]['request']['headers'] and [h[1] for h in $wsq[0]['request']['headers'] if h[0].lower() == 'upgrade']")" "['websocket']" "an upgrade request"
sent="[m['data']['type'] for m in $wsq[0]['websocket'] if m['dir'] == 'send' and m['opcode'] == 'text']"
assert_eq "$(q "$sent")" "['response.create', 'response.append']" "response.create, then response.append"
got="[m['data']['type'] for m in $wsq[0]['websocket'] if m['dir'] == 'receive' and m['opcode'] == 'text']"
assert_eq "$(q "$got.count('response.completed')")" 2 "both turns completed"
assert_eq "$(q "[m['data']['item']['name'] for m in $wsq[0]['websocket'] if m['dir'] == 'receive' and m['opcode'] == 'text' and m['data']['type'] == 'response.output_item.done' and m['data']['item']['type'] == 'function_call']")" \
	"['exec_command']" "the tool call"
assert_eq "$(q "[any('cxrec-mock-tool-ok' in (i.get('output') or '') for i in m['data'].get('input', [])) for m in $wsq[0]['websocket'] if m['dir'] == 'send' and m['opcode'] == 'text'][1]")" \
	True "response.append carries the tool's output"
assert_not_contains "$(cat "$WORK/t.jsonl")" "$KEY" "the key redacted"

# The conversation view and the report treat the socket's turns as turns.
conv=$("$CXREC" decode -f conversation "$WORK/trace.bin")
assert_contains "$conv" "== Turn 2" "conversation: both turns"
# response.append names no model: the turn takes the one its response names
assert_eq "$(printf '%s\n' "$conv" | grep -c '^== Turn [12] .* (unknown model) ')" 0 "conversation: each turn's model known"
assert_contains "$conv" "exec_command" "conversation: the function call"
assert_contains "$conv" "cxrec-mock-tool-ok" "conversation: the tool output sent back"
assert_contains "$conv" "Done: the tool printed cxrec-mock-tool-ok." "conversation: the assembled assistant text"
"$CXREC" decode -f md -o "$WORK/r.md" "$WORK/trace.bin"
md=$(cat "$WORK/r.md")
assert_contains "$md" "### Turn 2" "report: both turns in its conversation"
assert_contains "$md" "| response.completed | 2 |" "report: the socket's events counted as event types"
assert_contains "$md" "input\\[\\].type" "report: key paths of the messages sent"
assert_not_contains "$md" "$KEY" "report: the key redacted"
echo "codex over WebSocket: recorded and decoded"
