#!/bin/sh
# The engine's learning curve against PyTorch's on Fashion-MNIST: the
# reference CNN, batch 64, Adam 1e-3, 3 epochs, seeds 0 1 2.
#   sh scripts/learning-curve.sh [BUILD_DIR] [--torch]
# Prints each epoch's mean training loss and test accuracy for nasfit, and
# with --torch the same from bench/torch_reference.py run here
# (needs python3-torch; takes several minutes per seed).
# Targets (issue 8): loss <= 0.62 / 0.31 over epochs 1 / 3, accuracy >= 0.82 / 0.86.
set -e
BUILD=${1:-build}
TORCH=${2:-}
top=$(cd "$(dirname "$0")/.." && pwd)
for seed in 0 1 2; do
  echo "== seed $seed"
  "$BUILD/nasfit" train --epochs 3 --seed "$seed" 2>/dev/null | grep '^epoch' | sed 's/^/nasfit  /'
  if [ "$TORCH" = "--torch" ]; then
    /usr/bin/python3 "$top/bench/torch_reference.py" --epochs 3 --seed "$seed" --threads 2 \
      | grep '^epoch' | sed 's/^/pytorch /'
  fi
done
