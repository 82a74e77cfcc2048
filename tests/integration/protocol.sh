#!/usr/bin/env bash
# protocol (issue 18): `cxrec protocol` of the recorded sessions of codex
# 0.98.0 (HTTP + SSE) and today's (a WebSocket), Claude Code and Gemini
# CLI: each one's endpoints and transports, the headers that mark it, the
# tools it offers and its instructions, in JSON (version 1, read back the
# same) and Markdown; several traces at once; bad input.
. "$(dirname "$0")/../lib/lib.sh"
cd "$WORK"
conv_traces
for t in codex098 codex171 claude gemini; do
	"$CXREC" protocol -f json -o "$t.json" "$t.bin" 2>"$t.err" || fail "protocol $t: $(cat "$t.err")"
	"$CXREC" protocol -o "$t.md" "$t.bin" 2>>"$t.err" || fail "protocol md $t: $(cat "$t.err")"
	[ -s "$t.err" ] && fail "protocol $t said: $(cat "$t.err")"
done
# q FILE EXPR: EXPR over the model m
q() { /usr/bin/python3 -c 'import json,sys; m=json.load(open(sys.argv[1])); ep={e["endpoint"]: e for e in m["endpoints"]}; hdr=lambda e: {h["name"]: h for h in ep[e]["request"]["headers"]}; print(eval(sys.argv[2]))' "$1" "$2"; }

assert_eq "$(q codex098.json 'm["cxrec_protocol"]')" "1" "the JSON's version"
assert_eq "$(q codex098.json '[(e, ep[e]["transports"]) for e in ep]')" "[('POST /v1/responses', ['sse'])]" \
	"codex 0.98.0: one endpoint, a stream a turn"
assert_eq "$(q codex098.json 'hdr("POST /v1/responses")["originator"]["constant"], hdr("POST /v1/responses")["originator"]["example"]')" \
	"(True, 'codex_exec')" "codex 0.98.0: its originator header, constant"
assert_eq "$(q codex098.json '"exec_command" in [t["name"] for t in m["tools"]]')" "True" "codex 0.98.0: its exec_command tool"
assert_eq "$(q codex098.json '[t["agent"] + " " + t["agent_version"] for t in m["traces"]]')" "['codex 0.98.0']" "codex 0.98.0: the agent, from the run note"
assert_eq "$(q codex171.json '[(e, ep[e]["transports"]) for e in ep]')" "[('GET /v1/responses', ['websocket'])]" \
	"codex 0.171.0: a WebSocket"
assert_eq "$(q codex171.json 'all(h in hdr("GET /v1/responses") for h in ("x-codex-turn-metadata", "x-codex-window-id", "session-id", "thread-id"))')" "True" \
	"codex 0.171.0: its new headers"
assert_eq "$(q codex171.json '"response.create" in [x["type"] for x in ep["GET /v1/responses"]["websocket"]["client"]]')" "True" \
	"codex 0.171.0: response.create messages from the client"
assert_eq "$(q codex171.json '"functions.exec" in [t["name"] for t in m["tools"]]')" "True" "codex 0.171.0: its namespaced tools"
assert_eq "$(q claude.json 'ep["POST /v1/messages"]["transports"], "Bash" in [t["name"] for t in m["tools"]], "x-claude-code-session-id" in hdr("POST /v1/messages")')" \
	"(['sse'], True, True)" "Claude Code: Messages over SSE, its Bash tool and session header"
assert_eq "$(q claude.json 'hdr("POST /v1/messages")["x-api-key"]["example"].count("...") + hdr("POST /v1/messages")["x-api-key"]["example"].count("REDACTED")')" "1" \
	"Claude Code: its key redacted in the example"
assert_eq "$(q gemini.json 'sorted(t for e in ep for t in ep[e]["transports"])')" "['plain', 'sse']" "Gemini CLI: a plain call and a stream"
assert_eq "$(q gemini.json '"run_shell_command" in [t["name"] for t in m["tools"]] and len(m["instructions"]) > 0')" "True" \
	"Gemini CLI: its tools and instructions"
assert_contains "$(cat codex171.md)" '### `GET /v1/responses`' "Markdown: an endpoint's section"
assert_contains "$(cat claude.md)" '## Tools offered to the model (' "Markdown: the tools"

# Stable: the same bytes twice; several traces at once.
"$CXREC" protocol -f json claude.bin | cmp -s - claude.json || fail "protocol's JSON differs between two runs"
ok "the JSON is the same twice"
"$CXREC" protocol -f json codex098.bin claude.bin >both.json || fail "protocol of two traces"
assert_eq "$(q both.json 'len(m["traces"]), sorted(ep)')" "(2, ['POST /v1/messages', 'POST /v1/responses'])" "two traces: both agents' endpoints"
"$CXREC" protocol --full -f json claude.bin >full.json || fail "protocol --full"
assert_eq "$(q full.json 'all(len(i["text"].encode()) == i["bytes"] for i in m["instructions"])')" "True" "--full: the instructions' texts"

# Bad input: one line, exit 2.
for args in "-f xml claude.bin" "no-such.bin" "--bogus claude.bin"; do
	rc=0
	# shellcheck disable=SC2086
	"$CXREC" protocol $args >/dev/null 2>bad.err || rc=$?
	assert_eq "$rc,$(wc -l <bad.err)" "2,1" "protocol $args: one line, exit 2 ($(cat bad.err))"
done
