#!/usr/bin/env bash
# The race on real QEMU, through `qmprace run --target qemu` as a user runs it (issue 3's done-when):
# the held window crashes (nearly) every time with the yank signature and the same schedule without the
# capability change never does; the natural schedules crash with their signatures (yank, SIGSEGV);
# the timeline shows the race in order from QEMU's own trace points; trace triggers work; a QEMU without
# trace points is said once and still judged; a QEMU that cannot start is exit 3 with its reason;
# --dest qemu migrates into a real destination.
source "$(dirname "$0")/e2e-lib.sh"
source "$(dirname "$0")/e2e-qemu-lib.sh"

yank='SIGABRT yank_unregister_instance: Assertion `QLIST_EMPTY(&entry->yankfns)'"'"' failed'
# A hang costs its deadline; 2 s is twenty times a slow trial here.
run() { expect_status "$1" "$QMPRACE" run "${@:2}" --target "$qemu" --deadline 2s --json "$tmp/json" -q; }
run_no_crash() { expect_no_crash "$QMPRACE" run "$@" --target "$qemu" --deadline 2s --json "$tmp/json" -q; }

# The held window: every time, and only the yank (50/50 in docs/targets.md's bench block; asked here as
# 30/30's 95% interval, 88.6-100%). On a machine so busy that QEMU's threads wait for a CPU the writes
# may not have filled the stalled sockets before the reset, and a multifd thread with nothing to write
# cannot fail: the run's own interval must still meet the stated one (24/30 does, 22/30 does not), once,
# without a second try.
run 1 "$tmp/stalled-held.sched" --repeat 30
expect_rate "$tmp/json" "$yank" 88.6 100 "held window"
only_signature "$tmp/json" "$yank" "held window"
expect_grep "$tmp/json" "\"target\":\"${qemu//\//\\/}\"" "JSON"
run 0 "$tmp/stalled-control.sched" --repeat 5
at_most "$tmp/json" crashes 0 "held window without the capability change"
run_no_crash "$corpus/control-reset-only.sched" --repeat 30
at_most "$tmp/json" crashes 0 "control"
at_most "$tmp/json" hangs 1 "control"

# The corpus' own held schedule resets first and holds after; on loopback that lands in the window only
# part of the time (25 of 50, and 8 hangs, in docs/targets.md's bench block): it must crash, and only
# with the yank. (QEMU 7.2 sometimes deadlocks when the thread is let go into a multifd sync: those hangs
# cost their deadline, so 1 s.)
expect_status 1 "$QMPRACE" run "$corpus/libvirt-reset-held.sched" --target "$qemu" --deadline 1s --repeat 20 \
  --json "$tmp/json" -q
at_least "$tmp/json" crashes 1 "corpus held schedule"
only_signature "$tmp/json" "$yank" "corpus held schedule"

# The natural window is a fraction of a millisecond and QEMU reads a QMP command byte by byte (about
# 0.7 ms for this one). On a reused QEMU (run's default) the cleanup runs so soon after FAILED that the
# command seldom lands in time (by hand, idle: 8/300 for libvirt-reset, 0/600 for
# multifd-on-in-window). A fresh QEMU's first migration is slower (page faults on its RAM), and so is
# its cleanup: 25/100 and 23/100 by hand, 8/50 and 14/50 in bench/qemu-trial-rate.sh's block, 32/60
# and 14/60 with two busy loops beside it. So these series ask a fresh QEMU per trial: 80 trials miss
# every crash one time in a million at 16%, one in 800 at 8% (the bench's lowest 95% bound).
# Under the sanitizers qmprace itself is several times slower to react, and a window of that width is
# a matter of QEMU's timing, not of qmprace's memory: that build leaves these two series out and says
# so (QMPRACE_SANITIZED, set by setup.sh).
if [ -z "${QMPRACE_SANITIZED:-}" ]; then
  run 1 "$corpus/libvirt-reset.sched" --repeat 80 --fresh
  at_least "$tmp/json" crashes 1 "libvirt-reset, natural, a fresh QEMU per trial"
  only_signature "$tmp/json" "$yank" "libvirt-reset, natural"
  # Multifd turned on in the window (nothing can hold this one open: without multifd the migration thread
  # sets FAILED and schedules the cleanup itself).
  run 1 "$corpus/multifd-on-in-window.sched" --repeat 80 --fresh
  at_least "$tmp/json" crashes 1 "multifd turned on in the window, natural, a fresh QEMU per trial"
  only_signature "$tmp/json" "SIGSEGV" "multifd turned on in the window"
else
  skip "the natural-window rates (a sanitizer build reacts too slowly for a window of a fraction of a millisecond)"
fi

# The timeline of a held crash, in order, from QEMU's own trace points: hold, reset, FAILED from a multifd
# thread, the command accepted, release, the cleanup on the main thread, the death.
expect_status 1 "$QMPRACE" run "$tmp/stalled-held.sched" --target "$qemu" --timeline
awk '/thread +live_migration held/{a=NR} /fault +reset all/{b=NR}
     /trace +multifdsend_[0-9]: migrate_set_state new state failed/{if(!c)c=NR}
     /qmp< +migrate-set-capabilities -> \{\}/{if(c&&!d)d=NR} /thread +live_migration released/{e=NR}
     /trace +main: savevm_state_cleanup/{f=NR} /death +the target died by SIGABRT/{g=NR}
     END{exit !(a && b>a && c>b && d>c && e>d && f>e && g>f)}' "$tmp/out" && pass ||
  { fail "held crash timeline order"; sed 's/^/  /' "$tmp/out" | head -80 >&2; }
expect_grep "$tmp/out" "1/1 crashed" "held crash report"

# `on trace` fires on QEMU's trace point (the cleanup bottom half starting)
cat >"$tmp/on-trace.sched" <<'EOF'
caps events=on multifd=on
params multifd-channels=2
migrate
after 8MiB on any: reset all
on trace savevm_state_cleanup: query
EOF
expect_status 0 "$QMPRACE" run "$tmp/on-trace.sched" --target "$qemu" --timeline
expect_grep "$tmp/out" "step     line 5: on trace savevm_state_cleanup: query" "on trace"
expect_grep "$tmp/out" "qmp<     query-migrate -> " "on trace"

# A migration paused before the switchover waits for migrate-continue, which no line sends: the trial
# ends as that hang once the schedule is done, not after its 10 s deadline, and says so
cat >"$tmp/paused.sched" <<'EOF'
caps events=on pause-before-switchover=on
migrate
EOF
expect_status 5 "$QMPRACE" run "$tmp/paused.sched" --target "$qemu" --deadline 10s --repeat 2 --timeline \
  --json "$tmp/json"
expect_grep "$tmp/out" "(waits for a command: migrate-continue; did not settle: migration pre-switchover)" "paused"
expect_grep "$tmp/out" "a hang now, not at the deadline" "paused"
at_most "$tmp/json" trial_ms_median 5000 "paused: the hang did not wait out its deadline"

# With return-path on, a migration into the sink waits at its end for the destination's answer on the
# return path, which the sink never gives: the hang of the sink (no finding), said once the migration is
# still, not at the deadline; the QEMU settles after the reset and serves the next trial
printf 'caps events=on return-path=on\nmigrate\n' >"$tmp/rp.sched"
expect_status 5 "$QMPRACE" run "$tmp/rp.sched" --target "$qemu" --deadline 10s --repeat 2 --timeline --json "$tmp/json"
expect_grep "$tmp/out" "2  hang: return_path in qio_channel_read (waits for the sink: it never answers; did not settle: migration active)"
expect_grep "$tmp/out" "waits for the sink to answer (a return path), which it never does: a hang now" "return path"
# (a sanitizer build, beside other QEMU tests, may take past the 150 ms a reset QEMU gets to settle: it
# then says so and replaces the QEMU; CI's sanitizer pass did once)
if [ -z "${QMPRACE_SANITIZED:-}" ]; then
  expect_grep "$tmp/out" "the target settled after the reset: it serves the next trial" "return path"
elif grep -qE "the target (settled after the reset: it serves the next trial|is replaced: it did not settle within 150ms of the reset)" "$tmp/out"; then
  pass
else
  fail "return path: neither settled after the reset nor replaced, said"
fi
at_most "$tmp/json" trial_ms_median 5000 "return path: the hang did not wait out its deadline"

# A QEMU without the log trace backend (simulated: a wrapper drops every -trace): said once, `on trace`
# refused before anything runs, and crashes still judged (death and assertion line need no tracing).
cat >"$tmp/notrace" <<EOF
#!/usr/bin/env bash
args=()
while [ \$# -gt 0 ]; do
  if [ "\$1" = -trace ]; then shift 2; continue; fi
  args+=("\$1"); shift
done
exec "$qemu_bin" "\${args[@]}"
EOF
chmod +x "$tmp/notrace"
expect_status 1 "$QMPRACE" run "$tmp/stalled-held.sched" --target "qemu:$tmp/notrace" --repeat 3 --timeline \
  --json "$tmp/notrace.json"
[ "$(grep -c 'has no `log` trace backend' "$tmp/err")" -eq 1 ] && pass || fail "no-trace warning not said exactly once"
# the held window without trace points: still (nearly) every time, as with them (88.6-100%, above)
expect_rate "$tmp/notrace.json" "$yank" 88.6 100 "no trace backend"
expect_grep "$tmp/out" "$yank" "no trace backend"
expect_no_grep "$tmp/out" "trace    " "no trace backend"
expect_status 2 "$QMPRACE" run "$tmp/on-trace.sched" --target "qemu:$tmp/notrace"
expect_grep "$tmp/err" "'on trace' needs a target that reports trace points" "no trace backend"
expect_status 2 "$QMPRACE" run "$corpus/control-reset-only.sched" --target "qemu:$tmp/notrace" --dest qemu
expect_grep "$tmp/err" "--dest qemu needs a QEMU with the \`log\` trace backend" "no trace backend"

# A QEMU that cannot start: exit 3, with what QEMU said
expect_status 3 "$QMPRACE" run "$corpus/control-reset-only.sched" --target "$qemu" --qemu-arg=-no-such-option
expect_grep "$tmp/err" "-no-such-option" "bad --qemu-arg"
expect_status 2 "$QMPRACE" run "$corpus/control-reset-only.sched" --target qemu:/nonexistent/qemu
expect_status 2 "$QMPRACE" run "$corpus/control-reset-only.sched" --fresh
expect_status 2 "$QMPRACE" run "$corpus/control-reset-only.sched" --target "$qemu" --ram 15MiB

# A fresh QEMU per trial works the same (its speed is for bench/qemu-trial-rate.sh)
run 0 "$corpus/control-reset-only.sched" --repeat 3 --fresh
at_most "$tmp/json" crashes 0 "--fresh"

# `thaw`: the held window closed by the reaction itself, once QEMU answered its command, crashes as the
# held window does (the same stated interval); with a query in its place the reaction comes inside the
# hold and its thaw lets the thread go. Only where a multifd thread had nothing to write at the reset (see
# the held window above: it cannot fail) does the failure, and so the reaction, come after the freeze's
# own timer let the thread go; that thaw then rightly says it released nothing (1 trial in 9 and in 20
# here, on an idle machine). So: most trials thaw, and nothing else is reported not as written. A thaw of
# a thread nobody holds is a line not run as written (exit 4), named in the report
sed -E 's/^on failed \+1ms: caps multifd=off; query$/&; thaw live_migration/' "$tmp/stalled-held.sched" >"$tmp/thawed.sched"
expect_grep "$tmp/thawed.sched" "on failed +1ms: caps multifd=off; query; thaw live_migration"
run 1 "$tmp/thawed.sched" --repeat 20
expect_rate "$tmp/json" "$yank" 88.6 100 "held window, thawed"
only_signature "$tmp/json" "$yank" "held window, thawed"
sed -E 's/^(on fail[a-z]* \+1ms: )caps multifd=off; /\1/' "$tmp/thawed.sched" >"$tmp/thawed-control.sched"
set +e
"$QMPRACE" run "$tmp/thawed-control.sched" --repeat 5 --target "$qemu" --deadline 2s --json "$tmp/json" -q \
  >"$tmp/out" 2>"$tmp/err"
rc=$?
set -e
{ [ $rc -eq 0 ] || [ $rc -eq 4 ]; } && pass || fail "held window, thawed by a query's reaction: exit status $rc"
at_most "$tmp/json" crashes 0 "held window, thawed by a query's reaction"
at_most "$tmp/json" unexercised 2 "held window, thawed by a query's reaction"
if python3 - "$tmp/json" <<'PY'; then pass; else fail "held window, thawed by a query's reaction: $(cat "$tmp/out")"; fi
import json, sys
late = "thaw live_migration released nothing: it was not held (a freeze had ended before)"
reasons = [r["reason"] for r in json.load(open(sys.argv[1]))["unexercised_reasons"]]
sys.exit(0 if all(late in r for r in reasons) else 1)
PY
printf 'caps events=on\nmigrate\non completed: thaw main\n' >"$tmp/thaw-nothing.sched"
expect_status 4 "$QMPRACE" run "$tmp/thaw-nothing.sched" --target "$qemu" --deadline 2s
expect_grep "$tmp/out" "not as written: line 3: thaw main released nothing: it was not held"

# A real destination: a migration without faults completes into it
cat >"$tmp/complete.sched" <<'EOF'
caps events=on multifd=on
params multifd-channels=2
migrate
EOF
# (the first trial of a run learns the settings while the source migrates, and may lose that race: then
# 7.2's source can hang in multifd_send_sync_main, and the run exits 5; the second schedule's trial
# starts its destination with them, and is what is checked)
cp "$tmp/complete.sched" "$tmp/complete-again.sched"
set +e
"$QMPRACE" run "$tmp/complete.sched" "$tmp/complete-again.sched" --target "$qemu" --dest qemu --ram 64MiB --timeline \
  --deadline 5s >"$tmp/out" 2>"$tmp/err"
rc=$?
set -e
[ $rc -eq 0 ] || [ $rc -eq 5 ] && pass || { fail "--dest qemu: exit status $rc"; head -20 "$tmp/err" >&2; }
sed -n '/complete-again.sched on/,$p' "$tmp/out" >"$tmp/again"
expect_grep "$tmp/again" "complete-again.sched on $qemu: 0/1 crashed (0.0%, 95% CI 0.0-79.3%), 0 hung" "--dest qemu"
expect_grep "$tmp/again" 'event    MIGRATION {"status":"completed"}' "--dest qemu"

# one-vm with a real destination: a `cont` of the source after the completion runs the guest on both
# sides (QEMU 7.2 allows postmigrate -> running), seen by query-status on each
cp "$tmp/complete.sched" "$tmp/split.sched"
echo 'on completed +1ms: qmp {"execute":"cont"}' >>"$tmp/split.sched"
set +e
# (three trials of it: 7.2's source may hang in one, as above; one violation makes the exit status 1)
"$QMPRACE" run "$tmp/complete.sched" "$tmp/split.sched" --target "$qemu" --dest qemu --ram 64MiB --deadline 5s --repeat 3 \
  >"$tmp/out" 2>"$tmp/err"
rc=$?
set -e
[ $rc -eq 1 ] && pass || { fail "--dest qemu, cont after completed: exit status $rc, expected 1"; head -20 "$tmp/out" >&2; }
expect_grep "$tmp/out" "violation: one-vm: both sides run the guest after completed (source running, the destination running)"

e2e_done
