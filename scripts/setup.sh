#!/usr/bin/env bash
# Create .venv with the pinned, offline-capable stack (mediapipe 0.10.21 ships its models).
# Usage: bash scripts/setup.sh [test]   -- "test" also installs pytest, hypothesis, ruff, playwright, ray.
set -euo pipefail
cd "$(dirname "$0")/.."
PY=${PYTHON:-python3.11}
command -v "$PY" >/dev/null 2>&1 || PY=python3
"$PY" -c 'import sys; assert sys.version_info[:2] == (3, 11), "vision_helper needs Python 3.11 (mediapipe 0.10.21 wheels)"'

# opencv-contrib (mediapipe's own OpenCV) needs libGL and glib; the browser test needs Debian's chromium.
need=()
ldconfig -p 2>/dev/null | grep -q 'libGL.so.1' || need+=(libgl1)
ldconfig -p 2>/dev/null | grep -q 'libglib-2.0.so.0' || need+=(libglib2.0-0)
if [ "${1:-}" = "test" ] && [ ! -x /usr/bin/chromium ]; then need+=(chromium); fi
if [ ${#need[@]} -gt 0 ]; then
  if [ "$(id -u)" = "0" ] && command -v apt-get >/dev/null 2>&1; then
    echo "installing system packages: ${need[*]}" >&2
    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${need[@]}" >/dev/null
  else
    echo "warning: please install the system packages: ${need[*]} (Debian/Ubuntu names)" >&2
  fi
fi

[ -x .venv/bin/python ] || "$PY" -m venv .venv
extra=""
[ "${1:-}" = "test" ] && extra="[test,cluster]"  # cluster: Ray, so CI runs analyze-batch --ray too
.venv/bin/python -m pip install --quiet --disable-pip-version-check -e ".${extra}" 2>&1 \
  | grep -v -E "^WARNING: Location .* is ignored" || true
.venv/bin/python -m pip check >/dev/null
