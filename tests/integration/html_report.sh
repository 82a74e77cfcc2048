#!/usr/bin/env bash
# html_report: `cxrec decode -f html` opened in a real browser (Debian's
# chromium, headless, driven over the DevTools protocol by
# tests/lib/peers/html_check.js, inside a network namespace with no
# interface up): for recorded traces of codex 0.98.0 and today's (a
# WebSocket session), Claude Code and Gemini CLI, the
# page loads with no request besides its own file, no console message (a
# CSP violation is one), its script and style run (allowed by their
# hashes), the conversation shows a tool call and its result, the
# search box filters, the timeline (inline SVG) has a bar per exchange
# linked to it and drawn with the page's style, and the charts a bar per
# turn.  A hostile trace (recorded through the relay and the
# mock: a prompt and a tool output carrying markup, a script end tag, a
# javascript: URL and a 200 KB line) runs nothing and breaks no layout.
# Saves docs/report-screenshot.png (the README's) from the codex report
# when it is missing or CXREC_SCREENSHOT_UPDATE=1 is set.
. "$(dirname "$0")/../lib/lib.sh"
CHROME=$(command -v chromium || true)
[ -n "$CHROME" ] || skip "chromium is not installed (make deps installs it)"
command -v node >/dev/null || skip "node is not installed (make deps installs it)"
command -v zstd >/dev/null || skip "zstd is not installed (make deps installs it)"
[ "$(id -u)" = 0 ] || skip "needs root for a network namespace (unshare -n)"
CHECK=$TESTS_DIR/lib/peers/html_check.js

# check FILE SEARCH [SHOT]: the page's facts as JSON, in check.json
check() {
	timeout 60 unshare -n node "$CHECK" "$CHROME" "$@" >check.json ||
		fail "html_check $1 failed: $(head -c 2000 check.json)"
	grep -q '^{"error"' check.json && fail "html_check $1: $(head -c 2000 check.json)"
	true
}
q() { /usr/bin/python3 -c 'import json,sys; x=json.load(open("check.json")); print(eval(sys.argv[1]))' "$1"; }
clean() { # FILE: loads offline, no request, no message, script and style ran
	assert_eq "$(q 'x["requests"]')" "[]" "$1: no request besides the page"
	assert_eq "$(q 'x["console"] + x["exceptions"]')" "[]" "$1: no console message, no exception"
	assert_eq "$(q 'x["dom"]["styled"]')" "sticky" "$1: its style applies (CSP hash)"
	assert_eq "$(q 'x["dom"]["scripts"]')" "1" "$1: one script, its own"
	assert_eq "$(q 'x["search"]["none"]')" "0" "$1: a search for absent text hides every turn and exchange (its script runs)"
	assert_eq "$(q 'x["search"]["bars"] == x["search"]["exShown"]')" "True" \
		"$1: the timeline follows the search: a bar per exchange shown ($(q 'x["search"]["bars"]'))"
	assert_eq "$(q 'x["dom"]["tlbars"] == x["dom"]["exchanges"] > 0')" "True" \
		"$1: the timeline has a bar per exchange ($(q 'x["dom"]["tlbars"]'))"
	assert_eq "$(q 'x["dom"]["tllinked"] == x["dom"]["tlbars"]')" "True" "$1: each bar links to its exchange on the page"
	assert_eq "$(q 'x["dom"]["tlwidth"] > 600')" "True" "$1: the timeline's SVG is drawn across the page"
	assert_eq "$(q 'x["bar"]["fill"] != "rgb(0, 0, 0)" and x["bar"]["height"] > 4')" "True" "$1: a bar drawn with the page's style"
	assert_eq "$(q 'x["bar"]["hash"].startswith("#exchange-")')" "True" "$1: clicking a bar opens its exchange"
	assert_eq "$(q 'x["filters"]["errors"]["shown"] == x["filters"]["errors"]["want"] == x["filters"]["errors"]["bars"]')" "True" \
		"$1: \"errors only\" shows the failed exchanges and their bars only ($(q 'x["filters"]["errors"]'))"
	assert_eq "$(q 'x["filters"]["ok2xx"]["shown"] == x["filters"]["ok2xx"]["want"] == x["filters"]["ok2xx"]["bars"]')" "True" \
		"$1: the status filter 2xx shows those exchanges and bars only ($(q 'x["filters"]["ok2xx"]'))"
	assert_eq "$(q 'x["filters"]["reset"] == x["filters"]["all"]')" "True" "$1: no filter: every exchange shown again"
	assert_eq "$(q 'all(v == "" or v.lstrip("-").isdigit() for v in x["filters"]["options"])')" "True" "$1: the filters' values are indexes"
	assert_eq "$(q 'x["trees"]["drawn"] == x["trees"]["bodies"]')" "True" \
		"$1: each JSON body opened draws its tree ($(q 'x["trees"]["bodies"]') bodies, $(q 'x["trees"]["nodes"]') nodes)"
	if [ "$(q 'x["trees"]["bodies"]')" != 0 ]; then
		assert_eq "$(q 'x["trees"]["raw"]'),$(q 'x["trees"]["treeHidden"]')" "json,True" "$1: a body's raw view is its JSON, in place of the tree"
	fi
}

cd "$WORK"
gzip -dc "$REPO/tests/data/conv/codex098-http.bin.gz" >codex098-http.bin
gzip -dc "$REPO/tests/data/conv/codex171-ws.bin.gz" >codex171-ws.bin
zstd -qdc "$REPO/tests/data/conv/anthropic_claude_api-key.bin.zst" >claude.bin
zstd -qdc "$REPO/tests/data/conv/gemini_api.bin.zst" >gemini.bin
for t in codex098-http codex171-ws claude gemini; do
	"$CXREC" decode -f html -o "$t.html" "$t.bin" 2>"$t.err" || fail "decode $t: $(cat "$t.err")"
done

check codex098-http.html "Wall time:" codex098-http.png
clean codex098-http
assert_eq "$(q 'x["dom"]["turns"]')" "2" "codex: two turns"
assert_eq "$(q 'x["trees"]["deltas"]')" "1" "codex: the second request, which resends the first, is carried as its difference (and drawn)"
assert_eq "$(q 'x["dom"]["tllanes"]')" "1" "codex: one process, one lane"
assert_eq "$(q 'x["dom"]["arrcharts"] >= 1 and x["dom"]["arrpoints"] == x["dom"]["arrevents"]')" "True" \
	"codex: a stream's chart with a point per event ($(q 'x["dom"]["arrcharts"]') charts, $(q 'x["dom"]["arrpoints"]') points)"
assert_contains "$(q 'x["dom"]["tltitles"]')" "POST /v1/responses → 200" "codex: a bar's title has its request and status"
assert_eq "$(q 'x["dom"]["turnbars"] == x["dom"]["turns"] == x["dom"]["ctxpoints"]')" "True" "codex: the charts have a bar and a point per turn"
assert_eq "$(q 'x["dom"]["calls"] >= 1 and x["dom"]["results"] >= 1')" "True" "codex: a tool call and its result"
assert_contains "$(q 'x["dom"]["resultText"]')" "cxrec-mock-tool-ok" "codex: the tool's output shown"
assert_contains "$(q 'x["dom"]["summary"]')" "agent version0.98.0" "codex: the agent's version in the summary"
assert_contains "$(q 'x["dom"]["summary"]')" 'cost$' "codex: the cost in the summary"
assert_eq "$(q 'x["search"]["shown"] >= 1 and x["search"]["shown"] < x["search"]["all"]')" "True" \
	"codex: searching a tool's output keeps $(q 'x["search"]["counter"]')"
[ -s codex098-http.png ] || fail "no screenshot"
if [ -n "${CXREC_SCREENSHOT_UPDATE:-}" ] || [ ! -f "$REPO/docs/report-screenshot.png" ]; then
	cp codex098-http.png "$REPO/docs/report-screenshot.png"
	ok "screenshot saved to docs/report-screenshot.png"
fi

# Today's codex (a WebSocket session) and Gemini CLI: the same, and a
# screenshot each.
for t in codex171-ws gemini; do
	check "$t.html" cxrec-mock-tool-ok "$t.png"
	clean "$t"
	assert_eq "$(q 'x["dom"]["calls"] >= 1 and x["dom"]["results"] >= 1')" "True" "$t: a tool call and its result"
	assert_contains "$(q 'x["dom"]["resultText"]')" "cxrec-mock-tool-ok" "$t: the tool's output shown"
	assert_eq "$(q 'x["search"]["shown"] >= 1 and x["search"]["shown"] < x["search"]["all"]')" "True" \
		"$t: searching a tool's output keeps $(q 'x["search"]["counter"]')"
	[ -s "$t.png" ] || fail "$t: no screenshot"
done

check claude.html cxrec-mock-tool-ok
clean claude
assert_eq "$(q 'x["dom"]["turnbars"] == x["dom"]["turns"] > 0')" "True" "claude: the chart has a bar per turn ($(q 'x["dom"]["turnbars"]'))"
assert_eq "$(q 'x["dom"]["calls"] >= 1 and x["dom"]["results"] >= 1')" "True" "claude: a tool call and its result"
assert_eq "$(q 'x["dom"]["pairs"] >= 1')" "True" "claude: a tool's result beside its call (made the turn before)"
assert_contains "$(q 'x["dom"]["resultText"]')" "cxrec-mock-tool-ok" "claude: the tool's output shown"

# A hostile trace: the payloads in a prompt and a tool's output, sent to
# the mock through the relay.
mock_https
P=$(free_port)
start_relay "$P" hostile.bin --upstream "$MOCK_URL" --cacert certs/ca.pem
/usr/bin/python3 - >body.json <<'PY'
import json
evil = ('<img src=x onerror=window.PWNED=1> </script><script>window.PWNED=2</script> '
        '<a href="javascript:window.PWNED=3">click</a> javascript:window.PWNED=4 '
        '"><svg onload=window.PWNED=5> ')
line = 'W' * 200000
print(json.dumps({"model": "gpt-5.2-codex", "stream": True,
    "tools": [{"type": "function", "name": "shell<img src=x onerror=window.PWNED=6>",
               "description": evil, "parameters": {"type": "object"}}],
    "input": [
        {"type": "message", "role": "user", "content": [{"type": "input_text", "text": "PROMPT " + evil + line}]},
        {"type": "function_call", "name": "shell", "call_id": "call_evil", "arguments": json.dumps({"cmd": evil})},
        {"type": "function_call_output", "call_id": "call_evil", "output": "TOOLOUT " + evil + line}]}))
PY
curl -sS -o hostile.out "http://127.0.0.1:$P/v1/responses?u=javascript:alert(1)" \
	-H 'content-type: application/json' -H 'authorization: Bearer sk-cxrec-test-0000' \
	-H 'x-evil: <script>window.PWNED=7</script>' --data-binary @body.json || fail "curl through the relay"
# and a request the mock answers 404, for the filters.
curl -sS -o hostile404.out "http://127.0.0.1:$P/v1/no-such-route" \
	-H 'authorization: Bearer sk-cxrec-test-0000' || fail "curl 404 through the relay"
stop_relay
"$CXREC" decode -f html -o hostile.html hostile.bin 2>hostile.err || fail "decode hostile: $(cat hostile.err)"
check hostile.html TOOLOUT
clean hostile
assert_eq "$(q 'x["dom"]["pwned"]')" "undefined" "hostile: nothing from the trace ran (window.PWNED unset)"
assert_eq "$(q '(x["filters"]["all"], x["filters"]["errors"]["shown"], x["filters"]["ok2xx"]["shown"])')" "(2, 1, 1)" \
	"hostile: a 200 and a 404; \"errors only\" and 2xx each show one"
assert_eq "$(q 'x["dom"]["images"] + x["dom"]["iframes"] + x["dom"]["onattrs"] + x["dom"]["jslinks"]')" "0" \
	"hostile: no <img>, frame, on* attribute or link out of the page in the DOM"
assert_contains "$(q 'x["dom"]["tltitles"]')" "POST /v1/responses → 200" "hostile: the bar's title as text"
assert_eq "$(q 'x["dom"]["overflow"] <= 0')" "True" "hostile: a 200 KB line wraps (no horizontal overflow)"
assert_contains "$(q 'x["dom"]["resultText"]')" "</script><script>window.PWNED=2</script>" "hostile: the payload shown as text"
assert_contains "$(q 'x["dom"]["resultText"]')" "<img src=x onerror=window.PWNED=1>" "hostile: the markup shown as text"
assert_eq "$(q 'x["dom"]["resultText"].count("W" * 1000) > 0')" "True" "hostile: the long line shown"
assert_eq "$(q '(x["trees"]["pwned"], x["trees"]["images"], x["trees"]["onattrs"], x["trees"]["overflow"] <= 0)')" "('undefined', 0, 0, True)" \
	"hostile: the bodies' trees drawn, nothing ran, no markup, no overflow"
assert_contains "$(q 'x["trees"]["text"]')" '</script><script>window.PWNED=2</script>' "hostile: the payload in a body's tree, as text"
assert_contains "$(q 'x["trees"]["keys"]')" '"input": ' "hostile: the request body's keys in its tree"
