#!/usr/bin/env bash
# Valgrind memcheck (issue 7): a real codex session recorded by
# `cxrec run` (its relay threads included) and by `cxrec relay` alone
# (curl streaming SSE through it, stopped by SIGTERM), then decode of the
# codex trace in every format: 0 errors, 0 bytes definitely lost, each.
# Under SAN=1 the binary carries ASan, which valgrind cannot run: skipped
# there (the plain `make check` runs it).
. "$(dirname "$0")/../lib/lib.sh"
command -v valgrind >/dev/null || skip "valgrind not installed (make deps)"
if asan_build; then
	skip "$CXREC is an ASan build; valgrind runs in the plain make check"
fi
. "$TESTS_DIR/lib/codex_common.sh"

VG=(valgrind --error-exitcode=99 --leak-check=full --show-leak-kinds=definite
    --errors-for-leak-kinds=definite --child-silent-after-fork=yes --num-callers=30)
# clean LOG WHAT: the valgrind log shows no error and nothing definitely lost.
clean() {
	grep -q "ERROR SUMMARY: 0 errors" "$1" || { tail -n 60 "$1"; fail "$2: valgrind errors"; }
	if grep -q "definitely lost:" "$1"; then
		grep -q "definitely lost: 0 bytes" "$1" || { grep -A3 "definitely lost" "$1"; fail "$2: leaks"; }
	fi
	ok "$2: $(sed -n 's/.*\(ERROR SUMMARY: [0-9]* errors\).*/\1/p' "$1"), $(grep -o 'definitely lost: [0-9,]* bytes' "$1" || echo 'all heap blocks freed'), $(sed -n 's/.*total heap usage: \([0-9,]* allocs\).*/\1/p' "$1")"
}

rc=0
CODEX_API_KEY=sk-cxrec-test-valgrind-0123456789 "${VG[@]}" --log-file="$WORK/vg-run.log" \
	"$CXREC" run --bpf off --upstream "$MOCK_URL" --cacert "$WORK/certs/ca.pem" \
	-o "$WORK/trace.bin" -- "$CODEX" exec $(codex_exec_args) "run the tool" \
	>"$WORK/out.txt" 2>"$WORK/err.txt" </dev/null || rc=$?
[ "$rc" = 0 ] || { cat "$WORK/err.txt"; tail -n 40 "$WORK/vg-run.log"; fail "cxrec run under valgrind exited $rc"; }
assert_contains "$(cat "$WORK/err.txt")" "cxrec: 2 exchanges" "codex session recorded under valgrind"
clean "$WORK/vg-run.log" "cxrec run (relay, codex session)"

# The relay alone: three streamed responses and a refused CONNECT.
port=$(free_port)
"${VG[@]}" --log-file="$WORK/vg-relay.log" "$CXREC" relay --listen "127.0.0.1:$port" \
	--upstream "$MOCK_URL" --cacert "$WORK/certs/ca.pem" -o "$WORK/relay.bin" 2>"$WORK/relay.err" &
rpid=$!
wait_port "$port" 300
for i in 1 2 3; do
	curl -sS -N -o "$WORK/sse$i" -H 'Content-Type: application/json' \
		-d '{"model":"gpt-5","stream":true,"input":[{"type":"message","role":"user","content":[{"type":"input_text","text":"hi"}]}]}' \
		"http://127.0.0.1:$port/v1/responses" || fail "curl $i through the relay under valgrind"
	assert_contains "$(cat "$WORK/sse$i")" "response.completed" "stream $i complete"
done
code=$(curl -s -o /dev/null -w '%{http_code}' -X CONNECT "http://127.0.0.1:$port/" -H 'Host: example.com:443' || true)
assert_eq "$code" 405 "CONNECT refused"
kill -TERM "$rpid"
wait "$rpid" || fail "relay under valgrind exited $?: $(tail -n 30 "$WORK/vg-relay.log")"
clean "$WORK/vg-relay.log" "cxrec relay (3 streams, SIGTERM)"

for f in text jsonl md har conversation; do
	"${VG[@]}" --log-file="$WORK/vg-$f.log" "$CXREC" decode -f "$f" "$WORK/trace.bin" \
		>"$WORK/out.$f" || fail "decode -f $f under valgrind exited $?"
	[ -s "$WORK/out.$f" ] || fail "decode -f $f printed nothing"
	clean "$WORK/vg-$f.log" "decode -f $f"
done
