# shellcheck shell=bash
# Shared by the codex tests: install codex, a throwaway HOME, the mock
# upstream over HTTPS, stray traffic blocked.  Sourced after lib.sh.
. "$TESTS_DIR/lib/codex_env.sh"
CODEX=$("$REPO/scripts/install-codex.sh") || fail "cannot install codex 0.98.0 from npm"
codex_env_setup "$WORK/env"
codex_block_internet
gen_certs "$WORK/certs"
start_mock "$WORK" --tls-cert "$WORK/certs/server.pem" --tls-key "$WORK/certs/server.key" --delay-ms 2
defer stop_mock
mkdir -p "$WORK/proj"
cd "$WORK/proj"

# Assertions over the decoded trace (t.jsonl) with python: q EXPR.
q() { jsonq "$WORK/t.jsonl" "$1"; }
