#!/usr/bin/env bash
# Host names are resolved off the relay's event loop: while one upstream's
# name takes 3 s to (fail to) resolve, requests to other routes and bytes of
# streams already under way go on at once; the stuck request then gets a
# 502 naming the lookup failure.
. "$(dirname "$0")/../lib/lib.sh"
cc -shared -fPIC -o "$WORK/slow_dns.so" "$TESTS_DIR/lib/peers/slow_dns.c" -ldl || fail "cannot build the DNS shim"
mock_https
P=$(free_port)
# An ASan build wants its runtime first in the preload list.
asan=$(ldd "$CXREC" | awk '/libasan/ {print $3}')
LD_PRELOAD="${asan:+$asan:}$WORK/slow_dns.so" start_relay "$P" t.bin --upstream "https://localhost:$MOCK_PORT" \
	--cacert certs/ca.pem --route "/stuck/=https://upstream.slow.test"
R=http://127.0.0.1:$P
curl -sS "$R/stuck/x" -o stuck.out -w '%{http_code} %{time_total}' >stuck.txt &
spid=$!
sleep 0.3
t0=$(date +%s%N)
out=$(curl -sS --fail "$R/test/echo?while-stuck=1")
ms=$(( ($(date +%s%N) - t0) / 1000000 ))
assert_contains "$out" '"path": "/test/echo?while-stuck=1"' "another route answered while a lookup hangs"
[ "$ms" -lt 1500 ] || fail "request took $ms ms while a lookup hung: the loop blocked"
ok "it took $ms ms (the lookup takes 3000)"
wait "$spid" || true
read -r code secs <stuck.txt || true
assert_eq "$code" 502 "the stuck request gets 502"
assert_contains "$(cat stuck.out)" "cannot resolve upstream.slow.test" "502 names the lookup failure"
stop_relay
echo "DNS stays off the loop"
