#!/usr/bin/env bash
# export_clickhouse (issue 19, item 1): `cxrec export --to clickhouse` of the
# recorded codex 0.98.0 (HTTP + SSE), codex 0.171.0 (WebSocket), Claude
# Code and Gemini CLI sessions into Debian's ClickHouse, started here on
# loopback ports with its own config: row counts and token sums as
# computed from `cxrec decode -f jsonl` (in python, from the API's own
# usage fields) and `-f conversation`; docs/fleet.md's queries; exporting
# twice changes nothing; a URL nobody answers; a table with another
# schema; a server that rejects some rows (a fake one, in python).
. "$(dirname "$0")/../lib/lib.sh"
. "$REPO/tests/lib/clickhouse.sh"
ch_find
cd "$WORK"
conv_traces

# --- a ClickHouse of our own ------------------------------------------------
ch_start ch
URL=$CH_URL
# sql QUERY: its result as TSV
sql() { ch_sql "$URL" "$1"; }
VERSION=$(sql "SELECT version()")
ok "ClickHouse $VERSION on 127.0.0.1:$CH_HTTP_PORT"

# --- what decode says, independently -------------------------------------
# per trace, exchanges, events, turns and token sums read from the APIs'
# own usage fields in `cxrec decode -f jsonl` (tests/lib/peers/trace_expect.py)
EXPECT="/usr/bin/python3 $REPO/tests/lib/peers/trace_expect.py"
$EXPECT sums "$CXREC" $TRACES >expect.txt || fail "trace_expect.py failed"

# --- export ---------------------------------------------------------------
start=$(date +%s.%N)
"$CXREC" export --to clickhouse "$URL/" $TRACES >export.out 2>export.err ||
	fail "export exited $?: $(cat export.err)"
end=$(date +%s.%N)
[ -s export.err ] && fail "export said: $(cat export.err)"
assert_eq "$(wc -l <export.out)" "4" "a summary line per trace"
ok "4 traces exported in $(/usr/bin/python3 -c "print(round($end - $start, 2))") s"
# ids: trace -> its id, from the summary lines
id_of() { sed -n "s|^$1: trace \([0-9a-f]*\):.*|\1|p" export.out; }

got() {   # got TRACE: the same figures from ClickHouse
	local id; id=$(id_of "$1")
	echo "$1 exchanges=$(sql "SELECT count() FROM cxrec.exchanges FINAL WHERE trace = '$id'")" \
	    "events=$(sql "SELECT count() FROM cxrec.events FINAL WHERE trace = '$id'")" \
	    "$(sql "SELECT concat('turns=', toString(count()), ' input=', toString(sum(input_tokens)), ' cached=', toString(sum(cached_input_tokens)), ' output=', toString(sum(output_tokens)), ' reasoning=', toString(sum(reasoning_tokens)), ' cache_write=', toString(sum(cache_write_tokens))) FROM cxrec.turns FINAL WHERE trace = '$id'")"
}
check_all() {   # check_all WHAT
	for t in $TRACES; do
		assert_eq "$(got "$t")" "$(grep "^$t " expect.txt)" "$1: $t: rows and tokens as decode's jsonl says"
		# the session row sums the same turns
		id=$(id_of "$t")
		assert_eq "$(sql "SELECT concat(toString(turns), ' ', toString(input_tokens), ' ', toString(output_tokens)) FROM cxrec.sessions FINAL WHERE trace = '$id'")" \
		    "$(sql "SELECT concat(toString(count()), ' ', toString(sum(input_tokens)), ' ', toString(sum(output_tokens))) FROM cxrec.turns FINAL WHERE trace = '$id'")" \
		    "$1: $t: its session row"
		assert_eq "$(sql "SELECT count() FROM cxrec.turns FINAL WHERE trace = '$id'")" \
		    "$("$CXREC" decode -f conversation "$t" | grep -c '^== Turn ')" "$1: $t: turns as -f conversation counts them"
		assert_eq "$(sql "SELECT count() FROM cxrec.tool_calls FINAL WHERE trace = '$id'")" \
		    "$("$CXREC" decode -f conversation "$t" | grep -c '^   << call ')" "$1: $t: tool calls as -f conversation counts them"
	done
}
check_all "once"
counts() { for t in sessions exchanges turns events tool_calls processes; do echo "$t $(sql "SELECT count() FROM cxrec.$t FINAL")"; done; }
counts >counts1.txt
assert_eq "$(sql "SELECT count() FROM cxrec.sessions")" "4" "a session row per trace"
assert_eq "$(sql "SELECT name, has_result FROM cxrec.tool_calls FINAL ORDER BY name FORMAT CSV" | tr '\n' ' ')" \
	'"Bash",1 "exec_command",1 "exec_command",1 "run_shell_command",1 ' "each tool call with its result, Gemini's too"
# processes: every exchange's pid is among them, but where the trace knows
# nothing of it (codex 0.171.0's recording: "process": null in the jsonl)
assert_eq "$(sql "SELECT groupUniqArray(trace) FROM (SELECT DISTINCT trace, pid FROM cxrec.exchanges FINAL WHERE pid != 0) ANY LEFT JOIN (SELECT trace, pid, 1 AS known FROM cxrec.processes FINAL) USING (trace, pid) WHERE known = 0")" \
	"['$(id_of codex171.bin)']" "every exchange's process is a row of processes (where the trace knows it)"
assert_eq "$("$CXREC" decode -f jsonl codex171.bin | grep -c '"process":null')" "1" "codex 0.171.0's trace: no process known"
assert_eq "$(sql "SELECT count() FROM cxrec.processes FINAL WHERE trace = '$(id_of codex098.bin)' AND comm = 'codex' AND length(argv) > 0")" "1" "codex 0.98.0: its process with argv"
# redaction: the Claude trace's key is nowhere
key=$(grep -ao 'sk-ant-[A-Za-z0-9_-]*' claude.bin | head -1 || true)
if [ -n "$key" ]; then
	assert_eq "$(sql "SELECT count() FROM cxrec.exchanges WHERE position(request_body, '$key') > 0 OR position(url, '$key') > 0")" "0" "no API key in the rows"
fi
assert_contains "$(sql "SELECT request_body FROM cxrec.exchanges FINAL WHERE endpoint = 'POST /v1/messages' LIMIT 1")" '"model":"claude' \
	"request bodies are there, as JSON text"

# docs/fleet.md's queries, each run
ch_doc_queries "$REPO/docs/fleet.md" >queries.txt || fail "docs/fleet.md: no queries"
assert_eq "$(wc -l <queries.txt)" "10" "docs/fleet.md: ten queries"
while IFS=$'\t' read -r name q; do
	sql "$q FORMAT TSV" >"$(ch_query_file "$name")"
	ok "docs/fleet.md query runs: $name"
done <queries.txt
tpm=$(cat query.Tokens_per_model_per_day.tsv)
assert_eq "$(awk -F'\t' '{i+=$4; o+=$6} END {print i, o}' <<<"$tpm")" \
	"$(awk '{for (i=2;i<=NF;i++) {split($i,a,"="); s[a[1]]+=a[2]}} END {print s["input"], s["output"]}' expect.txt)" \
	"tokens per model per day: the sums of every trace"
assert_contains "$tpm" $'claude-opus-5-5\t2\t' "tokens per model per day: claude's two turns"
assert_eq "$(head -1 query.The_slowest_time_to_first_token.tsv | cut -f4)" \
	"$(sql "SELECT round(max(ttft) / 1e6, 1) FROM cxrec.turns FINAL")" "the slowest time to first token first"
assert_eq "$(tr '\t\n' ' ;' <query.Tool_calls_by_name.tsv)" "exec_command 2 2;Bash 1 1;run_shell_command 1 1;" "tool calls by name"
# every query's rows against what the jsonl says (trace_expect.py rows,
# read by fleet_expect.py; dollars at docs/prices.md's prices, days and
# hours in UTC as the server's timezone is); the agents are those the
# recordings were made with (tests/data/conv/README), codex171's trace
# was cut without its run note
$EXPECT rows "$CXREC" $TRACES >rows.jsonl || fail "trace_expect.py rows failed"
agent_of() { case $1 in codex098*) echo codex,0.98.0 ;; claude*) echo claude,2.1.332 ;; gemini*) echo gemini,0.61.0 ;; *) echo , ;; esac; }
fexp() { /usr/bin/python3 "$REPO/tests/lib/peers/fleet_expect.py" "$1" rows.jsonl "$REPO/docs/prices.md" \
	$(for t in $TRACES; do echo "$t=$(id_of "$t"),$(agent_of "$t")"; done) || fail "fleet_expect.py $1 failed"; }
# the slowest time to first token: each row's turn and endpoint are those
# of the jsonl (its ttft, from the bytes' times, is export's own)
assert_eq "$(/usr/bin/python3 - rows.jsonl query.The_slowest_time_to_first_token.tsv \
	$(for t in $TRACES; do echo "$(id_of "$t")=$t"; done) <<'PY'
import json, sys
rows = [json.loads(l) for l in open(sys.argv[1])]
path = dict(a.split("=") for a in sys.argv[3:])
bad = 0
got = [l.split("\t") for l in open(sys.argv[2]).read().splitlines()]
for tid, ex, model, ms, endpoint in got:
    x = [r for r in rows if r["kind"] == "exchange" and r["trace"] == path[tid] and r["id"] == int(ex)]
    t = [r for r in rows if r["kind"] == "turn" and r["trace"] == path[tid] and r["exchange"] == int(ex)]
    bad += not (len(x) == 1 and x[0]["method"] + " " + x[0]["path"] == endpoint and model in {r["model"] for r in t})
print(len(got), "rows,", bad, "wrong")
PY
)" "9 rows, 0 wrong" "the slowest time to first token: the turns' models and endpoints as the jsonl says"
assert_eq "$(cat query.Tokens_per_model_per_day.tsv)" "$(fexp day)" "tokens per model per day: turns, tokens and dollars"
assert_eq "$(cat query.Sessions_by_agent.tsv)" "$(fexp agents)" "sessions by agent: sessions, turns, tokens and dollars"
assert_eq "$(cat query.Endpoints__calls__errors_and_the_median_time_to_first_byte.tsv)" "$(fexp endpoints)" \
	"endpoints: calls, failures and the median time to first byte"
assert_eq "$(cat query.Tools_that_fail.tsv)" "$(fexp tools)" "tools that fail: calls, answered and failed per name"
assert_eq "$(cat query.Cache_hits_per_model.tsv)" "$(fexp cache)" "cache hits per model: tokens and the ratio"
assert_eq "$(cut -f1,4- query.The_most_expensive_sessions.tsv)" "$(fexp cost)" \
	"the most expensive sessions: turns, tokens and dollars at docs/prices.md's prices"
assert_eq "$(cut -f2 query.The_most_expensive_sessions.tsv | tr '\n' ' ')" "claude codex  gemini " \
	"the most expensive sessions: their agents"
assert_eq "$(cat query.Tokens_per_program.tsv)" "$(fexp programs)" "tokens per program: processes, turns and tokens"
assert_eq "$(cat query.Activity_per_hour.tsv)" "$(fexp hours)" "activity per hour: sessions, turns, tokens and failures"
# every query answers something here
for f in query.*.tsv; do [ -s "$f" ] || fail "$f: no rows"; done
# failures the recorded sessions do not have: a result of each kind
sql "CREATE DATABASE synth" >/dev/null
sql "CREATE TABLE synth.tool_calls AS cxrec.tool_calls" >/dev/null
sql "INSERT INTO synth.tool_calls (trace, exchange, idx, name, has_result, result) VALUES
	('s', 1, 1, 'exec_command', 1, 'Chunk ID: 1\nProcess exited with code 2\nOutput:\nno'),
	('s', 1, 2, 'exec_command', 1, 'Chunk ID: 2\nProcess exited with code 0\nOutput:\nyes'),
	('s', 2, 1, 'run_shell_command', 1, '{\"error\":\"Command rejected\"}'),
	('s', 2, 2, 'run_shell_command', 1, '{\"output\":\"Output: no\\nExit Code: 1\"}'),
	('s', 3, 1, 'Bash', 1, 'Exit code 127\nbash: nope: command not found'),
	('s', 3, 2, 'Bash', 1, 'the error was fixed'),
	('s', 4, 1, 'Read', 0, '')" >/dev/null
q=$(grep '^Tools that fail' queries.txt | cut -f2 | sed 's/cxrec\./synth./g')
assert_eq "$(sql "$q FORMAT TSV" | tr '\t\n' ' ;')" "run_shell_command 2 2 2;Bash 2 2 1;exec_command 2 2 1;Read 1 0 0;" \
	"tools that fail: the failures of each agent's kind counted, the rest not"

# --- twice ------------------------------------------------------------------
"$CXREC" export -q --to clickhouse "$URL/?database=cxrec" $TRACES 2>export2.err || fail "second export: $(cat export2.err)"
counts >counts2.txt
assert_eq "$(cat counts2.txt)" "$(cat counts1.txt)" "exporting twice changes nothing (FINAL)"
check_all "twice"
sql "OPTIMIZE TABLE cxrec.turns FINAL" >/dev/null
assert_eq "$(sql "SELECT count() FROM cxrec.turns")" "$(sql "SELECT count() FROM cxrec.turns FINAL")" "after OPTIMIZE ... FINAL, one copy without FINAL"

# --- bad input ----------------------------------------------------------------
dead=$(free_port)
cp gemini.bin gemini.orig
out=$("$CXREC" export --to clickhouse "http://127.0.0.1:$dead/" gemini.bin 2>&1) && fail "a dead URL: exit 0"
rc=$?
assert_eq "$rc" "1" "a URL nobody answers: exit 1"
assert_eq "$(wc -l <<<"$out")" "1" "a URL nobody answers: one line"
assert_contains "$out" "127.0.0.1:$dead" "a URL nobody answers: the line names it"
cmp -s gemini.bin gemini.orig || fail "the trace changed"
ok "the trace untouched"

sql "CREATE DATABASE other" >/dev/null
sql "CREATE TABLE other.exchanges (trace String, id UInt64, surprise String) ENGINE = ReplacingMergeTree() ORDER BY (trace, id)" >/dev/null
out=$("$CXREC" export --to clickhouse "$URL/?database=other" gemini.bin 2>&1) && fail "another schema: exit 0"
rc=$?
assert_eq "$rc" "1" "a table with another schema: exit 1"
assert_eq "$(wc -l <<<"$out")" "1" "a table with another schema: one line"
assert_contains "$out" "surprise" "a table with another schema: the line names the column"
assert_eq "$(sql "SELECT count() FROM system.tables WHERE database = 'other'")" "1" "a table with another schema: no table created"
assert_eq "$(sql "SELECT count() FROM other.exchanges")" "0" "a table with another schema: nothing written"
sql "CREATE TABLE other.turns (trace String, exchange UInt64, idx String) ENGINE = ReplacingMergeTree() ORDER BY (trace, exchange)" >/dev/null
sql "DROP TABLE other.exchanges" >/dev/null
out=$("$CXREC" export --to clickhouse "$URL/?database=other" gemini.bin 2>&1) && fail "another type: exit 0"
assert_contains "$out" "column idx is String, cxrec writes UInt32" "a column of another type: named"

# A server that rejects some rows: a fake ClickHouse that refuses any
# exchange row of Gemini's non-streamed call.
FAKE_PORT=$(free_port)
cat >fake.py <<'EOF'
import http.server, sys, urllib.parse
class H(http.server.BaseHTTPRequestHandler):
    def log_message(self, *a): pass
    def do_POST(self):
        q = urllib.parse.parse_qs(urllib.parse.urlparse(self.path).query).get("query", [""])[0]
        body = self.rfile.read(int(self.headers.get("Content-Length", 0))).decode()
        if q.startswith("INSERT"):
            rows = [r for r in body.split("\n") if r]
            if any('generateContent","host"' in r for r in rows):
                self.reply(500, "Code: 117, e.displayText() = DB::Exception: fake: no such call here, e.what() = DB::Exception\n")
                return
            with open("fake.log", "a") as f:
                f.write("%s %d\n" % (q.split()[2], len(rows)))
            self.reply(200, "")
        elif "version()" in body:
            self.reply(200, "18.16.1\n")
        else:
            self.reply(200, "")
    def reply(self, st, text):
        b = text.encode()
        self.send_response(st)
        self.send_header("Content-Length", str(len(b)))
        self.end_headers()
        self.wfile.write(b)
http.server.HTTPServer(("127.0.0.1", int(sys.argv[1])), H).serve_forever()
EOF
/usr/bin/python3 fake.py "$FAKE_PORT" &
FAKE_PID=$!
defer "kill $FAKE_PID 2>/dev/null"
wait_port "$FAKE_PORT"
"$CXREC" export --to clickhouse "http://127.0.0.1:$FAKE_PORT/" gemini.bin >fake.out 2>fake.err && fail "rejected rows: exit 0"
rc=$?
assert_eq "$rc" "1" "a server that rejects a row: exit 1"
assert_eq "$(grep -c 'row rejected' fake.err)" "1" "a server that rejects a row: the row on stderr"
assert_contains "$(cat fake.err)" "no such call here" "a server that rejects a row: its reason"
assert_contains "$(cat fake.err)" '"id":1' "a server that rejects a row: which row"
assert_eq "$(awk '$1 == "`cxrec`.`exchanges`" {n += $2} END {print n}' fake.log)" "2" "a server that rejects a row: the other exchanges exported"
assert_contains "$(cat fake.log)" '`cxrec`.`turns` 3' "a server that rejects a row: the other tables exported"
