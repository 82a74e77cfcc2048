#!/usr/bin/env bash
# kill -9 of the relay mid-stream: every frame written before decodes, the
# cut exchange is still listed, with what it got and why it stopped.
. "$(dirname "$0")/../lib/lib.sh"
mock_https
P=$(free_port)
start_relay "$P" t.bin --upstream "$MOCK_URL" --cacert certs/ca.pem
curl -sS "http://127.0.0.1:$P/test/echo" -d 'first, complete' >/dev/null
curl -sSN "http://127.0.0.1:$P/test/sse?n=100&gap_ms=20" >sse.out 2>/dev/null &
cpid=$!
for _ in $(seq 1 100); do grep -q '"i":10' sse.out 2>/dev/null && break; sleep 0.05; done
kill -KILL "$RELAY_PID"
wait "$cpid" 2>/dev/null || true
got=$(grep -c '^data:' sse.out)
[ "$got" -ge 10 ] && [ "$got" -lt 100 ] || fail "client got $got events"
ok "client got $got events before the kill"
"$CXREC" decode --format jsonl t.bin >t.jsonl 2>decode.err
assert_eq "$(jsonq t.jsonl 'len(x)')" 2 "both exchanges decoded"
assert_eq "$(jsonq t.jsonl 'x[0]["error"]')" None "the finished exchange is intact"
n=$(jsonq t.jsonl 'len(x[1]["response"]["sse"])')
# The relay sends, then records (docs/trace-format.md): a kill between the
# two may leave out the one batch in flight (one event here, 20 ms apart).
[ "$n" -ge $((got - 1)) ] || fail "trace has $n events, the client saw $got"
ok "every event the client saw is in the trace but at most the one in flight ($n of $got)"
assert_contains "$(jsonq t.jsonl 'x[1]["error"]')" "the trace ended" "cut exchange says the trace ended"
echo "relay kill -9 checks passed"
