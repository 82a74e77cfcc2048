#!/usr/bin/env bash
# Bad input gets one line naming the problem and exit 2; run passes the
# command's status, streams and signals through.
. "$(dirname "$0")/../lib/lib.sh"
cd "$WORK"

check_err() {  # expected-exit expected-text cmd...
	local want=$1 text=$2; shift 2
	local out rc=0
	out=$("$@" 2>&1 >/dev/null) || rc=$?
	[ "$rc" = "$want" ] || fail "$*: exit $rc, expected $want ($out)"
	[ "$(printf '%s\n' "$out" | wc -l)" = 1 ] || fail "$*: more than one line: $out"
	assert_contains "$out" "$text" "$* -> $want"
}

check_err 2 "unknown command 'frobnicate'" "$CXREC" frobnicate
check_err 2 "unknown option '--bogus'" "$CXREC" run --bogus -- true
check_err 2 "missing command" "$CXREC" run
check_err 2 "missing command" "$CXREC" run --
check_err 2 "missing argument for" "$CXREC" run --route
check_err 2 "expected PREFIX=URL" "$CXREC" run --route nonsense -- true
check_err 2 "not an http:// or https:// URL" "$CXREC" relay --upstream ftp://x
check_err 2 "expected api or chatgpt" "$CXREC" run --codex-auth maybe -- true
check_err 2 "unknown option" "$CXREC" relay --nope
check_err 2 "unexpected argument" "$CXREC" relay extra
check_err 2 "No such file" "$CXREC" decode "$WORK/missing.bin"
printf 'just some text, not a trace at all, long enough to have a header......................................................................................\n' >notatrace.txt
check_err 2 "not a cxrec trace" "$CXREC" decode notatrace.txt
: >empty.bin
check_err 2 "empty file" "$CXREC" decode empty.bin
check_err 2 "directory" "$CXREC" decode "$WORK"
check_err 2 "unknown option" "$CXREC" decode --frob x
bp=$(free_port); start_relay "$bp" busy.bin --upstream http://127.0.0.1:9
check_err 3 "cannot listen on 127.0.0.1:$bp: Address already in use" "$CXREC" relay --listen 127.0.0.1:$bp -o l.bin
check_err 3 "--listen '256.0.0.1:1'" "$CXREC" relay --listen 256.0.0.1:1 -o l2.bin
# A relay that cannot start leaves the trace at its path as it was.
echo precious >kept.bin
check_err 3 "Address already in use" "$CXREC" relay --listen 127.0.0.1:$bp -o kept.bin
check_err 3 "Address already in use" "$CXREC" run --listen 127.0.0.1:$bp -o kept.bin -- true
assert_eq "$(cat kept.bin)" precious "the trace at the path untouched, no .old made"
[ ! -e kept.bin.old ] || fail "kept.bin.old appeared"
check_err 2 "port from 0 to 65535" "$CXREC" relay --listen 127.0.0.1:99999
check_err 2 "port from 0 to 65535" "$CXREC" run --listen 127.0.0.1: -- true
check_err 2 "seconds from 1 to 86400" "$CXREC" relay --header-timeout 0
check_err 2 "no TRACE" "$CXREC" replay
check_err 2 "bad --speed '0'" "$CXREC" replay --speed 0 x.bin
check_err 2 "not a cxrec trace" "$CXREC" replay notatrace.txt
check_err 2 "loopback only" "$CXREC" replay --listen 10.1.2.3:1 notatrace.txt
check_err 2 "go with --replay" "$CXREC" run --speed 2 -- true
check_err 2 "--replay: " "$CXREC" run --replay notatrace.txt -o r.bin -- true
[ ! -e r.bin ] || fail "run --replay of no trace created its trace"
check_err 127 "command not found" "$CXREC" run -o nf.bin -- /nonexistent/cmd
check_err 3 "cannot create trace" "$CXREC" run -o /nonexistent/dir/t.bin -- true

# help and version
out=$("$CXREC" --version); assert_contains "$out" "cxrec 0." "--version"
for c in run relay decode view replay; do
	out=$("$CXREC" help $c); assert_contains "$out" "usage: cxrec $c" "help $c"
	out=$("$CXREC" $c --help); assert_contains "$out" "usage: cxrec $c" "$c --help"
done

# Exit status, stdin/stdout/stderr pass through; the env points at the relay.
rc=0; "$CXREC" run -o s.bin -- sh -c 'exit 42' 2>/dev/null || rc=$?
assert_eq "$rc" 42 "exit status passed through"
out=$(printf 'from-stdin' | "$CXREC" run -o s.bin -- sh -c 'cat; echo " $OPENAI_BASE_URL"; echo to-stderr >&2' 2>err.txt)
assert_contains "$out" "from-stdin http://127.0.0.1:" "stdin and stdout pass through"
assert_contains "$(cat err.txt)" "to-stderr" "stderr passes through"
assert_contains "$(cat err.txt)" "cxrec: 0 exchanges" "summary line"
[ -f s.bin.old ] || fail "previous trace not kept as .old"; ok "previous trace kept as .old"
[ "$(stat -c %a s.bin)" = 600 ] || fail "trace mode $(stat -c %a s.bin)"; ok "trace is 0600"

# Signals sent to cxrec reach the command; a signal death maps to 128+N.
"$CXREC" run -o sig.bin -- sh -c 'trap "echo got-term; exit 7" TERM; echo ready; while :; do sleep 0.05; done' >sig.out 2>/dev/null &
pid=$!
for _ in $(seq 1 100); do grep -q ready sig.out 2>/dev/null && break; sleep 0.05; done
kill -TERM $pid
rc=0; wait $pid || rc=$?
assert_eq "$rc" 7 "SIGTERM forwarded, command's status returned"
assert_contains "$(cat sig.out)" "got-term" "command saw SIGTERM"
rc=0; "$CXREC" run -o sig2.bin -- sh -c 'kill -KILL $$' 2>/dev/null || rc=$?
assert_eq "$rc" 137 "killed command -> 128+9"

# A stand-in codex: says its version (FAKE_CODEX_VERSION), prints where it
# was pointed.
mkdir -p bin
printf '%s\n' '#!/bin/sh' \
	'[ "$1" = --version ] && { echo "codex-cli ${FAKE_CODEX_VERSION:-0.98.0}"; exit 0; }' \
	'echo "$OPENAI_BASE_URL $CODEX_REFRESH_TOKEN_URL_OVERRIDE ARGS: $*"' >bin/codex
chmod +x bin/codex
fake=$WORK/bin/codex
# Login detection: a broken auth.json is one warning, and API mode.
mkdir -p h/.codex && echo '{broken' >h/.codex/auth.json
out=$(env -u CODEX_API_KEY HOME="$WORK/h" CODEX_HOME= "$CXREC" run -o a.bin -- "$fake" 2>a.err)
assert_contains "$out" "/v1" "broken auth.json -> API mode"
assert_contains "$(cat a.err)" "cannot parse $WORK/h/.codex/auth.json" "broken auth.json warned"
assert_contains "$(cat a.err)" "codex 0.98.0 reached by OPENAI_BASE_URL, login: api" "summary: agent, version, how, login"
echo '{"tokens":{"access_token":"x"}}' >h/.codex/auth.json
out=$(env -u CODEX_API_KEY HOME="$WORK/h" CODEX_HOME= "$CXREC" run -o a.bin -- "$fake" 2>a.err)
assert_contains "$out" "/backend-api/codex http://127.0.0.1:" "tokens -> ChatGPT mode"
assert_contains "$out" "/oauth/token" "refresh URL routed through the relay"
assert_contains "$(cat a.err)" "login: chatgpt" "summary names the login mode"
out=$(CODEX_API_KEY=sk-x HOME="$WORK/h" "$CXREC" run -o a.bin -- "$fake" 2>/dev/null)
assert_contains "$out" "/v1" "CODEX_API_KEY overrides tokens"
out=$(HOME="$WORK/h" "$CXREC" run --codex-auth api -o a.bin -- "$fake" 2>/dev/null)
assert_contains "$out" "/v1" "--codex-auth api"
# Current codex takes its base URL as a config override, not a variable.
out=$(FAKE_CODEX_VERSION=0.171.0 CODEX_API_KEY=sk-x "$CXREC" run --mode base-url -o a.bin -- "$fake" exec hi 2>a.err)
assert_contains "$out" 'ARGS: -c openai_base_url="http://127.0.0.1:' "0.171.0: -c openai_base_url"
assert_contains "$out" '/v1" exec hi' "0.171.0: the override before the user's arguments"
assert_contains "$(cat a.err)" "codex 0.171.0 reached by -c openai_base_url" "summary: how current codex is reached"
# A version newer than its module knows: the newest way in, said.
out=$(FAKE_CODEX_VERSION=0.999.0 CODEX_API_KEY=sk-x "$CXREC" run --mode base-url -o a.bin -- "$fake" exec hi 2>a.err)
assert_contains "$out" 'ARGS: -c openai_base_url=' "0.999.0: the newest mechanism"
assert_contains "$(cat a.err)" "codex 0.999.0 (newer than the versions verified, 0.98.0, 0.171.0" "0.999.0: said"
# ... and a user's own override is kept as the route, pointed at cxrec.
out=$(FAKE_CODEX_VERSION=0.171.0 CODEX_API_KEY=sk-x "$CXREC" run --mode base-url -o u.bin -- "$fake" -c openai_base_url=https://gw.example/x/v1 exec hi 2>/dev/null)
assert_contains "$out" 'ARGS: -c openai_base_url="http://127.0.0.1:' "user override replaced in place"
assert_not_contains "$out" "gw.example" "the user's URL not given to codex"
assert_contains "$("$CXREC" decode u.bin)" "https://gw.example/x/v1" "user override is a route"
# The --config=KEY=V form, the last of several, replaced in place.
out=$(FAKE_CODEX_VERSION=0.171.0 CODEX_API_KEY=sk-x "$CXREC" run --mode base-url -o u.bin -- "$fake" -c openai_base_url=https://a.example/v1 --config=openai_base_url=https://b.example/v1 exec hi 2>/dev/null)
assert_contains "$out" 'openai_base_url=https://a.example/v1 --config=openai_base_url="http://127.0.0.1:' "--config=: the last override replaced"
assert_contains "$("$CXREC" decode u.bin)" "https://b.example/v1" "--config=: its URL is the route"
# openai_base_url in config.toml: the route, codex pointed at cxrec.
mkdir -p ch && printf 'model = "x"\nopenai_base_url = "https://toml.example/v1"\n[features]\nplugins = false\n' >ch/config.toml
out=$(CODEX_HOME=$WORK/ch FAKE_CODEX_VERSION=0.171.0 CODEX_API_KEY=sk-x "$CXREC" run --mode base-url -o u.bin -- "$fake" exec hi 2>/dev/null)
assert_contains "$out" 'ARGS: -c openai_base_url="http://127.0.0.1:' "config.toml: pointed at cxrec"
assert_contains "$("$CXREC" decode u.bin)" "https://toml.example/v1" "config.toml: its URL is the route"
# A base URL that cannot be a route (user-info) is left as the user set it.
out=$(OPENAI_BASE_URL='https://u:pw@gw.example/v1' "$CXREC" run --mode base-url -o g.bin -- sh -c 'echo $OPENAI_BASE_URL' 2>a.err)
assert_eq "$out" 'https://u:pw@gw.example/v1' "user-info URL left as it is"
assert_contains "$(cat a.err)" "OPENAI_BASE_URL=https://***@gw.example/v1 cannot be a route" "said, without its password"
assert_not_contains "$(cat a.err)" "pw@" "no password on stderr"
# codex run by node: the override goes after the script, not before it.
mkdir -p nm/node_modules/@openai/codex/bin
echo '{"name":"@openai/codex","version":"0.171.0"}' >nm/node_modules/@openai/codex/package.json
echo 'console.log("ARGV " + JSON.stringify(process.argv.slice(2)))' >nm/node_modules/@openai/codex/bin/codex.js
if command -v node >/dev/null; then
	out=$(CODEX_API_KEY=sk-x "$CXREC" run --mode base-url -o u.bin -- node nm/node_modules/@openai/codex/bin/codex.js exec hi 2>a.err)
	assert_contains "$out" 'ARGV ["-c","openai_base_url=\"http://127.0.0.1:' "node codex.js: the override after the script"
	assert_contains "$(cat a.err)" "codex 0.171.0 reached by -c openai_base_url" "node codex.js: recognised by its package"
fi
# A command cxrec does not know: the generic module, said in the summary.
out=$("$CXREC" run --mode base-url -o g.bin -- sh -c 'echo $OPENAI_BASE_URL $ANTHROPIC_BASE_URL' 2>a.err)
assert_contains "$out" "/v1 http://127.0.0.1:" "generic: OpenAI base URL"
assert_contains "$out" "/anthropic" "generic: Anthropic base URL"
assert_contains "$(cat a.err)" "generic (not an agent cxrec knows" "generic: said in one line"
assert_eq "$(wc -l <a.err)" 1 "generic: one line"
out=$("$CXREC" run --agent list)
assert_contains "$out" "claude" "--agent list: claude"
assert_contains "$out" "0.171.0" "--agent list: versions verified"
# A base URL the user set is respected: its URL is the route for the
# relay's path the command is pointed at.
out=$(OPENAI_BASE_URL=https://proxy.example/openai/v1 "$CXREC" run --mode base-url -o b.bin -- "$fake" 2>/dev/null)
assert_contains "$out" "http://127.0.0.1:" "user base URL: pointed at the relay"
"$CXREC" decode --format jsonl b.bin >/dev/null
out=$("$CXREC" decode b.bin)
assert_contains "$out" "https://proxy.example/openai/v1" "user base URL is a route in the note"
echo "all cli checks passed"
