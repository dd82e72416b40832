#!/bin/sh
# kill -9 at random moments during a real search, resume after each, and
# check the file: PRAGMA integrity_check, and that every candidate_fitness
# row committed before a kill is still there, unchanged, after it.
#
#   sh scripts/kill_loop.sh [KILLS] [MAX_SECONDS] [RUN_FILE] [fit options...]
#   e.g. sh scripts/kill_loop.sh 8 40 /tmp/kill.sqlite --config configs/quick.conf --time 6m
#
# Each session lives a random 5..MAX_SECONDS seconds (awk's rand, seeded
# with SEED or the shell's pid, printed), then gets SIGKILL. After the
# kills the run is resumed to its end.
NASFIT=${NASFIT:-build/nasfit}
KILLS=${1:-8}; MAX=${2:-40}; DB=${3:-/tmp/nasfit-kill-loop.sqlite}
shift 3 2>/dev/null
SEED=${SEED:-$$}
rm -f "$DB" "$DB-wal" "$DB-shm"
echo "kill loop: $KILLS kills within 5..$MAX s, seed $SEED, run file $DB, fit $*"
delays=$(awk -v s="$SEED" -v n="$KILLS" -v m="$MAX" 'BEGIN { srand(s); for (i = 0; i < n; i++) printf "%d ", 5 + rand() * (m - 5) }')
bad=0; i=0
: > "$DB.kept"
for d in $delays; do
  i=$((i + 1))
  if [ "$(sqlite3 "$DB" 'SELECT count(*) FROM run' 2>/dev/null)" = 1 ]; then
    "$NASFIT" resume --db "$DB" --quiet > /dev/null 2>&1 &
  else
    "$NASFIT" fit --db "$DB" --quiet "$@" > /dev/null 2>&1 &
  fi
  pid=$!
  sleep "$d"
  kill -9 $pid 2>/dev/null
  wait $pid 2>/dev/null
  check=$(sqlite3 "$DB" "PRAGMA integrity_check")
  sqlite3 "$DB" "SELECT candidate_id, generation, hex(fitness) FROM candidate_fitness ORDER BY 1, 2" > "$DB.now"
  lost=$(grep -cvxFf "$DB.now" "$DB.kept")
  state=$(sqlite3 "$DB" "SELECT 'generation ' || generation || ', ' || (SELECT count(*) FROM candidate_fitness) || ' trainings, status ' || status FROM run")
  echo "kill $i after $d s: integrity_check $check, committed rows lost $lost; $state"
  [ "$check" = ok ] && [ "$lost" -eq 0 ] || bad=$((bad + 1))
  cp "$DB.now" "$DB.kept"
done
"$NASFIT" resume --db "$DB" --quiet; rc=$?
echo "final resume: exit $rc; integrity_check $(sqlite3 "$DB" 'PRAGMA integrity_check'); $(sqlite3 "$DB" "SELECT 'status ' || status || ', winner ' || winner_id || ', test accuracy ' || test_accuracy FROM run")"
rm -f "$DB.kept" "$DB.now"
[ $bad -eq 0 ] && [ $rc -eq 0 ]
