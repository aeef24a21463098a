#!/usr/bin/env bash
# `qmprace explore` and a short `qmprace hunt` on a real QEMU (Debian's 7.2 where installed), as a QEMU
# developer runs them: explore, narrowed to the failure window by a reset of every channel, shows the seed
# race (caps multifd=off crashes with the yank assertion in nearly every trial 7.2 does not hang) and no crash where nothing changes
# (query-migrate, xbzrle off), and writes a reproducer that `qmprace run` replays as its header states; a
# one-minute hunt runs AFL++ on the reused QEMU (executions counted, its reproducers, if any, replayable)
# and leaves nothing running. The full sweep and the 10-minute hunts are measured in bench/, not here.
source "$(dirname "$0")/e2e-lib.sh"
source "$(dirname "$0")/e2e-qemu-lib.sh"
harness=$(dirname "$QMPRACE")/afl/harness/qmprace-harness
yank='SIGABRT yank_unregister_instance: Assertion `QLIST_EMPTY(&entry->yankfns)'"'"' failed'
cell() { grep -F "\"command\":\"$2\"" "$1" | head -1; }

expect_status 1 "$QMPRACE" explore --target "$qemu" --windows "failed: reset all" \
  --commands "caps multifd=off,caps xbzrle=off,query" --out "$tmp/e" --json "$tmp/e.json" -q
cell "$tmp/e.json" "caps multifd=off" >"$tmp/c"
# nearly every trial crashes with the yank assertion, unless 7.2 hangs first in multifd_send_sync_main
# after the failure (its own hang, about one failure in three: see docs/targets.md): at least 2 of 3. The
# third may also pass with the command landed (seen twice in CI runs beside other QEMU tests: the cleanup
# took the right path), so no count of the rest is asserted
k=$(json_num "$tmp/c" crashes) h=$(json_num "$tmp/c" hangs)
# on failure the cell's counts are shown: what the odd trial was (violation, unexercised, a miss: landed)
if [ "${k:-0}" -ge 2 ]; then pass; else
  fail "caps multifd=off: $k crashed and $h hung of 3"
  sed 's/^/  /' "$tmp/c" >&2
fi
expect_grep "$tmp/c" "\"signatures\":[{\"signature\":\"$yank\",\"count\":$k}]"
cell "$tmp/e.json" "caps xbzrle=off" >"$tmp/c"
expect_grep "$tmp/c" '"crashes":0'
cell "$tmp/e.json" "query" >"$tmp/c"
expect_grep "$tmp/c" '"crashes":0'
repro=$(cell "$tmp/e.json" "caps multifd=off" | grep -o '"reproducer":"[^"]*"' | cut -d'"' -f4)
[ -f "$repro" ] && pass || fail "no reproducer for the multifd=off cell ('$repro')"
[ -f "$repro" ] && expect_replays_as_stated "$repro"

if ! command -v afl-fuzz >/dev/null || [ ! -x "$harness" ]; then
  echo "$checks checks passed, $failures failed"
  echo "SKIP: the hunt part needs AFL++ (afl-fuzz, afl-clang-fast)"
  [ "$failures" -eq 0 ] && exit 77 || exit 1
fi
cd "$QMPRACE_SOURCE_DIR" # the default seeds and dictionary
set +e
"$QMPRACE" hunt --target "$qemu" --time 60 --without params --out "$tmp/h" --triage-trials 3 --no-minimize -q \
  >"$tmp/out" 2>"$tmp/err"
rc=$?
set -e
[ $rc -le 1 ] && pass || { fail "hunt on $qemu: exit status $rc"; sed 's/^/  /' "$tmp/err" | head >&2; }
execs=$(grep -o '"execs":[0-9]*' "$tmp/h/summary.json" | cut -d: -f2)
[ "${execs:-0}" -ge 300 ] && pass || fail "a 60 s hunt on $qemu ran ${execs:-0} executions"
expect_grep "$tmp/h/summary.json" '"profile":{'
expect_no_leftovers "$tmp/h" "after a hunt on $qemu"
e2e_done
