#!/usr/bin/env bash
# Which process made each exchange (issue 4), by the kernel probe: the real
# codex 0.98.0 and a curl run in the same traced command through
# `cxrec run --bpf on`: codex named (comm, tid, program), curl told apart
# by its own pid, the parent links of the tree (--pid --tree), the text.
# The probe needs root and BTF; if it cannot load, this fails with the
# reason.  CXREC_TEST_NO_BPF=1 skips it.
. "$(dirname "$0")/../lib/lib.sh"
[ "${CXREC_TEST_NO_BPF:-0}" != 1 ] || skip "CXREC_TEST_NO_BPF=1: the probe is not tested"
. "$TESTS_DIR/lib/codex_common.sh"

. "$TESTS_DIR/lib/processes_common.sh"

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

echo "processes named by the kernel probe"
