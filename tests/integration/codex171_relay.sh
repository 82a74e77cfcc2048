#!/usr/bin/env bash
# The real codex 0.171.0 (npm, cached outside the repository; skipped when
# it is not installed) through `cxrec relay` to the mock upstream, in both
# logins, with no forward proxy:
#  - API key: `-c openai_base_url=http://RELAY/v1` (0.171 ignores
#    OPENAI_BASE_URL); the turn goes over the Responses WebSocket: a prewarm
#    (generate:false), the tool call, its output with previous_response_id.
#  - ChatGPT (offline auth.json): `chatgpt_base_url` and `openai_base_url`
#    both at the relay but on two origins (127.0.0.1 and localhost): codex
#    asks .../wham/accounts/check, and since the model's base is neither the
#    bootstrap origin nor the workspace origin it names, the model traffic
#    stays on openai_base_url instead of going to that https origin.
# docs/codex-protocol.md, "codex 0.171.0: what changed since 0.98.0".
# A real agent: in a loopback-only network namespace when we may make one.
# npm first (it needs the registry), then the rest on loopback only.
if [ -z "${CXREC_IN_NETNS:-}" ]; then
	CXREC_CODEX171=$("$(dirname "$0")/../../scripts/install-agent.sh" codex 0.171.0) ||
		{ echo "SKIP: codex 0.171.0 is not installed and cannot be (npm)"; exit 77; }
	export CXREC_CODEX171
fi
if [ -z "${CXREC_IN_NETNS:-}" ] && unshare -n true 2>/dev/null; then
	exec env CXREC_IN_NETNS=1 unshare -n sh -c 'ip link set lo up && exec "$0" "$@"' "$0" "$@"
fi
. "$(dirname "$0")/../lib/lib.sh"
. "$TESTS_DIR/lib/codex_env.sh"
CODEX171=${CXREC_CODEX171:-${CXREC_CACHE:-$HOME/.cache/cxrec}/codex-0.171.0/node_modules/.bin/codex}
[ -x "$CODEX171" ] || fail "codex 0.171.0 not at $CODEX171"
case "$("$CODEX171" --version 2>/dev/null)" in
"codex-cli 0.171.0") ;;
*) skip "$CODEX171 is not codex 0.171.0" ;;
esac
codex_env_setup "$WORK/env"
# 0.98.0's config.toml minus what 0.171 no longer reads the same way: the
# websocket feature flag is gone (always on for the built-in provider).
cat >"$CODEX_HOME/config.toml" <<'EOF'
check_for_update_on_startup = false
[analytics]
enabled = false
[otel]
exporter = "none"
trace_exporter = "none"
metrics_exporter = "none"
[features]
plugins = false
apps = false
remote_plugin = false
EOF
codex_block_internet
gen_certs "$WORK/certs"
start_mock "$WORK" --tls-cert "$WORK/certs/server.pem" --tls-key "$WORK/certs/server.key" --delay-ms 2
defer stop_mock
mkdir -p "$WORK/proj"
cd "$WORK/proj"
q() { jsonq "$WORK/t.jsonl" "$1"; }

# --- API key ----------------------------------------------------------------
port=$(free_port)
start_relay "$port" "$WORK/api.bin" --upstream "$MOCK_URL" --cacert "$WORK/certs/ca.pem"
KEY=sk-cxrec-test-0123456789abcdefghij
rc=0
CODEX_API_KEY=$KEY "$CODEX171" -c "openai_base_url=http://127.0.0.1:$port/v1" exec $(codex_exec_args) \
	"run the tool" >"$WORK/out.txt" 2>"$WORK/err.txt" </dev/null || rc=$?
stop_relay
[ "$rc" = 0 ] || { cat "$WORK/err.txt"; fail "codex (API key) exited $rc"; }
assert_contains "$(cat "$WORK/out.txt")" "Done: the tool printed cxrec-mock-tool-ok" "API key: the final answer"
"$CXREC" decode -f jsonl "$WORK/api.bin" >"$WORK/t.jsonl"
assert_eq "$(q 'len(x)')" 1 "API key: one exchange, the WebSocket (no spurious one after it)"
assert_eq "$(q 'x[0]["error"]')" None "API key: no error"
assert_eq "$(q '[h[1] for h in x[0]["request"]["headers"] if h[0].lower()=="openai-beta"]')" \
	"['responses_websockets=2026-02-06']" "API key: the Responses WebSocket beta header"
sent="[m['data'] for m in x[0]['websocket'] if m['dir'] == 'send' and m['opcode'] == 'text']"
assert_eq "$(q "[(m['type'], m.get('generate')) for m in $sent]")" \
	"[('response.create', False), ('response.create', None), ('response.create', None)]" \
	"API key: prewarm, turn, tool output"
assert_eq "$(q "[bool(m.get('previous_response_id')) for m in $sent]")" "[False, True, True]" \
	"API key: the turn continues the prewarm, the tool output the turn"
got="[m['data']['type'] for m in x[0]['websocket'] if m['dir'] == 'receive' and m['opcode'] == 'text']"
assert_eq "$(q "$got.count('response.completed')")" 3 "API key: three responses completed"
assert_eq "$(q "[(l.get('answer'), l.get('turn')) for l in map(__import__('json').loads, open('$MOCK_LOG')) if l.get('method') == 'WS']")" \
	"[('prewarm', 0), ('function_call:exec_command', 1), ('message:tool-ok', 2)]" "API key: the mock's answers"

# --- ChatGPT ----------------------------------------------------------------
: >"$MOCK_LOG"
codex_write_chatgpt_auth
port=$(free_port)
start_relay "$port" "$WORK/cg.bin" --upstream "$MOCK_URL" --route "/backend-api/=$MOCK_URL" \
	--route "/oauth/=$MOCK_URL" --cacert "$WORK/certs/ca.pem"
rc=0
CODEX_REFRESH_TOKEN_URL_OVERRIDE="http://127.0.0.1:$port/oauth/token" "$CODEX171" \
	-c "chatgpt_base_url=http://127.0.0.1:$port/backend-api/" \
	-c "openai_base_url=http://localhost:$port/backend-api/codex" \
	exec $(codex_exec_args) "run the tool" >"$WORK/out.txt" 2>"$WORK/err.txt" </dev/null || rc=$?
stop_relay
[ "$rc" = 0 ] || { cat "$WORK/err.txt"; fail "codex (ChatGPT) exited $rc"; }
assert_contains "$(cat "$WORK/out.txt")" "Done: the tool printed cxrec-mock-tool-ok" "ChatGPT: the final answer"
"$CXREC" decode -f jsonl "$WORK/cg.bin" >"$WORK/t.jsonl"
reqs=$(q '[e["request"]["method"]+" "+e["request"]["url"].split("?")[0] for e in x]')
assert_contains "$reqs" "'GET /backend-api/wham/accounts/check'" "ChatGPT: workspace routing asked through the relay"
assert_contains "$reqs" "'GET /backend-api/codex/models'" "ChatGPT: models through the relay"
assert_contains "$reqs" "'GET /backend-api/codex/responses'" "ChatGPT: the WebSocket through the relay"
assert_eq "$(q 'sum(1 for e in x if e["error"])')" 0 "ChatGPT: no errors"
assert_eq "$(q '[h[1] for e in x if e["request"]["url"].startswith("/backend-api/codex/responses") for h in e["request"]["headers"] if h[0].lower()=="chatgpt-account-id"]')" \
	"['[REDACTED]']" "ChatGPT: the account header on the model's socket (redacted)"
assert_eq "$(q "[len([m for m in e['websocket'] if m['dir'] == 'receive' and m['opcode'] == 'text' and m['data']['type'] == 'response.completed']) for e in x if e.get('websocket')]")" \
	"[3]" "ChatGPT: three responses completed on the socket"
assert_not_contains "$(cat "$WORK/t.jsonl")" "$CODEX_TEST_ACCESS_TOKEN" "ChatGPT: the access token redacted"
echo "codex 0.171.0 through the relay: both logins recorded"
