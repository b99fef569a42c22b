#!/usr/bin/env bash
# The whole test suite: installs what is missing, type-checks, runs every test.
# Lab tests need root (network namespaces); they clean up after themselves.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
echo "== mypy"
.venv/bin/mypy
echo "== pytest"
exec .venv/bin/python -m pytest "$@"
