#!/usr/bin/env bash
# Wheels of tunelint and its dependencies, so the pre-commit test can install the hook with no
# network at test time (PIP_NO_INDEX + PIP_FIND_LINKS).
set -euo pipefail
mkdir -p .ci/wheelhouse
log=$(mktemp)
if ! .venv/bin/python -m pip wheel -q -w .ci/wheelhouse . setuptools wheel pip >"$log" 2>&1; then
  cat "$log"; exit 1
fi
ls .ci/wheelhouse | wc -l
