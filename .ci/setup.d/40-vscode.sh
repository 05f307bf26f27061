#!/usr/bin/env bash
# node_modules for the VS Code extension (client-config/vscode): tests/editors/test_vscode.py runs
# its type check, unit tests and .vsix packaging.
set -euo pipefail
cd "$(dirname "$0")/../../client-config/vscode"
if ! command -v npm >/dev/null 2>&1; then
  echo "npm is missing: install Node.js 20+ (the VS Code extension tests need it)" >&2
  exit 1
fi
npm ci --no-audit --no-fund --loglevel=error
node --version
