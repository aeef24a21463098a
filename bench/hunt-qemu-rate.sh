#!/usr/bin/env bash
# Hunting a real QEMU next to the simulated one, side by side in one run. For each target (sim:qemu-7.2,
# then the real QEMU): `qmprace run`'s trial rate on the hunt's seeds (the corpus without its known
# cases) under the hunt's trial profile (sim: 32 MiB guest, 200 ms deadline; qemu: 64 MiB, 500 ms, one
# reused QEMU), then a hunt of SECONDS (default 120; `--without params`, not stopped at a crash):
# AFL++'s executions per second beside the migration trials per second the harness counted (inputs that
# ran a migration, tally.h) and the share of inputs that ran no migration or were refused, stability,
# against the goals (20 migration trials per second per core, stability above 80%), and whether the
# hunt found the yank assertion.
# Usage: bench/hunt-qemu-rate.sh [SECONDS [QEMU]]   (QMPRACE=path/to/qmprace; default build/qmprace)
set -euo pipefail
cd "$(dirname "$0")/.."
qmprace=${QMPRACE:-build/qmprace}
secs=${1:-120}
qemu_bin=${2:-$(command -v qemu-system-x86_64 || true)}
[ -x "$qmprace" ] || { echo "no $qmprace: build first" >&2; exit 2; }
[ -n "$qemu_bin" ] && [ -x "$qemu_bin" ] || { echo "no QEMU: apt-get install qemu-system-x86, or give its path" >&2; exit 2; }
case $secs in ''|*[!0-9]*) echo "SECONDS must be a number" >&2; exit 2 ;; esac
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
echo "$("$qemu_bin" --version | head -1); $(nproc) cores, load $(cut -d' ' -f1-3 /proc/loadavg)"
# the hunt's seeds: the corpus without its known cases (marked "# hunt: not a seed")
seeds=()
while IFS= read -r f; do seeds+=("$(basename "$f" .sched)"); done < <(grep -L '^# hunt: not a seed' corpus/*.sched)

# one row: TARGET LABEL RAM DEADLINE
row() {
  local target=$1 label=$2 ram=$3 deadline=$4 dir="$tmp/$2"
  local start end trials=0
  start=$(date +%s%N)
  local refused=0
  for s in "${seeds[@]}"; do
    set +e
    "$qmprace" run "corpus/$s.sched" --target "$target" --ram "$ram" --deadline "$deadline" --repeat 50 -q \
      --json "$dir.json" >/dev/null 2>&1
    local rc=$?
    set -e
    # only trials that ran count: a seed the target refuses (exit 2) or cannot start (3) adds none
    if [ $rc -eq 2 ] || [ $rc -eq 3 ] || [ ! -s "$dir.json" ]; then
      refused=$((refused + 1))
    else
      trials=$((trials + $(grep -o '"trials":[0-9]*' "$dir.json" | head -1 | cut -d: -f2)))
    fi
    rm -f "$dir.json"
  done
  [ $refused -eq 0 ] || echo "$label: $refused seed(s) did not run (refused by the target or it could not start)" >&2
  end=$(date +%s%N)
  local run_rate
  run_rate=$(awk -v n=$trials -v ns=$((end - start)) 'BEGIN { printf "%.1f", n / (ns / 1e9) }')
  set +e
  "$qmprace" hunt --target "$target" --time "$secs" --without params --no-minimize --triage-trials 3 \
    --out "$dir" -q >"$dir.out" 2>&1
  set -e
  local stats
  stats=$(ls "$dir"/afl/*/fuzzer_stats 2>/dev/null | head -1)
  afl_stat() { [ -n "$stats" ] && awk -F: -v k="$1" '$1 ~ "^"k" *$" { gsub(/ /, "", $2); print $2 }' "$stats"; }
  local eps stab yank=no mig nomig ref
  eps=$(afl_stat execs_per_sec || true); stab=$(afl_stat stability || true)
  grep -q yank_unregister_instance "$dir/signatures.txt" 2>/dev/null && yank=yes
  sumj() { grep -o "\"$1\": *[0-9.]*" "$dir/summary.json" 2>/dev/null | head -1 | sed 's/.*: *//'; }
  mig=$(sumj migration_trials_per_sec); nomig=$(sumj trials_without_migration); ref=$(sumj refused)
  local all=$(( $(sumj migration_trials || echo 0) + ${nomig:-0} + ${ref:-0} ))
  printf '%-16s %12s %12s %14s %11s %9s %9s %10s %6s\n' "$label" "$run_rate" "${eps:-?}" \
    "$(printf '%.1f' "${mig:-0}")" \
    "$(awk -v a="$all" -v k="${nomig:-0}" 'BEGIN { printf "%.0f%%", a ? 100 * k / a : 0 }')" \
    "$(awk -v a="$all" -v k="${ref:-0}" 'BEGIN { printf "%.0f%%", a ? 100 * k / a : 0 }')" \
    "$(awk -v h="${mig:-0}" -v r="$run_rate" 'BEGIN { printf "%.2f", h / r }')" "${stab:-?}" "$yank"
}

echo "${#seeds[@]} seeds (${seeds[*]}), 50 trials each; hunts of $secs s, one core each"
printf '%-16s %12s %12s %14s %11s %9s %9s %10s %6s\n' target "run trials/s" "hunt execs/s" "migrations/s" \
  "no migrate" refused "hunt/run" stability yank
row sim:qemu-7.2 sim 32MiB 200ms
row "qemu:$qemu_bin" qemu 64MiB 500ms
echo "goals: a hunt on the real QEMU at 20 migration trials per second per core or more, stability above 80%"
echo "(hunt/run: the hunt's migration trials per second against run's trials per second on the seeds)"
