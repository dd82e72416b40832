#!/bin/sh
# nasfit fit --mpi through mpirun, on loopback, on a tiny IDX data set
# (tests/store/tiny_idx.py) and a tiny generation-limited search
# (tests/store/tiny.conf):
#   - the same history (candidates, fitness bits, lineage, changes,
#     generations, winner) with 1 and 2 threads and with -np 2, 3 and 5;
#     the run file records the trainer ranks and which rank trained what;
#   - a trainer that dies mid-task (NF_MPI_FAULT): the job ends, the file
#     passes PRAGMA integrity_check, and resume --mpi on another number of
#     ranks reaches the straight run's history;
#   - the same death under --enable-recovery: rank 0 takes the silent
#     trainer for dead, gives its task to another, and the run equals the
#     straight one without a restart;
#   - a trainer that stalls past its deadline: taken for dead, the run
#     equals the straight one, and the job ends (the stalled rank quits);
#   - a trainer with another OpenBLAS kernel (mpirun -x for one rank),
#     several ranks without --mpi, and --mpi on one rank: refused, no run file;
#   - SIGTERM to mpirun: status interrupted, resumable to the straight run.
BUILD=${BUILD:-build}
NASFIT=$(pwd)/$BUILD/nasfit
CONF=$(pwd)/tests/store/tiny.conf
PY=${PYTHON:-/usr/bin/python3}
command -v mpirun >/dev/null 2>&1 || { echo "SKIP: mpirun is not installed (scripts/install-deps.sh: openmpi-bin)"; exit 77; }
command -v sqlite3 >/dev/null 2>&1 || { echo "SKIP: the sqlite3 command is not installed"; exit 77; }
# Containers run as root; small machines have fewer cores than ranks.
export OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1
# --timeout: a job that hangs fails its check instead of the whole suite.
MPIRUN="mpirun --oversubscribe --bind-to none --timeout 300"
. tests/check_start.sh
GENS=8
ARGS="--data data --config $CONF --set search.generations=$GENS --quiet"
history_of() { # everything the search decided (no seconds, no worker): must match between runs
  sqlite3 "$1" "SELECT candidate_id, generation, hex(fitness), hex(val_accuracy), hex(train_loss), failure, culled
                  FROM candidate_fitness ORDER BY 1, 2;
                SELECT id, born, parent1, parent2, architecture, hex(learning_rate), batch, status, images FROM candidates ORDER BY id;
                SELECT * FROM changes ORDER BY 1, 2;
                SELECT generation, hex(best_fitness), hex(median_fitness), best_id, population, failed, images, culled
                  FROM generations ORDER BY 1;
                SELECT winner_id, hex(final_val_accuracy), hex(test_accuracy), final_images, status FROM run;"
}

# ==== the same run on any number of ranks =====================================
"$NASFIT" fit $ARGS --threads 1 --db t1.sqlite > t1.log 2>&1 || fail "the plain run: $(cat t1.log)"
history_of t1.sqlite > straight.txt
[ "$(grep -c . straight.txt)" -gt 50 ] || fail "the straight run's history is too short: $(wc -l < straight.txt) rows"
"$NASFIT" fit $ARGS --threads 2 --db t2.sqlite > t2.log 2>&1 || fail "--threads 2: $(cat t2.log)"
history_of t2.sqlite | cmp -s straight.txt - && ok "--threads 2 equals --threads 1" || fail "--threads 2 differs from --threads 1"
for np in 2 3 5; do
  $MPIRUN -np $np "$NASFIT" fit $ARGS --mpi --db np$np.sqlite > np$np.log 2>&1 || { fail "-np $np: $(cat np$np.log)"; continue; }
  history_of np$np.sqlite | cmp -s straight.txt - || { fail "-np $np differs from the plain run"; continue; }
  ranks=$(sqlite3 np$np.sqlite "SELECT trainer || ' ' || workers FROM run")
  bad=$(sqlite3 np$np.sqlite "SELECT count(*) FROM candidate_fitness WHERE worker NOT BETWEEN 1 AND $((np - 1))")
  used=$(sqlite3 np$np.sqlite "SELECT count(DISTINCT worker) FROM candidate_fitness")
  [ "$ranks" = "mpi $((np - 1))" ] && [ "$bad" = 0 ] && [ "$used" = $((np - 1)) ] &&
    ok "-np $np equals the plain run; run.trainer/workers '$ranks', every trainer rank trained some" ||
    fail "-np $np: run records '$ranks', $bad rows with a worker out of range, $used ranks used"
done
w=$("$NASFIT" top --db np3.sqlite -n 1 --json | "$PY" -c 'import json, sys; print(json.load(sys.stdin)["candidates"][0]["worker"])')
"$NASFIT" top --db np3.sqlite -n 1 | grep -q "worker" && { [ "$w" = 1 ] || [ "$w" = 2 ]; } &&
  ok "top shows the trainer rank of the best training ($w)" || fail "top's worker: '$w'"

# ==== a trainer dies mid-task =================================================
# Default Open MPI: the job is aborted; the run file keeps what was committed.
$MPIRUN -np 3 -x NF_MPI_FAULT=rank=2,task=9 "$NASFIT" fit $ARGS --mpi --db dead.sqlite > dead.log 2>&1; rc=$?
status=$(sqlite3 dead.sqlite "SELECT status FROM run" 2>&1)
kept=$(sqlite3 dead.sqlite "SELECT count(*) FROM candidate_fitness" 2>&1)
if [ $rc -ne 0 ] && [ "$status" != done ] && [ "$(sqlite3 dead.sqlite 'PRAGMA integrity_check')" = ok ] && [ "$kept" -gt 0 ]; then
  ok "a trainer killed mid-task: mpirun exit $rc, integrity_check ok, $kept trainings kept, status $status"
else fail "a trainer killed mid-task: exit $rc, status $status, $kept rows: $(tail -5 dead.log)"; fi
sqlite3 dead.sqlite "SELECT candidate_id, generation, hex(fitness) FROM candidate_fitness ORDER BY 1, 2" > kept.txt
$MPIRUN -np 2 "$NASFIT" resume --mpi --db dead.sqlite --quiet > dead2.log 2>&1 || fail "resume --mpi -np 2: $(cat dead2.log)"
sqlite3 dead.sqlite "SELECT candidate_id, generation, hex(fitness) FROM candidate_fitness ORDER BY 1, 2" > now.txt
grep -qvxFf now.txt kept.txt && fail "the resume lost committed rows"
history_of dead.sqlite | cmp -s straight.txt - && ok "resumed on -np 2: equals the straight run" ||
  fail "killed on -np 3, resumed on -np 2: differs from the straight run"

# With --enable-recovery: the silent trainer is taken for dead, its task goes to another.
$MPIRUN --enable-recovery -np 3 -x NF_MPI_SILENCE=1 -x NF_MPI_FAULT=rank=2,task=9 "$NASFIT" fit $ARGS --mpi \
  --db recovered.sqlite > recovered.log 2>&1; rc=$?
if [ $rc -eq 0 ] && grep -q "trainer rank 2 silent" recovered.log && history_of recovered.sqlite | cmp -s straight.txt -; then
  ok "--enable-recovery: rank 2 lost mid-task, the run finished without a restart and equals the straight one"
else fail "--enable-recovery: exit $rc, $(grep -v PMIX recovered.log | tail -3)"; fi

# A trainer that stalls (alive, silent for 8 s) is taken for dead, its task
# goes to another, the run ends equal to the straight one, and the stalled
# rank, told to quit, leaves: the job ends instead of waiting for it.
$MPIRUN --enable-recovery -np 3 -x NF_MPI_SILENCE=1 -x NF_MPI_FAULT=rank=2,task=9,pause=8 "$NASFIT" fit $ARGS --mpi \
  --db stalled.sqlite > stalled.log 2>&1; rc=$?
if [ $rc -eq 0 ] && grep -q "trainer rank 2 silent" stalled.log && history_of stalled.sqlite | cmp -s straight.txt -; then
  ok "a stalled trainer taken for dead: the run equals the straight one and the job ended"
else fail "a stalled trainer: exit $rc (110: mpirun's timeout), $(grep -v PMIX stalled.log | tail -3)"; fi

# ==== refused starts ==========================================================
own=$(sqlite3 t1.sqlite "SELECT blas_kernel FROM run")
other=Prescott
[ "$own" = Prescott ] && other=Nehalem
$MPIRUN -np 2 "$NASFIT" fit $ARGS --mpi --db kernel.sqlite : -np 1 -x OPENBLAS_CORETYPE=$other "$NASFIT" fit $ARGS --mpi \
  --db kernel.sqlite > kernel.log 2>&1; rc=$?
if [ $rc -ne 0 ] && grep -q "trainer rank 2 refused: it runs another OpenBLAS kernel.*OpenBLAS $other" kernel.log && [ ! -e kernel.sqlite ]; then
  ok "a trainer on another OpenBLAS kernel ($other): refused naming rank 2 and the kernels, no run file"
else fail "kernel mismatch: exit $rc, file $(ls kernel.sqlite 2>/dev/null): $(grep nasfit kernel.log)"; fi
$MPIRUN -np 2 "$NASFIT" fit $ARGS --db nompi.sqlite > nompi.log 2>&1; rc=$?
[ $rc -ne 0 ] && grep -q "add --mpi" nompi.log && [ ! -e nompi.sqlite ] && [ "$(grep -c 'add --mpi' nompi.log)" = 1 ] &&
  ok "two ranks without --mpi: refused once, asking for --mpi, no run file" || fail "without --mpi: exit $rc: $(cat nompi.log)"
$MPIRUN -np 2 "$NASFIT" resume --db t1.sqlite > nompi.log 2>&1; rc=$?
[ $rc -ne 0 ] && grep -q "nasfit resume: started as 2 MPI processes without --mpi" nompi.log &&
  ok "resume on two ranks without --mpi: refused" || fail "resume without --mpi: exit $rc: $(cat nompi.log)"
$MPIRUN -np 1 "$NASFIT" fit $ARGS --mpi --db one.sqlite > one.log 2>&1; rc=$?
[ $rc -ne 0 ] && grep -q "needs trainer ranks" one.log && [ ! -e one.sqlite ] && ok "--mpi on one rank: refused" ||
  fail "--mpi on one rank: exit $rc: $(cat one.log)"

# ==== SIGTERM to mpirun =======================================================
# A longer run, so the signal lands while it trains.
LONG="--data data --config $CONF --set search.generations=30 --quiet"
"$NASFIT" fit $LONG --threads 2 --db long.sqlite > long.log 2>&1 || fail "the long plain run: $(cat long.log)"
$MPIRUN -np 3 "$NASFIT" fit $LONG --mpi --db term.sqlite > term.log 2>&1 &
pid=$!
for i in $(seq 50); do
  [ "$(sqlite3 term.sqlite 'SELECT count(*) FROM candidate_fitness' 2>/dev/null)" -gt 8 ] 2>/dev/null && break
  sleep 0.1
done
kill -TERM $pid
wait $pid
status=$(sqlite3 term.sqlite "SELECT status FROM run")
if [ "$status" = interrupted ] && [ "$(sqlite3 term.sqlite 'PRAGMA integrity_check')" = ok ] && grep -q "resume --db term.sqlite" term.log; then
  ok "SIGTERM to mpirun: status interrupted at generation $(sqlite3 term.sqlite 'SELECT generation FROM run'), resume suggested"
else fail "SIGTERM to mpirun: status $status: $(cat term.log)"; fi
$MPIRUN -np 3 "$NASFIT" resume --mpi --db term.sqlite --quiet > term2.log 2>&1 || fail "resume after SIGTERM: $(cat term2.log)"
history_of long.sqlite > long.txt
history_of term.sqlite | cmp -s long.txt - && ok "stopped by SIGTERM and resumed: equals the straight run" ||
  fail "SIGTERM + resume differs from the straight run"

[ $failures -eq 0 ] && echo "mpi_check: all passed" && exit 0
echo "mpi_check: $failures failed"
exit 1
