#!/usr/bin/env bash
# `qmprace run --target qmp:unix:SOCK` against QMP peers that misbehave (tests/support/hostile_peer.c), end to end.
# Each gives a clear verdict or error, never a crash, hang or leak of qmprace itself (under the sanitizer
# build a leak or a sanitizer report changes the exit status, so the status checks catch it):
#
#   peer                                  exit  what qmprace says
#   sends no greeting                      3    no QMP greeting within 5000 ms (twice: a trial whose
#                                               target never got ready has one more go)
#   closes at once                         3    ... closed the connection before the QMP greeting (twice)
#   closes the first connection only       0    the second go passes; its timeline says it is one
#   half a greeting, then closes           3    ... in the middle of a message
#   greeting, then garbage                 3    malformed JSON from peer
#   garbage as a reply, mid-trial          3    the target broke the QMP protocol: malformed JSON ...
#   one message far bigger than 1 MiB      3    QMP message larger than 1048576 bytes (read no further)
#   a reply with neither return nor error  3    ... has neither return nor error
#   replies with ids nobody sent           0    ignored: the trials pass
#   unknown events and statuses, failing   1    recorded in the timeline; `failing` fires `on failing`;
#                                               its `failing > completed` is a status-machine violation
#   half a reply, then closes              1    crash: QMP connection lost (a VMM dying mid-write)
#   closes with our command unread (RST)   1    crash: QMP connection lost (reset)
#   stops reading and answering            5    a hang: no reply to ... (the trial's deadline), and the
#                                               lines it never ran (`migrate` never sent)
#   null status, nulls in query-yank       0    nothing running, nothing listed: the trial passes
source "$(dirname "$0")/e2e-lib.sh"
: "${QMPRACE_HOSTILE_PEER:?QMPRACE_HOSTILE_PEER must name the hostile_peer test helper}"

printf 'caps events=on\nmigrate\n' >"$tmp/plain.sched"
printf 'caps events=on\nmigrate\non failing: query\n' >"$tmp/failing.sched"
peer_pid=

peer_start() {
  sock=$tmp/peer.sock
  "$QMPRACE_HOSTILE_PEER" "$sock" "$1" "$tmp/peer.log" &
  peer_pid=$!
  for _ in $(seq 200); do [ -S "$sock" ] && return 0; sleep 0.02; done
  fail "hostile_peer $1 did not start listening"
}

peer_stop() {
  kill -TERM "$peer_pid" 2>/dev/null || true
  wait "$peer_pid" 2>/dev/null || true
  peer_pid=
}
trap 'peer_stop; e2e_cleanup' EXIT

# hostile MODE WANT_STATUS [qmprace run options...]: one `qmprace run` against a peer in MODE
hostile() {
  local mode=$1 want=$2
  shift 2
  : >"$tmp/peer.log"
  peer_start "$mode"
  expect_status "$want" "$QMPRACE" run "$tmp/plain.sched" --target "qmp:unix:$sock" "$@"
  peer_stop
  cp "$tmp/out" "$tmp/$mode.out"
  cp "$tmp/err" "$tmp/$mode.err"
}

hostile silent 3
expect_grep "$tmp/err" "no QMP greeting within 5000 ms"
hostile close 3
expect_grep "$tmp/err" "twice: could not talk QMP to the target: the peer closed the connection before the QMP greeting"
hostile close-first 0 --timeline
expect_grep "$tmp/out" "this trial is a second attempt: the first could not start: could not talk QMP to the target: the peer closed"
expect_grep "$tmp/out" "0/1 crashed"
hostile cut-greeting 3
expect_grep "$tmp/err" "the peer closed the connection in the middle of a message"
hostile greeting-garbage 3
expect_grep "$tmp/err" "could not talk QMP to the target: malformed JSON from peer"
hostile garbage 3
expect_grep "$tmp/err" "the target broke the QMP protocol: malformed JSON from peer"

hostile giant 3
expect_grep "$tmp/err" "the target broke the QMP protocol: QMP message larger than 1048576 bytes"
# refused after the limit, not buffered: the peer could write little more than 1 MiB plus socket buffers
wrote=$(sed -n 's/^giant: wrote \([0-9]*\) bytes.*/\1/p' "$tmp/peer.log")
if [ -n "$wrote" ] && [ "$wrote" -lt $((8 << 20)) ]; then pass; else fail "giant: the peer wrote '${wrote}' bytes"; fi

hostile no-return 3
expect_grep "$tmp/err" "has neither return nor error"

hostile unknown-ids 0 --repeat 2
expect_grep "$tmp/out" "0/2 crashed"
expect_grep "$tmp/out" ", 0 hung"
[ "$(grep -c '^connection' "$tmp/peer.log")" -eq 2 ] && pass || fail "unknown-ids: expected 2 connections"

# qmprace knows `failing` (the fix's status) and fires `on failing`; statuses it does not know are
# recorded and fire nothing; malformed events are ignored. The peer then says `completed`, which no
# QEMU does after `failing`: the status-machine property says so (exit 1), as for any target
: >"$tmp/peer.log"
peer_start unknown-events
expect_status 1 "$QMPRACE" run "$tmp/failing.sched" --target "qmp:unix:$sock" --timeline
peer_stop
expect_grep "$tmp/out" "0/1 crashed"
expect_grep "$tmp/out" "1  violation: status-machine: failing > completed"
expect_grep "$tmp/out" "unknown migration status 'frobbing'"
expect_grep "$tmp/out" "line 3: on failing: query"
expect_grep "$tmp/out" "FROBNICATED"
expect_no_grep "$tmp/out" "line 3: on failing: query; "

# replies of the wrong shape where qmprace looks inside them (its settle probe): a status that is null,
# a yank list of nulls and numbers; no migration runs and none is listed, so the trial passes
hostile odd-replies 0
expect_grep "$tmp/out" "0/1 crashed"

hostile cut 1 --timeline
expect_grep "$tmp/out" "1/1 crashed"
expect_grep "$tmp/out" "crash: QMP connection lost"
expect_grep "$tmp/out" "QMP connection ended (cut)"

hostile reset 1 --timeline
expect_grep "$tmp/out" "1/1 crashed"
expect_grep "$tmp/out" "crash: QMP connection lost"
expect_grep "$tmp/out" "QMP connection ended (reset)"

hostile stop-reading 5 --deadline 500ms
expect_grep "$tmp/out" "0/1 crashed"
expect_grep "$tmp/out" "1 hung"
expect_grep "$tmp/out" "hang: no reply to"
expect_grep "$tmp/out" "not as written: line 2: \`migrate\` never ran: the trial hung before it"

e2e_done
