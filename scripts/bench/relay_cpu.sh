#!/usr/bin/env bash
# The relay's CPU seconds per GiB against socat's (issue 20, must-have 3).
# See docs/performance.md "Issue 20: the relay's CPU per GiB".
#
# usage: scripts/bench/relay_cpu.sh [--runs N] [--downloads D] [--mib M]
#                                   [--variant NAME=BINARY]... [--no-socat]
#                                   [--no-wait-quiet] [--keep] [--out FILE]
#   --runs N        runs (default 5); in each run every path is measured once,
#                   in an order rotated from run to run
#   --downloads D   downloads per path per run (default 2)
#   --mib M         size of the file nginx serves (default 1024)
#   --variant NAME=BINARY  also measure another cxrec build as path NAME
#                   (repeatable): candidates measured in the same runs
#   --no-socat      leave socat out (variants against cxrec only)
#   --no-wait-quiet do not wait for the machine to calm down before each
#                   measurement (by default: up to ~30 s, until the CPUs are
#                   <= 25% busy over 0.5 s)
#   --keep          keep the temporary directory
#   --out FILE      also write the Markdown report to FILE
# Environment: CXREC (default <repo>/cxrec), UNCHECKED (variants whose trace
# is not checked to hold every byte: experiments that record less), BENCH_TMPDIR (default /tmp:
# where the trace is written, as a user's would be), BENCH_SHM (default
# /dev/shm: where nginx's file is, so that reading it costs no disk).
#
# The workload: nginx serves the file over TLS on 127.0.0.1; curl fetches
# it over plain HTTP through each path, which forwards over TLS to nginx:
#   socat  TCP-LISTEN:P,fork  OPENSSL:127.0.0.1:N,cafile=CA  (a bare pipe of
#          the same shape: plain TCP in, TLS out, nothing recorded)
#   cxrec  cxrec relay --upstream https://127.0.0.1:N -o TRACE (every byte
#          recorded, a new trace every run)
# The figure: the relaying process's utime+stime+cutime+cstime
# (/proc/PID/stat fields 14-17, children included: socat forks a child per
# connection) from just before the downloads to after them, per GiB that
# curl received.  Everything listens on 127.0.0.1 only; every process
# started here is stopped on exit.
set -uo pipefail

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
ROOT=$(cd "$HERE/../.." && pwd)
CXREC=${CXREC:-$ROOT/cxrec}

RUNS=5
DOWNLOADS=2
MIB=1024
KEEP=0
OUT=""
WAIT_QUIET=1
SOCAT=1
VARIANTS=()
while [ $# -gt 0 ]; do
    case "$1" in
    --runs) RUNS=${2:?}; shift ;;
    --downloads) DOWNLOADS=${2:?}; shift ;;
    --mib) MIB=${2:?}; shift ;;
    --variant) VARIANTS+=("${2:?}"); shift ;;
    --no-socat) SOCAT=0 ;;
    --keep) KEEP=1 ;;
    --out) OUT=${2:?}; shift ;;
    --no-wait-quiet) WAIT_QUIET=0 ;;
    -h | --help) sed -n '2,35p' "$0"; exit 0 ;;
    *) echo "relay_cpu.sh: unknown option $1 (try --help)" >&2; exit 2 ;;
    esac
    shift
done
for v in "$RUNS" "$DOWNLOADS" "$MIB"; do
    case "$v" in '' | *[!0-9]*) echo "relay_cpu.sh: --runs/--downloads/--mib need a number" >&2; exit 2 ;; esac
done
[ "$RUNS" -ge 1 ] && [ "$RUNS" -le 50 ] || { echo "relay_cpu.sh: --runs must be 1..50" >&2; exit 2; }
[ "$DOWNLOADS" -ge 1 ] && [ "$DOWNLOADS" -le 20 ] || { echo "relay_cpu.sh: --downloads must be 1..20" >&2; exit 2; }
[ "$MIB" -ge 16 ] && [ "$MIB" -le 8192 ] || { echo "relay_cpu.sh: --mib must be 16..8192" >&2; exit 2; }

log() { printf '[relay_cpu %s] %s\n' "$(date +%H:%M:%S)" "$*" >&2; }
die() { log "ERROR: $*"; exit 1; }

for t in nginx socat curl openssl ss; do
    command -v "$t" >/dev/null || die "$t is not installed (scripts/deps.sh bench)"
done
[ -x "$CXREC" ] || die "$CXREC does not exist (make, or set CXREC=...)"

TMP=$(mktemp -d "${BENCH_TMPDIR:-/tmp}/cxrec-relaycpu.XXXXXX") || die "mktemp failed"
SHM=${BENCH_SHM:-/dev/shm}
[ -d "$SHM" ] && [ -w "$SHM" ] || SHM=$TMP
DATA=$(mktemp -d "$SHM/cxrec-relaycpu-data.XXXXXX") || die "mktemp in $SHM failed"
CLK=$(getconf CLK_TCK)

ALL_PIDS=()
CUR_PID=""
start_bg() { # start_bg LOGPREFIX CMD... ; sets STARTED_PID
    local logp=$1; shift
    setsid "$@" >"$logp.out" 2>"$logp.err" </dev/null &
    STARTED_PID=$!
    ALL_PIDS+=("$STARTED_PID")
}
stop_pid() { # the process and its session (nginx workers, socat children)
    local p=$1 i
    [ -n "$p" ] || return 0
    kill -TERM -- "-$p" 2>/dev/null || kill -TERM "$p" 2>/dev/null || return 0
    for i in $(seq 1 50); do
        kill -0 "$p" 2>/dev/null || break
        sleep 0.1
    done
    kill -KILL -- "-$p" 2>/dev/null || true
    wait "$p" 2>/dev/null || true
}
cleanup() {
    local p
    [ -n "$CUR_PID" ] && { kill -TERM "$CUR_PID" 2>/dev/null; wait "$CUR_PID" 2>/dev/null; }
    for p in "${ALL_PIDS[@]}"; do stop_pid "$p"; done
    rm -rf "$DATA"
    if [ "$KEEP" = 1 ]; then log "kept $TMP"; else rm -rf "$TMP"; fi
}
trap cleanup EXIT
trap 'log "interrupted"; exit 130' INT TERM HUP

listening() { ss -Hltn "sport = :$1" 2>/dev/null | grep -q .; }
pick_port() {
    local i p
    for i in $(seq 1 200); do
        p=$((20000 + RANDOM % 40000))
        listening "$p" || { echo "$p"; return 0; }
    done
    return 1
}
wait_listen() { # wait_listen PORT PID NAME
    local i
    for i in $(seq 1 300); do
        kill -0 "$2" 2>/dev/null || { log "$3 exited during start-up: $(tail -2 "$TMP/$3.err" 2>/dev/null)"; return 1; }
        listening "$1" && return 0
        sleep 0.1
    done
    log "$3 not listening on port $1 after 30 s"
    return 1
}

# ---- certificates, the file, nginx ----
d=$TMP/pki
mkdir -p "$d"
{
    openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes \
        -keyout "$d/ca.key" -out "$d/ca.pem" -days 2 -subj "/CN=cxrec bench CA" \
        -addext "basicConstraints=critical,CA:TRUE" -addext "keyUsage=critical,keyCertSign,cRLSign" &&
        openssl req -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes \
            -keyout "$d/server.key" -out "$d/server.csr" -subj "/CN=127.0.0.1" &&
        printf 'subjectAltName=IP:127.0.0.1\nbasicConstraints=CA:FALSE\nextendedKeyUsage=serverAuth\nkeyUsage=critical,digitalSignature\n' >"$d/ext.cnf" &&
        openssl x509 -req -in "$d/server.csr" -CA "$d/ca.pem" -CAkey "$d/ca.key" -CAcreateserial \
            -out "$d/server.pem" -days 2 -extfile "$d/ext.cnf"
} >/dev/null 2>&1 || die "certificate generation failed"
CA=$d/ca.pem

# Random bytes: nothing on the way can compress them.
head -c $((MIB << 20)) /dev/urandom >"$DATA/big.bin" || die "cannot write $DATA/big.bin"
BYTES=$((MIB << 20))

N=$(pick_port) || die "no free port"
mkdir -p "$TMP/nginx/logs" "$TMP/nginx/tmp"
cat >"$TMP/nginx/nginx.conf" <<EOF
daemon off;
master_process on;
worker_processes 1;
pid $TMP/nginx/nginx.pid;
error_log $TMP/nginx/logs/error.log warn;
events { worker_connections 256; }
http {
    log_format tls '\$ssl_protocol \$ssl_cipher \$status \$body_bytes_sent';
    access_log $TMP/nginx/logs/access.log tls;
    client_body_temp_path $TMP/nginx/tmp/body;
    proxy_temp_path $TMP/nginx/tmp/proxy;
    fastcgi_temp_path $TMP/nginx/tmp/fastcgi;
    uwsgi_temp_path $TMP/nginx/tmp/uwsgi;
    scgi_temp_path $TMP/nginx/tmp/scgi;
    sendfile on;
    server {
        listen 127.0.0.1:$N ssl;
        ssl_certificate $d/server.pem;
        ssl_certificate_key $d/server.key;
        root $DATA;
        keepalive_timeout 300s;
    }
}
EOF
[ "$(id -u)" = 0 ] && sed -i '1i user root;' "$TMP/nginx/nginx.conf"
nginx -p "$TMP/nginx" -c "$TMP/nginx/nginx.conf" -t >"$TMP/nginx-t.log" 2>&1 ||
    die "nginx -t failed: $(tail -1 "$TMP/nginx-t.log")"
start_bg "$TMP/nginx" nginx -p "$TMP/nginx" -c "$TMP/nginx/nginx.conf"
wait_listen "$N" "$STARTED_PID" nginx || die "nginx did not start"
log "nginx serving $MIB MiB over TLS on 127.0.0.1:$N"

# ---- the paths ----
PATHS=()
declare -A BIN=() PORT=() PID=()
[ "$SOCAT" = 1 ] && PATHS+=(socat)
PATHS+=(cxrec)
BIN[cxrec]=$CXREC
for v in "${VARIANTS[@]}"; do
    name=${v%%=*} bin=${v#*=}
    case "$name" in '' | *[!a-zA-Z0-9_-]* | socat | cxrec) die "bad variant name '$name'" ;; esac
    [ -x "$bin" ] || die "variant $name: $bin is not executable"
    PATHS+=("$name")
    BIN[$name]=$bin
done

start_path() { # start_path NAME RUN: a fresh process (and trace) for this run
    local name=$1 r=$2 p i
    p=$(pick_port) || return 1
    PORT[$name]=$p
    if [ "$name" = socat ]; then
        start_bg "$TMP/socat" socat "TCP-LISTEN:$p,fork,reuseaddr,bind=127.0.0.1" \
            "OPENSSL:127.0.0.1:$N,cafile=$CA"
        PID[$name]=$STARTED_PID
        wait_listen "$p" "$STARTED_PID" socat
        return
    fi
    rm -f "$TMP/trace-$name.bin"
    start_bg "$TMP/$name" "${BIN[$name]}" relay --listen "127.0.0.1:$p" \
        --upstream "https://127.0.0.1:$N" --cacert "$CA" -o "$TMP/trace-$name.bin"
    PID[$name]=$STARTED_PID
    for i in $(seq 1 600); do
        grep -q "listening on http://127.0.0.1:$p" "$TMP/$name.err" 2>/dev/null && return 0
        kill -0 "$STARTED_PID" 2>/dev/null || { log "$name exited: $(tail -2 "$TMP/$name.err")"; return 1; }
        sleep 0.05
    done
    return 1
}

cpu_ticks() { # utime stime cutime cstime of PID (fields 14-17)
    # The comm field (2) may hold spaces: cut after its closing parenthesis.
    local s
    s=$(cat "/proc/$1/stat" 2>/dev/null) || return 1
    s=${s##*) }
    set -- $s
    echo "${12} ${13} ${14} ${15}"
}

cpu_busy_pct() {
    local c u n s i w q sq st t1 i1 t2 i2
    read -r c u n s i w q sq st _ </proc/stat
    t1=$((u + n + s + i + w + q + sq + st)) i1=$((i + w))
    sleep 0.5
    read -r c u n s i w q sq st _ </proc/stat
    t2=$((u + n + s + i + w + q + sq + st)) i2=$((i + w))
    [ $((t2 - t1)) -gt 0 ] || { echo 0; return; }
    echo $((100 - 100 * (i2 - i1) / (t2 - t1)))
}
BUSY_MAX=0 BUSY_HI=0 BUSY_N=0
wait_quiet() {
    local b=0 k
    for k in $(seq 1 60); do
        b=$(cpu_busy_pct)
        [ "$WAIT_QUIET" = 1 ] || break
        [ "$b" -le 25 ] && break
        [ "$k" = 1 ] && log "  machine busy ($b%), waiting up to ~30 s"
    done
    BUSY_N=$((BUSY_N + 1))
    [ "$b" -gt 25 ] && BUSY_HI=$((BUSY_HI + 1))
    [ "$b" -gt "$BUSY_MAX" ] && BUSY_MAX=$b
    LAST_BUSY=$b
}

# One measurement: DOWNLOADS downloads through NAME; prints
# "s_per_gib user_s sys_s gib mb_per_s".
measure() {
    local name=$1 pid=${PID[$1]} a b k got total=0 t0 t1 i
    a=$(cpu_ticks "$pid") || return 1
    t0=$(date +%s.%N)
    for k in $(seq 1 "$DOWNLOADS"); do
        timeout -k 5 600 curl -sS --max-time 590 -o /dev/null -w '%{size_download}\n' \
            "http://127.0.0.1:${PORT[$name]}/big.bin" >"$TMP/curl.out" 2>>"$TMP/curl-$name.err" </dev/null &
        CUR_PID=$!
        wait "$CUR_PID" || { CUR_PID=""; log "$name: curl failed: $(tail -1 "$TMP/curl-$name.err")"; return 1; }
        CUR_PID=""
        got=$(cat "$TMP/curl.out")
        [ "$got" = "$BYTES" ] || { log "$name: curl got $got bytes, not $BYTES"; return 1; }
        total=$((total + got))
    done
    t1=$(date +%s.%N)
    # socat's child is counted once its parent has reaped it (cutime).
    for i in $(seq 1 100); do
        [ -z "$(ps -o pid= --ppid "$pid" 2>/dev/null)" ] && break
        sleep 0.05
    done
    b=$(cpu_ticks "$pid") || return 1
    awk -v a="$a" -v b="$b" -v clk="$CLK" -v n="$total" -v t0="$t0" -v t1="$t1" 'BEGIN {
        split(a, x, " "); split(b, y, " ")
        u = (y[1] - x[1] + y[3] - x[3]) / clk; s = (y[2] - x[2] + y[4] - x[4]) / clk
        g = n / 1073741824
        printf "%.3f %.2f %.2f %.2f %.0f\n", (u + s) / g, u, s, g, n / (t1 - t0) / 1e6 }'
}

RAW=$TMP/raw.txt
: >"$RAW"
declare -A RES=() RUSER=() RSYS=() RMBS=()
np=${#PATHS[@]}
log "paths: ${PATHS[*]}; $RUNS run(s) x $DOWNLOADS download(s) of $MIB MiB each"
for r in $(seq 1 "$RUNS"); do
    for k in $(seq 0 $((np - 1))); do
        name=${PATHS[$(((k + r - 1) % np))]}
        start_path "$name" "$r" || die "$name did not start"
        wait_quiet
        out=$(measure "$name") || die "$name: run $r failed"
        read -r spg us ss gib mbs <<<"$out"
        if [ "$name" != socat ] && ! case " ${UNCHECKED:-} " in *" $name "*) true ;; *) false ;; esac; then
            tb=$(stat -c %s "$TMP/trace-$name.bin" 2>/dev/null || echo 0)
            [ "$tb" -ge $((BYTES * DOWNLOADS)) ] ||
                die "$name: the trace has $tb bytes, fewer than the $((BYTES * DOWNLOADS)) relayed"
        fi
        stop_pid "${PID[$name]}"
        rm -f "$TMP/trace-$name.bin"
        RES[$name]="${RES[$name]:-} $spg" RUSER[$name]="${RUSER[$name]:-} $us"
        RSYS[$name]="${RSYS[$name]:-} $ss" RMBS[$name]="${RMBS[$name]:-} $mbs"
        echo "run $r $name s_per_gib=$spg user_s=$us sys_s=$ss gib=$gib mb_s=$mbs busy_before=$LAST_BUSY%" | tee -a "$RAW" >&2
    done
done

med() { tr ' ' '\n' | grep . | sort -g | awk '{ v[NR] = $1 } END { if (NR) printf "%.3f", NR % 2 ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2 }'; }
lo() { tr ' ' '\n' | grep . | sort -g | head -1; }
hi() { tr ' ' '\n' | grep . | sort -g | tail -1; }
nth() { tr ' ' '\n' | grep . | sed -n "$1p"; }

report() {
    local name i ref=""
    [ "$SOCAT" = 1 ] && ref=socat
    echo "### relay_cpu.sh: $(date -u '+%Y-%m-%d %H:%M UTC')"
    echo
    echo "$(nproc) CPUs, $(uname -r), OpenSSL $(openssl version | cut -d' ' -f2), $(nginx -v 2>&1 | sed 's|.*/|nginx |'), socat $(socat -V 2>/dev/null | sed -n 's/^socat version \([^ ]*\).*/\1/p'); TLS as nginx logged it: $(sort "$TMP/nginx/logs/access.log" | cut -d' ' -f1-2 | uniq -c | sort -rn | head -2 | awk '{ printf "%s%s %s (%d)", (NR > 1 ? ", " : ""), $2, $3, $1 }')."
    echo "$RUNS runs x $DOWNLOADS downloads of $MIB MiB per path; CPU busy from other work before a measurement: max $BUSY_MAX%, $BUSY_HI of $BUSY_N above 25%."
    echo
    printf '| run |'; for name in "${PATHS[@]}"; do printf ' %s s/GiB (user+sys) |' "$name"; done
    [ -n "$ref" ] && for name in "${PATHS[@]}"; do [ "$name" = socat ] || printf ' %s / socat |' "$name"; done
    echo
    printf '|---|'; for name in "${PATHS[@]}"; do printf -- '---:|'; done
    [ -n "$ref" ] && for name in "${PATHS[@]}"; do [ "$name" = socat ] || printf -- '---:|'; done
    echo
    for i in $(seq 1 "$RUNS"); do
        printf '| %d |' "$i"
        for name in "${PATHS[@]}"; do
            printf ' %s (%s+%s) |' "$(nth "$i" <<<"${RES[$name]}")" "$(nth "$i" <<<"${RUSER[$name]}")" "$(nth "$i" <<<"${RSYS[$name]}")"
        done
        if [ -n "$ref" ]; then
            for name in "${PATHS[@]}"; do
                [ "$name" = socat ] && continue
                printf ' %s |' "$(awk -v a="$(nth "$i" <<<"${RES[$name]}")" -v b="$(nth "$i" <<<"${RES[socat]}")" 'BEGIN { printf "%.2f", a / b }')"
            done
        fi
        echo
    done
    printf '| median |'
    for name in "${PATHS[@]}"; do printf ' **%s** (%s+%s) |' "$(med <<<"${RES[$name]}")" "$(med <<<"${RUSER[$name]}")" "$(med <<<"${RSYS[$name]}")"; done
    if [ -n "$ref" ]; then
        for name in "${PATHS[@]}"; do
            [ "$name" = socat ] && continue
            printf ' **%s** |' "$(awk -v a="$(med <<<"${RES[$name]}")" -v b="$(med <<<"${RES[socat]}")" 'BEGIN { printf "%.2f", a / b }')"
        done
    fi
    echo
    echo
    for name in "${PATHS[@]}"; do
        echo "- $name: median $(med <<<"${RES[$name]}") s/GiB, min $(lo <<<"${RES[$name]}"), max $(hi <<<"${RES[$name]}") (spread $(awk -v l="$(lo <<<"${RES[$name]}")" -v h="$(hi <<<"${RES[$name]}")" -v m="$(med <<<"${RES[$name]}")" 'BEGIN { printf "%.0f", 100 * (h - l) / m }')% of the median); MB/s per download, median $(med <<<"${RMBS[$name]}")"
    done
    if [ -n "$ref" ]; then
        for name in "${PATHS[@]}"; do
            [ "$name" = socat ] && continue
            local rs=""
            for i in $(seq 1 "$RUNS"); do
                rs="$rs $(awk -v a="$(nth "$i" <<<"${RES[$name]}")" -v b="$(nth "$i" <<<"${RES[socat]}")" 'BEGIN { printf "%.3f", a / b }')"
            done
            echo "- $name / socat: ratio of the medians $(awk -v a="$(med <<<"${RES[$name]}")" -v b="$(med <<<"${RES[socat]}")" 'BEGIN { printf "%.2f", a / b }'); per run$rs (median $(med <<<"$rs"), min $(lo <<<"$rs"), max $(hi <<<"$rs")); target <= 0.70"
        done
    fi
}
report >"$TMP/report.md"
[ -n "$OUT" ] && cp "$TMP/report.md" "$OUT"
cat "$TMP/report.md"
