#!/usr/bin/env bash
# anthropic_record.sh OUTDIR: the traces test_conv_anthropic.c reads, made
# again (as root; loopback-only network namespace).  Claude Code 2.1.332
# under `cxrec run` against tests/lib/mocks/mock_anthropic.py ("run the tool": the
# Bash round trip), with an API key and with an OAuth token, then one
# non-streamed exchange (curl through `cxrec relay`).  Plain HTTP to the
# mock: no certificates needed.
set -e
TESTS_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
OUT=${1:?anthropic_record.sh OUTDIR}
mkdir -p "$OUT"; OUT=$(cd "$OUT" && pwd)
: "${CXREC:=$TESTS_DIR/../build/cxrec}"
. "$TESTS_DIR/lib/agents_env.sh"
CLAUDE=$(claude_install)
if [ "${CXREC_IN_NETNS:-}" != 1 ]; then
	CXREC_IN_NETNS=1 CXREC=$CXREC in_netns bash "$0" "$@"
	exit $?
fi
W=$(mktemp -d /tmp/cxrec-rec-anthropic.XXXXXX)
CXREC_NO_MOCK_TRAP=1
for mode in api-key oauth; do
	start_anthropic_mock "$W/$mode" --plain
	(
		claude_env_setup "$W/$mode"
		claude_use_mock "http://api.anthropic.com" "" "$mode"
		unset ANTHROPIC_BASE_URL
		agents_block_internet
		cd "$AGENT_PROJECT"
		# shellcheck disable=SC2046
		timeout 90 "$CXREC" run --upstream "$ANTHROPIC_MOCK_URL" -o "$OUT/anthropic_claude_$mode.bin" \
			-- "$CLAUDE" $(claude_headless_args) "run the tool" </dev/null
	)
	stop_anthropic_mock
done
# non-streamed, through the relay
start_anthropic_mock "$W/plain" --plain
"$CXREC" relay --listen 127.0.0.1:18080 --upstream "$ANTHROPIC_MOCK_URL" \
	-o "$OUT/anthropic_nostream.bin" &
rpid=$!
for _ in $(seq 100); do (exec 3<>/dev/tcp/127.0.0.1/18080) 2>/dev/null && break; sleep 0.05; done
curl -sS "http://127.0.0.1:18080/anthropic/v1/messages" \
	-H 'x-api-key: sk-ant-api03-cxrec-test-throwaway-key-AAAA' -H 'anthropic-version: 2023-06-01' \
	-H 'content-type: application/json' -d @"$TESTS_DIR/data/conv/anthropic_nostream.json"
echo
kill "$rpid"; wait "$rpid" || true
stop_anthropic_mock
rm -rf "$W"
# what tests/data/conv keeps: zstd -19 each into anthropic_*.bin.zst
for f in "$OUT"/anthropic_*.bin; do zstd -19 -q -f "$f" -o "$f.zst"; done
