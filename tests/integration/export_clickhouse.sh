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
CH=$(command -v clickhouse-server || ls /usr/sbin/clickhouse-server /usr/bin/clickhouse 2>/dev/null | head -1 || true)
[ -n "$CH" ] || skip "clickhouse-server is not installed (make deps installs Debian's)"
command -v zstd >/dev/null || skip "zstd is not installed (make deps installs it)"
command -v curl >/dev/null || skip "curl is not installed (make deps installs it)"
cd "$WORK"
gzip -dc "$REPO/tests/data/conv/codex098-http.bin.gz" >codex098.bin
gzip -dc "$REPO/tests/data/conv/codex171-ws.bin.gz" >codex171.bin
zstd -qdc "$REPO/tests/data/conv/anthropic_claude_api-key.bin.zst" >claude.bin
zstd -qdc "$REPO/tests/data/conv/gemini_api.bin.zst" >gemini.bin
TRACES="codex098.bin codex171.bin claude.bin gemini.bin"

# --- a ClickHouse of our own ------------------------------------------------
HTTP_PORT=$(free_port)
TCP_PORT=$(free_port)
mkdir -p ch/data ch/tmp ch/log ch/user_files ch/format_schemas
cat >ch/config.xml <<EOF
<?xml version="1.0"?>
<yandex>
  <logger><level>warning</level><log>$WORK/ch/log/server.log</log>
    <errorlog>$WORK/ch/log/error.log</errorlog><console>0</console></logger>
  <listen_host>127.0.0.1</listen_host>
  <http_port>$HTTP_PORT</http_port>
  <tcp_port>$TCP_PORT</tcp_port>
  <path>$WORK/ch/data/</path>
  <tmp_path>$WORK/ch/tmp/</tmp_path>
  <user_files_path>$WORK/ch/user_files/</user_files_path>
  <format_schema_path>$WORK/ch/format_schemas/</format_schema_path>
  <users_config>$WORK/ch/users.xml</users_config>
  <default_profile>default</default_profile>
  <default_database>default</default_database>
  <mark_cache_size>5368709120</mark_cache_size>
  <max_concurrent_queries>20</max_concurrent_queries>
  <compression><case><method>zstd</method></case></compression>
</yandex>
EOF
cat >ch/users.xml <<EOF
<?xml version="1.0"?>
<yandex>
  <profiles><default></default></profiles>
  <users><default><password></password>
    <networks><ip>127.0.0.1</ip><ip>::1</ip></networks>
    <profile>default</profile><quota>default</quota></default></users>
  <quotas><default></default></quotas>
</yandex>
EOF
case "$CH" in
*/clickhouse) "$CH" server --config-file="$WORK/ch/config.xml" >ch/out 2>&1 & ;;
*) "$CH" --config-file="$WORK/ch/config.xml" >ch/out 2>&1 & ;;
esac
CH_PID=$!
defer "kill $CH_PID 2>/dev/null; wait $CH_PID 2>/dev/null"
URL="http://127.0.0.1:$HTTP_PORT"
# sql QUERY: its result as TSV
sql() { curl -sS --fail-with-body "$URL/" --data-binary "$1" || fail "query failed: $1"; }
for _ in $(seq 1 150); do
	curl -s "$URL/ping" 2>/dev/null | grep -q Ok && break
	kill -0 $CH_PID 2>/dev/null || fail "clickhouse-server exited: $(tail -5 ch/out ch/log/error.log 2>/dev/null)"
	sleep 0.2
done
VERSION=$(sql "SELECT version()")
ok "ClickHouse $VERSION on 127.0.0.1:$HTTP_PORT"

# --- what decode says, independently -------------------------------------
# expect.py TRACE...: per trace, exchanges, events, turns and token sums
# read from the APIs' own usage fields in `cxrec decode -f jsonl`.
cat >expect.py <<'EOF'
import json, subprocess, sys
cxrec = sys.argv[1]
tot = {}
for path in sys.argv[2:]:
    out = subprocess.run([cxrec, "decode", "-f", "jsonl", path], check=True,
                         capture_output=True, text=True).stdout
    n = dict(exchanges=0, events=0, turns=0, input=0, cached=0, output=0, reasoning=0)
    def responses(u):
        n["input"] += u.get("input_tokens", 0)
        n["cached"] += (u.get("input_tokens_details") or {}).get("cached_tokens", 0)
        n["output"] += u.get("output_tokens", 0)
        n["reasoning"] += (u.get("output_tokens_details") or {}).get("reasoning_tokens", 0)
    def gemini(u):
        n["input"] += u.get("promptTokenCount", 0)
        n["cached"] += u.get("cachedContentTokenCount", 0)
        n["output"] += u.get("candidatesTokenCount", 0) + u.get("thoughtsTokenCount", 0)
        n["reasoning"] += u.get("thoughtsTokenCount", 0)
    for line in out.splitlines():
        x = json.loads(line)
        n["exchanges"] += 1
        url = x["request"]["url"]
        sse = x["response"].get("sse") or []
        ws = x.get("websocket") or []
        n["events"] += len(sse) + len(ws)
        if "/v1/responses" in url:
            if ws:
                n["turns"] += sum(1 for m in ws if m["dir"] == "send" and isinstance(m["data"], dict)
                                  and m["data"].get("type") == "response.create")
                for m in ws:
                    if m["dir"] == "receive" and isinstance(m["data"], dict) and m["data"].get("type") == "response.completed":
                        responses(m["data"]["response"].get("usage") or {})
            else:
                n["turns"] += 1
                for e in sse:
                    if isinstance(e["data"], dict) and e["data"].get("type") == "response.completed":
                        responses(e["data"]["response"]["usage"])
        elif "/v1/messages" in url:
            n["turns"] += 1
            out_tokens = 0
            for e in sse:
                d = e["data"]
                if not isinstance(d, dict):
                    continue
                if d.get("type") == "message_start":
                    u = d["message"]["usage"]
                    n["input"] += u.get("input_tokens", 0) + u.get("cache_read_input_tokens", 0) + u.get("cache_creation_input_tokens", 0)
                    n["cached"] += u.get("cache_read_input_tokens", 0)
                if d.get("type") == "message_delta":
                    out_tokens = d["usage"].get("output_tokens", out_tokens)
            n["output"] += out_tokens
        elif "generatecontent" in url.lower():
            n["turns"] += 1
            last = None
            for e in sse:
                if isinstance(e["data"], dict) and "usageMetadata" in e["data"]:
                    last = e["data"]["usageMetadata"]
            body = x["response"].get("body")
            if isinstance(body, dict) and "usageMetadata" in body:
                last = body["usageMetadata"]
            if last:
                gemini(last)
    print(path, " ".join(f"{k}={v}" for k, v in n.items()))
EOF
/usr/bin/python3 expect.py "$CXREC" $TRACES >expect.txt || fail "expect.py failed"

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
	    "$(sql "SELECT concat('turns=', toString(count()), ' input=', toString(sum(input_tokens)), ' cached=', toString(sum(cached_input_tokens)), ' output=', toString(sum(output_tokens)), ' reasoning=', toString(sum(reasoning_tokens))) FROM cxrec.turns FINAL WHERE trace = '$id'")"
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
/usr/bin/python3 - "$REPO/docs/fleet.md" >queries.txt <<'EOF' || fail "docs/fleet.md: no queries"
import re, sys
doc = open(sys.argv[1]).read()
qs = re.findall(r'### (.*?)\n\n```sql\n(.*?)```', doc, re.S)
assert len(qs) >= 3
for name, q in qs:
    print(name + "\t" + " ".join(q.split()))
EOF
while IFS=$'\t' read -r name q; do
	sql "$q FORMAT TSV" >"query.$(echo "$name" | tr -c 'a-zA-Z0-9\n' _).tsv"
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
