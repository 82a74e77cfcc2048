#!/usr/bin/env bash
# The real codex 0.98.0 recorded with --redact-at-source, both logins: the
# API key, and the ChatGPT access token and account id, appear nowhere in
# the trace file, while codex works as usual and the session decodes
# (both turns, the tool call, the conversation view).
. "$(dirname "$0")/../lib/lib.sh"
. "$TESTS_DIR/lib/codex_common.sh"

# API key.
KEY=sk-cxrec-redact-test-0123456789abcdefghij
rc=0
CODEX_API_KEY=$KEY "$CXREC" run --redact-at-source --upstream "$MOCK_URL" --cacert "$WORK/certs/ca.pem" \
	-o "$WORK/api.bin" -- "$CODEX" exec $(codex_exec_args) "run the tool" \
	>"$WORK/out.txt" 2>"$WORK/err.txt" </dev/null || rc=$?
[ "$rc" = 0 ] || { cat "$WORK/err.txt"; fail "codex exited $rc"; }
assert_contains "$(cat "$WORK/out.txt")" "cxrec-mock-tool-ok" "codex worked (API key)"
assert_eq "$(grep -c "$KEY" "$MOCK_LOG")" 2 "the upstream got the key on both turns"
! grep -aq "$KEY" "$WORK/api.bin" || fail "the API key is in the trace file"
! grep -aq "0123456789abcdefghij" "$WORK/api.bin" || fail "part of the API key is in the trace file"
ok "the API key is nowhere in the trace file"
"$CXREC" decode -f jsonl --no-redact "$WORK/api.bin" >"$WORK/t.jsonl"
assert_eq "$(q '[[v for k, v in e["request"]["headers"] if k.lower() == "authorization"][0][:14] for e in x]')" \
	"['Bearer [cxrec:', 'Bearer [cxrec:']" "both turns carry a fingerprint"
assert_eq "$(q 'len(set([v for k, v in e["request"]["headers"] if k.lower() == "authorization"][0] for e in x))')" 1 \
	"one key, one fingerprint"
assert_contains "$("$CXREC" decode -f conversation "$WORK/api.bin")" "exec_command" "the conversation view decodes"

# ChatGPT login (tokens refreshed through the relay first).
ACCT=0f1e2d3c-4b5a-6978-8796-a5b4c3d2e1f0   # account ids are UUIDs
codex_write_chatgpt_auth "$ACCT" 9
ACCESS=$CODEX_TEST_ACCESS_TOKEN
rc=0
"$CXREC" run --redact-at-source --route "/backend-api/=$MOCK_URL" --cacert "$WORK/certs/ca.pem" \
	-o "$WORK/gpt.bin" -- "$CODEX" exec $(codex_exec_args) "run the tool" \
	>"$WORK/out.txt" 2>"$WORK/err.txt" </dev/null || rc=$?
[ "$rc" = 0 ] || { cat "$WORK/err.txt"; fail "codex exited $rc (ChatGPT)"; }
assert_contains "$(cat "$WORK/out.txt")" "cxrec-mock-tool-ok" "codex worked (ChatGPT)"
! grep -aq "$ACCESS" "$WORK/gpt.bin" || fail "the old access token is in the trace file"
! grep -aq "$ACCT" "$WORK/gpt.bin" || fail "the account id is in the trace file"
"$CXREC" decode -f jsonl --no-redact "$WORK/gpt.bin" >"$WORK/t.jsonl"
t='[e for e in x if e["request"]["url"]=="/backend-api/codex/responses"]'
assert_eq "$(q "all([v for k, v in e['request']['headers'] if k.lower() == 'authorization'][0].startswith('Bearer [cxrec:') for e in $t)")" \
	True "the turns' access token a fingerprint"
assert_eq "$(q "[[v for k, v in e['request']['headers'] if k.lower() == 'chatgpt-account-id'][0][:7] for e in $t]")" \
	"['[cxrec:', '[cxrec:']" "the account id a fingerprint"
ok "no access token and no account id in the trace file (the refresh's body is not redacted at source: docs/security.md)"
