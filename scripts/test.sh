#!/usr/bin/env bash
# The whole test suite: installs what is missing, type-checks, runs every test.
# Lab tests need root (network namespaces); they clean up after themselves.
#
#   scripts/test.sh            what CI runs: set-up, mypy, every tier
#   scripts/test.sh --fast     the unit tier only (no daemons, no set-up): under 30 s
#   scripts/test.sh -m integration   any pytest arguments select further
# Tiers (unit, integration, lab) are set by tests/conftest.py; see DEVELOPERS.md.
set -euo pipefail
cd "$(dirname "$0")/.."
if [[ "${1:-}" == "--fast" ]]; then
  shift
  if [[ ! -x .venv/bin/python ]]; then
    echo "no .venv yet: run scripts/test.sh once without --fast (it installs everything)" >&2
    exit 2
  fi
  # pytest keeps its assertion-rewritten test modules as bytecode next to them; with
  # PYTHONDONTWRITEBYTECODE set it rewrites all of them on every run (about 20 s here)
  exec env -u PYTHONDONTWRITEBYTECODE .venv/bin/python -m pytest -m unit -q \
    -p no:cacheprovider -p no:hypothesispytest "$@"
fi
bash scripts/setup.sh
echo "== mypy"
.venv/bin/mypy
echo "== pytest"
exec .venv/bin/python -m pytest "$@"
