#!/usr/bin/env bash
# Time to first crash of `qmprace hunt --until-crash=yank_unregister_instance` on TARGET (default the
# simulated QEMU 7.2; `qemu` for Debian's), from the seeds the hunt generates from the target (its
# default: no corpus file, no known case), over RUNS rounds (default 5), side by side in one run: each
# round runs one hunt with the structure-aware mutator (the default) and one with AFL++'s byte mutations
# only (--mutator none; MODES=mutator leaves those out, for a real QEMU where each hunt may take its
# whole limit). Prints, per round, the
# first crash of any kind and the yank assertion (the original bug) that stopped the hunt (its crash
# input replayed 3 of 3 times), then the medians and how many hunts found it. Goals: a median under 30 s
# on sim:qemu-7.2, under 10 minutes on Debian's QEMU 7.2. Each yank the mutator found is replayed from its
# reproducer (DIR/crashes/, not minimized) with `qmprace run --repeat 10`, under the profile it carries
# (goal: 9 of 10). Hunts leave out `params` (--without params): its multifd-channels crashes are found
# within seconds and would hide the rest.
# Usage: bench/hunt-time-to-crash.sh [RUNS] [TIME_LIMIT_SECONDS] [TARGET] [MODES] [RAM]
#        (QMPRACE=path/to/qmprace; MODES: "mutator bytes", the default, or "mutator"; RAM: the hunts'
#        guest, e.g. 64MiB, else the hunt's default for the target)
set -euo pipefail
cd "$(dirname "$0")/.."
qmprace=${QMPRACE:-build/qmprace}
runs=${1:-5}
limit=${2:-120}
target=${3:-sim:qemu-7.2}
modes=${4:-mutator bytes}
ram=${5:-}
ram_opt=()
[ -z "$ram" ] || ram_opt=(--ram "$ram")
case $modes in "mutator bytes" | mutator) ;; *) echo "MODES must be \"mutator bytes\" or mutator" >&2; exit 2 ;; esac
[ -x "$qmprace" ] || { echo "no $qmprace: build first" >&2; exit 2; }
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

# Milliseconds from AFL++'s start to its first crash input (from the saved file names: ...,time:MS,...),
# and to the last: the hunt stops right after the first yank, so the last crash saved is that one.
crash_times() { ls "$1"/afl/*/crashes/ 2>/dev/null | grep -o 'time:[0-9]*' | cut -d: -f2 | sort -n || true; }

median() { sort -n | awk '{v[NR]=$1} END {if (NR==0) print "none"; else if (NR%2) print v[(NR+1)/2]; else print (v[NR/2]+v[NR/2+1])/2}'; }
secs() { [ -n "$1" ] && awk -v t="$1" 'BEGIN{printf "%.1f s", t/1000}' || true; }

# One hunt; appends its first-crash and first-yank times (ms; limit+1 s when none) to $tmp/MODE.any/.yank
# and prints them as two columns.
hunt() {
  local mode=$1 dir=$2; shift 2
  set +e
  "$qmprace" hunt --target "$target" --time "$limit" --until-crash=yank_unregister_instance --without params \
    --no-minimize --triage-trials 3 --out "$dir" -q "${ram_opt[@]}" "$@" >/dev/null 2>&1
  set -e
  local any yank=""
  any=$(crash_times "$dir" | head -1)
  # found: the hunt stopped before its time was up, which --until-crash does only for a yank whose
  # input crashed again in 3 of at most 4 replays (a natural window that crashes now and then does not count)
  local ran
  ran=$(awk -F: '/^run_time/ {print $2 + 0}' "$dir"/afl/*/fuzzer_stats 2>/dev/null | sort -n | tail -1)
  if grep -qF yank_unregister_instance "$dir/signatures.txt" 2>/dev/null && [ "${ran:-$limit}" -lt $((limit - 2)) ]; then
    yank=$(crash_times "$dir" | tail -1)
  fi
  printf ' %12s %12s' "$(secs "$any")" "$(secs "$yank")"
  # the yank's reproducer, as `qmprace run` replays it with its own profile (the goal: 9 of 10)
  if [ "$mode" = mutator ]; then
    local repro replayed=""
    repro=$(ls "$dir"/crashes/sigabrt-yank-*.sched 2>/dev/null | head -1 || true)
    if [ -n "$yank" ] && [ -n "$repro" ]; then
      set +e
      "$qmprace" run "$repro" --repeat 10 --json "$dir/replay.json" -q >/dev/null 2>&1
      set -e
      # the replays that crashed with the yank itself, not with any crash
      replayed=$(python3 -c 'import json,sys
r = json.load(open(sys.argv[1]))
print(sum(s["count"] for s in r["signatures"] if "yank_unregister_instance" in s["signature"]))' "$dir/replay.json" 2>/dev/null || true)
      [ -n "$replayed" ] && echo "$replayed" >>"$tmp/replays"
      replayed="${replayed:-?}/10"
    fi
    printf ' %8s' "$replayed"
  fi
  # a hunt that found nothing counts as longer than the limit, so the median stays honest
  echo "${any:-$((limit * 1000 + 1))}" >>"$tmp/$mode.any"
  echo "${yank:-$((limit * 1000 + 1))}" >>"$tmp/$mode.yank"
}

echo "hunts on $target${ram:+ (guest $ram)}, at most ${limit} s each$([ "$modes" = mutator ] && echo "; AFL++ bytes only: not run")"
printf '%-4s %34s %25s\n' "" "structure-aware mutator" "$([ "$modes" = mutator ] || echo "AFL++ bytes only")"
printf '%-4s %12s %12s %8s %12s %12s\n' run "first crash" "first yank" replays \
  "$([ "$modes" = mutator ] || echo "first crash")" "$([ "$modes" = mutator ] || echo "first yank")"
for i in $(seq "$runs"); do
  printf '%-4s' "$i"
  hunt mutator "$tmp/m$i"
  [ "$modes" = mutator ] || hunt bytes "$tmp/b$i" --mutator none
  echo
done
show() { awk -v t="$1" -v l="$limit" 'BEGIN { if (t > l * 1000) printf "over %d s", l; else printf "%.1f s", t / 1000 }'; }
found() { awk -v l="$limit" '$1 <= l * 1000' "$1" | wc -l; }
for mode in $modes; do
  a=$(median <"$tmp/$mode.any"); y=$(median <"$tmp/$mode.yank")
  echo "$mode: median over $runs hunts (one that found nothing counts as over ${limit} s): first crash $(show "$a")" \
    "($(found "$tmp/$mode.any") found), first yank $(show "$y") ($(found "$tmp/$mode.yank") found)"
done
if [ -s "$tmp/replays" ]; then
  echo "the mutator's yank reproducers under \`qmprace run --repeat 10\`: $(sort -n "$tmp/replays" | tr '\n' ' ')(goal: each at least 9)"
fi
[ "$modes" = mutator ] && exit 0
ym=$(median <"$tmp/mutator.yank"); yb=$(median <"$tmp/bytes.yank")
awk -v m="$ym" -v b="$yb" 'BEGIN { printf "median time to the yank, bytes only / mutator: %.1fx (at least: a hunt that found nothing counts as the limit)\n", b / m }'
