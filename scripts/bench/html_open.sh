#!/usr/bin/env bash
# The HTML report's open time (issue 17): `cxrec decode --format html` of a
# long codex session, opened in headless Chromium.  See docs/performance.md,
# section "Issue 17: the HTML report's open time".
#
# usage: scripts/bench/html_open.sh [--turns N] [--small N] [--turn-bytes B]
#                                   [--runs R] [--variants LIST] [--seed S]
#                                   [--no-breakdown] [--out FILE]
#   --turns       turns of the large session (default 300)
#   --small       turns of the small one, for the ratio (default 30)
#   --turn-bytes  bytes each earlier turn adds to a request body (default
#                 850: 300 turns make ~50 MB of request bodies)
#   --runs        runs a page, the median reported (default 3)
#   --variants    edits of the large page to time as well (html_variant.py),
#                 comma-separated (default
#                 nobodies,noevents,noexchanges,cv,noexchanges+cv,data,data_gz,
#                 data_delta,data_delta+cv,data_delta+noevents+cv);
#                 "none" for none
#   --seed        generator seed (default 1)
#   --no-breakdown  skip the traced run (the main thread's time by task)
#   --out         also write the Markdown report to FILE
# Environment: CXREC (default <repo>/build/cxrec), CHROMIUM (default
# /usr/bin/chromium), NODE (default node).
#
# gen_trace --session writes one codex session of N turns, each request
# resending the whole history (bodies grow by ~B a turn); the trace is
# checked with `cxrec decode -f conversation` (N turns).  The page is
# rendered --runs times (CPU = user + sys of /usr/bin/time, median), then
# every page (large, small, the variants, a one-line page for the floor) is
# opened --runs times, interleaved, by html_open.js: a fresh headless
# Chromium each time, inside `unshare -n` (loopback only; needs root), the
# proxies pointed at a refusing port.  Files in scripts/bench/build/html/.
set -uo pipefail

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
ROOT=$(cd "$HERE/../.." && pwd)
BUILD=$HERE/build
DIR=$BUILD/html
CXREC=${CXREC:-$ROOT/build/cxrec}
CHROMIUM=${CHROMIUM:-/usr/bin/chromium}
NODE=${NODE:-node}
PY=/usr/bin/python3

TURNS=300 SMALL=30 TURN_BYTES=850 RUNS=3 SEED=1 BREAKDOWN=1 OUT=""
VARIANTS=nobodies,noevents,noexchanges,cv,noexchanges+cv,data,data_gz,data_delta,data_delta+cv,data_delta+noevents+cv
while [ $# -gt 0 ]; do
    case "$1" in
    --turns) TURNS=${2:?}; shift ;;
    --small) SMALL=${2:?}; shift ;;
    --turn-bytes) TURN_BYTES=${2:?}; shift ;;
    --runs) RUNS=${2:?}; shift ;;
    --variants) VARIANTS=${2:?}; shift ;;
    --seed) SEED=${2:?}; shift ;;
    --no-breakdown) BREAKDOWN=0 ;;
    --out) OUT=${2:?}; shift ;;
    -h | --help) sed -n '2,32p' "$0"; exit 0 ;;
    *) echo "html_open.sh: unknown option $1 (try --help)" >&2; exit 2 ;;
    esac
    shift
done
for v in "$TURNS" "$SMALL" "$TURN_BYTES" "$RUNS" "$SEED"; do
    case "$v" in '' | *[!0-9]*) echo "html_open.sh: options need a number" >&2; exit 2 ;; esac
done
[ "$VARIANTS" = none ] && VARIANTS=""

log() { printf '[html-bench %s] %s\n' "$(date -u +%H:%M:%S)" "$*" >&2; }
die() { log "ERROR: $*"; exit 1; }

[ "$(id -u)" = 0 ] || die "needs root (unshare -n)"
[ -x "$CHROMIUM" ] || die "no $CHROMIUM (apt-get install chromium)"
command -v "$NODE" >/dev/null || die "no node"
[ -x /usr/bin/time ] || die "no /usr/bin/time (apt-get install time)"
make -s -C "$HERE" build/gen_trace >&2 || die "building gen_trace failed"
[ -x "$CXREC" ] || die "no $CXREC (make at the top)"
mkdir -p "$DIR"
RAW=$DIR/raw.jsonl
: >"$RAW"

# ---- traces and pages ----
# page NAME TURNS: $DIR/NAME.bin, its conversation checked, $DIR/NAME.html
# rendered RUNS times; a line of facts in $DIR/NAME.facts.
page() {
    local name=$1 turns=$2 bin=$DIR/$1.bin html=$DIR/$1.html i got cpu=()
    log "$name: generating $turns turns"
    rm -f "$bin" "$bin.old"
    "$BUILD/gen_trace" -o "$bin" --session "$turns" --turn-bytes "$TURN_BYTES" \
        --seed "$SEED" >"$DIR/$name.gen" || die "gen_trace failed"
    got=$("$CXREC" decode -f conversation "$bin" | grep -c '^== Turn ')
    [ "$got" = "$turns" ] || die "$name: the conversation shows $got turns, not $turns"
    cat "$bin" >/dev/null
    for ((i = 1; i <= RUNS; i++)); do
        /usr/bin/time -f '%U %S %e %M' -o "$DIR/time.out" \
            "$CXREC" decode --format html -o "$html" "$bin" 2>"$DIR/render.err" ||
            die "$name: cxrec decode --format html failed: $(tail -3 "$DIR/render.err")"
        cpu+=("$(awk '{ printf "%.2f %.2f %d", $1 + $2, $3, $4 }' "$DIR/time.out")")
        log "$name: render run $i: CPU s, wall s, peak KiB: ${cpu[-1]}"
    done
    # turns, request body bytes, trace bytes, page bytes, render CPU and
    # wall (medians), peak RSS
    printf '%s\n' "${cpu[@]}" | "$PY" -c '
import sys, statistics as st
rows = [l.split() for l in sys.stdin if l.strip()]
g = dict(zip(*[iter(open(sys.argv[1]).read().split())] * 2))
print(sys.argv[2], g["request_bodies"], g["trace_bytes"], sys.argv[3],
      "%.2f" % st.median(float(r[0]) for r in rows),
      "%.2f" % st.median(float(r[1]) for r in rows), max(int(r[2]) for r in rows))
' "$DIR/$name.gen" "$turns" "$(stat -c %s "$html")" >"$DIR/$name.facts"
}
page large "$TURNS"
page small "$SMALL"
printf '<!doctype html><html><head><meta charset="utf-8"><title>t</title></head><body><p>hello</p></body></html>\n' \
    >"$DIR/floor.html"

PAGES=(large small)
for v in ${VARIANTS//,/ }; do
    f=$DIR/v-$v.html
    log "variant $v"
    "$PY" "$HERE/html_variant.py" "$v" "$DIR/large.html" "$f" >"$DIR/v-$v.facts" ||
        die "html_variant.py $v failed"
    PAGES+=("v-$v")
done
PAGES+=(floor)

# ---- opening ----
PROXY=http://127.0.0.1:9
open_page() { # FILE [--breakdown]: one JSON line
    unshare -n sh -c 'ip link set lo up; exec "$@"' sh \
        env HTTPS_PROXY=$PROXY HTTP_PROXY=$PROXY ALL_PROXY=$PROXY \
        https_proxy=$PROXY http_proxy=$PROXY all_proxy=$PROXY \
        "$NODE" "$HERE/html_open.js" "$CHROMIUM" "$@" 2>>"$DIR/open.err"
}
STARTED=$(date -u '+%Y-%m-%d %H:%M UTC')
LOAD0=$(cut -d' ' -f1-3 /proc/loadavg)
for ((i = 1; i <= RUNS; i++)); do
    for p in "${PAGES[@]}"; do
        r=$(open_page "$DIR/$p.html")
        [ -n "$r" ] || r='{"error":"no output"}'
        printf '{"page":"%s","run":%d,"load":"%s","r":%s}\n' "$p" "$i" \
            "$(cut -d' ' -f1 /proc/loadavg)" "$r" >>"$RAW"
        log "$p run $i: $(printf '%s' "$r" | cut -c1-160)"
    done
done
if [ "$BREAKDOWN" = 1 ]; then
    for p in large v-noexchanges v-data_delta+cv; do
        [ -s "$DIR/$p.html" ] || continue
        r=$(open_page "$DIR/$p.html" --breakdown)
        printf '{"page":"%s","run":0,"r":%s}\n' "$p" "${r:-{\}}" >>"$RAW"
        log "$p traced: $(printf '%s' "$r" | cut -c1-160)"
    done
fi
LOAD1=$(cut -d' ' -f1-3 /proc/loadavg)

# ---- report ----
BIN=$(readlink -f "$CXREC")
"$PY" - "$DIR" "$RAW" "$STARTED" "$LOAD0" "$LOAD1" "$RUNS" "$TURN_BYTES" \
    "$SEED" "$BIN" "$("$CHROMIUM" --version 2>/dev/null)" \
    "$(git -C "$ROOT" log -1 --format=%h 2>/dev/null)" "${PAGES[@]}" >"$DIR/report.md" <<'EOF' ||
import json, os, statistics as st, sys
d, raw, started, load0, load1, runs, tb, seed, binp, chrome, head = sys.argv[1:12]
pages = sys.argv[12:]
rows = [json.loads(l) for l in open(raw) if l.strip()]
mb = lambda b: '%.1f' % (int(b) / 1e6)
def facts(n):
    return open(os.path.join(d, n + '.facts')).read().split()
def med(p, k):
    v = [r['r'][k] for r in rows if r['page'] == p and r['run'] > 0 and
         isinstance(r['r'].get(k), (int, float))]
    return (st.median(v), v) if v else (None, [])
def cell(p, k):
    m, v = med(p, k)
    return '—' if m is None else '%.0f' % m
L, S = facts('large'), facts('small')
print('cxrec HTML report open time, %s, %s, %d CPUs, load average %s before, %s after'
      % (started, os.uname().release, os.cpu_count(), load0, load1))
print()
print('- cxrec: `%s` (tree at %s), %s, seed %s, %s bytes a turn of history'
      % (binp, head, chrome, seed, tb))
print('- median of %s runs a page, interleaved; ms from navigation start' % runs)
print()
print('| page | turns | request bodies MB | trace MB | page MB | render CPU s | render wall s | render peak RSS MiB |')
print('|---|---:|---:|---:|---:|---:|---:|---:|')
for n, f in (('large', L), ('small', S)):
    print('| %s | %s | %s | %s | %s | %s | %s | %.0f |' % (n, f[0], mb(f[1]), mb(f[2]), mb(f[3]),
          f[4], f[5], int(f[6]) / 1024))
print()
print('| page | MB | load ms | load min–max | DCL ms | FCP ms | ready ms | open a body ms | search ms | decode data ms | errors |')
print('|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|')
for p in pages:
    path = os.path.join(d, p + '.html')
    errs = sum(1 for r in rows if r['page'] == p and 'error' in r['r'])
    _, v = med(p, 'load_ms')
    rng = '%.0f–%.0f' % (min(v), max(v)) if v else '—'
    print('| %s | %s | %s | %s | %s | %s | %s | %s | %s | %s | %d |' % (p, mb(os.path.getsize(path)),
          cell(p, 'load_ms'), rng, cell(p, 'dcl_ms'), cell(p, 'fcp_ms'), cell(p, 'ready_ms'),
          cell(p, 'open_body_ms'), cell(p, 'search_ms'), cell(p, 'data_ms'), errs))
print()
ml, _ = med('large', 'load_ms')
mr, _ = med('large', 'ready_ms')
ms, _ = med('small', 'load_ms')
if ml is not None:
    print('- target: %s turns, %s MB of request bodies, open in under 2 s: load %.0f ms, ready %.0f ms: %s'
          % (L[0], mb(L[1]), ml, mr, 'met' if mr < 2000 else '**not met**'))
if ml is not None and ms:
    print('- large / small (%s / %s turns): load %.1f x, page size %.1f x'
          % (L[0], S[0], ml / ms, int(L[3]) / int(S[3])))
for p in pages:
    if p.startswith('v-'):
        print('- %s: %s' % (p, open(os.path.join(d, p + '.facts')).read().strip()))
for r in rows:
    if r['run'] == 0 and 'breakdown' in r['r']:
        b = r['r']['breakdown']
        print('- %s, traced run (load %s ms, ready %s ms): main thread %s' % (r['page'],
              r['r'].get('load_ms'), r['r'].get('ready_ms'),
              ', '.join('%s %s' % (k, v) for k, v in list(b.items())[:16])))
print()
print('Raw (ms: load, FCP, ready; the 1-minute load average before the run):')
print()
for r in rows:
    x = r['r']
    print('    %s run %d: %s%s' % (r['page'], r['run'], x.get('error') or
          '%s %s %s' % (x.get('load_ms'), x.get('fcp_ms'), x.get('ready_ms')),
          ' (load average %s)' % r['load'] if 'load' in r else ''))
EOF
    die "the report failed"
cat "$DIR/report.md"
[ -n "$OUT" ] && cp "$DIR/report.md" "$OUT"
mkdir -p "$BUILD/results"
cp "$DIR/report.md" "$BUILD/results/html-open-$(date -u +%Y%m%d-%H%M%S).md"
exit 0
