#!/usr/bin/env bash
# A real codex 0.98.0 session (ChatGPT login: zstd bodies, models, both
# turns) decoded into every format: the Markdown report has all its
# sections, the HAR is valid HAR 1.2 (also by npm's har-validator), the
# conversation view shows both turns and the tool call, and no secret
# appears in any of them.
. "$(dirname "$0")/../lib/lib.sh"
"$REPO/scripts/install-npm.sh" har-validator 5.1.5 >/dev/null || fail "cannot install har-validator from npm"
. "$TESTS_DIR/lib/codex_common.sh"
codex_write_chatgpt_auth
rc=0
"$CXREC" run --route "/backend-api/=$MOCK_URL" --cacert "$WORK/certs/ca.pem" \
	-o "$WORK/trace.bin" -- "$CODEX" exec $(codex_exec_args) "run the tool" \
	>"$WORK/out.txt" 2>"$WORK/err.txt" </dev/null || rc=$?
[ "$rc" = 0 ] || { cat "$WORK/err.txt"; fail "codex exited $rc"; }
SENT=$(jsonq "$MOCK_LOG" '[dict((k.lower(),v) for k,v in e["headers"])["authorization"] for e in x if e["path"].endswith("/responses")][-1]')
SENT=${SENT#Bearer }
T="$WORK/trace.bin"

# Markdown report: every section, escaped, redacted.
"$CXREC" decode -f md -o "$WORK/r.md" "$T"
md=$(cat "$WORK/r.md")
for h in "# " "## Statistics" "## Payload key paths" "## Conversation" "## Exchanges"; do
	grep -q "^$h" "$WORK/r.md" || fail "report has no '$h' section"
done
ok "report has all its sections"
assert_contains "$md" "POST /backend-api/codex/responses" "endpoint table row"
assert_contains "$md" "response.completed" "SSE event types counted"
assert_contains "$md" "input\\[\\].content\\[\\].text | string" "request key paths (Markdown-escaped)"
assert_contains "$md" "<details>" "collapsible blocks"
assert_not_contains "$md" "$SENT" "no access token in the report"

# HAR: valid JSON, HAR 1.2, one entry per exchange, redacted.
"$CXREC" decode -f har -o "$WORK/t.har" "$T"
/usr/bin/python3 - "$WORK/t.har" <<'PY' || fail "HAR structure"
import json, sys
h = json.load(open(sys.argv[1]))
log = h["log"]
assert log["version"] == "1.2", log["version"]
es = log["entries"]
assert len(es) >= 3, len(es)
for e in es:
    for k in ("startedDateTime", "time", "request", "response", "cache", "timings"):
        assert k in e, k
    for k in ("method", "url", "httpVersion", "headers", "queryString", "cookies", "headersSize", "bodySize"):
        assert k in e["request"], k
    for k in ("status", "statusText", "httpVersion", "headers", "cookies", "content", "redirectURL", "headersSize", "bodySize"):
        assert k in e["response"], k
    for k in ("send", "wait", "receive"):
        assert e["timings"][k] >= 0, (k, e["timings"])
turns = [e for e in es if e["request"]["url"].endswith("/backend-api/codex/responses")]
assert len(turns) == 2, len(turns)
assert any(s["event"] == "response.completed" for s in turns[1]["response"]["_sse"])
assert "cxrec-mock-tool-ok" in turns[1]["request"]["postData"]["text"]
print("har ok:", len(es), "entries")
PY
ok "HAR 1.2 with both turns, SSE and the decoded zstd body"
har_validate "$WORK/t.har" || fail "the HAR does not pass har-validator"
ok "the HAR passes npm's har-validator (HAR 1.2 schemas)"
assert_not_contains "$(cat "$WORK/t.har")" "$SENT" "no access token in the HAR"

# Conversation view: both turns, the tool call and its output.
"$CXREC" decode -f conversation -o "$WORK/c.txt" "$T"
conv=$(cat "$WORK/c.txt")
assert_contains "$conv" "exec_command" "the function call"
assert_contains "$conv" "cxrec-mock-tool-ok" "the tool output sent back"
assert_contains "$conv" "Done: the tool printed cxrec-mock-tool-ok." "the assembled assistant text"
assert_not_contains "$conv" "$SENT" "no access token in the conversation"

# Bad input: unknown format.
rc=0; "$CXREC" decode -f pdf "$T" 2>"$WORK/e.txt" || rc=$?
assert_eq "$rc" 2 "unknown format -> exit 2"
assert_contains "$(cat "$WORK/e.txt")" "unknown format 'pdf'" "unknown format named"
echo "codex session reported in every format"
