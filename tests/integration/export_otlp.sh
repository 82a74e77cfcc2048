#!/usr/bin/env bash
# export_otlp (issue 19, item 2): `cxrec export --to otlp` of the recorded
# codex 0.98.0 (HTTP + SSE), codex 0.171.0 (WebSocket), Claude Code and
# Gemini CLI sessions to a receiver of ours (tests/lib/peers/otlp_receiver.py)
# that checks every request strictly against OTLP's JSON mapping; then the
# GenAI spans: names, parent links, attributes, token sums equal to what
# `cxrec decode -f jsonl` says (in python, from the APIs' own usage
# fields), no content without --content and content with it, the same ids
# when exported twice; a URL nobody answers; a collector answering 503.
. "$(dirname "$0")/../lib/lib.sh"
cd "$WORK"
RECV="$REPO/tests/lib/peers/otlp_receiver.py"
conv_traces

# expect TRACE: exchanges, events, turns and token sums from the APIs' own
# usage fields in `cxrec decode -f jsonl` (tests/lib/peers/trace_expect.py,
# as export_clickhouse.sh reckons them)
expect() { /usr/bin/python3 "$REPO/tests/lib/peers/trace_expect.py" sums "$CXREC" "$1" | cut -d' ' -f2-; }

# start_recv NAME [STATUS]: a receiver writing NAME.jsonl; its URL in RURL
start_recv() {
	rm -f "$1.port" "$1.jsonl"
	/usr/bin/python3 "$RECV" serve "$WORK/$1.port" "$WORK/$1.jsonl" ${2:-} &
	local pid=$!
	defer "kill $pid 2>/dev/null; wait $pid 2>/dev/null"
	for _ in $(seq 1 100); do [ -s "$1.port" ] && break; sleep 0.1; done
	[ -s "$1.port" ] || fail "the receiver did not start"
	RURL="http://127.0.0.1:$(cat "$1.port")"
}

# codex171-ws.bin was cut to its WebSocket: no run note, no agent known
for t in codex098:codex codex171:- claude:claude gemini:gemini; do
	name=${t%%:*} agent=${t#*:}
	exp=$(expect $name.bin) || fail "$name: trace_expect.py failed"
	start_recv $name
	"$CXREC" export --to otlp "$RURL" $name.bin >out 2>err || fail "$name: export failed: $(cat err)"
	assert_contains "$(cat out)" "$name.bin: trace " "$name: the summary line"
	r=$(/usr/bin/python3 "$RECV" check $name.jsonl "$agent" "$exp" 0) || fail "$name: $r (decode: $exp)"
	ok "$name: $r"
	# twice: the same ids
	cp $name.jsonl first.jsonl
	"$CXREC" export -q --to otlp "$RURL/" $name.bin || fail "$name: second export failed"
	/usr/bin/python3 - first.jsonl $name.jsonl <<'PY' || fail "$name: the second export's ids differ"
import json, sys
def ids(lines):
    return sorted((sp["traceId"], sp["spanId"], sp.get("parentSpanId", ""), sp["name"])
                  for l in lines for rs in json.loads(l)["resourceSpans"]
                  for ss in rs["scopeSpans"] for sp in ss["spans"])
a = open(sys.argv[1]).read().splitlines()
b = open(sys.argv[2]).read().splitlines()[len(a):]
sys.exit(0 if ids(a) == ids(b) else 1)
PY
	ok "$name: exported twice, the same trace and span ids"
	# with --content
	start_recv ${name}_c
	"$CXREC" export -q --content --to otlp "$RURL" $name.bin || fail "$name: --content export failed"
	r=$(/usr/bin/python3 "$RECV" check ${name}_c.jsonl "$agent" "$exp" 1) || fail "$name --content: $r"
	ok "$name --content: the messages are sent"
done

# --- bad input ------------------------------------------------------------
PORT=$(free_port)
set +e
"$CXREC" export --to otlp "http://127.0.0.1:$PORT" codex098.bin >out 2>err; rc=$?
set -e
assert_eq "$rc" 1 "a URL nobody answers: exit 1"
assert_eq "$(wc -l <err)" 1 "a URL nobody answers: one line"
assert_contains "$(cat err)" "http://127.0.0.1:$PORT/v1/traces" "a URL nobody answers: named"
start_recv refusing 503
set +e
"$CXREC" export --to otlp "$RURL" codex098.bin >out 2>err; rc=$?
set -e
assert_eq "$rc" 1 "a collector answering 503: exit 1"
assert_contains "$(cat err)" "HTTP 503: collector overloaded" "a collector answering 503: the status and the body's first line"
assert_not_contains "$(cat err)" "second line" "a collector answering 503: its first line only"
set +e
"$CXREC" export --to otlp --prices x "$RURL" codex098.bin 2>err; rc=$?
set -e
assert_eq "$rc" 2 "--prices with --to otlp: exit 2"
set +e
"$CXREC" export --to clickhouse --content "$RURL" codex098.bin 2>err; rc=$?
set -e
assert_eq "$rc" 2 "--content with --to clickhouse: exit 2"

# the receiver is strict: a document breaking the mapping is refused
start_recv strict
bad=$(head -1 codex098.jsonl | /usr/bin/python3 -c 'import json,sys
d = json.loads(sys.stdin.read())
sp = [s for s in d["resourceSpans"][0]["scopeSpans"][0]["spans"] if s["name"].startswith("chat")][0]
for a in sp["attributes"]:
    if "intValue" in a["value"]:
        a["value"]["intValue"] = int(a["value"]["intValue"])
print(json.dumps(d))')
code=$(curl -s -o /dev/null -w '%{http_code}' -H 'Content-Type: application/json' --data-binary "$bad" "$RURL/v1/traces")
assert_eq "$code" 400 "the receiver refuses an intValue that is a JSON number"
