#!/usr/bin/env bash
# The relay at the edges of HTTP/1.1, each case a bug found in review:
# an upstream that answers before the body ends, pipelined responses cut
# mid-way, unsolicited bytes on an idle upstream, a client that
# half-closes, refusals behind pipelined responses, long targets; and
# `cxrec run` leaving ignored signals and SIGPIPE as they were.
. "$(dirname "$0")/../lib/lib.sh"
cd "$WORK"

up() {  # up MODE: start the scripted upstream, set UP
	rm -f up.port
	/usr/bin/python3 "$TESTS_DIR/lib/mocks/scripted_upstream.py" up.port "up.$1.log" "$1" &
	defer "kill $! 2>/dev/null"
	for _ in $(seq 1 100); do [ -s up.port ] && break; sleep 0.05; done
	UP=http://127.0.0.1:$(cat up.port)
}
# raw PORT PYTHON-STATEMENTS: a client socket `s` on the relay; prints what it got.
raw() { /usr/bin/python3 -c "import socket,time
s=socket.create_connection(('127.0.0.1',$1)); s.settimeout(3)
def rd():
    d=b''
    try:
        while True:
            x=s.recv(65536)
            if not x: break
            d+=x
    except socket.timeout: pass
    return d
def send(b):
    try: s.sendall(b)
    except OSError: pass
$2"; }

# 1. The upstream answers 413 before the body ends and closes: the rest of
#    the body must never reach an upstream as a request of its own.
up early413
P=$(free_port); start_relay "$P" t1.bin --upstream "$UP"
out=$(raw "$P" "tail=b'GET /smuggled HTTP/1.1\r\nHost: a\r\n\r\n'
s.sendall(b'POST /x HTTP/1.1\r\nHost: a\r\nContent-Length: %d\r\n\r\n0123456789' % (10+len(tail)))
time.sleep(0.5); send(tail); time.sleep(0.2)
send(b'GET /second HTTP/1.1\r\nHost: a\r\n\r\n')
print(rd())")
assert_contains "$out" "413 Payload Too Large" "client got the early 413"
assert_not_contains "$(cat up.early413.log)" "/smuggled" "the rest of the body never became a request upstream"
stop_relay

# 2. Response 1 whole and response 2 cut: no 502 glued to response 2.
up pipecut
P=$(free_port); start_relay "$P" t2.bin --upstream "$UP"
out=$(raw "$P" "s.sendall(b'GET /1 HTTP/1.1\r\nHost: a\r\n\r\nGET /2 HTTP/1.1\r\nHost: a\r\n\r\n'); print(rd())")
assert_contains "$out" "partial-2" "client got the part of response 2"
assert_not_contains "$out" "502" "no relay answer inside a started response"
stop_relay
"$CXREC" decode --format jsonl t2.bin >t2.jsonl
assert_contains "$(jsonq t2.jsonl '[e["error"] for e in x]')" "mid-response" "the cut is recorded"

# 3. An idle upstream's unsolicited 408 never reaches the client; the next
#    request gets a fresh upstream connection and its real answer.
up idle408
P=$(free_port); start_relay "$P" t3.bin --upstream "$UP"
out=$(raw "$P" "s.sendall(b'GET /1 HTTP/1.1\r\nHost: a\r\n\r\n'); time.sleep(0.8)
s.sendall(b'GET /2 HTTP/1.1\r\nHost: a\r\n\r\n'); time.sleep(0.3); print(rd())")
assert_not_contains "$out" "408" "unsolicited 408 dropped"
assert_eq "$(grep -o 'HTTP/1.1 200 OK' <<<"$out" | wc -l)" 2 "both requests answered"
stop_relay

# 4. A client that half-closes after its request still gets the response.
up slow
P=$(free_port); start_relay "$P" t4.bin --upstream "$UP"
out=$(raw "$P" "s.sendall(b'GET /1 HTTP/1.1\r\nHost: a\r\n\r\n'); s.shutdown(socket.SHUT_WR); print(rd())")
assert_contains "$out" "slow" "half-closed client got its response"
# 5. A refusal pipelined behind a request waits for that request's answer.
out=$(raw "$P" "s.sendall(b'GET /1 HTTP/1.1\r\nHost: a\r\n\r\nCONNECT x:443 HTTP/1.1\r\nHost: x\r\n\r\n'); print(rd())")
first=$(grep -o 'HTTP/1.1 [0-9]*' <<<"$out" | head -1)
assert_eq "$first" "HTTP/1.1 200" "owed response first"
assert_contains "$out" "405 Method Not Allowed" "then the refusal"
# 6. Targets over 8 KiB: 414, not a misleading 404.
long=$(head -c 9000 /dev/zero | tr '\0' a)
out=$(raw "$P" "s.sendall(b'GET /$long HTTP/1.1\r\nHost: a\r\n\r\n'); print(rd()[:40])")
assert_contains "$out" "414 URI Too Long" "long target -> 414"
stop_relay

# 8. Out of file descriptors: no busy loop, no flood of warnings, and
#    service resumes once connections close.
up slow
P=$(free_port)
(ulimit -n 24; exec "$CXREC" relay --listen 127.0.0.1:$P --upstream "$UP" -o t8.bin 2>relay8.err) &
rpid=$!; defer "kill $rpid 2>/dev/null"
wait_port "$P"
out=$(raw "$P" "socks=[socket.create_connection(('127.0.0.1',$P)) for _ in range(40)]
time.sleep(2)
for x in socks: x.close()
time.sleep(1.5)
s2=socket.create_connection(('127.0.0.1',$P)); s2.settimeout(5)
s2.sendall(b'GET /after HTTP/1.1\r\nHost: a\r\nConnection: close\r\n\r\n')
print(s2.recv(100))")
assert_contains "$out" "200 OK" "served again after the descriptor shortage"
n=$(wc -l <relay8.err)
[ "$n" -lt 20 ] || fail "$n lines of warnings while out of descriptors"
ok "$n lines on stderr while out of descriptors"
kill "$rpid"; wait "$rpid" 2>/dev/null || true

# 7. cxrec run keeps ignored signals ignored (nohup) and SIGPIPE default.
mask=$(bash -c "trap '' HUP; exec '$CXREC' run -o s.bin -- grep SigIgn /proc/self/status" 2>/dev/null | awk '{print $2}')
[ $(( 0x$mask & 0x1 )) = 1 ] || fail "SIGHUP ignored for cxrec is not ignored for COMMAND (SigIgn $mask)"
ok "SIGHUP stays ignored (nohup works)"
[ $(( 0x$mask & 0x1000 )) = 0 ] || fail "COMMAND inherited an ignored SIGPIPE (SigIgn $mask)"
ok "SIGPIPE is not ignored for COMMAND"
echo "relay edge cases pass"
