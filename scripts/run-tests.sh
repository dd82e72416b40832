#!/bin/sh
# Runs every test binary given, one after another, and prints one closing
# line "N passed, N failed" counting binaries. Exits non-zero if any failed.
passed=0; failed=0; failed_names=""
for t in "$@"; do
  echo "== $t"
  if "$t"; then passed=$((passed + 1)); else failed=$((failed + 1)); failed_names="$failed_names $t"; fi
done
[ -n "$failed_names" ] && echo "failed:$failed_names"
echo "binaries: $passed passed, $failed failed"
[ "$failed" -eq 0 ]
