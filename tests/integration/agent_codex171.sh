#!/usr/bin/env bash
# agent_codex171: the real codex 0.171.0 (npm) under a plain `cxrec run`,
# inside a loopback-only network namespace, against the project's OpenAI
# mock over HTTPS, in both logins:
#  - API key: cxrec gives it `-c openai_base_url` (it ignores
#    OPENAI_BASE_URL); the turn goes over the Responses WebSocket through
#    the relay; what it sends elsewhere goes through cxrec's forward proxy.
#  - ChatGPT: `-c chatgpt_base_url` at the relay; accounts/check names the
#    workspace origin https://chatgpt.com, and codex sends its models
#    calls, the WebSocket and its metrics there directly, through
#    HTTPS_PROXY: cxrec's proxy (its per-run CA given by
#    CODEX_CA_CERTIFICATE) records them, --map-host sending chatgpt.com to
#    the mock.
# Each: the tool round trip completes, every request the mock saw is in the
# trace, no exchange is an error, no credential in any output.
# npm first (it needs the registry), then the rest on loopback only.
if [ -z "${CXREC_IN_NETNS:-}" ]; then
	CXREC_CODEX171=$("$(dirname "$0")/../../scripts/install-agent.sh" codex 0.171.0) ||
		{ echo "SKIP: codex 0.171.0 is not installed and cannot be (npm)"; exit 77; }
	export CXREC_CODEX171
	. "$(dirname "$0")/../lib/agents_env.sh"
	agents_netns_ok || { echo "SKIP: $AGENTS_NETNS_WHY"; exit 77; }
	exec env CXREC_IN_NETNS=1 unshare -n sh -c 'ip link set lo up && exec "$0" "$@"' "$0" "$@"
fi
. "$(dirname "$0")/../lib/lib.sh"
. "$TESTS_DIR/lib/codex_env.sh"
. "$TESTS_DIR/lib/agent_check.sh"
CODEX=$CXREC_CODEX171
CXREC_NO_MOCK_TRAP=1
gen_certs "$WORK/certs"
mkdir -p "$WORK/proj"

# run_codex DIR LOGIN: the session; its trace in DIR/trace.bin
run_codex() {
	local dir=$1 login=$2 rc=0
	start_mock "$dir" --tls-cert "$WORK/certs/server.pem" --tls-key "$WORK/certs/server.key"
	(
		codex_env_setup "$dir/env"
		# as a user has it: nothing of the 0.98-era test config
		echo 'check_for_update_on_startup = false' >"$CODEX_HOME/config.toml"
		unset CODEX_REFRESH_TOKEN_URL_OVERRIDE
		codex_block_internet
		if [ "$login" = chatgpt ]; then
			# an access token that expires in a minute: codex
			# refreshes it first, through the relay
			codex_write_chatgpt_auth acct-test-123 0 60
			echo "$CODEX_TEST_ACCESS_TOKEN" >"$dir/access_token"
		else
			export CODEX_API_KEY=$KEY
		fi
		cd "$WORK/proj"
		timeout 90 "$CXREC" run --upstream "$MOCK_URL" --route "/backend-api/=$MOCK_URL" \
			--route "/oauth/=$MOCK_URL" --map-host "chatgpt.com=$MOCK_URL" \
			--map-host "ab.chatgpt.com=$MOCK_URL" --cacert "$WORK/certs/ca.pem" \
			-o "$dir/trace.bin" -- "$CODEX" exec $(codex_exec_args) "run the tool" \
			>"$dir/out" 2>"$dir/err" </dev/null
	) || rc=$?
	stop_mock
	[ "$rc" = 0 ] || { cat "$dir/err"; fail "$login: codex under cxrec run exited $rc"; }
	assert_contains "$(cat "$dir/out")" "Done: the tool printed cxrec-mock-tool-ok." "$login: the final answer"
	"$CXREC" decode -f jsonl -o "$dir/t.jsonl" "$dir/trace.bin"
}

KEY=sk-cxrec-test-c171-0123456789abcdefghij
# codex syncs its plugin marketplace from GitHub: not an OpenAI host, so
# tunnelled, and unreachable in the namespace (the failure is real).
export CHECK_ALLOW_ERRORS='^(api\.)?github\.com:443$'
d=$WORK/api
run_codex "$d" api
assert_contains "$(cat "$d/err")" "codex 0.171.0 reached by -c openai_base_url and HTTPS_PROXY, login: api" \
	"api: recognised, pointed by the config key"
ws='[e for e in x if e.get("websocket")]'
assert_eq "$(jsonq "$d/t.jsonl" "[(e['source'], url(e)) for e in $ws]")" "[('relay', '/v1/responses')]" \
	"api: the WebSocket through the relay"
assert_eq "$(jsonq "$d/t.jsonl" "[m['data']['type'] for m in $ws[0]['websocket'] if m['dir'] == 'send' and m['opcode'] == 'text']")" \
	"['response.create', 'response.create', 'response.create']" "api: prewarm, turn, tool output"
assert_contains "$(jsonq "$d/t.jsonl" "[m['data']['item']['name'] for m in $ws[0]['websocket'] if m['dir'] == 'receive' and m['opcode'] == 'text' and m['data']['type'] == 'response.output_item.done' and m['data']['item']['type'] == 'function_call']")" \
	"exec_command" "api: the tool call"
check_trace "$d/trace.bin" "$MOCK_LOG" "$KEY" "${KEY:12}"
check_conversation "$d/trace.bin" responses exec_command
save_trace "$d/trace.bin" codex-0.171.0

d=$WORK/chatgpt
run_codex "$d" chatgpt
token=$(cat "$d/access_token")
assert_contains "$(cat "$d/err")" "codex 0.171.0 reached by -c chatgpt_base_url" "chatgpt: recognised and pointed"
grep -qE "exchanges through the relay, [1-9][0-9]* of them through its proxy \(" "$d/err" ||
	fail "chatgpt: the summary counts the proxy's: $(cat "$d/err")"
ok "chatgpt: the summary counts the proxy's"
q() { jsonq "$d/t.jsonl" "$1"; }
assert_eq "$(q '[(e["source"], e["response"]["status"]) for e in x if url(e).startswith("/backend-api/wham/accounts/check")]')" \
	"[('relay', 200)]" "chatgpt: accounts/check through the relay"
assert_contains "$(q '[(e["source"], url(e).split("?")[0]) for e in x]')" "('proxy', '/backend-api/codex/models')" \
	"chatgpt: the workspace origin's models call through the proxy"
assert_eq "$(q "[(e['source'], url(e), e['request']['upstream']) for e in $ws]")" \
	"[('proxy', '/backend-api/codex/responses', 'https://chatgpt.com/backend-api/codex/responses')]" \
	"chatgpt: the WebSocket to https://chatgpt.com through the proxy"
assert_eq "$(q "len([m for m in $ws[0]['websocket'] if m['dir'] == 'receive' and m['opcode'] == 'text' and m['data']['type'] == 'response.completed'])")" \
	3 "chatgpt: every response completed"
assert_contains "$(q '[url(e) for e in x if e["source"] == "relay"]')" "analytics-events" \
	"chatgpt: analytics recorded"
assert_eq "$(q '[(e["source"], e["response"]["status"]) for e in x if url(e) == "/oauth/token"]')" "[('relay', 200)]" \
	"chatgpt: the token refresh through the relay"
# the token codex sent after its refresh, as the mock received it
sent=$(jsonq "$MOCK_LOG" '[a for a in (dict((k.lower(), v) for k, v in e.get("headers") or []).get("authorization") for e in x) if a][-1]')
sent=${sent#Bearer }
[ "${#sent}" -gt 40 ] || fail "chatgpt: no access token seen upstream"
check_trace "$d/trace.bin" "$MOCK_LOG" "$token" "${token:40:30}" "$sent" rt-cxrec-test-refresh-token
check_conversation "$d/trace.bin" responses exec_command
assert_contains "$("$CXREC" decode -f text "$d/trace.bin" | grep -m1 '"HTTPS_PROXY"')" 'cxrec:***@127.0.0.1' \
	"the run note names the proxy without its token"
grep -qaE 'cxrec:[0-9a-f]{32}' "$d/trace.bin" && fail "the proxy's token is in the trace file"
ok "no proxy token in the trace file"
echo "codex 0.171.0 under cxrec run: both logins recorded"
