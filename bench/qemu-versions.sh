#!/usr/bin/env bash
# QEMU versions side by side, in one run: every corpus schedule (plus the held window written with QEMU
# 10's thread name, and the held window reacting with a multifd-channels change) on a simulated VMM model
# and on the real builds it models, TRIALS times each, with the verdict class (crash or pass), the crash
# count, the most frequent signature and whether model and build agree. The builds are those of
# tests/qemu-fixed/build-upstream.sh (vanilla and fixed trees under one directory).
# Usage: bench/qemu-versions.sh [TRIALS [VERSION [BUILDS_DIR]]]
#   TRIALS default 10; VERSION 10.0 (default) or 10.2; BUILDS_DIR default ~/.cache/qemu-VERSION-failing
#   (QMPRACE=path/to/qmprace; default build/qmprace)
set -euo pipefail
cd "$(dirname "$0")/.."
qmprace=${QMPRACE:-build/qmprace}
n=${1:-10}
ver=${2:-10.0}
dir=${3:-${XDG_CACHE_HOME:-$HOME/.cache}/qemu-$ver-failing}
[ -x "$qmprace" ] || { echo "no $qmprace: build first" >&2; exit 2; }
for b in vanilla fixed; do
  [ -x "$dir/$b/build/qemu-system-x86_64" ] || { echo "no $dir/$b/build/qemu-system-x86_64: run tests/qemu-fixed/build-upstream.sh $ver" >&2; exit 2; }
done
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
# the held window with QEMU 10's own thread name, and with the parameter reaction the fix leaves open
sed 's/freeze live_migration/freeze mig\/src\/main/' corpus/libvirt-reset-stalled-held.sched >"$tmp/stalled-held-mig-src-main.sched"
sed 's/^\(on fail[a-z]* +1ms:\) .*/\1 params multifd-channels=1/' corpus/libvirt-reset-stalled-held.sched >"$tmp/stalled-held-channels-1.sched"

# crashes TARGET SCHED: "K SIGNATURE" from one `run --json`
crashes() {
  set +e
  "$qmprace" run "$2" --target "$1" --repeat "$n" --deadline 5s --ram 64MiB --json "$tmp/r.json" -q >/dev/null 2>"$tmp/err"
  local rc=$?
  set -e
  # a cell agrees only when its trials ran as written (0) or crashed (1); not as written (4) or a hang (5)
  # is not a verdict to compare
  [ $rc -le 1 ] || { echo "ERR ERR(exit $rc$(head -c 60 "$tmp/err" | tr '\n' ' ' | sed 's/^./: &/'))"; return; }
  local k sig
  k=$(grep -o "\"crashes\":[0-9]*" "$tmp/r.json" | head -1 | cut -d: -f2 || true)
  sig=$(grep -o "\"signature\":\"[^\"]*\"" "$tmp/r.json" | head -1 | cut -d\" -f4 | cut -c1-40 || true)
  echo "$k ${sig:--}"
}

echo "$("$dir/vanilla/build/qemu-system-x86_64" --version | head -1); $n trials per cell; $(nproc) cores, load $(cut -d' ' -f1-3 /proc/loadavg)"
printf '%-34s %-20s %-6s %-46s %-46s %s\n' schedule pair "" "simulated" "real" agree
agree=0 total=0
for sched in corpus/*.sched "$tmp"/*.sched; do
  name=$(basename "$sched" .sched)
  for pair in "qemu-10.0:vanilla" "qemu-10.0-failing:fixed"; do
    model=${pair%%:*} build=${pair##*:}
    s=$(crashes "sim:$model" "$sched")
    r=$(crashes "qemu:$dir/$build/build/qemu-system-x86_64" "$sched")
    sk=${s%% *} rk=${r%% *}
    same=no
    # the verdict class: whether it crashes at all, and with which signature
    if [ "$sk" = 0 ] && [ "$rk" = 0 ]; then same=yes
    elif [ "$sk" != 0 ] && [ "$rk" != 0 ] && [ "${s#* }" = "${r#* }" ]; then same=yes; fi
    case "$sk$rk" in *ERR*) same=err ;; esac
    total=$((total + 1)); [ "$same" = yes ] && agree=$((agree + 1))
    # a cell that did not run to a verdict prints why instead of a count
    scell="$sk/$n ${s#* }" rcell="$rk/$n ${r#* }"
    [ "$sk" = ERR ] && scell=${s#* }
    [ "$rk" = ERR ] && rcell=${r#* }
    printf '%-34s %-20s %-6s %-46s %-46s %s\n' "$name" "$model/$build" "" "$scell" "$rcell" "$same"
  done
done
echo
echo "verdict class and signature agree in $agree of $total cells"
