#!/usr/bin/env bash
# Simulated-VMM trials per second through `qmprace run --repeat`, pinned to one core, measured side by
# side in one run:
#   - libvirt-reset: the issue's benchmark schedule (8 MiB through the proxy and sink, reset, the race)
#   - control-reset-only: the same without the capability change (the VMM survives and cleans up)
#   - libvirt-reset with the reset after 64 KiB: the same race with almost no streaming, which shows
#     what a trial costs apart from moving 8 MiB through loopback TCP three times
# and each rate's ratio to the goal of 2,000 trials per second.
# Usage: bench/sim-trial-rate.sh [TRIALS]   (QMPRACE=path/to/qmprace; default build/qmprace)
set -euo pipefail
cd "$(dirname "$0")/.."
qmprace=${QMPRACE:-build/qmprace}
n=${1:-2000}
goal=2000
[ -x "$qmprace" ] || { echo "no $qmprace: build first (bash setup.sh test, or cmake)" >&2; exit 2; }
command -v taskset >/dev/null || { echo "taskset (util-linux) is needed to pin to one core" >&2; exit 2; }
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
sed 's/after 8MiB on any/after 64KiB on any/' corpus/libvirt-reset.sched >"$tmp/libvirt-reset-64KiB.sched"

printf '%-28s %8s %9s %10s %8s %s\n' schedule trials seconds trials/s "x goal" "crashes"
for sched in corpus/libvirt-reset.sched corpus/control-reset-only.sched "$tmp/libvirt-reset-64KiB.sched"; do
  start=$(date +%s%N)
  set +e
  taskset -c 0 "$qmprace" run "$sched" --target sim:qemu-7.2 --repeat "$n" --json "$tmp/out.json" -q >/dev/null
  rc=$?
  set -e
  end=$(date +%s%N)
  [ $rc -le 1 ] || { echo "qmprace run failed ($rc) on $sched" >&2; exit 1; }
  crashes=$(grep -o '"crashes":[0-9]*' "$tmp/out.json" | cut -d: -f2)
  awk -v name="$(basename "$sched" .sched)" -v n="$n" -v ns=$((end - start)) -v goal=$goal -v c="$crashes" \
    'BEGIN { s = ns / 1e9; printf "%-28s %8d %9.2f %10.0f %8.2f %d/%d\n", name, n, s, n / s, n / s / goal, c, n }'
done
