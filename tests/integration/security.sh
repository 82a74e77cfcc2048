#!/usr/bin/env bash
# Security (issue 7): the relay listens on loopback unless told otherwise,
# and warns then; the trace is created 0600 and never through a symlink
# planted at its path; --redact-at-source keeps credentials out of the
# trace itself (relay, and `cxrec run` with its preload, against the real
# curl over HTTPS; Gemini's key in its header and in ?key=), as keyed
# fingerprints that tell keys apart, while the
# upstream gets them unchanged.  (Never forwarding to a target the request
# names, CONNECT refused and certificate checks: relay_http.sh.)
. "$(dirname "$0")/../lib/lib.sh"
mock_https

# Loopback by default; another address is warned about.
P=$(free_port)
start_relay "$P" lo.bin --upstream "$MOCK_URL" --cacert certs/ca.pem
assert_contains "$(ss -Hltn "sport = :$P")" "127.0.0.1:$P" "listens on 127.0.0.1 by default"
stop_relay
assert_not_contains "$(cat "relay.$P.err")" "warning" "no warning on loopback"
P=$(free_port)
start_relay "$P" any.bin --upstream "$MOCK_URL" --cacert certs/ca.pem --listen "0.0.0.0:$P"
stop_relay
assert_contains "$(cat "relay.$P.err")" "not a loopback address" "--listen 0.0.0.0 is warned about"

# The trace: 0600, and a symlink planted at its path is not followed.
assert_eq "$(stat -c %a lo.bin)" 600 "trace created 0600"
echo "precious" >victim
ln -s "$WORK/victim" planted.bin
P=$(free_port)
start_relay "$P" planted.bin --upstream "$MOCK_URL" --cacert certs/ca.pem
curl -sS "http://127.0.0.1:$P/test/echo" >/dev/null
stop_relay
assert_eq "$(cat victim)" precious "the symlink's target untouched"
[ -f planted.bin ] && [ ! -L planted.bin ] || fail "planted.bin is not a new regular file"
ok "the trace is a new file; the planted link was moved to planted.bin.old"
assert_eq "$(readlink planted.bin.old)" "$WORK/victim" "the link kept as .old, unfollowed"

# --redact-at-source on the relay.
KEY1=sk-cxrec-secret-key-one-0123456789abcdefgh
KEY2=sk-cxrec-secret-key-two-0123456789abcdefgh
P=$(free_port)
start_relay "$P" red.bin --upstream "$MOCK_URL" --cacert certs/ca.pem --redact-at-source
for k in "$KEY1" "$KEY1" "$KEY2"; do
	curl -sS "http://127.0.0.1:$P/test/echo" -H "Authorization: Bearer $k" \
		-H "Cookie: session=cookie-secret-$k" -o /dev/null || fail "curl through the relay"
done
stop_relay
assert_eq "$(grep -c "$KEY1" "$MOCK_LOG")" 2 "the upstream got the real key, unchanged"
! grep -aq "sk-cxrec-secret" red.bin || fail "a key is in the trace file"
! grep -aq "cookie-secret" red.bin || fail "a cookie is in the trace file"
ok "no key and no cookie anywhere in the trace file"
"$CXREC" decode -f jsonl --no-redact red.bin >red.jsonl
fp='[[v for k, v in e["request"]["headers"] if k.lower() == "authorization"][0] for e in x]'
assert_eq "$(jsonq red.jsonl "len(set($fp))")" 2 "two keys, two fingerprints (the same key twice, one)"
assert_eq "$(jsonq red.jsonl "all(f.startswith('Bearer [cxrec:') for f in $fp)")" True "the scheme kept, the token a fingerprint"
assert_eq "$(jsonq red.jsonl "[len(f) for f in $fp] == [len('Bearer $KEY1')] * 3")" True "each as long as the value it replaced"
assert_contains "$("$CXREC" decode red.bin)" "[cxrec:" "decode shows the fingerprints"
assert_contains "$(jsonq red.jsonl '[e["response"]["body"]["path"] for e in x]')" "/test/echo" "the exchanges decode as usual"

# Gemini's key (an AIza key) in x-goog-api-key and in ?key=, the second
# request on the connection right after the first's body (curl reuses it).
GKEY=AIzaSyCxrecSecretGoogleKey0123456789abc
P=$(free_port)
start_relay "$P" gem.bin --upstream "$MOCK_URL" --cacert certs/ca.pem --redact-at-source
curl -sS -H "x-goog-api-key: $GKEY" -d '{"contents":[]}' \
	"http://127.0.0.1:$P/test/echo?alt=sse&key=$GKEY" -o /dev/null \
	--next "http://127.0.0.1:$P/test/echo?key=$GKEY&alt=sse" -o /dev/null \
	|| fail "curl through the relay"
stop_relay
assert_eq "$(grep -o "$GKEY" "$MOCK_LOG" | wc -l | tr -d ' ')" 3 "the upstream got the Google key, unchanged"
! grep -aq "CxrecSecretGoogleKey" gem.bin || fail "a Google key is in the trace file"
ok "no Google key anywhere in the trace file (header, both request lines, the echoed paths)"
"$CXREC" decode -f jsonl --no-redact gem.bin >gem.jsonl
assert_eq "$(jsonq gem.jsonl 'len(x)')" 2 "two exchanges"
assert_eq "$(jsonq gem.jsonl '[e["request"]["url"].split("key=")[1][:7] for e in x]')" "['[cxrec:', '[cxrec:']" "?key= a fingerprint in both request lines"
assert_eq "$(jsonq gem.jsonl 'len(x[1]["request"]["url"].split("key=")[1].split("&")[0])')" "${#GKEY}" "as long as the key it replaced"
assert_contains "$("$CXREC" decode -f jsonl gem.bin)" "&key=[cxrec:" "decode shows the query's fingerprint as it is"

# --redact-at-source on run: the relay's side and the preload's (curl to
# the mock directly over HTTPS, its plaintext through OpenSSL).
rm -f run.bin
"$CXREC" run --bpf off --redact-at-source --upstream "$MOCK_URL" --cacert certs/ca.pem -o run.bin -- \
	sh -c "curl -sS -o /dev/null -H 'Authorization: Bearer $KEY1' \"\${OPENAI_BASE_URL%/v1}/test/echo\" &&
	       curl -sS -o /dev/null --cacert certs/ca.pem -H 'Authorization: Bearer $KEY2' --cookie 'sid=cookie-secret-x' $MOCK_URL/test/echo" \
	2>run.err || fail "cxrec run --redact-at-source failed: $(cat run.err)"
! grep -aq "sk-cxrec-secret" run.bin || fail "a key is in the run's trace"
! grep -aq "cookie-secret" run.bin || fail "a cookie is in the run's trace"
ok "run: no key and no cookie in the trace (relay and preload)"
"$CXREC" decode -f jsonl --no-redact run.bin >run.jsonl
assert_eq "$(jsonq run.jsonl 'sorted(e["source"] for e in x)')" "['preload', 'relay']" "one exchange from each"
assert_eq "$(jsonq run.jsonl "all(f.startswith('Bearer [cxrec:') for f in $fp)")" True "both fingerprinted"
assert_eq "$(jsonq run.jsonl "len(set($fp))")" 2 "two keys told apart across relay and preload"

# The key is in no process's environment (a tool's `env` would hand it
# to the model, and so to the trace): each preloaded process makes its
# own, because the trace's header says redaction is on.
rm -f envk.bin
"$CXREC" run --bpf off --redact-at-source -o envk.bin -- \
	sh -c "env >env.txt; curl -sS -o /dev/null --cacert certs/ca.pem -H 'Authorization: Bearer $KEY2' $MOCK_URL/test/echo" \
	2>run.err || fail "run: $(cat run.err)"
assert_eq "$(grep -c REDACT env.txt || true)" 0 "no redaction key in the command's environment"
! grep -aq "sk-cxrec-secret" envk.bin || fail "the key is in the trace"
"$CXREC" decode -f jsonl --no-redact envk.bin >envk.jsonl
assert_eq "$(jsonq envk.jsonl "[(e['source'], f.startswith('Bearer [cxrec:')) for e, f in zip(x, $fp)]")" "[('preload', True)]" \
	"the preloaded curl fingerprints under its own key"

# HTTP/2 over TLS (curl, ALPN h2 against openssl s_server): HPACK hides
# headers from any scanner, so none of its plaintext is recorded, and the
# trace says why.
H2P=$(free_port)
openssl s_server -accept "$H2P" -cert certs/server.pem -key certs/server.key -alpn h2 -quiet \
	</dev/null >/dev/null 2>&1 &
defer "kill $! 2>/dev/null"
wait_port "$H2P"
rm -f h2.bin
"$CXREC" run --bpf off --redact-at-source -o h2.bin -- curl -s --http2 --max-time 2 --cacert certs/ca.pem \
	-H "Authorization: Bearer $KEY1" "https://127.0.0.1:$H2P/" >/dev/null 2>&1 || true
plain=$(/usr/bin/python3 -c '
import struct, sys
t = open(sys.argv[1], "rb").read(); off = 128; n = 0
while off + 40 <= len(t):
    magic, ln, kind, src, dr, flags = struct.unpack_from("<IIBBBB", t, off)
    n += kind == 3 and src == 2 and flags & 2 == 2 and ln > 0
    off += 40 + ln
print(n)' h2.bin)
assert_eq "$plain" 0 "HTTP/2: no plaintext recorded"
assert_contains "$("$CXREC" decode -f jsonl h2.bin)" "HTTP/2 is not recorded under --redact-at-source" "HTTP/2: the trace says why"
