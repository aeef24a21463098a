#!/usr/bin/env bash
# `qmprace explore` on the simulated VMM as a user runs it: the matrix on sim:qemu-7.2 shows the seed race
# (multifd off in a failure window: the yank assertion every time) and the multifd-channels siblings, and
# nothing where nothing changes (a query, xbzrle off); on sim:failing (the fix) the capability cells are
# refused and do not crash while the multifd-channels cells still do; each crashing cell's reproducer
# crashes again under `qmprace run`; bad input is exit 2.
source "$(dirname "$0")/e2e-lib.sh"

yank='SIGABRT yank_unregister_instance: Assertion `QLIST_EMPTY(&entry->yankfns)'"'"' failed'
cells='caps multifd=off,caps xbzrle=off,query,multifd-channels'
# cell FILE COMMAND: the JSON object of the "failed: reset all" cell of that command
cell() { grep -F "\"window\":\"failed: reset all\",\"command\":\"$2\"" "$1"; }

expect_status 0 "$QMPRACE" explore --help
expect_grep "$tmp/out" "failed: reset all"
expect_grep "$tmp/out" "pre-switchover: paused"
expect_grep "$tmp/out" "--windows LIST"

# the windows come from the target: each opened one a column, each other one listed with its reason
# (a status the target never reports, a destination the sink cannot be, a reaction that never fired)
expect_status 0 "$QMPRACE" explore --target sim:qemu-7.2 --commands "caps xbzrle=off" -n 1 --json "$tmp/w.json" \
  --out "$tmp/w" -q
# (pre-switchover and device: the models pause before the switchover as 7.2 does)
for w in "setup: migration thread held" "active: channels stalled" "pre-switchover: paused" \
         "device: return path awaited" "completed" "failed: reset all" "failed in setup" "cancelled" \
         "cancelled in setup"; do
  expect_grep "$tmp/w.json" "{\"window\":\"$w\",\"command\":\"caps xbzrle=off\",\"trials\":1"
  # ... and its command was sent while the migration was in the window's status
  grep -F "{\"window\":\"$w\"," "$tmp/w.json" | grep -qF '"landed":1,' && pass || fail "$w: the command did not land in its status"
done
expect_no_grep "$tmp/out" "the command was sent in" "every window's command landed in its status"
expect_grep "$tmp/out" "windows not opened on sim:qemu-7.2"
expect_grep "$tmp/out" "postcopy-device: this target never reports \`postcopy-device\`"
expect_grep "$tmp/out" "postcopy-active: needs a destination that answers (--dest qemu)"
expect_grep "$tmp/w.json" '{"window":"colo","unopened":"COLO needs a secondary VM'
# sim:failing reports `failing`; sim:qemu-7.2 does not: the failure windows react to it only there
expect_status 0 "$QMPRACE" explore --target sim:failing --windows "reset all" --commands "caps xbzrle=off" -n 1 \
  --json "$tmp/w2.json" --out "$tmp/w2" -q
expect_grep "$tmp/w2.json" '"window":"failed: reset all","command":"caps xbzrle=off","trials":1'

expect_status 1 "$QMPRACE" explore --target sim:qemu-7.2 --windows "reset all" --commands "$cells" \
  --out "$tmp/e1" --json "$tmp/e1.json" --report "$tmp/e1.html" -q
# the page: the matrix as a grid, the crashing cell red and linked to its section with the reproducer
expect_grep "$tmp/e1.html" '<table class="matrix">'
expect_grep "$tmp/e1.html" '<td class="c-crash"><a href="#cell-'
expect_grep "$tmp/e1.html" '[failed: reset all] x [caps multifd=off]</h2>'
expect_grep "$tmp/e1.html" 'id="race-window"'
cell "$tmp/e1.json" "caps multifd=off" >"$tmp/c"
expect_grep "$tmp/c" '"trials":3,"crashes":3'
expect_grep "$tmp/c" "{\"signature\":\"$yank\",\"count\":3}"
cell "$tmp/e1.json" "params multifd-channels=1" >"$tmp/c"
expect_grep "$tmp/c" '"crashes":3'
cell "$tmp/e1.json" "caps xbzrle=off" >"$tmp/c"
expect_grep "$tmp/c" '"crashes":0'
cell "$tmp/e1.json" "query" >"$tmp/c"
expect_grep "$tmp/c" '"crashes":0,"refused":0'
expect_grep "$tmp/out" "crash: [failed: reset all] x [caps multifd=off]: 3/3 $yank"
# the table has a row per command and the cell's mark
expect_grep "$tmp/out" "caps multifd=off"
expect_grep "$tmp/out" "3/3 X"
# the reproducer of the seed race crashes again, as written, under the profile it carries
repro=$(cell "$tmp/e1.json" "caps multifd=off" | grep -o '"reproducer":"[^"]*"' | cut -d'"' -f4)
[ -f "$repro" ] && pass || fail "no reproducer for the multifd=off cell ('$repro')"
expect_grep "$repro" '# profile: {"target":"sim:qemu-7.2","ram":"32MiB","deadline":"2s","without":""}'
expect_status 1 "$QMPRACE" run "$repro" --repeat 5 --json "$tmp/r.json" -q
expect_grep "$tmp/r.json" "{\"signature\":\"$yank\",\"count\":5}" "the multifd=off reproducer"
expect_grep "$repro" "# reproducer written by qmprace explore"
expect_replays_as_stated "$repro"

# the fix: the capability change is refused in the window; the parameter change still crashes
expect_status 1 "$QMPRACE" explore --target sim:failing --windows "reset all" --commands "$cells" \
  --out "$tmp/e2" --json "$tmp/e2.json" -q --no-minimize
cell "$tmp/e2.json" "caps multifd=off" >"$tmp/c"
expect_grep "$tmp/c" '"trials":1,"crashes":0,"refused":1' # refused at once: clear after one trial
cell "$tmp/e2.json" "params multifd-channels=1" >"$tmp/c"
expect_grep "$tmp/c" '"crashes":3'

# the two models side by side: the capability change closed by the fix, the parameter change left open,
# and a cancel in the failure window new (the failure reported as a cancel: a violation)
expect_status 1 "$QMPRACE" explore --target sim:qemu-7.2 --compare sim:failing --windows "reset all" \
  --commands "caps multifd=off,params multifd-channels=1,cancel" --out "$tmp/cmp" --json "$tmp/cmp.json" -q \
  --no-minimize --report "$tmp/cmp.html"
expect_grep "$tmp/out" "closed: [failed: reset all] x [caps multifd=off]: A 3/3 SIGABRT yank_unregister_instance"
expect_grep "$tmp/out" "left open: [failed: reset all] x [params multifd-channels=1]: A 3/3 SIGABRT yank_unregister_instance"
expect_grep "$tmp/out" "new: [failed: reset all] x [cancel]: A 0/3; B 3/3 violation: failure-reported:"
expect_grep "$tmp/cmp.json" '"command":"caps multifd=off","class":"closed"'
[ -d "$tmp/cmp/a" ] && [ -d "$tmp/cmp/b" ] && pass || fail "no reproducers directories of the two builds"
# the page: both builds named, the matrix coloured by class, each differing cell linked to its section
# with both builds' results and reproducers
expect_grep "$tmp/cmp.html" '<title>qmprace explore: sim:qemu-7.2 compared with sim:failing</title>'
expect_grep "$tmp/cmp.html" '<tr><td>compared with (B)</td><td><code>sim:failing</code>'
for k in closed open new; do expect_grep "$tmp/cmp.html" "<td class=\"k-$k\"><a href=\"#cmp-"; done
expect_grep "$tmp/cmp.html" 'closed: [failed: reset all] x [caps multifd=off]</h2>'
expect_grep "$tmp/cmp.html" 'new: [failed: reset all] x [cancel]</h2>'
expect_grep "$tmp/cmp.html" '<p>reproducer <code>'"$tmp/cmp/a/"
expect_grep "$tmp/cmp.html" '<p>reproducer <code>'"$tmp/cmp/b/"

# --jobs 2: the same sweep in two worker processes, each with a simulated VMM of its own: the same cells
# in the same order with the same counts, the same windows not opened
expect_status 0 "$QMPRACE" explore --target sim:qemu-7.2 --commands "caps xbzrle=off" -n 1 --json "$tmp/j.json" \
  --out "$tmp/j" -q --jobs 2
counts() { grep -o '"window":"[^"]*","command":"[^"]*","trials":[0-9]*,"crashes":[0-9]*,"refused":[0-9]*\|"unopened":"[^"]*"' "$1"; }
[ "$(counts "$tmp/w.json")" = "$(counts "$tmp/j.json")" ] && [ -n "$(counts "$tmp/j.json")" ] && pass ||
  fail "explore --jobs 2 made another matrix: $(diff <(counts "$tmp/w.json") <(counts "$tmp/j.json") | head -5)"
# ... and a crashing cell's trials come back whole: the counts, the signature, the shown trial's timeline
# on the page, and a reproducer made afterwards
expect_status 1 "$QMPRACE" explore --target sim:qemu-7.2 --windows "reset all" --commands "caps multifd=off,query" \
  --jobs 2 --out "$tmp/j2" --json "$tmp/j2.json" --report "$tmp/j2.html" -q
cell "$tmp/j2.json" "caps multifd=off" >"$tmp/c"
expect_grep "$tmp/c" '"trials":3,"crashes":3'
expect_grep "$tmp/c" "{\"signature\":\"$yank\",\"count\":3}"
expect_grep "$tmp/c" "\"reproducer\":\"$tmp/j2/"
expect_grep "$tmp/j2.html" 'id="race-window"'
cell "$tmp/j2.json" "query" >"$tmp/c"
expect_grep "$tmp/c" '"trials":3,"crashes":0,"refused":0'
expect_status 2 "$QMPRACE" explore --jobs 0

# bad input
expect_status 2 "$QMPRACE" explore --windows "no such window" --out "$tmp/e3"
expect_grep "$tmp/err" "no window matches 'no such window'"
expect_status 2 "$QMPRACE" explore --out "$tmp/e1"
expect_grep "$tmp/err" "exists and is not empty"
# a sweep that found nothing leaves no empty explore-DATE directory of its own naming behind
mkdir "$tmp/cwd"
(cd "$tmp/cwd" && "$QMPRACE" explore --windows "reset all" --commands query -q >/dev/null 2>&1) && pass ||
  fail "explore of the query cell did not exit 0"
[ -z "$(ls -A "$tmp/cwd")" ] && pass || fail "explore left $(ls "$tmp/cwd") behind"

expect_status 2 "$QMPRACE" explore --repeat 0
expect_status 2 "$QMPRACE" explore --target sim:qemu-9.9
e2e_done
