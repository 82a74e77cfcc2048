#!/usr/bin/env bash
# Downloads through the relay sent to the client from the trace (sendfile
# from its page cache, docs/architecture.md "Recording"): the client gets
# the served bytes, the trace holds them byte for byte, and the path was
# taken (the relay's "sent from the trace" count).  Under
# --redact-at-source, batches whose recorded bytes differ from the sent
# ones go from memory: the client gets the original, the trace the
# redacted.
. "$(dirname "$0")/../lib/lib.sh"
mock_https

# body TRACE: the response bodies of the trace's connections, in order,
# each the response DATA frames' payloads after the head (one response per
# connection here), written to TRACE.body.
body() {
	/usr/bin/python3 - "$1" <<'PY'
import struct, sys
f = open(sys.argv[1], "rb"); f.seek(128)
resp = {}
while True:
    h = f.read(40)
    if len(h) < 40:
        break
    n = struct.unpack_from("<I", h, 4)[0]
    p = f.read(n)
    if h[8] == 3 and h[10] == 2:
        resp.setdefault(struct.unpack_from("<Q", h, 16)[0], []).append(p)
with open(sys.argv[1] + ".body", "wb") as o:
    for c in resp:
        o.write(b"".join(resp[c]).split(b"\r\n\r\n", 1)[1])
PY
}
served() { # served N [cookie]: what the mock's /test/bytes sends
	/usr/bin/python3 -c 'import sys
n = int(sys.argv[1])
b = (b"Cookie: session=s3cr3t-0123456789abcdef0123456789\n" * 1300) if sys.argv[2:] else bytes(range(256)) * 256
o = sys.stdout.buffer
while n > 0:
    o.write(b[:min(n, len(b))]); n -= min(n, len(b))' "$@"
}
from_trace() { sed -n 's/.*(\([0-9]*\) sent from the trace).*/\1/p' "$1"; }

N=$((24 << 20))
served "$N" >want.bin
P=$(free_port)
start_relay "$P" t.bin --upstream "$MOCK_URL" --cacert certs/ca.pem
curl -sS --fail "http://127.0.0.1:$P/test/bytes?n=$N" -o got.bin || fail "download failed"
cmp -s got.bin want.bin || fail "the client got other bytes than the served ones"
ok "24 MiB download intact"
stop_relay
sent=$(from_trace "relay.$P.err")
[ -n "$sent" ] && [ "$sent" -gt 0 ] || fail "nothing sent from the trace: $(tail -1 "relay.$P.err")"
ok "sent from the trace: $sent of $N body bytes"
body t.bin
cmp -s t.bin.body want.bin || fail "the trace's body differs from the served bytes"
ok "the trace holds the body byte for byte"
"$CXREC" decode --format jsonl t.bin >t.jsonl 2>decode.err || fail "decode failed"
assert_eq "$(cat decode.err)" "" "decode: no damaged frame (every CRC holds)"
assert_eq "$(jsonq t.jsonl '[e["response"]["body_bytes"] for e in x]')" "[$N]" "decode: the whole body"

# --redact-at-source: where the recorded bytes differ, sent from memory.
M=$((4 << 20))
served "$M" cookie >want2.bin
P2=$(free_port)
start_relay "$P2" r.bin --upstream "$MOCK_URL" --cacert certs/ca.pem --redact-at-source
curl -sS --fail "http://127.0.0.1:$P2/test/bytes?n=$M&fill=cookie" -o got2.bin || fail "download failed"
cmp -s got2.bin want2.bin || fail "the client got other bytes than the served ones"
ok "redacted at source: the client got the original bytes"
stop_relay
assert_eq "$(from_trace "relay.$P2.err")" 0 "redacted at source: nothing sent from the trace"
body r.bin
assert_eq "$(wc -c <r.bin.body)" "$M" "the trace's body has the served length"
grep -q s3cr3t r.bin.body && fail "the trace holds the cookie's value"
grep -qF '[cxrec:' r.bin.body || fail "no redaction mark in the trace"
ok "the trace holds the redacted body"

# Under --redact-at-source, bytes with nothing to hide still go from the trace.
P3=$(free_port)
start_relay "$P3" r3.bin --upstream "$MOCK_URL" --cacert certs/ca.pem --redact-at-source
curl -sS --fail "http://127.0.0.1:$P3/test/bytes?n=$N" -o got3.bin || fail "download failed"
cmp -s got3.bin want.bin || fail "the client got other bytes than the served ones"
stop_relay
sent=$(from_trace "relay.$P3.err")
[ -n "$sent" ] && [ "$sent" -gt 0 ] || fail "nothing sent from the trace: $(tail -1 "relay.$P3.err")"
body r3.bin
cmp -s r3.bin.body want.bin || fail "the trace's body differs from the served bytes"
ok "redacted at source, nothing to hide: $sent bytes sent from the trace, the trace intact"
