#!/bin/sh
# make run: a real piece of work on real data with nothing but a fresh checkout.
# Until the search command exists, it trains the reference CNN on
# Fashion-MNIST (installed by scripts/install-deps.sh) for one epoch and
# prints its test accuracy.
set -e
NASFIT=${1:-build/nasfit}
"$NASFIT" train --data fashion-mnist --epochs 1
