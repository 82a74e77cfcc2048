#!/usr/bin/env bash
# Run each libFuzzer target for a while (`make fuzz`).
#
# usage: tests/fuzz/run.sh BINDIR SECONDS NAME...
#
# Each target starts from its seeds (tests/fuzz/corpus/NAME, read only)
# and its crash regressions (tests/fuzz/regress/NAME); what it finds new
# goes to BINDIR/../corpus/NAME, crashes to BINDIR/../crashes/NAME/.  A
# crash fails the run and names the file: copy it into
# tests/fuzz/regress/NAME/ once fixed, and `make check` replays it.
# Prints a line per target: runs, seconds, corpus size, coverage.
set -uo pipefail
here=$(cd "$(dirname "$0")" && pwd)
bin=${1:?usage: run.sh BINDIR SECONDS NAME...}
secs=${2:?usage: run.sh BINDIR SECONDS NAME...}
shift 2
work=$(cd "$bin/.." && pwd)
fail=0
printf '%-8s %12s %8s %14s %8s\n' target runs seconds corpus cov
for n in "$@"; do
	mkdir -p "$work/corpus/$n" "$work/crashes/$n"
	dirs=("$work/corpus/$n" "$here/corpus/$n")
	[ -d "$here/regress/$n" ] && dirs+=("$here/regress/$n")
	log="$work/fuzz_$n.log"
	# -rss_limit_mb: decode of a grown trace may hold a few exchanges;
	# -timeout: one input taking over 10 s is a hang.
	"$bin/fuzz_$n" -max_total_time="$secs" -timeout=10 -rss_limit_mb=2048 \
	    -print_final_stats=1 -artifact_prefix="$work/crashes/$n/" \
	    "${dirs[@]}" >"$log" 2>&1
	rc=$?
	runs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log")
	done_line=$(grep -E '^#[0-9]+[[:space:]]+DONE' "$log" | tail -1)
	cov=$(sed -n 's/.* cov: \([0-9]*\).*/\1/p' <<<"$done_line")
	corp=$(sed -n 's/.* corp: \([0-9]*\/[0-9]*[a-zA-Z]*\).*/\1/p' <<<"$done_line")
	took=$(sed -n 's/^Done [0-9]* runs in \([0-9]*\) second.*/\1/p' "$log")
	printf '%-8s %12s %8s %14s %8s\n' "$n" "${runs:-?}" "${took:-?}" "${corp:-?}" "${cov:-?}"
	if [ "$rc" -ne 0 ]; then
		fail=1
		echo "fuzz_$n FAILED (exit $rc): $(ls "$work/crashes/$n" | head -3 | tr '\n' ' ')" >&2
		grep -E 'ERROR|SUMMARY|==[0-9]+==' "$log" | head -20 >&2
	fi
done
exit "$fail"
