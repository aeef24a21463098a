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

# expect_replays_as_stated REPRO: `qmprace run REPRO --repeat 20` with no other option (the reproducer's
# `# profile:` header says where and how) crashes with the signature its header names, at a rate inside
# the 95% interval the header states ("# crashed K/N on T (P%, 95% CI LO-HI%)")
expect_replays_as_stated() {
  local repro=$1 sig lo hi esc k
  sig=$(sed -n 's/^# signature: //p' "$repro" | head -1)
  read -r lo hi < <(sed -n 's/^# crashed .*95% CI \([0-9]*\)-\([0-9]*\)%).*/\1 \2/p' "$repro" | head -1)
  if [ -z "$sig" ] || [ -z "$lo" ]; then fail "$repro states no signature or rate"; return; fi
  set +e
  "$QMPRACE" run "$repro" --repeat 20 --json "$tmp/replay.json" -q >"$tmp/out" 2>"$tmp/err"
  set -e
  esc=$(printf '%s' "$sig" | sed 's/\\/\\\\/g; s/"/\\"/g')
  k=$(awk -v pat="\"signature\":\"$esc\",\"count\":" '{ i = index($0, pat); if (i) print substr($0, i + length(pat)) + 0 }' \
    "$tmp/replay.json" | head -1)
  k=${k:-0}
  if [ $((k * 100)) -ge $((lo * 20)) ] && [ $((k * 100)) -le $((hi * 20)) ]; then
    pass
  else
    fail "$repro: replayed $k/20 under its own profile, its header states $lo-$hi%"
    sed 's/^/  /' "$tmp/err" | head -5 >&2
  fi
}

# hunt_leftovers DIR: pids of processes a hunt with --out DIR started (afl-fuzz, the harness, its QEMU:
# they carry QMPRACE_HUNT_DIR=DIR in their environment) that still run
hunt_leftovers() {
  local want="QMPRACE_HUNT_DIR=$1" p
  for p in /proc/[0-9]*; do
    tr '\0' '\n' <"$p/environ" 2>/dev/null | grep -qxF -- "$want" && echo "${p#/proc/}"
  done
  return 0
}

# expect_no_leftovers DIR WHAT
expect_no_leftovers() {
  local left
  left=$(hunt_leftovers "$1" | tr '\n' ' ')
  if [ -z "$left" ]; then pass; else fail "$2: processes of the hunt still run: $left"; ps -o pid,stat,cmd -p "$(echo $left | tr ' ' ',')" >&2 || true; fi
}

e2e_done() {
  echo "$checks checks passed, $failures failed"
  [ "$failures" -eq 0 ]
}
