#!/usr/bin/env bash
# WebSocket per-message latency through the relay (issue 6), measured as
# the SSE latency is (docs/performance.md "What each number means"): the
# benchmark's own TLS server (build/bench_server, GET /ws) sends N text
# messages 2 ms apart, each stamped with CLOCK_MONOTONIC just before its
# write; build/bench_client takes the arrival of the read() that completed
# it minus the stamp.  Paths: direct (client to server over TLS) and
# through `cxrec relay` (plain WebSocket to the relay, TLS to the server,
# recording every byte), in interleaved runs (order alternating), each on
# a new connection, the first tenth of each run dropped.  The figure: the
# median over the runs of (relay run p50 - direct run p50).
# Target: within 20 µs.
#
# usage: scripts/bench/ws_bench.sh [--messages N] [--gap-us G] [--runs R]
# Environment: CXREC (default: <repo>/cxrec).
set -uo pipefail
HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
ROOT=$(cd "$HERE/../.." && pwd)
CXREC=${CXREC:-$ROOT/cxrec}
N=300 GAP=2000 RUNS=10
while [ $# -gt 0 ]; do
    case "$1" in
    --messages) N=${2:?}; shift ;;
    --gap-us) GAP=${2:?}; shift ;;
    --runs) RUNS=${2:?}; shift ;;
    -h | --help) sed -n '2,15p' "$0"; exit 0 ;;
    *) echo "ws_bench.sh: unknown option $1 (try --help)" >&2; exit 2 ;;
    esac
    shift
done
die() { echo "ws_bench.sh: $*" >&2; exit 1; }
make -s -C "$HERE" >&2 || die "cannot build the benchmark tools"
TMP=$(mktemp -d "${TMPDIR:-/tmp}/cxrec-ws-bench.XXXXXX") || die "mktemp"
PIDS=()
trap 'kill "${PIDS[@]}" 2>/dev/null; rm -rf "$TMP"' EXIT
free_port() { /usr/bin/python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }

cd "$TMP"
openssl req -x509 -newkey rsa:2048 -nodes -keyout ca.key -out ca.pem -days 1 \
    -subj /CN=cxrec-bench-ca 2>/dev/null || die "openssl"
openssl req -newkey rsa:2048 -nodes -keyout server.key -out server.csr -subj /CN=127.0.0.1 \
    2>/dev/null || die "openssl"
printf 'subjectAltName=IP:127.0.0.1\n' >ext
openssl x509 -req -in server.csr -CA ca.pem -CAkey ca.key -CAcreateserial -out server.pem \
    -days 1 -extfile ext 2>/dev/null || die "openssl"
SP=$(free_port) RP=$(free_port)
"$HERE/build/bench_server" --cert server.pem --key server.key --port "$SP" 2>server.err &
PIDS+=($!)
"$CXREC" relay --listen "127.0.0.1:$RP" --upstream "https://127.0.0.1:$SP" --cacert ca.pem \
    -o "$TMP/ws.bin" 2>relay.err &
PIDS+=($!)
for p in "$SP" "$RP"; do
    for _ in $(seq 50); do (exec 3<>/dev/tcp/127.0.0.1/$p) 2>/dev/null && break; sleep 0.1; done
done
direct() { "$HERE/build/bench_client" ws --port "$SP" --tls --cacert ca.pem --n "$N" --gap-us "$GAP" --raw "$1"; }
relay() { "$HERE/build/bench_client" ws --port "$RP" --n "$N" --gap-us "$GAP" --raw "$1"; }
direct /dev/null >/dev/null && relay /dev/null >/dev/null || die "warm-up run failed"
for ((i = 1; i <= RUNS; i++)); do
    if [ $((i % 2)) = 1 ]; then
        direct "direct.$i" >/dev/null && relay "relay.$i" >/dev/null
    else
        relay "relay.$i" >/dev/null && direct "direct.$i" >/dev/null
    fi || die "run $i failed"
done
/usr/bin/python3 - "$RUNS" "$N" "$GAP" <<'PY'
import statistics, sys
runs, n, gap = int(sys.argv[1]), int(sys.argv[2]), sys.argv[3]
def run(kind, i):
    return sorted(int(x) / 1000 for x in open("%s.%d" % (kind, i)) if x.strip())
def pct(v, p): return v[min(len(v) - 1, int(p / 100 * len(v)))]
d = [run("direct", i) for i in range(1, runs + 1)]
r = [run("relay", i) for i in range(1, runs + 1)]
print("| path | messages | p50 µs (median of runs) | p99 µs (median of runs) | p50 µs pooled |")
print("|---|---:|---:|---:|---:|")
for name, rs in (("direct (TLS)", d), ("through cxrec relay (recording)", r)):
    pooled = sorted(x for v in rs for x in v)
    print("| %s | %d | %.1f | %.1f | %.1f |" % (name, len(pooled),
          statistics.median(pct(v, 50) for v in rs),
          statistics.median(pct(v, 99) for v in rs), pct(pooled, 50)))
added = [pct(b, 50) - pct(a, 50) for a, b in zip(d, r)]
m = statistics.median(added)
print()
print("- added p50, median over the %d runs: %.1f µs (target: within 20 µs): %s"
      % (runs, m, "met" if m <= 20 else "**not met**"))
print("- each run's added p50 µs: " + ", ".join("%.1f" % x for x in added))
print("- %d runs a path of %d messages, %s µs apart; first tenth of each run dropped" % (runs, n, gap))
PY
echo "- trace: $(stat -c %s "$TMP/ws.bin") bytes recorded"
