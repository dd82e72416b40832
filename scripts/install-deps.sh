#!/bin/sh
# Installs every Debian package nasfit needs to build, test and run.
# Idempotent: prints nothing and touches nothing when all are present.
#
# OpenBLAS: libopenblas-dev brings Debian's default pthread build. nasfit
# trains one candidate per OpenMP thread and sets OpenBLAS to one thread
# inside that loop (openblas_set_num_threads), so the pthread build never
# nests; it is faster than the OpenMP build on the small GEMMs of a CNN
# (docs/performance.md: 148 against 103 GFLOP/s at 128^3 on 2 threads).
set -e
#
# jansson: the architecture JSON (app/formats/arch_json.c). protobuf-c-compiler and
# libprotobuf-c-dev: the ONNX export, generated at build time from the
# onnx.proto that python3-onnx ships (python3-onnx also checks exported
# models in the tests). PLplot with its Cairo driver: progress plots.
# graphviz: `nasfit dot -o arch.png` and its test. sqlite3 (the command):
# tests/store_check.sh reads run files with it, as users do. chromium: tests/report_check.sh
# opens nasfit report's page in it (headless) and screenshots it. nodejs/npm: the ONNX
# Runtime the export test runs (onnxruntime-node, below). Open MPI
# (libopenmpi-dev: the build flags through `pkg-config ompi-c`, used by
# app/session/mpi_pool.c only; openmpi-bin: mpirun, for `nasfit fit --mpi` and
# tests/mpi_check.sh).
PACKAGES="build-essential pkg-config libopenblas-dev libglpk-dev libsqlite3-dev
libpng-dev zlib1g-dev libcmocka-dev dataset-fashion-mnist libjansson-dev
protobuf-c-compiler libprotobuf-c-dev python3-onnx libplplot-dev plplot-driver-cairo graphviz sqlite3 chromium
libopenmpi-dev openmpi-bin"
[ "$1" = "--bench" ] && PACKAGES="$PACKAGES python3-torch python3-numpy"

# ONNX Runtime for tests/onnx_check.sh: the onnxruntime-node npm package
# ships its CPU library inside; --ignore-scripts skips its install script,
# which only fetches GPU extras from a host these machines cannot reach.
# A failure here is not fatal: the test then says SKIP.
install_onnxruntime() {
  [ -d build/onnxrt/node_modules/onnxruntime-node ] && return 0
  command -v npm >/dev/null 2>&1 || return 0
  mkdir -p build/onnxrt
  echo "installing onnxruntime-node (npm) into build/onnxrt"
  (cd build/onnxrt && npm install --ignore-scripts --no-audit --no-fund --silent onnxruntime-node >/dev/null 2>&1) ||
    echo "note: npm could not install onnxruntime-node; the ONNX runtime check will be skipped"
}

missing=""
command -v node >/dev/null 2>&1 || PACKAGES="$PACKAGES nodejs npm"
for p in $PACKAGES; do
  status=$(dpkg-query -W -f='${Status}' "$p" 2>/dev/null || true)
  case "$status" in *"install ok installed"*) ;; *) missing="$missing $p" ;; esac
done
[ -z "$missing" ] && { install_onnxruntime; exit 0; }

SUDO=""
[ "$(id -u)" -ne 0 ] && SUDO="sudo"
echo "installing Debian packages:$missing"
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -q >/dev/null
$SUDO apt-get install -y -q --no-install-recommends $missing >/dev/null
install_onnxruntime
