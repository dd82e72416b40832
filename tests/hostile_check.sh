#!/bin/sh
# Generated hostile inputs through the real binary (tests/hostile/hostile.py):
# valid files made by nasfit itself, mutated field by field (configuration
# lines, run-file rows and pointers through SQL, architecture JSON, model
# files with their checksums recomputed, PNG images, every subcommand's
# arguments); each case runs under a time and memory limit and must end
# with one message naming the file (exit 2, or 1 for usage), never a
# crash, a hang or a sanitizer report, and leave a run file it failed on
# unchanged. HOSTILE_SEED picks the random mutations (printed).
command -v sqlite3 >/dev/null 2>&1 || { echo "SKIP: the sqlite3 command is not installed (scripts/install-deps.sh)"; exit 77; }
exec "${PYTHON:-/usr/bin/python3}" "$(dirname "$0")/hostile/hostile.py" "$(pwd)/${BUILD:-build}/nasfit"
