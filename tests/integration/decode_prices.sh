#!/usr/bin/env bash
# Cost (docs/prices.md): the built-in table prices a recorded Claude Code
# answer; --prices FILE extends it (a model it lacks gets a price) or
# replaces it (the others have none, never a guess); a file that does not
# parse, or says something wrong, gets one line naming the place and exit
# 2, before the output file is created.
. "$(dirname "$0")/../lib/lib.sh"
cd "$WORK"
zstd -dq -o a.bin "$REPO/tests/data/conv/anthropic_nostream.bin.zst" ||
	fail "cannot unpack anthropic_nostream"
zstd -dq -o g.bin "$REPO/tests/data/conv/gemini_api.bin.zst" ||
	fail "cannot unpack gemini_api"

# The built-in table: claude-sonnet-4-5-20250929 as claude-sonnet-4-5,
# 115 x $3 + 57 x $3.75 + 37 x $15 per million tokens.
out=$("$CXREC" decode -f conversation a.bin) || fail "decode a.bin"
assert_contains "$out" "cost: \$0.001114 (claude-sonnet-4-5, prices read" \
	"built-in: the turn's cost"
out=$("$CXREC" decode -f conversation g.bin) || fail "decode g.bin"
assert_contains "$out" "cost: no price for gemini-3.8-flash (not in the price table)" \
	"built-in: a model it lacks has no price"
assert_contains "$out" "; cost: no price" "built-in: the trace has none"

cat >p.json <<'J'
{"prices": [
  {"family": "gemini", "model": "gemini-3.8-flash", "input": 1, "output": 5,
   "date": "2026-12-07", "source": "https://example.invalid/prices"}
]}
J
out=$("$CXREC" decode -f conversation --prices p.json g.bin) || fail "decode --prices"
# 11667 x $1 + 69 x $5 (19 of them thoughts, billed as output)
assert_contains "$out" "cost: \$0.0120 (gemini-3.8-flash, prices read 2026-12-07)" \
	"--prices: the file's price"
out=$("$CXREC" decode -f md --prices p.json a.bin) || fail "decode -f md --prices"
assert_contains "$out" "| \$0.001114 |" "--prices extends: the built-in rows stay"
sed -i 's/^{/{"replace": true,/' p.json
out=$("$CXREC" decode -f md --prices p.json a.bin) || fail "decode replace"
assert_contains "$out" "No price (the table holds no such model; not guessed): claude\\-sonnet\\-4\\-5\\-20250929." \
	"--prices with replace: only the file's rows"

check_err() {  # expected-text cmd...
	local text=$1; shift
	local out rc=0
	out=$("$@" 2>&1 >/dev/null) || rc=$?
	[ "$rc" = 2 ] || fail "$*: exit $rc, expected 2 ($out)"
	[ "$(printf '%s\n' "$out" | wc -l)" = 1 ] || fail "$*: more than one line: $out"
	assert_contains "$out" "$text" "$* -> 2"
}
printf '{"prices": [\n  {"family": "gemini" "model": "x"}\n]}\n' >bad.json
check_err "cxrec: decode: --prices bad.json:2:23: not JSON" "$CXREC" decode --prices bad.json a.bin
printf '{"prices": [{"family": "gemini", "model": "x", "input": "1", "output": 2}]}' >bad2.json
check_err "bad2.json: prices[0].input: not a number" "$CXREC" decode --prices bad2.json a.bin
check_err "missing.json: No such file or directory" "$CXREC" decode --prices missing.json a.bin
check_err "option '--prices' needs a value" "$CXREC" decode a.bin --prices
"$CXREC" decode --prices bad.json -o out.md a.bin 2>/dev/null && fail "bad prices decoded"
[ ! -e out.md ] || fail "the output was created before the prices were read"
ok "a bad --prices file: no output created"
