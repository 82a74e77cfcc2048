# shellcheck shell=bash
# tests/agent_check.sh - what every real-agent test asserts of its trace
# (source after lib.sh):
#
#   check_trace TRACE MOCK_LOG SECRET...
#
# The trace decodes in every format; it holds every request the mock saw
# (the mock saw nothing that did not go through cxrec: as many exchanges
# with a response as the mock logged requests, each path the mock saw is in
# the trace); no exchange is an error; no SECRET appears in any output.

check_trace() {
	local trace=$1 log=$2 f out n_mock n_ok
	shift 2
	"$CXREC" decode -f jsonl -o "$WORK/check.jsonl" "$trace" || fail "decode jsonl"
	n_mock=$(wc -l <"$log")
	n_ok=$(jsonq "$WORK/check.jsonl" 'len([e for e in x if e["response"] and e["request"]])')
	[ "$n_mock" -gt 0 ] || fail "the mock saw no request"
	assert_eq "$n_ok" "$n_mock" "every request the mock saw is in the trace"
	assert_eq "$(/usr/bin/python3 -c 'import json,sys
seen=set((e.get("request") or {}).get("url") or "" for e in map(json.loads, open(sys.argv[1])))
print(sorted(set(json.loads(l)["path"] for l in open(sys.argv[2])) - seen))' "$WORK/check.jsonl" "$log")" \
		"[]" "each path the mock saw was recorded"
	assert_eq "$(jsonq "$WORK/check.jsonl" '[(e["id"], e["error"]) for e in x if e["error"]]')" "[]" \
		"no exchange is an error"
	for f in text jsonl md har conversation; do
		out=$("$CXREC" decode -f "$f" "$trace") || fail "decode -f $f"
		for s in "$@"; do
			assert_not_contains "$out" "$s" "decode -f $f: no ${s:0:12}..."
		done
	done
}
