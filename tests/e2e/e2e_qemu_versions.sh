#!/usr/bin/env bash
# The QEMU people run today, with and without the fix (issue 9's done-when), on the builds of
# tests/qemu-fixed: upstream 10.2.2 vanilla and with the seed's patch (build-upstream.sh 10.2), and
# Debian's 7.2 with the patch backported (build.sh). setup.sh test builds them (as root)
# (cached: seconds on a second run); where they are not built, this says so and skips (77).
#  - the held window (corpus/libvirt-reset-stalled-held.sched: `freeze live_migration`, and again written
#    `freeze mig/src/main`) crashes vanilla 10.2 at least 28/30 with the yank signature; the fixed builds
#    0/30, the timeline showing the change refused during `failing`; `params multifd-channels=1` in the
#    same window crashes all of them at least 25/30: the matrix of what the fix closes and leaves;
#  - 10.2 timelines show QEMU's trace points (no thread id in 10.2's log) and `on trace` works there,
#    under 7.2's name of a renamed trace point too;
#  - libvirt's full reset runs on 10.2 with no unknown-name refusal; a capability 10.2 lacks is refused
#    before anything runs, at its line and column; a hold that cannot happen is not a pass (exit 4).
source "$(dirname "$0")/e2e-lib.sh"

cache=${XDG_CACHE_HOME:-$HOME/.cache}
q102=${QEMU102_DIR:-$cache/qemu-10.2-failing}
q72=${QEMU_FIXED_DIR:-$cache/qemu-7.2-failing}
v102=$q102/vanilla/build/qemu-system-x86_64 f102=$q102/fixed/build/qemu-system-x86_64 f72=$q72/fixed/build/qemu-system-x86_64
for b in "$v102" "$f102" "$f72"; do
  if [ ! -x "$b" ]; then
    echo "SKIP: no $b (bash setup.sh test, as root, builds it with tests/qemu-fixed)"
    exit 77
  fi
done

yank='SIGABRT yank_unregister_instance: Assertion `QLIST_EMPTY(&entry->yankfns)'"'"' failed'
json_num() { grep -o "\"$2\":[0-9]*" "$1" | head -1 | cut -d: -f2; }
at_least() { local v; v=$(json_num "$1" "$2"); if [ "${v:-0}" -ge "$3" ]; then pass; else fail "$4: $2 $v, expected at least $3"; fi; }
at_most() { local v; v=$(json_num "$1" "$2"); if [ "${v:-0}" -le "$3" ]; then pass; else fail "$4: $2 $v, expected at most $3"; fi; }
only_yank() {
  local k; k=$(json_num "$1" crashes)
  if [ "$k" -eq 0 ] || grep -qF "\"signatures\":[{\"signature\":\"$yank\",\"count\":$k}]" "$1"; then pass; else fail "$2: crashes other than the yank"; fi
}
# run WANT BINARY SCHEDULE [options]: on that build, JSON in $tmp/json. The default guest RAM (256 MiB):
# with 64 MiB a stalled migration may reach its completion first, and QEMU 10 then holds the big lock in
# the migration thread that the schedule holds, so QMP waits for the release.
run() { expect_status "$1" "$QMPRACE" run "$3" --target "qemu:$2" --deadline 3s --json "$tmp/json" -q "${@:4}"; }

held=$corpus/libvirt-reset-stalled-held.sched
sed 's/freeze live_migration/freeze mig\/src\/main/' "$held" >"$tmp/held-mig-src-main.sched"
sed 's/^\(on fail[a-z]* +1ms:\) .*/\1 params multifd-channels=1/' "$held" >"$tmp/held-channels.sched"

# vanilla 10.2: the held window, with either name of the migration thread
for s in "$held" "$tmp/held-mig-src-main.sched"; do
  run 1 "$v102" "$s" --repeat 30
  at_least "$tmp/json" crashes 28 "10.2 vanilla, $(basename "$s")"
  only_yank "$tmp/json" "10.2 vanilla, $(basename "$s")"
  expect_grep "$tmp/json" '"unexercised":0' "10.2 vanilla: every trial ran as written"
done
# the reaction to `failing` alone on the build without the fix: it never comes, and that is said, not failed
grep -v '^on failed' "$held" >"$tmp/held-failing-only.sched"
run 0 "$v102" "$tmp/held-failing-only.sched" --repeat 3
expect_grep "$tmp/json" '"unexercised":0' "10.2 vanilla, on failing only"
expect_grep "$tmp/json" "never fired: QEMU 10.2.2 never reports 'failing'\",\"count\":3" "10.2 vanilla, on failing only"

# the fixed builds: the same file, unchanged, never crashes; the change on `failing` is refused
for b in "$f102" "$f72"; do
  run 0 "$b" "$held" --repeat 30 --timeline
  at_most "$tmp/json" crashes 0 "fixed $b, held window"
  expect_grep "$tmp/json" '"unexercised":0' "fixed $b: every trial ran as written"
  expect_grep "$tmp/json" 'MIGRATION {\"status\":\"failing\"}' "fixed $b: the timeline shows failing"
  expect_grep "$tmp/json" "migrate-set-capabilities -> error GenericError: There's a migration process in progress" \
    "fixed $b: the change refused during failing"
done

# multifd-channels in the same window: the hole the fix leaves, on every build
for b in "$v102" "$f102" "$f72"; do
  run 1 "$b" "$tmp/held-channels.sched" --repeat 30
  at_least "$tmp/json" crashes 25 "$b, multifd-channels=1 in the held window"
  only_yank "$tmp/json" "$b, multifd-channels=1"
done

# 10.2's trace points in the timeline, and `on trace` (7.2's name of a renamed point, too)
printf 'caps events=on multifd=on\nparams multifd-channels=2\nmigrate\nafter 4MiB on any: reset all\non trace migrate_fd_cleanup: query\n' >"$tmp/trace.sched"
expect_status 0 "$QMPRACE" run "$tmp/trace.sched" --target "qemu:$v102" --repeat 3 --timeline
expect_grep "$tmp/out" "trace    ?: migrate_set_state new state failed" "10.2 timeline"
expect_grep "$tmp/out" "migration_cleanup" "10.2 timeline: the cleanup under 10.2's name"
expect_grep "$tmp/out" "step     line 5: on trace migrate_fd_cleanup: query" "10.2: on trace fired"
expect_no_grep "$tmp/out" "did not run as written" "10.2: on trace"

# names: libvirt's full reset runs with no unknown-name refusal; a name 10.2 lacks is refused before running
expect_status 0 "$QMPRACE" run "$corpus/libvirt-full-reset.sched" --target "qemu:$v102" --repeat 3
expect_no_grep "$tmp/out" "not as written" "libvirt-full-reset on 10.2"
printf 'caps events=on multifd=on\nparams multifd-channels=2 compress-threads=4\nmigrate\n' >"$tmp/old-name.sched"
expect_status 2 "$QMPRACE" run "$tmp/old-name.sched" --target "qemu:$v102"
expect_grep "$tmp/err" "old-name.sched:2:27: parameter 'compress-threads' does not exist in qemu:$v102 (QEMU 10.2.2)"
# a hold that cannot happen at run time is not a pass
printf 'caps events=on multifd=on\nparams multifd-channels=2\nmigrate\nafter 4MiB on any: freeze multifdsend_5 10ms; reset all\n' >"$tmp/nothread.sched"
expect_status 4 "$QMPRACE" run "$tmp/nothread.sched" --target "qemu:$v102" --repeat 2
expect_grep "$tmp/out" "held nothing: QEMU has no thread multifdsend_5 or mig/src/send_5 now" "10.2: unheld"

e2e_done
