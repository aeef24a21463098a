#!/usr/bin/env bash
# Hunting a real QEMU next to the simulated one, side by side in one run. For each target (sim:qemu-7.2,
# then the real QEMU): a hunt of SECONDS (default 120; `--without params`, not stopped at a crash, from
# the seeds it generates from the target), then `qmprace run`'s trial rate on those same seeds under the
# hunt's trial profile (sim: 32 MiB guest, 200 ms deadline; qemu: 64 MiB, 500 ms, one reused QEMU; and
# qemu-NMiB, e.g. qemu-16MiB or qemu-32MiB: the same with an N MiB guest, whose migrations stream fewer
# bytes):
# AFL++'s executions per second beside the migration trials per second the harness counted (inputs that
# ran a migration, tally.h) and the share of inputs that ran no migration or were refused, stability,
# against the goals (20 migration trials per second per core, stability above 80%), and whether the
# hunt found the yank assertion (and when: its first input's second of the hunt); then where each hunt's
# time went, as its harness counted it.
# ROWS picks the rows, in order, comma-separated (default sim,qemu,qemu-16MiB); a row may repeat, e.g.
# `qemu,qemu,qemu` for the goal's three hunts on the real QEMU, each then said against the goal.
# Usage: bench/hunt-qemu-rate.sh [SECONDS [QEMU [ROWS]]]   (QMPRACE=path/to/qmprace; default build/qmprace)
set -euo pipefail
cd "$(dirname "$0")/.."
qmprace=${QMPRACE:-build/qmprace}
secs=${1:-120}
qemu_bin=${2:-$(command -v qemu-system-x86_64 || true)}
[ -x "$qmprace" ] || { echo "no $qmprace: build first" >&2; exit 2; }
[ -n "$qemu_bin" ] && [ -x "$qemu_bin" ] || { echo "no QEMU: apt-get install qemu-system-x86, or give its path" >&2; exit 2; }
rows=${3:-sim,qemu,qemu-16MiB}
case $secs in ''|*[!0-9]*) echo "SECONDS must be a number" >&2; exit 2 ;; esac
for r in ${rows//,/ }; do
  case $r in sim|qemu|qemu-[1-9]*MiB) ;; *) echo "ROWS: unknown row '$r' (sim, qemu, qemu-NMiB)" >&2; exit 2 ;; esac
done
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
echo "$("$qemu_bin" --version | head -1); $(nproc) cores, load $(cut -d' ' -f1-3 /proc/loadavg)"

# one row: TARGET LABEL RAM DEADLINE (a label seen before gets a number: qemu, qemu#2, ...)
declare -A seen
row() {
  local target=$1 label=$2 ram=$3 deadline=$4
  seen[$label]=$(( ${seen[$label]:-0} + 1 ))
  [ "${seen[$label]}" -eq 1 ] || label="$label#${seen[$label]}"
  local dir="$tmp/$label"
  set +e
  "$qmprace" hunt --target "$target" --ram "$ram" --time "$secs" --without params --no-minimize --triage-trials 3 \
    --out "$dir" -q >"$dir.out" 2>&1
  set -e
  # the seeds the hunt generated, as text, each run 50 times under the hunt's profile
  local start end trials=0 refused=0 nseeds=0
  mkdir -p "$dir.seeds"
  for b in "$dir"/seeds/*.bin; do
    [ -f "$b" ] || continue
    "$qmprace" schedule decode "$b" -o "$dir.seeds/$(basename "$b" .bin).sched"
    nseeds=$((nseeds + 1))
  done
  start=$(date +%s%N)
  for s in "$dir.seeds"/*.sched; do
    [ -f "$s" ] || continue
    set +e
    "$qmprace" run "$s" --target "$target" --ram "$ram" --deadline "$deadline" --without params --repeat 50 -q \
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
  echo "$label: $nseeds generated seeds, 50 trials each" >&2
  local run_rate
  run_rate=$(awk -v n=$trials -v ns=$((end - start)) 'BEGIN { printf "%.1f", ns ? n / (ns / 1e9) : 0 }')
  local stats
  stats=$(ls "$dir"/afl/*/fuzzer_stats 2>/dev/null | head -1)
  afl_stat() { [ -n "$stats" ] && awk -F: -v k="$1" '$1 ~ "^"k" *$" { gsub(/ /, "", $2); print $2 }' "$stats"; }
  local eps stab yank=no mig nomig ref
  eps=$(afl_stat execs_per_sec || true); stab=$(afl_stat stability || true)
  grep -q yank_unregister_instance "$dir/signatures.txt" 2>/dev/null && yank=yes
  # (when: the earliest input AFL++ saved with it, from summary.json)
  [ $yank = no ] || yank=$(python3 - "$dir/summary.json" <<'PY' || echo yes
import json, sys
t = [c["first_found_s"] for c in json.load(open(sys.argv[1]))["crashes"]
     if "yank_unregister_instance" in c["signature"] and c.get("first_found_s", -1) >= 0]
print("%.0fs" % min(t) if t else "yes")
PY
)
  sumj() { grep -o "\"$1\": *[0-9.]*" "$dir/summary.json" 2>/dev/null | head -1 | sed 's/.*: *//'; }
  mig=$(sumj migration_trials_per_sec); nomig=$(sumj trials_without_migration); ref=$(sumj refused)
  local all=$(( $(sumj migration_trials || echo 0) + ${nomig:-0} + ${ref:-0} ))
  case $label in sim*) ;; *) echo "$label ${mig:-0}" >>"$tmp/goal" ;; esac
  printf '%-16s %12s %12s %14s %11s %9s %9s %10s %6s\n' "$label" "$run_rate" "${eps:-?}" \
    "$(printf '%.1f' "${mig:-0}")" \
    "$(awk -v a="$all" -v k="${nomig:-0}" 'BEGIN { printf "%.0f%%", a ? 100 * k / a : 0 }')" \
    "$(awk -v a="$all" -v k="${ref:-0}" 'BEGIN { printf "%.0f%%", a ? 100 * k / a : 0 }')" \
    "$(awk -v h="${mig:-0}" -v r="$run_rate" 'BEGIN { printf "%.2f", r ? h / r : 0 }')" "${stab:-?}" "$yank"
  # where the hunt's time went (summary.json's harness_seconds), as shares, printed after the table
  python3 - "$dir/summary.json" "$label" >>"$tmp/time" <<'PY' || echo "$label: no harness_seconds in summary.json" >>"$tmp/time"
import json, sys
d = json.load(open(sys.argv[1]))
t = d["harness_seconds"]
keys = ["migration_trials", "trials_without_migration", "refused", "findings", "hangs", "harness_starts", "elsewhere"]
total = sum(t[k] for k in keys) or 1
print("%-16s" % sys.argv[2] + "".join("%12.0f%%" % (100 * t[k] / total) for k in keys) +
      "   (%d findings, %d hangs, %d harness starts)" %
      (d["inputs"]["findings"], d["inputs"]["hangs"], d["inputs"]["harness_starts"]))
PY
}

echo "hunts of $secs s from generated seeds, one core each; run: those seeds, 50 trials each"
printf '%-16s %12s %12s %14s %11s %9s %9s %10s %6s\n' target "run trials/s" "hunt execs/s" "migrations/s" \
  "no migrate" refused "hunt/run" stability yank
for r in ${rows//,/ }; do
  case $r in
    sim) row sim:qemu-7.2 sim 32MiB 200ms ;;
    qemu) row "qemu:$qemu_bin" qemu 64MiB 500ms ;;
    qemu-*MiB) row "qemu:$qemu_bin" "$r" "${r#qemu-}" 500ms ;;
  esac
done
echo
echo "where each hunt's time went (its harness's own count; hangs: those that are no finding, what the"
echo "schedule holds; elsewhere: AFL++ and starting harness processes)"
printf '%-16s%13s%13s%13s%13s%13s%13s%13s\n' target migrations "no migrate" refused findings hangs starts elsewhere
cat "$tmp/time"
echo "goals: a hunt on the real QEMU at 20 migration trials per second per core or more, stability above 80%"
[ -s "$tmp/goal" ] && awk '{ n++; if ($2 >= 20) k++ } END { printf "hunts on the real QEMU at 20 migration trials per second or more: %d of %d\n", k, n }' "$tmp/goal"
echo "(hunt/run: the hunt's migration trials per second against run's trials per second on the seeds)"
