#!/bin/sh
# The exit-status convention through the real binary (README, "Exit codes";
# app/cmd/commands.h): 0 done, 1 usage, 2 bad input, 3 interrupted, 4
# failed. `nasfit train` on a tiny IDX data set gives each of the five; the
# command table (main.c) gives 1 for no command and an unknown one; a few
# other commands give 1, 2 and 4 where the convention moved them.
BUILD=${BUILD:-build}
NASFIT=$(pwd)/$BUILD/nasfit
PY=${PYTHON:-/usr/bin/python3}
. tests/check_start.sh
# expect CODE TEXT CMD...: runs CMD, checks its exit status and that TEXT is in its output
expect() {
  want=$1; text=$2; shift 2
  out=$("$@" 2>&1); rc=$?
  if [ "$rc" != "$want" ]; then fail "$* exited $rc, not $want: $out"; return 1; fi
  if [ -n "$text" ] && ! printf '%s' "$out" | grep -qF -- "$text"; then fail "$*: no '$text' in: $out"; return 1; fi
  ok "exit $want: $*"
}
TRAIN="$NASFIT train --data data --threads 1 --batch 32"

# train: all five
expect 0 "epoch 1" $TRAIN --epochs 1 --train-limit 200
expect 1 "--epochs 0 is not an integer" $TRAIN --epochs 0
expect 1 "unexpected argument 'surplus'" $TRAIN surplus
expect 2 "/nonexistent/nasfit-data" "$NASFIT" train --data /nonexistent/nasfit-data
expect 4 "its folder does not exist" $TRAIN --save /nonexistent/dir/model.nfm
# 3: SIGINT while it trains (a training far longer than the signal's delay)
$TRAIN --epochs 100000 > int.log 2>&1 &
pid=$!
for _ in $(seq 1 600); do grep -q "model:" int.log && break; sleep 0.1; done
sleep 0.5
kill -INT $pid
wait $pid; rc=$?
[ $rc -eq 3 ] && grep -q "stopped" int.log && ok "exit 3: train stopped by SIGINT" ||
  fail "train stopped by SIGINT exited $rc, not 3: $(cat int.log)"

# the command table
expect 1 "usage: nasfit COMMAND" "$NASFIT"
expect 1 "unknown command 'frobnicate'" "$NASFIT" frobnicate
expect 0 "exit status, every command" "$NASFIT" --help
# where the convention moved a command's status
expect 1 "--val-fraction 1.5" "$NASFIT" data data --val-fraction 1.5
expect 1 "search.population = 1 is out of range" "$NASFIT" fit --population 1 --print-config
expect 2 "missing.nfm" "$NASFIT" dot missing.nfm
expect 2 "missing.nfm" "$NASFIT" evaluate missing.nfm --data data
printf 'not json' > bad.json
expect 2 "bad.json" "$NASFIT" train --data data --arch bad.json
# resume: a bad --time or --threads is a usage error, refused before the run file is opened for writing
"$NASFIT" fit --data data --config "$OLDPWD/tests/store/tiny.conf" --threads 1 --quiet --db r.sqlite > fit.log 2>&1 ||
  fail "tiny fit: $(cat fit.log)"
before=$(md5sum < r.sqlite)
expect 1 "is not a duration" "$NASFIT" resume --db r.sqlite --time ''
expect 1 "search.threads = 0" "$NASFIT" resume --db r.sqlite --threads 0
[ "$(md5sum < r.sqlite)" = "$before" ] && ok "a refused resume left the run file as it was" ||
  fail "a refused resume changed the run file"

[ $failures -eq 0 ] && echo "exit_check: all passed" && exit 0
echo "exit_check: $failures failed"; exit 1
