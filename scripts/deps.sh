#!/usr/bin/env bash
# Install what cxrec needs to build and test (Debian packages, as root).
# `scripts/deps.sh bench` also installs the benchmark's references.
set -euo pipefail
quiet=0
if [ "${1:-}" = --quiet ]; then
	quiet=1
	shift
fi

pkgs=(build-essential pkg-config libssl-dev libcjson-dev check libzstd-dev
      zlib1g-dev libbrotli-dev openssl ca-certificates curl python3 python3-zstandard zstd
      nodejs npm tmux clang libbpf-dev bpftool libclang-rt-14-dev valgrind
      iproute2 util-linux chromium fonts-dejavu-core
      libcurl4-openssl-dev clickhouse-server)
if [ "${1:-}" = bench ]; then
	pkgs+=(socat nginx-light wrk mitmproxy time)
fi

missing=()
for p in "${pkgs[@]}"; do
	dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" ||
		missing+=("$p")
done
# npm ships with some nodejs builds (nodesource): don't ask apt for it then.
if command -v npm >/dev/null 2>&1; then
	missing=("${missing[@]/npm}")
fi
read -r -a missing <<<"${missing[*]:-}"
if [ "${#missing[@]}" -eq 0 ]; then
	[ "$quiet" = 1 ] || echo "deps: everything is installed"
	exit 0
fi
if [ "$(id -u)" -ne 0 ]; then
	echo "deps: missing Debian packages ${missing[*]}; run as root: sudo make deps" >&2
	exit 2
fi
echo "deps: installing ${missing[*]}"
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
