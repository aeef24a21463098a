#!/usr/bin/env bash
# The long-run tests' figures as one table (docs/reliability.md): the 1,000-trial soak on sim:qemu-7.2 and
# the 100-trial soak on --target qemu, each in the normal build and in the sanitizer build, one after the
# other: trials and what became of them, time, and the process's fds, threads, children, heap in use and
# RSS after the warm-up and at the end (the tests fail when any grows past its bound; RSS is not compared
# under ASan, whose quarantine holds freed memory).
# Usage: bench/soak.sh [BUILD [ASAN_BUILD]]   (default: build build-asan; a build without the binary is skipped)
set -euo pipefail
cd "$(dirname "$0")/.."
build=${1:-build} asan=${2:-build-asan}
echo "$(nproc) cores, load $(cut -d' ' -f1-3 /proc/loadavg)"
echo "| soak | trials | time | fds | threads | children | heap in use | RSS |"
echo "| --- | --- | ---: | --- | --- | --- | --- | --- |"
# field LINE NAME: the number after NAME in an "after N" line
field() { echo "$1" | grep -o "$2 [0-9]*" | awk '{print $NF}'; }
row() {
  local label=$1 bin=$2 rss=$3 out rc
  if [ ! -x "$bin" ]; then echo "| $label | not built ($bin) | | | | | | |"; return; fi
  set +e
  out=$("$bin" 2>&1)
  rc=$?
  set -e
  local first last sum
  first=$(echo "$out" | grep '^after ' | head -1) last=$(echo "$out" | grep '^after ' | tail -1)
  sum=$(echo "$out" | grep ' trials in ' | tail -1)
  if [ -z "$sum" ]; then echo "| $label | did not run: $(echo "$out" | tail -1) | | | | | | |"; return; fi
  local what
  what=$(echo "$sum" | sed 's/^\([0-9]*\) trials in \([0-9.]*\) s: /\1 (/; s/$/)/')
  printf '| %s | %s | %s s | %s → %s | %s → %s | %s → %s | %s → %s B | %s |\n' "$label" "$what" \
    "$(echo "$sum" | sed 's/.* trials in \([0-9.]*\) s.*/\1/')" \
    "$(field "$first" fds)" "$(field "$last" fds)" "$(field "$first" threads)" "$(field "$last" threads)" \
    "$(field "$first" children)" "$(field "$last" children)" "$(field "$first" 'in use')" "$(field "$last" 'in use')" \
    "$([ "$rss" = yes ] && echo "$(field "$first" rss) → $(field "$last" rss) KiB" || echo "not compared")"
  [ $rc -eq 0 ] || echo "| $label | FAILED (exit $rc): $(echo "$out" | grep 'CHECK failed' | head -1) | | | | | | |"
}
row "sim, normal build" "$build/tests/test_trial_soak_sim" yes
row "sim, ASan build" "$asan/tests/test_trial_soak_sim" no
row "QEMU 7.2, normal build" "$build/tests/test_trial_soak_qemu" yes
row "QEMU 7.2, ASan build" "$asan/tests/test_trial_soak_qemu" no
