# e2e-lib.sh: what the end-to-end scripts share: a private temp dir removed on exit, and checks that say
# what was expected and what came. Sourced, not run.
set -euo pipefail
: "${QMPRACE:?QMPRACE must name the qmprace binary}"
: "${QMPRACE_SOURCE_DIR:?QMPRACE_SOURCE_DIR must name the repository}"
corpus=$QMPRACE_SOURCE_DIR/corpus
tmp=$(mktemp -d)
e2e_cleanup() { rm -rf "$tmp"; }
trap e2e_cleanup EXIT
failures=0
checks=0

fail() { echo "FAIL: $*" >&2; failures=$((failures + 1)); }
pass() { checks=$((checks + 1)); }

# expect_status WANT CMD...: runs CMD with stdout/stderr in $tmp/out, $tmp/err
expect_status() {
  local want=$1; shift
  set +e
  "$@" >"$tmp/out" 2>"$tmp/err"
  local got=$?
  set -e
  if [ "$got" -ne "$want" ]; then
    fail "exit status $got, expected $want: $*"
    sed 's/^/  stdout: /' "$tmp/out" | head -20 >&2
    sed 's/^/  stderr: /' "$tmp/err" | head -20 >&2
  else
    pass
  fi
}

# expect_grep FILE PATTERN [what]: fixed-string search
expect_grep() {
  if grep -qF -- "$2" "$1"; then pass; else fail "${3:-$1} lacks: $2"; sed 's/^/  /' "$1" | head -20 >&2; fi
}
expect_no_grep() {
  if grep -qF -- "$2" "$1"; then fail "${3:-$1} should not contain: $2"; else pass; fi
}

e2e_done() {
  echo "$checks checks passed, $failures failed"
  [ "$failures" -eq 0 ]
}
