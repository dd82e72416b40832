#!/bin/sh
# Installs every Debian package nasfit needs to build, test and run.
# Idempotent: prints nothing and touches nothing when all are present.
#
# OpenBLAS: libopenblas-dev brings Debian's default pthread build. nasfit
# trains one candidate per OpenMP thread and sets OpenBLAS to one thread
# inside that loop (openblas_set_num_threads), so the pthread build never
# nests; it is faster than the OpenMP build on the small GEMMs of a CNN
# (shared/PERF.md: 148 against 103 GFLOP/s at 128^3 on 2 threads).
set -e
PACKAGES="build-essential pkg-config libopenblas-dev libglpk-dev libsqlite3-dev
libpng-dev zlib1g-dev libcmocka-dev libinih-dev dataset-fashion-mnist"
[ "$1" = "--bench" ] && PACKAGES="$PACKAGES python3-torch python3-numpy"

missing=""
for p in $PACKAGES; do
  status=$(dpkg-query -W -f='${Status}' "$p" 2>/dev/null || true)
  case "$status" in *"install ok installed"*) ;; *) missing="$missing $p" ;; esac
done
[ -z "$missing" ] && exit 0

SUDO=""
[ "$(id -u)" -ne 0 ] && SUDO="sudo"
echo "installing Debian packages:$missing"
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -q >/dev/null
$SUDO apt-get install -y -q --no-install-recommends $missing >/dev/null
