#!/usr/bin/env bash
# The official `openai` npm SDK (tests/lib/peers/sdk_client.js) through `cxrec relay`
# to the mock upstream: a streamed Chat Completions tool round trip (tool
# call deltas, usage chunk, [DONE]), the same without streaming, and a
# streamed Responses call; decode shows the five exchanges and their
# streams.
if [ -z "${CXREC_IN_NETNS:-}" ] && unshare -n true 2>/dev/null; then
	# npm first (it needs the registry), then the rest on loopback only.
	MODS=$("$(dirname "$0")/../../scripts/install-npm.sh" openai "${CXREC_OPENAI_SDK_VERSION:-7.60.0}") ||
		{ echo "FAIL: cannot install the openai SDK from npm" >&2; exit 1; }
	exec env CXREC_IN_NETNS=1 CXREC_SDK_MODS="$MODS" unshare -n sh -c 'ip link set lo up && exec "$0" "$@"' "$0" "$@"
fi
. "$(dirname "$0")/../lib/lib.sh"
MODS=${CXREC_SDK_MODS:-}
[ -n "$MODS" ] || MODS=$("$REPO/scripts/install-npm.sh" openai "${CXREC_OPENAI_SDK_VERSION:-7.60.0}") ||
	fail "cannot install the openai SDK from npm"
mock_https --delay-ms 1
codex_block_internet
port=$(free_port)
start_relay "$port" "$WORK/trace.bin" --upstream "$MOCK_URL" --cacert "$WORK/certs/ca.pem"
KEY=sk-cxrec-sdk-0123456789abcdefghij
out=$(NODE_PATH=$MODS OPENAI_BASE_URL="http://127.0.0.1:$port/v1" OPENAI_API_KEY=$KEY \
	NODE_EXTRA_CA_CERTS="$WORK/certs/ca.pem" node "$TESTS_DIR/lib/peers/sdk_client.js" 2>"$WORK/err.txt") ||
	{ cat "$WORK/err.txt"; fail "sdk_client.js exited $?"; }
stop_relay
assert_contains "$out" "chat-stream: Done: the tool printed cxrec-mock-tool-ok." "streamed Chat Completions round trip"
assert_contains "$out" "chat: Done: the tool printed cxrec-mock-tool-ok." "Chat Completions round trip"
assert_contains "$out" "responses-stream: Hello from the cxrec mock upstream" "streamed Responses call"

"$CXREC" decode -f jsonl "$WORK/trace.bin" >"$WORK/t.jsonl"
q() { jsonq "$WORK/t.jsonl" "$1"; }
assert_eq "$(q '[e["request"]["url"] for e in x]')" \
	"['/v1/chat/completions', '/v1/chat/completions', '/v1/chat/completions', '/v1/chat/completions', '/v1/responses']" \
	"five exchanges"
assert_eq "$(q '[e["error"] for e in x]')" "[None, None, None, None, None]" "no errors"
assert_eq "$(q '[e["response"]["sse"][-1]["data"] for e in x[:2]]')" "['[DONE]', '[DONE]']" \
	"the chat streams end with [DONE]"
assert_eq "$(q 'x[0]["response"]["sse"][-2]["data"]["usage"]["total_tokens"]')" 144 \
	"the usage chunk before it"
assert_eq "$(q 'x[2]["response"]["body"]["choices"][0]["finish_reason"]')" tool_calls "a tool call, not streamed"
assert_eq "$(q 'x[4]["response"]["sse"][-1]["event"]')" response.completed "the Responses stream completed"
assert_not_contains "$(cat "$WORK/t.jsonl")" "$KEY" "the key redacted"


# The same client under a plain `cxrec run`: not an agent cxrec knows, so
# the generic module points OPENAI_BASE_URL (and ANTHROPIC_BASE_URL) at the
# relay and HTTPS_PROXY at its forward proxy; the client needs nothing else.
out=$(env -u OPENAI_BASE_URL NODE_PATH=$MODS OPENAI_API_KEY=$KEY NODE_EXTRA_CA_CERTS="$WORK/certs/ca.pem" \
	"$CXREC" run --upstream "$MOCK_URL" --cacert "$WORK/certs/ca.pem" -o "$WORK/run.bin" -- \
	node "$TESTS_DIR/lib/peers/sdk_client.js" 2>"$WORK/err.txt") || { cat "$WORK/err.txt"; fail "cxrec run node exited $?"; }
assert_contains "$out" "chat-stream: Done: the tool printed cxrec-mock-tool-ok." "run: streamed Chat Completions round trip"
assert_contains "$out" "responses-stream: Hello from the cxrec mock upstream" "run: streamed Responses call"
assert_contains "$(cat "$WORK/err.txt")" "generic (not an agent cxrec knows" "run: the generic module, said"
"$CXREC" decode -f jsonl "$WORK/run.bin" >"$WORK/r.jsonl"
assert_eq "$(jsonq "$WORK/r.jsonl" '[(e["source"], url(e), e["error"]) for e in x]')" \
	"[('relay', '/v1/chat/completions', None), ('relay', '/v1/chat/completions', None), ('relay', '/v1/chat/completions', None), ('relay', '/v1/chat/completions', None), ('relay', '/v1/responses', None)]" \
	"run: the five exchanges through the relay"
for f in text jsonl md har conversation; do
	assert_not_contains "$("$CXREC" decode -f $f "$WORK/run.bin")" "$KEY" "run: decode -f $f: the key redacted"
done
conv=$("$CXREC" decode -f conversation "$WORK/run.bin")
assert_contains "$conv" "  chat  (exchange #" "conversation: Chat Completions turns"
assert_contains "$conv" "<< call run_command (call_mock_" "conversation: the streamed call, its arguments merged"
assert_contains "$conv" "echo cxrec-mock-tool-ok" "conversation: the call's arguments"
assert_contains "$conv" ">> tool output run_command (call_mock_" "conversation: the tool result linked to its call"
assert_contains "$conv" "Done: the tool printed cxrec-mock-tool-ok." "conversation: the answer"
assert_contains "$conv" "usage: input 120 (cached 0), output 24 (reasoning 0), total 144" "conversation: the usage chunk read"
assert_not_contains "$conv" "[DONE]" "conversation: [DONE] is the stream's end, not an item"
echo "openai SDK under cxrec run: recorded"
