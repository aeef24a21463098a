#!/usr/bin/env bash
# The injected-race bench (README.md here): on QEMU 7.2 with the seed's fix and six injected races, how
# often each race's own schedule reaches it, which explore cells find it, and when hunts find it (the
# default mutator and --mutator none side by side). Prints one row per race.
#
#   bash bench/injected/run.sh [--time SECONDS] [--hunts N] [--explore-time DUR] [--explore-jobs N] [--out DIR]
#
# Needs root the first time (build.sh installs QEMU's build dependencies), python3, and the project
# built in ./build (QMPRACE=path to use another qmprace).
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
repo=$(cd "$here/../.." && pwd)
qmprace=${QMPRACE:-$repo/build/qmprace}
time_s=600
hunts=3
explore_time=20m
explore_jobs=1
out=
usage() { sed -n '5,6p' "$0" | sed 's/^# \{0,1\}//'; }
while [ $# -gt 0 ]; do
  case "$1" in
    --time) time_s=${2:?--time needs seconds}; shift 2 ;;
    --hunts) hunts=${2:?--hunts needs a count}; shift 2 ;;
    --explore-time) explore_time=${2:?--explore-time needs a duration}; shift 2 ;;
    --explore-jobs) explore_jobs=${2:?--explore-jobs needs a count}; shift 2 ;;
    --out) out=${2:?--out needs a directory}; shift 2 ;;
    -h|--help) usage; exit 0 ;;
    *) echo "run.sh: unknown option '$1'" >&2; usage >&2; exit 2 ;;
  esac
done
case "$time_s$hunts$explore_jobs" in *[!0-9]*) echo "run.sh: --time, --hunts and --explore-jobs take whole numbers" >&2; exit 2 ;; esac
[ "$hunts" -ge 1 ] && [ "$hunts" -le 10 ] || { echo "run.sh: --hunts takes 1 to 10" >&2; exit 2; }
[ -x "$qmprace" ] || { echo "run.sh: no qmprace at $qmprace (build it, or set QMPRACE)" >&2; exit 2; }
command -v python3 >/dev/null || { echo "run.sh: needs python3" >&2; exit 2; }
if [ -z "$out" ]; then
  out=$(mktemp -d "${TMPDIR:-/tmp}/qmprace-injected.XXXXXX")
else
  mkdir -p "$out"
  [ -z "$(ls -A "$out")" ] || { echo "run.sh: --out $out is not empty" >&2; exit 2; }
fi
log() { printf '[%(%H:%M:%S)T] %s\n' -1 "$*" >&2; }

qemu=$(bash "$here/build.sh" | tail -n1)
[ -x "$qemu" ] || { echo "run.sh: build.sh gave no QEMU" >&2; exit 1; }
target=qemu:$qemu

# The races: each patch's name and the assertion it adds (what a finding's signature quotes).
races=()
for p in "$here"/patches/*.patch; do
  name=$(basename "$p" .patch)
  expr=$(sed -n 's/^+[[:space:]]*assert(\(.*\));[[:space:]]*$/\1/p' "$p" | head -n1)
  [ -n "$expr" ] || { echo "run.sh: $p adds no assert()" >&2; exit 1; }
  printf '%s\t%s\n' "$name" "$expr" >>"$out/races.tsv"
  races+=("$name")
done

log "reach: each race's own schedule, 5 trials (log: $out/reach-*.json)"
for name in "${races[@]}"; do
  set +e
  "$qmprace" run "$here/reach/$name.sched" --target "$target" --repeat 5 --deadline 3s \
    --json "$out/reach-$name.json" >"$out/reach-$name.txt" 2>&1
  rc=$?
  set -e
  # 0: no crash, 1: crashed, 5: hung; anything else means the schedule did not run as meant
  case $rc in 0|1|5) ;; *) echo "run.sh: reach/$name.sched: qmprace run exited $rc" >&2; cat "$out/reach-$name.txt" >&2; exit 1 ;; esac
done

t_reach=$SECONDS
log "explore: the full sweep, at most $explore_time, $explore_jobs job(s) (log: $out/explore.txt)"
set +e
"$qmprace" explore --target "$target" --time "$explore_time" --jobs "$explore_jobs" --no-minimize \
  --out "$out/explore" --json "$out/explore.json" -q >"$out/explore.txt" 2>&1
rc=$?
set -e
case $rc in 0|1) ;; *) echo "run.sh: explore exited $rc" >&2; tail -n 20 "$out/explore.txt" >&2; exit 1 ;; esac

t_explore=$SECONDS
for i in $(seq 1 "$hunts"); do
  log "hunts $i/$hunts: default mutator and --mutator none side by side, ${time_s}s each"
  pids=()
  for m in default none; do
    args=()
    [ "$m" = none ] && args=(--mutator none)
    "$qmprace" hunt --target "$target" --time "$time_s" --out "$out/hunt-$m-$i" --triage-trials 3 \
      --no-minimize -q "${args[@]}" >"$out/hunt-$m-$i.txt" 2>&1 &
    pids+=($!)
  done
  for pid in "${pids[@]}"; do wait "$pid" || true; done
  for m in default none; do
    [ -s "$out/hunt-$m-$i/summary.json" ] || { echo "run.sh: hunt $m $i wrote no summary.json" >&2; tail -n 20 "$out/hunt-$m-$i.txt" >&2; exit 1; }
  done
done

t_hunts=$SECONDS
python3 - "$out" "$hunts" "$time_s" "$target" "$t_reach" "$((t_explore - t_reach))" "$((t_hunts - t_explore))" \
  "$explore_jobs" <<'EOF'
import json, os, statistics, sys
out, hunts, limit, target = sys.argv[1], int(sys.argv[2]), float(sys.argv[3]), sys.argv[4]
phase = {"build and reach": int(sys.argv[5]), "explore (--jobs %s)" % sys.argv[8]: int(sys.argv[6]), "hunts": int(sys.argv[7])}
races = [l.rstrip("\n").split("\t") for l in open(os.path.join(out, "races.tsv"))]

def hit(sig, expr):
    return ("Assertion `%s' failed" % expr) in sig

cells = []
for line in open(os.path.join(out, "explore.json")):
    line = line.strip()
    if line:
        o = json.loads(line)
        if "command" in o:
            cells.append(o)

def hunt_time(path, expr):
    s = json.load(open(path))
    times = [c["first_found_s"] for c in s.get("crashes", []) if hit(c["signature"], expr)]
    times = [t for t in times if t is not None]
    return min(times) if times else None

def median_text(ts):
    found = [t for t in ts if t is not None]
    if not found:
        return "0/%d" % len(ts)
    keyed = sorted(t if t is not None else float("inf") for t in ts)
    med = statistics.median_low(keyed) if len(keyed) % 2 == 0 else keyed[len(keyed) // 2]
    return "%d/%d, median %s" % (len(found), len(ts), ("%.0f s" % med) if med != float("inf") else "not found")

print("injected races on %s: reach 5 trials, explore full sweep, %d hunts of %.0f s per mutator" % (target, hunts, limit))
print("| race | reach | explore (window x command, crashes/trials) | hunt | hunt --mutator none |")
print("| --- | --- | --- | --- | --- |")
found_explore = found_hunt = 0
for name, expr in races:
    rj = json.load(open(os.path.join(out, "reach-%s.json" % name)))
    rsig = sum(c["count"] for c in rj.get("signatures", []) if hit(c["signature"], expr))
    reach = "%d/%d" % (rsig, rj.get("trials", 0))
    ex = ["%s x %s (%d/%d)" % (c["window"], c["command"], sum(x["count"] for x in c["signatures"] if hit(x["signature"], expr)), c["trials"])
          for c in cells if any(hit(x["signature"], expr) for x in c["signatures"])]
    found_explore += bool(ex)
    ht = {m: [hunt_time(os.path.join(out, "hunt-%s-%d" % (m, i), "summary.json"), expr) for i in range(1, hunts + 1)] for m in ("default", "none")}
    found = [t for t in ht["default"] if t is not None]
    found_hunt += len(found) * 2 > hunts
    print("| %s | %s | %s | %s | %s |" % (name, reach, "; ".join(ex) if ex else "not found", median_text(ht["default"]), median_text(ht["none"])))
print("explore found %d of %d; the hunt (default mutator) found %d of %d in most of its %d hunts" % (found_explore, len(races), found_hunt, len(races), hunts))
rates = {m: ["%.1f" % json.load(open(os.path.join(out, "hunt-%s-%d" % (m, i), "summary.json"))).get("migration_trials_per_sec", 0)
             for i in range(1, hunts + 1)] for m in ("default", "none")}
print("migration trials per second in each hunt: default %s; --mutator none %s" % (", ".join(rates["default"]), ", ".join(rates["none"])))
print("phases: " + ", ".join("%s %d min %02d s" % (k, v // 60, v % 60) for k, v in phase.items()))
print("(outputs in %s)" % out)
EOF
