#!/usr/bin/env bash
# Issue 20's measures, each against its references, one after another:
#   decode-codex      decode_bench.sh: every format on the 1 GiB codex-like
#                     trace, and mitmdump -nr on the same exchanges
#   decode-keepalive  decode_bench.sh --keepalive: every format on one
#                     connection of 300 x 935 KB
#   relay-cpu         relay_cpu.sh: the relay's CPU s/GiB against socat's
#   preload           preload_bench.sh: curl's own CPU and wrk's rate, bare
#                     and recorded
#   latency           run.sh --latency: SSE events and WebSocket messages,
#                     direct, socat and cxrec
# Each report is printed; with --write it also replaces the block between
# `<!-- bench:NAME -->` and `<!-- /bench:NAME -->` in docs/performance.md
# (section "Issue 20: the figures"), headed by the exact command.
#
# usage: scripts/bench/all.sh [--quick] [--only NAME,...] [--write]
#   --quick   smaller runs of each (a smoke test of the benchmarks, not figures)
#   --only    a comma-separated subset of the names above
#   --write   put the reports into docs/performance.md
# Environment: CXREC (default <repo>/build/cxrec).  Loopback only.
set -uo pipefail
HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
ROOT=$(cd "$HERE/../.." && pwd)
export CXREC=${CXREC:-$ROOT/build/cxrec}
QUICK=0 WRITE=0
ONLY=decode-codex,decode-keepalive,relay-cpu,preload,latency
while [ $# -gt 0 ]; do
    case "$1" in
    --quick) QUICK=1 ;;
    --only) ONLY=${2:?}; shift ;;
    --write) WRITE=1 ;;
    -h | --help) sed -n '2,21p' "$0"; exit 0 ;;
    *) echo "all.sh: unknown option $1 (try --help)" >&2; exit 2 ;;
    esac
    shift
done
for n in ${ONLY//,/ }; do
    case "$n" in
    decode-codex | decode-keepalive | relay-cpu | preload | latency) ;;
    *) echo "all.sh: --only: no measure named $n (try --help)" >&2; exit 2 ;;
    esac
done
[ -x "$CXREC" ] || { echo "all.sh: $CXREC does not exist (make, or set CXREC=...)" >&2; exit 1; }

# The command of each measure, as it is run from the repository's root.
command_of() {
    if [ "$QUICK" = 1 ]; then
        case "$1" in
        decode-codex) echo "scripts/bench/decode_bench.sh --quick" ;;
        decode-keepalive) echo "scripts/bench/decode_bench.sh --keepalive --runs 1" ;;
        relay-cpu) echo "scripts/bench/relay_cpu.sh --runs 2 --mib 256" ;;
        preload) echo "scripts/bench/preload_bench.sh --rounds 2 --seconds 2 --size 268435456" ;;
        latency) echo "scripts/bench/run.sh --latency --rounds 2 --events 200" ;;
        esac
        return
    fi
    case "$1" in
    decode-codex) echo "scripts/bench/decode_bench.sh --ref-runs 3" ;;
    decode-keepalive) echo "scripts/bench/decode_bench.sh --keepalive --ref-runs 3" ;;
    relay-cpu) echo "scripts/bench/relay_cpu.sh --runs 5" ;;
    preload) echo "scripts/bench/preload_bench.sh --rounds 5" ;;
    latency) echo "scripts/bench/run.sh --latency --rounds 10 --events 1100" ;;
    esac
}

OUT=$(mktemp -d "${TMPDIR:-/tmp}/cxrec-bench-all.XXXXXX") || exit 1
trap 'rm -rf "$OUT"' EXIT
FAILED=()
cd "$ROOT" || exit 1
for n in ${ONLY//,/ }; do
    cmd=$(command_of "$n")
    echo "[all.sh $(date -u +%H:%M:%S)] $n: $cmd" >&2
    # --out: each script writes its Markdown report there
    if $cmd --out "$OUT/$n.md" >"$OUT/$n.log" 2>&1 && [ -s "$OUT/$n.md" ]; then
        :
    else
        FAILED+=("$n")
        echo "[all.sh] $n failed or missed a target (its last lines):" >&2
        tail -5 "$OUT/$n.log" >&2
    fi
    [ -s "$OUT/$n.md" ] || continue
    {
        echo "\`$cmd\` ($(date -u '+%Y-%m-%d %H:%M UTC'), tree $(git log -1 --format=%h))"
        echo
        # the scripts' own headings become bold lines: the section's are ours
        sed 's/^#\{1,6\} \(.*\)$/**\1**/' "$OUT/$n.md"
    } >"$OUT/$n.block"
    cat "$OUT/$n.block"
    echo
done

if [ "$WRITE" = 1 ]; then
    /usr/bin/python3 - "$ROOT/docs/performance.md" "$OUT" ${ONLY//,/ } <<'PY' || exit 1
import os, re, sys
path, out, names = sys.argv[1], sys.argv[2], sys.argv[3:]
doc = open(path, encoding="utf-8").read()
head = "## Issue 20: the figures"
if head not in doc:
    doc = doc.rstrip("\n") + "\n\n" + head + "\n\n" + \
        "Written by `scripts/bench/all.sh --write`; each block is one measure's " \
        "report, headed by the command that gave it.\n"
for n in names:
    block = os.path.join(out, n + ".block")
    if not os.path.exists(block):
        continue
    text = open(block, encoding="utf-8").read().rstrip("\n")
    start, end = "<!-- bench:%s -->" % n, "<!-- /bench:%s -->" % n
    new = "%s\n%s\n%s" % (start, text, end)
    pat = re.compile(re.escape(start) + ".*?" + re.escape(end), re.S)
    if pat.search(doc):
        doc = pat.sub(lambda m: new, doc)
    else:
        doc = doc.rstrip("\n") + "\n\n### " + n + "\n\n" + new + "\n"
open(path + ".tmp", "w", encoding="utf-8").write(doc)
os.replace(path + ".tmp", path)
PY
    echo "[all.sh] docs/performance.md: $ONLY written" >&2
fi
[ ${#FAILED[@]} -eq 0 ] || { echo "[all.sh] not clean: ${FAILED[*]}" >&2; exit 1; }
