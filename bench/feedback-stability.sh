#!/usr/bin/env bash
# Which of the harness's features change from one run of an input to the next: what AFL++ calls
# unstable coverage (its `stability` is the share of map entries that do not). Without INPUTS it first
# runs a hunt of SECONDS (default 60) on the target, as `qmprace hunt --target qemu --without params`
# does, and takes its queue. Replays each input RUNS times in a row (default 5) in one plain harness
# process, the way a hunt's harness runs them (one target, reused), lists each run's features
# (QMPRACE_HARNESS_FEATURES=1) and prints, per feature family, how many features were seen and how many
# came in some runs of an input and not in others; then the share of stable features input by input,
# and over the keys as AFL++ counts it (a key that varied for one input is unstable for good), next to
# the stability AFL++ itself reported for that hunt (which also counts the harness's code edges).
# INPUTS: files or directories of binary schedules, e.g. a hunt's DIR/afl/default/queue.
# Usage: bench/feedback-stability.sh [-n RUNS] [-t SECONDS] [-p PROFILE_JSON] [INPUTS...]
#   (QMPRACE=path/to/qmprace, QMPRACE_HARNESS=path/to/qmprace-harness: default build/...;
#    PROFILE_JSON default {"target":"qemu","without":"params"}, a hunt's on Debian's QEMU)
set -euo pipefail
cd "$(dirname "$0")/.."
qmprace=${QMPRACE:-build/qmprace}
harness=${QMPRACE_HARNESS:-build/harness/qmprace-harness}
runs=5
secs=60
profile='{"target":"qemu","without":"params"}'
usage="usage: $0 [-n RUNS] [-t SECONDS] [-p PROFILE_JSON] [INPUTS...]"
while getopts n:t:p: o; do
  case $o in
    n) runs=$OPTARG ;;
    t) secs=$OPTARG ;;
    p) profile=$OPTARG ;;
    *) echo "$usage" >&2; exit 2 ;;
  esac
done
shift $((OPTIND - 1))
[ -x "$harness" ] || { echo "no $harness: build first" >&2; exit 2; }
case $runs in ''|*[!0-9]*) echo "RUNS must be a number" >&2; exit 2 ;; esac
[ "$runs" -ge 2 ] && [ "$runs" -le 50 ] || { echo "RUNS must be 2..50" >&2; exit 2; }
case $secs in ''|*[!0-9]*) echo "SECONDS must be a number" >&2; exit 2 ;; esac
[ "$secs" -ge 10 ] && [ "$secs" -le 3600 ] || { echo "SECONDS must be 10..3600" >&2; exit 2; }
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

afl_stability=""
if [ $# -eq 0 ]; then
  [ -x "$qmprace" ] || { echo "no $qmprace: build first" >&2; exit 2; }
  target=$(python3 -c 'import json,sys; print(json.loads(sys.argv[1]).get("target","qemu"))' "$profile")
  without=$(python3 -c 'import json,sys; print(json.loads(sys.argv[1]).get("without",""))' "$profile")
  echo "hunting $target for $secs s for a queue to replay"
  set +e
  "$qmprace" hunt --target "$target" --time "$secs" ${without:+--without "$without"} --no-minimize \
    --triage-trials 1 --out "$tmp/hunt" -q >"$tmp/hunt.out" 2>&1
  set -e
  stats=$(ls "$tmp"/hunt/afl/*/fuzzer_stats 2>/dev/null | head -1)
  [ -n "$stats" ] || { echo "the hunt made no queue:" >&2; tail -5 "$tmp/hunt.out" >&2; exit 1; }
  afl_stability=$(awk -F: '$1 ~ /^stability/ { gsub(/ /, "", $2); print $2 }' "$stats")
  set -- "$(dirname "$stats")/queue"
fi

inputs=()
for a in "$@"; do
  if [ -d "$a" ]; then
    while IFS= read -r f; do inputs+=("$f"); done < <(find "$a" -maxdepth 1 -type f -name 'id:*' | sort | head -200)
  elif [ -f "$a" ]; then
    inputs+=("$a")
  else
    echo "$a: no such file or directory" >&2; exit 2
  fi
done
[ ${#inputs[@]} -gt 0 ] || { echo "no inputs (a directory's inputs are its id:* files)" >&2; exit 2; }

echo "${#inputs[@]} inputs, $runs runs each in a row, profile $profile"
# One process for all inputs, each run RUNS times in a row: as a hunt's persistent harness runs them (one
# target, reused; AFL++ calibrates an input by running it several times in a row). Bounded in time.
args=()
for f in "${inputs[@]}"; do
  for _ in $(seq "$runs"); do args+=("$f"); done
done
set +e
QMPRACE_HARNESS_PROFILE=$profile QMPRACE_HARNESS_FEATURES=1 timeout 900 "$harness" "${args[@]}" >/dev/null 2>"$tmp/out"
set -e
n=${#inputs[@]}

python3 - "$tmp" "$n" "$runs" "$afl_stability" <<'EOF'
import collections, sys
tmp, n, runs, afl_stability = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), sys.argv[4]
seen = collections.Counter()      # family -> features seen (per input)
unstable = collections.Counter()  # family -> features that came and went (per input)
total = stable = skipped = 0
family, ever_unstable = {}, set()  # key -> family; keys that came and went for some input
runs_all, cur = [], {}
for line in open(f"{tmp}/out", errors="replace"):
    w = line.split()
    if len(w) >= 4 and w[0] == "feature":
        cur[int(w[1])] = w[3]
    elif line.startswith("qmprace-harness: ") and not line.rstrip().endswith(": found"):
        # one line per run: its verdict, or why it did not run (": found" follows a crash's verdict)
        runs_all.append(None if line.startswith("qmprace-harness: not run") else cur)
        cur = {}
for i in range(n):
    per_run = runs_all[i * runs:(i + 1) * runs]
    if len(per_run) != runs or None in per_run:
        skipped += 1
        continue
    keys = set().union(*per_run)
    for k in keys:
        fam = next(r[k] for r in per_run if k in r)
        seen[fam] += 1
        total += 1
        family[k] = fam
        if all(k in r for r in per_run):
            stable += 1
        else:
            unstable[fam] += 1
            ever_unstable.add(k)
print(f"{'family':<16} {'features':>9} {'unstable':>9}")
for fam, c in sorted(seen.items(), key=lambda x: -x[1]):
    print(f"{fam:<16} {c:>9} {unstable[fam]:>9}")
if skipped:
    print(f"{skipped} inputs left out: not run every time (not a schedule for this target, or the harness stopped)")
if total:
    print(f"stable features, input by input: {stable}/{total} = {100.0 * stable / total:.1f}%")
    # AFL++ marks a map entry variable for good once it varied for any input, over the entries ever set
    keys = len(family)
    print(f"stable keys as AFL++ counts them (unstable for one input: unstable): {keys - len(ever_unstable)}/{keys}"
          f" = {100.0 * (keys - len(ever_unstable)) / keys:.1f}%")
    by_fam = collections.Counter(family[k] for k in ever_unstable)
    print("keys unstable for some input, by family: " + ", ".join(f"{f} {c}" for f, c in by_fam.most_common()))
if afl_stability:
    print(f"AFL++'s own stability for the hunt: {afl_stability} (goal: above 80%)")
EOF
