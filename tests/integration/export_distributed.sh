#!/usr/bin/env bash
# export_distributed (issue 19, item 4): a fleet's ClickHouse as
# docs/fleet.md draws it: two servers on loopback, each a shard of cluster
# `fleet` (<remote_servers>), `Distributed` tables over their `cxrec`
# tables, both as docs/fleet.md writes them (its ch1 and ch2 made ours).  The four recorded sessions (codex 0.98.0, codex 0.171.0, Claude
# Code, Gemini CLI) go in as two machines would write them, two to each
# shard; then every query of docs/fleet.md, its `cxrec.` made `cxrec_all.`,
# answers over the two shards exactly what it answers on one server that
# holds all four (and the token sums are decode's jsonl's).  Also: a JOIN
# there needs distributed_product_mode = 'local' (or GLOBAL); export
# through the Distributed tables puts each trace on the shard
# cityHash64(trace) picks, and the queries answer the same again; a trace
# on two shards is counted twice, FINAL or not (FINAL folds within a shard).
. "$(dirname "$0")/../lib/lib.sh"
. "$REPO/tests/lib/clickhouse.sh"
ch_find
cd "$WORK"
conv_traces
TABLES="sessions exchanges turns events tool_calls processes"

# --- two shards ---------------------------------------------------------------
T1=$(free_port)
T2=$(free_port)
# the cluster: docs/fleet.md's <remote_servers>, its ch1:9000 and ch2:9000
# made ours
CLUSTER=$(/usr/bin/python3 - "$REPO/docs/fleet.md" "$T1" "$T2" <<'PY'
import re, sys
sec = open(sys.argv[1]).read().split("\n## A fleet\n", 1)[1].split("\n## ", 1)[0]
x = re.search(r"```xml\n.*?(<remote_servers>.*</remote_servers>)", sec, re.S).group(1)
for n, port in ((1, sys.argv[2]), (2, sys.argv[3])):
    old = f"<host>ch{n}</host><port>9000</port>"
    assert old in x, old
    x = x.replace(old, f"<host>127.0.0.1</host><port>{port}</port>")
print(x)
PY
) || fail "docs/fleet.md: no <remote_servers> for ch1 and ch2"
start=$(date +%s.%N)
ch_start s1 "$T1" "$CLUSTER"
U1=$CH_URL
ch_start s2 "$T2" "$CLUSTER"
U2=$CH_URL
ok "two servers up in $(/usr/bin/python3 -c "print(round($(date +%s.%N) - $start, 2))") s: ClickHouse $(ch_sql "$U1" "SELECT version()")"
assert_eq "$(ch_sql "$U2" "SELECT count() FROM system.clusters WHERE cluster = 'fleet'")" "2" "cluster fleet: two shards"

# Each machine exports to its own shard: codex 0.98.0 and Claude Code to
# the first, codex 0.171.0 and Gemini CLI to the second.
"$CXREC" export -q --to clickhouse "$U1/" codex098.bin claude.bin || fail "export to shard 1"
"$CXREC" export -q --to clickhouse "$U2/" codex171.bin gemini.bin || fail "export to shard 2"
# One server with all four: the answers to compare with (a database of
# the first server that no Distributed table reads).
"$CXREC" export -q --to clickhouse "$U1/?database=single" $TRACES || fail "export to database single"

# The Distributed tables on both servers (any server of the cluster can
# be asked), cxrec_all: docs/fleet.md's statements as they are (the first
# ```sql block of its "## A fleet"), one a request
/usr/bin/python3 - "$REPO/docs/fleet.md" >ddl.sql <<'PY' || fail "docs/fleet.md: no Distributed DDL"
import re, sys
sec = open(sys.argv[1]).read().split("\n## A fleet\n", 1)[1].split("\n## ", 1)[0]
block = re.search(r"```sql\n(.*?)```", sec, re.S).group(1)
for st in block.split(";"):
    if st.strip():
        print(" ".join(st.split()))
PY
assert_eq "$(grep -c 'ENGINE = Distributed(fleet, cxrec, [a-z_]*, cityHash64(trace))' ddl.sql)" "6" "docs/fleet.md: a Distributed table per table"
for u in "$U1" "$U2"; do
	while read -r st; do ch_sql "$u" "$st" >/dev/null; done <ddl.sql
done
assert_eq "$(ch_sql "$U1" "SELECT count() FROM cxrec.sessions"),$(ch_sql "$U2" "SELECT count() FROM cxrec.sessions")" "2,2" \
	"two traces on each shard"
for t in $TABLES; do
	assert_eq "$(ch_sql "$U2" "SELECT count() FROM cxrec_all.$t FINAL")" "$(ch_sql "$U1" "SELECT count() FROM single.$t FINAL")" \
		"cxrec_all.$t FINAL: the rows of both shards, as many as on one server"
done

# the token sums as decode's jsonl says (tests/lib/peers/trace_expect.py)
/usr/bin/python3 "$REPO/tests/lib/peers/trace_expect.py" sums "$CXREC" $TRACES >expect.txt || fail "trace_expect.py failed"
assert_eq "$(ch_sql "$U1" "SELECT concat('turns=', toString(count()), ' input=', toString(sum(input_tokens)), ' cached=', toString(sum(cached_input_tokens)), ' output=', toString(sum(output_tokens)), ' reasoning=', toString(sum(reasoning_tokens)), ' cache_write=', toString(sum(cache_write_tokens))) FROM cxrec_all.turns FINAL")" \
	"$(awk '{for (i=2;i<=NF;i++) {split($i,a,"="); s[a[1]]+=a[2]}} END {printf "turns=%d input=%d cached=%d output=%d reasoning=%d cache_write=%d", s["turns"], s["input"], s["cached"], s["output"], s["reasoning"], s["cache_write"]}' expect.txt)" \
	"over both shards: the turns and token sums of the four traces' jsonl"

# --- docs/fleet.md's queries over the shards ----------------------------------
ch_doc_queries "$REPO/docs/fleet.md" >queries.txt || fail "docs/fleet.md: no queries"
# on: QUERY DB: QUERY with its database DB
on() { sed "s/\bcxrec\./$2./g" <<<"$1"; }
# A JOIN's right side names a Distributed table too: each shard joins its
# own rows (a trace's rows are on one shard) with distributed_product_mode.
DIST="distributed_product_mode=local"
n=0
while IFS=$'\t' read -r name q; do
	one=$(ch_sql "$U1" "$(on "$q" single) FORMAT TSV")
	[ -n "$one" ] || fail "$name: no rows on one server"
	assert_eq "$(ch_sql "$U2/?$DIST" "$(on "$q" cxrec_all) FORMAT TSV")" "$one" "$name: over two shards as on one server"
	n=$((n + 1))
done <queries.txt
assert_eq "$n" "10" "docs/fleet.md's ten queries compared"

# Without the setting, a JOIN of two Distributed tables is refused
# (distributed_product_mode = 'deny'); GLOBAL sends the right side to
# every shard instead, with the same answer.
q=$(grep '^The slowest time to first token' queries.txt | cut -f2)
out=$(curl -sS --fail-with-body "$U1/" --data-binary "$(on "$q" cxrec_all)" 2>&1) && fail "a JOIN of two Distributed tables: accepted without the setting"
assert_contains "$out" "distributed_product_mode" "a JOIN of two Distributed tables without the setting: refused, naming it"
assert_eq "$(ch_sql "$U1" "$(on "$q" cxrec_all | sed 's/ANY LEFT JOIN/GLOBAL ANY LEFT JOIN/') FORMAT TSV")" \
	"$(ch_sql "$U1" "$(on "$q" single) FORMAT TSV")" "GLOBAL ANY LEFT JOIN: the same answer"

# --- export through the Distributed tables --------------------------------------
# fleet_local on each shard: tables like cxrec's; fleet: Distributed over
# them.  Export to fleet (the tables are there, with cxrec's columns) puts
# each row on the shard cityHash64(trace) picks: a trace's rows together.
ddl() {   # ddl URL DB LOCALDB: DB's tables Distributed over LOCALDB's
	ch_sql "$1" "CREATE DATABASE IF NOT EXISTS $2" >/dev/null
	for t in $TABLES; do
		ch_sql "$1" "CREATE TABLE $2.$t AS $3.$t ENGINE = Distributed(fleet, $3, $t, cityHash64(trace))" >/dev/null
	done
}
for u in "$U1" "$U2"; do
	ch_sql "$u" "CREATE DATABASE fleet_local" >/dev/null
	for t in $TABLES; do ch_sql "$u" "CREATE TABLE fleet_local.$t AS cxrec.$t" >/dev/null; done
	ddl "$u" fleet fleet_local
done
"$CXREC" export -q --to clickhouse "$U2/?database=fleet&insert_distributed_sync=1" $TRACES ||
	fail "export through the Distributed tables"
# traces TABLE URL: the traces of fleet_local.TABLE there
traces() { ch_sql "$2" "SELECT arrayStringConcat(arraySort(groupUniqArray(trace)), ' ') FROM fleet_local.$1"; }
for t in $TABLES; do
	assert_eq "$(( $(ch_sql "$U1" "SELECT count() FROM fleet_local.$t") + $(ch_sql "$U2" "SELECT count() FROM fleet_local.$t") ))" \
		"$(ch_sql "$U1" "SELECT count() FROM single.$t")" "export through Distributed: $t: every row on one shard"
	assert_eq "$(traces "$t" "$U1")" "$(ch_sql "$U1" "SELECT arrayStringConcat(arraySort(groupUniqArray(trace)), ' ') FROM single.$t WHERE cityHash64(trace) % 2 = 0")" \
		"export through Distributed: $t: shard 1 holds the traces whose cityHash64 is even"
	assert_eq "$(traces "$t" "$U2")" "$(ch_sql "$U1" "SELECT arrayStringConcat(arraySort(groupUniqArray(trace)), ' ') FROM single.$t WHERE cityHash64(trace) % 2 = 1")" \
		"export through Distributed: $t: shard 2 the odd ones"
done
while IFS=$'\t' read -r name q; do
	assert_eq "$(ch_sql "$U1/?$DIST" "$(on "$q" fleet) FORMAT TSV")" "$(ch_sql "$U1" "$(on "$q" single) FORMAT TSV")" \
		"export through Distributed: $name: as on one server"
done <queries.txt
assert_eq "$(ch_sql "$U1" "SELECT count() FROM fleet_local.sessions") $(ch_sql "$U2" "SELECT count() FROM fleet_local.sessions")" \
	"$(ch_sql "$U1" "SELECT concat(toString(countIf(cityHash64(trace) % 2 = 0)), ' ', toString(countIf(cityHash64(trace) % 2 = 1))) FROM single.sessions")" \
	"export through Distributed: the sessions on each shard"
[ "$(ch_sql "$U1" "SELECT count() FROM fleet_local.sessions")" -gt 0 ] && [ "$(ch_sql "$U2" "SELECT count() FROM fleet_local.sessions")" -gt 0 ] ||
	fail "export through Distributed: a shard got no trace (the check above proves little then)"

# --- why by trace: FINAL folds the copies of a row within a shard only ------------
# codex 0.98.0's trace, on shard 1, exported again to shard 2: two copies
# of each row over the Distributed table, FINAL or not.
before=$(ch_sql "$U1" "SELECT count() FROM cxrec_all.turns FINAL")
"$CXREC" export -q --to clickhouse "$U2/" codex098.bin || fail "export again to shard 2"
assert_eq "$(ch_sql "$U1" "SELECT count() FROM cxrec_all.turns FINAL")" "$((before + 2))" \
	"a trace on two shards: FINAL over Distributed counts its two turns twice"
"$CXREC" export -q --to clickhouse "$U1/" codex098.bin || fail "export again to shard 1"
assert_eq "$(ch_sql "$U1" "SELECT count() FROM cxrec_all.turns FINAL")" "$((before + 2))" \
	"the same trace again to the same shard: FINAL folds it"
