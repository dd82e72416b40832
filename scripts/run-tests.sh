#!/bin/sh
# Runs every test binary (or script) given, one after another, and prints
# one closing line "N passed, N failed, N skipped" counting them. Exit
# status 77 means skipped (a runtime the test needs is missing; the test
# prints why). A test still running after NF_TEST_TIMEOUT seconds (default
# 1200) is killed with everything it started and counts as failed, so one
# hang cannot eat a CI run. Exits non-zero if any failed.
passed=0; failed=0; skipped=0; failed_names=""; skipped_names=""
for t in "$@"; do
  echo "== $t"
  timeout -k 30 "${NF_TEST_TIMEOUT:-1200}" "$t"
  rc=$?
  [ "$rc" -eq 124 ] && echo "FAIL: $t still running after ${NF_TEST_TIMEOUT:-1200} s: killed"
  if [ "$rc" -eq 0 ]; then passed=$((passed + 1))
  elif [ "$rc" -eq 77 ]; then skipped=$((skipped + 1)); skipped_names="$skipped_names $t"
  else failed=$((failed + 1)); failed_names="$failed_names $t"; fi
done
[ -n "$skipped_names" ] && echo "skipped:$skipped_names"
[ -n "$failed_names" ] && echo "failed:$failed_names"
echo "binaries: $passed passed, $failed failed, $skipped skipped"
[ "$failed" -eq 0 ]
