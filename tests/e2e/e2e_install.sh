#!/usr/bin/env bash
# qmprace installed like a tool: `cmake --install` of this build into a new prefix, then from another
# directory (no checkout in sight) the installed qmprace finds its harness, mutator, corpus and dictionary
# by itself and a 30 s hunt on the simulated VMM finds a crash; its manual page shows with `man -l` and
# carries the same text as --help; `qmprace help run` is `qmprace run --help`.
source "$(dirname "$0")/e2e-lib.sh"

build=$(dirname "$QMPRACE")
inst=$tmp/inst
expect_status 0 cmake --install "$build" --prefix "$inst"
for f in bin/qmprace share/man/man1/qmprace.1 share/qmprace/hunt-lines.sched; do
  [ -e "$inst/$f" ] && pass || fail "cmake --install wrote no $f"
done
ls "$inst"/share/qmprace/corpus/*.sched >/dev/null 2>&1 && pass || fail "no corpus under $inst/share/qmprace"

mkdir "$tmp/elsewhere"
cd "$tmp/elsewhere"
expect_status 0 "$inst/bin/qmprace" help run
"$QMPRACE" run --help >"$tmp/run-help"
cmp -s "$tmp/out" "$tmp/run-help" && pass || fail "qmprace help run is not qmprace run --help"

if command -v man >/dev/null 2>&1; then
  expect_status 0 env MANWIDTH=120 man -l "$inst/share/man/man1/qmprace.1"
  expect_grep "$tmp/out" "QMPRACE(1)"
  # every command's --help is in the page
  for cmd in run hunt explore minimize schedule sim; do expect_grep "$tmp/out" "qmprace $cmd"; done
  expect_grep "$tmp/out" "$("$QMPRACE" hunt --help | sed -n 2p)"
else
  skip "the manual page was not rendered (no man; Debian: apt-get install man-db)"
fi

if command -v afl-fuzz >/dev/null && [ -x "$inst/libexec/qmprace/qmprace-harness" ]; then
  expect_status 1 "$inst/bin/qmprace" hunt --time 30 --target sim:qemu-7.2 --out hunt -q --no-minimize \
    --triage-trials 3
  [ -s hunt/signatures.txt ] && pass || fail "the installed qmprace's hunt found no crash in 30 s"
  expect_no_leftovers "$tmp/elsewhere/hunt" "after the installed hunt"
else
  skip "the installed hunt (AFL++ or its harness is not built)"
fi
cd /
e2e_done
