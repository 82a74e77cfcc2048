#!/usr/bin/env bash
# agent_claude: the real Claude Code 2.1.332 (a native Bun binary) under a
# plain `cxrec run`, inside a loopback-only network namespace, against the
# project's Anthropic mock over HTTPS: with an API key and with an OAuth
# token it completes the tool round trip (Bash runs echo, the result goes
# back, the final text prints); the trace holds both Messages calls and
# their events, and no output shows the key or the token.
TESTS_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
. "$TESTS_DIR/lib/agents_env.sh"
# npm first (it needs the registry), then the rest on loopback only.
CLAUDE=$(claude_install) || { echo "SKIP: Claude Code $CLAUDE_VERSION is not installed and cannot be (npm)"; exit 77; }
if ! agents_netns_reexec "$0" "$@"; then
	echo "SKIP: $AGENTS_NETNS_WHY"
	exit 77
fi
. "$TESTS_DIR/lib/lib.sh"
. "$TESTS_DIR/lib/agent_check.sh"
CXREC_NO_MOCK_TRAP=1
gen_certs "$WORK/certs"
TLS=(--tls-cert "$WORK/certs/server.pem" --tls-key "$WORK/certs/server.key")

for mode in api-key oauth; do
	dir=$WORK/$mode
	start_anthropic_mock "$dir" "${TLS[@]}"
	defer stop_anthropic_mock
	(
		claude_env_setup "$dir"
		# the agent's own settings, as a user has them: cxrec points it
		claude_use_mock "https://api.anthropic.com" "" "$mode"
		unset ANTHROPIC_BASE_URL
		agents_block_internet
		cd "$AGENT_PROJECT"
		# shellcheck disable=SC2046
		timeout 90 "$CXREC" run --upstream "$ANTHROPIC_MOCK_URL" --cacert "$WORK/certs/ca.pem" \
			-o "$dir/trace.bin" -- "$CLAUDE" $(claude_headless_args) "run the tool" \
			>"$dir/out" 2>"$dir/err" </dev/null
	) || { cat "$dir/err"; fail "$mode: claude under cxrec run exited $?"; }
	assert_contains "$(cat "$dir/out")" "Done: the tool printed cxrec-mock-tool-ok." "$mode: the final answer"
	assert_contains "$(cat "$dir/err")" "claude 2.1.332 reached by ANTHROPIC_BASE_URL" "$mode: recognised and pointed"
	assert_eq "$(jsonq "$ANTHROPIC_MOCK_LOG" '" ".join(e["answer"] for e in x)')" \
		"tool_use:Bash final:tool-ok" "$mode: the tool round trip, through cxrec"
	"$CXREC" decode -f jsonl -o "$dir/t.jsonl" "$dir/trace.bin"
	assert_eq "$(jsonq "$dir/t.jsonl" '[url(e) for e in x]')" \
		"['/v1/messages?beta=true', '/v1/messages?beta=true']" "$mode: both Messages calls"
	assert_eq "$(jsonq "$dir/t.jsonl" '[ev["event"] for ev in x[0]["response"]["sse"]][0]')" "message_start" \
		"$mode: the stream's events decoded"
	assert_contains "$(jsonq "$dir/t.jsonl" '[ev["event"] for ev in x[0]["response"]["sse"]]')" "message_stop" \
		"$mode: to message_stop"
	secret=$CLAUDE_TEST_API_KEY
	[ "$mode" = oauth ] && secret=$CLAUDE_TEST_OAUTH_TOKEN
	check_trace "$dir/trace.bin" "$ANTHROPIC_MOCK_LOG" "$secret" "${secret:10}"
	check_conversation "$dir/trace.bin" anthropic Bash
	[ "$mode" = api-key ] && save_trace "$dir/trace.bin" claude-2.1.332
	stop_anthropic_mock
done

# Its other calls (feature flags, bootstrap, event logging) go to
# api.anthropic.com whatever ANTHROPIC_BASE_URL says: through cxrec's
# forward proxy, whose CA it takes from NODE_EXTRA_CA_CERTS (--map-host
# sends them to the mock).
dir=$WORK/side
start_anthropic_mock "$dir" "${TLS[@]}"
(
	claude_env_setup "$dir"
	unset CLAUDE_CODE_DISABLE_NONESSENTIAL_TRAFFIC
	claude_use_mock "https://api.anthropic.com" "" api-key
	unset ANTHROPIC_BASE_URL
	agents_block_internet
	cd "$AGENT_PROJECT"
	# shellcheck disable=SC2046
	timeout 90 "$CXREC" run --upstream "$ANTHROPIC_MOCK_URL" --map-host "api.anthropic.com=$ANTHROPIC_MOCK_URL" \
		--cacert "$WORK/certs/ca.pem" -o "$dir/trace.bin" -- "$CLAUDE" $(claude_headless_args) "run the tool" \
		>"$dir/out" 2>"$dir/err" </dev/null
) || { cat "$dir/err"; fail "side: claude under cxrec run exited $?"; }
assert_contains "$(cat "$dir/out")" "Done: the tool printed cxrec-mock-tool-ok." "side: the final answer"
"$CXREC" decode -f jsonl -o "$dir/t.jsonl" "$dir/trace.bin"
assert_eq "$(jsonq "$dir/t.jsonl" 'sorted(set((e["source"], url(e).split("?")[0]) for e in x if url(e).startswith("/v1/messages")))')" \
	"[('relay', '/v1/messages')]" "side: the Messages calls through the relay"
assert_contains "$(jsonq "$dir/t.jsonl" '[(e["source"], e["request"]["upstream"]) for e in x if e["source"] == "proxy"]')" \
	"https://api.anthropic.com/api/" "side: its api.anthropic.com calls through the proxy"
check_trace "$dir/trace.bin" "$ANTHROPIC_MOCK_LOG" "$CLAUDE_TEST_API_KEY" "${CLAUDE_TEST_API_KEY:10}"
stop_anthropic_mock
echo "claude under cxrec run: recorded, both logins, its other calls through the proxy"
