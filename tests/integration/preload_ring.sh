#!/usr/bin/env bash
# The preload's ring (issue 20, docs/preload.md): under `cxrec run` a
# recorded process hands its frames to cxrec run through a ring in shared
# memory.  Checked: the ring is taken and every byte of a download arrives;
# a process killed with -9 right after its exchange (what it put in the
# ring still reaches the trace); a forked child (a ring of its own); a
# ring refused (the frames written directly, said in the summary);
# CXREC_RING_SIZE=0 (no ring, every frame written directly); exec (a ring
# for each program); 3 MB through the smallest ring, every byte; small
# pieces written directly until a connection's first large one (order kept).
. "$(dirname "$0")/../lib/lib.sh"
. "$TESTS_DIR/lib/codex_env.sh"
gen_certs "$WORK/certs"
CXREC_NO_MOCK_TRAP=1 start_mock "$WORK/tls" --tls-cert "$WORK/certs/server.pem" --tls-key "$WORK/certs/server.key"
TLS_URL=$MOCK_URL
defer "kill $MOCK_PID"
CXREC_NO_MOCK_TRAP=1 start_mock "$WORK/plain"
PLAIN_URL=$MOCK_URL
defer "kill $MOCK_PID"
export CA="$WORK/certs/ca.pem" TLS_URL PLAIN_URL
cd "$WORK"
q() { jsonq "$WORK/t.jsonl" "$1"; }
run() {
    local out=$1 rc=0
    shift
    CXREC_DEBUG=1 "$CXREC" run --bpf off -o "$WORK/$out" -- "$@" >"$WORK/out.txt" 2>"$WORK/err.txt" || rc=$?
    [ "$rc" = 0 ] || { cat "$WORK/err.txt"; fail "cxrec run $* exited $rc"; }
    "$CXREC" decode -f jsonl "$WORK/$out" >"$WORK/t.jsonl"
}

# 1. curl over HTTPS: the ring is taken; the body arrives whole.
run t1.bin curl -s --cacert "$CA" -o "$WORK/body" "$TLS_URL/v1/models"
assert_contains "$(cat "$WORK/err.txt")" "ring of 8388608 bytes, drained by cxrec run" "curl's ring taken"
assert_eq "$(q 'len(x)')" 1 "one exchange"
assert_eq "$(q 'x[0]["response"]["body_bytes"]')" "$(stat -c %s "$WORK/body")" "the whole body"

# 2. Killed with -9 right after its exchange, before cxrec run's writer
# can have woken: the exchange is in the trace all the same.
cat >"$WORK/killed.py" <<'PY'
import os, signal, urllib.request
urllib.request.urlopen(os.environ["PLAIN_URL"] + "/v1/models?killed").read()
os.kill(os.getpid(), signal.SIGKILL)
PY
run t2.bin sh -c '/usr/bin/python3 "$0"; [ $? = 137 ]' "$WORK/killed.py"
assert_eq "$(q '[url(e) for e in x]')" "['/v1/models?killed']" "a killed process's exchange"
assert_eq "$(q 'x[0]["response"]["status"]')" 200 "with its response"

# 3. fork: parent and child each record through a ring of their own.
run t3.bin /usr/bin/python3 -c '
import os, urllib.request
u = os.environ["PLAIN_URL"] + "/v1/models?"
urllib.request.urlopen(u + "parent1").read()
pid = os.fork()
if pid == 0:
    urllib.request.urlopen(u + "child").read()
    os._exit(0)
os.waitpid(pid, 0)
urllib.request.urlopen(u + "parent2").read()'
assert_eq "$(q 'sorted(url(e) for e in x)')" "['/v1/models?child', '/v1/models?parent1', '/v1/models?parent2']" "three exchanges"
assert_eq "$(q 'len(set(e["pid"] for e in x))')" 2 "two processes"
assert_eq "$(grep -c 'drained by cxrec run' "$WORK/err.txt")" 2 "a ring each"

# 4. A ring refused (no such socket): written directly, and said.
run t4.bin env CXREC_RING="$WORK/nowhere" curl -s --cacert "$CA" -o /dev/null "$TLS_URL/v1/models?direct"
assert_eq "$(q '[url(e) for e in x]')" "['/v1/models?direct']" "recorded without the ring"
assert_contains "$(cat "$WORK/err.txt")" "took no ring" "said in the summary"

# 5. CXREC_RING_SIZE=0: no ring at all.
CXREC_RING_SIZE=0 run t5.bin curl -s --cacert "$CA" -o /dev/null "$TLS_URL/v1/models?noring"
assert_eq "$(q '[url(e) for e in x]')" "['/v1/models?noring']" "recorded with no ring"
assert_not_contains "$(cat "$WORK/err.txt")" "ring" "none asked for"

# 6. exec: the ring goes with the old program; the new one makes its own.
run t6.bin /usr/bin/python3 -c '
import os, urllib.request
urllib.request.urlopen(os.environ["PLAIN_URL"] + "/v1/models?before").read()
os.execv("/usr/bin/curl", ["curl", "-s", "--cacert", os.environ["CA"], "-o", "/dev/null", os.environ["TLS_URL"] + "/v1/models?after"])'
assert_eq "$(q '[url(e) for e in x]')" "['/v1/models?before', '/v1/models?after']" "before and after exec"
assert_eq "$(q 'len(set(e["pid"] for e in x))')" 1 "one process"
assert_eq "$(grep -c 'drained by cxrec run' "$WORK/err.txt")" 2 "a ring each program"

# 7. Many laps of the smallest ring (3 MB over TLS through 256 KiB): every
# byte curl received is in the trace.
CXREC_RING_SIZE=262144 run t7.bin curl -s --cacert "$CA" -o "$WORK/big" "$TLS_URL/test/bytes?n=3000000"
assert_eq "$(stat -c %s "$WORK/big")" 3000000 "curl got it all"
assert_eq "$(q 'x[0]["response"]["body_bytes"]')" 3000000 "the trace has it all"
assert_contains "$(cat "$WORK/err.txt")" "ring of 262144 bytes" "through the small ring"
# 8. A connection's small pieces are written directly until its first
# large one (4 KiB or more) puts it on the ring for good: small, large,
# small answers on one kept-alive connection stay in order; a program
# that moves only small pieces takes no ring at all.
run t8.bin /usr/bin/python3 -c '
import http.client, os, urllib.parse
u = urllib.parse.urlsplit(os.environ["PLAIN_URL"])
c = http.client.HTTPConnection(u.hostname, u.port)
for n in (100, 300000, 200, 50):
    c.request("GET", "/test/bytes?n=%d" % n)
    r = c.getresponse()
    assert len(r.read()) == n'
assert_eq "$(q '[e["response"]["body_bytes"] for e in x]')" "[100, 300000, 200, 50]" "small, large, small: in order"
assert_eq "$(grep -c 'drained by cxrec run' "$WORK/err.txt")" 1 "the large answer took the ring"
run t9.bin curl -s -o /dev/null "$PLAIN_URL/test/bytes?n=100"
assert_eq "$(q '[e["response"]["body_bytes"] for e in x]')" "[100]" "small pieces only: recorded"
assert_not_contains "$(cat "$WORK/err.txt")" "drained by cxrec run" "without a ring"
