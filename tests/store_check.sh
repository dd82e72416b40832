#!/bin/sh
# The run store through the real binary, on a tiny IDX data set this script
# writes (tests/store/tiny_idx.py) and a tiny search (tests/store/tiny.conf):
#   - a straight run while readers (nasfit history, sqlite3) poll it: they
#     never fail and never disturb it; a second writer (resume, fit) is
#     refused naming the live writer's pid;
#   - kill -9 at random moments, then PRAGMA integrity_check, every
#     committed candidate still there unchanged, resume; the run finished
#     this way equals the straight run (every fitness and architecture);
#   - SIGINT and SIGTERM: exit 3, status 'interrupted', resumable;
#   - the read commands end to end, text and --json, --help, exit codes;
#   - the README's sqlite3 queries, as printed;
#   - foreign, newer-schema, garbage, truncated, read-only files and a full
#     disk (a file size limit): one message naming the file, never a crash.
BUILD=${BUILD:-build}
NASFIT=$(pwd)/$BUILD/nasfit
CONF=$(pwd)/tests/store/tiny.conf
README=$(pwd)/README.md
PY=${PYTHON:-/usr/bin/python3}
KILLS=${STORE_KILLS:-24}
command -v sqlite3 >/dev/null 2>&1 || { echo "SKIP: the sqlite3 command is not installed (scripts/install-deps.sh)"; exit 77; }
. tests/check_start.sh
# expect CODE TEXT CMD...: runs CMD, checks its exit status and that TEXT is in its output
expect() {
  want=$1 text=$2; shift 2
  out=$("$@" 2>&1); rc=$?
  if [ "$rc" != "$want" ]; then fail "$* exited $rc, not $want: $out"; return 1; fi
  case "$out" in *"$text"*) ;; *) fail "$*: no '$text' in: $out"; return 1 ;; esac
  return 0
}
GENS=16
# (a command in a variable, not a function: `$FIT ... &` is then nasfit itself, so $! is its pid)
FIT="$NASFIT fit --data data --config $CONF --set search.generations=$GENS --threads 2 --quiet"
history_of() { # everything the search decided, doubles as hex: must match between runs
  sqlite3 "$1" "SELECT candidate_id, generation, hex(fitness), hex(val_accuracy) FROM candidate_fitness ORDER BY 1, 2;
                SELECT id, born, parent1, parent2, architecture, hex(learning_rate), batch FROM candidates ORDER BY id;
                SELECT candidate_id, seq, kind, vertex, hex(before), hex(after) FROM changes ORDER BY 1, 2;
                SELECT generation, hex(best_fitness), hex(median_fitness), best_id FROM generations ORDER BY 1;
                SELECT winner_id, hex(final_val_accuracy), hex(test_accuracy), final_images, status FROM run;"
}

# ==== a straight run, read while it runs =====================================
started=$(date +%s.%N)
$FIT --db straight.sqlite > straight.log 2>&1 &
pid=$!
reads=0; bad_reads=0; last=0; refused=0
while kill -0 $pid 2>/dev/null; do
  n=$(sqlite3 straight.sqlite "SELECT count(*) FROM candidate_fitness" 2>/dev/null)
  if [ -n "$n" ]; then
    [ "$n" -lt "$last" ] && bad_reads=$((bad_reads + 1))
    last=$n
    "$NASFIT" history --db straight.sqlite > reader.log 2>&1 || bad_reads=$((bad_reads + 1))
    reads=$((reads + 1))
    if [ $refused -eq 0 ] && [ "$n" -gt 4 ] && kill -0 $pid 2>/dev/null; then
      "$NASFIT" resume --db straight.sqlite > second.log 2>&1; rc=$?
      if [ $rc -eq 2 ] && grep -q "being written to this file by process $pid" second.log; then refused=1
      elif kill -0 $pid 2>/dev/null; then fail "a second writer was not refused (exit $rc): $(cat second.log)"; refused=1; fi
      expect 2 "being written to this file by process $pid" $FIT --db straight.sqlite || true
    fi
  fi
  sleep 0.05
done
wait $pid; rc=$?
took=$(awk -v a="$started" -v b="$(date +%s.%N)" 'BEGIN { print b - a }')
[ $rc -eq 0 ] || fail "the straight run exited $rc: $(cat straight.log)"
[ $bad_reads -eq 0 ] && [ $reads -ge 3 ] && ok "$reads reads while the run wrote, none failed or went backwards" ||
  fail "$bad_reads of $reads reads failed or went backwards: $(cat reader.log)"
[ $refused -eq 1 ] && ok "a second writer was refused naming the writer's pid" || fail "never saw a second writer refused"
[ "$(sqlite3 straight.sqlite 'PRAGMA integrity_check')" = ok ] || fail "integrity_check of the straight run"
history_of straight.sqlite > straight.txt

# ==== kill -9 at random moments, resume after each ===========================
# The random moments come from the shell's own pid-seeded awk; the seed is
# printed. They are scaled to the straight run's duration on this machine
# (together about 60 % of it), so most kills land while the search runs
# however fast or slow the machine is.
seed=${STORE_SEED:-$$}
echo "kill -9 loop: $KILLS trials, seed $seed, the straight run took $took s"
delays=$(awk -v s="$seed" -v n="$KILLS" -v t="$took" 'BEGIN { srand(s); for (i = 0; i < n; i++) printf "%.3f ", 0.02 + rand() * 1.2 * t / n }')
trial=0; lost=0; midway=0
: > kept.txt
for d in $delays; do
  trial=$((trial + 1))
  if [ "$(sqlite3 killed.sqlite 'SELECT count(*) FROM run' 2>/dev/null)" = 1 ]; then "$NASFIT" resume --db killed.sqlite --threads 2 --quiet > kill.log 2>&1 &
  else $FIT --db killed.sqlite > kill.log 2>&1 & fi
  pid=$!
  sleep "$d"
  kill -9 $pid 2>/dev/null && [ "$(sqlite3 killed.sqlite 'SELECT status FROM run' 2>/dev/null)" != done ] && midway=$((midway + 1))
  wait $pid 2>/dev/null
  check=$(sqlite3 killed.sqlite "PRAGMA integrity_check" 2>&1)
  [ "$check" = ok ] || fail "trial $trial (kill after $d s): integrity_check says $check"
  # Every row committed before is still there, unchanged.
  sqlite3 killed.sqlite "SELECT candidate_id, generation, hex(fitness) FROM candidate_fitness ORDER BY 1, 2" > now.txt 2>/dev/null
  if ! grep -qvxFf now.txt kept.txt; then :; else lost=$((lost + 1)); fail "trial $trial: committed rows lost"; fi
  cp now.txt kept.txt
done
[ $lost -eq 0 ] && ok "$KILLS kills ($midway in the middle of the run): integrity_check ok after each, no committed candidate lost"
[ $midway -ge $((KILLS / 2)) ] || fail "only $midway of $KILLS kills hit a running search"
"$NASFIT" resume --db killed.sqlite --quiet > resume.log 2>&1 || fail "the last resume: $(cat resume.log)"
history_of killed.sqlite > killed.txt
if cmp -s straight.txt killed.txt; then ok "killed and resumed $KILLS times, the run equals the straight one ($(wc -l < straight.txt) rows)"
else fail "the killed-and-resumed run differs from the straight one"; diff straight.txt killed.txt | head -5; fi

# ==== SIGINT and SIGTERM ======================================================
# The signal comes at a third of the straight run's duration on this
# machine, while the search runs (a fixed second missed it on a fast one).
signal_at=$(awk -v t="$took" 'BEGIN { printf "%.2f", t / 3 }')
for sig in INT TERM; do
  $FIT --db sig$sig.sqlite > sig.log 2>&1 &
  pid=$!
  sleep "$signal_at"
  kill -$sig $pid
  wait $pid; rc=$?
  status=$(sqlite3 sig$sig.sqlite "SELECT status FROM run")
  if [ $rc -eq 3 ] && [ "$status" = interrupted ] && grep -q "nasfit resume --db sig$sig.sqlite" sig.log; then
    ok "SIG$sig: exit 3, status interrupted, resume suggested"
  else fail "SIG$sig: exit $rc, status $status: $(cat sig.log)"; fi
done
expect 0 "" "$NASFIT" resume --db sigINT.sqlite --quiet && history_of sigINT.sqlite > sig.txt &&
  { cmp -s straight.txt sig.txt && ok "interrupted by SIGINT and resumed: equals the straight run" || fail "SIGINT + resume differs from the straight run"; }
expect 0 "nothing to resume" "$NASFIT" resume --db sigINT.sqlite

# ==== the read commands =======================================================
DB=straight.sqlite
best=$(sqlite3 $DB "SELECT winner_id FROM run")
expect 0 "best_acc" "$NASFIT" history --db $DB && expect 0 "winner: candidate $best" "$NASFIT" history --db $DB &&
  ok "history"
expect 0 "architecture" "$NASFIT" top --db $DB -n 3 && [ "$("$NASFIT" top --db $DB -n 3 | wc -l)" -eq 4 ] && ok "top -n 3"
expect 0 "lineage of candidate $best" "$NASFIT" lineage --db $DB best && ok "lineage best"
expect 0 "conv2d" "$NASFIT" show --db $DB best && expect 0 "parameters" "$NASFIT" show --db $DB 0 && ok "show"
for c in "history --db $DB" "top --db $DB -n 5" "lineage --db $DB best" "lineage --db $DB 2" "show --db $DB best"; do
  # shellcheck disable=SC2086
  if "$NASFIT" $c --json > out.json 2> err.txt && "$PY" -m json.tool out.json > /dev/null; then :
  else fail "$c --json is not one JSON document: $(head -c 300 out.json) $(cat err.txt)"; fi
done
ok "--json gives one JSON document for each"
top1=$("$NASFIT" top --db $DB -n 1 --json | "$PY" -c 'import json, sys; print(json.load(sys.stdin)["candidates"][0]["id"])')
want=$(sqlite3 $DB "SELECT candidate_id FROM candidate_fitness ORDER BY fitness DESC, candidate_id LIMIT 1")
gens=$("$NASFIT" history --db $DB --json | "$PY" -c 'import json, sys; print(len(json.load(sys.stdin)["generations"]))')
[ "$top1" = "$want" ] && [ "$gens" = "$GENS" ] && ok "the JSON agrees with the database" || fail "JSON: top $top1 (want $want), $gens generations"
"$NASFIT" show --db $DB best --json > arch.json
expect 0 "epoch" "$NASFIT" train --data data --arch arch.json --epochs 1 --threads 1 && ok "show --json is an architecture train --arch reads"
expect 0 "decaying to 0 (cosine)" "$NASFIT" train --data data --db $DB best --epochs 1 --threads 1 &&
  expect 2 "no candidate 99999" "$NASFIT" train --data data --db $DB 99999 &&
  ok "train --db retrains a stored architecture from new weights, with the final phase's cosine schedule"
expect 0 "digraph" "$NASFIT" dot --db $DB best && expect 0 "wrote" "$NASFIT" dot --db $DB best -o best.dot &&
  expect 2 "no candidate 99999" "$NASFIT" dot --db $DB 99999 && ok "dot --db draws a stored candidate"
# export and plot (issue 15's commands on the run file)
expect 0 "written to best.nfm" "$NASFIT" export --db $DB best -o best.nfm &&
  acc=$("$NASFIT" evaluate best.nfm --data data | sed -n 's/^test accuracy \([0-9.]*\).*/\1/p') &&
  want=$(sqlite3 $DB "SELECT printf('%.4f', test_accuracy) FROM run") &&
  { [ "$acc" = "$want" ] && ok "export best, then evaluate: the run's test accuracy $want" || fail "exported winner: $acc, the run said $want"; }
expect 0 "as ONNX" "$NASFIT" export --db $DB best -o best.onnx && [ -s best.onnx ] && ok "export --format onnx (by extension)"
gone=$(sqlite3 $DB "SELECT id FROM candidates WHERE id NOT IN (SELECT candidate_id FROM weights) LIMIT 1")
expect 2 "weights of candidate $gone are no longer kept" "$NASFIT" export --db $DB "$gone" -o gone.nfm && ok "export of a dead candidate: refused, pointing at show --json"
expect 0 "$GENS generations" "$NASFIT" plot --db $DB -o progress.png && [ "$(head -c 4 progress.png | tail -c 3)" = PNG ] && ok "plot"
expect 1 "-o PNG is required" "$NASFIT" plot --db $DB
for c in history top lineage show resume export plot; do
  expect 0 "usage: nasfit $c" "$NASFIT" $c --help || true
  expect 1 "--db FILE" "$NASFIT" $c || true
done
expect 1 "" "$NASFIT" top --db $DB -n 0
expect 1 "not a candidate id" "$NASFIT" show --db $DB x7
expect 2 "no candidate 999999" "$NASFIT" lineage --db $DB 999999
expect 2 "missing.sqlite: cannot open" "$NASFIT" history --db missing.sqlite
ok "--help, usage errors (1) and bad input (2)"

# ==== the README's queries, as printed ========================================
# Every line of the README that starts with "sqlite3 ... run.sqlite" runs on the straight run.
grep '^sqlite3 .*run.sqlite' "$README" > queries.sh
[ "$(wc -l < queries.sh)" -ge 3 ] || fail "the README shows fewer than 3 sqlite3 queries"
cp $DB run.sqlite
i=0
while IFS= read -r q; do
  i=$((i + 1))
  out=$(sh -c "$q" 2>&1); rc=$?
  if [ $rc -ne 0 ] || [ -z "$out" ] || echo "$out" | grep -q "Error"; then fail "README query $i: $q -> $out"; fi
done < queries.sh
ok "the README's $i sqlite3 queries work as printed"

# ==== bad files ================================================================
sqlite3 foreign.sqlite "CREATE TABLE t(x); INSERT INTO t VALUES (1)"
cp $DB newer.sqlite && sqlite3 newer.sqlite "PRAGMA user_version = 99"
printf 'this is not a database, but it is long enough to have a header\n' > garbage.sqlite
head -c 20000 $DB > truncated.sqlite
for c in history resume; do
  expect 2 "foreign.sqlite: a SQLite database, but not a nasfit run file" "$NASFIT" $c --db foreign.sqlite || true
  expect 2 "newer.sqlite: written by a newer nasfit" "$NASFIT" $c --db newer.sqlite || true
  expect 2 "garbage.sqlite: not a nasfit run file" "$NASFIT" $c --db garbage.sqlite || true
  expect 2 "truncated.sqlite" "$NASFIT" $c --db truncated.sqlite || true
done
# A resume whose data set changed under it is refused
cp -r data data2 && $FIT --data data2 --db moved.sqlite --set search.generations=1 > /dev/null 2>&1
sqlite3 moved.sqlite "UPDATE run SET status = 'interrupted', final_images = NULL, generation = 0"
"$PY" "$OLDPWD/tests/store/tiny_idx.py" data2 7
expect 2 "moved.sqlite: the data set is not the one this run started with" "$NASFIT" resume --db moved.sqlite &&
  ok "a resume on a changed data set is refused"
[ "$(sqlite3 foreign.sqlite 'SELECT x FROM t')" = 1 ] && [ "$(sqlite3 foreign.sqlite 'PRAGMA journal_mode')" = delete ] ||
  fail "a foreign file was changed"
expect 2 "foreign.sqlite: a SQLite database, but not a nasfit run file" $FIT --db foreign.sqlite
ok "foreign, newer, garbage and truncated files refused naming them; the foreign one untouched"
# Read-only: as another user when root (root writes anyway)
cp sigTERM.sqlite ro.sqlite && chmod 444 ro.sqlite && chmod 755 "$T"
as_other=""
[ "$(id -u)" -eq 0 ] && as_other="setpriv --reuid=65534 --regid=65534 --clear-groups"
expect 2 "ro.sqlite: cannot write" $as_other "$NASFIT" resume --db ro.sqlite &&
  expect 0 "gen" $as_other "$NASFIT" history --db ro.sqlite && ok "a read-only file: resume refused naming it, history reads it"
# A full disk: a file size limit makes the writes fail part way
rm -f full.sqlite
(ulimit -f 1200; trap '' XFSZ; $FIT --db full.sqlite > full.log 2>&1); rc=$?
if [ $rc -eq 4 ] && grep -q "full.sqlite: " full.log && grep -q "resume --db full.sqlite" full.log; then
  [ "$(sqlite3 full.sqlite 'PRAGMA integrity_check')" = ok ] || fail "integrity after a full disk"
  "$NASFIT" resume --db full.sqlite --quiet > full2.log 2>&1 && history_of full.sqlite > full.txt && cmp -s straight.txt full.txt &&
    ok "a full disk: one message naming the file (exit 4), file intact, resumed to the straight run's result" ||
    fail "after a full disk: $(cat full2.log)"
else fail "a full disk: exit $rc: $(cat full.log)"; fi

[ $failures -eq 0 ] && echo "store_check: all passed" && exit 0
echo "store_check: $failures failed"
exit 1
