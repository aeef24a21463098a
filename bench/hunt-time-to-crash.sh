#!/usr/bin/env bash
# Time to first crash of `qmprace hunt --until-crash` on the simulated QEMU 7.2, from the corpus seeds
# that do not crash by themselves, over RUNS hunts (default 5), side by side in one run: the first crash
# of any kind, and the first yank assertion (the original bug). Prints each run and the medians; the goal
# is a median under 30 s. Hunts leave out `params` (--without params): its multifd-channels crashes are
# found within seconds and would hide the rest.
# Usage: bench/hunt-time-to-crash.sh [RUNS] [TIME_LIMIT_SECONDS]   (QMPRACE=path/to/qmprace)
set -euo pipefail
cd "$(dirname "$0")/.."
qmprace=${QMPRACE:-build/qmprace}
runs=${1:-5}
limit=${2:-120}
[ -x "$qmprace" ] || { echo "no $qmprace: build first" >&2; exit 2; }
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

# Milliseconds from AFL++'s start to its first crash input (from the saved file names: ...,time:MS,...),
# and to the last: the hunt stops right after the first yank, so the last crash saved is that one.
crash_times() { ls "$1"/afl/*/crashes/ 2>/dev/null | grep -o 'time:[0-9]*' | cut -d: -f2 | sort -n; }

median() { sort -n | awk '{v[NR]=$1} END {if (NR==0) print "none"; else if (NR%2) print v[(NR+1)/2]; else print (v[NR/2]+v[NR/2+1])/2}'; }

printf '%-4s %12s %14s\n' run "first crash" "first yank"
: >"$tmp/any"; : >"$tmp/yank"
for i in $(seq "$runs"); do
  set +e
  "$qmprace" hunt --target sim:qemu-7.2 --time "$limit" --until-crash=yank_unregister_instance --without params \
    --no-minimize --triage-trials 3 --out "$tmp/h$i" -q >/dev/null 2>&1
  set -e
  any=$(crash_times "$tmp/h$i" | head -1)
  yank=""
  grep -qF yank_unregister_instance "$tmp/h$i/signatures.txt" 2>/dev/null && yank=$(crash_times "$tmp/h$i" | tail -1)
  printf '%-4s %12s %14s\n' "$i" "${any:+$(awk -v t="$any" 'BEGIN{printf "%.1f s", t/1000}')}" \
    "${yank:+$(awk -v t="$yank" 'BEGIN{printf "%.1f s", t/1000}')}"
  # a run that found nothing counts as longer than the limit, so the median stays honest
  echo "${any:-$((limit * 1000 + 1))}" >>"$tmp/any"
  echo "${yank:-$((limit * 1000 + 1))}" >>"$tmp/yank"
done
a=$(median <"$tmp/any"); y=$(median <"$tmp/yank")
fa=$(awk -v l="$limit" '$1 <= l * 1000' "$tmp/any" | wc -l); fy=$(awk -v l="$limit" '$1 <= l * 1000' "$tmp/yank" | wc -l)
show() { awk -v t="$1" -v l="$limit" 'BEGIN { if (t > l * 1000) printf "over %d s", l; else printf "%.1f s", t / 1000 }'; }
echo "median over $runs runs (a run that found nothing counts as over ${limit} s): first crash $(show "$a")" \
  "($fa found), first yank $(show "$y") ($fy found); goal: under 30 s"
