#!/usr/bin/env bash
# The relay with real clients (curl, python) against the mock over HTTPS:
# keep-alive, streamed request and response bodies, byte-exact recording,
# routes, and every refusal (400, 405, 431, 502) answered and recorded.
. "$(dirname "$0")/../lib/lib.sh"
mock_https
P=$(free_port)
R=http://127.0.0.1:$P
start_relay "$P" t.bin --upstream "$MOCK_URL" --cacert certs/ca.pem --route "/alt/=$MOCK_URL/test/"

# Keep-alive: several requests on one connection, one of them a 5 MiB body.
head -c 5242880 /dev/urandom >big.bin
sum=$(sha256sum big.bin | cut -d' ' -f1)
out=$(curl -sS --fail "$R/test/echo?a=1" -o /dev/null \
	"$R/test/bytes?n=3000000" -o got.bin \
	"$R/test/echo" --data-binary @big.bin -H 'Content-Type: application/octet-stream' -o echo.json -w '%{num_connects}')
assert_eq "$out" "100" "three requests on one kept-alive connection (connects: 1, 0, 0)"
cmp got.bin <(/usr/bin/python3 -c 'import sys; b=bytes(range(256))*256; n=3000000
while n>0: sys.stdout.buffer.write(b[:min(n,len(b))]); n-=min(n,len(b))') || fail "3 MB response differs"
ok "3 MB response intact"
assert_contains "$(cat echo.json)" "\"sha256\": \"$sum\"" "5 MiB request body intact upstream"
# A chunked request body, streamed.
out=$(curl -sS --fail -H 'Transfer-Encoding: chunked' --data-binary @big.bin "$R/test/echo")
assert_contains "$out" "\"sha256\": \"$sum\"" "chunked request body intact"
# A route with a path replaces the prefix; Host is the upstream's.
out=$(curl -sS --fail "$R/alt/echo?x=2")
assert_contains "$out" '"path": "/test/echo?x=2"' "prefix replaced by the route's path"
assert_contains "$out" "\"host\": \"127.0.0.1:$MOCK_PORT\"" "Host rewritten for the upstream"

# SSE: events arrive as they are sent, not at the end.
/usr/bin/python3 - "$P" <<'PY' || fail "SSE was buffered"
import socket, sys, time
s = socket.create_connection(("127.0.0.1", int(sys.argv[1])))
s.sendall(b"GET /test/sse?n=5&gap_ms=200 HTTP/1.1\r\nHost: x\r\n\r\n")
t0 = time.time(); buf = b""; first = None
while b"0\r\n\r\n" not in buf:
    d = s.recv(65536)
    if not d: break
    buf += d
    if first is None and b'"i":0' in buf: first = time.time() - t0
total = time.time() - t0
print("first event after %.3fs, stream %.3fs" % (first, total))
sys.exit(0 if first < 0.15 and total > 0.8 else 1)
PY
ok "SSE streamed as it arrives"

# gzip response and a response ending at close.
curl -sS --fail "$R/test/gzip" -o gz.bin
assert_eq "$(gzip -dc gz.bin | head -c 17)" '{"hello": "gzip",' "gzip body passed through untouched"
out=$(curl -sS "$R/test/until-close")
assert_eq "$out" "body without a length" "response delimited by close"
# The upstream cutting a response short: the client sees the cut.
rc=0; curl -sS "$R/test/cut" -o /dev/null 2>cut.err || rc=$?
assert_eq "$rc" 18 "curl saw the cut (partial file)"

# Refusals, each answered and recorded.
raw() { /usr/bin/python3 -c 'import socket,sys
s=socket.create_connection(("127.0.0.1",int(sys.argv[1]))); s.sendall(sys.argv[2].encode().decode("unicode_escape").encode("latin-1"))
d=b""
while True:
  x=s.recv(65536)
  if not x: break
  d+=x
print(d.decode("latin-1").split("\r\n")[0])' "$P" "$1"; }
assert_eq "$(raw 'NOT HTTP AT ALL\r\n\r\n')" "HTTP/1.1 400 Bad Request" "garbage -> 400"
assert_eq "$(raw 'GET http://example.com/ HTTP/1.1\r\nHost: example.com\r\n\r\n')" "HTTP/1.1 400 Bad Request" "absolute URI -> 400, never forwarded"
assert_eq "$(raw 'CONNECT example.com:443 HTTP/1.1\r\nHost: example.com:443\r\n\r\n')" "HTTP/1.1 405 Method Not Allowed" "CONNECT refused"
big=$(head -c 70000 /dev/zero | tr '\0' a)
assert_eq "$(raw "GET / HTTP/1.1\\r\\nX-Big: $big\\r\\n\\r\\n")" "HTTP/1.1 431 Request Header Fields Too Large" "headers over 64 KiB -> 431"
# The Host header never picks the upstream.
out=$(curl -sS -H 'Host: evil.example' "$R/test/echo")
assert_contains "$out" "\"host\": \"127.0.0.1:$MOCK_PORT\"" "Host header ignored for routing"
stop_relay

# Upstream failures: certificate not trusted, nothing listening.
P2=$(free_port)
start_relay "$P2" bad.bin --upstream "$MOCK_URL"
out=$(curl -sS -i "http://127.0.0.1:$P2/v1/models")
assert_contains "$out" "HTTP/1.1 502 Bad Gateway" "untrusted certificate -> 502"
assert_contains "$out" "certificate verify failed" "502 says the certificate did not verify"
stop_relay
P3=$(free_port); dead=$(free_port)
start_relay "$P3" dead.bin --upstream "https://127.0.0.1:$dead"
out=$(curl -sS -i "http://127.0.0.1:$P3/v1/models")
assert_contains "$out" "Connection refused" "unreachable upstream -> 502 naming the cause"
stop_relay
# --insecure works and is recorded.
P4=$(free_port)
start_relay "$P4" insecure.bin --upstream "$MOCK_URL" --insecure
curl -sS --fail "http://127.0.0.1:$P4/test/echo" >/dev/null
stop_relay
assert_contains "$(cat "$WORK/relay.$P4.err")" "--insecure" "--insecure warned about"

# What the trace says.
"$CXREC" decode --format jsonl t.bin >t.jsonl
assert_eq "$(jsonq t.jsonl 'sum(1 for e in x if e["response"] and e["response"]["status"]==200)')" 10 "ten exchanges answered 200 recorded"
assert_eq "$(jsonq t.jsonl '[e["request"]["body_bytes"] for e in x if url(e)=="/test/echo" and e["request"]["method"]=="POST"]')" \
	"[5242880, 5242880]" "request bodies recorded whole"
assert_eq "$(jsonq t.jsonl '[e["response"]["body_bytes"] for e in x if url(e).startswith("/test/bytes")]')" \
	"[3000000]" "response body recorded whole"
assert_eq "$(jsonq t.jsonl '[e["request"]["upstream"] for e in x if url(e).startswith("/alt/")]')" \
	"['$MOCK_URL/test/echo?x=2']" "upstream URL after the route"
assert_eq "$(jsonq t.jsonl '[len(e["response"]["sse"]) for e in x if url(e).startswith("/test/sse")]')" "[5]" "SSE events recorded"
assert_eq "$(jsonq t.jsonl '[e["response"]["body"]["hello"] for e in x if url(e)=="/test/gzip"]')" "['gzip']" "gzip body decoded"
assert_contains "$(jsonq t.jsonl '[e["error"] for e in x if url(e)=="/test/cut"]')" "mid-response" "cut exchange has an error"
assert_eq "$(jsonq t.jsonl '[e["response"]["status"] for e in x if e["response"] and e["response"]["status"]>=400]')" \
	"[400, 400, 405, 431]" "refusals recorded with their status"
assert_eq "$(jsonq t.jsonl 'all(e["error"] for e in x if e["response"] and e["response"]["status"]>=400)')" True "refusals carry an error"
"$CXREC" decode --format jsonl bad.bin >bad.jsonl
assert_contains "$(jsonq bad.jsonl 'x[0]["error"]')" "certificate verify failed" "502 recorded with its cause"
echo "relay checks passed"
