#!/usr/bin/env bash
# Installs Stoplight Prism (the OpenAPI mock server the submit contract tests run against)
# into .ci/node/, which is not committed. Skips the install when the right version is there.
set -euo pipefail
cd "$(dirname "$0")/../.."

PRISM_VERSION="5.14.2"
PREFIX=".ci/node"
BIN="$PREFIX/node_modules/.bin/prism"

if ! command -v npm >/dev/null 2>&1; then
  echo "30-prism: npm not found; install Node.js 20+ (the submit contract tests need Prism)" >&2
  exit 1
fi

if [ -x "$BIN" ] && "$BIN" --version 2>/dev/null | grep -qx "$PRISM_VERSION"; then
  echo "30-prism: prism $PRISM_VERSION already installed"
  exit 0
fi

mkdir -p "$PREFIX"
npm install --no-audit --no-fund --loglevel=error --prefix "$PREFIX" \
  "@stoplight/prism-cli@$PRISM_VERSION"
"$BIN" --version
