#!/usr/bin/env bash
# Load through the relay (issue 7), against the mock upstream over HTTPS:
# 256 event streams of 200 events at once, every client getting every
# byte and the trace holding, for every exchange, exactly the bytes its
# client received; then 10,000 requests one after another on one
# kept-alive connection with no descriptor, memory or thread growth.
. "$(dirname "$0")/../lib/lib.sh"
mock_https
probe() { /usr/bin/python3 "$TESTS_DIR/lib/peers/relay_probe.py" "$@"; }

P=$(free_port)
start_relay "$P" load.bin --upstream "$MOCK_URL" --cacert certs/ca.pem
mkdir got
out=$(probe streams "$P" "$RELAY_PID" 256 200 got) || fail "stream clients failed: $out"
echo "streams: $out"
assert_eq "$(jq_ 'x["nerrors"]' "$out")" 0 "256 clients got all 200 events each"
out=$(probe keepalive "$P" "$RELAY_PID" 10000) || fail "keep-alive client failed: $out"
echo "keepalive: $out"
assert_eq "$(jq_ 'x["at_end"]["fds"] == x["at_1000"]["fds"] and x["at_end"]["threads"] == x["at_1000"]["threads"]' "$out")" True \
	"10,000 keep-alive requests: descriptors and threads as at 1,000"
rss_growth_ok "$(jq_ 'x["at_1000"]["rss_kb"]' "$out")" "$(jq_ 'x["at_end"]["rss_kb"]' "$out")" 1024 \
	"memory from request 1,000 to 10,000 grew under 1 MiB"
stop_relay
out=$(probe compare load.bin got)
echo "compare: $out"
assert_eq "$(jq_ 'x["byte_exact"]' "$out")" 256 "every stream's bytes in the trace equal what its client received"
"$CXREC" decode -f jsonl load.bin >load.jsonl
assert_eq "$(jsonq load.jsonl 'sum(1 for e in x if len((e["response"] or {}).get("sse") or []) == 200)')" 256 \
	"decode finds 200 events in each of the 256 streams"
assert_eq "$(jsonq load.jsonl 'sum(1 for e in x if "/test/echo?k=" in url(e) and e["response"]["status"] == 200)')" 10000 \
	"and all 10,000 keep-alive exchanges"
