#!/usr/bin/env bash
# The interactive codex TUI under `cxrec run`, in a real terminal (tmux):
# it draws, takes typed input, runs both turns through the relay, quits on
# Ctrl-C, and cxrec exits with codex's status and the exchanges recorded.
. "$(dirname "$0")/../lib/lib.sh"
command -v tmux >/dev/null || skip "tmux is not installed (make deps installs it)"
. "$TESTS_DIR/lib/codex_common.sh"
codex_write_chatgpt_auth
sock="$WORK/tmux.sock"
tm() { tmux -S "$sock" "$@"; }
defer "tmux -S '$sock' kill-server 2>/dev/null"
tm new-session -d -s tui -x 150 -y 40 \
	"'$CXREC' run --route '/backend-api/=$MOCK_URL' --cacert '$WORK/certs/ca.pem' -o '$WORK/trace.bin' -- '$CODEX' --dangerously-bypass-approvals-and-sandbox 2>'$WORK/err.txt'; echo \$? >'$WORK/status'; sleep 60"
screen() { tm capture-pane -p -t tui; }
wait_screen() {  # text, seconds
	local i
	for i in $(seq 1 $(( $2 * 10 ))); do
		screen | grep -qF -- "$1" && return 0
		sleep 0.1
	done
	screen | sed 's/^/    | /'
	fail "'$1' did not appear on the screen within $2 s"
}
wait_screen "OpenAI Codex (v0.98.0)" 20
ok "the TUI drew its banner"
tm send-keys -t tui "run the tool"
sleep 0.3
tm send-keys -t tui Enter
wait_screen "Done: the tool printed cxrec-mock-tool-ok." 30
ok "typed prompt answered, tool run, answer drawn"
tm send-keys -t tui C-c
sleep 0.5
tm send-keys -t tui C-c
for _ in $(seq 1 100); do [ -s "$WORK/status" ] && break; sleep 0.1; done
[ -s "$WORK/status" ] || { screen; fail "codex did not quit on Ctrl-C"; }
ok "Ctrl-C reached codex and it quit (cxrec exit status $(cat "$WORK/status"))"
assert_contains "$(cat "$WORK/err.txt")" "login: chatgpt" "summary line after the TUI"
"$CXREC" decode --format jsonl "$WORK/trace.bin" >"$WORK/t.jsonl"
assert_eq "$(q 'sum(1 for e in x if url(e)=="/backend-api/codex/responses" and e["error"] is None)')" 2 "both TUI turns recorded"
echo "codex TUI works under cxrec run"
