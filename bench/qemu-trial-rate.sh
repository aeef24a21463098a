#!/usr/bin/env bash
# Real-QEMU trials through `qmprace run --target qemu`, measured side by side in one run:
#   1. trial time with one source QEMU reused across trials vs a fresh QEMU per trial (--fresh), on the
#      control schedule (a migration, a reset, QEMU survives): median trial time from `run --json` and
#      wall time per trial (start-up, RAM fill and teardown included), their ratio, and the goals
#      (reuse at least 3x faster, 150 ms or less per trial);
#   2. the crash rate of every corpus schedule (on a reused QEMU), of libvirt-reset with two busy
#      loops beside it, and of the two natural-window schedules on a fresh QEMU per trial, with 95%
#      Wilson intervals, hangs, and the most frequent crash signature.
# Rates drift with host load: compare them within one run only.
# Usage: bench/qemu-trial-rate.sh [TRIALS [QEMU]]   (QMPRACE=path/to/qmprace; default build/qmprace;
#        TRIALS per measurement, default 50; QEMU default qemu-system-x86_64 on PATH)
set -euo pipefail
cd "$(dirname "$0")/.."
qmprace=${QMPRACE:-build/qmprace}
n=${1:-50}
qemu_bin=${2:-$(command -v qemu-system-x86_64 || true)}
[ -x "$qmprace" ] || { echo "no $qmprace: build first (bash setup.sh test, or cmake)" >&2; exit 2; }
[ -n "$qemu_bin" ] && [ -x "$qemu_bin" ] || { echo "no QEMU: apt-get install qemu-system-x86, or give its path" >&2; exit 2; }
target="qemu:$qemu_bin"
tmp=$(mktemp -d)
loops=()
trap 'for p in "${loops[@]}"; do kill "$p" 2>/dev/null; done; rm -rf "$tmp"' EXIT

num() { grep -o "\"$2\":[0-9.]*" "$1" | head -1 | cut -d: -f2 || true; }

echo "$("$qemu_bin" --version | head -1); $n trials per line; $(nproc) cores, load $(cut -d' ' -f1-3 /proc/loadavg)"
echo
printf '%-22s %8s %14s %14s\n' "control, $n trials" mode "median trial" "wall/trial"
declare -A med wall
for mode in reuse fresh; do
  extra=()
  [ $mode = fresh ] && extra=(--fresh)
  start=$(date +%s%N)
  set +e
  "$qmprace" run corpus/control-reset-only.sched --target "$target" --repeat "$n" --deadline 5s \
    "${extra[@]}" --json "$tmp/$mode.json" -q >/dev/null 2>&1
  rc=$?
  set -e
  end=$(date +%s%N)
  [ $rc -le 1 ] || { echo "qmprace run failed ($rc) in $mode mode" >&2; exit 1; }
  med[$mode]=$(awk -v m="$(num "$tmp/$mode.json" trial_ms_median)" 'BEGIN { printf "%.1f", m }')
  wall[$mode]=$(awk -v ns=$((end - start)) -v n="$n" 'BEGIN { printf "%.1f", ns / 1e6 / n }')
  printf '%-22s %8s %11s ms %11s ms\n' "" $mode "${med[$mode]}" "${wall[$mode]}"
done
awk -v rm="${med[reuse]}" -v fm="${med[fresh]}" -v rw="${wall[reuse]}" -v fw="${wall[fresh]}" 'BEGIN {
  printf "%-22s %8s %12.1fx %12.1fx   (goal: reuse at least 3x faster, 150 ms or less per trial: %s)\n",
    "", "fresh/reuse", fm / rm, fw / rw, (fm / rm >= 3 && rm <= 150) ? "met" : "NOT met" }'
echo

# The natural window is as wide as the scheduler makes it: libvirt-reset again with two busy loops
# beside it (FACTS measured the same effect); and the two natural schedules on a fresh QEMU per trial,
# whose first migration and cleanup are slower than a reused one's.
printf '%-34s %9s %7s %15s %6s  %s\n' schedule crashes rate "95% CI" hangs "top signature"
rows=()
for sched in corpus/*.sched; do rows+=("$(basename "$sched" .sched)|$sched|"); done
rows+=("libvirt-reset, 2 busy loops beside|corpus/libvirt-reset.sched|loaded")
rows+=("libvirt-reset, fresh QEMU each|corpus/libvirt-reset.sched|fresh")
rows+=("multifd-on-in-window, fresh each|corpus/multifd-on-in-window.sched|fresh")
for row in "${rows[@]}"; do
  IFS='|' read -r name sched how <<<"$row"
  extra=()
  [ "$how" = fresh ] && extra=(--fresh)
  if [ "$how" = loaded ]; then
    for _ in 1 2; do (end=$((SECONDS + 300)); while [ $SECONDS -lt $end ]; do :; done) & loops+=($!); done
  fi
  set +e
  "$qmprace" run "$sched" --target "$target" --repeat "$n" --deadline 2s "${extra[@]}" --json "$tmp/r.json" \
    -q >/dev/null 2>&1
  rc=$?
  for p in "${loops[@]}"; do kill "$p" 2>/dev/null; wait "$p" 2>/dev/null; done
  loops=()
  set -e
  [ $rc -le 1 ] || { echo "qmprace run failed ($rc) on $name" >&2; exit 1; }
  crashes=$(num "$tmp/r.json" crashes)
  hangs=$(num "$tmp/r.json" hangs)
  ci=$(grep -o '"ci95":\[[0-9.e-]*,[0-9.e-]*\]' "$tmp/r.json" | sed 's/"ci95":\[//; s/\]//')
  sig=$(grep -o '"signatures":\[{"signature":"[^"]*"' "$tmp/r.json" | sed 's/.*"signature":"//; s/"$//' | cut -c1-60 || true)
  awk -v name="$name" -v c="$crashes" -v n="$n" -v ci="$ci" -v h="$hangs" -v sig="$sig" 'BEGIN {
    split(ci, b, ",");
    printf "%-34s %4d/%-4d %6.0f%% %6.0f%%-%5.0f%% %6d  %s\n", name, c, n, 100 * c / n, 100 * b[1], 100 * b[2], h, sig }'
done
