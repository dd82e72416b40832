#!/bin/sh
# nasfit report through the real binary, on a tiny IDX data set this script
# writes (tests/store/tiny_idx.py) and a tiny search (tests/store/tiny.conf):
#   - fit --report while a reader copies the page as fast as it can: every
#     copy is a whole page (starts with <!DOCTYPE html>, ends with </html>);
#     it reloads itself while the run goes on, and not once it is
#     interrupted; resume --report carries it to the end;
#   - the finished run's page opened in headless Chromium: it renders every
#     section with the run's own figures (the winner's test accuracy and
#     the number of generations, read with sqlite3), refers to nothing
#     outside itself, logs nothing to the console; a screenshot is written
#     to $BUILD/report/report.png;
#   - a class named <script>alert(1)</script> (and configuration text and a
#     failure message with markup) show as text and run nothing;
#   - two runs compared on one page; usage and bad input exit codes.
BUILD=${BUILD:-build}
NASFIT=$(pwd)/$BUILD/nasfit
CONF=$(pwd)/tests/store/tiny.conf
OUT=$(pwd)/$BUILD/report
PY=${PYTHON:-/usr/bin/python3}
command -v sqlite3 >/dev/null 2>&1 || { echo "SKIP: the sqlite3 command is not installed (scripts/install-deps.sh)"; exit 77; }
CHROMIUM=$(command -v chromium || command -v chromium-headless-shell || true)
[ -n "$CHROMIUM" ] || { echo "SKIP: Chromium is not installed (scripts/install-deps.sh installs the chromium package)"; exit 77; }
mkdir -p "$OUT"
. tests/check_start.sh
# browse MODE PAGE OUTFILE: the page in headless Chromium, with no network
# (every host name resolves to nothing) and a fresh profile; MODE is
# --dump-dom or --screenshot=FILE. The console log goes to OUTFILE.log.
browse() {
  profile=$(mktemp -d "$T/profile_XXXXXX")
  timeout 120 "$CHROMIUM" --headless --no-sandbox --disable-gpu --disable-quic --no-first-run \
    --disable-background-networking --disable-component-update --disable-sync --disable-extensions \
    --host-resolver-rules="MAP * ~NOTFOUND" --user-data-dir="$profile" --enable-logging=stderr --v=0 \
    --window-size=1280,2000 --hide-scrollbars "$1" "file://$T/$2" > "$3" 2> "$3.log"
}
whole() { # a file is a whole page
  [ "$(head -c 15 "$1")" = "<!DOCTYPE html>" ] && [ "$(tail -c 8 "$1" | od -An -c | tr -d ' ')" = '</html>\n' ]
}
GENS=12
FIT="$NASFIT fit --data data --config $CONF --set search.generations=$GENS --threads 2 --quiet"

# ==== the live page: fit --report, interrupted, resume --report =============
# poll PID: copies live.html until PID ends; counts copies and partial ones;
# sends SIGINT once a page shows generation STOP_AT (when set).
poll() {
  reads=0; partial=0; refreshing=0; sent=0
  while kill -0 "$1" 2>/dev/null; do
    if cp live.html snap.html 2>/dev/null; then
      reads=$((reads + 1))
      whole snap.html || { partial=$((partial + 1)); cp snap.html partial.html; }
      grep -q 'http-equiv="refresh"' snap.html && refreshing=$((refreshing + 1))
      if [ -n "$STOP_AT" ] && [ $sent -eq 0 ] && grep -q "id=\"headline-generations\">$STOP_AT<" snap.html; then
        kill -INT "$1"; sent=1
      fi
    fi
  done
}
$FIT --db run.sqlite --report live.html > fit.log 2>&1 &
pid=$!
STOP_AT=3 poll $pid
wait $pid; rc=$?
[ $rc -eq 3 ] || fail "fit --report, interrupted, exited $rc, not 3: $(cat fit.log)"
first_reads=$reads first_partial=$partial
[ $refreshing -gt 0 ] && ok "the page reloads itself while the run goes on ($refreshing of $reads copies)" ||
  fail "no copy of the live page asked to reload ($reads copies)"
grep -q 'http-equiv="refresh"' live.html && fail "the interrupted run's page still reloads itself"
grep -q 'interrupted (resumable)' live.html && ok "the interrupted run's page says so, and does not reload" ||
  fail "the interrupted run's page does not say interrupted"
$NASFIT resume --db run.sqlite --report live.html --quiet > resume.log 2>&1 &
pid=$!
STOP_AT= poll $pid
wait $pid; rc=$?
[ $rc -eq 0 ] || fail "resume --report exited $rc: $(cat resume.log)"
reads=$((reads + first_reads)); partial=$((partial + first_partial))
[ $partial -eq 0 ] && [ $reads -ge 20 ] && ok "$reads copies of the page while fit and resume rewrote it, every one whole" ||
  fail "$partial of $reads copies of the live page were partial (or too few copies)"
grep -q 'http-equiv="refresh"' live.html && fail "the finished run's page still reloads itself"
acc=$(sqlite3 run.sqlite "SELECT printf('%.4f', test_accuracy) FROM run")
gens=$(sqlite3 run.sqlite "SELECT count(*) FROM generations")
grep -q "id=\"result-test-accuracy\">$acc<" live.html && ok "the live page ends with the winner's test accuracy $acc" ||
  fail "the live page's last version lacks the test accuracy $acc"
grep -q 'id="confusion"' live.html && ok "fit --report's last page has the confusion matrix" ||
  fail "fit --report's last page has no confusion matrix"

# ==== the page in a browser ==================================================
expect_exit() { want=$1; shift; "$@" > cmd.log 2>&1; rc=$?; [ $rc -eq "$want" ] || fail "$* exited $rc, not $want: $(cat cmd.log)"; }
expect_exit 0 "$NASFIT" report --db run.sqlite -o report.html --evaluate
browse --dump-dom report.html dom.html
[ -s dom.html ] || fail "Chromium rendered nothing: $(tail -5 dom.html.log)"
for id in headline progress result top lineage mutations time run confusion top-table lineage-table mutations-table time-table config; do
  grep -q "id=\"$id\"" dom.html || fail "the rendered page has no #$id"
done
grep -q "id=\"headline-accuracy\">$acc<" dom.html && grep -q "id=\"result-test-accuracy\">$acc<" dom.html &&
  ok "the rendered page shows the winner's test accuracy $acc (headline and result)" ||
  fail "the rendered page does not show the test accuracy $acc"
grep -q "id=\"headline-generations\">$gens<" dom.html && ok "the rendered page counts $gens generations, as the run file" ||
  fail "the rendered page does not count $gens generations"
winner=$(sqlite3 run.sqlite "SELECT winner_id FROM run")
grep -q "candidate <b>$winner</b>" dom.html && ok "the result names the winner, candidate $winner" || fail "no winner $winner in the result"
[ "$(grep -c '<svg' dom.html)" -ge 6 ] && ok "charts and drawings are inline SVG ($(grep -c '<svg' dom.html))" ||
  fail "fewer than 6 inline SVG elements"
if grep -Eiq 'https?://|src=|href=|url\(|@import|<script|<link|<img|<iframe' report.html; then
  fail "the page refers to something outside itself: $(grep -Eio '.{30}(https?://|src=|href=|url\(|@import|<script|<link|<img|<iframe).{30}' report.html | head -3)"
else ok "the page refers to nothing outside itself (no URL, src, href, url(), script, link, img)"; fi
grep -q 'CONSOLE' dom.html.log && fail "the browser's console: $(grep CONSOLE dom.html.log | head -3)" ||
  ok "the browser's console stayed empty"
rm -f "$OUT/report.png"
browse --screenshot="$OUT/report.png" report.html shot.txt
[ "$(head -c 4 "$OUT/report.png" 2>/dev/null | od -An -c | tr -d ' ')" = "211PNG" ] &&
  ok "a screenshot of the page: $OUT/report.png ($(wc -c < "$OUT/report.png") bytes)" || fail "no screenshot PNG: $(tail -3 shot.txt.log)"
cp report.html "$OUT/report.html"

# ==== hostile text ===========================================================
cp run.sqlite hostile.sqlite
sqlite3 hostile.sqlite "UPDATE run SET class_names = '<script>alert(1)</script>' || substr(class_names, instr(class_names, char(10))),
  config = '# </pre><script>alert(2)</script>' || char(10) || config, message = '<img src=x onerror=alert(3)>',
  stop_reason = '\"><script>alert(4)</script>'"
expect_exit 0 "$NASFIT" report --db hostile.sqlite -o hostile.html --evaluate
browse --dump-dom hostile.html hostile_dom.html
if grep -qi '<script\|<img' hostile.html hostile_dom.html; then
  fail "markup from the run file reached the page: $(grep -io '.\{20\}<\(script\|img\).\{20\}' hostile.html hostile_dom.html | head -3)"
else ok "no markup from the run file reaches the page or the rendered DOM"; fi
grep -q 'id="class-names">&lt;script&gt;alert(1)&lt;/script&gt;' hostile_dom.html &&
  ok "a class named <script>alert(1)</script> shows as that text" || fail "the hostile class name is not shown as text"
grep -q 'CONSOLE' hostile_dom.html.log && fail "the hostile page logged: $(grep CONSOLE hostile_dom.html.log | head -3)"

# ==== several runs, usage, bad input =========================================
$FIT --db other.sqlite --set search.seed=2 --set search.generations=3 > other.log 2>&1 || fail "the second run: $(cat other.log)"
expect_exit 0 "$NASFIT" report --db run.sqlite --db other.sqlite -o compare.html
browse --dump-dom compare.html compare_dom.html
[ "$(grep -o '<tr><td class="l"><span' compare_dom.html | wc -l)" -eq 2 ] && grep -q 'other.sqlite' compare_dom.html &&
  ok "two runs compared: one summary row each" || fail "the comparison page does not hold one row per run"
whole compare.html || fail "the comparison page is not whole"
expect_exit 1 "$NASFIT" report --db run.sqlite
expect_exit 1 "$NASFIT" report -o x.html
expect_exit 0 "$NASFIT" report --help
echo "not a run" > garbage.sqlite
expect_exit 2 "$NASFIT" report --db garbage.sqlite -o x.html
expect_exit 4 "$NASFIT" report --db run.sqlite -o /nonexistent/dir/x.html
[ -e x.html ] && fail "a page was written for a bad run file"

echo "report_check: $failures failure(s)"
[ $failures -eq 0 ]
