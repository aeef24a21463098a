#!/usr/bin/env bash
# AFL++ execs per second of the schedule harness (a trial on the simulated VMM per input) beside the null
# harness built the same way (same compiler, same persistent shared-memory loop, same seeds; it only
# decodes each input), measured side by side in one run, each for SECONDS (default 30), and their ratio.
# The goal is a ratio of at least 0.5.
# Usage: bench/harness-execs.sh [SECONDS]   (QMPRACE_BUILD=build dir, default build)
set -euo pipefail
cd "$(dirname "$0")/.."
build=${QMPRACE_BUILD:-build}
secs=${1:-30}
h=$build/afl/harness/qmprace-harness
n=$build/afl/harness/qmprace-harness-null
for b in "$h" "$n" "$build/qmprace"; do [ -x "$b" ] || { echo "no $b: build with AFL++ installed first" >&2; exit 2; }; done
command -v afl-fuzz >/dev/null || { echo "afl-fuzz is not installed" >&2; exit 2; }
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
mkdir "$tmp/seeds"
for s in control-reset-only libvirt-reset-late caps-while-active cancel-in-window; do
  "$build/qmprace" schedule encode "corpus/$s.sched" -o "$tmp/seeds/$s.bin"
done
rate() { # HARNESS NAME
  AFL_NO_UI=1 AFL_SKIP_CPUFREQ=1 AFL_NO_AFFINITY=1 AFL_I_DONT_CARE_ABOUT_MISSING_CRASHES=1 \
    QMPRACE_HARNESS_PROFILE='{"without":"params"}' afl-fuzz -i "$tmp/seeds" -o "$tmp/$2" -t 1000 -V "$secs" -- "$1" >/dev/null 2>&1 || true
  awk -F: '/^execs_done/ {d=$2} /^run_time/ {t=$2} END {if (t > 0) printf "%.1f", d / t; else print 0}' \
    "$tmp/$2/default/fuzzer_stats"
}
s=$(rate "$h" sim)
z=$(rate "$n" null)
printf '%-36s %10s\n' harness execs/s
printf '%-36s %10s\n' "qmprace-harness (sim:qemu-7.2)" "$s" "qmprace-harness-null" "$z"
awk -v s="$s" -v z="$z" 'BEGIN { printf "ratio %.4f (goal: 0.5 or more)\n", (z > 0 ? s / z : 0) }'
