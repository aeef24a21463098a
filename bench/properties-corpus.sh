#!/usr/bin/env bash
# No false violations: every corpus schedule, TRIALS times, on each real QEMU given (default: Debian's
# qemu-system-x86_64, and the vanilla 7.2 and 10.2 builds of tests/qemu-fixed when they are built), with
# every property checked; a table of crashes, violations and hangs per schedule and build, then each
# violation's signature. A violation on a build without the fix is either a bug qmprace found or a property
# wrong about QEMU: either way it is printed.
# With --dest qemu each trial migrates into a real destination QEMU, so one-vm is checked too.
# Usage: bench/properties-corpus.sh [--dest qemu] [TRIALS [QEMU...]]   (QMPRACE=path/to/qmprace; default build/qmprace)
set -euo pipefail
cd "$(dirname "$0")/.."
qmprace=${QMPRACE:-build/qmprace}
extra=()
if [ "${1:-}" = --dest ]; then
  extra=(--dest "${2:?--dest needs qemu or sink}")
  shift 2
fi
n=${1:-20}
shift || true
[ -x "$qmprace" ] || { echo "no $qmprace: build first" >&2; exit 2; }
cache=${XDG_CACHE_HOME:-$HOME/.cache}
targets=("$@")
if [ ${#targets[@]} -eq 0 ]; then
  targets=(qemu)
  for b in "$cache/qemu-7.2-failing/vanilla" "$cache/qemu-10.2-failing/vanilla"; do
    [ -x "$b/build/qemu-system-x86_64" ] && targets+=("qemu:$b/build/qemu-system-x86_64")
  done
fi
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
num() { grep -o "\"$2\":[0-9]*" "$1" | head -1 | cut -d: -f2; }
echo "$n trials per cell${extra[*]:+, ${extra[*]}}; $(nproc) cores, load $(cut -d' ' -f1-3 /proc/loadavg)"
for t in "${targets[@]}"; do
  v=$("${t#qemu:}" --version 2>/dev/null | head -1 || true)
  [ "$t" = qemu ] && v=$(qemu-system-x86_64 --version | head -1)
  echo "${t##*/} (${t/#qemu:$HOME/qemu:~}): $v"  # (the home directory as ~: no machine path in what is quoted)
done
printf '%-34s' schedule
for t in "${targets[@]}"; do printf ' %-22s' "$(basename "${t#qemu:}" | cut -c1-10)/$(echo "$t" | grep -o '[0-9.]*-failing/[a-z]*' | cut -d- -f1)"; done
printf '\n%-34s' ""
for _ in "${targets[@]}"; do printf ' %-22s' "crash viol hang"; done
echo
total_v=0
: >"$tmp/sigs"
for sched in corpus/*.sched; do
  printf '%-34s' "$(basename "$sched" .sched)"
  for t in "${targets[@]}"; do
    set +e
    "$qmprace" run "$sched" --target "$t" --repeat "$n" --deadline 5s "${extra[@]}" --json "$tmp/r.json" -q >/dev/null 2>"$tmp/err"
    rc=$?
    set -e
    if [ ! -s "$tmp/r.json" ] || [ $rc -eq 2 ] || [ $rc -eq 3 ]; then
      printf ' %-22s' "ERR(rc $rc)"
      rm -f "$tmp/r.json"
      continue
    fi
    c=$(num "$tmp/r.json" crashes) v=$(num "$tmp/r.json" violations) h=$(num "$tmp/r.json" hangs)
    printf ' %-22s' "$c $v $h"
    total_v=$((total_v + v))
    [ "$v" -gt 0 ] && grep -o '"signature":"violation: [^"]*"' "$tmp/r.json" | sed "s|^|$(basename "$sched") on ${t}: |" >>"$tmp/sigs"
    rm -f "$tmp/r.json"
  done
  echo
done
echo "violations in all: $total_v"
cat "$tmp/sigs"
