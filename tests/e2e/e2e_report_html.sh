#!/usr/bin/env bash
# `--report FILE.html` as a person attaching it to a bug report meets it: one self-contained page (no
# script, no external reference) with the target, the profile, the rate, the schedule and the crashing
# trial as a sequence diagram whose race window is shaded from the first `failed` to the cleanup; and,
# rendered by a real browser (headless Chromium, without network), lanes that are drawn and a window
# that is visibly shaded. Without Chromium the page checks still run and the test says SKIP.
source "$(dirname "$0")/e2e-lib.sh"
here=$(cd "$(dirname "$0")" && pwd)
yank='SIGABRT yank_unregister_instance: Assertion `QLIST_EMPTY(&amp;entry-&gt;yankfns)&apos; failed'

expect_status 1 "$QMPRACE" run "$corpus/libvirt-reset.sched" --repeat 20 --report "$tmp/r.html" -q
page=$tmp/r.html
expect_grep "$page" "<title>qmprace run: $corpus/libvirt-reset.sched</title>"
expect_grep "$page" '20/20 crashed (100.0%, 95% CI 83.9-100.0%)'
expect_grep "$page" "$yank"
expect_grep "$page" '{&quot;target&quot;:&quot;sim:qemu-7.2&quot;,&quot;ram&quot;:&quot;0&quot;,&quot;deadline&quot;:&quot;10s&quot;'
expect_grep "$page" 'on failed: caps multifd=off' "the schedule's text"
expect_grep "$page" '<td>VMM version</td><td>7.2.22</td>'
expect_grep "$page" '<title>the race window: from the first failed'
expect_grep "$page" 'to the cleanup'
for lane in 'qmprace (QMP client)' '>main<' '>live_migration<' '>multifdsend_0<' '>channel #0 main<'; do
  expect_grep "$page" "$lane" "the diagram's lanes"
done
# self-contained: nothing fetched, nothing run
if grep -qiE '<script|<link|<img|<iframe| src=|url\(|@import' "$page"; then fail "the page refers to something outside it"; else pass; fi

# a migration that completes has no failure, so no window to shade
printf 'caps events=on\nmigrate\n' >"$tmp/ok.sched"
expect_status 0 "$QMPRACE" run "$tmp/ok.sched" --report "$tmp/pass.html" -q
expect_no_grep "$tmp/pass.html" 'race-window'
expect_grep "$tmp/pass.html" '<svg'
# a page that cannot be written is said, and the run's own exit status is not hidden
expect_status 2 "$QMPRACE" run "$tmp/ok.sched" --report "$tmp/no-such-dir/r.html" -q
expect_grep "$tmp/err" "--report: cannot write $tmp/no-such-dir/r.html"

chromium=$(command -v chromium || command -v chromium-browser || true)
py=$(command -v /usr/bin/python3 || command -v python3 || true)
if [ -z "$chromium" ] || [ -z "$py" ]; then
  echo "$checks checks passed, $failures failed"
  echo "SKIP: the browser part needs chromium and python3 (apt-get install chromium; bash setup.sh test does)"
  [ "$failures" -eq 0 ] && exit 77 || exit 1
fi
# no network for the browser: its own network namespace where that is allowed, else its own switches off
isolate=()
if unshare -n true 2>/dev/null; then isolate=(unshare -n); fi
set +e
"${isolate[@]}" timeout 120 "$chromium" --headless --no-sandbox --disable-gpu --hide-scrollbars --no-first-run \
  --disable-background-networking --disable-component-update --disable-sync --disable-extensions \
  --user-data-dir="$tmp/chromium" --window-size=1600,2200 --screenshot="$tmp/r.png" "file://$page" \
  >"$tmp/chromium.log" 2>&1
rc=$?
set -e
[ $rc -eq 0 ] && [ -s "$tmp/r.png" ] && pass || { fail "chromium did not render the page (exit $rc)"; tail -5 "$tmp/chromium.log" >&2; }
if [ -s "$tmp/r.png" ]; then
  read -r _ lanes _ wh _ ww < <("$py" "$here/png_lanes.py" "$tmp/r.png")
  # client, main, live_migration, 2 multifd threads, 3 channels: at least 6 fit in 1600 pixels
  [ "$lanes" -ge 6 ] && pass || fail "the rendered diagram shows $lanes lanes, expected 6 or more"
  # the window spans from the first failed to the cleanup: more than 5 rows of 20 pixels, across the lanes
  [ "$wh" -ge 100 ] && [ "$ww" -ge 800 ] && pass || fail "the rendered window is ${ww}x${wh} pixels"
fi
e2e_done
