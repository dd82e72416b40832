# Sourced by the shell checks from the repository's root, after their own
# settings (PY): a temporary folder named after the check, removed on exit,
# becomes the current one, with the tiny IDX data set of
# tests/store/tiny_idx.py in ./data ($OLDPWD is the repository); fail and
# ok print a result line, fail counts it in $failures.
T=$(mktemp -d "/tmp/nf_$(basename "$0" .sh)_XXXXXX")
trap 'rm -rf "$T"' EXIT
cd "$T" || exit 1
"$PY" "$OLDPWD/tests/store/tiny_idx.py" data || exit 1
failures=0
fail() { echo "FAIL: $*"; failures=$((failures + 1)); }
ok() { echo "ok: $*"; }
