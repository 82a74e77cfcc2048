#!/usr/bin/env bash
# Which process made each exchange (issue 4): the real codex 0.98.0 and a
# curl run in the same traced command, through `cxrec run`:
#  --bpf on   the kernel probe names codex (comm, tid, its program and
#             arguments) and tells curl apart by its own pid, with the
#             parent links of the tree;
#  --bpf off  the relay's /proc lookups still name pid and comm (no tid);
#  as nobody  --bpf on exits 2 with the reason before running anything,
#             --bpf auto falls back to /proc and says why, and /proc still
#             names the user's own processes.
# The probe needs root and BTF; if it cannot load, this fails with the
# reason.  CXREC_TEST_NO_BPF=1 skips the probe's part (said as SKIP).
. "$(dirname "$0")/../lib.sh"
. "$TESTS_DIR/codex_common.sh"

KEY=sk-cxrec-test-0123456789abcdefghij
# codex, then curl; both through the relay (curl asks for /v1/models).
SCRIPT='"$0" exec "$@" "run the tool" && curl -s -o /dev/null "$CXREC_RELAY_URL/v1/models"'

run_traced() { # MODE TRACE
	local rc=0
	CODEX_API_KEY=$KEY "$CXREC" run --bpf "$1" --upstream "$MOCK_URL" \
		--cacert "$WORK/certs/ca.pem" -o "$2" -- \
		sh -c "$SCRIPT" "$CODEX" $(codex_exec_args) \
		>"$WORK/out.txt" 2>"$WORK/err.txt" </dev/null || rc=$?
	[ "$rc" = 0 ] || { cat "$WORK/err.txt"; fail "cxrec run --bpf $1 exited $rc"; }
	"$CXREC" decode -f jsonl "$2" >"$WORK/t.jsonl"
}
turns='[e for e in x if url(e) == "/v1/responses"]'
models='[e for e in x if url(e) == "/v1/models"]'

if [ "${CXREC_TEST_NO_BPF:-0}" = 1 ]; then
	echo "SKIP (probe part): CXREC_TEST_NO_BPF=1"
else
	run_traced on "$WORK/on.bin"
	assert_contains "$(cat "$WORK/err.txt")" "processes: kernel probe" "the summary line says the probe named them"
	assert_eq "$(q "len($turns)")" 2 "both codex turns"
	assert_eq "$(q "len($models)")" 1 "curl's request"
	assert_eq "$(q "sorted(set(e['comm'] for e in $turns))")" "['codex']" "codex's exchanges: comm codex"
	assert_eq "$(q "all(e['tid'] for e in $turns)")" True "codex's exchanges: a tid each"
	assert_eq "$(q "$turns[0]['process']['via']")" probe "named by the probe"
	assert_contains "$(q "$turns[0]['process']['exe']")" codex "codex's program"
	assert_eq "$(q "$models[0]['comm']")" curl "curl's exchange: comm curl"
	assert_eq "$(q "$models[0]['pid'] != $turns[0]['pid']")" True "curl told apart by its pid"
	assert_eq "$(q "$models[0]['process']['argv'][0]")" curl "curl's argv"
	# The tree: curl's parent is the shell that also started codex.
	sh_pid=$(q "$models[0]['process']['ppid']")
	"$CXREC" decode -f jsonl --pid "$sh_pid" "$WORK/on.bin" >"$WORK/sh.jsonl"
	assert_eq "$(wc -l <"$WORK/sh.jsonl")" 0 "--pid of the shell alone: it made no exchange"
	"$CXREC" decode -f jsonl --pid "$sh_pid" --tree "$WORK/on.bin" >"$WORK/tree.jsonl"
	assert_eq "$(wc -l <"$WORK/tree.jsonl")" 3 "--pid SHELL --tree: codex's and curl's exchanges"
	text=$("$CXREC" decode "$WORK/on.bin")
	assert_contains "$text" "(codex)" "text names codex"
fi

run_traced off "$WORK/off.bin"
assert_contains "$(cat "$WORK/err.txt")" "processes: /proc (--bpf off)" "the summary line says /proc"
assert_eq "$(q "sorted(set(e['comm'] for e in $turns))")" "['codex']" "--bpf off: codex named from /proc"
assert_eq "$(q "all(e['pid'] and e['tid'] is None for e in $turns)")" True "--bpf off: pid, and no tid (not guessed)"
assert_eq "$(q "$turns[0]['process']['via']")" proc "--bpf off: via /proc"
assert_eq "$(q "$models[0]['comm']")" curl "--bpf off: curl named from /proc"

# Not root: the probe cannot load.
mkdir -m 0777 "$WORK/nobody"
cp "$CXREC" "$WORK/nobody/cxrec"
cp "$WORK/certs/ca.pem" "$WORK/nobody/ca.pem"
chmod 0755 "$WORK/nobody/cxrec"
chmod 0644 "$WORK/nobody/ca.pem"
as_nobody() { setpriv --reuid=nobody --regid=nogroup --clear-groups --reset-env "$@"; }
rc=0
(cd "$WORK/nobody" && as_nobody ./cxrec run --bpf on -o n1.bin -- touch ran) \
	>"$WORK/out.txt" 2>"$WORK/err.txt" || rc=$?
assert_eq "$rc" 2 "as nobody: --bpf on exits 2"
assert_eq "$(wc -l <"$WORK/err.txt")" 1 "as nobody: --bpf on says why in one line"
assert_contains "$(cat "$WORK/err.txt")" "--bpf on: the kernel probe cannot load" "the reason"
[ ! -e "$WORK/nobody/ran" ] || fail "the command ran although --bpf on failed"
ok "the command did not run"
[ ! -e "$WORK/nobody/n1.bin" ] || fail "a trace was created although --bpf on failed"
ok "no trace created"
rc=0
(cd "$WORK/nobody" && as_nobody env NO_PROXY=127.0.0.1 no_proxy=127.0.0.1 \
	./cxrec run --bpf auto --upstream "$MOCK_URL" --cacert ca.pem -o n2.bin -- \
	sh -c 'curl -s -o /dev/null "$CXREC_RELAY_URL/v1/models"') \
	>"$WORK/out.txt" 2>"$WORK/err.txt" || rc=$?
[ "$rc" = 0 ] || { cat "$WORK/err.txt"; fail "as nobody: cxrec run --bpf auto exited $rc"; }
assert_contains "$(cat "$WORK/err.txt")" "processes: /proc (the kernel probe cannot load:" "--bpf auto falls back and says why"
assert_eq "$(wc -l <"$WORK/err.txt")" 1 "one line"
"$CXREC" decode -f jsonl "$WORK/nobody/n2.bin" >"$WORK/t.jsonl"
assert_eq "$(q "[e['comm'] for e in x]")" "['curl']" "as nobody: /proc names the user's own curl"
echo "processes named by the probe and by /proc"
