#!/usr/bin/env bash
# scripts/install-codex.sh [--native]
#
# Installs OpenAI's codex CLI @openai/codex@0.98.0 from the npm registry into a
# cache outside the repository:
#     ${CXREC_CACHE:-$HOME/.cache/cxrec}/codex-0.98.0
# and prints on stdout the absolute path of the executable to run:
#   default   node_modules/.bin/codex (the node launcher, which execs the
#             native binary with the bundled rg on PATH)
#   --native  the static musl binary itself:
#             node_modules/@openai/codex/vendor/<triple>/codex/codex
# Idempotent: does nothing when a working 0.98.0 is already there.  Concurrent
# callers are serialised with flock.  On failure: one line on stderr, exit 1.
set -euo pipefail

CODEX_VERSION=0.98.0
want_native=0
case "${1:-}" in
  "") ;;
  --native) want_native=1 ;;
  -h|--help) sed -n '2,13p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
  *) echo "install-codex.sh: unknown argument: $1" >&2; exit 2 ;;
esac

die() { echo "install-codex.sh: $*" >&2; exit 1; }

cache_root=${CXREC_CACHE:-${HOME:?HOME is not set}/.cache/cxrec}
prefix="$cache_root/codex-$CODEX_VERSION"
launcher="$prefix/node_modules/.bin/codex"
pkg="$prefix/node_modules/@openai/codex"

case "$(uname -s)-$(uname -m)" in
  Linux-x86_64) triple=x86_64-unknown-linux-musl ;;
  Linux-aarch64|Linux-arm64) triple=aarch64-unknown-linux-musl ;;
  Darwin-x86_64) triple=x86_64-apple-darwin ;;
  Darwin-arm64) triple=aarch64-apple-darwin ;;
  *) die "unsupported platform $(uname -s)-$(uname -m)" ;;
esac
native="$pkg/vendor/$triple/codex/codex"

works() {
  [ -x "$launcher" ] && [ -x "$native" ] || return 1
  local v
  v=$("$native" --version 2>/dev/null) || return 1
  [ "$v" = "codex-cli $CODEX_VERSION" ] || return 1
  command -v node >/dev/null 2>&1 || return 1
  v=$("$launcher" --version 2>/dev/null) || return 1
  [ "$v" = "codex-cli $CODEX_VERSION" ]
}

emit() {
  if [ "$want_native" = 1 ]; then echo "$native"; else echo "$launcher"; fi
}

if works; then emit; exit 0; fi

command -v npm >/dev/null 2>&1 || die "npm not found (Debian: apt-get install nodejs npm)"
command -v node >/dev/null 2>&1 || die "node not found (Debian: apt-get install nodejs)"
mkdir -p "$cache_root" || die "cannot create $cache_root"
cache_root=$(cd "$cache_root" && pwd)
prefix="$cache_root/codex-$CODEX_VERSION"
launcher="$prefix/node_modules/.bin/codex"
pkg="$prefix/node_modules/@openai/codex"
native="$pkg/vendor/$triple/codex/codex"

exec 9>"$cache_root/.codex-$CODEX_VERSION.lock"
if command -v flock >/dev/null 2>&1; then
  flock 9 || die "cannot lock $cache_root/.codex-$CODEX_VERSION.lock"
fi
# Someone else may have finished the install while we waited for the lock.
if works; then emit; exit 0; fi

rm -rf "$prefix"
mkdir -p "$prefix"
log="$cache_root/.codex-$CODEX_VERSION.npm.log"
if ! npm install --prefix "$prefix" --no-audit --no-fund --no-update-notifier \
      --loglevel=error "@openai/codex@$CODEX_VERSION" >"$log" 2>&1; then
  die "npm install @openai/codex@$CODEX_VERSION failed: $(grep -m1 -i 'err' "$log" || tail -n1 "$log")"
fi
works || die "installed codex in $prefix but '$launcher --version' is not 'codex-cli $CODEX_VERSION'"
emit
