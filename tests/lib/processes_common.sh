# shellcheck shell=bash
# Shared by processes_probe.sh and processes_proc.sh (sourced after
# codex_common.sh): codex, then a curl, in one traced command.
KEY=sk-cxrec-test-0123456789abcdefghij
# codex, then curl; both through the relay (curl asks for /v1/models).
SCRIPT='"$0" exec "$@" "run the tool" && curl -s -o /dev/null "$CXREC_RELAY_URL/v1/models"'

run_traced() { # MODE TRACE
	local rc=0
	CODEX_API_KEY=$KEY "$CXREC" run --bpf "$1" --upstream "$MOCK_URL" \
		--cacert "$WORK/certs/ca.pem" -o "$2" -- \
		sh -c "$SCRIPT" "$CODEX" $(codex_exec_args) \
		>"$WORK/out.txt" 2>"$WORK/err.txt" </dev/null || rc=$?
	[ "$rc" = 0 ] || { cat "$WORK/err.txt"; fail "cxrec run --bpf $1 exited $rc"; }
	"$CXREC" decode -f jsonl "$2" >"$WORK/t.jsonl"
}
turns='[e for e in x if url(e) == "/v1/responses"]'
models='[e for e in x if url(e) == "/v1/models"]'
