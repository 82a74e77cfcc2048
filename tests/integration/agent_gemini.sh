#!/usr/bin/env bash
# agent_gemini: the real Gemini CLI 0.61.0 (node) under a plain `cxrec run`,
# inside a loopback-only network namespace, against the project's Gemini
# mock over HTTPS: the router's generateContent call, then two
# streamGenerateContent turns with the run_shell_command round trip; the
# API key (x-goog-api-key, AIza...) nowhere in any output.
TESTS_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
. "$TESTS_DIR/lib/agents_env.sh"
# npm first (it needs the registry), then the rest on loopback only.
GEMINI=$(gemini_install) || { echo "SKIP: Gemini CLI $GEMINI_VERSION is not installed and cannot be (npm)"; exit 77; }
if ! agents_netns_reexec "$0" "$@"; then
	echo "SKIP: $AGENTS_NETNS_WHY"
	exit 77
fi
. "$TESTS_DIR/lib/lib.sh"
. "$TESTS_DIR/lib/agent_check.sh"
CXREC_NO_MOCK_TRAP=1
command -v node >/dev/null || skip "node is not installed (Gemini CLI needs it)"
gen_certs "$WORK/certs"
dir=$WORK/g
start_gemini_mock "$dir" --tls-cert "$WORK/certs/server.pem" --tls-key "$WORK/certs/server.key"
defer stop_gemini_mock
(
	gemini_env_setup "$dir"
	export GEMINI_API_KEY=$GEMINI_TEST_API_KEY
	agents_block_internet
	cd "$AGENT_PROJECT"
	# shellcheck disable=SC2046
	timeout 120 "$CXREC" run --upstream "$GEMINI_MOCK_URL" --cacert "$WORK/certs/ca.pem" \
		-o "$dir/trace.bin" -- "$GEMINI" $(gemini_headless_args) "run the tool" \
		>"$dir/out" 2>"$dir/err" </dev/null
) || { cat "$dir/err"; fail "gemini under cxrec run exited $?"; }
assert_contains "$(cat "$dir/out")" "Done: the tool printed cxrec-mock-tool-ok." "the final answer"
assert_contains "$(cat "$dir/err")" "gemini 0.61.0 reached by GOOGLE_GEMINI_BASE_URL" "recognised and pointed"
assert_contains "$(jsonq "$GEMINI_MOCK_LOG" '" ".join(e["answer"] for e in x)')" \
	"function_call:run_shell_command final:tool-ok" "the tool round trip, through cxrec"
"$CXREC" decode -f jsonl -o "$dir/t.jsonl" "$dir/trace.bin"
assert_contains "$(jsonq "$dir/t.jsonl" '[url(e) for e in x]')" ":generateContent" "the router's call"
assert_eq "$(jsonq "$dir/t.jsonl" 'len([e for e in x if ":streamGenerateContent?alt=sse" in url(e)])')" 2 "both turns"
assert_contains "$(jsonq "$dir/t.jsonl" '[list(ev["data"]["candidates"][0]["content"]["parts"][0]) for e in x if "stream" in url(e) for ev in e["response"]["sse"]]')" \
	"functionCall" "the function call's event decoded"
check_trace "$dir/trace.bin" "$GEMINI_MOCK_LOG" "$GEMINI_TEST_API_KEY" "${GEMINI_TEST_API_KEY:8}"
check_conversation "$dir/trace.bin" gemini run_shell_command
save_trace "$dir/trace.bin" gemini-0.61.0
# the call the model made is not shown again as new input when gemini-cli
# sends it back with an id of its own
assert_not_contains "$("$CXREC" decode -f conversation "$dir/trace.bin")" ">> call run_shell_command" \
	"conversation: the call shown once"
echo "gemini under cxrec run: recorded"
