#!/usr/bin/env bash
# Decode streams, whatever the format: a 64 MiB trace of codex-like
# exchanges (scripts/bench/gen_trace, ~1,650 exchanges of at most ~50 KB)
# decodes in every format with a peak RSS far below the trace's size
# (under 48 MiB; not checked under AddressSanitizer, whose own memory
# dwarfs it), and with every exchange in the output.
. "$(dirname "$0")/../lib/lib.sh"
make -s -C "$REPO/scripts/bench" build/gen_trace >/dev/null ||
	fail "cannot build scripts/bench/build/gen_trace"
T="$WORK/t.bin"
stats=$("$REPO/scripts/bench/build/gen_trace" -o "$T" --size $((64 << 20)) --seed 3)
n=$(sed -n 's/^exchanges \([0-9]*\) .*/\1/p' <<<"$stats")
[ "${n:-0}" -gt 1000 ] || fail "gen_trace made too few exchanges: $stats"
ok "trace of $n exchanges: $stats"

# Peak RSS in KiB of a command whose output goes to a file.
peak_rss() {
	local out=$1; shift
	/usr/bin/python3 - "$out" "$@" <<'PY'
import resource, subprocess, sys
with open(sys.argv[1], "wb") as f:
    rc = subprocess.run(sys.argv[2:], stdout=f).returncode
if rc != 0:
    sys.exit("exit %d" % rc)
print(resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss)
PY
}

san=0
# (grep reads all of nm's output: with -q, nm's SIGPIPE fails the pipeline.)
if nm -D "$CXREC" 2>/dev/null | grep __asan_init >/dev/null; then
	san=1
fi
for fmt in jsonl text har conversation md; do
	rss=$(peak_rss "$WORK/out.$fmt" "$CXREC" decode -f "$fmt" "$T") ||
		fail "decode -f $fmt failed"
	if [ "$san" = 0 ]; then
		[ "$rss" -lt $((48 * 1024)) ] ||
			fail "decode -f $fmt: peak RSS $rss KiB, not under 48 MiB"
		ok "decode -f $fmt: peak RSS $((rss / 1024)) MiB"
	fi
done

assert_eq "$(wc -l <"$WORK/out.jsonl")" "$n" "jsonl: every exchange"
assert_eq "$(grep -c '^#[0-9]' "$WORK/out.text")" "$n" "text: every exchange"
assert_contains "$(tail -1 "$WORK/out.text")" "$n exchanges, 0 errors" "text: totals at the end"
assert_eq "$(/usr/bin/python3 -c 'import json,sys; print(len(json.load(open(sys.argv[1]))["log"]["entries"]))' "$WORK/out.har")" \
	"$n" "har: every entry, valid JSON"
har_validate "$WORK/out.har" >/dev/null || fail "the HAR does not pass har-validator"
ok "har: passes npm's har-validator"
assert_eq "$(grep -c '^== Turn' "$WORK/out.conversation")" "$n" "conversation: every turn"
assert_eq "$(grep -c '^<a id="exchange-' "$WORK/out.md")" "$n" "md: every exchange"
assert_eq "$(grep -c '^### Turn' "$WORK/out.md")" "$n" "md: every turn in its conversation"
assert_contains "$(cat "$WORK/out.md")" "| exchanges | $n |" "md: header counts them all"
