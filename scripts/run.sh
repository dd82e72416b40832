#!/bin/sh
# make run: a real search on real data with nothing but a fresh checkout:
# Fashion-MNIST (installed by scripts/install-deps.sh), the default
# configuration, a 10-minute budget on the machine's cores; it ends with the
# winner's test accuracy. NF_RUN_TIME=30m make run for longer.
set -e
NASFIT=${1:-build/nasfit}
"$NASFIT" fit --config configs/default.conf --time "${NF_RUN_TIME:-10m}"
