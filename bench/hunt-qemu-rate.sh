#!/usr/bin/env bash
# Hunting a real QEMU, side by side in one run: `qmprace run`'s trial rate on the hunt's seeds (the corpus
# without its known cases) with the hunt's settings (64 MiB guest, 500 ms deadline, one
# reused QEMU), then a hunt of SECONDS (default 120) on the same target: AFL++'s executions per second
# and its stability, against the goals (20 executions per second per core, stability above 80%), and
# whether it stopped at the yank assertion (a crash that came back three replays out of three).
# Usage: bench/hunt-qemu-rate.sh [SECONDS [QEMU]]   (QMPRACE=path/to/qmprace; default build/qmprace)
set -euo pipefail
cd "$(dirname "$0")/.."
qmprace=${QMPRACE:-build/qmprace}
secs=${1:-120}
qemu_bin=${2:-$(command -v qemu-system-x86_64 || true)}
[ -x "$qmprace" ] || { echo "no $qmprace: build first" >&2; exit 2; }
[ -n "$qemu_bin" ] && [ -x "$qemu_bin" ] || { echo "no QEMU: apt-get install qemu-system-x86, or give its path" >&2; exit 2; }
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
target="qemu:$qemu_bin"
echo "$("$qemu_bin" --version | head -1); $(nproc) cores, load $(cut -d' ' -f1-3 /proc/loadavg)"
# the hunt's seeds: the corpus without its known cases (marked "# hunt: not a seed")
seeds=()
while IFS= read -r f; do seeds+=("$(basename "$f" .sched)"); done < <(grep -L '^# hunt: not a seed' corpus/*.sched)
start=$(date +%s%N)
trials=0
for s in "${seeds[@]}"; do
  set +e
  "$qmprace" run "corpus/$s.sched" --target "$target" --ram 64MiB --deadline 500ms --repeat 50 -q >/dev/null 2>&1
  set -e
  trials=$((trials + 50))
done
end=$(date +%s%N)
run_rate=$(awk -v n=$trials -v ns=$((end - start)) 'BEGIN { printf "%.1f", n / (ns / 1e9) }')
set +e
"$qmprace" hunt --target "$target" --time "$secs" --until-crash=yank_unregister_instance --without params \
  --no-minimize --triage-trials 3 --out "$tmp/hunt" -q >"$tmp/out" 2>&1
set -e
stat() { awk -F: -v k="$1" '$1 ~ "^"k" *$" { gsub(/ /, "", $2); print $2 }' "$tmp/hunt/afl/default/fuzzer_stats"; }
printf '%-44s %10s\n' "" "per second"
printf '%-44s %10s\n' "run, hunt settings, ${#seeds[@]} seeds x 50 trials" "$run_rate"
printf '%-44s %10s   (goal: 20 per core)\n' "hunt, $secs s, AFL++ executions" "$(stat execs_per_sec)"
echo "hunt/run: $(awk -v h="$(stat execs_per_sec)" -v r="$run_rate" 'BEGIN { printf "%.2f", h / r }'); AFL++ stability $(stat stability) (goal: above 80%)"
if grep -q "yank_unregister_instance" "$tmp/hunt/signatures.txt" 2>/dev/null; then
  echo "the hunt found the yank assertion: $(grep yank_unregister_instance "$tmp/hunt/signatures.txt" | cut -f2,4 | head -1)"
else
  echo "the hunt did not find the yank assertion in $secs s"
fi
