#!/bin/sh
# Search-quality runs (docs/search-quality.md), one after another, each on
# 2 threads with OpenBLAS's own kernels, as a user's machine would run them:
#
#   scripts/quality.sh DIR ARM:SEED:TIME ...      e.g. runs elitism:2:30m random:2:30m fixed:2:30m
#
# ARM is a search.strategy (elitism, aging, random, fixed). Each run writes
# DIR/ARM-sSEED-TIME.sqlite and .log; a finished one (.done) is skipped, so
# the same command continues an interrupted list. The binary ($NASFIT,
# default build/nasfit) is copied first, so rebuilding while the runs go
# on does not change them. FIT_ARGS, when set, is passed to every run
# (e.g. FIT_ARGS="--set fitness.time_penalty=0.01") and kept in DIR/ARGS.
set -e
[ $# -ge 2 ] || { echo "usage: scripts/quality.sh DIR ARM:SEED:TIME ..." >&2; exit 1; }
dir=$1; shift
mkdir -p "$dir"
cp "${NASFIT:-build/nasfit}" "$dir/nasfit"
git rev-parse --short HEAD > "$dir/COMMIT" 2>/dev/null || true
echo "${FIT_ARGS:-}" > "$dir/ARGS"
for spec in "$@"; do
  arm=${spec%%:*}; rest=${spec#*:}; seed=${rest%%:*}; time=${rest#*:}
  name=$arm-s$seed-$time
  [ -f "$dir/$name.done" ] && continue
  rm -f "$dir/$name.sqlite" "$dir/$name.sqlite-wal" "$dir/$name.sqlite-shm"
  echo "$(date -u +%FT%TZ) start $name" >> "$dir/quality.log"
  rc=0
  env -u OPENBLAS_CORETYPE "$dir/nasfit" fit --time "$time" --seed "$seed" --strategy "$arm" \
      --db "$dir/$name.sqlite" ${FIT_ARGS:-} > "$dir/$name.log" 2>&1 < /dev/null || rc=$?
  echo "$(date -u +%FT%TZ) end $name rc=$rc" >> "$dir/quality.log"
  touch "$dir/$name.done"
done
