#!/bin/sh
# The ONNX export, proven by independent tools: models covering every op
# kind, kernel, stride and activation, a model trained by `nasfit train
# --save` and the winner of a tiny `nasfit fit` (through `nasfit export`),
# are exported; onnx.checker (python3-onnx) must accept each, and
# ONNX Runtime (the onnxruntime-node npm package, CPU) must give the same
# class and logits within 1e-4 as nasfit's own forward pass on 300 images.
# Exit 77 with a SKIP line when a runtime is missing (scripts/run-tests.sh
# counts it as skipped, never as passed).
BUILD=${BUILD:-build}
OUT=$BUILD/onnx-test
ORT=${ORT:-$(pwd)/build/onnxrt/node_modules}
# Debian's python3, where python3-onnx is installed (a pyenv or venv python3 first
# on PATH would not see it).
PY=${PYTHON:-/usr/bin/python3}
set -e
rm -rf "$OUT" && mkdir -p "$OUT"
# A real, if short, training run (3000 images, one epoch; about 15 s, most
# of it measuring test accuracy), except under AddressSanitizer, where the
# synthetic networks cover the exporter's code.
if [ -z "$NASFIT_ASAN" ]; then
  "$BUILD/nasfit" train --train-limit 3000 --epochs 1 --threads 2 --save "$OUT/trained.nfm" > "$OUT/train.log" 2>&1
  # The winner of a tiny search (two generations on 3000 images).
  "$BUILD/nasfit" fit --config configs/quick.conf --set data.train_limit=3000 --set search.slice_images=1000 \
    --generations 2 --population 3 --set training.refresh_images=256 --set search.final_epochs=0.3 --set search.time=0 \
    --db "$OUT/search.sqlite" > "$OUT/fit.log" 2>&1
  "$BUILD/nasfit" export --db "$OUT/search.sqlite" best -o "$OUT/searched.nfm" >> "$OUT/fit.log" 2>&1
  "$BUILD/tests/onnx_fixture" "$OUT" "$OUT/trained.nfm" "$OUT/searched.nfm"
else
  "$BUILD/tests/onnx_fixture" "$OUT"
fi
skipped=""
if "$PY" -c "import onnx" 2>/dev/null; then
  "$PY" tests/onnx_check.py "$OUT"
else
  skipped="$skipped onnx.checker (python3-onnx not installed)"
fi
if command -v node >/dev/null 2>&1 && [ -d "$ORT/onnxruntime-node" ]; then
  NODE_PATH="$ORT" node tests/onnx_run.js "$OUT"
else
  skipped="$skipped ONNX Runtime (onnxruntime-node not installed: run scripts/install-deps.sh)"
fi
if [ -n "$skipped" ]; then
  echo "SKIP:$skipped"
  exit 77
fi
