#!/bin/sh
# perf_passes.sh PERF_DATA MARK: a decode's samples a thread a pass.
#
# For a two-pass format (md, html) profiled with `perf record -g`: the
# second pass starts at the first sample whose stack holds MARK
# (cx_mdr_exchange, cx_htr_exchange).  Prints "pass N TID SAMPLES".
set -eu
[ $# -eq 2 ] || { echo "usage: $0 PERF_DATA MARK" >&2; exit 2; }
perf script -i "$1" -F tid,time,ip,sym 2>/dev/null | awk -v mark="$2" '
$2 ~ /^[0-9.]+:$/ { t = $2; sub(":", "", t); n++; T[n] = t + 0; D[n] = $1
	next }
{ if (index($0, mark) && first == 0) first = T[n] }
END {
	for (i = 1; i <= n; i++) {
		p = (first > 0 && T[i] >= first) ? 2 : 1
		c[p " " D[i]]++
	}
	for (k in c) print "pass " k, c[k]
}' | sort
