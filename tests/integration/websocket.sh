#!/usr/bin/env bash
# WebSocket through the relay, decoded (issue 6), with a real peer no one
# here wrote: npm's `ws` package as server and client (tests/lib/peers/ws_peer.js),
# permessage-deflate off, on, and without context takeover: text, JSON,
# binary, a message in two frames, a ping and its pong, 100 KB of text
# split across reads, a close with a code.  Every message each side sent
# (their own logs) is in the decoded trace, byte for byte, in order; an
# upstream that refuses the upgrade shows as such; a trace torn inside a
# message decodes up to it.
. "$(dirname "$0")/../lib/lib.sh"
MODS=$("$REPO/scripts/install-npm.sh" ws 8.18.0) || fail "cannot install ws from npm"
export NODE_PATH=$MODS
cd "$WORK"

# compare LOG JSONL: what each side sent, against the decoded websocket[]
compare() {
	/usr/bin/python3 - "$1" "$2" <<'PY'
import base64, json, sys
sent = [json.loads(l) for l in open(sys.argv[1])]
ex = [json.loads(l) for l in open(sys.argv[2])]
ws = [e for e in ex if e.get("websocket") is not None]
assert len(ws) == 1, "one upgraded exchange, got %d" % len(ws)
msgs = ws[0]["websocket"]
def raw(m):
    if m.get("encoding") == "base64":
        return base64.b64decode(m["data"])
    d = m["data"]
    if isinstance(d, str):
        return d.encode()
    return json.dumps(d, separators=(",", ":"), ensure_ascii=False).encode()
for side, dir in (("client", "send"), ("server", "receive")):
    want = [(s["opcode"], base64.b64decode(s["data"]), s.get("code")) for s in sent if s["from"] == side]
    # (the pong and the client's close are the ws library's own answers)
    got = [(m["opcode"], raw(m), m.get("code")) for m in msgs if m["dir"] == dir and m["opcode"] != "pong"
           and not (side == "client" and m["opcode"] == "close")]
    assert got == want, "%s: got %r\nwant %r" % (side, [(o, d[:40], c) for o, d, c in got], [(o, d[:40], c) for o, d, c in want])
pongs = [m for m in msgs if m["opcode"] == "pong" and m["dir"] == "receive"]
assert len(pongs) == 1 and raw(pongs[0]) == b"p1", pongs
closes = [m for m in msgs if m["opcode"] == "close" and m["dir"] == "send"]
assert len(closes) == 1 and closes[0]["code"] == 4000, closes
assert ws[0]["error"] is None, ws[0]["error"]
print(len(msgs), "messages, deflate", ws[0].get("websocket_deflate", False),
      "compressed", sum(1 for m in msgs if m.get("compressed")))
PY
}

for deflate in off on fresh; do
	rm -f "$WORK/log.jsonl" "$WORK/ws.bin"
	node "$TESTS_DIR/lib/peers/ws_peer.js" server "$WORK/log.jsonl" "$deflate" >"$WORK/port" 2>"$WORK/server.err" &
	spid=$!
	defer "kill $spid 2>/dev/null"
	for _ in $(seq 50); do [ -s "$WORK/port" ] && break; sleep 0.1; done
	[ -s "$WORK/port" ] || { cat "$WORK/server.err"; fail "ws server did not start"; }
	"$CXREC" relay --listen 127.0.0.1:0 --upstream "http://127.0.0.1:$(cat "$WORK/port")" \
		-o "$WORK/ws.bin" 2>"$WORK/relay-$deflate.err" &
	rpid=$!
	rport=$(listen_port "$WORK/relay-$deflate.err" "$rpid")
	out=$(node "$TESTS_DIR/lib/peers/ws_peer.js" client "ws://127.0.0.1:$rport/ws" "$WORK/log.jsonl" "$deflate") ||
		fail "ws client through the relay failed (deflate $deflate)"
	assert_eq "$out" '{"closed":4000,"echoes":5}' "deflate $deflate: the client got its 5 echoes and the close, through the relay"
	kill "$rpid" "$spid"
	wait "$rpid" 2>/dev/null || true
	"$CXREC" decode -f jsonl --no-redact "$WORK/ws.bin" >"$WORK/t.jsonl"
	res=$(compare "$WORK/log.jsonl" "$WORK/t.jsonl") || fail "deflate $deflate: decoded messages differ: $res"
	ok "deflate $deflate: every message byte for byte ($res)"
	cp "$WORK/ws.bin" "$WORK/ws-$deflate.bin"
done
assert_contains "$(jsonq "$WORK/t.jsonl" 'x[0]["websocket_deflate"]')" True "no-context-takeover run: deflate negotiated"

# The text listing and the HAR show the messages too.
text=$("$CXREC" decode "$WORK/ws-on.bin")
assert_contains "$text" "ws send text" "text: sent messages"
assert_contains "$text" '"type":"echo"' "text: received messages"
"$CXREC" decode -f har "$WORK/ws-on.bin" >"$WORK/ws.har"
assert_eq "$(/usr/bin/python3 -c 'import json,sys; e=json.load(open(sys.argv[1]))["log"]["entries"][0]; print(len(e["_webSocketMessages"]), e["_webSocketMessages"][0]["type"])' "$WORK/ws.har")" \
	"15 send" "HAR: Chrome's _webSocketMessages"

# A trace torn in the middle of the largest frame of the client's after
# its first (permessage-deflate on: a compressed message): what came
# before it is decoded, the torn tail reported.  Not the first: when the
# client's writes are coalesced, its first frame holds "hello" with more.
cut=$(/usr/bin/python3 - "$WORK/ws-on.bin" <<'PY'
import struct, sys
d = open(sys.argv[1], "rb").read()
i, best, upgraded, first = 128, (0, 0), False, True
while i + 40 <= len(d):
    n = struct.unpack_from("<I", d, i + 4)[0]
    if d[i + 8] == 3 and d[i + 10] == 2:
        upgraded = True     # the 101 came: client frames are WebSocket
    elif d[i + 8] == 3 and d[i + 10] == 1 and upgraded:
        if not first and n > best[1]:
            best = (i, n)
        first = False
    i += 40 + n
print(best[0] + 40 + best[1] // 2 if best[1] else 0)
PY
)
[ "$cut" -gt 0 ] || fail "no client frame after the first in the deflate run's trace"
head -c "$cut" "$WORK/ws-on.bin" >"$WORK/torn.bin"
"$CXREC" decode -f jsonl --no-redact "$WORK/torn.bin" >"$WORK/torn.jsonl" 2>"$WORK/torn.err" || true
assert_contains "$(cat "$WORK/torn.err")" "incomplete frame" "the torn tail is reported"
assert_eq "$(jsonq "$WORK/torn.jsonl" 'x[0]["websocket"][0]["data"] == "hello" and len(x[0]["websocket"]) < 15')" \
	True "the messages before the tear decoded, not those after"

# An upstream that refuses the upgrade: the client sees its answer.
. "$TESTS_DIR/lib/codex_env.sh"
CXREC_NO_MOCK_TRAP=1 start_mock "$WORK/mock"
defer "kill $MOCK_PID"
"$CXREC" relay --listen 127.0.0.1:0 --upstream "$MOCK_URL" -o "$WORK/refused.bin" 2>"$WORK/relay-refused.err" &
rpid=$!
rport=$(listen_port "$WORK/relay-refused.err" "$rpid")
rc=0
node "$TESTS_DIR/lib/peers/ws_peer.js" client "ws://127.0.0.1:$rport/ws" "$WORK/r.log" off >/dev/null 2>"$WORK/r.err" || rc=$?
kill "$rpid"; wait "$rpid" 2>/dev/null || true
assert_eq "$rc" 1 "the client fails"
assert_contains "$(cat "$WORK/r.err")" "Unexpected server response: 404" "with the upstream's answer"
"$CXREC" decode -f jsonl "$WORK/refused.bin" >"$WORK/r.jsonl"
assert_eq "$(jsonq "$WORK/r.jsonl" '[(e["request"]["headers"] and url(e), e["response"]["status"], "websocket" in e) for e in x]')" \
	"[('/ws', 404, False)]" "the trace shows the refused upgrade"
echo "websocket: relayed and decoded"
