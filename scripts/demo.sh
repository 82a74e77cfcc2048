#!/usr/bin/env bash
# make demo [AGENT=codex|codex-0.98|claude|gemini]: record a real agent
# session through `cxrec run` against the project's own mock of its API
# (HTTPS on loopback), then decode it.  AGENT defaults to today's codex
# (0.171.0).  The agent comes from npm (cached in ~/.cache/cxrec); then,
# as root, everything runs inside a loopback-only network namespace
# (unshare -n): nothing can leave the machine.  Otherwise the proxy
# variables point at a refusing port and cxrec uses base URLs only.
set -euo pipefail
repo=$(cd "$(dirname "$0")/.." && pwd)
cxrec=${CXREC:-$repo/cxrec}
agent=${AGENT:-codex}
out=${DEMO_DIR:-$repo/demo}
mkdir -p "$out"
out=$(cd "$out" && pwd)
. "$repo/tests/lib/agents_env.sh"

if [ "${CXREC_DEMO_INSIDE:-}" != 1 ]; then
	case "$agent" in
	codex) ver=0.171.0 ;;
	codex-0.98) ver=0.98.0 ;;
	claude) ver=$CLAUDE_VERSION ;;
	gemini) ver=$GEMINI_VERSION ;;
	*) echo "demo: AGENT=$agent: expected codex, codex-0.98, claude or gemini" >&2; exit 2 ;;
	esac
	echo "demo: installing $agent $ver from npm (cached in ~/.cache/cxrec)..."
	if [ "$agent" = codex-0.98 ]; then
		bin=$("$repo/scripts/install-codex.sh")
	else
		bin=$("$repo/scripts/install-agent.sh" "${agent%-*}" "$ver")
	fi
	export CXREC_DEMO_BIN=$bin CXREC_DEMO_INSIDE=1 AGENT=$agent
	if agents_netns_ok; then
		echo "demo: running inside a loopback-only network namespace"
		exec unshare -n sh -c 'ip link set lo up && exec "$@"' sh bash "$0"
	fi
	echo "demo: no network namespace ($AGENTS_NETNS_WHY): base URLs only, proxies refused"
	export CXREC_DEMO_MODE=base-url
	exec bash "$0"
fi

work=$(mktemp -d /tmp/cxrec-demo.XXXXXX)
CXREC_NO_MOCK_TRAP=1
trap 'stop_mock 2>/dev/null; stop_anthropic_mock 2>/dev/null; stop_gemini_mock 2>/dev/null; rm -rf "$work"' EXIT
gen_certs "$work/certs"
tls=(--tls-cert "$work/certs/server.pem" --tls-key "$work/certs/server.key")
mode=()
[ -n "${CXREC_DEMO_MODE:-}" ] && mode=(--mode "$CXREC_DEMO_MODE")
bin=$CXREC_DEMO_BIN
case "$agent" in
codex | codex-0.98)
	codex_env_setup "$work"
	# its plugin marketplace sync goes to GitHub, which no mock serves
	sed -i 's/^\[features\]$/&\nplugins = false/' "$CODEX_HOME/config.toml"
	start_mock "$work" "${tls[@]}"
	unset CODEX_REFRESH_TOKEN_URL_OVERRIDE
	url=$MOCK_URL
	# what current codex sends to chatgpt.com directly: the mock too
	mode+=(--map-host "chatgpt.com=$url" --map-host "ab.chatgpt.com=$url")
	export CODEX_API_KEY=sk-demo-throwaway-0123456789abcdef
	args=(exec $(codex_exec_args) "run the tool")
	;;
claude)
	claude_env_setup "$work"
	start_anthropic_mock "$work" "${tls[@]}"
	url=$ANTHROPIC_MOCK_URL
	export ANTHROPIC_API_KEY=$CLAUDE_TEST_API_KEY
	args=($(claude_headless_args) "run the tool")
	;;
gemini)
	gemini_env_setup "$work"
	start_gemini_mock "$work" "${tls[@]}"
	url=$GEMINI_MOCK_URL
	export GEMINI_API_KEY=$GEMINI_TEST_API_KEY
	args=($(gemini_headless_args) "run the tool")
	;;
esac
agents_block_internet
mkdir -p "$work/project" && cd "$work/project"

echo "demo: the project's mock of the $agent API at $url"
echo "demo: \$ cxrec run --upstream $url --cacert ca.pem -o $out/trace.bin -- $agent ${args[*]}"
echo
"$cxrec" run "${mode[@]}" --upstream "$url" --cacert "$work/certs/ca.pem" \
	-o "$out/trace.bin" -- "$bin" "${args[@]}" </dev/null
echo
echo "demo: \$ cxrec decode $out/trace.bin"
echo
"$cxrec" decode "$out/trace.bin"
"$cxrec" decode --format jsonl -o "$out/trace.jsonl" "$out/trace.bin"
echo
echo "demo: the trace is $out/trace.bin; one JSON object per exchange in $out/trace.jsonl"
echo "demo: try: ./cxrec decode --format conversation demo/trace.bin"
echo "demo: other agents: make demo AGENT=claude, AGENT=gemini, AGENT=codex-0.98"
