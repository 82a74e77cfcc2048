#!/usr/bin/env bash
# Run every tests/integration/*.sh; each exits 0 (pass), 77 (skipped, and
# says why) or anything else (fail).  CXREC names the binary under test.
# TESTS="name ..." runs a subset.
set -u
here=$(cd "$(dirname "$0")" && pwd)
export CXREC=${CXREC:-$here/../cxrec}
export TESTS_DIR=$here
pass=0 fail=0 skip=0 failed=()
list=${TESTS:-}
if [ -z "$list" ]; then
	list=$(cd "$here/integration" && ls ./*.sh | sed 's|^\./||; s|\.sh$||')
fi
for t in $list; do
	log=$(mktemp /tmp/cxrec-it-$t.XXXXXX.log)
	start=$(date +%s)
	bash "$here/integration/$t.sh" >"$log" 2>&1
	rc=$?
	secs=$(( $(date +%s) - start ))
	case $rc in
	0) pass=$((pass + 1)); echo "PASS $t (${secs}s)" ;;
	77) skip=$((skip + 1)); echo "SKIP $t: $(grep -m1 '^SKIP' "$log" || echo 'no reason given')" ;;
	*) fail=$((fail + 1)); failed+=("$t"); echo "FAIL $t (exit $rc, ${secs}s)"; sed 's/^/    /' "$log" | tail -n 60 ;;
	esac
	rm -f "$log"
done
echo "integration: $pass passed, $fail failed, $skip skipped"
[ "$fail" -eq 0 ]
