#!/bin/sh
# Runs every test binary (or script) given, one after another, and prints
# one closing line "N passed, N failed, N skipped" counting them. Exit
# status 77 means skipped (a runtime the test needs is missing; the test
# prints why). Exits non-zero if any failed.
passed=0; failed=0; skipped=0; failed_names=""; skipped_names=""
for t in "$@"; do
  echo "== $t"
  "$t"
  rc=$?
  if [ "$rc" -eq 0 ]; then passed=$((passed + 1))
  elif [ "$rc" -eq 77 ]; then skipped=$((skipped + 1)); skipped_names="$skipped_names $t"
  else failed=$((failed + 1)); failed_names="$failed_names $t"; fi
done
[ -n "$skipped_names" ] && echo "skipped:$skipped_names"
[ -n "$failed_names" ] && echo "failed:$failed_names"
echo "binaries: $passed passed, $failed failed, $skipped skipped"
[ "$failed" -eq 0 ]
