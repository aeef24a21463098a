#!/usr/bin/env bash
# `qmprace minimize` on the simulated VMM: libvirt's full reset (11 capabilities, a query, parameters)
# shrinks to the few lines that still crash the same way, the result says what it keeps and runs again;
# a schedule that does not crash is refused with exit 1. Runs without AFL++ (and so in the sanitizer pass).
source "$(dirname "$0")/e2e-lib.sh"
yank='SIGABRT yank_unregister_instance: Assertion `QLIST_EMPTY(&entry->yankfns)'"'"' failed'

# libvirt's full reset (11 capabilities and a query) shrinks and still crashes the same way
expect_status 0 "$QMPRACE" minimize "$QMPRACE_SOURCE_DIR/corpus/libvirt-full-reset.sched" --target sim:qemu-7.2 \
  -o "$tmp/small.sched" -q
expect_grep "$tmp/small.sched" "# signature: $yank"
[ "$(grep -vc '^#' "$tmp/small.sched")" -lt 5 ] && pass || fail "minimize kept too much: $(cat "$tmp/small.sched")"
expect_status 1 "$QMPRACE" run "$tmp/small.sched" --repeat 5 -q
expect_status 1 "$QMPRACE" minimize "$QMPRACE_SOURCE_DIR/corpus/control-reset-only.sched" -q
expect_grep "$tmp/err" "did not crash"

e2e_done
