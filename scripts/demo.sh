#!/usr/bin/env bash
# make demo: record a real codex 0.98.0 session through the relay against
# the project's mock upstream (HTTPS on loopback), then decode it.
# Nothing leaves the machine: a throwaway HOME and API key, stray traffic
# sent to a refusing loopback port.
set -euo pipefail
repo=$(cd "$(dirname "$0")/.." && pwd)
cxrec=${CXREC:-$repo/cxrec}
out=${DEMO_DIR:-$repo/demo}
mkdir -p "$out"
out=$(cd "$out" && pwd)

echo "demo: installing codex 0.98.0 from npm (cached in ~/.cache/cxrec)..."
codex=$("$repo/scripts/install-codex.sh")
work=$(mktemp -d /tmp/cxrec-demo.XXXXXX)
trap 'stop_mock; rm -rf "$work"' EXIT
. "$repo/tests/codex_env.sh"
CXREC_NO_MOCK_TRAP=1
codex_env_setup "$work"
codex_block_internet
gen_certs "$work/certs"
start_mock "$work" --tls-cert "$work/certs/server.pem" --tls-key "$work/certs/server.key"
mkdir -p "$work/project" && cd "$work/project"

echo "demo: mock OpenAI upstream at $MOCK_URL"
echo "demo: \$ cxrec run --upstream $MOCK_URL --cacert ca.pem -o $out/trace.bin -- codex exec \"run the tool\""
echo
CODEX_API_KEY=sk-demo-throwaway-0123456789abcdef \
	"$cxrec" run --upstream "$MOCK_URL" --cacert "$work/certs/ca.pem" \
	-o "$out/trace.bin" -- "$codex" exec $(codex_exec_args) "run the tool" </dev/null
echo
echo "demo: \$ cxrec decode $out/trace.bin"
echo
"$cxrec" decode "$out/trace.bin"
"$cxrec" decode --format jsonl -o "$out/trace.jsonl" "$out/trace.bin"
echo
echo "demo: the trace is $out/trace.bin; one JSON object per exchange in $out/trace.jsonl"
echo "demo: try: ./cxrec decode --format jsonl demo/trace.bin | jq '.response.sse[].event'"
