#!/usr/bin/env bash
# The preload's overhead (issue 5): two real clients against Debian's
# nginx on loopback, bare and under `cxrec run --bpf off` (the preload in
# the client, recording every byte), in interleaved rounds:
#  - wrk (plain HTTP, keep-alive, a 1 KiB page): requests/s ratio, target
#    at least 0.9;
#  - curl downloading 1 GiB over TLS (plaintext captured through OpenSSL):
#    throughput ratio, target at least 0.8; and (issue 20) curl's OWN CPU
#    seconds per GiB (user+sys of the curl process, from /usr/bin/time,
#    which waits for it), target at most +15% over bare.
# Medians of the rounds, with each round's figures.  Needs nginx, wrk,
# curl, /usr/bin/time (scripts/deps.sh bench).
#
# The ratios are the medians of each round's own ratio (the ways of a
# round run one after another, so a round's ratio compares like with like
# on a machine whose speed drifts), with their range.
#
# usage: scripts/bench/preload_bench.sh [--rounds R] [--seconds S] [--size BYTES]
#        [--curl-only] [--out FILE]
#   --out FILE   also write the Markdown report to FILE (scripts/bench/all.sh)
# Environment: CXREC (default: <repo>/cxrec); CXREC_RUN_ARGS (more options
# for `cxrec run`, e.g. to compare its ways of recording).
set -uo pipefail
HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
ROOT=$(cd "$HERE/../.." && pwd)
CXREC=${CXREC:-$ROOT/cxrec}
ROUNDS=5 SECS=5 SIZE=$((1 << 30)) CURL_ONLY=0 OUTF=
read -r -a RUNARGS <<<"${CXREC_RUN_ARGS:-}"
while [ $# -gt 0 ]; do
    case "$1" in
    --rounds) ROUNDS=${2:?}; shift ;;
    --seconds) SECS=${2:?}; shift ;;
    --size) SIZE=${2:?}; shift ;;
    --curl-only) CURL_ONLY=1 ;;
    --out) OUTF=${2:?}; shift ;;
    -h | --help) sed -n '2,24p' "$0"; exit 0 ;;
    *) echo "preload_bench.sh: unknown option $1 (try --help)" >&2; exit 2 ;;
    esac
    shift
done
die() { echo "preload_bench.sh: $*" >&2; exit 1; }
[ -x /usr/bin/time ] || die "/usr/bin/time not found (apt-get install time)"
for t in nginx wrk curl openssl; do
    command -v "$t" >/dev/null || die "$t not found (scripts/deps.sh bench)"
done
TMP=$(mktemp -d "${TMPDIR:-/tmp}/cxrec-preload-bench.XXXXXX") || die "mktemp"
NGINX_PID=""
cleanup() { [ -n "$NGINX_PID" ] && kill "$NGINX_PID" 2>/dev/null; rm -rf "$TMP"; }
trap cleanup EXIT
free_port() { /usr/bin/python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }

# nginx: one worker, no logs; a 1 KiB page over HTTP, SIZE bytes over TLS.
HP=$(free_port) TP=$(free_port)
mkdir -p "$TMP/www" "$TMP/logs"
chmod 755 "$TMP" "$TMP/www"     # nginx's worker runs as nobody
head -c 1024 /dev/zero | tr '\0' x >"$TMP/www/page"
truncate -s "$SIZE" "$TMP/www/big"
chmod 644 "$TMP/www/page" "$TMP/www/big"
cat "$TMP/www/big" >/dev/null
openssl req -x509 -newkey rsa:2048 -nodes -keyout "$TMP/key.pem" -out "$TMP/cert.pem" \
    -days 1 -subj /CN=127.0.0.1 -addext subjectAltName=IP:127.0.0.1 2>/dev/null ||
    die "openssl req failed"
cat >"$TMP/nginx.conf" <<CONF
worker_processes 1;
daemon off;
pid $TMP/nginx.pid;
error_log $TMP/logs/error.log;
events { worker_connections 1024; }
http {
    access_log off;
    sendfile on;
    keepalive_requests 1000000;
    client_body_temp_path $TMP/logs; proxy_temp_path $TMP/logs;
    fastcgi_temp_path $TMP/logs; uwsgi_temp_path $TMP/logs; scgi_temp_path $TMP/logs;
    server { listen 127.0.0.1:$HP; root $TMP/www; }
    server {
        listen 127.0.0.1:$TP ssl;
        ssl_certificate $TMP/cert.pem; ssl_certificate_key $TMP/key.pem;
        root $TMP/www;
    }
}
CONF
nginx -c "$TMP/nginx.conf" -p "$TMP" &
NGINX_PID=$!
for _ in $(seq 50); do (exec 3<>/dev/tcp/127.0.0.1/$TP) 2>/dev/null && break; sleep 0.1; done

rps() { sed -n 's/^Requests\/sec: *\([0-9.]*\)$/\1/p' "$1"; }
# CPU seconds (user+sys) as /usr/bin/time wrote them (children waited for
# included: around cxrec run, cxrec and its command).
cpu() { awk 'END { printf "%.3f", $1 + $2 }' "$1"; }
TIMEF='%U %S'
CURL=(curl -sk -o /dev/null -w '%{speed_download}\n' "https://127.0.0.1:$TP/big")
WRK=(wrk -t1 -c8 -d"${SECS}s" "http://127.0.0.1:$HP/page")
# The ways: bare; under the preload handing frames to cxrec run's writer
# through a shared ring (the default); under the preload writing each
# frame from the hooked thread (CXREC_RING_SIZE=0, as before issue 20).
WAYS=(bare ring direct)
# Run "$@" one way; $1: the way, $2: a name for its files.
under() {
    local way=$1 name=$2
    shift 2
    case "$way" in
    bare) /usr/bin/time -f "$TIMEF" -o "$TMP/$name.t" "$@" ;;
    *)
        rm -f "$TMP/$name.bin"
        local sz=${CXREC_RING_SIZE:-}
        [ "$way" = direct ] && sz=0
        CXREC_RING_SIZE=$sz /usr/bin/time -f "$TIMEF" -o "$TMP/$name.all" \
            "$CXREC" run --bpf off "${RUNARGS[@]}" -o "$TMP/$name.bin" -- \
            /usr/bin/time -f "$TIMEF" -o "$TMP/$name.t" "$@" 2>"$TMP/$name.err" ||
            die "under cxrec run ($way) failed: $(cat "$TMP/$name.err")"
        ;;
    esac
}
declare -A wr cr cc cx
for w in "${WAYS[@]}"; do wr[$w]="" cr[$w]="" cc[$w]="" cx[$w]=""; done
for ((i = 1; i <= ROUNDS; i++)); do
    # The order rotates by round.
    order=()
    for ((k = 0; k < ${#WAYS[@]}; k++)); do order+=("${WAYS[(k + i) % ${#WAYS[@]}]}"); done
    for w in "${order[@]}"; do
        if [ "$CURL_ONLY" = 0 ]; then
            under "$w" "w.$w" "${WRK[@]}" >"$TMP/w.$w.out" || die "wrk failed"
            wr[$w]+=" $(rps "$TMP/w.$w.out")"
        fi
        under "$w" "c.$w" "${CURL[@]}" >"$TMP/c.$w.out" || die "curl failed"
        cr[$w]+=" $(cat "$TMP/c.$w.out")" cc[$w]+=" $(cpu "$TMP/c.$w.t")"
        # cxrec run's own CPU: all of it less curl's.
        [ "$w" != bare ] && cx[$w]+=" $(awk -v a="$(cpu "$TMP/c.$w.all")" -v b="$(cpu "$TMP/c.$w.t")" 'BEGIN { printf "%.3f", a - b }')"
    done
    line="round $i:"
    for w in "${WAYS[@]}"; do
        line+=" $w: curl $(echo ${cr[$w]} | awk '{ print $NF }') B/s, CPU $(echo ${cc[$w]} | awk '{ print $NF }') s"
        [ "$CURL_ONLY" = 0 ] && line+=", wrk $(echo ${wr[$w]} | awk '{ print $NF }') req/s"
        line+=";"
    done
    echo "$line" >&2
done
# What the last runs recorded.
check_trace() {
    local wex cbody
    [ "$CURL_ONLY" = 0 ] && wex=$("$CXREC" decode -f jsonl "$TMP/w.$1.bin" | wc -l)
    cbody=$("$CXREC" decode -f jsonl "$TMP/c.$1.bin" | /usr/bin/python3 -c 'import json,sys; x=[json.loads(l) for l in sys.stdin]; print(sum(e["response"]["body_bytes"] for e in x if e["response"]))')
    echo "- last runs under cxrec run ($1): curl's response body of $cbody bytes decoded from the plaintext, trace $(stat -c %s "$TMP/c.$1.bin") bytes${wex:+; wrk: $wex exchanges decoded, trace $(stat -c %s "$TMP/w.$1.bin") bytes}"
}
median() { printf '%s\n' "$@" | sort -g | awk '{ v[NR] = $1 } END { print (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2 }'; }
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.3f", (b > 0 ? a / b : 0) }'; }
gib() { awk -v c="$1" -v n="$SIZE" 'BEGIN { printf "%.3f", c * 1073741824 / n }'; }
range() { printf '%s\n' "$@" | sort -g | sed -n '1p;$p' | paste -sd- -; }
pct() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%+.0f%%", (a / b - 1) * 100 }'; }
# Each round's ratio of way $1 to bare for the list named $2 (wr or cc).
ratios() {
    local -a a b
    local r="" k
    eval "a=(\${$2[$1]}) b=(\${$2[bare]})"
    for ((k = 0; k < ${#b[@]}; k++)); do r+=" $(ratio "${a[k]}" "${b[k]}")"; done
    echo "$r"
}
# "median (min-max)" of the per-round ratios.
rstat() { echo "$(median $1) ($(range $1))"; }
# shellcheck disable=SC2086
{
mcb=$(median ${cr[bare]}) mcc=$(median ${cc[bare]})
echo "preload overhead, $(date -u '+%Y-%m-%d %H:%M UTC'), $(uname -sr), $(nproc) CPUs, nginx $(nginx -v 2>&1 | sed 's/.*\///'); $ROUNDS rounds, medians${RUNARGS[*]:+; cxrec run ${RUNARGS[*]}}"
echo
echo "| client | bare | preload, ring (default) | ratio, per round: median (range) | preload, direct writev | ratio, per round | target |"
echo "|---|---:|---:|---:|---:|---:|---|"
if [ "$CURL_ONLY" = 0 ]; then
    mwb=$(median ${wr[bare]}) mwr=$(median ${wr[ring]}) mwd=$(median ${wr[direct]})
    echo "| wrk -t1 -c8 -d${SECS}s, 1 KiB page, req/s | $mwb | $mwr | $(rstat "$(ratios ring wr)") | $mwd | $(rstat "$(ratios direct wr)") | ≥ 0.95 |"
fi
mcr=$(median ${cr[ring]}) mcd=$(median ${cr[direct]})
echo "| curl, $SIZE bytes over TLS, MB/s | $(awk -v v="$mcb" 'BEGIN { printf "%.0f", v / 1e6 }') | $(awk -v v="$mcr" 'BEGIN { printf "%.0f", v / 1e6 }') | $(ratio "$mcr" "$mcb") | $(awk -v v="$mcd" 'BEGIN { printf "%.0f", v / 1e6 }') | $(ratio "$mcd" "$mcb") | ≥ 0.8 |"
ccr=$(median ${cc[ring]}) ccd=$(median ${cc[direct]})
echo "| curl's own CPU s per GiB (user+sys) | $(gib "$mcc") | $(gib "$ccr") | $(rstat "$(ratios ring cc)") | $(gib "$ccd") | $(rstat "$(ratios direct cc)") | ≤ 1.15 |"
echo "| cxrec run's own CPU s per GiB (its drainer; all but curl's) | | $(gib "$(median ${cx[ring]})") | | $(gib "$(median ${cx[direct]})") | | |"
echo
wcol=""
[ "$CURL_ONLY" = 0 ] && wcol=", $(ratio "$mwr" "$mwb") for the wrk rate"
echo "Ratios of the columns' medians, ring to bare: $(ratio "$ccr" "$mcc") ($(pct "$ccr" "$mcc")) for the curl CPU$wcol."
echo
for w in ring direct; do check_trace "$w"; done
for w in "${WAYS[@]}"; do
    echo "- $w, per round: curl CPU s ${cc[$w]# } (range $(range ${cc[$w]})); curl B/s ${cr[$w]# }${cx[$w]:+; cxrec run (itself) CPU s ${cx[$w]# }}${wr[$w]:+; wrk req/s ${wr[$w]# }}"
done
} | if [ -n "$OUTF" ]; then tee "$OUTF"; else cat; fi
