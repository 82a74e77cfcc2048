#!/usr/bin/env bash
# The real codex 0.98.0 logged in with ChatGPT (an offline auth.json, no API
# key): models fetch and both turns on the /backend-api/ route, request
# bodies zstd-compressed and decoded, a token refresh recorded through the
# relay, no secret shown.
# codex from npm first, then the rest in a loopback-only namespace (as root).
"$(dirname "$0")/../../scripts/install-codex.sh" >/dev/null || { echo "SKIP: codex 0.98.0 cannot be installed (npm)"; exit 77; }
. "$(dirname "$0")/../lib/agents_env.sh"
agents_netns_try "$0" "$@"
. "$(dirname "$0")/../lib/lib.sh"
. "$TESTS_DIR/lib/codex_common.sh"
. "$TESTS_DIR/lib/agent_check.sh"

# last_refresh 9 days ago: codex refreshes its tokens first.
codex_write_chatgpt_auth acct-test-123 9
ACCESS=$CODEX_TEST_ACCESS_TOKEN
rc=0
"$CXREC" run --route "/backend-api/=$MOCK_URL" --cacert "$WORK/certs/ca.pem" \
	-o "$WORK/trace.bin" -- "$CODEX" exec $(codex_exec_args) "run the tool" \
	>"$WORK/out.txt" 2>"$WORK/err.txt" </dev/null || rc=$?
[ "$rc" = 0 ] || { cat "$WORK/err.txt"; fail "codex exited $rc"; }
ok "codex finished"
assert_contains "$(cat "$WORK/out.txt")" "Done: the tool printed cxrec-mock-tool-ok" "codex printed the final answer"
assert_contains "$(cat "$WORK/err.txt")" "login: chatgpt (ChatGPT tokens in $CODEX_HOME/auth.json)" "summary names ChatGPT mode"

"$CXREC" decode --format jsonl "$WORK/trace.bin" >"$WORK/t.jsonl"
reqs=$(q '[e["request"]["method"]+" "+e["request"]["url"].split("?")[0] for e in x]')
assert_contains "$reqs" "'POST /oauth/token'" "token refresh went through the relay"
assert_contains "$reqs" "'GET /backend-api/codex/models'" "models fetched"
assert_eq "$(q 'sum(1 for e in x if e["request"]["url"]=="/backend-api/codex/responses")')" 2 "two turns"
assert_eq "$(q 'sorted(set(e["request"]["upstream"].split("?")[0] for e in x))')" \
	"['$MOCK_URL/backend-api/codex/models', '$MOCK_URL/backend-api/codex/responses', '$MOCK_URL/oauth/token']" "upstream URLs"
assert_eq "$(q 'all(e["error"] is None and e["response"]["status"]==200 for e in x)')" True "all answered 200"
t='[e for e in x if e["request"]["url"]=="/backend-api/codex/responses"]'
assert_eq "$(q "[e['request'].get('content_encoding') for e in $t]")" "['zstd', 'zstd']" "request bodies were zstd"
assert_eq "$(q "all(e['request']['decoded_bytes'] > e['request']['body_bytes'] for e in $t)")" True "decoded bodies are larger"
assert_eq "$(q "[i['output'].count('cxrec-mock-tool-ok') > 0 for i in $t[1]['request']['body']['input'] if i.get('type')=='function_call_output']")" \
	"[True]" "turn 2's zstd body decoded, with the tool output"
assert_eq "$(q "[s['event'] for s in $t[1]['response']['sse']][-1]")" response.completed "turn 2 completed"
# Secrets: the JWT access token codex sent (the refreshed one, as the
# upstream received it), the account id header, the refresh token in bodies.
SENT=$(jsonq "$MOCK_LOG" '[dict((k.lower(),v) for k,v in e["headers"])["authorization"] for e in x if e["path"].endswith("/responses")][-1]')
SENT=${SENT#Bearer }
[ "${#SENT}" -gt 100 ] || fail "no access token seen upstream"
all=$(cat "$WORK/t.jsonl"; "$CXREC" decode "$WORK/trace.bin")
assert_not_contains "$all" "$SENT" "access token sent not shown"
assert_not_contains "$all" "$ACCESS" "access token from auth.json not shown"
assert_not_contains "$all" "rt-cxrec-test-refresh-token" "refresh token not shown"
assert_not_contains "$all" "$(cut -d. -f2 <<<"$SENT")" "no JWT payload shown"
assert_eq "$(q "[dict((k.lower(),v) for k,v in e['request']['headers']).get('chatgpt-account-id') for e in $t]")" \
	"['[REDACTED]', '[REDACTED]']" "chatgpt-account-id redacted"
unred=$("$CXREC" decode --no-redact "$WORK/trace.bin")
assert_contains "$unred" "$SENT" "--no-redact shows the token"
assert_contains "$unred" "rt-cxrec-test-refresh-token" "--no-redact shows the refresh token"
# Every request the mock saw is in the trace, no error, no credential in
# any output format.
check_trace "$WORK/trace.bin" "$MOCK_LOG" "$SENT" "$ACCESS" rt-cxrec-test-refresh-token
echo "codex ChatGPT run recorded and decoded"
