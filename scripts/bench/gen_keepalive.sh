#!/usr/bin/env bash
# gen_keepalive.sh OUT [N [BYTES]]: a trace of issue 20's worst shape for
# decode, recorded by `cxrec relay`: ONE kept-alive connection carrying N
# exchanges (default 300), each a GET answered by BYTES of JSON (default
# 935000, as the issue's nginx body), from a local HTTP/1.1 server
# (Debian's python3) on loopback.  A long agent session has this shape:
# hundreds of turns on one connection.  Prints the trace's size and the
# largest body.  CXREC: the binary (default: the repo's build/cxrec).
set -euo pipefail
OUT=${1:?usage: gen_keepalive.sh OUT [N [BYTES]]}
N=${2:-300}
BYTES=${3:-935000}
HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
CXREC=${CXREC:-$HERE/../../build/cxrec}
DIR=$(mktemp -d /tmp/cxrec-keepalive.XXXXXX)
pids=()
trap 'kill "${pids[@]}" 2>/dev/null || true; rm -rf "$DIR"' EXIT
/usr/bin/python3 - "$DIR/big.json" "$BYTES" <<'PY'
import json, random, sys
random.seed(7)
items, n = [], 0
while n < int(sys.argv[2]):
    it = {"id": len(items), "name": "item-%d" % len(items),
          "text": "lorem ipsum dolor sit amet " * 3,
          "vals": [round(random.random(), 6) for _ in range(5)]}
    items.append(it)
    n += len(json.dumps(it)) + 2
open(sys.argv[1], "w").write(json.dumps({"object": "list", "data": items}))
PY
# HTTP/1.1, kept alive (http.server's default is 1.0: a connection a file)
(cd "$DIR" && exec /usr/bin/python3 -c 'import http.server as h
h.SimpleHTTPRequestHandler.protocol_version = "HTTP/1.1"
s = h.ThreadingHTTPServer(("127.0.0.1", 0), h.SimpleHTTPRequestHandler)
print("port %d" % s.server_address[1], flush=True)
s.serve_forever()' >"$DIR/server.out" 2>&1) &
pids+=($!)
sport=
for _ in $(seq 1 100); do
	sport=$(sed -n 's/^port \([0-9]*\)$/\1/p' "$DIR/server.out")
	[ -n "$sport" ] && break
	sleep 0.1
done
[ -n "$sport" ] || { echo "gen_keepalive.sh: the server did not start" >&2; exit 1; }
"$CXREC" relay --listen 127.0.0.1:0 --upstream "http://127.0.0.1:$sport" -o "$OUT" 2>"$DIR/relay.err" &
rpid=$!
pids+=($rpid)
rport=
for _ in $(seq 1 100); do
	rport=$(sed -n 's|.*listening on http://127.0.0.1:\([0-9]*\).*|\1|p' "$DIR/relay.err")
	[ -n "$rport" ] && break
	sleep 0.1
done
[ -n "$rport" ] || { echo "gen_keepalive.sh: the relay did not start: $(cat "$DIR/relay.err")" >&2; exit 1; }
args=()
for i in $(seq 1 "$N"); do args+=(-o /dev/null "http://127.0.0.1:$rport/big.json?turn=$i"); done
curl -sS "${args[@]}"
kill -INT "$rpid"
wait "$rpid"
grep -q " 1 connections, $N requests" "$DIR/relay.err" ||
	{ echo "gen_keepalive.sh: not one connection: $(tail -1 "$DIR/relay.err")" >&2; exit 1; }
echo "trace_bytes $(stat -c %s "$OUT") exchanges $N body_bytes $(stat -c %s "$DIR/big.json")"
