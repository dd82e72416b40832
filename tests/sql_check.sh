#!/bin/sh
# SQL lives in the run store's three files and nowhere else (docs/architecture.md):
#   store.c        the SQLite wrapper, the only includer of sqlite3.h;
#   run_store.c    the schema, its migrations and read views, every write;
#   run_queries.c  every question a command asks (history, top, lineage, ...).
# Any other source under app/ that holds an SQL statement in a string, calls
# the raw statement interface (nf_store_exec and friends, nf_row_*) or
# includes sqlite3.h fails this check, with the file and line. The files
# are matched by name, wherever under app/ they live.
cd "$(dirname "$0")/.." || exit 1
STORE='(store|run_store|run_queries)\.c$'
SQL='"([^"\\]|\\.)*\<(SELECT|INSERT (OR [A-Z]+ )?INTO|UPDATE [a-z_]+ SET|DELETE FROM|CREATE (TEMP |UNIQUE )?(TABLE|INDEX|VIEW)|ALTER TABLE|DROP (TABLE|INDEX|VIEW)|PRAGMA|WITH RECURSIVE|BEGIN IMMEDIATE)\>'
RAW='\<(nf_store_(exec|first|script|int|lookup|begin|commit|rollback)|nf_row_[a-z]+)[[:space:]]*\('

# offenders FILE...: prints each line that breaks the rule
offenders() {
  for f in "$@"; do
    grep -nE "$SQL" "$f" | sed "s|^|$f: SQL text: |"
    grep -nE "$RAW" "$f" | sed "s|^|$f: raw statement call: |"
    grep -n '#include <sqlite3.h>' "$f" | sed "s|^|$f: includes sqlite3.h: |"
  done
}

failures=0
# The check itself must see a planted statement, or it proves nothing.
T=$(mktemp -d /tmp/nf_sql_check_XXXXXX)
trap 'rm -rf "$T"' EXIT
printf 'static const char *q = "SELECT id FROM candidates WHERE id = ?";\n' >"$T/planted.c"
printf 'void f(void) { nf_store_exec (db, q, NULL, 0, NULL, NULL); }\n' >"$T/raw.c"
printf '/* select the best, update the page, insert a row: words, not SQL */\nconst char *u = "nasfit history: select";\n' >"$T/prose.c"
[ -n "$(offenders "$T/planted.c")" ] || { echo "FAIL: the check misses a planted SELECT"; failures=$((failures + 1)); }
[ -n "$(offenders "$T/raw.c")" ] || { echo "FAIL: the check misses a raw nf_store_exec call"; failures=$((failures + 1)); }
[ -z "$(offenders "$T/prose.c")" ] || { echo "FAIL: the check flags prose as SQL"; failures=$((failures + 1)); }

files=$(find app -name '*.[ch]' | grep -vE "$STORE" | grep -v '/store\.h$' | sort)
found=$(offenders $files)
if [ -n "$found" ]; then
  echo "FAIL: SQL outside the run store's files (store.c, run_store.c, run_queries.c):"
  echo "$found"
  failures=$((failures + 1))
fi
stores=$(find app -name '*.c' | grep -cE "$STORE")
[ "$stores" -eq 3 ] || { echo "FAIL: expected the three store files under app/, found $stores"; failures=$((failures + 1)); }
[ "$failures" -eq 0 ] && echo "ok: SQL only in the run store's files ($(echo "$files" | wc -l) other sources checked)"
[ "$failures" -eq 0 ]
