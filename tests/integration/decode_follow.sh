#!/usr/bin/env bash
# decode --follow (issue 17): `cxrec relay` records the mock upstream's
# event streams while `cxrec decode --follow` runs beside it in jsonl, text
# and conversation.  Each exchange is in the followers' output before the
# relay stops, soon after its last byte (the client keeps its connection
# open, so only the trace's clock settles it); the followers end by
# themselves when the relay closes the trace (its END frame), with the
# same output as a plain decode; Ctrl-C ends one early with what is
# complete; a format that needs the whole trace refuses --follow; a relay
# killed with -9 (no END frame) ends its follower too.
. "$(dirname "$0")/../lib/lib.sh"
. "$TESTS_DIR/lib/codex_env.sh"
CXREC_NO_MOCK_TRAP=1
start_mock "$WORK" --plain || fail "the mock did not start"
defer stop_mock
cd "$WORK"

"$CXREC" relay --listen 127.0.0.1:0 --upstream "http://127.0.0.1:$MOCK_PORT" \
	-o t.bin 2>relay.err &
rpid=$!
defer "kill $rpid 2>/dev/null"
rport=$(listen_port relay.err "$rpid")

# The followers, each guarded by a timeout (124: it never ended).
declare -A fpid
for fmt in jsonl text conversation; do
	timeout 25 "$CXREC" decode --follow -f "$fmt" -o "follow.$fmt" t.bin \
		2>"follow.$fmt.err" &
	fpid[$fmt]=$!
	defer "kill ${fpid[$fmt]} 2>/dev/null"
done
"$CXREC" decode --follow -f jsonl t.bin >interrupted.jsonl 2>interrupted.err &
ipid=$!
defer "kill $ipid 2>/dev/null"

# Two streamed exchanges on one kept-alive connection: after each, how
# long until the jsonl follower has written it.  The client then keeps
# the connection open (in the background) until the relay stops.
cat >client.py <<'PY'
import http.client, json, os, sys, time
port, out = int(sys.argv[1]), sys.argv[2]

def lines():
    try:
        with open(out) as f:
            return [l for l in f if l.strip()]
    except FileNotFoundError:
        return []

c = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
reqs = [("GET", "/test/sse?n=5&gap_ms=100", None),
        ("POST", "/v1/chat/completions",
         json.dumps({"model": "gpt-4o", "stream": True,
                     "messages": [{"role": "user", "content": "say hello"}]}))]
for i, (method, path, body) in enumerate(reqs):
    c.request(method, path, body=body,
              headers={"Content-Type": "application/json"} if body else {})
    r = c.getresponse()
    data = r.read()
    assert r.status == 200, (r.status, data[:200])
    done = time.monotonic()
    while len(lines()) < i + 1 and time.monotonic() - done < 5:
        time.sleep(0.005)
    got = lines()
    assert len(got) == i + 1, "exchange %d not followed within 5 s: %r" % (i + 1, got)
    assert json.loads(got[i])["request"]["url"].startswith(path.split("?")[0]), got[i]
    print("exchange %d (%s) followed %.0f ms after its last byte" %
          (i + 1, path.split("?")[0], (time.monotonic() - done) * 1000))
    sys.stdout.flush()
open("client.done", "w").close()
time.sleep(30)
PY
/usr/bin/python3 client.py "$rport" follow.jsonl >client.out 2>&1 &
cpid=$!
defer "kill $cpid 2>/dev/null"
for _ in $(seq 200); do
	[ -e client.done ] && break
	kill -0 "$cpid" 2>/dev/null || fail "client: $(cat client.out)"
	sleep 0.05
done
cat client.out
[ -e client.done ] || fail "the client did not finish: $(cat client.out)"
kill -0 "$rpid" || fail "the relay stopped early"
lat=$(sed -n 's/.*followed \([0-9]*\) ms.*/\1/p' client.out | sort -n | tail -1)
[ "${lat:-9999}" -lt 1000 ] ||
	fail "an exchange took ${lat} ms to be followed (target ~200 ms)"
ok "jsonl: each exchange followed while the relay runs (at most ${lat} ms after its last byte)"

for _ in $(seq 50); do
	grep -q '/v1/chat/completions' follow.text && grep -q '^== Turn 1' follow.conversation && break
	sleep 0.1
done
assert_contains "$(cat follow.text)" "/test/sse" "text: the SSE exchange, before the relay stops"
assert_contains "$(cat follow.text)" "/v1/chat/completions" "text: the chat exchange, before the relay stops"
assert_contains "$(cat follow.conversation)" "== Turn 1" "conversation: the turn, before the relay stops"

# Ctrl-C: ends at once, with the exchanges that are complete.
kill -INT "$ipid"
for _ in $(seq 50); do kill -0 "$ipid" 2>/dev/null || break; sleep 0.1; done
kill -0 "$ipid" 2>/dev/null && fail "Ctrl-C did not end the follower within 5 s"
rc=0
wait "$ipid" || rc=$?
assert_eq "$rc" "0" "Ctrl-C ends a follower with status 0"
assert_eq "$(grep -c . interrupted.jsonl)" "2" "... having written the complete exchanges"

# The relay stops: its END frame ends every follower by itself.
kill -TERM "$rpid"
wait "$rpid" || fail "relay exited non-zero: $(cat relay.err)"
for fmt in jsonl text conversation; do
	rc=0
	wait "${fpid[$fmt]}" || rc=$?
	[ "$rc" = 124 ] && fail "$fmt: the follower did not end after the relay stopped"
	assert_eq "$rc" "0" "$fmt: the follower ended by itself when the relay closed the trace"
	assert_eq "$(cat "follow.$fmt.err")" "" "$fmt: nothing on stderr (closed, not torn or gone)"
	"$CXREC" decode -f "$fmt" -o "plain.$fmt" t.bin || fail "plain decode -f $fmt"
	cmp -s "follow.$fmt" "plain.$fmt" ||
		fail "$fmt: followed output differs from a plain decode: $(diff "follow.$fmt" "plain.$fmt" | head -20)"
	ok "$fmt: the same output as a plain decode of the closed trace"
done

# Formats that need the whole trace refuse, on one line, exit 2.
rc=0
"$CXREC" decode --follow -f md t.bin >md.out 2>md.err || rc=$?
assert_eq "$rc" "2" "--follow -f md: a usage error"
assert_eq "$(wc -l <md.err)" "1" "... said on one line"
assert_contains "$(cat md.err)" "format 'md' needs the whole trace" "... naming why"

# A relay killed before it could close its trace: the follower sees its
# writer is gone, says so, and ends with what the trace holds.
"$CXREC" relay --listen 127.0.0.1:0 --upstream "http://127.0.0.1:$MOCK_PORT" \
	-o killed.bin 2>relay2.err &
rpid2=$!
defer "kill $rpid2 2>/dev/null"
rport2=$(listen_port relay2.err "$rpid2")
timeout 20 "$CXREC" decode --follow -f jsonl -o killed.jsonl killed.bin 2>killed.err &
kpid=$!
defer "kill $kpid 2>/dev/null"
/usr/bin/python3 -c 'import sys, urllib.request
urllib.request.urlopen("http://127.0.0.1:%s/test/sse?n=2&gap_ms=10" % sys.argv[1], timeout=10).read()' "$rport2" ||
	fail "request through the second relay"
kill -KILL "$rpid2"
wait "$rpid2" 2>/dev/null || true       # (reaped: a zombie is not gone)
rc=0
wait "$kpid" || rc=$?
assert_eq "$rc" "0" "relay killed with -9: the follower ended by itself"
assert_contains "$(cat killed.err)" "is gone without closing it: stopped following it" "... saying its writer is gone"
assert_eq "$(grep -c /test/sse killed.jsonl)" "1" "... with the exchange the trace holds"
