#!/usr/bin/env bash
# The LD_PRELOAD recorder (issue 5), with real peers: Debian's curl and
# python3 fetching over HTTPS from the mock upstream through `cxrec run`
# (plaintext recovered from OpenSSL, each with its pid and comm, in one
# fork+exec chain), a multi-threaded client (every exchange once, each
# with its thread's tid), a program whose results and errno must not
# change, a program with no sockets (output identical), a process that
# cannot open the trace (it runs anyway; cxrec run says why), a static
# binary (said in the summary line), --no-preload, and a connection to the
# relay (recorded once, by the relay, named by the preload's open frame).
. "$(dirname "$0")/../lib/lib.sh"
. "$TESTS_DIR/lib/codex_env.sh"
: "${CXREC_PROGS:?CXREC_PROGS must name the directory of the tests/lib/progs binaries}"
PROGS=$CXREC_PROGS
LIB="$(dirname "$(readlink -f "$CXREC")")/libcxrec-preload.so"
[ -r "$LIB" ] || fail "no $LIB beside $CXREC"
gen_certs "$WORK/certs"
CXREC_NO_MOCK_TRAP=1 start_mock "$WORK/tls" --tls-cert "$WORK/certs/server.pem" --tls-key "$WORK/certs/server.key"
TLS_URL=$MOCK_URL TLS_PID=$MOCK_PID
defer "kill $TLS_PID"
CXREC_NO_MOCK_TRAP=1 start_mock "$WORK/plain"
PLAIN_PORT=$MOCK_PORT PLAIN_PID=$MOCK_PID
defer "kill $PLAIN_PID"
export CA="$WORK/certs/ca.pem" TLS_URL
cd "$WORK"

# 1. curl, then python3, over HTTPS, in one shell: plaintext, per process.
rc=0
"$CXREC" run --bpf off -o "$WORK/t1.bin" -- sh -c '
	curl -s --cacert "$CA" "$TLS_URL/v1/models?client=curl" >/dev/null &&
	/usr/bin/python3 -c "
import os, ssl, urllib.request
ctx = ssl.create_default_context(cafile=os.environ[\"CA\"])
urllib.request.urlopen(os.environ[\"TLS_URL\"] + \"/v1/models?client=python\", context=ctx).read()"' \
	>"$WORK/out.txt" 2>"$WORK/err.txt" || rc=$?
[ "$rc" = 0 ] || { cat "$WORK/err.txt"; fail "cxrec run exited $rc"; }
"$CXREC" decode -f jsonl "$WORK/t1.bin" >"$WORK/t.jsonl"
q() { jsonq "$WORK/t.jsonl" "$1"; }
assert_eq "$(q 'len(x)')" 2 "two exchanges"
assert_eq "$(q '[e["source"] for e in x]')" "['preload', 'preload']" "recorded by the preload"
assert_eq "$(q '[e["comm"] for e in x]')" "['curl', 'python3']" "each with its comm"
assert_eq "$(q 'x[0]["pid"] != x[1]["pid"] and all(e["pid"] for e in x)')" True "each with its own pid"
assert_eq "$(q '[url(e) for e in x]')" "['/v1/models?client=curl', '/v1/models?client=python']" "the requests, in plaintext"
assert_eq "$(q '[e["response"]["status"] for e in x]')" "[200, 200]" "the responses, in plaintext"
assert_eq "$(q 'all(isinstance(e["response"]["body"].get("models"), list) for e in x)')" True "the JSON bodies decoded"
assert_eq "$(q '[e["request"]["upstream"].split("/v1")[0] for e in x]')" "['$TLS_URL', '$TLS_URL']" "absolute https URLs"
assert_eq "$(q 'all(e["error"] is None for e in x)')" True "no errors"

# 2. 8 threads x 100 requests: every exchange once, each with its tid.
rc=0
"$CXREC" run --bpf off -o "$WORK/t2.bin" -- "$PROGS/mt_client" "$PLAIN_PORT" 8 100 \
	>"$WORK/mt.txt" 2>"$WORK/err.txt" || rc=$?
[ "$rc" = 0 ] || { cat "$WORK/err.txt"; fail "mt_client under cxrec run exited $rc"; }
"$CXREC" decode -f jsonl "$WORK/t2.bin" >"$WORK/t.jsonl"
assert_eq "$(q 'len(x)')" 800 "800 exchanges"
assert_eq "$(q 'len(set(url(e) for e in x))')" 800 "each request once"
tids=$(sed -n 's/^tid \([0-9]*\) thread \([0-9]*\)$/\2:\1/p' "$WORK/mt.txt" | sort -n | tr '\n' ' ')
assert_eq "$(q "sorted(set('%s:%d' % (url(e).split('/')[1][1:], e['tid']) for e in x), key=lambda s: int(s.split(':')[0]))" | tr -d "[]',")" \
	"$(echo $tids)" "every exchange carries its thread's tid"

# 3. Results and errno unchanged; 4. no sockets, same output.
"$PROGS/errno_check" >"$WORK/errno.bare"
"$CXREC" run --bpf off -o "$WORK/t3.bin" -- "$PROGS/errno_check" >"$WORK/errno.pre" 2>/dev/null
assert_eq "$(cat "$WORK/errno.pre")" "$(cat "$WORK/errno.bare")" "the same results and errno with the preload"
"$PROGS/nosock" "$WORK/f1" >"$WORK/nosock.bare"
LD_PRELOAD=$LIB CXREC_TRACE=$WORK/t3.bin "$PROGS/nosock" "$WORK/f2" >"$WORK/nosock.pre"
cmp -s "$WORK/nosock.bare" "$WORK/nosock.pre" || fail "a program without sockets printed something else"
cmp -s "$WORK/f1" "$WORK/f2" || fail "a program without sockets wrote something else"
ok "a program without sockets: the same output, the same file"

# 5. A process that cannot open the trace runs anyway, and cxrec says why.
rc=0
"$CXREC" run --bpf off -o "$WORK/t5.bin" -- setpriv --reuid=nobody --regid=nogroup --clear-groups \
	curl -s -o /dev/null -w '%{http_code}\n' "http://127.0.0.1:$PLAIN_PORT/v1/models" \
	>"$WORK/out.txt" 2>"$WORK/err.txt" || rc=$?
assert_eq "$rc" 0 "curl ran although it could not record"
assert_eq "$(cat "$WORK/out.txt")" 200 "and got its answer"
assert_contains "$(cat "$WORK/err.txt")" "preload: 1 problem, the first: pid" "cxrec run says the preload could not record"
assert_contains "$(cat "$WORK/err.txt")" "cannot open trace" "... and why"

# 6. A static binary: said in the summary line.
"$CXREC" run --bpf off -o "$WORK/t6.bin" -- /sbin/ldconfig -p >/dev/null 2>"$WORK/err.txt" || true
assert_contains "$(cat "$WORK/err.txt")" "preload: /sbin/ldconfig is a static binary" "a static binary is named"
assert_eq "$(wc -l <"$WORK/err.txt")" 1 "in the one summary line"

# 7. --no-preload records nothing of curl's own.
"$CXREC" run --bpf off --no-preload -o "$WORK/t7.bin" -- curl -s -o /dev/null \
	"http://127.0.0.1:$PLAIN_PORT/v1/models" 2>"$WORK/err.txt"
assert_contains "$(cat "$WORK/err.txt")" "preload: off" "--no-preload said"
assert_eq "$("$CXREC" decode -f jsonl "$WORK/t7.bin" | wc -l)" 0 "--no-preload: nothing recorded"
# 9. Descriptors played with behind the preload's back (tests/lib/progs/fd_games.c):
# recv(MSG_TRUNC) into no buffer, a socket fclose'd and its number reused
# by a file, everything from 3 up closed and files opened on low numbers.
rc=0
"$CXREC" run --bpf off -o "$WORK/t9.bin" -- "$PROGS/fd_games" "$PLAIN_PORT" "$WORK/games.out" \
	>"$WORK/games.txt" 2>"$WORK/err.txt" || rc=$?
[ "$rc" = 0 ] || { cat "$WORK/games.txt" "$WORK/err.txt"; fail "fd_games exited $rc under the preload"; }
"$PROGS/fd_games" "$PLAIN_PORT" "$WORK/games.bare" >"$WORK/games.bare.txt"
assert_eq "$(cat "$WORK/games.txt")" "$(cat "$WORK/games.bare.txt")" "fd_games saw the same with the preload"
cmp -s "$WORK/games.out" "$WORK/games.bare" || fail "the file written after close_range differs (frames in it?)"
ok "the file written after close_range holds only what was written"
assert_contains "$(cat "$WORK/err.txt")" "the program closed the trace's descriptor" "the preload stopped and said why"
"$CXREC" decode -f jsonl "$WORK/t9.bin" >"$WORK/t.jsonl"
# (its response lacks the 12 bytes the program threw away unread: MSG_TRUNC)
assert_eq "$(q '[(e["comm"], url(e)) for e in x]')" "[('fd_games', '/v1/models')]" \
	"the one HTTP exchange, nothing else"
assert_eq "$(q '"fd_games\\n" in json.dumps(x)')" False "the file read on a reused number is not recorded"

# 8. Through the relay: one exchange (the relay's), the preload adds the tid.
"$CXREC" run --bpf off --upstream "http://127.0.0.1:$PLAIN_PORT" -o "$WORK/t8.bin" -- \
	sh -c 'curl -s -o /dev/null "$CXREC_RELAY_URL/v1/models"' 2>"$WORK/err.txt"
"$CXREC" decode -f jsonl "$WORK/t8.bin" >"$WORK/t.jsonl"
assert_eq "$(q '[(e["source"], e["comm"]) for e in x]')" "[('relay', 'curl')]" "once, from the relay, named curl"
assert_eq "$(q 'x[0]["tid"] == x[0]["pid"]')" True "with curl's tid, from the preload"

# 10. Through cxrec run's forward proxy: a host the proxy decrypts is
# recorded once, by the proxy, named curl; a host it only tunnels (not the
# agent's) is recorded by the preload from curl's TLS plaintext, its
# CONNECT (which carries the run's token) never.
MOCK_HOSTPORT=${TLS_URL#https://}
PROXY_URL_FILE=$WORK/proxy_url
export MOCK_HOSTPORT PROXY_URL_FILE
"$CXREC" run --bpf off --map-host "api.openai.com=$TLS_URL" --cacert "$CA" -o "$WORK/t10.bin" -- sh -c '
	echo "$HTTPS_PROXY" >"$PROXY_URL_FILE" &&
	curl -sS --fail --noproxy "" --cacert "$CURL_CA_BUNDLE" -o /dev/null "https://api.openai.com/v1/models?via=proxy" &&
	curl -sS --fail --noproxy "" --cacert "$CA" -o /dev/null "https://$MOCK_HOSTPORT/v1/models?via=tunnel" -H "X-Tunnel: tunnel-secret-header"' \
	>"$WORK/out.txt" 2>"$WORK/err.txt" || { cat "$WORK/err.txt"; fail "cxrec run (proxy) exited $?"; }
"$CXREC" decode -f jsonl "$WORK/t10.bin" >"$WORK/t.jsonl"
assert_eq "$(q '[(e["source"], e["comm"], e["request"]["method"], url(e), e["response"]["status"], e["error"]) for e in x]')" \
	"[('proxy', 'curl', 'GET', '/v1/models?via=proxy', 200, None), ('proxy', 'curl', 'CONNECT', '$MOCK_HOSTPORT', 200, None), ('preload', 'curl', 'GET', '/v1/models?via=tunnel', 200, None)]" \
	"decrypted by the proxy once; the tunnel's plaintext from the preload"
assert_contains "$(q 'x[2]["request"]["headers"]')" "tunnel-secret-header" "the tunnel's request as curl sent it"
token=$(sed -E 's|^http://cxrec:([0-9a-f]+)@.*|\1|' "$WORK/proxy_url")
[ "${#token}" = 32 ] || fail "no token in HTTPS_PROXY: $(cat "$WORK/proxy_url")"
! grep -aq "$token" "$WORK/t10.bin" || fail "the proxy's token in the trace"
! grep -aq "$(printf 'cxrec:%s' "$token" | base64 -w0)" "$WORK/t10.bin" || fail "the proxy's token (Basic) in the trace"
ok "no proxy token in the trace, plain or as Basic"
assert_eq "$(q '[e["request"]["method"] for e in x if e["source"] == "preload"]')" "['GET']" \
	"the preload recorded no CONNECT"
echo "preload: plaintext, threads, errno, fork+exec, failures, through the proxy"
