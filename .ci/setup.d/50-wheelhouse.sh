#!/usr/bin/env bash
# Wheels of tunelint and its dependencies, so the pre-commit test can install the hook with no
# network at test time (PIP_NO_INDEX + PIP_FIND_LINKS).
set -euo pipefail
mkdir -p .ci/wheelhouse
.venv/bin/python -m pip wheel -q --no-deps -w .ci/wheelhouse . >/dev/null
.venv/bin/python -m pip wheel -q -w .ci/wheelhouse . setuptools wheel pip >/dev/null
ls .ci/wheelhouse | wc -l
