#!/usr/bin/env bash
# export_follow (issue 19, item 3): continuous export, from the trace file.
#  1. `cxrec run --export` around the real codex 0.98.0 (against the mock,
#     streaming slowly): the first exchange reaches ClickHouse while codex
#     runs; the server is then killed and started again later (same data,
#     same port); codex is not disturbed, the export waits it out, and at
#     the end every row is there once: the same rows as a one-shot export
#     of the finished trace, and no row twice before merging.
#  2. `cxrec relay --export`: a table detached under its exporter (not the
#     rows' fault: the batch waits, then goes in); the exporter killed
#     with -9 mid-stream and resumed by hand from its cursor: the server
#     inserted exactly the rows of the trace (system.events'
#     InsertedRows), none twice.
#  3. `--export-to otlp`: spans reach the collector while the relay runs,
#     the collector goes away and comes back; each span arrives once.
#  4. Bad input: bad --export URLs and options, a damaged cursor; a
#     destination that never answers: the command's status and trace are
#     untouched, the line says how to resume, and resuming sends it all; a
#     password in the URL is neither on the exporter's command line nor
#     said; a second Ctrl-C ends the relay's wait for its exporter.
"$(dirname "$0")/../../scripts/install-codex.sh" >/dev/null || { echo "SKIP: codex 0.98.0 cannot be installed (npm)"; exit 77; }
. "$(dirname "$0")/../lib/agents_env.sh"
agents_netns_try "$0" "$@"
. "$(dirname "$0")/../lib/lib.sh"
. "$TESTS_DIR/lib/clickhouse.sh"
ch_find
. "$TESTS_DIR/lib/codex_env.sh"
CXREC_NO_MOCK_TRAP=1
CODEX=$("$REPO/scripts/install-codex.sh") || fail "cannot install codex 0.98.0 from npm"
codex_env_setup "$WORK/env"
codex_block_internet
gen_certs "$WORK/certs"
cd "$WORK"

TABLES="sessions exchanges turns events tool_calls processes"
# counts DB [FINAL]: "table=count ..." for every table
counts() {
	local t out=
	for t in $TABLES; do out="$out $t=$(ch_sql "$CH_URL" "SELECT count() FROM $1.$t ${2:-}")"; done
	echo "${out# }"
}
# wait_sql QUERY N: until QUERY's answer is N or more (20 s)
wait_sql() {
	local n
	for _ in $(seq 1 200); do
		n=$(curl -s "$CH_URL/" --data-binary "$1" 2>/dev/null)
		case $n in ''|*[!0-9]*) ;; *) [ "$n" -ge "$2" ] && return 0 ;; esac
		sleep 0.1
	done
	return 1
}

ch_start "$WORK/ch"
CHDIR=$WORK/ch

# --- 1. codex, the server killed mid-session ---------------------------------
# 300 ms between streamed events: a turn lasts seconds.
start_mock "$WORK" --tls-cert "$WORK/certs/server.pem" --tls-key "$WORK/certs/server.key" --delay-ms 300 ||
	fail "the mock did not start"
defer stop_mock
mkdir -p proj
KEY=sk-cxrec-test-0123456789abcdefghij
(cd proj && CODEX_API_KEY=$KEY exec "$CXREC" run --export "$CH_URL/?database=live" \
	--upstream "$MOCK_URL" --cacert "$WORK/certs/ca.pem" -o "$WORK/live.bin" -- \
	"$CODEX" exec $(codex_exec_args) "run the tool" >"$WORK/run.out" 2>"$WORK/run.err" </dev/null) &
rpid=$!
defer "kill $rpid 2>/dev/null"
wait_sql "SELECT count() FROM live.exchanges" 1 || fail "no exchange reached ClickHouse while codex ran: $(cat run.err)"
kill -0 $rpid 2>/dev/null || fail "codex ended before the first exchange was exported"
ok "the first exchange is in ClickHouse while codex runs"
ch_kill "$CHDIR"
# codex goes on: its second turn starts and streams while the server is gone
for _ in $(seq 1 300); do
	[ "$(grep -c . "$MOCK_LOG")" -ge 2 ] && break
	sleep 0.1
done
assert_eq "$(grep -c . "$MOCK_LOG")" 2 "codex's second turn started while the server was away"
sleep 1
kill -0 $rpid 2>/dev/null || fail "codex ended before the server came back"
ch_restart "$CHDIR"
ok "the server is back while codex streams its second turn"
rc=0
wait $rpid || rc=$?
assert_eq "$rc" 0 "codex exited 0 through cxrec run --export"
assert_contains "$(cat run.out)" "cxrec-mock-tool-ok" "codex printed its answer"
assert_contains "$(cat run.err)" "cxrec: 2 exchanges" "both turns recorded"
# (Couldn't connect, or a failure receiving when it died mid-insert)
assert_contains "$(cat run.err)" "retrying (nothing is lost: the trace holds it)" "the export said the server was away, once"
assert_eq "$(grep -c 'retrying' run.err)" 1 "... in one line"
assert_contains "$(cat run.err)" "answers again after" "the export said it was back"
"$CXREC" decode -f jsonl live.bin >live.jsonl || fail "the trace does not decode"
assert_eq "$(grep -c . live.jsonl)" 2 "the trace holds both exchanges"
assert_eq "$(sed 's/ done=.*//' live.bin.export-*)" "cxrec-export-cursor 1 trace=$(ch_sql "$CH_URL" "SELECT trace FROM live.sessions") ended=1" "the cursor: the trace's end delivered"
# every row once: as a one-shot export of the finished trace has them
"$CXREC" export -q --to clickhouse "$CH_URL/?database=once" live.bin || fail "one-shot export failed"
raw=$(counts live)
assert_eq "$raw" "$(counts live FINAL)" "no row arrived twice ($raw)"
assert_eq "$raw" "$(counts once FINAL)" "the same rows as a one-shot export"
q='SELECT sum(input_tokens), sum(output_tokens), sum(cached_input_tokens), groupArray(model) FROM %s.turns FINAL'
assert_eq "$(ch_sql "$CH_URL" "$(printf "$q" live)")" "$(ch_sql "$CH_URL" "$(printf "$q" once)")" "the same token sums"
assert_eq "$(ch_sql "$CH_URL" "SELECT count() FROM live.tool_calls FINAL WHERE has_result")" 1 "the tool call with its result"

# --- 2. the relay; its exporter killed with -9, resumed from the cursor ------
stop_mock
start_mock "$WORK/m2" --plain || fail "the mock did not start"
rows_in() { ch_sql "$CH_URL" "SELECT value FROM system.events WHERE event = 'InsertedRows'"; }
before=$(rows_in)
"$CXREC" relay --listen 127.0.0.1:0 --upstream "$MOCK_URL" -o relay.bin \
	--export "$CH_URL/?database=r" 2>relay.err &
relay=$!
defer "kill $relay 2>/dev/null"
rport=$(listen_port relay.err "$relay")
req() {
	curl -sS -N "http://127.0.0.1:$rport/v1/responses" -H 'content-type: application/json' \
		-d '{"model":"gpt-5","stream":true,"input":"say hello"}' >/dev/null || fail "a request through the relay failed"
}
req; req
wait_sql "SELECT count() FROM r.exchanges" 2 || fail "the relay's export did not send its exchanges"
for _ in $(seq 1 50); do grep -q 'done=1-2$' relay.bin.export-* 2>/dev/null && break; sleep 0.1; done
assert_eq "$(sed 's/.* //' relay.bin.export-*)" "done=1-2" "the cursor holds the two exchanges delivered"
# A table gone is not the rows' fault: the batch waits, nothing dropped.
ch_sql "$CH_URL" "DETACH TABLE r.turns" >/dev/null
req
for _ in $(seq 1 100); do grep -q retrying relay.err && break; sleep 0.1; done
assert_contains "$(cat relay.err)" "r.turns doesn't exist" "a table gone: the server's reason said"
assert_contains "$(cat relay.err)" "retrying" "... and the batch waits"
ch_sql "$CH_URL" "ATTACH TABLE r.turns" >/dev/null
wait_sql "SELECT count() FROM r.turns" 3 || fail "the batch did not go in once the table was back"
for _ in $(seq 1 50); do grep -q 'done=1-3$' relay.bin.export-* 2>/dev/null && break; sleep 0.1; done
assert_eq "$(sed 's/.* //' relay.bin.export-*)" "done=1-3" "... then went in, the cursor after it"
xpid=$(pgrep -f "cxrec export --follow -q --to clickhouse -- - relay.bin") || fail "no exporter beside the relay"
kill -9 $xpid
ok "the relay's exporter killed with -9"
req; req
"$CXREC" export --to clickhouse --follow "$CH_URL/?database=r" relay.bin >resume.out 2>resume.err &
xr=$!
defer "kill $xr 2>/dev/null"
wait_sql "SELECT count() FROM r.exchanges" 5 || fail "the resumed export did not send the rest"
kill -INT $relay
wait $relay || fail "the relay failed: $(cat relay.err)"
wait $xr || fail "the resumed export failed: $(cat resume.err)"
assert_contains "$(cat resume.out)" "relay.bin: trace " "the resumed export's summary line"
assert_contains "$(cat resume.out)" "2 exchanges, 2 turns" "... it sent the two exchanges after the cursor"
assert_contains "$(cat resume.out)" "3 exchanges exported before" "... and skipped the three before"
"$CXREC" export -q --to clickhouse "$CH_URL/?database=r1" relay.bin || fail "one-shot export failed"
raw=$(counts r)
assert_eq "$raw" "$(counts r1 FINAL)" "the relay's trace: every row, as a one-shot export has them ($raw)"
expected=$(ch_sql "$CH_URL" "SELECT $(for t in $TABLES; do printf '(SELECT count() FROM r.%s) + ' $t; done) 0")
# the one-shot export's own rows count too
assert_eq "$(($(rows_in) - before))" "$((expected * 2))" "the server inserted each row once (InsertedRows)"

# --- 3. OTLP: spans while the relay runs; the collector away and back ------
RECV=$TESTS_DIR/lib/peers/otlp_receiver.py
OPORT=$(free_port)
start_recv() {
	OTLP_PORT=$OPORT /usr/bin/python3 "$RECV" serve "$WORK/otlp.port" "$WORK/otlp.jsonl" &
	RPID=$!
	defer "kill $RPID 2>/dev/null"
	for _ in $(seq 1 100); do curl -s -o /dev/null "http://127.0.0.1:$OPORT/" && return 0; sleep 0.1; done
	fail "the receiver did not start"
}
spans() { /usr/bin/python3 -c 'import json,sys
n = [sp["name"] for l in open(sys.argv[1]) for rs in json.loads(l)["resourceSpans"]
     for ss in rs["scopeSpans"] for sp in ss["spans"]]
ids = [sp["spanId"] for l in open(sys.argv[1]) for rs in json.loads(l)["resourceSpans"]
       for ss in rs["scopeSpans"] for sp in ss["spans"]]
print(sum(x.startswith(sys.argv[2]) for x in n), len(ids) - len(set(ids)))' otlp.jsonl "$1"; }
start_recv
"$CXREC" relay --listen 127.0.0.1:0 --upstream "$MOCK_URL" -o otlp.bin \
	--export-to otlp --export "http://127.0.0.1:$OPORT" 2>orelay.err &
relay=$!
defer "kill $relay 2>/dev/null"
rport=$(listen_port orelay.err "$relay")
req; req
for _ in $(seq 1 50); do [ "$(spans chat 2>/dev/null)" = "2 0" ] && break; sleep 0.1; done
assert_eq "$(spans chat)" "2 0" "two chat spans reached the collector while the relay runs"
kill $RPID; wait $RPID 2>/dev/null || true
req
sleep 1.5
start_recv
kill -INT $relay
wait $relay || fail "the relay failed: $(cat orelay.err)"
assert_eq "$(spans chat)" "3 0" "three chat spans, none twice"
assert_eq "$(spans invoke_agent)" "3 0" "the sessions' spans at the end (three one-turn conversations)"
assert_contains "$(cat orelay.err)" "retrying" "the collector's absence said"

# --- 4. bad input -------------------------------------------------------------
rc=0; "$CXREC" relay --export ftp://x -o bad.bin >out 2>err || rc=$?
assert_eq "$rc" 2 "--export ftp://x: exit 2"
assert_eq "$(cat err)" "cxrec: relay: --export 'ftp://x': expected an http:// or https:// URL" "... one line"
rc=0; "$CXREC" run --export-to kafka -- true >out 2>err || rc=$?
assert_eq "$rc" 2 "--export-to kafka: exit 2"
assert_eq "$(wc -l <err)" 1 "... one line"
rc=0; "$CXREC" export --to clickhouse --follow "$CH_URL" live.bin relay.bin >out 2>err || rc=$?
assert_eq "$rc:$(cat err)" "2:cxrec: export: --follow: one TRACE" "--follow with two traces"
rc=0; "$CXREC" export --to clickhouse --idle 1s "$CH_URL" live.bin >out 2>err || rc=$?
assert_eq "$rc:$(cat err)" "2:cxrec: export: --idle needs --follow" "--idle without --follow"
echo garbage >damaged.cursor
rc=0; "$CXREC" export --to clickhouse --cursor damaged.cursor "$CH_URL" live.bin >out 2>err || rc=$?
assert_eq "$rc:$(cat err)" "2:cxrec: export: cursor damaged.cursor: not a cxrec export cursor" "a damaged cursor"
# A destination that never answers: the command's status, the trace whole,
# the way to resume said; resuming sends all of it.
dead=$(free_port)
rc=0
"$CXREC" run --export "http://127.0.0.1:$dead/?database=late" --export-wait 1 -o late.bin -- \
	curl -sS "$MOCK_URL/test/sse?n=3" >late.out 2>late.err || rc=$?
assert_eq "$rc" 0 "a destination that never answers: the command's status"
assert_eq "$(grep -c "Couldn't connect to server: retrying" late.err)" 1 "... said once"
assert_contains "$(cat late.err)" "export: stopped after 1 s (--export-wait), before http://127.0.0.1:$dead/ had the whole trace; \`cxrec export --to clickhouse --follow http://127.0.0.1:$dead/?database=late late.bin\` resumes it" "... and how to resume"
"$CXREC" decode -f jsonl late.bin >late.jsonl || fail "the trace does not decode"
assert_eq "$(grep -c . late.jsonl)" 1 "... the trace holds the exchange"
"$CXREC" export --to clickhouse --follow "$CH_URL/?database=late" late.bin >late2.out 2>late2.err ||
	fail "resuming failed: $(cat late2.err)"
assert_eq "$(ch_sql "$CH_URL" "SELECT count() FROM late.exchanges FINAL")" 1 "resumed: the exchange exported"
# A password in the URL: not on the exporter's command line (other users
# can read it), not said; a second Ctrl-C ends the wait for it at once.
"$CXREC" relay --listen 127.0.0.1:0 --upstream "$MOCK_URL" -o pw.bin \
	--export "http://u:hunter2@127.0.0.1:$dead/?password=hunter3&database=pw" 2>pw.err &
relay=$!
defer "kill $relay 2>/dev/null"
listen_port pw.err "$relay" >/dev/null
for _ in $(seq 1 50); do grep -q retrying pw.err && break; sleep 0.1; done
xpid=$(pgrep -f "cxrec export --follow -q --to clickhouse -- - pw.bin") || fail "no exporter beside the relay"
assert_not_contains "$(tr '\0' ' ' </proc/$xpid/cmdline)" "hunter" "the password is not on the exporter's command line"
kill -INT $relay
sleep 0.5
t0=$(date +%s%N)
kill -INT $relay
wait $relay || true
t1=$(date +%s%N)
[ $(((t1 - t0) / 1000000)) -lt 5000 ] || fail "a second Ctrl-C did not end the wait ($(((t1 - t0) / 1000000)) ms)"
ok "a second Ctrl-C ends the wait for the export at once"
assert_contains "$(cat pw.err)" "stopped by a signal, before http://127.0.0.1:$dead/ had the whole trace; \`cxrec export --to clickhouse --follow URL pw.bin\` resumes it" "... and says how to resume"
assert_not_contains "$(cat pw.err)" "hunter" "the password is never said"
