#!/usr/bin/env bash
# The cancel hang (docs/findings/cancel-hang-multifd.md), measured side by side in one run: migrate_cancel
# on a multifd migration whose destination has stopped reading, on each target given (default: Debian's
# 7.2, the vanilla and fixed 7.2 and 10.2.2 builds of tests/qemu-fixed when built, and the simulated VMM's
# 7.2 and 10.0 models), TRIALS times each:
#   held    the reproducer (the channels stalled 150 ms before the cancel): hangs and their signature
#   20ms    the cancel 20 ms after the stall (the channels' buffers may not be full yet)
#   85ms    the cancel 85 ms after the stall (where the simulated VMM's race lies)
#   nomf    the reproducer without multifd
#   1s      the reproducer with the destination reading again after 1 s (`stall all 1s`): hangs past 3 s
# then, on the first build, LONG_TRIALS trials with a deadline of LONG seconds (does it end by itself?) and
# the stacks of one hung trial per build.
# Usage: bench/cancel-hang.sh [TRIALS [LONG [LONG_TRIALS [QEMU...]]]]   (QMPRACE=path; default build/qmprace)
set -euo pipefail
cd "$(dirname "$0")/.."
qmprace=${QMPRACE:-build/qmprace}
n=${1:-10} long=${2:-60} nlong=${3:-2}
shift $(($# < 3 ? $# : 3))
[ -x "$qmprace" ] || { echo "no $qmprace: build first" >&2; exit 2; }
cache=${XDG_CACHE_HOME:-$HOME/.cache}
targets=("$@")
if [ ${#targets[@]} -eq 0 ]; then
  targets=(qemu)
  for b in qemu-7.2-failing/vanilla qemu-7.2-failing/fixed qemu-10.2-failing/vanilla qemu-10.2-failing/fixed; do
    [ -x "$cache/$b/build/qemu-system-x86_64" ] && targets+=("qemu:$cache/$b/build/qemu-system-x86_64")
  done
  targets+=(sim:qemu-7.2 sim:qemu-10.0)
fi
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
printf 'caps multifd=on\nmigrate\nafter 1MiB on any: stall all; wait 150ms; cancel\n' >"$tmp/held.sched"
printf 'caps multifd=on\nmigrate\nafter 1MiB on any: stall all; wait 20ms; cancel\n' >"$tmp/20ms.sched"
printf 'caps multifd=on\nmigrate\nafter 1MiB on any: stall all; wait 85ms; cancel\n' >"$tmp/85ms.sched"
printf 'migrate\nafter 1MiB on any: stall all; wait 150ms; cancel\n' >"$tmp/nomf.sched"
printf 'caps multifd=on\nmigrate\nafter 1MiB on any: stall all 1s; wait 150ms; cancel\n' >"$tmp/1s.sched"
label() { case $1 in qemu) echo "debian-7.2" ;; sim:*) echo "$1" ;; *) echo "$1" | grep -o 'qemu-[0-9.]*-failing/[a-z]*' | sed 's/qemu-\([0-9.]*\)-failing\//\1-/' ;; esac; }
num() { grep -o "\"$2\":[0-9]*" "$1" | head -1 | cut -d: -f2; }
# cell TARGET SCHED DEADLINE: "H/N (lo-hi%)" of hangs, the top hang signature into $tmp/sig
cell() {
  set +e
  "$qmprace" run "$2" --target "$1" --repeat "$n" --deadline "$3" --json "$tmp/r.json" -q >/dev/null 2>"$tmp/err"
  local rc=$?
  set -e
  if [ ! -s "$tmp/r.json" ] || [ $rc -eq 2 ] || [ $rc -eq 3 ]; then echo "ERR(rc $rc)"; return; fi
  local h t
  h=$(num "$tmp/r.json" hangs) t=$(num "$tmp/r.json" trials)
  grep -o '"hang_reasons":\[{"reason":"[^"]*"' "$tmp/r.json" | sed 's/.*"reason":"//; s/"$//; s|\\/|/|g' >"$tmp/sig" || true
  awk -v k="$h" -v n="$t" 'BEGIN { z = 1.96; p = k / n; d = 1 + z * z / n; c = (p + z * z / (2 * n)) / d
    w = z * sqrt(p * (1 - p) / n + z * z / (4 * n * n)) / d; lo = c - w; hi = c + w; if (lo < 0) lo = 0; if (hi > 1) hi = 1
    printf "%d/%d (%.0f-%.0f%%)", k, n, 100 * lo, 100 * hi }'
}
echo "$n trials per cell, deadline 3s; $(nproc) cores, load $(cut -d' ' -f1-3 /proc/loadavg)"
printf '%-16s %-18s %-18s %-18s %-18s %-18s %s\n' build held 20ms 85ms nomf 1s "signature (held)"
for t in "${targets[@]}"; do
  h=$(cell "$t" "$tmp/held.sched" 3s); sig=$(cat "$tmp/sig" 2>/dev/null || true)
  w=$(cell "$t" "$tmp/20ms.sched" 3s)
  e=$(cell "$t" "$tmp/85ms.sched" 3s)
  m=$(cell "$t" "$tmp/nomf.sched" 3s)
  r=$(cell "$t" "$tmp/1s.sched" 3s)
  printf '%-16s %-18s %-18s %-18s %-18s %-18s %s\n' "$(label "$t")" "$h" "$w" "$e" "$m" "$r" "$sig"
done
echo
echo "does it end by itself? $nlong trials of the reproducer with a ${long}s deadline on $(label "${targets[0]}"):"
set +e
"$qmprace" run "$tmp/held.sched" --target "${targets[0]}" --repeat "$nlong" --deadline "${long}s" --json "$tmp/l.json" -q \
  >/dev/null 2>&1
set -e
echo "  $(num "$tmp/l.json" hangs) of $(num "$tmp/l.json" trials) still cancelling after ${long}s; median trial $(printf "%.0f" "$(grep -o "\"trial_ms_median\":[0-9.]*" "$tmp/l.json" | cut -d: -f2)") ms"
for t in "${targets[@]}"; do
  echo
  echo "stacks of a hung trial on $(label "$t"):"
  set +e
  "$qmprace" run "$tmp/held.sched" --target "$t" --deadline 3s --timeline -q 2>/dev/null | grep ' stack ' | sed 's/^ *[0-9]* us  stack    /  /'
  set -e
done
