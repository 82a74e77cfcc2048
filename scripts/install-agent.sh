#!/usr/bin/env bash
# scripts/install-agent.sh AGENT VERSION
#
# Installs a real AI agent CLI from the npm registry into a cache outside the
# repository and prints the absolute path of its executable:
#   claude VERSION  @anthropic-ai/claude-code  (a Bun-built native binary)
#   gemini VERSION  @google/gemini-cli         (a node script, node >= 20)
#   codex  VERSION  @openai/codex              (node launcher of a native binary)
# into ${CXREC_CACHE:-$HOME/.cache/cxrec}/AGENT-VERSION, printing
# AGENT-VERSION/node_modules/.bin/AGENT.  The tests pin the versions they
# were written against (tests/lib/agents_env.sh: claude 2.1.332, gemini 0.61.0).
# Idempotent: does nothing when that version is already there and answers
# --version.  Concurrent callers are serialised with flock.  On failure: one
# line on stderr, exit 1.  Contacts the npm registry only when installing.
set -euo pipefail

die() { echo "install-agent.sh: $*" >&2; exit 1; }
AGENT=${1:-}
VERSION=${2:-}
case "$AGENT" in
  -h|--help|"") sed -n '2,14p' "$0" | sed 's/^# \{0,1\}//'; [ -n "$AGENT" ]; exit ;;
  claude) PKG=@anthropic-ai/claude-code ;;
  gemini) PKG=@google/gemini-cli ;;
  codex) PKG=@openai/codex ;;
  *) die "unknown agent '$AGENT' (claude, gemini or codex)" ;;
esac
[ -n "$VERSION" ] || die "usage: install-agent.sh AGENT VERSION"
case "$VERSION" in *[!0-9A-Za-z.+-]*) die "bad version '$VERSION'" ;; esac

cache_root=${CXREC_CACHE:-${HOME:?HOME is not set}/.cache/cxrec}
prefix="$cache_root/$AGENT-$VERSION"
bin="$prefix/node_modules/.bin/$AGENT"

# The installed package says VERSION and the executable runs.  claude and
# codex print their version at once; gemini's --version boots the whole CLI
# (~3 s), so for it the package's own version is enough.
works() {
  [ -x "$bin" ] || return 1
  grep -q "\"version\": *\"$VERSION\"" "$prefix/node_modules/$PKG/package.json" 2>/dev/null || return 1
  case "$AGENT" in
    gemini) command -v node >/dev/null 2>&1 ;;
    *) "$bin" --version 2>/dev/null | grep -qF "$VERSION" ;;
  esac
}

if works; then echo "$bin"; exit 0; fi

command -v npm >/dev/null 2>&1 || die "npm not found (Debian: apt-get install nodejs npm)"
mkdir -p "$cache_root" || die "cannot create $cache_root"
exec 9>"$cache_root/.$AGENT-$VERSION.lock"
if command -v flock >/dev/null 2>&1; then
  flock 9 || die "cannot lock $cache_root/.$AGENT-$VERSION.lock"
fi
if works; then echo "$bin"; exit 0; fi

rm -rf "$prefix"
mkdir -p "$prefix"
log="$cache_root/$AGENT-$VERSION.log"
# Install scripts must run: claude's postinstall puts the native binary for
# this platform in place.
if ! npm install --prefix "$prefix" --no-audit --no-fund --no-update-notifier \
      --loglevel=error "$PKG@$VERSION" >"$log" 2>&1; then
  die "npm install $PKG@$VERSION failed: $(grep -m1 -i 'err' "$log" || tail -n1 "$log")"
fi
works || die "installed $PKG@$VERSION in $prefix but $bin does not work (see $log)"
echo "$bin"
