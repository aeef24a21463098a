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
skipped=

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

# expect_no_crash CMD...: a `qmprace run` that must not crash the target (exit 0), where a hung trial is
# tolerated (exit 5, real QEMU's occasional stall) and the caller checks the JSON's hang count if it matters
expect_no_crash() {
  set +e
  "$@" >"$tmp/out" 2>"$tmp/err"
  local got=$?
  set -e
  if [ "$got" -ne 0 ] && [ "$got" -ne 5 ]; then
    fail "exit status $got, expected 0 (or 5: a hang): $*"
    sed 's/^/  stdout: /' "$tmp/out" | head -20 >&2
    sed 's/^/  stderr: /' "$tmp/err" | head -20 >&2
  else
    pass
  fi
}

# json_num FILE KEY: the first number member KEY in FILE (a JSON line, or pretty-printed JSON), e.g. crashes
json_num() { grep -o "\"$2\": *[0-9]*" "$1" | head -1 | sed 's/.*: *//'; }

# expect_grep FILE PATTERN [what]: fixed-string search
expect_grep() {
  if grep -qF -- "$2" "$1"; then pass; else fail "${3:-$1} lacks: $2"; sed 's/^/  /' "$1" | head -20 >&2; fi
}
expect_no_grep() {
  if grep -qF -- "$2" "$1"; then fail "${3:-$1} should not contain: $2"; else pass; fi
}

# replay_count JSON SIGNATURE: how many trials of a `qmprace run --json` report crashed with SIGNATURE (0
# if none)
replay_count() {
  local esc k key=signature sig=$2
  # a hang's signature is "hang: " and its reason, which the JSON lists under hang_reasons
  case $sig in "hang: "*) key=reason sig=${sig#hang: } ;; esac
  esc=$(printf '%s' "$sig" | sed 's/\\/\\\\/g; s/"/\\"/g; s|/|\\/|g')
  # through the environment: awk -v would undo the JSON escapes
  k=$(PAT="\"$key\":\"$esc\",\"count\":" awk '
    { i = index($0, ENVIRON["PAT"]); if (i) print substr($0, i + length(ENVIRON["PAT"])) + 0 }' "$1" | head -1)
  echo "${k:-0}"
}

# rate_meets K N LO HI: 1 when the 95% (Wilson) interval of K crashes in N trials meets LO-HI percent, else 0.
# A rate near a bound is measured on both sides with few trials, so the point K/N alone may fall just outside
# while both say the same; a 20/20 claim and a 10/20 run (30-70% against 84-100%) do not meet.
rate_meets() {
  awk -v k="$1" -v n="$2" -v lo="$3" -v hi="$4" 'BEGIN {
    if (n <= 0) { print 0; exit }
    z = 1.96; p = k / n; d = 1 + z * z / n; c = (p + z * z / (2 * n)) / d
    h = z * sqrt(p * (1 - p) / n + z * z / (4 * n * n)) / d
    print ((c + h) * 100 >= lo - 0.5 && (c - h) * 100 <= hi + 0.5) ? 1 : 0 }'
}

# expect_rate JSON SIGNATURE LO HI WHAT: the `qmprace run --json` report crashed with SIGNATURE at a rate whose
# 95% interval meets the LO-HI percent a claim (the README's) states
expect_rate() {
  local k n
  k=$(replay_count "$1" "$2")
  n=$(json_num "$1" trials)
  if [ "$(rate_meets "$k" "${n:-0}" "$3" "$4")" = 1 ]; then
    pass
  else
    fail "$5: $k/${n:-0} crashed with ${2:0:60}..., which does not meet the stated $3-$4%"
  fi
}

# expect_replays_as_stated REPRO: `qmprace run REPRO --repeat 20` with no other option (the reproducer's
# `# profile:` header says where and how) crashes with the signature its header names, at a rate
# consistent with the 95% interval the header states ("# crashed K/N on T (P%, 95% CI LO-HI%)"; hung or violated for those findings)
# A window that a reaction must reach within microseconds (a natural one: nothing freezes a thread to hold
# it) is missed while the machine is busier than when the hunt measured it, as under ctest -j2 beside a
# real QEMU (the sim's completion window, 50 us as measured on 7.2: 18/20 in triage, then 6/20 and 5/20).
# Such a reproducer says so in its header, and must then crash with its signature, not meet the rate; a
# replay outside the interval gets one more, and the second must meet it (or, natural, crash at all).
expect_replays_as_stated() {
  local repro=$1 sig lo hi k n try natural=
  sig=$(sed -n 's/^# signature: //p' "$repro" | head -1)
  read -r lo hi < <(sed -n 's/^# \(crashed\|hung\|violated\) .*95% CI \([0-9]*\)-\([0-9]*\)%).*/\2 \3/p' "$repro" | head -1)
  if [ -z "$sig" ] || [ -z "$lo" ]; then fail "$repro states no signature or rate"; return; fi
  # the header's claim is checked against the body: no freeze line, and only then
  if grep -q '^# it freezes no thread: ' "$repro"; then
    if grep -q '^[^#]*\bfreeze\b' "$repro"; then fail "$repro says it freezes no thread, and has a freeze"; return; fi
    natural=1
  fi
  for try in 1 2; do
    set +e
    "$QMPRACE" run "$repro" --repeat 20 --json "$tmp/replay.json" -q >"$tmp/out" 2>"$tmp/err"
    set -e
    k=$(replay_count "$tmp/replay.json" "$sig")
    n=$(json_num "$tmp/replay.json" trials)
    [ "$(rate_meets "$k" "${n:-0}" "$lo" "$hi")" = 1 ] && break
    echo "note: $repro: replay $try: $k/${n:-0}, outside the stated $lo-$hi%${natural:+ (it freezes no thread)}"
    if [ -n "$natural" ] && [ "$k" -gt 0 ]; then break; fi
  done
  if [ -n "$natural" ] && [ "$k" -gt 0 ]; then
    pass
  else
    expect_rate "$tmp/replay.json" "$sig" "$lo" "$hi" "$repro: replayed under its own profile, against its header"
  fi
}

# hunt_leftovers DIR: pids of processes a hunt with --out DIR started (afl-fuzz, the harness, its QEMU:
# they carry QMPRACE_HUNT_DIR=DIR in their environment) that still run
hunt_leftovers() {
  local want="QMPRACE_HUNT_DIR=$1" p
  for p in /proc/[0-9]*; do
    # (a process that ended meanwhile has no environ: the redirection's error is silenced too)
    { tr '\0' '\n' <"$p/environ"; } 2>/dev/null | grep -qxF -- "$want" && echo "${p#/proc/}"
  done
  return 0
}

# expect_no_leftovers DIR WHAT
expect_no_leftovers() {
  local left
  left=$(hunt_leftovers "$1" | tr '\n' ' ')
  if [ -z "$left" ]; then pass; else fail "$2: processes of the hunt still run: $left"; ps -o pid,stat,cmd -p "$(echo $left | tr ' ' ',')" >&2 || true; fi
}

# skip REASON: a part of this test cannot run here (a tool or target is missing). The test still runs
# what it can; it then ends as skipped (exit 77, which ctest shows as Skipped) with every REASON, unless a
# check failed. A part that silently did nothing would read as passed.
skip() {
  echo "SKIP: $*"
  skipped="${skipped:+$skipped; }$*"
}

e2e_done() {
  echo "$checks checks passed, $failures failed"
  [ "$failures" -eq 0 ] || return 1
  if [ -n "$skipped" ]; then
    echo "skipped in part: $skipped"
    exit 77
  fi
}
