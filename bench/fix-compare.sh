#!/usr/bin/env bash
# What the fix changes on real QEMU, one build against the other in one run: `qmprace run --compare`
# of two schedules on a build without the fix (A) and one with it (B), TRIALS trials each:
#   - corpus/libvirt-reset-stalled-held.sched, the seed race held open (the yank assertion on A);
#   - a `migrate_cancel` sent as the failed migration cleans up (docs/running.md, "Properties"): with
#     the fix's `failing` status the cancel turns the failure into a cancellation, which the
#     failure-reported property names.
# Prints run's own reports and its classes (closed, left open, new, same).
# Usage: bench/fix-compare.sh [TRIALS] QEMU_WITHOUT_FIX QEMU_WITH_FIX   (QMPRACE=path/to/qmprace)
#        e.g. the builds of tests/qemu-fixed/build.sh: ~/.cache/qemu-7.2-failing/{vanilla,fixed}/build/...
set -euo pipefail
cd "$(dirname "$0")/.."
qmprace=${QMPRACE:-build/qmprace}
n=3
case ${1:-} in '' | *[!0-9]*) ;; *) n=$1; shift ;; esac
[ $# -eq 2 ] || { echo "usage: bench/fix-compare.sh [TRIALS] QEMU_WITHOUT_FIX QEMU_WITH_FIX" >&2; exit 2; }
[ -x "$qmprace" ] || { echo "no $qmprace: build first (bash setup.sh test, or cmake)" >&2; exit 2; }
for q in "$1" "$2"; do [ -x "$q" ] || { echo "no QEMU binary at $q" >&2; exit 2; }; done
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
printf 'caps events=on multifd=on\nmigrate\nafter 4MiB on any: stall all; wait 20ms; freeze live_migration 40ms; reset all\non failing +1ms: cancel\non failed +1ms: cancel\n' >"$tmp/cancel-failing.sched"
# no machine path in what it prints: the home directory as ~
show() { sed "s|$HOME|~|g"; }
echo "A: $("$1" --version | head -1) ($(echo "$1" | show))"
echo "B: $("$2" --version | head -1) ($(echo "$2" | show))"
echo "$n trials per schedule and build; $(nproc) cores, load $(cut -d' ' -f1-3 /proc/loadavg)"
set +e
"$qmprace" run corpus/libvirt-reset-stalled-held.sched "$tmp/cancel-failing.sched" --target "qemu:$1" \
  --compare "qemu:$2" --repeat "$n" >"$tmp/out" 2>&1
rc=$?
set -e
sed "s|$tmp/||g" "$tmp/out" | show
# run --compare: 1 when B has a finding (here the fix's own violation), 0/4/5 otherwise; 2 and 3 are errors
[ $rc -le 1 ] || [ $rc -ge 4 ] || { echo "qmprace run --compare failed (exit $rc)" >&2; exit 1; }
