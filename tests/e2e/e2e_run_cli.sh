#!/usr/bin/env bash
# `qmprace run` and `qmprace sim` as a user meets them: help, bad input (exit 2, file:line:col), an
# unreachable target (exit 3), a VMM served by `qmprace sim --listen` and attached with qmp:unix:,
# Ctrl-C in the middle of a long run (exit 130, partial results, nothing left behind).
source "$(dirname "$0")/e2e-lib.sh"

expect_status 0 "$QMPRACE" --help
expect_grep "$tmp/out" "run SCHEDULE"
expect_status 2 "$QMPRACE"
expect_status 2 "$QMPRACE" frobnicate
expect_status 0 "$QMPRACE" run --help
expect_grep "$tmp/out" "--repeat N"
expect_grep "$tmp/out" "qemu-7.2"
expect_status 2 "$QMPRACE" run
expect_status 2 "$QMPRACE" run "$corpus/libvirt-reset.sched" --repeat 0
expect_grep "$tmp/err" "--repeat"
expect_status 2 "$QMPRACE" run "$corpus/libvirt-reset.sched" --target sim:qemu-9.9
expect_grep "$tmp/err" "unknown sim model 'qemu-9.9'"
expect_status 2 "$QMPRACE" run "$tmp/does-not-exist.sched"
expect_grep "$tmp/err" "does-not-exist.sched"

printf 'caps events=on multifd=on\nmigrate\non failed: caps mutlifd=off\n' >"$tmp/typo.sched"
expect_status 2 "$QMPRACE" run "$tmp/typo.sched"
expect_grep "$tmp/err" "typo.sched:3:17: unknown capability 'mutlifd' (did you mean 'multifd'?)"

# nothing runs when one of several schedules is bad
expect_status 2 "$QMPRACE" run "$corpus/libvirt-reset.sched" "$tmp/typo.sched"
expect_no_grep "$tmp/out" "crashed"

# a reproducer's profile header decides where and how it runs; an option overrides its field; schedules
# with different profiles are not run together; a damaged header is an error at its place
{ printf '# profile: {"target":"sim:qemu-9.9","deadline":"2s"}\n'; cat "$corpus/libvirt-reset.sched"; } >"$tmp/p99.sched"
expect_status 2 "$QMPRACE" run "$tmp/p99.sched"
expect_grep "$tmp/err" "unknown sim model 'qemu-9.9'"
expect_status 1 "$QMPRACE" run "$tmp/p99.sched" --target sim:qemu-7.2 --json "$tmp/p.json"
expect_grep "$tmp/p.json" '"profile":{"target":"sim:qemu-7.2","ram":"0","deadline":"2s","without":""}'
expect_grep "$tmp/out" '  profile: {"target":"sim:qemu-7.2","ram":"0","deadline":"2s","without":""}'
{ printf '# profile: {"target":"sim:qemu-7.2","deadline":"3s"}\n'; cat "$corpus/libvirt-reset.sched"; } >"$tmp/p3.sched"
expect_status 2 "$QMPRACE" run "$tmp/p99.sched" "$tmp/p3.sched" --target sim:qemu-7.2
expect_grep "$tmp/err" "p99.sched and $tmp/p3.sched carry different profiles"
expect_status 1 "$QMPRACE" run "$tmp/p99.sched" "$tmp/p3.sched" --target sim:qemu-7.2 --deadline 1s
printf '# profile: {"target":"sim:qemu-7.2","ram":"lots"}\nmigrate\n' >"$tmp/pbad.sched"
expect_status 2 "$QMPRACE" run "$tmp/pbad.sched"
expect_grep "$tmp/err" "pbad.sched:1:12: profile: ram: "

# a schedule that did not run as written is not a pass: a hold of a thread that does not exist and a line
# whose trigger never came show in the summary, in the JSON and in exit status 4
printf 'caps events=on multifd=on\nparams multifd-channels=2\nmigrate\nafter 1MiB on any: freeze multifdsend_5 10ms; reset all\non cancelled: query\n' >"$tmp/unheld.sched"
expect_status 4 "$QMPRACE" run "$tmp/unheld.sched" --repeat 3 --json "$tmp/unheld.json"
expect_grep "$tmp/out" "0/3 crashed"
expect_grep "$tmp/out" "3 did not run as written"
expect_grep "$tmp/out" "3  not as written: line 4: freeze multifdsend_5 10ms held nothing: no thread 'multifdsend_5'"
expect_grep "$tmp/out" "3  not as written: line 5: \`on cancelled: query\` never fired"
expect_grep "$tmp/unheld.json" '"unexercised":3'
expect_grep "$tmp/unheld.json" '"reason":"line 4: freeze multifdsend_5 10ms held nothing'
# a hung trial still says what it never did, and a run whose trials hung exits 5, not 0
printf 'caps events=on multifd=on\nmigrate\nafter 1MiB on any: stall all\non failed: caps multifd=off\n' >"$tmp/stalled.sched"
expect_status 5 "$QMPRACE" run "$tmp/stalled.sched" --repeat 2 --deadline 300ms --json "$tmp/stalled.json"
expect_grep "$tmp/out" "0/2 crashed (0.0%, 95% CI 0.0-65.8%), 2 hung, 2 did not run as written"
expect_grep "$tmp/out" "2  not as written: line 4: \`on failed: caps multifd=off\` never fired"
expect_grep "$tmp/stalled.json" '"hangs":2'
expect_grep "$tmp/stalled.json" '"unexercised":2'
# ... and where the hung target waits: its blocked threads name the hang (the model's stacks, as eu-stack
# shows a real QEMU's), the reason follows (here the schedule's own stall, which the running migration
# waits for: no finding), and the timeline has every thread's stack
expect_grep "$tmp/out" "2  hang: multifdsend_N in qio_channel_socket_writev (held by the schedule: main stalled, multifd0 stalled, multifd1 stalled; did not settle: migration active)"
expect_status 5 "$QMPRACE" run "$tmp/stalled.sched" --deadline 300ms --timeline --json "$tmp/stalled-tl.json"
expect_grep "$tmp/out" "stack    live_migration (tid 2) blocked in multifd_send_pages: __futex_abstimed_wait_common < qemu_sem_wait < multifd_send_pages"
expect_grep "$tmp/out" "stack    main (tid 1) idle in main_loop_wait"
expect_grep "$tmp/stalled-tl.json" '"kind":"stack"'
# ... and a stall to the end with nothing left of the schedule is that hang at once, not at the deadline
# (timeout would end a trial that waited out its 20 s, and fail the status); a stall that ends does not
# stop the trial: the migration goes on and completes
expect_status 5 timeout 15 "$QMPRACE" run "$tmp/stalled.sched" --deadline 20s --timeline
expect_grep "$tmp/out" "what it stalls to the end holds the migration still: a hang now, not at the deadline"
expect_grep "$tmp/out" "1  hang: multifdsend_N in qio_channel_socket_writev (held by the schedule: main stalled"
printf 'caps events=on multifd=on\nmigrate\nafter 1MiB on any: stall all 400ms\n' >"$tmp/stall-ends.sched"
expect_status 0 "$QMPRACE" run "$tmp/stall-ends.sched" --deadline 20s --timeline
expect_grep "$tmp/out" "verdict  pass"
expect_no_grep "$tmp/out" "a hang now"
# ... a deadline shorter than the migration: still migrating (its bytes flowed to the end), a hang that
# is no finding of QEMU's, said so
printf 'caps events=on\nmigrate\n' >"$tmp/plain.sched"
expect_status 5 "$QMPRACE" run "$tmp/plain.sched" --deadline 40ms
expect_grep "$tmp/out" "(still migrating: its bytes still flowed at the deadline; did not settle: migration active)"
# ... a line still waiting out its delay at the deadline: the schedule's, not a hang of the target (the
# settle check's last word, from before the failure, said `active`: a hunt kept that as a finding)
printf 'caps events=on multifd=on\nparams multifd-channels=2\nmigrate\nafter 4MiB on any: freeze live_migration 30ms; reset main\non failing +24s: query\n' >"$tmp/later.sched"
expect_status 5 "$QMPRACE" run "$tmp/later.sched" --target sim:failing --deadline 500ms
expect_grep "$tmp/out" "1  hang: schedule still running"
# ... and a crash still says crash (exit 1), whatever else did not happen
printf 'caps events=on multifd=on\nparams multifd-channels=2\nmigrate\nafter 1MiB on any: freeze multifdsend_5 10ms; reset all\non failed: caps multifd=off\n' >"$tmp/unheld-crash.sched"
expect_status 1 "$QMPRACE" run "$tmp/unheld-crash.sched" --repeat 3
expect_grep "$tmp/out" "3 did not run as written"

expect_status 3 "$QMPRACE" run "$corpus/control-reset-only.sched" --target "qmp:unix:$tmp/nobody-listens"
expect_grep "$tmp/err" "nobody-listens"

# a VMM served over QMP: crashes show only as the connection dying, and qmprace says so
sock=$tmp/sim.sock
"$QMPRACE" sim --listen "unix:$sock" --model qemu-7.2 2>"$tmp/sim.err" &
sim_pid=$!
for _ in $(seq 100); do [ -S "$sock" ] && break; sleep 0.05; done
# (two processes race here, so a loaded machine can make the reaction miss the 2 ms window now and then:
# what is checked is that crashes are seen, and seen only as the connection dying)
expect_status 1 "$QMPRACE" run "$corpus/libvirt-reset.sched" --target "qmp:unix:$sock" --repeat 5 --json "$tmp/json"
crashes=$(grep -o '"crashes":[0-9]*' "$tmp/json" | cut -d: -f2)
expect_grep "$tmp/json" "\"signatures\":[{\"signature\":\"QMP connection lost\",\"count\":$crashes}]" "qmp target json"
expect_grep "$tmp/out" "shows a crash only as its QMP connection dying"
expect_status 0 "$QMPRACE" run "$corpus/control-reset-only.sched" --target "qmp:unix:$sock" --repeat 5
expect_grep "$tmp/out" "0/5 crashed"
expect_status 2 "$QMPRACE" run "$corpus/libvirt-reset-held.sched" --target "qmp:unix:$sock"
expect_grep "$tmp/err" "libvirt-reset-held.sched:7:31: "
expect_grep "$tmp/err" "'freeze' needs a target that can hold its threads"
kill -TERM "$sim_pid"
set +e; wait "$sim_pid"; sim_rc=$?; set -e
[ "$sim_rc" -eq 0 ] && pass || fail "qmprace sim exit status $sim_rc after SIGTERM"
[ ! -e "$sock" ] && pass || fail "qmprace sim left its socket file behind"
expect_grep "$tmp/sim.err" "yank_unregister_instance: Assertion"
expect_grep "$tmp/sim.err" "stopped after $crashes modeled death"

# Ctrl-C in a long run: exit 130, partial results printed and written, nothing left open
"$QMPRACE" run "$corpus/libvirt-reset.sched" --repeat 1000000 --json "$tmp/partial.json" -q >"$tmp/out" 2>"$tmp/err" &
run_pid=$!
sleep 1
kill -INT "$run_pid"
set +e; wait "$run_pid"; run_rc=$?; set -e
[ "$run_rc" -eq 130 ] && pass || fail "exit status $run_rc after SIGINT, expected 130"
expect_grep "$tmp/out" "(interrupted: partial)"
expect_grep "$tmp/partial.json" '"partial":true'
[ -z "$(ls "$tmp" | grep '\.tmp\.')" ] && pass || fail "a temporary JSON file was left behind"

e2e_done
