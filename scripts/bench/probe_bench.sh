#!/usr/bin/env bash
# The kernel probe's overhead (issue 4): a loop of N loopback connects
# (build/connect_loop) timed bare, under `cxrec run --bpf off` (no probe:
# the relay idle, nothing to look up) and under `cxrec run --bpf on` (the
# probe tracing the loop: a connect event and a trace frame each), in
# interleaved rounds; the medians and the added time of the probe.  Target:
# under 5% added time.  Needs root (the probe) and a cxrec built with it.
#
# usage: scripts/bench/probe_bench.sh [--connects N] [--rounds R]
# Environment: CXREC (default: <repo>/cxrec).
set -uo pipefail
HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
ROOT=$(cd "$HERE/../.." && pwd)
CXREC=${CXREC:-$ROOT/cxrec}
N=20000
ROUNDS=21
while [ $# -gt 0 ]; do
    case "$1" in
    --connects) N=${2:?}; shift ;;
    --rounds) ROUNDS=${2:?}; shift ;;
    -h | --help) sed -n '2,12p' "$0"; exit 0 ;;
    *) echo "probe_bench.sh: unknown option $1 (try --help)" >&2; exit 2 ;;
    esac
    shift
done
die() { echo "probe_bench.sh: $*" >&2; exit 1; }
make -s -C "$HERE" build/connect_loop >&2 || die "cannot build connect_loop"
LOOP=$HERE/build/connect_loop
TMP=$(mktemp -d "${TMPDIR:-/tmp}/cxrec-probe-bench.XXXXXX") || die "mktemp"
trap 'rm -rf "$TMP"' EXIT
export CODEX_API_KEY=probe-bench-not-a-key

secs() { sed -n 's/^connects [0-9]* seconds \([0-9.]*\)$/\1/p' "$1"; }
declare -a bare off on
for ((i = 1; i <= ROUNDS; i++)); do
    "$LOOP" "$N" >"$TMP/bare" || die "connect_loop failed"
    "$CXREC" run --bpf off -o "$TMP/off.bin" -- "$LOOP" "$N" >"$TMP/off" 2>"$TMP/off.err" ||
        die "cxrec run --bpf off failed: $(cat "$TMP/off.err")"
    "$CXREC" run --bpf on -o "$TMP/on.bin" -- "$LOOP" "$N" >"$TMP/on" 2>"$TMP/on.err" ||
        die "cxrec run --bpf on failed: $(cat "$TMP/on.err")"
    bare+=("$(secs "$TMP/bare")") off+=("$(secs "$TMP/off")") on+=("$(secs "$TMP/on")")
    echo "round $i: bare ${bare[-1]} s, --bpf off ${off[-1]} s, --bpf on ${on[-1]} s" >&2
done
# Every connect of the last --bpf on run was recorded.
events=$(/usr/bin/python3 - "$TMP/on.bin" <<'PY'
import json, struct, sys
d = open(sys.argv[1], "rb").read()
i, n = 128, 0
while i + 40 <= len(d):
    ln = struct.unpack_from("<I", d, i + 4)[0]
    if d[i + 8] == 4 and d[i + 9] == 3 and b'"connect"' in d[i + 40:i + 40 + ln]:
        n += 1
    i += 40 + ln
print(n)
PY
)
median() { printf '%s\n' "$@" | sort -n | awk '{ v[NR] = $1 } END { print (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2 }'; }
best() { printf '%s\n' "$@" | sort -n | head -1; }
mb=$(median "${bare[@]}") moff=$(median "${off[@]}") mon=$(median "${on[@]}")
bb=$(best "${bare[@]}") boff=$(best "${off[@]}") bon=$(best "${on[@]}")
echo "probe overhead, $(date -u '+%Y-%m-%d %H:%M UTC'), $(uname -sr), $(nproc) CPUs; $N connects, $ROUNDS rounds (medians)"
echo
us() { awk -v s="$1" -v n="$N" 'BEGIN { printf "%.2f", s / n * 1e6 }'; }
pct() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%+.1f%%", (a / b - 1) * 100 }'; }
echo "| run | median s | per connect µs | best s | per connect µs |"
echo "|---|---:|---:|---:|---:|"
printf '| bare | %s | %s | %s | %s |\n' "$mb" "$(us "$mb")" "$bb" "$(us "$bb")"
printf '| cxrec run --bpf off | %s | %s | %s | %s |\n' "$moff" "$(us "$moff")" "$boff" "$(us "$boff")"
printf '| cxrec run --bpf on | %s | %s | %s | %s |\n' "$mon" "$(us "$mon")" "$bon" "$(us "$bon")"
echo
echo "- added time of the probe (on / off - 1): median $(pct "$mon" "$moff"), best $(pct "$bon" "$boff") (target: under 5%)"
echo "- against the bare loop (on / bare - 1): median $(pct "$mon" "$mb"), best $(pct "$bon" "$bb")"
echo "- connect events recorded in the last --bpf on run: $events of $N"
echo "- rounds: bare ${bare[*]}; off ${off[*]}; on ${on[*]}"
