#!/usr/bin/env bash
# The whole test suite, exactly as the README gives it and .ci/run runs it:
# install the package with its test extras, then lint, format-check, type-check, test
# (on every core: pytest-xdist's -n auto).
set -euo pipefail
cd "$(dirname "$0")/.."
python3 -m pip install --quiet --disable-pip-version-check --root-user-action=ignore -e ".[test]"
python3 -m ruff check .
python3 -m ruff format --check .
python3 -m mypy
python3 -m pytest -n auto "$@"
