# shellcheck shell=bash
# tests/lib/agent_check.sh - what every real-agent test asserts of its trace
# (source after lib.sh):
#
#   check_trace TRACE MOCK_LOG SECRET...
#
# The trace decodes in every format; it holds every request the mock saw
# (the mock saw nothing that did not go through cxrec: as many exchanges
# with a response as the mock logged requests, each path the mock saw is in
# the trace); no exchange is an error; no SECRET appears in any output.
# CHECK_ALLOW_ERRORS: a regular expression of CONNECT targets whose tunnels
# may fail (hosts not the agent's, unreachable from the namespace).

check_trace() {
	local trace=$1 log=$2 f out n_mock n_ok
	shift 2
	"$CXREC" decode -f jsonl -o "$WORK/check.jsonl" "$trace" || fail "decode jsonl"
	# a WebSocket's messages are logged one a line: count the requests
	n_mock=$(jsonq "$log" 'len([e for e in x if e.get("method") != "WS"])')
	n_ok=$(jsonq "$WORK/check.jsonl" 'len([e for e in x if e["response"] and e["request"] and e["request"]["method"] != "CONNECT"])')
	[ "$n_mock" -gt 0 ] || fail "the mock saw no request"
	assert_eq "$n_ok" "$n_mock" "every request the mock saw is in the trace"
	assert_eq "$(/usr/bin/python3 -c 'import json,sys
seen=set((e.get("request") or {}).get("url") or "" for e in map(json.loads, open(sys.argv[1])))
print(sorted(set(json.loads(l)["path"] for l in open(sys.argv[2]) if json.loads(l).get("method") != "WS") - seen))' "$WORK/check.jsonl" "$log")" \
		"[]" "each path the mock saw was recorded"
	assert_eq "$(CHECK_ALLOW_ERRORS=${CHECK_ALLOW_ERRORS:-^$} jsonq "$WORK/check.jsonl" '[(e["id"], e["error"]) for e in x if e["error"] and not (url(e) and e["request"]["method"] == "CONNECT" and __import__("re").search(__import__("os").environ["CHECK_ALLOW_ERRORS"], url(e)))]')" "[]" \
		"no exchange is an error"
	for f in text jsonl md har conversation; do
		out=$("$CXREC" decode -f "$f" "$trace") || fail "decode -f $f"
		for s in "$@"; do
			assert_not_contains "$out" "$s" "decode -f $f: no ${s:0:12}..."
		done
	done
}

# check_conversation TRACE API TOOL: the conversation view shows the
# session as the model saw it: the prompt, the tool call with its
# arguments, the tool's output sent back, the final answer, and each
# turn's usage, for adapter API (conv.h).
check_conversation() {
	local trace=$1 api=$2 tool=$3 conv
	conv=$("$CXREC" decode -f conversation "$trace") || fail "decode -f conversation"
	assert_contains "$conv" "  $api  (exchange #" "conversation: turns of the $api adapter"
	assert_contains "$conv" "run the tool" "conversation: the prompt"
	assert_contains "$conv" "<< call $tool (" "conversation: the $tool call"
	assert_contains "$conv" "echo cxrec-mock-tool-ok" "conversation: the call's arguments"
	assert_contains "$conv" ">> tool output $tool (" "conversation: the tool's output sent back"
	assert_contains "$conv" "Done: the tool printed cxrec-mock-tool-ok." "conversation: the final answer"
	assert_contains "$conv" "   usage: input " "conversation: usage per turn"
	assert_not_contains "$conv" "0 turns" "conversation: not empty"
}
