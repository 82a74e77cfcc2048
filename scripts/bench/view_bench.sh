#!/usr/bin/env bash
# The live view's cost (cxrec view, issue 17): what it takes a viewer that
# connects to a long trace to catch up, against `cxrec decode` of the same
# trace in jsonl and html.  See docs/performance.md, section "Issue 17:
# the live view".
#
# usage: scripts/bench/view_bench.sh [--size BYTES] [--seed S] [--viewers N]
#   --size     trace size in bytes (default 268435456)
#   --seed     generator seed (default 1)
#   --viewers  viewers catching up at once (default 1; then 2)
# Environment: CXREC (default <repo>/build/cxrec).
#
# The trace comes from gen_trace (codex-like streamed exchanges, as the
# decode benchmark's), read once before timing (the page cache).  decode's
# CPU is user + sys of /usr/bin/time; the view's is its process's utime +
# stime (/proc/PID/stat) from before the first viewer connects until every
# viewer has had the "following the trace" state (the backlog read), with
# curl as the viewers (reading the event stream as fast as it comes).
set -uo pipefail

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
ROOT=$(cd "$HERE/../.." && pwd)
BUILD=$HERE/build
DIR=$BUILD/view
CXREC=${CXREC:-$ROOT/build/cxrec}
SIZE=$((256 << 20)) SEED=1 VIEWERS=1
while [ $# -gt 0 ]; do
    case "$1" in
    --size) SIZE=${2:?}; shift ;;
    --seed) SEED=${2:?}; shift ;;
    --viewers) VIEWERS=${2:?}; shift ;;
    -h | --help) sed -n '2,18p' "$0"; exit 0 ;;
    *) echo "view_bench.sh: unknown option $1 (try --help)" >&2; exit 2 ;;
    esac
    shift
done
[ -x "$CXREC" ] || { echo "view_bench.sh: no $CXREC (make first)" >&2; exit 2; }
make -s -C "$HERE" "$BUILD/gen_trace" >/dev/null || exit 1
mkdir -p "$DIR"
T=$DIR/trace-$SIZE-$SEED.bin
[ -s "$T" ] || "$BUILD/gen_trace" -o "$T" --size "$SIZE" --seed "$SEED" >/dev/null || exit 1
cat "$T" >/dev/null
GIB=$(/usr/bin/python3 -c "print($(stat -c %s "$T") / 2**30)")
TCK=$(getconf CLK_TCK)

cpu_of() { # COMMAND...: user + sys seconds
    /usr/bin/time -f '%U %S' -o "$DIR/time" "$@" >/dev/null 2>&1
    awk '{ print $1 + $2 }' "$DIR/time"
}
proc_cpu() { # PID: utime + stime seconds
    awk -v t="$TCK" '{ print ($14 + $15) / t }' "/proc/$1/stat"
}

jsonl=$(cpu_of "$CXREC" decode -f jsonl "$T")
html=$(cpu_of "$CXREC" decode -f html -o "$DIR/r.html" "$T")

catch_up() { # N viewers at once: the view's CPU seconds
    "$CXREC" view "$T" 2>"$DIR/view.err" &
    local vpid=$! url c0 c1 i
    for _ in $(seq 100); do grep -q http "$DIR/view.err" && break; sleep 0.05; done
    url=$(grep -o 'http://[^ ]*' "$DIR/view.err")
    c0=$(proc_cpu "$vpid")
    for i in $(seq "$1"); do
        curl -sN "${url}events" >"$DIR/events.$i" &
    done
    for i in $(seq "$1"); do
        until grep -q '^data: following the trace' "$DIR/events.$i" 2>/dev/null; do
            sleep 0.05
        done
    done
    c1=$(proc_cpu "$vpid")
    kill "$vpid"; wait "$vpid" 2>/dev/null
    wait 2>/dev/null
    /usr/bin/python3 -c "print(round($c1 - $c0, 2))"
}
one=$(catch_up 1)
two=$(catch_up 2)
SENT=$(stat -c %s "$DIR/events.1")

/usr/bin/python3 - "$GIB" "$jsonl" "$html" "$one" "$two" "$SENT" <<'PY'
import sys
gib, jsonl, html, one, two, sent = (float(x) for x in sys.argv[1:])
print("trace: %.2f GiB" % gib)
print("| reading | CPU s | CPU s per GiB | vs decode -f html |")
print("|---|---:|---:|---:|")
for name, s in (("decode -f jsonl", jsonl), ("decode -f html", html),
                ("view, 1 viewer catching up", one),
                ("view, 2 viewers catching up", two)):
    print("| %s | %.2f | %.2f | %.2f |" % (name, s, s / gib, s / html))
print("events sent to a viewer: %.1f MiB (%.2f bytes per trace byte)" %
      (sent / 2**20, sent / (gib * 2**30)))
PY
