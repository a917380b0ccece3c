#!/usr/bin/env bash
# The one command that sets up and runs the tests: bash scripts/test.sh [pytest args]
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh test
.venv/bin/ruff check .
.venv/bin/python -m pytest -q -ra "$@"
