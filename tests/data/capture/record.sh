#!/usr/bin/env bash
# record.sh OUTDIR: the capture sessions kept in tests/data/capture/, made
# again (as root, in a loopback-only network namespace; throwaway keys,
# the project's mock upstream over HTTPS with a throwaway CA).
#   preload_curl_python.bin
#                `cxrec run --bpf off`: Debian's curl streams a Responses
#                call with a tool offered (the tool call comes back), then
#                python3's urllib posts the Chat Completions round trip's
#                second turn, not streamed; both straight to the mock over
#                HTTPS, recorded by the LD_PRELOAD library from OpenSSL's
#                plaintext (tests/integration/preload.sh's first case).
#   probe_codex_curl.bin
#                `cxrec run --bpf on`: codex 0.98.0 ("run the tool", two
#                turns) and then a curl, in one shell, through the relay,
#                each exchange named by the kernel probe
#                (tests/integration/processes_probe.sh's run).
# Then each is compressed (zstd -19) into OUTDIR/NAME.bin.zst.
set -e
TESTS_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
OUT=${1:?record.sh OUTDIR}
mkdir -p "$OUT"; OUT=$(cd "$OUT" && pwd)
export CXREC=${CXREC:-$TESTS_DIR/../build/cxrec}
if [ "${CXREC_IN_NETNS:-}" != 1 ]; then
	CXREC_IN_NETNS=1 unshare -n sh -c 'ip link set lo up && exec "$@"' sh bash "$0" "$@"
	exit $?
fi
. "$TESTS_DIR/lib/lib.sh"
. "$TESTS_DIR/lib/codex_common.sh"
export CA=$WORK/certs/ca.pem MOCK_URL
KEY=sk-cxrec-test-0123456789abcdefghij

# 1. The preload: curl, then python3, straight to the mock over HTTPS.
"$CXREC" run --bpf off -o "$OUT/preload_curl_python.bin" -- sh -c '
	curl -sS --cacert "$CA" -H "Authorization: Bearer sk-cxrec-throwaway-preload" \
		-H "Content-Type: application/json" \
		-d "{\"model\":\"gpt-5.2-codex\",\"stream\":true,\"input\":[{\"role\":\"user\",\"content\":\"run the tool\"}],\"tools\":[{\"type\":\"function\",\"name\":\"shell\",\"parameters\":{\"type\":\"object\"}}]}" \
		"$MOCK_URL/v1/responses" >/dev/null &&
	/usr/bin/python3 -c "
import json, os, ssl, urllib.request
ctx = ssl.create_default_context(cafile=os.environ[\"CA\"])
body = {\"model\": \"gpt-4o-mini\", \"messages\": [
    {\"role\": \"user\", \"content\": \"run the tool\"},
    {\"role\": \"assistant\", \"content\": None, \"tool_calls\": [{\"id\": \"call_1\", \"type\": \"function\",
        \"function\": {\"name\": \"shell\", \"arguments\": \"{\\\"command\\\": \\\"echo cxrec-mock-tool-ok\\\"}\"}}]},
    {\"role\": \"tool\", \"tool_call_id\": \"call_1\", \"content\": \"cxrec-mock-tool-ok\"}]}
req = urllib.request.Request(os.environ[\"MOCK_URL\"] + \"/v1/chat/completions\",
    data=json.dumps(body).encode(), headers={\"Content-Type\": \"application/json\",
    \"Authorization\": \"Bearer sk-cxrec-throwaway-preload\"})
urllib.request.urlopen(req, context=ctx).read()"' </dev/null

# 2. The probe: codex and a curl, through the relay.
CODEX_API_KEY=$KEY "$CXREC" run --bpf on --upstream "$MOCK_URL" --cacert "$CA" \
	-o "$OUT/probe_codex_curl.bin" -- sh -c \
	'"$0" exec "$@" "run the tool" && curl -s -o /dev/null "$CXREC_RELAY_URL/v1/models"' \
	"$CODEX" $(codex_exec_args) </dev/null

for f in preload_curl_python probe_codex_curl; do zstd -19 -q -f "$OUT/$f.bin" -o "$OUT/$f.bin.zst"; done
ls -l "$OUT"
