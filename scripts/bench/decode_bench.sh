#!/usr/bin/env bash
# cxrec decode benchmark: `cxrec decode` on a large trace of codex-like
# exchanges against `mitmdump -nr` reading the same exchanges from a
# mitmproxy flow file.  See docs/performance.md, section "decode".
#
# usage: scripts/bench/decode_bench.sh [--quick] [--size BYTES] [--seed S]
#                                      [--runs R] [--ref-runs R] [--mitm-runs R]
#                                      [--formats LIST] [--keepalive] [--out FILE]
#   --quick      128 MiB trace instead of 1 GiB
#   --size       trace size in bytes (default 1073741824)
#   --seed       generator seed (default 1)
#   --runs       runs of cxrec decode --format jsonl, best taken (default 3)
#   --ref-runs   runs of --format text and md, best taken (default 1)
#   --mitm-runs  runs of mitmdump, best taken (default 3)
#   --formats    cxrec formats to time, comma-separated (default
#                jsonl,text,md,har,conversation,html)
#   --keepalive  issue 20's other trace instead: ONE connection of 300
#                exchanges of 935 KB of JSON, recorded by cxrec relay
#                (gen_keepalive.sh; no mitmdump row)
#   --out        also write the Markdown report to FILE
# Environment: CXREC (default: <repo>/cxrec).
#
# The trace (gen_trace), the exchanges' bytes (gen_trace --dump) and the
# equivalent flow file (gen_flows.py) are cached in
# scripts/bench/build/decode/, keyed by size and seed, and made again when
# gen_trace.c or gen_flows.py is newer than them.  Every run reads its input
# from the page cache (the file is read once before timing): this measures
# decode, not the disk.  Wall time is measured around /usr/bin/time, which
# also gives the peak RSS (%M) and the CPU seconds (user + sys, both
# threads) of the process it runs.  Targets (issue 20): jsonl >= 300 MB/s,
# every other format >= 150 MB/s, peak RSS < 64 MiB + the largest exchange.
set -uo pipefail

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
ROOT=$(cd "$HERE/../.." && pwd)
BUILD=$HERE/build
CACHE=$BUILD/decode
CXREC=${CXREC:-$ROOT/cxrec}
PY=/usr/bin/python3

SIZE=$((1 << 30))
SEED=1
RUNS=3
REF_RUNS=1
MITM_RUNS=3
FORMATS=jsonl,text,md,har,conversation,html
OUT=""
KEEPALIVE=0
while [ $# -gt 0 ]; do
    case "$1" in
    --quick) SIZE=$((128 << 20)) ;;
    --size) SIZE=${2:?}; shift ;;
    --seed) SEED=${2:?}; shift ;;
    --runs) RUNS=${2:?}; shift ;;
    --ref-runs) REF_RUNS=${2:?}; shift ;;
    --mitm-runs) MITM_RUNS=${2:?}; shift ;;
    --formats) FORMATS=${2:?}; shift ;;
    --out) OUT=${2:?}; shift ;;
    --keepalive) KEEPALIVE=1 ;;
    -h | --help) sed -n '2,32p' "$0"; exit 0 ;;
    *) echo "decode_bench.sh: unknown option $1 (try --help)" >&2; exit 2 ;;
    esac
    shift
done
for v in "$SIZE" "$SEED" "$RUNS" "$REF_RUNS" "$MITM_RUNS"; do
    case "$v" in '' | *[!0-9]*) echo "decode_bench.sh: options need a number" >&2; exit 2 ;; esac
done

log() { printf '[decode-bench %s] %s\n' "$(date -u +%H:%M:%S)" "$*" >&2; }
die() { log "ERROR: $*"; exit 1; }

TMP=$(mktemp -d "${TMPDIR:-/tmp}/cxrec-decode-bench.XXXXXX") || die "mktemp"
trap 'rm -rf "$TMP"' EXIT

# ---- tools ----
make -s -C "$HERE" build/gen_trace >&2 || die "building gen_trace failed"
if [ ! -x "$CXREC" ]; then
    log "no $CXREC: building it (make at the top)"
    make -s -C "$ROOT" >&2 || die "building cxrec failed"
fi
if [ ! -x /usr/bin/time ]; then
    log "installing the time package (/usr/bin/time)"
    apt-get install -y time >&2 || die "cannot install /usr/bin/time"
fi
HAVE_MITM=1
if ! command -v mitmdump >/dev/null || ! "$PY" -c 'import mitmproxy' 2>/dev/null; then
    log "mitmdump or the mitmproxy Python package missing (apt-get install mitmproxy): no mitmdump row"
    HAVE_MITM=0
fi

# ---- inputs (cached) ----
mkdir -p "$CACHE"
BASE=$CACHE/trace-$SIZE-s$SEED
[ "$KEEPALIVE" = 1 ] && BASE=$CACHE/keepalive-300x935000 HAVE_MITM=0
TRACE=$BASE.bin DUMP=$BASE.dump FLOWS=$BASE.flows STATS=$BASE.stats
if [ "$KEEPALIVE" = 1 ]; then
    if [ ! -s "$STATS" ] || [ ! -s "$TRACE" ] || [ "$HERE/gen_keepalive.sh" -nt "$STATS" ]; then
        log "recording $TRACE (gen_keepalive.sh: 300 x 935 KB on one connection)"
        CXREC=$CXREC "$HERE/gen_keepalive.sh" "$TRACE" 300 935000 >&2 || die "gen_keepalive.sh failed"
        # the fields gen_trace prints: exchanges, trace bytes, HTTP bytes,
        # the largest exchange's HTTP and trace bytes (a body and its heads)
        echo "exchanges 300 trace_bytes $(stat -c %s "$TRACE") wire_bytes - largest_exchange_wire 936000 largest_exchange_trace 937000" >"$STATS"
    fi
elif [ ! -s "$STATS" ] || [ ! -s "$TRACE" ] || [ "$HERE/gen_trace.c" -nt "$STATS" ]; then
    log "generating $TRACE ($SIZE bytes, seed $SEED)"
    rm -f "$TRACE" "$TRACE.old" "$DUMP" "$FLOWS" "$STATS"
    "$BUILD/gen_trace" -o "$TRACE" --size "$SIZE" --seed "$SEED" --dump "$DUMP" \
        >"$STATS.tmp" || die "gen_trace failed"
    mv "$STATS.tmp" "$STATS"
fi
if [ "$HAVE_MITM" = 1 ] && { [ ! -s "$FLOWS" ] || [ "$HERE/gen_flows.py" -nt "$FLOWS" ] ||
    [ "$STATS" -nt "$FLOWS" ]; }; then
    log "generating $FLOWS (mitmproxy flows of the same exchanges)"
    "$PY" "$HERE/gen_flows.py" "$DUMP" "$FLOWS.tmp" >&2 || die "gen_flows.py failed"
    mv "$FLOWS.tmp" "$FLOWS"
fi
read -r _ NEX _ TRACE_BYTES _ WIRE_BYTES _ LARGEST _ LARGEST_TRACE _ <"$STATS" ||
    die "cannot read $STATS"
FLOW_BYTES=0
[ "$HAVE_MITM" = 1 ] && FLOW_BYTES=$(stat -c %s "$FLOWS")

# ---- measuring ----
# run_best LABEL RUNS CMD...: best wall time (s) and the largest peak RSS
# (KiB) over RUNS runs, in $BEST_S and $PEAK_KB; every run in raw.txt.
RAW=$TMP/raw.txt
run_best() {
    local label=$1 runs=$2 i t0 t1 s kb cpu rc
    shift 2
    BEST_S="" PEAK_KB=0 BEST_CPU=
    for ((i = 1; i <= runs; i++)); do
        t0=$(date +%s%N)
        /usr/bin/time -f '%M %U %S' -o "$TMP/time.out" "$@" >"$TMP/stdout" 2>"$TMP/stderr"
        rc=$?
        t1=$(date +%s%N)
        if [ "$rc" != 0 ]; then
            log "$label: exit status $rc"; sed 's/^/    /' "$TMP/stderr" | tail -5 >&2
            BEST_S="" PEAK_KB=0
            return 1
        fi
        read -r kb cpu < <(tail -1 "$TMP/time.out" | awk '{ printf "%d %.2f\n", $1, $2 + $3 }')
        s=$(awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.3f", (b - a) / 1e9 }')
        echo "$label run $i: $s s, $cpu CPU s, peak RSS $kb KiB" >>"$RAW"
        log "$label run $i: $s s, $cpu CPU s, peak RSS $((kb / 1024)) MiB"
        if [ -z "$BEST_S" ] || awk -v a="$s" -v b="$BEST_S" 'BEGIN { exit !(a < b) }'; then
            BEST_S=$s BEST_CPU=$cpu
        fi
        [ "$kb" -gt "$PEAK_KB" ] && PEAK_KB=$kb
    done
    return 0
}
mbps() { awk -v b="$1" -v s="$2" 'BEGIN { printf "%.0f", b / s / 1e6 }'; }
mib() { awk -v k="$1" 'BEGIN { printf "%.1f", k / 1024 }'; }

log "reading the inputs once into the page cache"
cat "$TRACE" >/dev/null
[ "$HAVE_MITM" = 1 ] && cat "$FLOWS" >/dev/null

# The output must hold every exchange (checked once, outside the timing).
NOUT=$("$CXREC" decode --format jsonl "$TRACE" 2>"$TMP/check.err" | wc -l)
CHECK="jsonl lines: $NOUT of $NEX exchanges"
[ "$NOUT" = "$NEX" ] || log "WARNING: $CHECK"

STARTED=$(date -u '+%Y-%m-%d %H:%M UTC')
# What is measured: the binary as it is now (others may rebuild it later).
BIN=$(readlink -f "$CXREC")
BIN_INFO="binary modified $(date -u -r "$BIN" '+%Y-%m-%d %H:%M:%S UTC'), sha256 $(sha256sum "$BIN" | cut -c1-12)"
TREE_INFO="tree at $(git -C "$ROOT" log -1 --format=%h 2>/dev/null), $(git -C "$ROOT" status --porcelain -- analyzer common cli 2>/dev/null | wc -l) files modified in analyzer/ common/ cli/"
FAIL=0
declare -A S KB CPU
for fmt in ${FORMATS//,/ }; do
    n=$REF_RUNS
    [ "$fmt" = jsonl ] && n=$RUNS
    if run_best "cxrec decode --format $fmt" "$n" \
        "$CXREC" decode --format "$fmt" -o /dev/null "$TRACE"; then
        S[$fmt]=$BEST_S KB[$fmt]=$PEAK_KB CPU[$fmt]=$BEST_CPU
    else
        FAIL=1
    fi
done
if [ "$HAVE_MITM" = 1 ]; then
    mkdir -p "$TMP/mitmconf"
    if run_best "mitmdump -nr" "$MITM_RUNS" \
        mitmdump -nr "$FLOWS" -q --set flow_detail=0 --set "confdir=$TMP/mitmconf"; then
        S[mitm]=$BEST_S KB[mitm]=$PEAK_KB CPU[mitm]=$BEST_CPU
        [ -s "$TMP/stdout" ] && log "mitmdump printed $(wc -c <"$TMP/stdout") bytes (expected none)"
    else
        FAIL=1
    fi
fi

# ---- report ----
row() { # label key runs bytes-read
    if [ -n "${S[$2]:-}" ]; then
        printf '| %s | %s | %s | %s | %s | %s | %s |\n' "$1" "$4" "$3" "${S[$2]}" \
            "${CPU[$2]}" "$(mbps "$TRACE_BYTES" "${S[$2]}")" "$(mib "${KB[$2]}")"
    else
        printf '| %s | %s | %s | failed | — | — | — |\n' "$1" "$4" "$3"
    fi
}
LARGEST_MIB=$(awk -v b="$LARGEST_TRACE" 'BEGIN { printf "%.3f", b / 1048576 }')
RSS_LIMIT_KB=$(( (64 << 10) + (LARGEST_TRACE + 1023) / 1024 ))
{
    echo "cxrec decode benchmark, $STARTED, $(uname -sr), $(nproc) CPUs"
    echo
    echo "- cxrec: \`$CXREC\` ($BIN_INFO; $TREE_INFO, when the timing started)"
    [ "$(sha256sum "$BIN" | cut -c1-12)" = "${BIN_INFO##* }" ] ||
        echo "- **the binary was replaced during the run**: runs started after $(date -u -r "$BIN" '+%H:%M:%S') measured the new one"
    echo "- trace: $NEX exchanges, $TRACE_BYTES bytes ($(mib $((TRACE_BYTES / 1024))) MiB); HTTP bytes $WIRE_BYTES; seed $SEED"
    echo "- largest exchange: $LARGEST bytes of HTTP, $LARGEST_TRACE bytes of trace frames ($LARGEST_MIB MiB)"
    [ "$HAVE_MITM" = 1 ] && echo "- flow file: $FLOW_BYTES bytes, mitmproxy $("$PY" -c 'import mitmproxy.version as v; print(v.VERSION)')"
    echo "- $CHECK"
    echo
    echo "MB/s = trace bytes / best wall time, 10^6 bytes/s (for mitmdump too: the same exchanges, read from its own file)."
    echo
    echo "| command | input bytes | runs | best wall s | its CPU s | MB/s of trace | peak RSS MiB |"
    echo "|---|---:|---:|---:|---:|---:|---:|"
    for fmt in ${FORMATS//,/ }; do
        n=$REF_RUNS
        [ "$fmt" = jsonl ] && n=$RUNS
        row "\`cxrec decode --format $fmt -o /dev/null\`" "$fmt" "$n" "$TRACE_BYTES"
    done
    [ "$HAVE_MITM" = 1 ] && row '`mitmdump -nr FLOWS -q`' mitm "$MITM_RUNS" "$FLOW_BYTES"
    echo
    if [ -n "${S[jsonl]:-}" ]; then
        J=$(mbps "$TRACE_BYTES" "${S[jsonl]}")
        v1=$([ "$J" -ge 300 ] && echo pass || echo "**not met**")
        v2=$([ "${KB[jsonl]}" -lt "$RSS_LIMIT_KB" ] && echo pass || echo "**not met**")
        echo "| target | this run | verdict |"
        echo "|---|---|---|"
        echo "| \`--format jsonl\` ≥ 300 MB/s | $J MB/s | $v1 |"
        echo "| peak RSS < 64 MiB + largest exchange ($(mib "$RSS_LIMIT_KB") MiB) | $(mib "${KB[jsonl]}") MiB | $v2 |"
        for fmt in ${FORMATS//,/ }; do
            [ "$fmt" = jsonl ] || [ -z "${KB[$fmt]:-}" ] && continue
            M=$(mbps "$TRACE_BYTES" "${S[$fmt]}")
            if [ "$fmt" != conversation ]; then
                v=$([ "$M" -ge 150 ] && echo pass || echo "**not met**")
                echo "| \`--format $fmt\` ≥ 150 MB/s | $M MB/s | $v |"
            fi
            v=$([ "${KB[$fmt]}" -lt "$RSS_LIMIT_KB" ] && echo pass || echo "**not met**")
            echo "| \`--format $fmt\` peak RSS < $(mib "$RSS_LIMIT_KB") MiB | $(mib "${KB[$fmt]}") MiB | $v |"
        done
        if [ -n "${S[mitm]:-}" ]; then
            echo "| ratio to mitmdump -nr (wall time, mitmdump / cxrec jsonl) | $(awk -v a="${S[mitm]}" -v b="${S[jsonl]}" 'BEGIN { printf "%.1f", a / b }') × faster; RSS $(awk -v a="${KB[mitm]}" -v b="${KB[jsonl]}" 'BEGIN { printf "%.2f", b / a }') × mitmdump's | (reported) |"
        fi
    fi
    echo
    echo "Raw:"
    echo
    sed 's/^/    /' "$RAW"
} >"$TMP/report.md"
cat "$TMP/report.md"
if [ -n "$OUT" ]; then
    cp "$TMP/report.md" "$OUT" || die "cannot write $OUT"
fi
mkdir -p "$BUILD/results"
cp "$TMP/report.md" "$BUILD/results/decode-$(date -u +%Y%m%d-%H%M%S).md"
exit "$FAIL"
