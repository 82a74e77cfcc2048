#!/usr/bin/env bash
# scripts/install-npm.sh NAME VERSION
#
# Installs the npm package NAME@VERSION into a cache outside the
# repository, ${CXREC_CACHE:-$HOME/.cache/cxrec}/npm-NAME-VERSION, and
# prints the directory to use as node's module path (its node_modules).
# The tests use real peers no one here wrote: har-validator (HAR 1.2
# schemas), ws (a WebSocket server and client).  Idempotent; concurrent
# callers are serialised; on failure one line on stderr, exit 1.
set -euo pipefail
NAME=${1:?usage: install-npm.sh NAME VERSION}
VERSION=${2:?usage: install-npm.sh NAME VERSION}
cache_root=${CXREC_CACHE:-${HOME:?HOME is not set}/.cache/cxrec}
prefix="$cache_root/npm-$NAME-$VERSION"
die() { echo "install-npm.sh: $*" >&2; exit 1; }
command -v npm >/dev/null || die "npm not found (install nodejs and npm)"
if [ ! -f "$prefix/node_modules/$NAME/package.json" ]; then
    mkdir -p "$prefix" || die "cannot create $prefix"
    exec 9>"$prefix/.lock"
    flock 9
    if [ ! -f "$prefix/node_modules/$NAME/package.json" ]; then
        npm install --prefix "$prefix" --no-audit --no-fund --silent \
            "$NAME@$VERSION" >"$prefix/npm.log" 2>&1 ||
            die "npm install $NAME@$VERSION failed (see $prefix/npm.log)"
    fi
fi
echo "$prefix/node_modules"
