#!/usr/bin/env bash
# explore's sweep in one process and in JOBS worker processes (one target each), one after the other on
# the same target, both without minimization so the cells alone are timed: wall time of each, the ratio,
# and whether the two matrices agree (the cells that crashed or violated a property, by window and
# command; a natural race may differ by a cell or two). Then the sweep as a user runs it (--jobs JOBS,
# a minimized reproducer per finding): its wall time, and the findings it wrote.
# Usage: bench/explore-jobs.sh [TARGET [JOBS [REPEAT]]]   (default: qemu 2 3; QMPRACE=path, default build/qmprace)
set -euo pipefail
cd "$(dirname "$0")/.."
qmprace=${QMPRACE:-build/qmprace}
target=${1:-qemu} jobs=${2:-2} n=${3:-3}
[ -x "$qmprace" ] || { echo "no $qmprace: build first" >&2; exit 2; }
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
# sweep NAME ARGS...: runs explore, prints nothing; the wall time in $tmp/NAME.s
sweep() {
  local name=$1
  shift
  local t0 t1 rc
  t0=$(date +%s.%N)
  set +e
  "$qmprace" explore --target "$target" -n "$n" --time 60m --out "$tmp/$name" --json "$tmp/$name.json" -q "$@" \
    >"$tmp/$name.out" 2>"$tmp/$name.err"
  rc=$?
  set -e
  t1=$(date +%s.%N)
  if [ $rc -gt 1 ]; then echo "explore $name failed (exit $rc):" >&2; tail -3 "$tmp/$name.err" >&2; exit 1; fi
  echo "$t1 - $t0" | bc >"$tmp/$name.s"
}
# findings NAME: "window x command" of each cell with a crash or a violation, sorted
findings() { grep -v '"unopened"' "$tmp/$1.json" | grep -v '"crashes":0,"refused":[0-9]*,"hangs":[0-9]*,"violations":0' |
  grep -o '"window":"[^"]*","command":"[^"]*"' | sort; }
cells() { grep -vc '"unopened"' "$tmp/$1.json"; }
echo "explore on $target, $n trials per cell; $(nproc) cores, load $(cut -d' ' -f1-3 /proc/loadavg)"
sweep one --no-minimize
sweep many --no-minimize --jobs "$jobs"
printf '%-28s %8s %8s %10s\n' sweep cells seconds findings
printf '%-28s %8s %8.0f %10s\n' "--jobs 1 --no-minimize" "$(cells one)" "$(cat "$tmp/one.s")" "$(findings one | wc -l)"
printf '%-28s %8s %8.0f %10s\n' "--jobs $jobs --no-minimize" "$(cells many)" "$(cat "$tmp/many.s")" "$(findings many | wc -l)"
echo "speed-up: $(echo "scale=2; $(cat "$tmp/one.s") / $(cat "$tmp/many.s")" | bc)x"
echo "cells with a finding in one sweep only: $(comm -3 <(findings one) <(findings many) | wc -l)"
comm -3 <(findings one) <(findings many) | sed 's/^\t/  --jobs '"$jobs"' only: /; /^  --jobs/!s/^/  --jobs 1 only: /'
sweep full --jobs "$jobs"
echo "the full sweep (--jobs $jobs, reproducers minimized): $(printf '%.0f' "$(cat "$tmp/full.s")") s, $(cells full) cells," \
  "$(ls "$tmp/full" 2>/dev/null | grep -c '\.sched$') reproducers"
echo "  cells by finding (a cell may show two crash signatures):"
grep -E '^(crash|finding|hang): ' "$tmp/full.out" |
  sed -E 's/^(crash|finding|hang): \[[^]]*\] x \[[^]]*\]: [0-9]+\/[0-9]+ /\1: /; s/ \((did not settle|still migrating).*//' |
  cut -c1-90 | sort | uniq -c | sort -rn | sed 's/^/  /'
echo "  the seed race's cells:"
grep -E '^crash: .* x \[caps multifd=off\]: .*yank_unregister_instance' "$tmp/full.out" | cut -c1-110 | sed 's/^/    /'
awk '/^windows not opened/ { w = 1; print; next } w && /^  / { print; next } { w = 0 } /^note:/' "$tmp/full.out" |
  sed 's/^/  /'
