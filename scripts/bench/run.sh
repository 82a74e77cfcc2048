#!/usr/bin/env bash
# cxrec relay benchmark: direct TLS vs socat vs nginx vs mitmdump vs cxrec.
# See docs/performance.md for what every number means.
#
# usage: scripts/bench/run.sh [--quick] [--only direct,socat,nginx,mitmdump,cxrec]
#                             [--rounds R] [--bulk-rounds R] [--keep] [--out FILE]
#                             [--no-wait-quiet] [--latency [--events N]]
#   --quick    smoke run: fewer SSE events, 256 MiB bulk bodies (~1-2 min)
#   --only     comma-separated subset of paths (direct is always measured:
#              the ratios are relative to it)
#   --rounds   SSE latency runs per path (default 10, --quick 4); runs are
#              interleaved across the paths (order rotated every round) so
#              that machine noise hits all of them alike
#   --bulk-rounds  bulk runs per path (default 3), interleaved likewise
#   --keep     keep the temporary directory (certs, configs, logs, trace)
#   --out      also write the Markdown report to FILE
#   --no-wait-quiet  do not wait for other work on the machine to calm down
#              before each measurement (by default: up to ~30 s each, until
#              the CPUs are <= 25% busy over 0.5 s)
#   --latency  latency only (issue 20, must-have 5): SSE events and WebSocket
#              messages through direct, socat and cxrec (or --only), no bulk
#              or concurrency runs; the report holds the pooled percentiles,
#              each round's differences and the targets (cxrec p50 <= socat
#              p50 + 5 us, cxrec p99 <= direct p99 + 50 us)
#   --events N events (SSE) and messages (WebSocket) per latency run
#              (default 300, --quick 200; the first min(100, N/10) of each
#              run are dropped as warm-up)
# Environment: CXREC (default: <repo>/cxrec), BENCH_TMPDIR (default /tmp).
#
# Everything listens on 127.0.0.1 only. Every process started here is stopped
# on exit (trap); every wait loop is bounded.
set -uo pipefail

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
ROOT=$(cd "$HERE/../.." && pwd)
BUILD=$HERE/build
CXREC=${CXREC:-$ROOT/cxrec}

QUICK=0
KEEP=0
ROUNDS=""
BULK_ROUNDS=3
ONLY="direct,socat,nginx,mitmdump,cxrec"
OUT=""
WAIT_QUIET=1
LATENCY=0
EVENTS=""
while [ $# -gt 0 ]; do
    case "$1" in
    --quick) QUICK=1 ;;
    --keep) KEEP=1 ;;
    --rounds) ROUNDS=${2:?}; shift ;;
    --bulk-rounds) BULK_ROUNDS=${2:?}; shift ;;
    --only) ONLY="direct,${2:?}"; shift ;;
    --out) OUT=${2:?}; shift ;;
    --no-wait-quiet) WAIT_QUIET=0 ;;
    --latency) LATENCY=1 ;;
    --events) EVENTS=${2:?}; shift ;;
    -h | --help) sed -n '2,31p' "$0"; exit 0 ;;
    *) echo "run.sh: unknown option $1 (try --help)" >&2; exit 2 ;;
    esac
    shift
done
[ -n "$ROUNDS" ] || { [ "$QUICK" = 1 ] && ROUNDS=4 || ROUNDS=10; }
[ "$LATENCY" = 1 ] && [ "$ONLY" = "direct,socat,nginx,mitmdump,cxrec" ] && ONLY="direct,socat,cxrec"
case "$EVENTS" in
'') ;;
*[!0-9]*) echo "run.sh: --events needs a number" >&2; exit 2 ;;
*) [ "$EVENTS" -ge 20 ] && [ "$EVENTS" -le 100000 ] || { echo "run.sh: --events must be 20..100000" >&2; exit 2; } ;;
esac
for v in "$ROUNDS" "$BULK_ROUNDS"; do
    case "$v" in '' | *[!0-9]*) echo "run.sh: --rounds/--bulk-rounds need a number" >&2; exit 2 ;; esac
    [ "$v" -ge 1 ] && [ "$v" -le 20 ] || { echo "run.sh: --rounds/--bulk-rounds must be 1..20" >&2; exit 2; }
done

# ---- workload sizes ----
if [ "$QUICK" = 1 ]; then
    SSE_N=200            # events per latency run
    BULK_BYTES=$((256 << 20))
else
    SSE_N=300
    BULK_BYTES=$((1 << 30))
fi
[ -n "$EVENTS" ] && SSE_N=$EVENTS
SSE_GAP_US=2000          # events 2 ms apart
CONC_CONNS=256
CONC_N=200
CONC_GAP_US=10000        # 256 streams x 100 events/s = 25,600 events/s in total
CLIENT_TIMEOUT=180       # seconds; bounds every single client run
WAIT_READY_S=30          # seconds to wait for a proxy to listen

log() { printf '[bench %s] %s\n' "$(date +%H:%M:%S)" "$*" >&2; }
die() { log "ERROR: $*"; exit 1; }
want() { case ",$ONLY," in *",$1,"*) return 0 ;; *) return 1 ;; esac; }

# ---- build ----
make -s -C "$HERE" >&2 || die "building the bench tools failed"
SERVER=$BUILD/bench_server
CLIENT=$BUILD/bench_client

# 256 streams need ~520 descriptors in a proxy; raise the soft limit as far as
# the hard limit allows (children inherit it).
ulimit -Sn "$(ulimit -Hn)" 2>/dev/null || true

TMP=$(mktemp -d "${BENCH_TMPDIR:-/tmp}/cxrec-bench.XXXXXX") || die "mktemp failed"
RESDIR=$BUILD/results/$(date +%Y%m%d-%H%M%S)
mkdir -p "$RESDIR" || die "cannot create $RESDIR"
RAW=$RESDIR/raw.txt
: >"$RAW"

# ---- process management ----
declare -A PID=()    # path -> pid (session leader: started with setsid)
ALL_PIDS=()

start_bg() { # start_bg LOGPREFIX CMD... ; sets STARTED_PID
    local logp=$1; shift
    setsid "$@" >"$logp.out" 2>"$logp.err" </dev/null &
    STARTED_PID=$!
    ALL_PIDS+=("$STARTED_PID")
}

stop_pid() { # stop a process and its whole session (nginx workers, socat children)
    local p=$1 i
    [ -n "$p" ] || return 0
    kill -TERM -- "-$p" 2>/dev/null || kill -TERM "$p" 2>/dev/null || return 0
    for i in $(seq 1 30); do
        kill -0 "$p" 2>/dev/null || break
        sleep 0.1
    done
    kill -KILL -- "-$p" 2>/dev/null || kill -KILL "$p" 2>/dev/null || true
    wait "$p" 2>/dev/null || true
}

cleanup() {
    local p
    [ -n "${CUR_CLIENT:-}" ] && { kill -TERM "$CUR_CLIENT" 2>/dev/null; wait "$CUR_CLIENT" 2>/dev/null; }
    for p in "${ALL_PIDS[@]}"; do stop_pid "$p"; done
    if [ "$KEEP" = 1 ]; then
        log "kept temporary directory $TMP"
    else
        rm -rf "$TMP"
    fi
}
trap cleanup EXIT
trap 'log "interrupted"; exit 130' INT TERM HUP

listening() { ss -Hltn "sport = :$1" 2>/dev/null | grep -q .; }

declare -A USED_PORT=()
pick_port() { # prints a free loopback port
    local i p
    for i in $(seq 1 200); do
        p=$((20000 + RANDOM % 40000))
        [ -n "${USED_PORT[$p]:-}" ] && continue
        if ! listening "$p"; then
            USED_PORT[$p]=1
            echo "$p"
            return 0
        fi
    done
    return 1
}

wait_listen() { # wait_listen PORT PID NAME
    local i
    for i in $(seq 1 $((WAIT_READY_S * 10))); do
        kill -0 "$2" 2>/dev/null || { log "$3 exited during start-up"; return 1; }
        listening "$1" && return 0
        sleep 0.1
    done
    log "$3 not listening on port $1 after ${WAIT_READY_S}s"
    return 1
}

# ---- certificates (throwaway CA + server cert for IP 127.0.0.1) ----
gen_certs() {
    local d=$TMP/pki
    mkdir -p "$d"
    openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes \
        -keyout "$d/ca.key" -out "$d/ca.pem" -days 2 -subj "/CN=cxrec bench CA" \
        -addext "basicConstraints=critical,CA:TRUE" -addext "keyUsage=critical,keyCertSign,cRLSign" \
        >/dev/null 2>&1 || return 1
    openssl req -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes \
        -keyout "$d/server.key" -out "$d/server.csr" -subj "/CN=127.0.0.1" >/dev/null 2>&1 || return 1
    printf 'subjectAltName=IP:127.0.0.1\nbasicConstraints=CA:FALSE\nextendedKeyUsage=serverAuth\nkeyUsage=critical,digitalSignature\n' >"$d/ext.cnf"
    openssl x509 -req -in "$d/server.csr" -CA "$d/ca.pem" -CAkey "$d/ca.key" -CAcreateserial \
        -out "$d/server.pem" -days 2 -extfile "$d/ext.cnf" >/dev/null 2>&1 || return 1
}
gen_certs || die "certificate generation with the openssl CLI failed"
CA=$TMP/pki/ca.pem

# ---- upstream: bench_server ----
start_bg "$TMP/server" "$SERVER" --cert "$TMP/pki/server.pem" --key "$TMP/pki/server.key" --port 0
SERVER_PID=$STARTED_PID
S=""
for i in $(seq 1 100); do
    S=$(sed -n 's|^bench_server listening on https://127.0.0.1:\([0-9][0-9]*\)$|\1|p' "$TMP/server.err")
    [ -n "$S" ] && break
    kill -0 "$SERVER_PID" 2>/dev/null || break
    sleep 0.05
done
[ -n "$S" ] || die "bench_server did not start: $(tail -3 "$TMP/server.err")"
log "bench_server on 127.0.0.1:$S"

# ---- proxies ----
declare -A PORT=() SKIP=()
PATHS=(direct)
PORT[direct]=$S

start_socat() {
    command -v socat >/dev/null || { SKIP[socat]="socat not installed"; return 1; }
    local p; p=$(pick_port) || return 1
    # backlog=1024: socat's default listen backlog (5) would drop SYNs when
    # 256 clients connect at once.
    start_bg "$TMP/socat" socat "TCP-LISTEN:$p,fork,reuseaddr,bind=127.0.0.1,backlog=1024" \
        "OPENSSL:127.0.0.1:$S,cafile=$CA"
    PID[socat]=$STARTED_PID
    PORT[socat]=$p
    wait_listen "$p" "${PID[socat]}" socat
}

start_nginx() {
    command -v nginx >/dev/null || { SKIP[nginx]="nginx not installed"; return 1; }
    local p d=$TMP/nginx
    p=$(pick_port) || return 1
    mkdir -p "$d/logs" "$d/tmp"
    cat >"$d/nginx.conf" <<EOF
daemon off;
master_process on;
worker_processes auto;
pid $d/nginx.pid;
error_log $d/logs/error.log warn;
events { worker_connections 4096; }
http {
    access_log off;
    client_body_temp_path $d/tmp/body;
    proxy_temp_path $d/tmp/proxy;
    fastcgi_temp_path $d/tmp/fastcgi;
    uwsgi_temp_path $d/tmp/uwsgi;
    scgi_temp_path $d/tmp/scgi;
    upstream bench_upstream {
        server 127.0.0.1:$S;
        keepalive 64;
    }
    server {
        listen 127.0.0.1:$p backlog=4096;
        location / {
            proxy_pass https://bench_upstream;
            proxy_http_version 1.1;
            proxy_set_header Connection "";
            proxy_buffering off;
            proxy_request_buffering off;
            proxy_ssl_verify on;
            proxy_ssl_trusted_certificate $CA;
            proxy_ssl_name 127.0.0.1;
            proxy_ssl_session_reuse on;
            proxy_read_timeout 300s;
        }
    }
}
EOF
    # user directive is ignored when not started as root; as root nginx would
    # switch workers to nobody, which cannot read the temp dir: run as root.
    if [ "$(id -u)" = 0 ]; then sed -i '1i user root;' "$d/nginx.conf"; fi
    nginx -p "$d" -c "$d/nginx.conf" -t >"$d/test.log" 2>&1 || { SKIP[nginx]="nginx -t failed: $(tail -1 "$d/test.log")"; return 1; }
    start_bg "$TMP/nginx-run" nginx -p "$d" -c "$d/nginx.conf"
    PID[nginx]=$STARTED_PID
    PORT[nginx]=$p
    wait_listen "$p" "${PID[nginx]}" nginx
}

start_mitmdump() {
    command -v mitmdump >/dev/null || { SKIP[mitmdump]="mitmdump not installed"; return 1; }
    local p d=$TMP/mitm
    p=$(pick_port) || return 1
    mkdir -p "$d"
    # stream_large_bodies=1: stream every body (SSE events pass through as
    # they arrive instead of being buffered). confdir keeps mitmproxy's own CA
    # out of ~/.mitmproxy.
    start_bg "$TMP/mitmdump" env HOME="$d" mitmdump --mode "reverse:https://127.0.0.1:$S" \
        --listen-host 127.0.0.1 -p "$p" --set stream_large_bodies=1 --set ssl_insecure=true \
        --set confdir="$d" -q
    PID[mitmdump]=$STARTED_PID
    PORT[mitmdump]=$p
    wait_listen "$p" "${PID[mitmdump]}" mitmdump
}

start_cxrec() {
    [ -x "$CXREC" ] || { SKIP[cxrec]="$CXREC does not exist yet (build the relay, or set CXREC=...)"; return 1; }
    local p i
    p=$(pick_port) || return 1
    start_bg "$TMP/cxrec" "$CXREC" relay --listen "127.0.0.1:$p" --upstream "https://127.0.0.1:$S" \
        --cacert "$CA" -o "$TMP/trace.bin"
    PID[cxrec]=$STARTED_PID
    PORT[cxrec]=$p
    for i in $(seq 1 $((WAIT_READY_S * 20))); do
        grep -q "listening on http://127.0.0.1:$p" "$TMP/cxrec.err" 2>/dev/null && return 0
        kill -0 "${PID[cxrec]}" 2>/dev/null || { SKIP[cxrec]="cxrec relay exited at start-up: $(tail -2 "$TMP/cxrec.err" | tr '\n' ' ')"; return 1; }
        sleep 0.05
    done
    SKIP[cxrec]="cxrec relay did not print 'listening on http://127.0.0.1:$p' within ${WAIT_READY_S}s"
    return 1
}

for path in socat nginx mitmdump cxrec; do
    want "$path" || continue
    if "start_$path"; then
        PATHS+=("$path")
        log "$path on 127.0.0.1:${PORT[$path]} (pid ${PID[$path]})"
    else
        SKIP[$path]=${SKIP[$path]:-"$path failed to start (see $TMP/$path.err)"}
        log "skipping $path: ${SKIP[$path]}"
        [ -n "${PID[$path]:-}" ] && stop_pid "${PID[$path]}"
        unset "PID[$path]"
    fi
done

# ---- client runs ----
CUR_CLIENT=""
client() { # client PATH MODE ARGS...  -> sets $out to bench_client's stdout; raw copy in $RAW
    local path=$1 mode=$2; shift 2
    local tls=() rc
    [ "$path" = direct ] && tls=(--tls --cacert "$CA")
    # In the background + wait, so that a signal to this script is handled at
    # once (cleanup stops the client too).
    timeout -k 5 $((CLIENT_TIMEOUT + 30)) "$CLIENT" "$mode" --port "${PORT[$path]}" "${tls[@]}" \
        --timeout "$CLIENT_TIMEOUT" "$@" >"$TMP/client.out" 2>>"$RESDIR/client-$path.err" </dev/null &
    CUR_CLIENT=$!
    wait "$CUR_CLIENT"
    rc=$?
    CUR_CLIENT=""
    out=$(cat "$TMP/client.out")
    sed "s/^/$path: /" "$TMP/client.out" >>"$RAW"
    return $rc
}
kv() { sed -n "s/.* $2=\([^ ]*\).*/\1/p" <<<"$1" | tail -1; }
kverr() { sed -n 's/.* error="\(.*\)".*/\1/p' <<<"$1" | tail -1; }

alive() { # is the proxy for this path still running?
    [ "$1" = direct ] && return 0
    kill -0 "${PID[$1]}" 2>/dev/null
}

cpu_busy_pct() { # % of CPU time not idle over 0.5 s (all CPUs)
    local c u n s i w q sq st t1 i1 t2 i2
    read -r c u n s i w q sq st _ </proc/stat
    t1=$((u + n + s + i + w + q + sq + st)) i1=$((i + w))
    sleep 0.5
    read -r c u n s i w q sq st _ </proc/stat
    t2=$((u + n + s + i + w + q + sq + st)) i2=$((i + w))
    [ $((t2 - t1)) -gt 0 ] || { echo 0; return; }
    echo $((100 - 100 * (i2 - i1) / (t2 - t1)))
}
BUSY_N=0 BUSY_HI=0 BUSY_MAX=0
wait_quiet() { # wait_quiet LABEL: bounded wait until the machine is quiet
    local b=0 k
    if [ "$WAIT_QUIET" = 1 ]; then
        for k in $(seq 1 20); do
            b=$(cpu_busy_pct)
            [ "$b" -le 25 ] && break
            [ "$k" = 1 ] && log "  machine busy ($b% CPU from other work), waiting up to ~30 s"
            sleep 1
        done
        [ "$b" -le 25 ] || log "  still $b% busy; measuring $1 anyway"
    else
        b=$(cpu_busy_pct)
    fi
    BUSY_N=$((BUSY_N + 1))
    [ "$b" -gt 25 ] && BUSY_HI=$((BUSY_HI + 1))
    [ "$b" -gt "$BUSY_MAX" ] && BUSY_MAX=$b
    echo "BUSY $1 cpu_busy_pct=$b" >>"$RAW"
}

declare -A FAIL=()
note_fail() { FAIL[$1]="${FAIL[$1]:+${FAIL[$1]}; }$2"; log "$1: $2"; }

LOAD_BEFORE=$(cut -d' ' -f1-3 /proc/loadavg)

log "warm-up (one short SSE stream per path)"
for path in "${PATHS[@]}"; do
    client "$path" sse --n 60 --gap-us 1000 --warmup 10 || note_fail "$path" "warm-up failed"
done

# (a) SSE latency (and, with --latency, WebSocket): ROUNDS runs per path,
# interleaved over the paths.  Each run: new connection, SSE_N events,
# warm-up dropped by the client.  Headline p50/p99 = median over the runs
# (robust to a run hit by outside noise); pooled percentiles over all
# runs' events are in the raw lines and the latency report.
med() { tr ' ' '\n' | grep . | sort -g | awk '{ v[NR] = $1 } END { if (NR) printf "%.1f", NR % 2 ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2 }'; }
# Per KIND:PATH: each round's p50 and p99, their medians, pooled n/p50/p99/max.
declare -A R50=() R99=() P50=() P99=() PMAX=() NLAT=() PP50=() PP99=()
lat_runs() { # lat_runs KIND (sse or ws)
    local kind=$1 r k np path files n p50 p99 pmax key
    log "($kind) latency: $ROUNDS run(s) x $SSE_N, ${SSE_GAP_US} us apart, per path"
    for r in $(seq 1 "$ROUNDS"); do
        np=${#PATHS[@]}
        for k in $(seq 0 $((np - 1))); do
            path=${PATHS[$(((k + r - 1) % np))]}
            alive "$path" || continue
            # nginx's configuration here does not pass the Upgrade on
            [ "$kind" = ws ] && [ "$path" = nginx ] && continue
            wait_quiet "$kind$r-$path"
            client "$path" "$kind" --n "$SSE_N" --gap-us "$SSE_GAP_US" --raw "$TMP/lat-$kind-$path-$r.txt"
            key=$kind:$path
            if [ "$(kv "$out" ok)" = 1 ]; then
                R50[$key]="${R50[$key]:+${R50[$key]} }$(kv "$out" p50_us)"
                R99[$key]="${R99[$key]:+${R99[$key]} }$(kv "$out" p99_us)"
            else
                note_fail "$path" "$kind run $r: $(kverr "$out") $(tail -1 "$RESDIR/client-$path.err")"
                R50[$key]="${R50[$key]:+${R50[$key]} }-" R99[$key]="${R99[$key]:+${R99[$key]} }-"
            fi
        done
        log "  round $r done"
    done
    for path in "${PATHS[@]}"; do
        key=$kind:$path
        [ -n "${R50[$key]:-}" ] || continue
        P50[$key]=$(tr -d '-' <<<"${R50[$key]}" | med)
        P99[$key]=$(tr -d '-' <<<"${R99[$key]}" | med)
        files=("$TMP"/lat-"$kind"-"$path"-*.txt)
        read -r n p50 p99 pmax < <(cat "${files[@]}" 2>/dev/null | sort -n | awk '
            { v[NR] = $1 }
            END {
                if (NR == 0) { print 0, "", "", ""; exit }
                i50 = int(0.50 * (NR - 1) + 0.5) + 1; i99 = int(0.99 * (NR - 1) + 0.5) + 1
                printf "%d %.1f %.1f %.1f\n", NR, v[i50] / 1000, v[i99] / 1000, v[NR] / 1000
            }')
        NLAT[$key]=$n PP50[$key]=$p50 PP99[$key]=$p99 PMAX[$key]=$pmax
        echo "$path: $kind median_of_runs p50_us=${P50[$key]} p99_us=${P99[$key]}; pooled events=$n p50_us=$p50 p99_us=$p99 max_us=$pmax; per-run p50_us=${R50[$key]} p99_us=${R99[$key]}" >>"$RAW"
    done
}
lat_runs sse
[ "$LATENCY" = 1 ] && lat_runs ws

# (c) concurrency + memory: before the bulk runs, so that the proxies' peak
# memory (VmHWM) reflects SSE traffic only.
declare -A CONC_OK=() CONC_T=() CONC_RSS=() CONC_PSS=() CONC_LAT=()
[ "$LATENCY" = 1 ] || log "(c) $CONC_CONNS concurrent SSE streams x $CONC_N events, ${CONC_GAP_US} us apart, per path"
for path in "${PATHS[@]}"; do
    [ "$LATENCY" = 1 ] && break
    alive "$path" || continue
    rss=()
    [ "$path" != direct ] && rss=(--rss-pid "${PID[$path]}")
    wait_quiet "conc-$path"
    client "$path" concurrent --conns "$CONC_CONNS" --n "$CONC_N" --gap-us "$CONC_GAP_US" "${rss[@]}"
    c=$(kv "$out" complete)
    [ -n "$c" ] || { note_fail "$path" "concurrent run failed: $(tail -1 "$RESDIR/client-$path.err")"; continue; }
    CONC_OK[$path]="$c/$CONC_CONNS"
    CONC_T[$path]=$(kv "$out" wall_s)
    CONC_LAT[$path]="$(kv "$out" p50_us) / $(kv "$out" p99_us)"
    [ "$c" = "$CONC_CONNS" ] || note_fail "$path" "only $c of $CONC_CONNS streams complete: $(grep 'stream .* failed' "$RESDIR/client-$path.err" | tail -1)"
    if [ "$path" != direct ]; then
        CONC_RSS[$path]=$(awk -v k="$(kv "$out" rss_peak_kib)" 'BEGIN { printf "%.1f", k / 1024 }')
        CONC_PSS[$path]=$(awk -v k="$(kv "$out" pss_peak_kib)" 'BEGIN { printf "%.1f", k / 1024 }')
    fi
done

# (b) bulk throughput: BULK_ROUNDS rounds, one run per path per round,
# interleaved; median reported.
declare -A BULK_RUNS=()
[ "$LATENCY" = 1 ] && BULK_ROUNDS=0
[ "$LATENCY" = 1 ] || log "(b) bulk: $BULK_ROUNDS round(s) x $((BULK_BYTES >> 20)) MiB per path"
for r in $(seq 1 "$BULK_ROUNDS"); do
    for path in "${PATHS[@]}"; do
        alive "$path" || continue
        wait_quiet "bulk$r-$path"
        client "$path" bulk --bytes "$BULK_BYTES" --repeat 1
        g=$(kv "$out" median_gbps)
        if [ "$(kv "$out" ok)" = 1 ] && [ -n "$g" ]; then
            BULK_RUNS[$path]="${BULK_RUNS[$path]:+${BULK_RUNS[$path]} }$g"
        else
            note_fail "$path" "bulk round $r: $(kverr "$out")"
        fi
    done
    log "  round $r done"
done
declare -A BULK_MED=() BULK_BEST=()
for path in "${PATHS[@]}"; do
    [ -n "${BULK_RUNS[$path]:-}" ] || continue
    read -r med best < <(tr ' ' '\n' <<<"${BULK_RUNS[$path]}" | sort -g | awk '
        { v[NR] = $1 } END { m = NR % 2 ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2; printf "%.3f %.3f\n", m, v[NR] }')
    BULK_MED[$path]=$med BULK_BEST[$path]=$best
    echo "$path: BULK runs_gbps=${BULK_RUNS[$path]} median_gbps=$med best_gbps=$best" >>"$RAW"
done

LOAD_AFTER=$(cut -d' ' -f1-3 /proc/loadavg)
TRACE_BYTES=""
if [ -n "${PID[cxrec]:-}" ] && [ -f "$TMP/trace.bin" ]; then
    # The relay records every byte, so the trace must be at least as large as
    # everything relayed through it in this run.
    TRACE_BYTES=$(stat -c %s "$TMP/trace.bin")
    echo "cxrec: trace.bin size at end: $TRACE_BYTES bytes" >>"$RAW"
fi
for path in "${PATHS[@]}"; do
    [ "$path" = direct ] && continue
    alive "$path" || note_fail "$path" "process died during the run (see $TMP/$path.err)"
done

# ---- report ----
fmt() { [ -n "${1:-}" ] && printf '%s' "$1" || printf -- '—'; }
calc() { awk "BEGIN { printf \"$1\", $2 }"; }
added() { # added p50 vs direct
    [ -n "${P50[sse:$1]:-}" ] && [ -n "${P50[sse:direct]:-}" ] && calc "%.1f" "${P50[sse:$1]} - ${P50[sse:direct]}"
}
frac() { # throughput fraction of direct
    [ -n "${BULK_MED[$1]:-}" ] && [ -n "${BULK_MED[direct]:-}" ] && calc "%.2f" "${BULK_MED[$1]} / ${BULK_MED[direct]}"
}

report() {
    local mode="full"
    [ "$QUICK" = 1 ] && mode="quick"
    echo "## cxrec relay benchmark ($mode run, $(date -u '+%Y-%m-%d %H:%M UTC'))"
    echo
    echo "Machine: $(nproc) CPU(s), $(uname -r), load average before $LOAD_BEFORE, after $LOAD_AFTER." \
        "OpenSSL $(openssl version | cut -d' ' -f2)$(command -v nginx >/dev/null && echo ", $(nginx -v 2>&1 | sed 's|.*/||;s|^|nginx |')")$(command -v socat >/dev/null && echo ", socat $(socat -V 2>/dev/null | sed -n 's/^socat version \([^ ]*\).*/\1/p')")$(command -v mitmdump >/dev/null && echo ", mitmproxy $(mitmdump --version 2>/dev/null | sed -n 's/^Mitmproxy: *//p')")."
    echo
    echo "Workload: (a) $ROUNDS runs x $SSE_N SSE events ${SSE_GAP_US} us apart per path (first min(100, n/10) of each run dropped as warm-up), p50/p99 = median over the runs;" \
        "(b) $BULK_ROUNDS x $((BULK_BYTES >> 20)) MiB body, median; (c) $CONC_CONNS concurrent SSE streams x $CONC_N events ${CONC_GAP_US} us apart (ideal time $(calc "%.2f" "$CONC_GAP_US * ($CONC_N - 1) / 1e6") s)."
    echo "CPU busy from other work just before each measurement (0.5 s sample): max $BUSY_MAX%; $BUSY_HI of $BUSY_N measurements started above 25% (after waiting up to ~30 s for quiet)."
    echo
    echo "| path | p50 µs | p99 µs | added p50 µs | bulk GB/s | × direct | $CONC_CONNS streams complete | time s | p50/p99 µs under load | peak RSS MiB | peak PSS MiB |"
    echo "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|"
    local path
    for path in direct socat nginx mitmdump cxrec; do
        want "$path" || continue
        if [ -n "${SKIP[$path]:-}" ]; then
            echo "| $path | skipped: ${SKIP[$path]} | | | | | | | | | |"
            continue
        fi
        local add fr
        add=$(added "$path"); fr=$(frac "$path")
        [ "$path" = direct ] && add="0" && fr="1.00"
        echo "| $path | $(fmt "${P50[sse:$path]:-}") | $(fmt "${P99[sse:$path]:-}") | $(fmt "$add") | $(fmt "${BULK_MED[$path]:-}") | $(fmt "$fr") | $(fmt "${CONC_OK[$path]:-}") | $(fmt "${CONC_T[$path]:-}") | $(fmt "${CONC_LAT[$path]:-}") | $(fmt "${CONC_RSS[$path]:-}") | $(fmt "${CONC_PSS[$path]:-}") |"
    done
    echo
    echo "Raw: SSE p50 and p99 of each run (µs), pooled over all runs' events, and bulk GB/s of each run:"
    echo
    for path in "${PATHS[@]}"; do
        echo "- $path: p50 [${R50[sse:$path]:-}], p99 [${R99[sse:$path]:-}]; pooled $(fmt "${NLAT[sse:$path]:-}") events p50 $(fmt "${PP50[sse:$path]:-}") p99 $(fmt "${PP99[sse:$path]:-}") max $(fmt "${PMAX[sse:$path]:-}"); bulk [${BULK_RUNS[$path]:-}] (best $(fmt "${BULK_BEST[$path]:-}"))"
    done
    if [ ${#FAIL[@]} -gt 0 ]; then
        echo
        echo "Failures:"
        echo
        for path in "${!FAIL[@]}"; do echo "- $path: ${FAIL[$path]}"; done
    fi
    echo
    echo "Ratios:"
    echo
    for path in socat nginx mitmdump cxrec; do
        [ -n "$(added "$path")" ] || continue
        echo "- $path: adds $(added "$path") µs p50 over direct; throughput $(fmt "$(frac "$path")") × direct"
    done
    if [ -n "$(added cxrec)" ]; then
        local a ng mi
        a=$(added cxrec); ng=$(added nginx); mi=$(added mitmdump)
        echo
        echo "cxrec against the targets:"
        echo
        echo "- added p50 $a µs (target ≤ 25): $(calc "%s" "($a <= 25) ? \"PASS\" : \"FAIL\"")"
        [ -n "$ng" ] && echo "- added p50 / nginx's added p50 = $(calc "%.2f" "$a / $ng") (target ≤ 0.33): $(calc "%s" "($a <= $ng / 3) ? \"PASS\" : \"FAIL\"")"
        [ -n "$mi" ] && echo "- added p50 / mitmdump's added p50 = $(calc "%.2f" "$a / $mi") (target ≤ 0.33): $(calc "%s" "($a <= $mi / 3) ? \"PASS\" : \"FAIL\"")"
        [ -n "$(frac cxrec)" ] && echo "- throughput $(frac cxrec) × direct while recording (target ≥ 0.80): $(calc "%s" "($(frac cxrec) >= 0.8) ? \"PASS\" : \"FAIL\"")"
        [ -n "${CONC_RSS[cxrec]:-}" ] && echo "- peak RSS ${CONC_RSS[cxrec]} MiB at $CONC_CONNS streams (target < 64): $(calc "%s" "(${CONC_RSS[cxrec]} < 64) ? \"PASS\" : \"FAIL\"")"
        [ -n "${CONC_OK[cxrec]:-}" ] && echo "- streams complete: ${CONC_OK[cxrec]}"
        [ -n "$TRACE_BYTES" ] && echo "- trace file at the end: $TRACE_BYTES bytes (bulk bodies alone: $((BULK_BYTES * BULK_ROUNDS)))"
    fi
    echo
    echo "Raw client output: $RAW"
}

# The latency report (--latency): issue 20's targets, with the spread.
spread() { # spread "v1 v2 ...": min / median / max
    tr ' ' '\n' | grep -v '^-*$' | sort -g | awk '{ v[NR] = $1 } END {
        if (!NR) { print "—"; exit }
        m = NR % 2 ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2
        printf "%.1f / %.1f / %.1f", v[1], m, v[NR] }'
}
diffs() { # diffs "a1 a2 ..." "b1 b2 ...": each round's a - b
    paste -d' ' <(tr ' ' '\n' <<<"$1") <(tr ' ' '\n' <<<"$2") | awk '
        $1 != "-" && $2 != "-" && $1 != "" && $2 != "" { printf "%s%.1f", n++ ? " " : "", $1 - $2 }'
}
latency_report() {
    local kind path what a b d
    echo "## cxrec relay latency ($(date -u '+%Y-%m-%d %H:%M UTC'))"
    echo
    echo "Machine: $(nproc) CPU(s), $(uname -r), load average before $LOAD_BEFORE, after $LOAD_AFTER;" \
        "CPU busy from other work before each run: max $BUSY_MAX%, $BUSY_HI of $BUSY_N runs started above 25%."
    echo "Workload: $ROUNDS rounds; in each, one run per path (order rotated) of $SSE_N SSE events, then" \
        "(after every SSE round) of $SSE_N WebSocket messages, ${SSE_GAP_US} us apart, each on a new connection;" \
        "the first min(100, n/10) of each run dropped as warm-up."
    echo
    echo "| kind | path | events | p50 µs | p99 µs | max µs | p50 µs, runs: min / median / max | p99 µs, runs: min / median / max |"
    echo "|---|---|---:|---:|---:|---:|---:|---:|"
    for kind in sse ws; do
        for path in direct socat nginx mitmdump cxrec; do
            [ -n "${NLAT[$kind:$path]:-}" ] || continue
            echo "| $kind | $path | ${NLAT[$kind:$path]} | $(fmt "${PP50[$kind:$path]}") | $(fmt "${PP99[$kind:$path]}") | $(fmt "${PMAX[$kind:$path]}") | $(spread <<<"${R50[$kind:$path]}") | $(spread <<<"${R99[$kind:$path]}") |"
        done
    done
    echo
    echo "Targets (all events of a path pooled; the spread is over the rounds, each round's own difference):"
    echo
    for kind in sse ws; do
        what=SSE; [ "$kind" = ws ] && what=WebSocket
        if [ -n "${PP50[$kind:cxrec]:-}" ] && [ -n "${PP50[$kind:socat]:-}" ]; then
            a=${PP50[$kind:cxrec]} b=${PP50[$kind:socat]}
            d=$(calc "%.1f" "$a - $b")
            echo "- $what p50: cxrec $a µs, socat $b µs: cxrec − socat = $d µs (target ≤ 5): $(calc "%s" "($d <= 5) ? \"met\" : \"not met\""); rounds min / median / max: $(diffs "${R50[$kind:cxrec]}" "${R50[$kind:socat]}" | spread)"
        fi
        if [ -n "${PP99[$kind:cxrec]:-}" ] && [ -n "${PP99[$kind:direct]:-}" ]; then
            a=${PP99[$kind:cxrec]} b=${PP99[$kind:direct]}
            d=$(calc "%.1f" "$a - $b")
            echo "- $what p99: cxrec $a µs, direct $b µs: cxrec − direct = $d µs (target ≤ 50): $(calc "%s" "($d <= 50) ? \"met\" : \"not met\""); rounds min / median / max: $(diffs "${R99[$kind:cxrec]}" "${R99[$kind:direct]}" | spread)"
        fi
        if [ -n "${PP50[$kind:socat]:-}" ] && [ -n "${PP50[$kind:direct]:-}" ]; then
            echo "- $what, for scale: socat − direct at p50 = $(calc "%.1f" "${PP50[$kind:socat]} - ${PP50[$kind:direct]}") µs; rounds min / median / max: $(diffs "${R50[$kind:socat]}" "${R50[$kind:direct]}" | spread)"
        fi
    done
    if [ ${#FAIL[@]} -gt 0 ]; then
        echo
        echo "Failures:"
        echo
        for path in "${!FAIL[@]}"; do echo "- $path: ${FAIL[$path]}"; done
    fi
    echo
    echo "Raw client output: $RAW"
}
[ "$LATENCY" = 1 ] && report() { latency_report; }

report >"$RESDIR/report.md"
[ -n "$OUT" ] && cp "$RESDIR/report.md" "$OUT"
cat "$RESDIR/report.md"
[ ${#FAIL[@]} -eq 0 ]
