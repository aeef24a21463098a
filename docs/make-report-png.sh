#!/usr/bin/env bash
# Makes docs/report-diagram.png, the picture in the README: the sequence diagram of a real run's crashing
# trial (corpus/libvirt-reset.sched on the simulated QEMU 7.2), cut out of the page `--report` writes and
# rendered by headless Chromium without network. With RC and RUN-ARGS, the same of another run, which
# must exit RC (docs/findings/cancel-hang-multifd.png: a hang on Debian's QEMU, exit 5).
# Usage: docs/make-report-png.sh [OUT.png [RC RUN-ARGS...]]   (QMPRACE_BUILD=build dir, default build)
set -euo pipefail
cd "$(dirname "$0")/.."
build=${QMPRACE_BUILD:-build}
out=${1:-docs/report-diagram.png}
want=${2:-1}
shift $(($# > 2 ? 2 : $#))
args=("$@")
[ ${#args[@]} -gt 0 ] || args=(corpus/libvirt-reset.sched --repeat 20)
chromium=$(command -v chromium || true)
[ -n "$chromium" ] || { echo "needs chromium (apt-get install chromium)" >&2; exit 2; }
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
set +e
"$build/qmprace" run "${args[@]}" --report "$tmp/r.html" -q >/dev/null
rc=$?
set -e
[ $rc -eq "$want" ] || { echo "qmprace run exited $rc, expected $want" >&2; exit 1; }
# the first diagram alone, on a white page of its own size
svg=$(sed -n '/<div class="diagram-box">/,/<\/svg>/p' "$tmp/r.html" | sed '1d')
w=$(sed -n 's/.*class="diagram" width="\([0-9]*\)".*/\1/p' <<<"$svg" | head -1)
h=$(sed -n 's/.*class="diagram" width="[0-9]*" height="\([0-9]*\)".*/\1/p' <<<"$svg" | head -1)
printf '<!DOCTYPE html><html><body style="margin:0;background:#fff">%s</body></html>\n' "$svg" >"$tmp/d.html"
isolate=()
if unshare -n true 2>/dev/null; then isolate=(unshare -n); fi
"${isolate[@]}" timeout 120 "$chromium" --headless --no-sandbox --disable-gpu --hide-scrollbars --no-first-run \
  --disable-background-networking --disable-component-update --disable-sync --user-data-dir="$tmp/chromium" \
  --window-size="$w,$h" --screenshot="$out" "file://$tmp/d.html" >/dev/null 2>&1
echo "wrote $out (${w}x${h})"
