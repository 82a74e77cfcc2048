# shellcheck shell=bash
# A ClickHouse server of a test's own on loopback (Debian's 18.16 or any
# later one): sourced after lib.sh.
#   ch_find: CH, the server's binary; skips the test when there is none.
#   ch_start DIR [TCP_PORT [EXTRA_XML]]: a server with its config, data and
#     logs in DIR (made here), listening on 127.0.0.1 only: HTTP on a free
#     port, native TCP on TCP_PORT (a free one if empty); EXTRA_XML goes
#     into its config.xml as is (e.g. <remote_servers>).  Returns once it
#     answers /ping, stopped at exit.  Sets CH_URL (http://127.0.0.1:PORT),
#     CH_HTTP_PORT, CH_TCP_PORT and CH_PID; DIR/pid holds the pid.  Its log
#     (DIR/log) at CH_LOG_LEVEL, warning by default; its timezone UTC.
#   ch_stop DIR: stop it (again is harmless).
#   ch_kill DIR: kill it with -9, as a crash would.
#   ch_restart DIR: start it again as it was (config, data, ports): CH_URL
#     answers again when it returns.
#   ch_sql URL QUERY: the result as the server writes it (TSV by default),
#     failing the test on an error; URL may end in ?SETTING=VALUE&...

ch_find() {
	CH=$(command -v clickhouse-server || ls /usr/sbin/clickhouse-server /usr/bin/clickhouse 2>/dev/null | head -1 || true)
	[ -n "$CH" ] || skip "clickhouse-server is not installed (make deps installs Debian's)"
	command -v curl >/dev/null || skip "curl is not installed (make deps installs it)"
}

ch_start() {
	local dir tcp extra
	dir=$(mkdir -p "$1" && cd "$1" && pwd)
	tcp=${2:-}
	extra=${3:-}
	[ -n "$tcp" ] || tcp=$(free_port)
	CH_TCP_PORT=$tcp
	CH_HTTP_PORT=$(free_port)
	mkdir -p "$dir/data" "$dir/tmp" "$dir/log" "$dir/user_files" "$dir/format_schemas"
	cat >"$dir/config.xml" <<XML
<?xml version="1.0"?>
<yandex>
  <logger><level>${CH_LOG_LEVEL:-warning}</level><log>$dir/log/server.log</log>
    <errorlog>$dir/log/error.log</errorlog><console>0</console></logger>
  <listen_host>127.0.0.1</listen_host>
  <http_port>$CH_HTTP_PORT</http_port>
  <tcp_port>$CH_TCP_PORT</tcp_port>
  <path>$dir/data/</path>
  <tmp_path>$dir/tmp/</tmp_path>
  <user_files_path>$dir/user_files/</user_files_path>
  <format_schema_path>$dir/format_schemas/</format_schema_path>
  <users_config>$dir/users.xml</users_config>
  <default_profile>default</default_profile>
  <default_database>default</default_database>
  <timezone>UTC</timezone>
  <mark_cache_size>5368709120</mark_cache_size>
  <max_concurrent_queries>20</max_concurrent_queries>
  <compression><case><method>zstd</method></case></compression>
$extra
</yandex>
XML
	# poll_interval 1: a native connection (a shard's from another) ends
	# within 1 s of a stop, not 10
	cat >"$dir/users.xml" <<XML
<?xml version="1.0"?>
<yandex>
  <profiles><default><poll_interval>1</poll_interval></default></profiles>
  <users><default><password></password>
    <networks><ip>127.0.0.1</ip><ip>::1</ip></networks>
    <profile>default</profile><quota>default</quota></default></users>
  <quotas><default></default></quotas>
</yandex>
XML
	case "$CH" in
	*/clickhouse) "$CH" server --config-file="$dir/config.xml" >"$dir/out" 2>&1 & ;;
	*) "$CH" --config-file="$dir/config.xml" >"$dir/out" 2>&1 & ;;
	esac
	CH_PID=$!
	echo "$CH_PID" >"$dir/pid"
	defer "ch_stop '$dir'"
	CH_URL="http://127.0.0.1:$CH_HTTP_PORT"
	for _ in $(seq 1 150); do
		curl -s "$CH_URL/ping" 2>/dev/null | grep -q Ok && return 0
		kill -0 "$CH_PID" 2>/dev/null ||
			fail "clickhouse-server exited: $(tail -5 "$dir/out" "$dir/log/error.log" 2>/dev/null)"
		sleep 0.2
	done
	fail "clickhouse-server did not answer in 30 s: $(tail -5 "$dir/log/error.log" 2>/dev/null)"
}

ch_stop() {
	local pid
	pid=$(cat "$1/pid" 2>/dev/null) || return 0
	rm -f "$1/pid"
	kill "$pid" 2>/dev/null || true
	wait "$pid" 2>/dev/null || true
}

ch_kill() {
	local pid
	pid=$(cat "$1/pid" 2>/dev/null) || return 0
	kill -9 "$pid" 2>/dev/null || true
	wait "$pid" 2>/dev/null || true
}

ch_restart() {
	case "$CH" in
	*/clickhouse) "$CH" server --config-file="$1/config.xml" >>"$1/out" 2>&1 & ;;
	*) "$CH" --config-file="$1/config.xml" >>"$1/out" 2>&1 & ;;
	esac
	echo $! >"$1/pid"
	for _ in $(seq 1 150); do
		curl -s "$CH_URL/ping" 2>/dev/null | grep -q Ok && return 0
		sleep 0.2
	done
	fail "clickhouse-server did not start again: $(tail -5 "$1/log/error.log" 2>/dev/null)"
}

ch_sql() {
	local url=$1
	case $url in *\?*) ;; *) url=$url/ ;; esac
	curl -sS --fail-with-body "$url" --data-binary "$2" || fail "query failed: $2"
}

# ch_doc_queries DOC: the queries of DOC's "## Queries" section
# (docs/fleet.md): a line each, its ### heading, a tab, the ```sql block
# under it on one line.
ch_doc_queries() {
	/usr/bin/python3 - "$1" <<'PY'
import re, sys
doc = open(sys.argv[1]).read().split("\n## Queries\n", 1)[1].split("\n## ", 1)[0]
qs = re.findall(r'^### ([^\n]*)\n(?:(?!^#|```).)*?```sql\n(.*?)```', doc, re.S | re.M)
if len(qs) < 3:
    sys.exit(f"{sys.argv[1]}: {len(qs)} queries")
for name, q in qs:
    print(name + "\t" + " ".join(q.split()))
PY
}

# ch_query_file NAME: the file name a query's result is kept in
# (query.NAME.tsv, NAME with _ for all but letters and digits).
ch_query_file() { echo "query.$(echo "$1" | tr -c 'a-zA-Z0-9\n' _).tsv"; }
