#!/bin/sh
# make bench: runs every benchmark binary in BUILD_DIR/bench/ and, where
# Debian's python3-torch is installed, the PyTorch reference
# (bench/torch_reference.py) on 1 and 2 threads, alternating with
# the engine's runs so that both see the same load on a shared machine.
# Prints every figure as `key: value`, then the engine/PyTorch ratios from
# the best of each over the rounds.
#
#   sh scripts/bench.sh BUILD_DIR
#   NF_BENCH_ROUNDS=N        rounds of engine + PyTorch (default 2)
#   NF_BENCH_TORCH_BATCHES=N timed PyTorch batches per run (default 200)
#   NF_BENCH_MATCH_STEPS=N   steps replayed by bench/torch_match (default 300,
#                            at most one epoch, 937; 0 skips the replay)
#   NF_BENCH_RUN_FILE=F      a run file whose task times scripts/mpi_model.py
#                            replays for 1..64 trainer ranks (a model)
set -u
BUILD=${1:?usage: sh scripts/bench.sh BUILD_DIR}
ROUNDS=${NF_BENCH_ROUNDS:-2}
TORCH_BATCHES=${NF_BENCH_TORCH_BATCHES:-200}
MATCH_STEPS=${NF_BENCH_MATCH_STEPS:-300}
ROOT=$(git rev-parse --show-toplevel 2>/dev/null || pwd)
TORCH_PY="$ROOT/bench/torch_reference.py"
PY=/usr/bin/python3   # Debian's interpreter has torch; another python3 on PATH may not
ENGINE="$BUILD/bench/bench_engine"
MATCH="$BUILD/bench/torch_match"
MPI="$BUILD/bench/bench_mpi"

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT INT TERM
status=0

have_torch=1
if [ ! -f "$TORCH_PY" ]; then
  echo "note: $TORCH_PY not found: PyTorch comparison skipped"; have_torch=0
elif ! "$PY" -c "import torch" 2>/dev/null; then
  echo "note: $PY cannot import torch (apt-get install python3-torch): PyTorch comparison skipped"; have_torch=0
fi
DATA=/usr/share/datasets/fashion-mnist

# Every other benchmark binary (bench_data, bench_plan, ...) once.
for b in "$BUILD"/bench/*; do
  [ -f "$b" ] && [ -x "$b" ] || continue
  [ "$b" = "$ENGINE" ] || [ "$b" = "$MATCH" ] || [ "$b" = "$MPI" ] && continue
  echo "== $b"
  "$b" || { echo "bench: $b failed"; status=1; }
done

# The MPI pool: rank 0 and two trainers against the local pool on 2 threads,
# per-task overhead, dispatch rate (bench/bench_mpi.c); then the scaling model.
if command -v mpirun >/dev/null 2>&1 && [ -x "$MPI" ]; then
  echo "== mpirun -np 3 $MPI"
  OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1 mpirun --oversubscribe --bind-to none -np 3 "$MPI" ||
    { echo "bench: $MPI failed"; status=1; }
fi
if [ -n "${NF_BENCH_RUN_FILE:-}" ]; then
  echo "== scaling model of $NF_BENCH_RUN_FILE"
  "$PY" "$ROOT/scripts/mpi_model.py" "$NF_BENCH_RUN_FILE" || status=1
fi

# The engine replays PyTorch's training step for step: same initial weights,
# same batches (scripts/torch_match.py writes them).
if [ "$have_torch" -eq 1 ] && [ "$MATCH_STEPS" -gt 0 ] && [ -x "$MATCH" ]; then
  echo "== $MATCH: $MATCH_STEPS steps of PyTorch's training replayed"
  mkdir -p "$tmp/match"
  { "$PY" "$ROOT/scripts/torch_match.py" "$tmp/match" --steps "$MATCH_STEPS" --data "$DATA" &&
    "$MATCH" "$tmp/match" "$DATA" && echo "test_accuracy_pytorch: $(cat "$tmp/match/accuracy.txt")"; } ||
    { echo "bench: $MATCH failed"; status=1; }
fi

# The engine and PyTorch, alternating.
r=1
while [ "$r" -le "$ROUNDS" ]; do
  if [ -x "$ENGINE" ]; then
    echo "== round $r: $ENGINE"
    "$ENGINE" --rounds 1 | tee "$tmp/engine.$r" || status=1
  fi
  if [ "$have_torch" -eq 1 ]; then
    for t in 1 2; do
      echo "== round $r: PyTorch, $t thread(s)"
      "$PY" "$TORCH_PY" --threads "$t" --batches "$TORCH_BATCHES" --data "$DATA" | tee "$tmp/torch$t.$r" || status=1
    done
  fi
  r=$((r + 1))
done

# best KEY FILES...: the largest value of `KEY: value` over the files.
best() {
  key=$1; shift
  cat "$@" 2>/dev/null | awk -v k="$key:" '$1 == k { if (!seen || $2 > m) m = $2; seen = 1 } END { if (seen) print m }'
}
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { if (a != "" && b != "" && b > 0) printf "%.2f", a / b }'; }

echo "== summary (best of $ROUNDS rounds)"
e1=$(best train_1t_images_per_s "$tmp"/engine.*)
e2=$(best train_2t_images_per_s "$tmp"/engine.*)
i1=$(best infer_1t_images_per_s "$tmp"/engine.*)
i2=$(best infer_2t_images_per_s "$tmp"/engine.*)
echo "engine_train_1t_images_per_s: ${e1:-?}"
echo "engine_train_2t_images_per_s: ${e2:-?}"
c2=$(best two_copies_images_per_s "$tmp"/engine.*)
echo "engine_two_copies_images_per_s: ${c2:-?}"
[ -n "$e1" ] && echo "engine_two_copies_vs_twice_1t: $(ratio "$c2" "$(awk -v a="$e1" 'BEGIN { print 2 * a }')")"
echo "engine_peak_rss_train_mb: $(cat "$tmp"/engine.* 2>/dev/null | awk '$1 == "peak_rss_train_mb:" { print $2; exit }')"
if [ "$have_torch" -eq 1 ]; then
  t1=$(best train_images_per_s "$tmp"/torch1.*)
  t2=$(best train_images_per_s "$tmp"/torch2.*)
  echo "torch_train_1t_images_per_s: ${t1:-?}"
  echo "torch_train_2t_images_per_s: ${t2:-?}"
  echo "torch_infer_1t_images_per_s: $(best infer_images_per_s "$tmp"/torch1.*) (batch 1000; engine: batch 64)"
  echo "torch_infer_2t_images_per_s: $(best infer_images_per_s "$tmp"/torch2.*)"
  echo "torch_peak_rss_mb: $(cat "$tmp"/torch1.* | awk '$1 == "peak_rss_mb:" { print $2; exit }')"
  echo "ratio_train_1t_engine_over_torch: $(ratio "$e1" "$t1")"
  echo "ratio_train_2t_engine_over_torch: $(ratio "$e2" "$t2")"
  echo "ratio_infer_1t_engine_over_torch: $(ratio "$i1" "$(best infer_images_per_s "$tmp"/torch1.*)")"
  echo "ratio_infer_2t_engine_over_torch: $(ratio "$i2" "$(best infer_images_per_s "$tmp"/torch2.*)")"
fi
exit $status
