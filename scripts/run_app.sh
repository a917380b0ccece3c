#!/usr/bin/env bash
# The one command that sets up and starts the app on a bundled sample video: bash scripts/run_app.sh
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
exec .venv/bin/streamlit run app.py --server.headless true --runner.postScriptGC false "$@" -- --sample "${VISION_HELPER_SAMPLE:-piriformis_circles}"
