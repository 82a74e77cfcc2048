#!/usr/bin/env bash
# Which process made each exchange (issue 4), without the probe: the real
# codex 0.98.0 and a curl in one command through `cxrec run --bpf off`,
# named by the relay's /proc lookups (pid and comm; no tid, not guessed);
# then as nobody, where the probe cannot load: --bpf on exits 2 with the
# reason before anything runs, --bpf auto falls back to /proc and says why,
# and /proc still names the user's own processes.
. "$(dirname "$0")/../lib/lib.sh"
. "$TESTS_DIR/lib/codex_common.sh"

. "$TESTS_DIR/lib/processes_common.sh"

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
echo "processes named from /proc"
