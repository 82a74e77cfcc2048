#!/usr/bin/env bash
# decode_memory (issue 20, item 1): decoding holds a bounded amount of
# memory on any shape of trace, here the worst one: one kept-alive
# connection carrying 220 exchanges of a 935 KB JSON body each (a long
# agent session's shape: hundreds of turns on one connection), recorded
# by `cxrec relay` from a local server (scripts/bench/gen_keepalive.sh)
# in about a second of trace time.  Every format must decode it with a
# peak RSS (/proc's VmHWM, via /usr/bin/time) of at most 64 MiB plus the
# largest exchange.  Before the stream's byte budget, exchanges waited
# out a 2 s clock slack in memory, and jsonl peaked at 222 MiB on this
# trace (290 MiB at 300 exchanges).  Speed is for scripts/bench, not for
# this test.
. "$(dirname "$0")/../lib/lib.sh"
[ -x /usr/bin/time ] || skip "/usr/bin/time is not installed (make deps installs it)"
# (not `ldd | grep -q`: grep leaving early can kill ldd with SIGPIPE, and
# under pipefail the sanitizer build then ran this test)
case "$(ldd "$CXREC" 2>/dev/null)" in
*libasan*) skip "an AddressSanitizer build: its shadow memory is not the decoder's (the release build runs this test)" ;;
esac
cd "$WORK"

# 220 exchanges of 935 KB on one connection (scripts/bench's generator)
N=220
size=935000
CXREC=$CXREC "$REPO/scripts/bench/gen_keepalive.sh" one.bin $N $size >gen.out ||
	fail "the trace could not be recorded"
tsize=$(stat -c %s one.bin)
[ "$tsize" -ge $((200 * 1000 * 1000)) ] || fail "the trace is $tsize bytes, not 200 MB"
ok "the trace: $tsize bytes, $N exchanges on one connection"

# The bound: 64 MiB and the largest exchange (its body; the heads are small)
bound=$((64 * 1024 + size / 1024 + 64))    # KiB; 64 KiB for its heads
for f in jsonl text md har conversation html; do
	/usr/bin/time -f %M -o rss.$f "$CXREC" decode -f $f -o out.$f one.bin 2>err.$f ||
		fail "decode -f $f failed: $(cat err.$f)"
	rss=$(tail -1 rss.$f)
	[ "$rss" -le "$bound" ] || fail "decode -f $f: peak RSS $rss KiB, above $bound KiB"
	ok "decode -f $f: peak RSS $((rss / 1024)) MiB (at most $(((bound + 1023) / 1024)))"
	rm -f out.$f
done
"$CXREC" decode -f jsonl one.bin | grep -c . >n.txt
assert_eq "$(cat n.txt)" "$N" "every exchange decoded"
