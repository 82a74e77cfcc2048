#!/usr/bin/env bash
# view_live (issue 17): `cxrec view` serves a trace live while `cxrec
# relay` records it.  In Debian's chromium (headless, over the DevTools
# protocol: tests/lib/peers/view_check.js), inside a network namespace
# with only loopback: while the mock streams one event every 100 ms, the
# page's event count for that exchange grows before the stream ends and
# keeps within 200 ms of what the client has received; a second viewer
# opened mid-stream sees the same; both end with every event, the page
# made no request but to its own server and logged nothing.  A chat
# completion's answer shows in the conversation.  The URL's token is
# needed; a port in use is one line and exit 2; the report link serves
# the HTML report; and a viewer killed mid-stream leaves the recording
# whole.  `cxrec run --view` starts the view beside its command, prints
# its URL, and stops it once its viewers had the trace's end.
. "$(dirname "$0")/../lib/lib.sh"
CHROME=$(command -v chromium || true)
[ -n "$CHROME" ] || skip "chromium is not installed (make deps installs it)"
command -v node >/dev/null || skip "node is not installed (make deps installs it)"
command -v curl >/dev/null || skip "curl is not installed (make deps installs it)"
[ "$(id -u)" = 0 ] || skip "needs root for a network namespace (unshare -n)"
if [ -z "${CXREC_VIEW_NETNS:-}" ]; then
	# Everything below in a network namespace of its own: loopback only.
	CXREC_VIEW_NETNS=1 exec unshare -n "$0" "$@"
fi
ip link set lo up || fail "cannot bring up loopback in the namespace"
. "$TESTS_DIR/lib/codex_env.sh"
CXREC_NO_MOCK_TRAP=1
start_mock "$WORK" --plain || fail "the mock did not start"
defer stop_mock
cd "$WORK"
for v in HTTPS_PROXY HTTP_PROXY ALL_PROXY https_proxy http_proxy all_proxy; do
	export "$v=http://127.0.0.1:9"
done
export NO_PROXY=127.0.0.1 no_proxy=127.0.0.1

"$CXREC" relay --listen 127.0.0.1:0 --upstream "http://127.0.0.1:$MOCK_PORT" \
	-o t.bin 2>relay.err &
rpid=$!
defer "kill $rpid 2>/dev/null"
rport=$(listen_port relay.err "$rpid")

"$CXREC" view t.bin 2>view.err &
vpid=$!
defer "kill $vpid 2>/dev/null"
for _ in $(seq 100); do grep -q 'http://' view.err && break; sleep 0.05; done
url=$(grep -o 'http://[^ ]*' view.err | head -1)
[ -n "$url" ] || fail "no URL from cxrec view: $(cat view.err)"
vport=$(sed 's|http://127.0.0.1:\([0-9]*\)/.*|\1|' <<<"$url")
token=$(sed 's|http://[^/]*/\([0-9a-f]*\)/|\1|' <<<"$url")
assert_eq "${#token}" "32" "the URL carries a 128-bit random token"

# Without the token, nothing.
code() { curl -s --max-time 5 -o /dev/null -w '%{http_code}' "$1"; }
wrong=${token%?}$([ "${token: -1}" = 0 ] && echo 1 || echo 0)
assert_eq "$(code "http://127.0.0.1:$vport/")" "404" "no page without the token"
assert_eq "$(code "http://127.0.0.1:$vport/$wrong/events")" "404" "no events with a wrong token"
assert_eq "$(code "$url")" "200" "the page with it"

# A port in use: one line, exit 2.
rc=0
"$CXREC" view --listen "127.0.0.1:$vport" t.bin 2>inuse.err || rc=$?
assert_eq "$rc" "2" "a port in use: exit 2"
assert_eq "$(wc -l <inuse.err)" "1" "a port in use: one line ($(cat inuse.err))"
assert_contains "$(cat inuse.err)" "in use" "a port in use: said"

# Streaming through the relay while two pages watch.
N=30
timeout 120 node "$TESTS_DIR/lib/peers/view_check.js" "$CHROME" "$url" \
	"http://127.0.0.1:$rport/test/sse?n=$N&gap_ms=100" $N 100 >check.json ||
	fail "view_check failed: $(head -c 2000 check.json)"
grep -q '^{"error"' check.json && fail "view_check: $(head -c 2000 check.json)"
q() { /usr/bin/python3 -c 'import json,sys; x=json.load(open("check.json")); print(eval(sys.argv[1]))' "$1"; }
echo "samples (ms since the stream began, events curl had, page 1, page 2):"
q '"\n".join("  %(ms)5d ms curl %(curl)2d page1 %(page1)2d" % s + (" page2 %2d" % s["page2"] if "page2" in s else "") for s in x["samples"])'
assert_eq "$(q 'x["requests"]')" "[]" "the page asks nothing of anyone but its server"
assert_eq "$(q 'x["console"] + x["exceptions"]')" "[]" "no console message, no exception (CSP allows its script)"
assert_eq "$(q 'x["curl"]')" "$N" "the client got every event"
assert_eq "$(q 'any(0 < s["page1"] < '$N' and not s["curlDone"] for s in x["samples"])')" "True" \
	"the page's event count grew before the stream ended"
assert_eq "$(q 'len(set(s["page1"] for s in x["samples"] if not s["curlDone"])) >= 3')" "True" \
	"... and kept growing"
# Within 200 ms: at most two events behind the client (one every 100 ms),
# sampled while the stream runs.
lag=$(q 'max(s["curl"] - s["page1"] for s in x["samples"] if not s["curlDone"] and s["page1"] > 0)')
echo "most events behind the client: $lag"
[ "$lag" -le 2 ] || fail "the page fell $lag events (${lag}00 ms) behind the client"
ok "the page stays within 200 ms of the client ($lag events behind at most)"
assert_eq "$(q 'any(0 < s.get("page2", 0) < '$N' and not s["curlDone"] for s in x["samples"])')" "True" \
	"a second viewer opened mid-stream sees the stream growing too"
assert_eq "$(q 'x["after1"]["events"]'),$(q 'x["after2"]["events"]')" "$N,$N" "both viewers end with every event"
assert_eq "$(q 'x["after1"]["live"]')" "done" "the exchange ends settled"
assert_eq "$(q 'x["after1"]["pwned"]'),$(q 'x["after1"]["scripts"]')" "undefined,1" "one script, its own"

# A chat completion's answer in the conversation, and the report link.
curl -s "http://127.0.0.1:$rport/v1/chat/completions" -H 'Content-Type: application/json' \
	-d '{"model":"gpt-4o","stream":true,"messages":[{"role":"user","content":"say hello"}]}' >chat.out
grep -q '\[DONE\]' chat.out || fail "the chat stream: $(head -c 300 chat.out)"
timeout 10 curl -sN "${url}events" >ev.txt 2>/dev/null || true
assert_contains "$(grep -c '^event: turn' ev.txt)" "1" "a new viewer's events hold the chat's turn"
assert_contains "$(cat ev.txt)" "say hello" "... its prompt"
curl -s "${url}report" >report.html
assert_contains "$(head -c 300 report.html)" "<!DOCTYPE html>" "the report link serves the HTML report"
assert_contains "$(cat report.html)" "/test/sse" "... of the trace as it is"

# A viewer killed mid-stream: the recording goes on, whole.
timeout 20 curl -sN "${url}events" >/dev/null 2>&1 &
curl -sN "http://127.0.0.1:$rport/test/sse?n=20&gap_ms=50" >second.out &
spid=$!
sleep 0.4
kill -9 "$vpid"
wait "$spid" || fail "the second stream failed once the viewer was killed"
assert_eq "$(grep -c '^event: tick' second.out)" "20" "the client got every event with the viewer killed"
kill -TERM "$rpid"
wait "$rpid" 2>/dev/null || true
"$CXREC" decode -f jsonl t.bin >t.jsonl 2>decode.err || fail "decode: $(cat decode.err)"
assert_eq "$(wc -l <t.jsonl)" "3" "the trace holds the three exchanges"
assert_eq "$(/usr/bin/python3 -c 'import json; x=[json.loads(l) for l in open("t.jsonl")]; print([len(e["response"].get("sse") or []) for e in x if "/test/sse" in e["request"]["url"]])')" \
	"[$N, 20]" "each stream recorded whole"

# cxrec run --view: the view beside the command, its URL on stderr; a
# viewer sees the command's stream and the trace's end.
cat >agent.sh <<'SH'
#!/bin/sh
# Wait for the view's URL, watch it, stream through the relay.
for _ in $(seq 100); do grep -q 'view: http://' run.err && break; sleep 0.05; done
url=$(sed -n 's|^cxrec: view: \(http://[^ ]*\)$|\1|p' run.err | head -1)
timeout 20 curl -sN "${url}events" >run-events.txt 2>/dev/null &
curl -sN "$CXREC_RELAY_URL/test/sse?n=10&gap_ms=50" >run-stream.txt
# The view has none of the command's environment (its preload).
vp=$(pgrep -f 'cxrec view -- r.bin' | head -1)
tr '\0' '\n' </proc/$vp/environ | grep -c '^LD_PRELOAD=' >view-preload.txt || true
SH
chmod +x agent.sh
rc=0
"$CXREC" run --view --upstream "http://127.0.0.1:$MOCK_PORT" -o r.bin -- ./agent.sh 2>run.err || rc=$?
assert_eq "$rc" "0" "run --view: the command's status ($(tail -3 run.err))"
assert_contains "$(cat run.err)" "cxrec: view: http://127.0.0.1:" "run --view prints the view's URL on stderr"
for _ in $(seq 100); do grep -q '^event: end' run-events.txt && break; sleep 0.05; done
assert_eq "$(grep -c '^event: tick' run-stream.txt)" "10" "run --view: the command's stream whole"
assert_contains "$(cat run-events.txt)" "/test/sse" "run --view: the viewer saw the command's exchange"
assert_eq "$(cat view-preload.txt)" "0" "run --view: the view runs without the command's LD_PRELOAD"
assert_contains "$(grep -A1 '^event: end' run-events.txt)" "the trace is closed" "run --view: ... and the trace's end"
pgrep -f 'cxrec view -- r.bin' >/dev/null && fail "run --view: its view outlived the run"
ok "run --view: the view ends with the run"
