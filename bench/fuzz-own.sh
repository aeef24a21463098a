#!/usr/bin/env bash
# AFL++ on qmprace's own parsers (fuzz/fuzz_*.c), the table docs/reliability.md quotes: each target fuzzed
# SECONDS with fuzz/run-own.sh on the ASan+UBSan AFL++ build, two at a time, its queue then replayed
# through the sanitizer build's replay binary (LeakSanitizer on).
# Usage: bench/fuzz-own.sh [SECONDS [BUILD [ASAN_BUILD]]]   (default: 600 build build-asan)
set -euo pipefail
cd "$(dirname "$0")/.."
seconds=${1:-600} build=${2:-build} asan=${3:-build-asan}
targets=(jsonstream qmp_client schedule_text schedule_bin qmp_action)
command -v afl-fuzz >/dev/null || { echo "afl-fuzz is not installed (Debian package afl++)" >&2; exit 2; }
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
one() {
  QMPRACE_FUZZ_OUT="$tmp/out-$1" bash fuzz/run-own.sh "$1" "$seconds" "$build/afl-asan/fuzz/fuzz_$1" \
    "$asan/fuzz/fuzz_$1" >"$tmp/$1.log" 2>&1 || echo "exit $?" >>"$tmp/$1.log"
}
echo "$seconds s each, two at a time; $(nproc) cores, load $(cut -d' ' -f1-3 /proc/loadavg)"
for ((i = 0; i < ${#targets[@]}; i += 2)); do
  one "${targets[i]}" &
  [ $((i + 1)) -lt ${#targets[@]} ] && one "${targets[i + 1]}" &
  wait
done
echo "| target | execs | execs/s | corpus | crashes | hangs | queue replayed under ASan+LSan |"
echo "| --- | ---: | ---: | ---: | ---: | ---: | --- |"
for t in "${targets[@]}"; do
  line=$(grep "^fuzz_$t: .* execs" "$tmp/$t.log" || true)
  if [ -z "$line" ]; then echo "| \`fuzz_$t\` | did not run: $(tail -1 "$tmp/$t.log") | | | | | |"; continue; fi
  get() { echo "$line" | sed -n "s|.*$1.*|\\1|p"; }
  replay=$(grep -q "replays clean" "$tmp/$t.log" && echo clean || echo "NOT clean: $(grep -m1 FAIL "$tmp/$t.log" || echo 'not replayed')")
  printf '| `fuzz_%s` | %s | %s | %s | %s | %s | %s |\n' "$t" "$(get ' \([0-9]*\) execs')" "$(get 'execs (\([0-9.]*\)/s)')" \
    "$(get 'corpus \([0-9]*\)')" "$(get 'crashes \([0-9]*\)')" "$(get 'hangs \([0-9]*\)')" "$replay"
done
