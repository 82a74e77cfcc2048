#!/usr/bin/env bash
# diff (issue 18): `cxrec diff` of what codex speaks.  The real codex
# 0.98.0 recorded twice through `cxrec run` against the mock: the two
# recordings diff clean (exit 0) though ids, times, ports and lengths
# differ.  Against today's codex, 0.171.0, recorded the same way: the
# WebSocket transport, its new headers, the tools added and removed, the
# instructions as a unified diff (exit 1); in text, Markdown and JSON; a
# protocol's JSON in place of a trace; Claude Code: different agents, said;
# bad input: exit 2, one line.
"$(dirname "$0")/../../scripts/install-codex.sh" >/dev/null || { echo "SKIP: codex 0.98.0 cannot be installed (npm)"; exit 77; }
if [ -z "${CXREC_CODEX171:-}" ]; then
	CXREC_CODEX171=$("$(dirname "$0")/../../scripts/install-agent.sh" codex 0.171.0) ||
		{ echo "SKIP: codex 0.171.0 is not installed and cannot be (npm)"; exit 77; }
	export CXREC_CODEX171
fi
. "$(dirname "$0")/../lib/agents_env.sh"
agents_netns_try "$0" "$@"
. "$(dirname "$0")/../lib/lib.sh"
. "$TESTS_DIR/lib/codex_common.sh"

KEY=sk-cxrec-test-0123456789abcdefghij
for n in 1 2; do
	rc=0
	CODEX_API_KEY=$KEY "$CXREC" run --upstream "$MOCK_URL" --cacert "$WORK/certs/ca.pem" \
		-o "$WORK/codex098-$n.bin" -- "$CODEX" exec $(codex_exec_args) "run the tool" \
		>"$WORK/out$n.txt" 2>"$WORK/err$n.txt" </dev/null || rc=$?
	[ "$rc" = 0 ] || { cat "$WORK/err$n.txt"; fail "codex exited $rc"; }
done
ok "codex 0.98.0 recorded twice"
# Today's codex, as a user has it (no 0.98-era config), pointed by cxrec;
# its side calls through the proxy, ChatGPT's hosts mapped to the mock.
rc=0
(
	codex_env_setup "$WORK/env171"
	echo 'check_for_update_on_startup = false' >"$CODEX_HOME/config.toml"
	codex_block_internet
	CODEX_API_KEY=$KEY timeout 90 "$CXREC" run --upstream "$MOCK_URL" \
		--route "/backend-api/=$MOCK_URL" --map-host "chatgpt.com=$MOCK_URL" \
		--map-host "ab.chatgpt.com=$MOCK_URL" --cacert "$WORK/certs/ca.pem" \
		-o "$WORK/codex171.bin" -- "$CXREC_CODEX171" exec $(codex_exec_args) "run the tool" \
		>"$WORK/out171.txt" 2>"$WORK/err171.txt" </dev/null
) || rc=$?
[ "$rc" = 0 ] || { cat "$WORK/err171.txt"; fail "codex 0.171.0 exited $rc"; }
ok "codex 0.171.0 recorded"
cd "$WORK"
zstd -qdc "$REPO/tests/data/conv/anthropic_claude_api-key.bin.zst" >claude.bin

rc=0
"$CXREC" diff codex098-1.bin codex098-2.bin >same.txt 2>same.err || rc=$?
assert_eq "$rc" "0" "two recordings of the same version: exit 0 ($(cat same.txt same.err | head -c 2000))"
assert_contains "$(cat same.txt)" "nothing changed" "... nothing changed"

rc=0
"$CXREC" diff codex098-1.bin codex171.bin >new.txt 2>new.err || rc=$?
assert_eq "$rc" "1" "0.98.0 against 0.171.0: exit 1 ($(cat new.err))"
t=$(cat new.txt)
assert_contains "$(grep "^  + " <<<"$(sed -n "/^Endpoints:/,/^$/p" new.txt)")" "GET /v1/responses (websocket)" "the WebSocket endpoint added"
assert_contains "$t" "- POST /v1/responses (sse)" "the SSE endpoint removed"
assert_contains "$t" "transports: + websocket" "the model calls' transport"
for h in x-codex-turn-metadata x-codex-window-id session-id thread-id; do
	assert_contains "$(grep 'request headers: +' new.txt)" "$h" "new header $h"
done
assert_contains "$(grep '^  + ' <<<"$(sed -n '/^Tools:/,/^$/p' new.txt)")" "functions.exec" "a tool added"
assert_contains "$(grep '^  - ' <<<"$(sed -n '/^Tools:/,/^$/p' new.txt)")" "exec_command" "a tool removed"
assert_contains "$t" "@@ -" "the main instruction as a unified diff"
assert_not_contains "$t" "request header authorization" "credentials are not compared"
"$CXREC" diff -f json codex098-1.bin codex171.bin >new.json || true
assert_eq "$(/usr/bin/python3 -c 'import json; x=json.load(open("new.json")); print((x["changed"], "GET /v1/responses" in [e["name"] for e in x["endpoints"]["added"]]))')" \
	"(True, True)" "JSON: the same, as data"
"$CXREC" diff -f md codex098-1.bin codex171.bin >new.md || true
assert_contains "$(cat new.md)" '## Endpoints' "Markdown: its sections"
assert_contains "$(cat new.md)" '```diff' "Markdown: the instruction's diff fenced"

# A protocol's JSON in place of a trace: the same answer.
"$CXREC" protocol -f json -o codex098.json codex098-1.bin
rc=0
"$CXREC" diff codex098.json codex098-2.bin >/dev/null 2>&1 || rc=$?
assert_eq "$rc" "0" "a protocol JSON against a trace of the same version: exit 0"
rc=0
"$CXREC" diff codex098.json codex171.bin >fromjson.txt 2>&1 || rc=$?
assert_eq "$rc" "1" "... and against today's: exit 1"
assert_contains "$(cat fromjson.txt)" "the texts are not in the models" "without --full, the instructions' change is said, not shown"

rc=0
"$CXREC" diff codex098-1.bin claude.bin >agents.txt 2>&1 || rc=$?
assert_eq "$rc" "1" "codex against Claude Code: exit 1"
assert_contains "$(cat agents.txt)" "different agents" "... said to be different agents"

# Bad input: exit 2, one line.
printf '{"cxrec_protocol": 9}' >v9.json
echo "not a trace" >junk.txt
for args in "codex098.json v9.json" "junk.txt codex098.json" "codex098.json" "-f xml codex098.json codex098.json" "codex098.json no-such.bin"; do
	rc=0
	# shellcheck disable=SC2086
	"$CXREC" diff $args >/dev/null 2>bad.err || rc=$?
	assert_eq "$rc,$(wc -l <bad.err)" "2,1" "diff $args: one line, exit 2 ($(cat bad.err))"
done
assert_contains "$("$CXREC" diff codex098.json v9.json 2>&1)" "version 9" "an unknown version is named"
