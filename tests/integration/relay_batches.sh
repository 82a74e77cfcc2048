#!/usr/bin/env bash
# A download through the relay: the upstream's bytes come in batches of up
# to 256 KiB and are recorded as DATA frames of at most 64 KiB, a batch's
# frames in one write (the same timestamp, one after the other; issue 20,
# docs/performance.md).  The client gets the served bytes, the trace holds
# them byte for byte; under --redact-at-source the client gets the
# original, the trace the redacted bytes, the same length.
. "$(dirname "$0")/../lib/lib.sh"
mock_https

# frames TRACE: the response bodies of the trace's connections, in order
# (the response DATA frames' payloads after the head; one response per
# connection here), written to TRACE.body; prints the largest DATA frame
# and the most frames of one batch (one connection, one timestamp, in a
# row).
frames() {
	/usr/bin/python3 - "$1" <<'PY'
import struct, sys
f = open(sys.argv[1], "rb"); f.seek(128)
resp, big, run, best, last = {}, 0, 0, 0, None
while True:
    h = f.read(40)
    if len(h) < 40:
        break
    n = struct.unpack_from("<I", h, 4)[0]
    p = f.read(n)
    if h[8] != 3:
        last = None
        continue
    big = max(big, n)
    key = (h[10], struct.unpack_from("<Qq", h, 16))
    run = run + 1 if key == last else 1
    best, last = max(best, run), key
    if h[10] == 2:
        resp.setdefault(key[1][0], []).append(p)
with open(sys.argv[1] + ".body", "wb") as o:
    for c in resp:
        o.write(b"".join(resp[c]).split(b"\r\n\r\n", 1)[1])
print(big, best)
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

N=$((24 << 20))
served "$N" >want.bin
P=$(free_port)
start_relay "$P" t.bin --upstream "$MOCK_URL" --cacert certs/ca.pem
# A slow reader lets the upstream's bytes pile up: batches of several frames.
curl -sS --fail --limit-rate 40M "http://127.0.0.1:$P/test/bytes?n=$N" -o got.bin ||
	fail "download failed"
cmp -s got.bin want.bin || fail "the client got other bytes than the served ones"
ok "24 MiB download intact"
stop_relay
read -r big run <<<"$(frames t.bin)"
cmp -s t.bin.body want.bin || fail "the trace's body differs from the served bytes"
ok "the trace holds the body byte for byte"
[ "$big" -le 65536 ] || fail "a DATA frame of $big bytes (at most 64 KiB)"
ok "DATA frames of at most 64 KiB ($big)"
[ "$run" -ge 2 ] || fail "no batch written as several frames"
ok "batches of up to $run frames written together"
"$CXREC" decode --format jsonl t.bin >t.jsonl 2>decode.err || fail "decode failed"
assert_eq "$(cat decode.err)" "" "decode: no damaged frame (every CRC holds)"
assert_eq "$(jsonq t.jsonl '[e["response"]["body_bytes"] for e in x]')" "[$N]" "decode: the whole body"

# --redact-at-source: the trace gets the redacted batch, the client the original.
M=$((4 << 20))
served "$M" cookie >want2.bin
P2=$(free_port)
start_relay "$P2" r.bin --upstream "$MOCK_URL" --cacert certs/ca.pem --redact-at-source
curl -sS --fail --limit-rate 20M "http://127.0.0.1:$P2/test/bytes?n=$M&fill=cookie" -o got2.bin ||
	fail "download failed"
cmp -s got2.bin want2.bin || fail "the client got other bytes than the served ones"
ok "redacted at source: the client got the original bytes"
stop_relay
read -r big run <<<"$(frames r.bin)"
[ "$big" -le 65536 ] || fail "a DATA frame of $big bytes (at most 64 KiB)"
assert_eq "$(wc -c <r.bin.body)" "$M" "the trace's body has the served length"
grep -q s3cr3t r.bin.body && fail "the trace holds the cookie's value"
grep -qF '[cxrec:' r.bin.body || fail "no redaction mark in the trace"
ok "the trace holds the redacted body"
