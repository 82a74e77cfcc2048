# shellcheck shell=bash
# Shared by the integration tests: temp dirs, assertions, cleanup.
set -euo pipefail
: "${CXREC:?CXREC must name the cxrec binary}"
# TESTS_DIR is tests/ (this file is tests/lib/lib.sh).
TESTS_DIR=${TESTS_DIR:-$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)}
REPO=$(cd "$TESTS_DIR/.." && pwd)
# CXREC_WORK: a fixed directory instead (made afresh; scripts/protocol-docs.sh
# records agents with the same paths every time, which their prompts hold).
if [ -n "${CXREC_WORK:-}" ]; then
	WORK=$CXREC_WORK
	rm -rf "$WORK" && mkdir -p "$WORK"
else
	WORK=$(mktemp -d /tmp/cxrec-it.XXXXXX)
fi
_cleanups=()
on_exit() { local i; for ((i=${#_cleanups[@]}-1; i>=0; i--)); do eval "${_cleanups[$i]}" || true; done; rm -rf "$WORK"; }
trap on_exit EXIT
defer() { _cleanups+=("$1"); }

# save_trace FILE NAME: with CXREC_SAVE_TRACES set, keep a copy of the trace
# FILE as $CXREC_SAVE_TRACES/NAME.bin (scripts/protocol-docs.sh).
save_trace() { [ -z "${CXREC_SAVE_TRACES:-}" ] || cp "$1" "$CXREC_SAVE_TRACES/$2.bin"; }
fail() { echo "FAIL: $*" >&2; exit 1; }
skip() { echo "SKIP: $*"; exit 77; }
ok() { echo "ok - $*"; }
assert_eq() { [ "$1" = "$2" ] || fail "$3: expected '$2', got '$1'"; ok "$3"; }
assert_contains() { grep -qF -- "$2" <<<"$1" || fail "$3: '$2' not in: $(head -c 600 <<<"$1")"; ok "$3"; }
assert_not_contains() { ! grep -qF -- "$2" <<<"$1" || fail "$3: '$2' found"; ok "$3"; }
# jq-free JSON queries: python3 evaluates an expression over each jsonl line
# (the list `x`), e.g. jsonq trace.jsonl 'len(x)'.
# url(e) is the request's URL, "" for an exchange without a parsed request.
jsonq() { /usr/bin/python3 -c 'import json,sys
def url(e): return (e.get("request") or {}).get("url") or ""
x=[json.loads(l) for l in open(sys.argv[1]) if l.strip()]
print(eval(sys.argv[2]))' "$@"; }

# mock_https [MOCK OPTIONS...]: the mock upstream over HTTPS on loopback
# (tests/lib/mocks/mock_upstream.py; a fresh CA in $WORK/certs), stopped at exit;
# sets MOCK_URL, MOCK_PORT, MOCK_LOG (codex_env.sh); then cd $WORK.
mock_https() {
	. "$TESTS_DIR/lib/codex_env.sh"
	CXREC_NO_MOCK_TRAP=1
	gen_certs "$WORK/certs"
	start_mock "$WORK" --tls-cert "$WORK/certs/server.pem" --tls-key "$WORK/certs/server.key" "$@"
	defer stop_mock
	cd "$WORK"
}

# conv_traces: the recorded sessions of tests/data/conv (README there):
# codex 0.98.0 over HTTP + SSE, codex 0.171.0 over a WebSocket, Claude Code
# and Gemini CLI, as codex098.bin, codex171.bin, claude.bin and gemini.bin
# in the current directory, TRACES naming them; skips the test without zstd.
conv_traces() {
	command -v zstd >/dev/null || skip "zstd is not installed (make deps installs it)"
	gzip -dc "$REPO/tests/data/conv/codex098-http.bin.gz" >codex098.bin
	gzip -dc "$REPO/tests/data/conv/codex171-ws.bin.gz" >codex171.bin
	zstd -qdc "$REPO/tests/data/conv/anthropic_claude_api-key.bin.zst" >claude.bin
	zstd -qdc "$REPO/tests/data/conv/gemini_api.bin.zst" >gemini.bin
	TRACES="codex098.bin codex171.bin claude.bin gemini.bin"
}

# Is $CXREC built with AddressSanitizer (make check SAN=1)?
asan_build() { case "$(ldd "$CXREC" 2>/dev/null)" in *libasan*) return 0 ;; esac; return 1; }

# rss_growth_ok KB_A KB_B MAX_KB WHAT: memory from A to B grew under MAX_KB,
# checked only without ASan (its quarantine keeps freed memory, by design).
rss_growth_ok() {
	if asan_build; then
		ok "$4: not checked under ASan (its quarantine holds freed memory); descriptors and threads were"
		return
	fi
	[ $(($2 - $1)) -lt "$3" ] || fail "$4: grew $(($2 - $1)) KiB"
	ok "$4 ($(($2 - $1)) KiB)"
}

# jq_ EXPR JSON: a python expression over one JSON value x.
jq_() { /usr/bin/python3 -c 'import json,sys; x=json.loads(sys.argv[2]); print(eval(sys.argv[1]))' "$1" "$2"; }

# har_validate FILE: check a HAR file against the HAR 1.2 schemas with
# npm's har-validator (scripts/install-npm.sh); call it before
# codex_block_internet, which sends npm to a dead proxy.
har_validate() {
	local mods
	mods=$("$REPO/scripts/install-npm.sh" har-validator 5.1.5) ||
		fail "cannot install har-validator from npm"
	NODE_PATH=$mods node -e '
const v = require("har-validator");
const h = JSON.parse(require("fs").readFileSync(process.argv[1], "utf8"));
v.har(h).then(() => console.log("har-validator: valid HAR 1.2,", h.log.entries.length, "entries"),
	e => { console.error("har-validator:", JSON.stringify(e.errors || e.message).slice(0, 2000)); process.exit(1); });' "$1"
}

# Wait until PORT accepts connections (at most ~10 s).
wait_port() {
	local i
	for i in $(seq 1 100); do
		(exec 3<>/dev/tcp/127.0.0.1/"$1") 2>/dev/null && return 0
		sleep 0.1
	done
	fail "nothing listening on port $1"
}

# listen_port ERRFILE PID: the port a cxrec relay started with --listen
# 127.0.0.1:0 (so no other process can take it first) says it listens on,
# once it has said so; fails with its stderr if it exits first.  ERRFILE
# must be new to this relay: the shell may truncate it only after the
# relay has started, so an old file's port could be read first.
listen_port() {
	local i p
	for i in $(seq 1 300); do
		p=$(sed -n 's/.*listening on http:\/\/127\.0\.0\.1:\([0-9]*\).*/\1/p' "$1" 2>/dev/null | head -1)
		[ -n "$p" ] && { echo "$p"; return 0; }
		kill -0 "$2" 2>/dev/null || fail "the relay exited before listening: $(head -c 600 "$1")"
		sleep 0.1
	done
	fail "the relay did not say where it listens in 30 s: $(head -c 600 "$1")"
}

# Pick a free loopback port.
free_port() { /usr/bin/python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }

# Start `cxrec relay` in the background: start_relay PORT TRACE ARGS...
start_relay() {
	local port=$1 trace=$2; shift 2
	"$CXREC" relay --listen 127.0.0.1:"$port" -o "$trace" "$@" 2>"$WORK/relay.$port.err" &
	RELAY_PID=$!
	defer "kill $RELAY_PID 2>/dev/null; wait $RELAY_PID 2>/dev/null"
	wait_port "$port"
}
stop_relay() { kill -TERM "$RELAY_PID"; wait "$RELAY_PID" || fail "relay exited non-zero"; }
