#!/usr/bin/env bash
# Ctrl-C (SIGINT) and SIGTERM in the middle of a long `qmprace run`, on each kind of target: the simulated
# VMM in-process, a VMM over QMP (tests/support/hostile_peer.c in its well-behaved mode), and real QEMU when it is
# installed. Each must stop cleanly: exit 130 or 143, the results so far printed and written (marked
# partial, at least one trial in them), no temporary file or directory left (qmprace's own under TMPDIR,
# the JSON's next to it), and no child process left alive. Under the sanitizer build a leak or a report
# changes the exit status, so the status check catches it.
#
# To cover another command (`qmprace hunt`): an `interrupt_case` line (a label, the signal, how to tell
# that work is under way, the command) checks the exit status, TMPDIR and the children; then check what
# that command must leave (for `run`: check_run_partial; for `hunt`: its --out directory) in
# $tmp/LABEL.out, $tmp/LABEL.err and whatever the command wrote.
source "$(dirname "$0")/e2e-lib.sh"
: "${QMPRACE_HOSTILE_PEER:?QMPRACE_HOSTILE_PEER must name the hostile_peer test helper}"

cpid=
peer_pid=
cleanup() {
  [ -n "$cpid" ] && kill -KILL "$cpid" 2>/dev/null
  [ -n "$peer_pid" ] && kill -TERM "$peer_pid" 2>/dev/null && wait "$peer_pid" 2>/dev/null
  e2e_cleanup
}
trap cleanup EXIT

# The children of PID, one per line (pgrep is in procps, on every Debian; else a slow scan of /proc).
children_of() {
  if command -v pgrep >/dev/null 2>&1; then
    pgrep -P "$1" || true
    return
  fi
  local p
  for p in /proc/[0-9]*; do
    awk -v pp="$1" -v pid="${p#/proc/}" '{ sub(/.*\) /, ""); if ($2 == pp) print pid }' "$p/stat" 2>/dev/null
  done
}

# CPU time of PID so far, in clock ticks.
cpu_ticks() {
  awk '{ sub(/.*\) /, ""); print $12 + $13 }' "/proc/$1/stat" 2>/dev/null || echo 0
}

# Waits (at most 30 s) until work is under way in process $cpid, as WHAT says:
#   cpu:N       it has used N clock ticks of CPU (trials on the in-process sim cost little else)
#   peer:N      the QMP peer has seen N connections (each trial connects anew)
#   children:N  N different children have come and gone or are running
#   qemus:N     N different QEMU children (named qemu-system-*) seen; a trial's stack look (eu-stack) or a
#               QEMU that exited before it was seen does not count
wait_for_work() {
  local what=${1%%:*} n=${1#*:} seen=" "
  for _ in $(seq 600); do
    kill -0 "$cpid" 2>/dev/null || return 1
    case $what in
      cpu) [ "$(cpu_ticks "$cpid")" -ge "$n" ] && return 0 ;;
      peer)
        local got
        got=$(grep -c '^connection' "$tmp/peer.log" 2>/dev/null || true)
        [ "${got:-0}" -ge "$n" ] && return 0 ;;
      children)
        for c in $(children_of "$cpid"); do
          case $seen in *" $c "*) ;; *) seen="$seen$c " ;; esac
        done
        [ "$(echo $seen | wc -w)" -ge "$n" ] && { echo $seen >"$tmp/children.seen"; return 0; } ;;
      qemus)
        for c in $(children_of "$cpid"); do
          case $seen in *" $c "*) continue ;; esac
          case $(cat "/proc/$c/comm" 2>/dev/null) in qemu-system-*) seen="$seen$c " ;; esac
        done
        [ "$(echo $seen | wc -w)" -ge "$n" ] && { echo $seen >"$tmp/children.seen"; return 0; } ;;
    esac
    sleep 0.05
  done
  return 1
}

# interrupt_case LABEL INT|TERM WHAT CMD...: runs CMD in the background with its own TMPDIR, waits for
# work (see wait_for_work), sends the signal, and checks how it ended.
interrupt_case() {
  local label=$1 sig=$2 what=$3
  shift 3
  local want=130
  [ "$sig" = TERM ] && want=143
  local tdir=$tmp/t-$label
  mkdir -p "$tdir"
  : >"$tmp/children.seen"
  TMPDIR=$tdir "$@" >"$tmp/$label.out" 2>"$tmp/$label.err" &
  cpid=$!
  if ! wait_for_work "$what"; then
    fail "$label: no work under way ($what) within 30 s"
    sed 's/^/  stderr: /' "$tmp/$label.err" | head -10 >&2
  fi
  local kids
  kids="$(children_of "$cpid") $(cat "$tmp/children.seen")"
  kill -"$sig" "$cpid"
  local rc=0
  wait "$cpid" || rc=$?
  cpid=
  if [ "$rc" -eq "$want" ]; then pass; else
    fail "$label: exit status $rc after SIG$sig, expected $want"
    sed 's/^/  stderr: /' "$tmp/$label.err" | head -20 >&2
  fi
  if [ -z "$(ls -A "$tdir")" ]; then pass; else fail "$label: left in TMPDIR: $(ls -A "$tdir")"; fi
  # children get a moment to be reaped by init if qmprace left them; a live one is a failure
  local c alive=
  for _ in $(seq 20); do
    alive=
    for c in $kids; do
      [ -d "/proc/$c" ] && [ "$(awk '{ sub(/.*\) /, ""); print $1 }' "/proc/$c/stat" 2>/dev/null)" != Z ] && alive="$alive $c"
    done
    [ -z "$alive" ] && break
    sleep 0.05
  done
  if [ -z "$alive" ]; then pass; else fail "$label: children left running:$alive"; fi
}

# check_run_partial LABEL: `qmprace run ... --json $tmp/LABEL.json` printed and wrote its partial results
check_run_partial() {
  local label=$1
  expect_grep "$tmp/$label.out" "(interrupted: partial)" "$label: stdout"
  expect_grep "$tmp/$label.json" '"partial":true' "$label: JSON"
  if grep -q '"trials":[1-9]' "$tmp/$label.json" 2>/dev/null; then pass; else fail "$label: no trial in the JSON"; fi
  if ls "$tmp" | grep -q '\.tmp\.'; then fail "$label: a temporary JSON file was left"; else pass; fi
}

interrupt_case sim-int INT cpu:20 "$QMPRACE" run "$corpus/libvirt-reset.sched" --repeat 1000000 -q \
  --json "$tmp/sim-int.json"
check_run_partial sim-int
interrupt_case sim-term TERM cpu:20 "$QMPRACE" run "$corpus/control-reset-only.sched" --repeat 1000000 -q \
  --json "$tmp/sim-term.json"
check_run_partial sim-term

printf 'caps events=on\nmigrate\n' >"$tmp/plain.sched"
sock=$tmp/peer.sock
"$QMPRACE_HOSTILE_PEER" "$sock" normal "$tmp/peer.log" &
peer_pid=$!
for _ in $(seq 200); do [ -S "$sock" ] && break; sleep 0.02; done
interrupt_case qmp-int INT peer:3 "$QMPRACE" run "$tmp/plain.sched" --target "qmp:unix:$sock" --repeat 1000000 -q \
  --json "$tmp/qmp-int.json"
check_run_partial qmp-int
: >"$tmp/peer.log"
interrupt_case qmp-term TERM peer:3 "$QMPRACE" run "$tmp/plain.sched" --target "qmp:unix:$sock" --repeat 1000000 -q \
  --json "$tmp/qmp-term.json"
check_run_partial qmp-term
kill -TERM "$peer_pid" 2>/dev/null && wait "$peer_pid" 2>/dev/null

# Interrupted before the first trial ended (a peer that stops reading after qmp_capabilities holds the
# first trial until its deadline): nothing to report, and it says so rather than printing nothing.
: >"$tmp/peer.log"
"$QMPRACE_HOSTILE_PEER" "$tmp/peer2.sock" stop-reading "$tmp/peer.log" &
peer_pid=$!
for _ in $(seq 200); do [ -S "$tmp/peer2.sock" ] && break; sleep 0.02; done
interrupt_case qmp-early INT peer:1 "$QMPRACE" run "$tmp/plain.sched" --target "qmp:unix:$tmp/peer2.sock" --repeat 5 -q \
  --deadline 20s --json "$tmp/qmp-early.json"
expect_grep "$tmp/qmp-early.err" "interrupted before the first trial ended" "qmp-early: stderr"

if command -v qemu-system-x86_64 >/dev/null 2>&1 && "$QMPRACE" run --help | grep -q 'qemu\[:PATH\]'; then
  # the held reaction crashes QEMU often, and each trial after a crash starts a new one: a fourth QEMU
  # (after the version probe, its trace list and the first trial's) means a trial has ended; a stack
  # look mid-trial starts a child too, so children of any name are not enough
  interrupt_case qemu-int INT qemus:4 "$QMPRACE" run "$corpus/libvirt-reset-held.sched" --target qemu \
    --repeat 1000000 --deadline 2s -q --json "$tmp/qemu-int.json"
  check_run_partial qemu-int
  interrupt_case qemu-term TERM qemus:4 "$QMPRACE" run "$corpus/libvirt-reset-held.sched" --target qemu \
    --repeat 1000000 --deadline 2s -q --json "$tmp/qemu-term.json"
  check_run_partial qemu-term
else
  skip "the real-QEMU interrupt cases (no qemu-system-x86_64, or no qemu target in this qmprace)"
fi

harness=$(dirname "$QMPRACE")/afl/harness/qmprace-harness
if command -v afl-fuzz >/dev/null 2>&1 && [ -x "$harness" ]; then
  # a hunt: afl-fuzz running (its child) means work is under way; what it found so far is written
  for sig in INT TERM; do
    interrupt_case "hunt-$sig" "$sig" children:1 "$QMPRACE" hunt --time 120 --without params -q \
      --seeds "$corpus" --dict "$QMPRACE_SOURCE_DIR/fuzz/hunt-lines.sched" --out "$tmp/hunt-$sig"
    expect_grep "$tmp/hunt-$sig/summary.json" '"interrupted":true' "hunt-$sig: summary"
  done
else
  skip "the hunt interrupt cases (AFL++ or its harness is not built)"
fi

e2e_done
