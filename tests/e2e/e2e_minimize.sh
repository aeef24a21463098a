#!/usr/bin/env bash
# `qmprace minimize` on the simulated VMM: libvirt's full reset (11 capabilities, a query, parameters)
# shrinks to the few lines that still crash the same way, the result says what it keeps and runs again;
# a schedule with no finding is refused with exit 1; a hang shrinks as a crash does. Runs without AFL++ (and so in the sanitizer pass).
source "$(dirname "$0")/e2e-lib.sh"
yank='SIGABRT yank_unregister_instance: Assertion `QLIST_EMPTY(&entry->yankfns)'"'"' failed'

# libvirt's full reset (11 capabilities and a query) shrinks and still crashes the same way
expect_status 0 "$QMPRACE" minimize "$QMPRACE_SOURCE_DIR/corpus/libvirt-full-reset.sched" --target sim:qemu-7.2 \
  -o "$tmp/small.sched" -q
expect_grep "$tmp/small.sched" "# signature: $yank"
[ "$(grep -vc '^#' "$tmp/small.sched")" -lt 5 ] && pass || fail "minimize kept too much: $(cat "$tmp/small.sched")"
expect_status 1 "$QMPRACE" run "$tmp/small.sched" --repeat 5 -q
expect_status 1 "$QMPRACE" minimize "$QMPRACE_SOURCE_DIR/corpus/control-reset-only.sched" -q
expect_grep "$tmp/err" "had no finding"

# a hang is a finding too: the simulated 7.2 never ends a cancel its sleeping multifd sender does not see
# (docs/findings/cancel-hang-multifd.md); the query around it goes, the hang and its stacks stay
printf 'caps events=on multifd=on\nmigrate\nafter 1MiB on any: query\nafter 4MiB on any: stall all; wait 150ms; cancel\n' \
  >"$tmp/hang.sched"
expect_status 0 "$QMPRACE" minimize "$tmp/hang.sched" --target sim:qemu-7.2 --deadline 300ms -n 2 --max-candidates 8 \
  -o "$tmp/hang.min" -q
expect_grep "$tmp/hang.min" "# signature: hang: multifdsend_N in qio_channel_socket_writev (did not settle: migration cancelling)"
expect_grep "$tmp/hang.min" "# hung 4/4 on sim:qemu-7.2"
expect_no_grep "$tmp/hang.min" "query"
expect_status 5 "$QMPRACE" run "$tmp/hang.min" --repeat 2 -q

e2e_done
