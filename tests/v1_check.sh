#!/bin/sh
# A version-1 run file (made here from a tiny run by dropping schema v2's
# columns) reads through the temporary views (app/store/run_store.c, read_views[])
# without being written to: lineage and show print what they print for the
# version-2 file, top the same but for the worker (a v2 figure: "-"),
# history each generation with "-" for the v2 shares, and report writes its
# page. Opening it for writing (resume) migrates it to the current schema.
BUILD=${BUILD:-build}
NASFIT=$(pwd)/$BUILD/nasfit
CONF=$(pwd)/tests/store/tiny.conf
PY=${PYTHON:-/usr/bin/python3}
command -v sqlite3 >/dev/null 2>&1 || { echo "SKIP: the sqlite3 command is not installed (scripts/install-deps.sh)"; exit 77; }
. tests/check_start.sh

"$NASFIT" fit --data data --config "$CONF" --threads 1 --quiet --db v2.sqlite > fit.log 2>&1 || { cat fit.log; exit 1; }
cp v2.sqlite v1.sqlite
sqlite3 v1.sqlite "ALTER TABLE generations DROP COLUMN culled; ALTER TABLE generations DROP COLUMN train_seconds;
  ALTER TABLE generations DROP COLUMN score_seconds; ALTER TABLE generations DROP COLUMN idle_seconds;
  ALTER TABLE candidate_fitness DROP COLUMN culled; ALTER TABLE candidate_fitness DROP COLUMN worker;
  ALTER TABLE run DROP COLUMN trainer; ALTER TABLE run DROP COLUMN workers;
  ALTER TABLE generations DROP COLUMN predicted_seconds; PRAGMA user_version = 1;" || exit 1
before=$(md5sum < v1.sqlite)

for c in "lineage best" "lineage best --json" "show best" "show best --json"; do
  # (the --json documents name their file)
  a=$("$NASFIT" $c --db v2.sqlite 2>&1 | sed 's/v2\.sqlite/FILE/g'); b=$("$NASFIT" $c --db v1.sqlite 2>&1 | sed 's/v1\.sqlite/FILE/g')
  [ -n "$a" ] && [ "$a" = "$b" ] || fail "$c: the v1 file reads otherwise than the v2 one"
done
# top: the worker column (the 8th) is a v2 figure
a=$("$NASFIT" top --db v2.sqlite | awk 'NR > 1 { $8 = "-" } { print }'); b=$("$NASFIT" top --db v1.sqlite | awk 'NR > 1 { $8 = "-" } { print }')
[ -n "$a" ] && [ "$a" = "$b" ] || fail "top: the v1 file reads otherwise than the v2 one"
gens=$(sqlite3 v2.sqlite "SELECT count(*) FROM generations")
dashes=$("$NASFIT" history --db v1.sqlite | grep -cE '^ +[0-9]+ .* +- +-$')
[ "$gens" -gt 0 ] && [ "$dashes" = "$gens" ] || fail "history: $dashes of $gens generations show '-' for the v2 shares"
"$NASFIT" history --db v1.sqlite --json | grep -q '"culled": 0' || fail "history --json: no culled 0 from the views"
"$NASFIT" report --db v1.sqlite -o v1.html > /dev/null 2>&1 && [ -s v1.html ] || fail "report: no page from the v1 file"
[ "$(md5sum < v1.sqlite)" = "$before" ] || fail "reading the v1 file changed it"
[ $failures -eq 0 ] && ok "a v1 file reads through the views like its v2 source and stays unchanged"

"$NASFIT" resume --db v1.sqlite --quiet > resume.log 2>&1
[ "$(sqlite3 v1.sqlite 'PRAGMA user_version')" = 3 ] || fail "resume did not migrate the v1 file: $(cat resume.log)"
sqlite3 v1.sqlite "SELECT culled, worker FROM candidate_fitness LIMIT 1" > /dev/null 2>&1 || fail "migrated: no v2 columns"
"$NASFIT" history --db v1.sqlite > /dev/null 2>&1 || fail "history of the migrated file"
[ $failures -eq 0 ] && ok "resume migrates a v1 file to the current schema"
echo "v1_check: $failures failure(s)"
[ $failures -eq 0 ]
