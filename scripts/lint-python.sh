#!/usr/bin/env bash
# Python half of `npm run lint`: pyflakes over models/ (unused imports and variables, undefined names).
# Debian: apt-get install python3-pyflakes (gives pyflakes3); elsewhere: pip install pyflakes.
# Without pyflakes the check is skipped with a message on a workstation, and fails under CI (CI set).
set -euo pipefail
cd "$(dirname "$0")/.."
if command -v pyflakes3 >/dev/null; then
  exec pyflakes3 models
elif python3 -m pyflakes --version >/dev/null 2>&1; then
  exec python3 -m pyflakes models
elif [ -n "${CI:-}" ]; then
  echo "lint-python: pyflakes is not installed (apt-get install python3-pyflakes); CI needs it" >&2
  exit 1
else
  echo "lint-python: pyflakes is not installed, Python lint SKIPPED (apt-get install python3-pyflakes or pip install pyflakes)" >&2
fi
