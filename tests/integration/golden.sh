#!/usr/bin/env bash
# golden: every output format of `cxrec decode`, byte for byte, for the
# real agents' traces kept in tests/data/conv/ (codex 0.98.0 over HTTP,
# codex 0.171.0 over a WebSocket, Claude Code with both logins and a call
# not streamed, Gemini CLI with an API key and a Google login, the openai
# SDK) and the capture sessions in tests/data/capture/ (curl and python3
# recorded by the preload; codex and curl named by the kernel probe).  A change to what decode prints shows here as a diff; when the
# change is meant, regenerate the files and read their diff before
# committing them:
#
#   CXREC_GOLDEN_UPDATE=1 CXREC=$PWD/build/cxrec TESTS=golden tests/run-integration.sh
#
# (issue 16's refactoring keeps every output byte-identical against these.)
. "$(dirname "$0")/../lib/lib.sh"
command -v zstd >/dev/null || skip "zstd is not installed (make deps installs it)"
GOLD=$REPO/tests/data/golden
FORMATS="text jsonl md har conversation html"
n=0
cd "$WORK"
for t in "$REPO"/tests/data/conv/*.bin* "$REPO"/tests/data/capture/*.bin*; do
	b=$(basename "$t")
	case $b in
	*.bin.gz) name=${b%.gz}; gzip -dc "$t" >"$name" ;;
	*.bin.zst) name=${b%.zst}; zstd -qdc "$t" >"$name" ;;
	*.bin) name=$b; cp "$t" "$name" ;;
	*) continue ;;
	esac
	for f in $FORMATS; do
		# the trace by its bare name: the report prints the path given
		"$CXREC" decode -f "$f" "$name" >"$name.$f" 2>"$name.$f.err" ||
			fail "decode -f $f $name: $(cat "$name.$f.err")"
		g=$GOLD/${name%.bin}.$f.zst
		if [ -n "${CXREC_GOLDEN_UPDATE:-}" ]; then
			zstd -q -19 -f "$name.$f" -o "$g"
			continue
		fi
		[ -f "$g" ] || fail "no golden file $g (CXREC_GOLDEN_UPDATE=1 makes it)"
		zstd -qdc "$g" >"$name.$f.want"
		if ! cmp -s "$name.$f.want" "$name.$f"; then
			diff -u "$name.$f.want" "$name.$f" | head -40
			fail "decode -f $f $name differs from $g"
		fi
		n=$((n + 1))
		# the format on the reading thread too (decode_pipe.c off)
		CXREC_DECODE_THREADS=1 "$CXREC" decode -f "$f" "$name" \
		    >"$name.$f.1" 2>/dev/null ||
			fail "decode -f $f $name with one thread failed"
		cmp -s "$name.$f.want" "$name.$f.1" ||
			fail "decode -f $f $name with one thread differs"
	done
done
[ -n "${CXREC_GOLDEN_UPDATE:-}" ] && { echo "golden files written to $GOLD"; exit 0; }
[ "$n" -gt 0 ] || fail "no trace in tests/data/conv or tests/data/capture"
ok "$n outputs byte-identical to their golden files"
