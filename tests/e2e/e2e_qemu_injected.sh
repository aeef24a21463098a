#!/usr/bin/env bash
# The injected-race build of bench/injected (QEMU 7.2 with the seed's fix and six injected races; setup.sh
# test builds it, as root, cached), checked as the bench needs it: each race is reachable through QMP
# (its own schedule in bench/injected/reach/ crashes with its own assertion), the build is harmless
# outside the windows (a plain migration and a failure pass), and explore reports a race by its cell.
# Where the build is missing, this says so and skips (77).
source "$(dirname "$0")/e2e-lib.sh"

inj=$QMPRACE_SOURCE_DIR/bench/injected
q72=${QEMU_FIXED_DIR:-${XDG_CACHE_HOME:-$HOME/.cache}/qemu-7.2-failing}
bin=$q72/injected/build/qemu-system-x86_64
if [ ! -x "$bin" ]; then
  echo "SKIP: no $bin (bash setup.sh test, as root, builds it with bench/injected/build.sh)"
  exit 77
fi

# each race: its reach schedule crashes with its own assertion, no other race's. The reach rates differ
# (bench/injected/README.md: 01 2/5 and 06 1/5, the others 3/5 or more; 06 crashed 5 of 30 times here),
# so a race gets 10 trials and, if none crashed, 40 more: at 1 in 6, missing 50 times in a row is a
# 1-in-10,000 chance, not luck.
for p in "$inj"/patches/*.patch; do
  name=$(basename "$p" .patch)
  expr=$(sed -n 's/^+[[:space:]]*assert(\(.*\));[[:space:]]*$/\1/p' "$p" | head -n1)
  for n in 10 40; do
    set +e
    "$QMPRACE" run "$inj/reach/$name.sched" --target "qemu:$bin" --repeat "$n" --deadline 3s --json "$tmp/json" -q \
      >"$tmp/out" 2>"$tmp/err"
    rc=$?
    set -e
    [ "$rc" -eq 0 ] || break
  done
  if [ "$rc" -ne 1 ]; then
    fail "$name: exit status $rc after 50 trials, expected 1 (a crash)"
    sed 's/^/  /' "$tmp/out" "$tmp/err" | head -20 >&2
    continue
  fi
  pass
  expect_grep "$tmp/json" "Assertion \`$expr' failed\"" "$name: its own assertion"
  for q in "$inj"/patches/*.patch; do
    [ "$q" = "$p" ] && continue
    other=$(sed -n 's/^+[[:space:]]*assert(\(.*\));[[:space:]]*$/\1/p' "$q" | head -n1)
    expect_no_grep "$tmp/json" "Assertion \`$other' failed" "$name: another race's assertion"
  done
done

# harmless outside the windows: a plain multifd migration, and one that fails on a reset
printf 'caps events=on multifd=on\nmigrate\n' >"$tmp/plain.sched"
expect_status 0 "$QMPRACE" run "$tmp/plain.sched" --target "qemu:$bin" --repeat 5 --deadline 3s
printf 'caps events=on multifd=on\nmigrate\nafter 4MiB on any: reset all\non failed +1ms: query\n' >"$tmp/reset.sched"
expect_no_crash "$QMPRACE" run "$tmp/reset.sched" --target "qemu:$bin" --repeat 5 --deadline 3s

# explore names the cell: the cancel window x query-migrate-capabilities (race 03) crashes, the same
# window's query-status does not
expect_status 1 "$QMPRACE" explore --target "qemu:$bin" --windows "cancelled" --commands "query-migrate-capabilities,query-status" \
  --repeat 2 --no-minimize --out "$tmp/explore" --json "$tmp/explore.json" -q
expr3=$(sed -n 's/^+[[:space:]]*assert(\(.*\));[[:space:]]*$/\1/p' "$inj"/patches/03-*.patch | head -n1)
if grep -F '"command":"qmp {\"execute\":\"query-migrate-capabilities\"}"' "$tmp/explore.json" | grep -qF "Assertion \`$expr3' failed"; then
  pass
else
  fail "explore: no query-migrate-capabilities cell with race 03's assertion"
  sed 's/^/  /' "$tmp/explore.json" >&2
fi
if grep -F '"command":"qmp {\"execute\":\"query-status\"}"' "$tmp/explore.json" | grep -qF '"crashes":0'; then pass; else
  fail "explore: query-status crashed in the cancel window"
  sed 's/^/  /' "$tmp/explore.json" >&2
fi

e2e_done
