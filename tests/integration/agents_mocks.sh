#!/usr/bin/env bash
# agents_mocks: the real Claude Code 2.1.332 and Gemini CLI 0.61.0, pointed
# straight at tests/lib/mocks/mock_anthropic.py and tests/lib/mocks/mock_gemini.py (no cxrec yet),
# complete a tool round trip: the model asks for the shell tool, the agent
# runs `echo cxrec-mock-tool-ok`, sends the output back, prints the final
# text.  Claude over HTTPS with an API key and with an OAuth token, and over
# plain http; Gemini over HTTPS and plain http.  All inside a loopback-only
# network namespace, every other connection sent to a recording proxy that
# refuses it (and must see none).  Needs root and unshare -n, else skipped.
TESTS_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
. "$TESTS_DIR/lib/agents_env.sh"
# npm first (it needs the registry), then the rest on loopback only.
CLAUDE=$(claude_install) || { echo "SKIP: Claude Code $CLAUDE_VERSION is not installed and cannot be (npm)"; exit 77; }
GEMINI=$(gemini_install) || { echo "SKIP: Gemini CLI $GEMINI_VERSION is not installed and cannot be (npm)"; exit 77; }
if ! agents_netns_reexec "$0" "$@"; then
	echo "SKIP: $AGENTS_NETNS_WHY"
	exit 77
fi
. "$TESTS_DIR/lib/lib.sh"
# the helpers' own EXIT traps would replace lib.sh's: stop with defer instead
# shellcheck disable=SC2034
CXREC_NO_MOCK_TRAP=1

command -v node >/dev/null || skip "node not installed (Gemini CLI needs it)"
command -v curl >/dev/null || skip "curl not installed"

gen_certs "$WORK/certs"
CA=$WORK/certs/ca.pem
TLS=(--tls-cert "$WORK/certs/server.pem" --tls-key "$WORK/certs/server.key")
start_deny_proxy "$WORK"
defer stop_deny_proxy
MARK=cxrec-mock-tool-ok
FINAL="Done: the tool printed $MARK."

# hdr NAME: python expression of request e's header NAME ("" if absent).
hdr() { printf '(dict((k.lower(), v) for k, v in e["headers"]).get("%s") or "")' "$1"; }

# check_claude CASE LOG MODE SCHEME: the mock saw exactly the round trip.
check_claude() {
	local c=$1 log=$2 mode=$3 scheme=$4
	assert_eq "$(jsonq "$log" '" ".join(e["method"] + " " + e["path"] for e in x)')" \
		"POST /v1/messages?beta=true POST /v1/messages?beta=true" "$c: requests"
	assert_eq "$(jsonq "$log" '" ".join(e["answer"] for e in x)')" \
		"tool_use:Bash final:tool-ok" "$c: tool_use, then the tool_result carried the marker"
	assert_eq "$(jsonq "$log" '[e["tls"] for e in x]')" \
		"$([ "$scheme" = https ] && echo '[True, True]' || echo '[False, False]')" "$c: $scheme"
	assert_eq "$(jsonq "$log" "sorted(set($(hdr anthropic-version) for e in x))")" "['2023-06-01']" \
		"$c: anthropic-version"
	assert_contains "$(jsonq "$log" "[$(hdr anthropic-beta) for e in x][0]")" \
		"claude-code-20250219" "$c: anthropic-beta"
	assert_contains "$(jsonq "$log" "[$(hdr user-agent) for e in x][0]")" \
		"claude-cli/$CLAUDE_VERSION" "$c: user-agent"
	assert_eq "$(jsonq "$log" 'x[0]["body"]["stream"]')" "True" "$c: streamed"
	# The tool really ran: its output is in the second request's tool_result.
	assert_eq "$(jsonq "$log" '[b["content"] for m in x[1]["body"]["messages"] if m["role"] == "user" and isinstance(m["content"], list) for b in m["content"] if b.get("type") == "tool_result"]')" \
		"['$MARK']" "$c: tool_result content"
	if [ "$mode" = oauth ]; then
		assert_eq "$(jsonq "$log" "sorted(set($(hdr authorization) for e in x))")" \
			"['Bearer $CLAUDE_TEST_OAUTH_TOKEN']" "$c: Authorization: Bearer"
		assert_eq "$(jsonq "$log" "sorted(set($(hdr x-api-key) for e in x))")" "['']" "$c: no x-api-key"
		assert_contains "$(jsonq "$log" "[$(hdr anthropic-beta) for e in x][0]")" "oauth-2025-04-20" \
			"$c: oauth beta"
	else
		assert_eq "$(jsonq "$log" "sorted(set($(hdr x-api-key) for e in x))")" \
			"['$CLAUDE_TEST_API_KEY']" "$c: x-api-key"
		assert_eq "$(jsonq "$log" "sorted(set($(hdr authorization) for e in x))")" "['']" \
			"$c: no Authorization"
	fi
}

# run_claude CASE MODE SCHEME
run_claude() {
	local c=$1 mode=$2 scheme=$3 dir=$WORK/$1 opts=(--plain)
	[ "$scheme" = https ] && opts=("${TLS[@]}")
	start_anthropic_mock "$dir" "${opts[@]}"
	(
		claude_env_setup "$dir"
		claude_use_mock "$ANTHROPIC_MOCK_URL" "$CA" "$mode"
		cd "$AGENT_PROJECT"
		# shellcheck disable=SC2046
		timeout 60 "$CLAUDE" $(claude_headless_args) "run the tool" >"$dir/out" 2>"$dir/err"
	) || { rc=$?; cat "$dir/err" >&2; stop_anthropic_mock; fail "$c: claude exited $rc"; }
	stop_anthropic_mock
	assert_eq "$(cat "$dir/out")" "$FINAL" "$c: claude printed the final text"
	check_claude "$c" "$ANTHROPIC_MOCK_LOG" "$mode" "$scheme"
}

# run_gemini CASE SCHEME
run_gemini() {
	local c=$1 scheme=$2 dir=$WORK/$1 opts=(--plain) log
	[ "$scheme" = https ] && opts=("${TLS[@]}")
	start_gemini_mock "$dir" "${opts[@]}"
	(
		gemini_env_setup "$dir"
		gemini_use_mock "$GEMINI_MOCK_URL" "$CA"
		cd "$AGENT_PROJECT"
		# shellcheck disable=SC2046
		timeout 80 "$GEMINI" $(gemini_headless_args) "run the tool" >"$dir/out" 2>"$dir/err"
	) || { rc=$?; cat "$dir/err" >&2; stop_gemini_mock; fail "$c: gemini exited $rc"; }
	stop_gemini_mock
	log=$GEMINI_MOCK_LOG
	assert_eq "$(tr -d '\n' <"$dir/out")" "$FINAL" "$c: gemini printed the final text"
	# The router's classifier (generateContent, JSON schema) may come first.
	assert_eq "$(jsonq "$log" '" ".join(e["answer"] for e in x if e["path_only"].endswith(":streamGenerateContent"))')" \
		"function_call:run_shell_command final:tool-ok" "$c: functionCall, then a functionResponse with the marker"
	assert_eq "$(jsonq "$log" 'sorted(set(e["query"].get("alt") for e in x if e["path_only"].endswith(":streamGenerateContent")))')" \
		"['sse']" "$c: ?alt=sse"
	assert_eq "$(jsonq "$log" 'all(e["answer"] == "json" for e in x if not e["path_only"].endswith(":streamGenerateContent"))')" \
		"True" "$c: nothing else but the router's JSON requests"
	assert_eq "$(jsonq "$log" "sorted(set(e['tls'] for e in x))")" \
		"$([ "$scheme" = https ] && echo '[True]' || echo '[False]')" "$c: $scheme"
	assert_eq "$(jsonq "$log" "sorted(set($(hdr x-goog-api-key) for e in x))")" \
		"['$GEMINI_TEST_API_KEY']" "$c: x-goog-api-key"
	assert_contains "$(jsonq "$log" "sorted(set($(hdr x-goog-api-client) for e in x))")" \
		"google-genai-sdk/" "$c: x-goog-api-client"
	assert_contains "$(jsonq "$log" "sorted(set($(hdr user-agent) for e in x))")" \
		"GeminiCLI" "$c: user-agent"
	assert_contains "$(jsonq "$log" '[json.dumps(p["functionResponse"]) for e in x if e["answer"] == "final:tool-ok" for c in e["body"]["contents"] for p in c["parts"] if "functionResponse" in p]')" \
		"$MARK" "$c: the functionResponse carries the tool's output"
}

# The mocks' other answers, which the agents' headless turn does not use.
check_side_answers() {
	local a g j
	start_anthropic_mock "$WORK/side" "${TLS[@]}"
	start_gemini_mock "$WORK/side" "${TLS[@]}"
	a=$ANTHROPIC_MOCK_URL g=$GEMINI_MOCK_URL
	j=$(curl -sS --noproxy '*' --cacert "$CA" "$a/v1/messages" -H 'content-type: application/json' \
		-d '{"model":"m","max_tokens":9,"messages":[{"role":"user","content":"hi"}]}')
	assert_eq "$(jq_ '[x["type"], x["content"][0]["type"], x["stop_reason"], sorted(x["usage"])[:4]]' "$j")" \
		"['message', 'text', 'end_turn', ['cache_creation', 'cache_creation_input_tokens', 'cache_read_input_tokens', 'input_tokens']]" \
		"anthropic mock: non-streamed message with usage"
	j=$(curl -sS --noproxy '*' --cacert "$CA" "$a/v1/messages?beta=true" -H 'content-type: application/json' \
		-d '{"model":"m","max_tokens":9,"stream":true,"thinking":{"type":"enabled","budget_tokens":1024},"messages":[{"role":"user","content":"hi"}]}')
	assert_eq "$(grep '^event:' <<<"$j" | sort -u | tr '\n' ' ')" \
		"event: content_block_delta event: content_block_start event: content_block_stop event: message_delta event: message_start event: message_stop event: ping " \
		"anthropic mock: SSE events"
	assert_contains "$j" '"signature_delta"' "anthropic mock: thinking signed"
	j=$(curl -sS --noproxy '*' --cacert "$CA" "$a/v1/messages/count_tokens?beta=true" -d '{"messages":[]}')
	assert_contains "$j" '"input_tokens"' "anthropic mock: count_tokens"
	j=$(curl -sS --noproxy '*' --cacert "$CA" "$a/v1/models")
	assert_contains "$j" '"has_more"' "anthropic mock: models"
	j=$(curl -sS --noproxy '*' --cacert "$CA" "$g/v1beta/models/gemini-2.5-flash:countTokens?key=$GEMINI_TEST_API_KEY" \
		-d '{"contents":[{"role":"user","parts":[{"text":"hi"}]}]}')
	assert_contains "$j" '"totalTokens"' "gemini mock: countTokens"
	j=$(curl -sS --noproxy '*' --cacert "$CA" "$g/v1beta/models/gemini-2.5-flash:generateContent" \
		-d '{"contents":[{"role":"user","parts":[{"text":"hi"}]}],"generationConfig":{"responseMimeType":"application/json","responseJsonSchema":{"type":"object","properties":{"reasoning":{"type":"string"},"next_speaker":{"type":"string","enum":["model","user"]}},"required":["reasoning","next_speaker"]}}}')
	assert_eq "$(jq_ 'json.loads(x["candidates"][0]["content"]["parts"][0]["text"])["next_speaker"]' "$j")" "user" \
		"gemini mock: JSON answer from the schema"
	j=$(curl -sS --noproxy '*' --cacert "$CA" "$g/v1beta/models/gemini-2.5-flash:streamGenerateContent?alt=sse" \
		-d '{"contents":[{"role":"user","parts":[{"text":"hi"}]}]}')
	assert_contains "$(tail -c 400 <<<"$j" | od -c)" '\r  \n  \r  \n' "gemini mock: CRLF framing"
	assert_contains "$j" '"thoughtsTokenCount"' "gemini mock: usageMetadata"
	assert_eq "$(jsonq "$GEMINI_MOCK_LOG" 'x[0]["query"]["key"]')" "$GEMINI_TEST_API_KEY" "gemini mock: ?key= logged"
	stop_anthropic_mock
	stop_gemini_mock
}

check_side_answers
run_claude claude-https-apikey api-key https
run_claude claude-https-oauth oauth https
run_claude claude-http-apikey api-key http
run_gemini gemini-https https
run_gemini gemini-http http

assert_eq "$(wc -l <"$DENY_PROXY_LOG")" "0" "no connection beyond the base URLs (deny proxy log: $(head -c 300 "$DENY_PROXY_LOG"))"
