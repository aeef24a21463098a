#!/usr/bin/env bash
# The crash/no-crash matrix on the simulated VMM, through `qmprace run` as a user runs it: rates,
# signatures, exit statuses, JSON. (The issue's acceptance: libvirt-reset crashes 100/100 with the yank
# signature on qemu-7.2 and 0/100 on failing; the control never crashes.)
source "$(dirname "$0")/e2e-lib.sh"

yank='SIGABRT yank_unregister_instance: Assertion `QLIST_EMPTY(&entry->yankfns)'"'"' failed'
mutex='SIGABRT qemu_mutex_lock_impl: Assertion `mutex->initialized'"'"' failed'

# run_json MODEL SCHED N: runs and leaves the JSON line in $tmp/json
run_json() {
  local want=$4
  expect_status "$want" "$QMPRACE" run "$corpus/$2" --target "sim:$1" --repeat "$3" --json "$tmp/json" -q
}

run_json qemu-7.2 libvirt-reset.sched 100 1
expect_grep "$tmp/json" '"trials":100,"crashes":100,"hangs":0' "libvirt-reset on qemu-7.2"
expect_grep "$tmp/json" "{\"signature\":\"$yank\",\"count\":100}" "libvirt-reset on qemu-7.2"
expect_grep "$tmp/out" "100/100 crashed" "text report"
expect_grep "$tmp/out" "$yank" "text report"

run_json failing libvirt-reset.sched 100 0
expect_grep "$tmp/json" '"trials":100,"crashes":0,"hangs":0' "libvirt-reset on failing"

for model in qemu-7.2 failing; do
  run_json $model control-reset-only.sched 100 0
  expect_grep "$tmp/json" '"trials":100,"crashes":0,"hangs":0' "control on $model"
  run_json $model cancel-in-window.sched 20 0
  expect_grep "$tmp/json" '"trials":20,"crashes":0,"hangs":0' "cancel in window on $model"
  # migrate-set-parameters is unprotected in 7.2, also with the fix
  run_json $model channels-2-to-1.sched 20 1
  expect_grep "$tmp/json" "{\"signature\":\"$yank\",\"count\":20}" "channels 2->1 on $model"
  run_json $model channels-2-to-8.sched 20 1
  expect_grep "$tmp/json" "{\"signature\":\"$mutex\",\"count\":20}" "channels 2->8 on $model"
done

run_json qemu-7.2 multifd-on-in-window.sched 20 1
expect_grep "$tmp/json" '{"signature":"SIGSEGV","count":20}' "multifd on in window, qemu-7.2"
run_json failing multifd-on-in-window.sched 20 0
run_json qemu-7.2 libvirt-reset-held.sched 10 1
expect_grep "$tmp/json" "{\"signature\":\"$yank\",\"count\":10}" "held window on qemu-7.2"
run_json failing libvirt-reset-held.sched 10 0
run_json qemu-7.2 libvirt-reset-stalled-held.sched 5 1
expect_grep "$tmp/json" "{\"signature\":\"$yank\",\"count\":5}" "stalled, held window on qemu-7.2"
run_json failing libvirt-reset-stalled-held.sched 5 0
for seed in libvirt-reset-late caps-while-active; do # hunt seeds must not crash by themselves
  run_json qemu-7.2 $seed.sched 5 0
done
# libvirt's full reset reads query-migrate first: two more round trips before the capability change, so
# a loaded machine can make it miss the 2 ms window now and then (as it can on real QEMU); it must still
# crash most of the time, and only with the yank signature.
run_json qemu-7.2 libvirt-full-reset.sched 20 1
crashes=$(grep -o '"crashes":[0-9]*' "$tmp/json" | cut -d: -f2)
[ "$crashes" -ge 10 ] && pass || fail "libvirt's full reset crashed only $crashes/20"
expect_grep "$tmp/json" "\"signatures\":[{\"signature\":\"$yank\",\"count\":$crashes}]" "libvirt's full reset on qemu-7.2"

# harm that is not a crash: with the fix, a migrate_cancel that lands while a failed migration cleans up
# turns the failure into a cancellation; failure-reported says so (exit 1, as a crash), 7.2 without the fix
# keeps it a failure and passes, and --properties none leaves it unchecked
printf 'caps events=on multifd=on\nmigrate\nafter 4MiB on any: stall all; wait 20ms; freeze live_migration 40ms; reset all\non failing +1ms: cancel\non failed +1ms: cancel\n' >"$tmp/cancel-failing.sched"
expect_status 1 "$QMPRACE" run "$tmp/cancel-failing.sched" --target sim:failing --repeat 3 --json "$tmp/cf.json" --timeline
expect_grep "$tmp/out" "0/3 crashed (0.0%, 95% CI 0.0-56.1%), 3 violated a property"
expect_grep "$tmp/out" "3  violation: failure-reported: failing > cancelling > cancelled, ended cancelled"
expect_grep "$tmp/out" "property violated: failure-reported (a migration that entered failing or failed ends failed"
expect_grep "$tmp/cf.json" '"violations":3'
expect_grep "$tmp/cf.json" '{"signature":"violation: failure-reported: failing > cancelling > cancelled, ended cancelled","count":3}'
expect_status 0 "$QMPRACE" run "$tmp/cancel-failing.sched" --target sim:qemu-7.2 --repeat 3
expect_no_grep "$tmp/out" "violat"
expect_status 4 "$QMPRACE" run "$tmp/cancel-failing.sched" --target sim:failing --repeat 3 --properties none
expect_no_grep "$tmp/out" "violat"
# one-vm: the simulated VMM models the destination (the guest runs there once the migration completed), so a
# `cont` of the source after the completion is split brain; a stop the schedule made before a failure is
# not a lost VM
printf 'caps events=on\nmigrate\non completed +1ms: qmp {"execute":"cont"}\n' >"$tmp/split.sched"
expect_status 1 "$QMPRACE" run "$tmp/split.sched" --repeat 3
expect_grep "$tmp/out" "3  violation: one-vm: both sides run the guest after completed (source running, the modelled destination running)"
printf 'caps events=on multifd=on\nqmp {"execute":"stop"}\nmigrate\nafter 4MiB on any: reset all\n' >"$tmp/stopped.sched"
expect_status 0 "$QMPRACE" run "$tmp/stopped.sched" --repeat 3
expect_status 0 "$QMPRACE" run "$tmp/split.sched" --repeat 1 --properties status-machine,failure-reported

# the two models side by side: the failure the fix turns into a cancellation is new on it, the seed race
# closed; JSON per schedule with its class; a second target that cannot be is said before anything runs
expect_status 1 "$QMPRACE" run "$tmp/cancel-failing.sched" "$corpus/libvirt-reset.sched" --target sim:qemu-7.2 \
  --compare sim:failing --repeat 3 --json "$tmp/cmp.json" -q
expect_grep "$tmp/out" "new: $tmp/cancel-failing.sched: A 0/3; B 3/3 violation: failure-reported:"
expect_grep "$tmp/out" "closed: $corpus/libvirt-reset.sched: A 3/3 SIGABRT yank_unregister_instance"
expect_grep "$tmp/out" "1 closed, 0 left open, 1 new, 0 same"
expect_grep "$tmp/cmp.json" 'cancel-failing.sched","class":"new","a":{"schedule"'
expect_grep "$tmp/cmp.json" '"target":"sim:failing"'
expect_status 0 "$QMPRACE" run "$corpus/control-reset-only.sched" --target sim:qemu-7.2 --compare sim:failing -n 2 -q
expect_grep "$tmp/out" "0 closed, 0 left open, 0 new, 1 same"
expect_status 2 "$QMPRACE" run "$tmp/cancel-failing.sched" --compare sim:nope
expect_grep "$tmp/err" "--compare: unknown sim model 'nope'"
expect_no_grep "$tmp/out" "crashed" "--compare sim:nope ran trials"
expect_status 2 "$QMPRACE" run "$tmp/cancel-failing.sched" --properties failure-reported,frob
expect_grep "$tmp/err" "--properties: unknown property 'frob'"

# a hang as a finding (docs/findings/cancel-hang-multifd.md): migrate_cancel on a multifd migration whose
# destination stopped reading; live_migration sleeps waiting for a free channel, the channels are stuck
# writing, and nothing wakes it to see the cancel. Both models hang every time, named by where they wait,
# as real 7.2 and 10.2.2 do
printf 'caps events=on multifd=on\nmigrate\nafter 4MiB on any: stall all; wait 150ms; cancel\n' >"$tmp/cancel-hang.sched"
expect_status 5 "$QMPRACE" run "$tmp/cancel-hang.sched" --target sim:qemu-7.2 --repeat 3 --deadline 500ms
expect_grep "$tmp/out" "3  hang: multifdsend_N in qio_channel_socket_writev (did not settle: migration cancelling)"
expect_status 5 "$QMPRACE" run "$tmp/cancel-hang.sched" --target sim:qemu-10.0 --repeat 3 --deadline 500ms
expect_grep "$tmp/out" "3  hang: multifdsend_N in qio_channel_socket_writev (did not settle: migration cancelling)"
# named by the writes everyone waits for; where live_migration waits for them is each version's own
expect_status 5 "$QMPRACE" run "$tmp/cancel-hang.sched" --target sim:qemu-10.0 --deadline 500ms --timeline
expect_grep "$tmp/out" "stack    mig/src/main (tid 2) blocked in multifd_send: __futex_abstimed_wait_common < qemu_sem_wait < multifd_send <"
expect_status 5 "$QMPRACE" run "$tmp/cancel-hang.sched" --target sim:qemu-7.2 --deadline 500ms --timeline
expect_grep "$tmp/out" "stack    live_migration (tid 2) blocked in multifd_send_pages: __futex_abstimed_wait_common < qemu_sem_wait < multifd_send_pages <"
# ... and without multifd the cancel is seen at once
sed 's/ multifd=on//' "$tmp/cancel-hang.sched" >"$tmp/cancel-nomf.sched"
expect_status 0 "$QMPRACE" run "$tmp/cancel-nomf.sched" --target sim:qemu-7.2 --repeat 3 --deadline 500ms

# pause-before-switchover, as 7.2 runs it: the VM stops, pre-switchover waits for migrate-continue, then
# device and completed; without the continue it is the hang of a command never sent, said at once; a
# cancel while paused ends cancelled, the VM running again
printf 'caps events=on multifd=on pause-before-switchover=on\nmigrate\non pre-switchover +5ms: qmp {"execute":"migrate-continue","arguments":{"state":"pre-switchover"}}\n' >"$tmp/pbs.sched"
expect_status 0 "$QMPRACE" run "$tmp/pbs.sched" --timeline
awk '/event +STOP/{a=NR} /event +MIGRATION {"status":"pre-switchover"}/{b=NR} /qmp< +migrate-continue -> {}/{c=NR}
     /event +MIGRATION {"status":"device"}/{d=NR} /event +MIGRATION {"status":"completed"}/{e=NR}
     END{exit !(a && b>a && c>b && d>c && e>d)}' "$tmp/out" && pass || { fail "pre-switchover timeline order"; cat "$tmp/out" >&2; }
head -2 "$tmp/pbs.sched" >"$tmp/pbs-paused.sched"
expect_status 5 timeout 10 "$QMPRACE" run "$tmp/pbs-paused.sched" --deadline 20s
expect_grep "$tmp/out" "(waits for a command: migrate-continue; did not settle: migration pre-switchover)"
printf 'caps events=on pause-before-switchover=on\nmigrate\non pre-switchover +1ms: cancel\n' >"$tmp/pbs-cancel.sched"
expect_status 0 "$QMPRACE" run "$tmp/pbs-cancel.sched" --timeline
expect_grep "$tmp/out" 'event    MIGRATION {"status":"cancelled"}'
expect_grep "$tmp/out" 'event    RESUME'

# return-path: after the device state the migration waits for the destination to close the return path.
# Into the sink, which never does, that is a hang known at once (not at the 20 s deadline), named after
# the thread that reads; inside the wait a command lands in `device`, and a cancel ends it `cancelled`; a
# reset of the main channel fails it (7.2 without its error, 10.0 with the read's, as QEMU does)
printf 'caps events=on return-path=on\nmigrate\n' >"$tmp/rp.sched"
expect_status 5 timeout 10 "$QMPRACE" run "$tmp/rp.sched" --deadline 20s
expect_grep "$tmp/out" "hang: return_path in qio_channel_socket_readv (waits for the sink: it never answers"
rpdev='caps events=on pause-before-switchover=on return-path=on\nmigrate\non pre-switchover: qmp {"execute":"migrate-continue","arguments":{"state":"pre-switchover"}}\n'
# (on the trace point of the wait itself: `on device` may come while the device state still drains)
printf "$rpdev"'on trace migration_return_path_end_before +1ms: query; cancel\n' >"$tmp/rp-cancel.sched"
expect_status 0 "$QMPRACE" run "$tmp/rp-cancel.sched" --timeline
awk '/trace +live_migration: migration_return_path_end_before/{a=NR} /trace +main: qmp_enter_query_migrate/{if(a&&!b)b=NR}
     /event +MIGRATION {"status":"cancelled"}/{c=NR} END{exit !(a && b>a && c>b)}' "$tmp/out" && pass ||
  { fail "the command inside the return path's wait, then cancelled"; cat "$tmp/out" >&2; }
printf "$rpdev"'on trace migration_return_path_end_before +1ms: reset main\n' >"$tmp/rp-reset.sched"
expect_status 1 "$QMPRACE" run "$tmp/rp-reset.sched" --target sim:qemu-7.2 --repeat 2
expect_grep "$tmp/out" "2  violation: failure-reported: failed, ended failed without its error"
expect_status 0 "$QMPRACE" run "$tmp/rp-reset.sched" --target sim:qemu-10.0 --repeat 2

# the timeline shows the race as it happened, in order: reset, failed, the command accepted, cleanup, death
# (accepted: the handler's own trace says so; its reply may not get out before the VMM dies, as on a
# slow, instrumented build)
expect_status 1 "$QMPRACE" run "$corpus/libvirt-reset.sched" --timeline
awk '/fault +reset all/{a=NR} /event +MIGRATION {"status":"failed"}/{if(!b)b=NR} /qmp< +migrate-set-capabilities -> {}|trace +main: qmp_exit_migrate_set_capabilities {} 1/{if(b&&!c)c=NR} /trace +main: savevm_state_cleanup/{d=NR} /death/{e=NR}
     END{exit !(a && b>a && c>b && d>c && e>d)}' "$tmp/out" && pass || { fail "timeline order"; cat "$tmp/out" >&2; }

e2e_done
