#!/usr/bin/env bash
# replay (issue 18, item 3): a session recorded through `cxrec run`
# against the project's mock, the mock stopped, then the same command
# under `cxrec run --replay TRACE`: cxrec answers as the recorded upstream.
# The agent completes, runs the same tool (the mock's marker shows in the
# new trace's conversation), prints the same answer, and the conversation
# of the two traces is the same but for times and ids.  codex 0.98.0 over
# HTTP (SSE) and over its WebSocket transport, codex 0.171.0 (its
# WebSocket, its other calls through the forward proxy), Claude Code over
# HTTP (SSE).
# A request the trace does not hold gets the 501 with its reason; `cxrec
# replay` alone answers the same bytes, at the recorded pace; not a trace
# is one line and exit 2.  Everything in a loopback-only namespace.
"$(dirname "$0")/../../scripts/install-codex.sh" >/dev/null || { echo "SKIP: codex 0.98.0 cannot be installed (npm)"; exit 77; }
. "$(dirname "$0")/../lib/agents_env.sh"
CLAUDE=$(claude_install) || CLAUDE=
CODEX171=$("$(dirname "$0")/../../scripts/install-agent.sh" codex 0.171.0) || CODEX171=
if ! agents_netns_reexec "$0" "$@"; then
	echo "SKIP: $AGENTS_NETNS_WHY"
	exit 77
fi
. "$TESTS_DIR/lib/lib.sh"
CXREC_NO_MOCK_TRAP=1
. "$TESTS_DIR/lib/codex_env.sh"
CODEX=$("$REPO/scripts/install-codex.sh") || fail "cannot install codex 0.98.0"
gen_certs "$WORK/certs"
KEY=sk-cxrec-test-0123456789abcdefghij

# The conversation of a trace without what varies between two runs:
# times, durations, ids, sizes, the trace's name and host, what codex's
# exec tool says of each run (its chunk id, its wall time), where the
# other exchanges fell among the turns, and whether the last chunk's end
# was recorded before the client or the run hung up (a race: a note).
conv() {
	"$CXREC" decode -f conversation "$1" | sed -E \
		-e 's/[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9:.]+Z?//g' \
		-e 's/[0-9]{2}:[0-9]{2}:[0-9]{2}(\.[0-9]+)?//g' \
		-e 's/[0-9]+(\.[0-9]+)? ?(ms|s|KB|KiB|B|MB)\b//g' \
		-e 's/(resp|msg|call|fc|rs|toolu|req)_[A-Za-z0-9_]+/\1_ID/g' \
		-e 's/[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}/UUID/g' \
		-e 's/pid [0-9]+/pid N/g; s/#[0-9]+/#N/g' \
		-e 's/(Chunk ID:|Wall time:) .*/\1 X/' \
		-e '/^cxrec (trace|conversation) |^  host /d' \
		-e '/^ +note: the (client closed the connection|recording stopped) after the stream.s final event/d' |
		# the exchanges that are no turns (side calls, tunnels: their
		# order among the turns is a race) sorted, at the end
		{ local t; t=$(cat); grep -v '^ #N ' <<<"$t" || true; grep '^ #N ' <<<"$t" | sort || true; }
}

# record_and_replay NAME UPSTREAM CMD...: CMD recorded to $WORK/NAME.bin
# through `cxrec run` (RUN_OPTS more options) against the mock at
# UPSTREAM; the mock stopped ($STOP_MOCK); then CMD again under `cxrec run
# --replay` of that trace, recorded to $WORK/NAME-replay.bin.  Outputs in
# $WORK/NAME{,-replay}.{out,err}.
RUN_OPTS=()
record_and_replay() {
	local name=$1 up=$2; shift 2
	local rc=0
	timeout 90 "$CXREC" run --upstream "$up" --cacert "$WORK/certs/ca.pem" "${RUN_OPTS[@]}" \
		-o "$WORK/$name.bin" -- "$@" >"$WORK/$name.out" 2>"$WORK/$name.err" </dev/null || rc=$?
	[ "$rc" = 0 ] || { cat "$WORK/$name.err"; fail "$name: recording exited $rc"; }
	"$STOP_MOCK"
	rc=0
	timeout 90 "$CXREC" run --replay "$WORK/$name.bin" \
		-o "$WORK/$name-replay.bin" -- "$@" >"$WORK/$name-replay.out" \
		2>"$WORK/$name-replay.err" </dev/null || rc=$?
	[ "$rc" = 0 ] || { cat "$WORK/$name-replay.err"; fail "$name: the replay exited $rc"; }
}

# check_replay NAME TOOL: the same answer, the tool run again, the same
# conversation, every request answered from the trace.
check_replay() {
	local name=$1 tool=$2
	assert_contains "$(cat "$WORK/$name-replay.out")" "Done: the tool printed cxrec-mock-tool-ok" \
		"$name: the replayed agent printed the answer"
	assert_eq "$(cat "$WORK/$name-replay.out")" "$(cat "$WORK/$name.out")" "$name: the same output as recorded"
	# REPLAY_KEEP=DIR: the work directory copied there, to look into
	[ -z "${REPLAY_KEEP:-}" ] || cp -r "$WORK/." "$REPLAY_KEEP/"
	assert_contains "$(cat "$WORK/$name-replay.err")" " not in it (501)" "$name: the replay's line"
	assert_contains "$(cat "$WORK/$name-replay.err")" ", 0 not in it (501)" "$name: every request answered from the trace"
	local c
	c=$("$CXREC" decode -f conversation "$WORK/$name-replay.bin")
	assert_contains "$c" ">> tool output $tool (" "$name: the tool's output in the new trace"
	assert_contains "$c" "cxrec-mock-tool-ok" "$name: the tool ran again (its marker)"
	conv "$WORK/$name.bin" >"$WORK/$name.conv"
	conv "$WORK/$name-replay.bin" >"$WORK/$name-replay.conv"
	diff -u "$WORK/$name.conv" "$WORK/$name-replay.conv" >"$WORK/$name.diff" ||
		{ cat "$WORK/$name.diff"; fail "$name: the conversations differ"; }
	ok "$name: the same conversation, times and ids aside"
	# What the agent spoke, the same (issue 18: cxrec diff exits 0).
	local rc=0
	"$CXREC" diff "$WORK/$name.bin" "$WORK/$name-replay.bin" >"$WORK/$name.pdiff" 2>&1 || rc=$?
	[ "$rc" = 0 ] || { cat "$WORK/$name.pdiff"; fail "$name: cxrec diff of the recording and the replay exited $rc"; }
	ok "$name: cxrec diff of the recording and the replay: nothing changed"
}

cd "$WORK"
codex_env_setup "$WORK/env"
codex_block_internet
mkdir -p "$WORK/proj"
cd "$WORK/proj"
export CODEX_API_KEY=$KEY

# --- codex 0.98.0, HTTP and SSE -------------------------------------------
start_mock "$WORK/m1" --tls-cert "$WORK/certs/server.pem" --tls-key "$WORK/certs/server.key" --delay-ms 20
defer stop_mock
STOP_MOCK=stop_mock
# shellcheck disable=SC2046
record_and_replay codex "$MOCK_URL" "$CODEX" exec $(codex_exec_args) "run the tool"
check_replay codex exec_command
assert_contains "$(cat "$WORK/codex-replay.err")" "replayed $WORK/codex.bin: 2 requests, 2 answered" \
	"codex: both turns answered"

# Timing: the recorded events' spacing, kept (20 ms a delta in the mock).
"$CXREC" decode -f jsonl -o "$WORK/a.jsonl" "$WORK/codex.bin"
"$CXREC" decode -f jsonl -o "$WORK/b.jsonl" "$WORK/codex-replay.bin"
span='[round(e["response"]["sse"][-1]["t_ms"] - e["response"]["sse"][0]["t_ms"]) for e in x]'
rec=$(jsonq "$WORK/a.jsonl" "$span")
rep=$(jsonq "$WORK/b.jsonl" "$span")
echo "codex: event spans recorded $rec ms, replayed $rep ms"
assert_eq "$(jsonq "$WORK/b.jsonl" "all(abs(b - a) <= 30 + a / 10 for a, b in zip($rec, $span))")" True \
	"codex: each stream's span within 30 ms + 10% of the recorded"

# `cxrec replay` alone: the same bytes; --no-delay: at once.
"$CXREC" replay --no-delay "$WORK/codex.bin" 2>"$WORK/rp.err" &
rpid=$!
defer "kill $rpid 2>/dev/null"
for _ in $(seq 100); do grep -q 'http://' "$WORK/rp.err" && break; sleep 0.05; done
url=$(grep -o 'http://127.0.0.1:[0-9]*' "$WORK/rp.err" | head -1)
[ -n "$url" ] || fail "no URL from cxrec replay: $(cat "$WORK/rp.err")"
t0=$(date +%s%N)
code=$(curl -s --max-time 5 -o "$WORK/sse.out" -w '%{http_code}' -H 'content-type: application/json' \
	--data-binary '{"model":"x","input":[]}' "$url/v1/responses")
t1=$(date +%s%N)
assert_eq "$code" 200 "replay: a POST /v1/responses answered from the trace"
assert_contains "$(cat "$WORK/sse.out")" "event: response.completed" "replay: its events"
assert_eq "$(( (t1 - t0) / 1000000 < 500 ))" 1 "replay --no-delay: at once ($(( (t1 - t0) / 1000000 )) ms)"
code=$(curl -s --max-time 5 -o "$WORK/501.out" -w '%{http_code}' "$url/v1/nothing/here")
assert_eq "$code" 501 "replay: an unknown path: 501"
assert_contains "$(cat "$WORK/501.out")" "no exchange for GET /v1/nothing/here; it holds: POST /v1/responses (2)" \
	"replay: the 501 says why"
kill "$rpid"; wait "$rpid" 2>/dev/null
assert_contains "$(cat "$WORK/rp.err")" "2 requests: 1 answered from the trace (0 again), 1 not in it (501)" \
	"replay: its last line"
# --speed 4: the first turn's stream in about a quarter of its time.
"$CXREC" replay --quiet --speed 4 "$WORK/codex.bin" 2>"$WORK/rp4.err" &
rpid=$!
defer "kill $rpid 2>/dev/null"
for _ in $(seq 100); do grep -q 'http://' "$WORK/rp4.err" && break; sleep 0.05; done
url=$(grep -o 'http://127.0.0.1:[0-9]*' "$WORK/rp4.err" | head -1)
ms=$(curl -s --max-time 5 -o /dev/null -w '%{time_total}' -H 'content-type: application/json' \
	--data-binary '{"model":"x","input":[]}' "$url/v1/responses" | awk '{ printf "%d", $1 * 1000 }')
first=$(jsonq "$WORK/a.jsonl" 'round(x[0]["response"]["sse"][-1]["t_ms"])')
echo "replay --speed 4: the first turn in $ms ms, recorded in $first ms"
assert_eq "$(( ms >= first / 4 - 10 && ms <= first / 4 + 60 ))" 1 "replay --speed 4: a quarter of the recorded time"
kill "$rpid"; wait "$rpid" 2>/dev/null

# A request the trace does not hold, through the relay of a run --replay.
rc=0
"$CXREC" run --replay "$WORK/codex.bin" -o "$WORK/unknown.bin" -- \
	sh -c 'curl -s -w "\n%{http_code}\n" "$CXREC_RELAY_URL/v1/unknown"' >"$WORK/unknown.out" 2>"$WORK/unknown.err" || rc=$?
assert_eq "$rc" 0 "run --replay with curl"
assert_contains "$(cat "$WORK/unknown.out")" "cxrec replay: the trace holds no exchange for GET /v1/unknown" \
	"run --replay: the 501's reason reaches the client"
assert_eq "$(tail -1 "$WORK/unknown.out")" 501 "run --replay: 501 through the relay"
dec=$("$CXREC" decode "$WORK/unknown.bin")
assert_contains "$dec" "GET /v1/unknown -> 501" "run --replay: the 501 recorded"
assert_contains "$dec" 'note "replay" from cxrec' "run --replay: a note for it"
assert_contains "$dec" "why: the trace holds no exchange for GET /v1/unknown" "run --replay: the note says why"
assert_contains "$dec" "replay: $WORK/codex.bin" "run --replay: the run note names the trace replayed"

# Bad input: not a trace, one line, exit 2; a torn trace serves what is whole.
echo "not a trace" >"$WORK/bad.bin"
rc=0
"$CXREC" replay "$WORK/bad.bin" 2>"$WORK/bad.err" || rc=$?
assert_eq "$rc" 2 "not a trace: exit 2"
assert_eq "$(wc -l <"$WORK/bad.err")" 1 "not a trace: one line"
rc=0
"$CXREC" run --replay "$WORK/bad.bin" -- true 2>"$WORK/bad2.err" || rc=$?
assert_eq "$rc" 2 "run --replay, not a trace: exit 2"
# Torn inside turn 2's stream (cut back from the end until decode finds
# its response incomplete): turn 1 is served, turn 2 answers 501.
size=$(stat -c %s "$WORK/codex.bin")
for cut in $(seq 300 300 9000); do
	head -c $((size - cut)) "$WORK/codex.bin" >"$WORK/torn.bin"
	"$CXREC" decode -f jsonl -o "$WORK/torn.jsonl" "$WORK/torn.bin" 2>/dev/null
	[ "$(jsonq "$WORK/torn.jsonl" '[e["error"] is None for e in x if e["request"]["method"] == "POST"]')" = "[True, False]" ] && break
done
assert_eq "$(jsonq "$WORK/torn.jsonl" '[e["error"] is None for e in x if e["request"]["method"] == "POST"]')" \
	"[True, False]" "torn trace: cut inside turn 2's response ($cut bytes off)"
"$CXREC" replay --no-delay "$WORK/torn.bin" 2>"$WORK/torn.err" &
tpid=$!
defer "kill $tpid 2>/dev/null"
for _ in $(seq 100); do grep -q 'http://' "$WORK/torn.err" && break; sleep 0.05; done
url=$(grep -o 'http://127.0.0.1:[0-9]*' "$WORK/torn.err" | head -1)
assert_contains "$(cat "$WORK/torn.err")" "(1 exchange, and some incomplete: those answer 501)" "torn trace: said at start"
post() { curl -s --max-time 5 -o "$WORK/torn.out" -w '%{http_code}' -H 'content-type: application/json' \
	--data-binary '{"model":"x","input":[]}' "$url/v1/responses"; }
assert_eq "$(post)" 200 "torn trace: what is whole is served"
assert_eq "$(post)" 501 "torn trace: turn 2 answers 501"
assert_contains "$(cat "$WORK/torn.out")" "others were cut short" "torn trace: the 501 says it was cut"
kill "$tpid"; wait "$tpid" 2>/dev/null

# --- codex 0.98.0 over its WebSocket transport ------------------------------
start_mock "$WORK/m2" --tls-cert "$WORK/certs/server.pem" --tls-key "$WORK/certs/server.key" --delay-ms 20
# shellcheck disable=SC2046
record_and_replay codexws "$MOCK_URL" "$CODEX" exec --enable responses_websockets $(codex_exec_args) "run the tool"
assert_not_contains "$(cat "$WORK/codexws-replay.err")" "Falling back" "codexws: no fallback to HTTP"
check_replay codexws exec_command
"$CXREC" decode -f jsonl -o "$WORK/w.jsonl" "$WORK/codexws-replay.bin"
assert_eq "$(jsonq "$WORK/w.jsonl" '[len([m for m in e["websocket"] if m["opcode"] == "text"]) > 2 for e in x if e.get("websocket")]')" \
	"[True]" "codexws: the replay's one socket, its messages recorded"
# Timing: from each client message to the server's last before the next.
"$CXREC" decode -f jsonl -o "$WORK/wa.jsonl" "$WORK/codexws.bin"
wspan='[round(max([c["t_ms"]] + [m["t_ms"] for m in __import__("itertools").takewhile(lambda m: m["dir"] != "send", w[i + 1:])]) - c["t_ms"]) for e in x if e.get("websocket") for w in [e["websocket"]] for i, c in enumerate(w) if c["dir"] == "send" and c["opcode"] == "text"]'
rec=$(jsonq "$WORK/wa.jsonl" "$wspan")
rep=$(jsonq "$WORK/w.jsonl" "$wspan")
echo "codexws: answer spans recorded $rec ms, replayed $rep ms"
assert_eq "$(jsonq "$WORK/w.jsonl" "all(abs(b - a) <= 30 + a / 10 for a, b in zip($rec, $wspan))")" True \
	"codexws: each answer's span within 30 ms + 10% of the recorded"

# --- codex 0.171.0: config-only base URL, the WebSocket by default ----------
if [ -z "$CODEX171" ]; then
	echo "replay: codex 0.171.0 is not installed: its part skipped"
else
	(
		start_mock "$WORK/m4" --tls-cert "$WORK/certs/server.pem" --tls-key "$WORK/certs/server.key" --delay-ms 2
		STOP_MOCK=stop_mock
		codex_env_setup "$WORK/env171"
		echo 'check_for_update_on_startup = false' >"$CODEX_HOME/config.toml"
		unset CODEX_REFRESH_TOKEN_URL_OVERRIDE
		codex_block_internet
		cd "$WORK/proj"
		RUN_OPTS=(--route "/backend-api/=$MOCK_URL" --route "/oauth/=$MOCK_URL"
			--map-host "chatgpt.com=$MOCK_URL" --map-host "ab.chatgpt.com=$MOCK_URL")
		# shellcheck disable=SC2046
		record_and_replay codex171 "$MOCK_URL" "$CODEX171" exec $(codex_exec_args) "run the tool"
		check_replay codex171 exec_command
		"$CXREC" decode -f jsonl -o "$WORK/w171.jsonl" "$WORK/codex171-replay.bin"
		assert_eq "$(jsonq "$WORK/w171.jsonl" "[m['data']['type'] for e in x if e.get('websocket') for m in e['websocket'] if m['dir'] == 'send' and m['opcode'] == 'text']")" \
			"['response.create', 'response.create', 'response.create']" "codex171: prewarm, turn, tool output over the replay's socket"
	) || fail "codex171: see above"
fi

# --- Claude Code over HTTP (SSE) ------------------------------------------
if [ -z "$CLAUDE" ]; then
	echo "replay: Claude Code $CLAUDE_VERSION is not installed: its part skipped"
else
	(
		start_anthropic_mock "$WORK/m3" --tls-cert "$WORK/certs/server.pem" --tls-key "$WORK/certs/server.key"
		claude_env_setup "$WORK/claude"
		claude_use_mock "https://api.anthropic.com" "" api-key
		unset ANTHROPIC_BASE_URL
		agents_block_internet
		cd "$AGENT_PROJECT"
		STOP_MOCK=stop_anthropic_mock
		# shellcheck disable=SC2046
		record_and_replay claude "$ANTHROPIC_MOCK_URL" "$CLAUDE" $(claude_headless_args) "run the tool"
		check_replay claude Bash
	) || fail "claude: see above"
fi
echo "replay: codex 0.98.0 (HTTP, WebSocket), codex 0.171.0 and claude re-ran offline from their traces"
