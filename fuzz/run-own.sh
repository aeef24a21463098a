#!/usr/bin/env bash
# run-own.sh: a short AFL++ run of one fuzz target for qmprace's own code, as CI makes it.
#
#   bash fuzz/run-own.sh TARGET SECONDS AFL_BINARY [REPLAY_BINARY]
#
# Fuzzes AFL_BINARY (an afl-clang-fast build of fuzz/fuzz_TARGET.c, e.g. BUILD/afl-asan/fuzz/fuzz_TARGET)
# for SECONDS from fuzz/seeds-TARGET/ (and corpus/ for schedule_text) (with fuzz/dict-TARGET.txt when there is one), non-interactively,
# in a temporary directory, then prints one summary line from AFL++'s fuzzer_stats. With REPLAY_BINARY
# (the plain build of the same target) the queue AFL++ built is replayed through it at the end.
# Exit status: 0 no crash; 1 a crash (each crashing input's path and the command that replays it are
# printed, and the output directory is kept); 2 the run itself failed; 77 skipped: afl-fuzz or the
# AFL++ build is missing (it says which). QMPRACE_FUZZ_OUT=DIR keeps the output in DIR instead of a
# temporary directory that is removed.
set -euo pipefail

if [ $# -lt 3 ]; then
  sed -n '2,15p' "$0" | sed 's/^# \{0,1\}//' >&2
  exit 2
fi
target=$1 seconds=$2 afl_bin=$3 replay_bin=${4:-}
here=$(cd "$(dirname "$0")" && pwd)
seeds=$here/seeds-$target
dict=$here/dict-$target.txt

if ! command -v afl-fuzz >/dev/null 2>&1; then
  echo "SKIP: afl-fuzz is not installed (Debian package afl++): fuzz_$target was not fuzzed"
  exit 77
fi
if [ ! -x "$afl_bin" ]; then
  echo "SKIP: $afl_bin is missing: the AFL++ build (afl-clang-fast, QMPRACE_AFL=ON) was not made"
  exit 77
fi
[ -d "$seeds" ] || { echo "run-own.sh: no seed directory $seeds" >&2; exit 2; }

if [ -n "${QMPRACE_FUZZ_OUT:-}" ]; then
  out=$QMPRACE_FUZZ_OUT
  mkdir -p "$out"
  keep=1
else
  out=$(mktemp -d "${TMPDIR:-/tmp}/qmprace-fuzz-$target-XXXXXX")
  keep=0
fi
# The schedule language's seeds are also the corpus people write (corpus/*.sched), kept in one place.
input=$(mktemp -d "${TMPDIR:-/tmp}/qmprace-fuzz-in-$target-XXXXXX")
cleanup() { rm -rf "$input"; [ "$keep" -eq 1 ] || rm -rf "$out"; }
trap cleanup EXIT
cp "$seeds"/* "$input"/
[ "$target" = schedule_text ] && cp "$here"/../corpus/*.sched "$input"/

caller_asan=${ASAN_OPTIONS-} caller_ubsan=${UBSAN_OPTIONS-}
dict_args=()
[ -f "$dict" ] && dict_args=(-x "$dict")
# afl-fuzz wants these exact sanitizer settings; a caller's ASAN_OPTIONS (CI's log_path) must not leak in.
# Leak checks belong to the replay builds: in persistent mode LeakSanitizer would only look at exit.
export ASAN_OPTIONS=abort_on_error=1:symbolize=0:detect_leaks=0:allocator_may_return_null=1
export UBSAN_OPTIONS=halt_on_error=1:abort_on_error=1:symbolize=0
export AFL_NO_UI=1 AFL_SKIP_CPUFREQ=1 AFL_NO_AFFINITY=1 AFL_FAST_CAL=1 AFL_QUIET=1
export AFL_I_DONT_CARE_ABOUT_MISSING_CRASHES=1
set +e
afl-fuzz -V "$seconds" -m none -t 2000 -i "$input" -o "$out" "${dict_args[@]}" -- "$afl_bin" \
  >"$out/afl-fuzz.log" 2>&1
rc=$?
set -e
stats=$out/default/fuzzer_stats
if [ ! -f "$stats" ]; then
  echo "run-own.sh: afl-fuzz exited $rc without writing fuzzer_stats; its log:" >&2
  tail -30 "$out/afl-fuzz.log" >&2
  exit 2
fi
field() { awk -v k="$1" '$1 == k { print $3 }' "$stats"; }
crashes=$(field saved_crashes)
hangs=$(field saved_hangs)
printf 'fuzz_%s: %s s, %s execs (%s/s), corpus %s, edges %s, crashes %s, hangs %s\n' "$target" \
  "$(field run_time)" "$(field execs_done)" "$(field execs_per_sec)" "$(field corpus_count)" \
  "$(field bitmap_cvg)" "$crashes" "$hangs"

status=0
if [ "${crashes:-0}" -gt 0 ]; then
  keep=1
  echo "FAIL: fuzz_$target crashed on $crashes input(s); output kept in $out"
  for f in "$out"/default/crashes/id:*; do
    [ -f "$f" ] || continue
    echo "  input:  $f"
    echo "  replay: ${replay_bin:-BUILD/fuzz/fuzz_$target} '$f'"
  done
  echo "  a fixed crash becomes a regression test: copy the input to fuzz/regressions/$target/"
  status=1
fi
if [ "${hangs:-0}" -gt 0 ]; then
  echo "warning: fuzz_$target: $hangs input(s) took longer than 2 s (a loaded machine, or a hang):"
  for f in "$out"/default/hangs/id:*; do
    [ -f "$f" ] && echo "  input:  $f"
  done
  keep=1
fi
if [ -n "$replay_bin" ] && [ "$status" -eq 0 ]; then
  set +e
  # with the caller's sanitizer settings: a sanitized replay binary checks for leaks here
  find "$out/default/queue" -maxdepth 1 -type f -name 'id:*' -print0 |
    ASAN_OPTIONS=$caller_asan UBSAN_OPTIONS=$caller_ubsan xargs -0 -r "$replay_bin" >"$out/replay.log" 2>&1
  r=$?
  set -e
  if [ "$r" -ne 0 ]; then
    keep=1
    echo "FAIL: replaying the queue through $replay_bin: status $r; see $out/replay.log"
    grep -m5 -e 'found' -e 'invariant' -e 'ERROR' "$out/replay.log" || true
    status=1
  else
    echo "fuzz_$target: queue of $(field corpus_count) inputs replays clean through $(basename "$replay_bin")"
  fi
fi
exit $status
