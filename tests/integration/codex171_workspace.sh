#!/usr/bin/env bash
# codex 0.171.0 logged in with ChatGPT, chatgpt_base_url at `cxrec relay`
# and nothing else set: .../wham/accounts/check (answered by the mock with
# workspace_backend_origin https://chatgpt.com) sends the model traffic to
# that https origin directly, through HTTPS_PROXY.  mitmdump stands in for
# that forward proxy here (map-remote chatgpt.com -> the mock; codex trusts
# its CA through CODEX_CA_CERTIFICATE): the mock serves every request of
# the flow, the relay records only the chatgpt_base_url ones.  Skipped
# without codex 0.171.0 or mitmdump (Debian mitmproxy).
# npm first (it needs the registry), then the rest on loopback only.
if [ -z "${CXREC_IN_NETNS:-}" ]; then
	CXREC_CODEX171=$("$(dirname "$0")/../../scripts/install-agent.sh" codex 0.171.0) ||
		{ echo "SKIP: codex 0.171.0 is not installed and cannot be (npm)"; exit 77; }
	export CXREC_CODEX171
fi
if [ -z "${CXREC_IN_NETNS:-}" ] && unshare -n true 2>/dev/null; then
	exec env CXREC_IN_NETNS=1 unshare -n sh -c 'ip link set lo up && exec "$0" "$@"' "$0" "$@"
fi
. "$(dirname "$0")/../lib.sh"
. "$TESTS_DIR/codex_env.sh"
CODEX171=${CXREC_CODEX171:-${CXREC_CACHE:-$HOME/.cache/cxrec}/codex-0.171.0/node_modules/.bin/codex}
[ -x "$CODEX171" ] || fail "codex 0.171.0 not at $CODEX171"
command -v mitmdump >/dev/null || skip "mitmdump not installed (apt-get install mitmproxy)"
codex_env_setup "$WORK/env"
echo 'check_for_update_on_startup = false' >"$CODEX_HOME/config.toml"
codex_block_internet
gen_certs "$WORK/certs"
start_mock "$WORK" --tls-cert "$WORK/certs/server.pem" --tls-key "$WORK/certs/server.key" --delay-ms 2
defer stop_mock
codex_write_chatgpt_auth
port=$(free_port)
start_relay "$port" "$WORK/trace.bin" --upstream "$MOCK_URL" --route "/backend-api/=$MOCK_URL" \
	--route "/oauth/=$MOCK_URL" --cacert "$WORK/certs/ca.pem"
mport=$(free_port)
# HOME is the throwaway one: mitmdump makes its CA in $HOME/.mitmproxy.
mitmdump --mode regular --listen-host 127.0.0.1 --listen-port "$mport" \
	--set connection_strategy=lazy --set ssl_verify_upstream_trusted_ca="$WORK/certs/ca.pem" \
	--map-remote "|https://chatgpt.com|$MOCK_URL" --map-remote "|https://ab.chatgpt.com|$MOCK_URL" \
	>"$WORK/mitm.log" 2>&1 &
mpid=$!
defer "kill $mpid 2>/dev/null; wait $mpid 2>/dev/null"
wait_port "$mport"
for _ in $(seq 50); do [ -s "$HOME/.mitmproxy/mitmproxy-ca-cert.pem" ] && break; sleep 0.1; done
mkdir -p "$WORK/proj"
cd "$WORK/proj"
P=http://127.0.0.1:$mport
rc=0
HTTPS_PROXY=$P https_proxy=$P HTTP_PROXY=$P http_proxy=$P ALL_PROXY=$P all_proxy=$P \
	CODEX_CA_CERTIFICATE="$HOME/.mitmproxy/mitmproxy-ca-cert.pem" \
	CODEX_REFRESH_TOKEN_URL_OVERRIDE="http://127.0.0.1:$port/oauth/token" \
	"$CODEX171" -c "chatgpt_base_url=http://127.0.0.1:$port/backend-api/" exec $(codex_exec_args) \
	"run the tool" >"$WORK/out.txt" 2>"$WORK/err.txt" </dev/null || rc=$?
stop_relay
[ "$rc" = 0 ] || { cat "$WORK/err.txt"; fail "codex exited $rc"; }
assert_contains "$(cat "$WORK/out.txt")" "Done: the tool printed cxrec-mock-tool-ok" "the final answer"
answers=$(jsonq "$MOCK_LOG" 'sorted(set(e.get("answer") or "" for e in x))')
for a in accounts-check models websocket-upgrade prewarm function_call:exec_command message:tool-ok \
	settings-user plugins-empty plugins-suggested plugins-tooling-state mcp:initialize \
	mcp:tools/list analytics-events otlp-metrics; do
	assert_contains "$answers" "'$a'" "the mock answered $a"
done
assert_eq "$(jsonq "$MOCK_LOG" 'sum(1 for e in x if (e.get("status") or 200) >= 400 and e.get("status") != 405)')" 0 \
	"no request of the flow went unanswered"
"$CXREC" decode -f jsonl "$WORK/trace.bin" >"$WORK/t.jsonl"
reqs=$(jsonq "$WORK/t.jsonl" '[e["request"]["url"].split("?")[0] for e in x]')
assert_contains "$reqs" "'/backend-api/wham/accounts/check'" "the relay recorded accounts/check"
assert_not_contains "$reqs" "/backend-api/codex/responses" "the model traffic went past the relay (to the workspace origin)"
assert_contains "$(cat "$WORK/mitm.log")" "/backend-api/codex/responses" "... through the forward proxy"
echo "codex 0.171.0 ChatGPT workspace routing: the mock serves the whole flow"
