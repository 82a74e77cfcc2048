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
# usage: scripts/bench/preload_bench.sh [--rounds R] [--seconds S] [--size BYTES]
#        [--curl-only]
# Environment: CXREC (default: <repo>/cxrec); CXREC_RUN_ARGS (more options
# for `cxrec run`, e.g. to compare its ways of recording).
set -uo pipefail
HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
ROOT=$(cd "$HERE/../.." && pwd)
CXREC=${CXREC:-$ROOT/cxrec}
ROUNDS=5 SECS=5 SIZE=$((1 << 30)) CURL_ONLY=0
read -r -a RUNARGS <<<"${CXREC_RUN_ARGS:-}"
while [ $# -gt 0 ]; do
    case "$1" in
    --rounds) ROUNDS=${2:?}; shift ;;
    --seconds) SECS=${2:?}; shift ;;
    --size) SIZE=${2:?}; shift ;;
    --curl-only) CURL_ONLY=1 ;;
    -h | --help) sed -n '2,19p' "$0"; exit 0 ;;
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
# CPU seconds (user+sys) of the client process, as /usr/bin/time wrote them.
cpu() { awk 'END { printf "%.3f", $1 + $2 }' "$1"; }
TIMEF='%U %S'
CURL=(curl -sk -o /dev/null -w '%{speed_download}\n' "https://127.0.0.1:$TP/big")
declare -a wb wp cb cp cub cup
wtrace=0 wex=0
for ((i = 1; i <= ROUNDS; i++)); do
    if [ "$CURL_ONLY" = 0 ]; then
        wrk -t1 -c8 -d"${SECS}s" "http://127.0.0.1:$HP/page" >"$TMP/w.bare" 2>&1 || die "wrk failed"
        rm -f "$TMP/w.bin"
        "$CXREC" run --bpf off "${RUNARGS[@]}" -o "$TMP/w.bin" -- wrk -t1 -c8 -d"${SECS}s" \
            "http://127.0.0.1:$HP/page" >"$TMP/w.pre" 2>"$TMP/w.err" ||
            die "wrk under cxrec failed: $(cat "$TMP/w.err")"
        wb+=("$(rps "$TMP/w.bare")") wp+=("$(rps "$TMP/w.pre")")
        wtrace=$(stat -c %s "$TMP/w.bin")
    fi
    # Bare and under the preload in turn, the order alternating by round.
    ways="bare pre"
    [ $((i % 2)) = 0 ] && ways="pre bare"
    for way in $ways; do
        if [ "$way" = bare ]; then
            /usr/bin/time -f "$TIMEF" -o "$TMP/c.bare.t" "${CURL[@]}" >"$TMP/c.bare" ||
                die "curl failed"
            cb+=("$(cat "$TMP/c.bare")") cub+=("$(cpu "$TMP/c.bare.t")")
        else
            rm -f "$TMP/c.bin"
            "$CXREC" run --bpf off "${RUNARGS[@]}" -o "$TMP/c.bin" -- /usr/bin/time -f "$TIMEF" \
                -o "$TMP/c.pre.t" "${CURL[@]}" >"$TMP/c.pre" 2>"$TMP/c.err" ||
                die "curl under cxrec failed: $(cat "$TMP/c.err")"
            cp+=("$(cat "$TMP/c.pre")") cup+=("$(cpu "$TMP/c.pre.t")")
            ctrace=$(stat -c %s "$TMP/c.bin")
        fi
    done
    [ "$CURL_ONLY" = 0 ] && echo "round $i: wrk ${wb[-1]} vs ${wp[-1]} req/s" >&2
    echo "round $i: curl ${cb[-1]} vs ${cp[-1]} B/s, CPU ${cub[-1]} vs ${cup[-1]} s" >&2
done
# What the last runs recorded.
[ "$CURL_ONLY" = 0 ] && wex=$("$CXREC" decode -f jsonl "$TMP/w.bin" | wc -l)
cbody=$("$CXREC" decode -f jsonl "$TMP/c.bin" | /usr/bin/python3 -c 'import json,sys; x=[json.loads(l) for l in sys.stdin]; print(sum(e["response"]["body_bytes"] for e in x if e["response"]))')
median() { printf '%s\n' "$@" | sort -g | awk '{ v[NR] = $1 } END { print (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2 }'; }
mwb=$(median "${wb[@]:-0}") mwp=$(median "${wp[@]:-0}") mcb=$(median "${cb[@]}") mcp=$(median "${cp[@]}")
mub=$(median "${cub[@]}") mup=$(median "${cup[@]}")
gib() { awk -v c="$1" -v n="$SIZE" 'BEGIN { printf "%.3f", c * 1073741824 / n }'; }
range() { printf '%s\n' "$@" | sort -g | sed -n '1p;$p' | paste -sd- -; }
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.3f", (b > 0 ? a / b : 0) }'; }
echo "preload overhead, $(date -u '+%Y-%m-%d %H:%M UTC'), $(uname -sr), $(nproc) CPUs, nginx $(nginx -v 2>&1 | sed 's/.*\///'); $ROUNDS rounds, medians"
echo
echo "| client | bare | under cxrec run (preload) | ratio | target |"
echo "|---|---:|---:|---:|---|"
[ "$CURL_ONLY" = 0 ] && echo "| wrk -t1 -c8 -d${SECS}s, 1 KiB page, req/s | $mwb | $mwp | $(ratio "$mwp" "$mwb") | ≥ 0.95 |"
echo "| curl, $SIZE bytes over TLS, MB/s | $(awk -v v="$mcb" 'BEGIN { printf "%.0f", v / 1e6 }') | $(awk -v v="$mcp" 'BEGIN { printf "%.0f", v / 1e6 }') | $(ratio "$mcp" "$mcb") | ≥ 0.8 |"
echo "| curl's own CPU s per GiB (user+sys), over TLS | $(gib "$mub") | $(gib "$mup") | $(ratio "$mup" "$mub") (+$(awk -v a="$mup" -v b="$mub" 'BEGIN { printf "%.0f", (a / b - 1) * 100 }')%) | ≤ 1.15 |"
echo
echo "- last wrk run under cxrec: $wex exchanges decoded, trace $wtrace bytes"
echo "- last curl run under cxrec: response body of $cbody bytes decoded from the plaintext, trace $ctrace bytes"
echo "- rounds: wrk bare ${wb[*]:-}; wrk preload ${wp[*]:-}; curl bare ${cb[*]}; curl preload ${cp[*]}"
echo "- curl CPU s (user+sys) per run: bare ${cub[*]} (range $(range "${cub[@]}")); preload ${cup[*]} (range $(range "${cup[@]}"))${RUNARGS[*]:+; cxrec run ${RUNARGS[*]}}"
