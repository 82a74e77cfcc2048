#!/usr/bin/env bash
# scripts/install-har-validator.sh
#
# Installs har-validator@5.1.5 (the HAR 1.2 JSON schemas of the har-schema
# package, checked with ajv) from the npm registry into a cache outside the
# repository, ${CXREC_CACHE:-$HOME/.cache/cxrec}/har-validator-5.1.5, and
# prints the directory to use as node's module path (its node_modules).
# The tests check cxrec's HAR output with it: a validator no one here wrote.
# Idempotent; on failure one line on stderr, exit 1.
set -euo pipefail
VERSION=5.1.5
cache_root=${CXREC_CACHE:-${HOME:?HOME is not set}/.cache/cxrec}
prefix="$cache_root/har-validator-$VERSION"
die() { echo "install-har-validator.sh: $*" >&2; exit 1; }
command -v npm >/dev/null || die "npm not found (install nodejs and npm)"
if [ ! -f "$prefix/node_modules/har-validator/package.json" ]; then
    mkdir -p "$prefix" || die "cannot create $prefix"
    exec 9>"$prefix/.lock"
    flock 9
    if [ ! -f "$prefix/node_modules/har-validator/package.json" ]; then
        npm install --prefix "$prefix" --no-audit --no-fund --silent \
            "har-validator@$VERSION" >"$prefix/npm.log" 2>&1 ||
            die "npm install har-validator@$VERSION failed (see $prefix/npm.log)"
    fi
fi
echo "$prefix/node_modules"
