#!/usr/bin/env bash
# `qmprace hunt` as CI and developers use it, on the simulated VMM: from seeds that do not crash by
# themselves it must find the yank assertion on sim:qemu-7.2 and write a reproducer that crashes again
# under `qmprace run`; on sim:failing (the fix) it must find nothing; without AFL++ it must say how to
# install it; Ctrl-C must stop it cleanly. Also fuzz/ci-job.
# `--without params` leaves out migrate-set-parameters, whose multifd-channels siblings crash both models
# (7.2's set-parameters has no running check, and the fix does not add one; see the README).
source "$(dirname "$0")/e2e-lib.sh"

harness=$(dirname "$QMPRACE")/afl/harness/qmprace-harness
if ! command -v afl-fuzz >/dev/null || [ ! -x "$harness" ]; then
  echo "SKIP: AFL++ (afl-fuzz, afl-clang-fast) is not installed, so there is no harness to hunt with"
  exit 77
fi
cd "$QMPRACE_SOURCE_DIR" # the default dictionary (fuzz/) is relative to the repo
yank='SIGABRT yank_unregister_instance: Assertion `QLIST_EMPTY(&entry->yankfns)'"'"' failed'

# 1. sim:qemu-7.2 finds the yank assertion by itself, from seeds generated from the target: a plain
#    migration and each window it can open with a harmless query inside (no corpus file, no reaction).
#    It stops at the first yank: 4-30 s on an idle machine (bench/hunt-time-to-crash.sh 3 60), and the
#    limit is for the tail under ctest -j2 (once over 150 s, since the models' return path makes trials
#    with return-path=on wait for the sink as QEMU's do)
expect_status 1 "$QMPRACE" hunt --target sim:qemu-7.2 --time 300 --until-crash=yank_unregister_instance \
  --without params --out "$tmp/h1" --report "$tmp/h1.html" -q
for seed in plain-migration failed-reset-all cancelled completed setup-migration-thread-held; do
  [ -f "$tmp/h1/seeds/$seed.bin" ] && pass || fail "no generated seed $seed: $(ls "$tmp/h1/seeds")"
done
expect_grep "$tmp/h1/signatures.txt" "$yank"
repro=$(grep -F "$yank" "$tmp/h1/signatures.txt" | head -1 | cut -f3)
[ -f "$repro" ] && pass || fail "no reproducer file for the yank signature ('$repro')"
expect_grep "$tmp/h1/summary.json" '"interrupted":false'
expect_no_leftovers "$tmp/h1" "after --until-crash"
# the reproducer is a text schedule a person can read and rerun: `qmprace run` with no other option
# replays it under the profile it carries (the hunt's small guest and short deadline) as the header says
expect_grep "$repro" '# profile: {"target":"sim:qemu-7.2","ram":"32MiB","deadline":"200ms","without":"params"}'
expect_status 1 "$QMPRACE" run "$repro" --repeat 20 --json "$tmp/repro.json" -q
# it crashes with the yank nearly every time (19 of 20 was seen: a sim trial's timers run on real time)
n=$(replay_count "$tmp/repro.json" "$yank")
[ "$n" -ge 18 ] && pass || fail "the hunt's reproducer crashed with the yank $n/20 times, not at least 18"
expect_grep "${repro%.sched}.txt" "timeline of trial"
# the hunt's page: each crash with its reproducer and a crashing replay as a diagram
expect_grep "$tmp/h1.html" "<title>qmprace hunt on sim:qemu-7.2:"
expect_grep "$tmp/h1.html" "$repro"
expect_grep "$tmp/h1.html" 'id="race-window"'
while IFS=$'\t' read -r _ _ file _; do expect_replays_as_stated "$file"; done <"$tmp/h1/signatures.txt"

# 2. the fix: no crash after a failure. (The model also has 7.2's completion race, which the fix does
#    not cover: a capability change between `completed` and the cleanup; a hunt may find it, tagged
#    "completed", and that is not what this checks.)
set +e
"$QMPRACE" hunt --target sim:failing --time 30 --without params --out "$tmp/h2" -q >"$tmp/out" 2>"$tmp/err"
rc=$?
set -e
[ $rc -le 1 ] && pass || fail "hunt on sim:failing: exit status $rc"
# it really hunted: AFL++ ran inputs through the harness, and the hunt wrote what it found (maybe nothing)
execs=$(json_num "$tmp/h2/summary.json" execs)
[ "${execs:-0}" -gt 100 ] && pass || fail "hunt on sim:failing ran ${execs:-no} executions in 30 s"
[ -f "$tmp/h2/signatures.txt" ] && pass || fail "hunt on sim:failing wrote no signatures.txt"
# what those executions were: the harness's tally of migration trials, trials without one and inputs
# refused accounts for AFL++'s count (less what the last second's flush may miss), and most migrated
mig=$(json_num "$tmp/h2/summary.json" migration_trials)
nomig=$(json_num "$tmp/h2/summary.json" trials_without_migration)
refused=$(json_num "$tmp/h2/summary.json" refused)
sum=$(( ${mig:-0} + ${nomig:-0} + ${refused:-0} ))
if [ "$sum" -ge $(( ${execs:-0} * 8 / 10 )) ] && [ "$sum" -le $(( ${execs:-0} + 20 )) ] && [ "${mig:-0}" -gt $(( sum / 3 )) ]; then
  pass
else
  fail "hunt on sim:failing: $execs executions, tally $mig migration trials + $nomig without + $refused refused"
fi
# (a property violation after `failing` is the fix's own behaviour change, docs/running.md: properties)
if awk -F'\t' '$4 ~ /^(failed|failing)$/ && $1 !~ /^(violation|hang): /' "$tmp/h2/signatures.txt" | grep -q .; then
  fail "sim:failing: a crash after a failure: $(cat "$tmp/h2/signatures.txt")"
else
  pass
fi

# 3. no AFL++: a clear message and exit 2
expect_status 2 env PATH=/nonexistent "$QMPRACE" hunt --time 5 --out "$tmp/h3"
expect_grep "$tmp/err" "apt-get install afl++"
# a mutator named but missing: said before anything starts
expect_status 2 "$QMPRACE" hunt --time 5 --mutator "$tmp/no-such-mutator.so" --out "$tmp/h3m"
expect_grep "$tmp/err" "no-such-mutator.so: No such file or directory"
[ ! -e "$tmp/h3m" ] && pass || fail "a hunt refused for its --mutator left $tmp/h3m behind"
# a harness afl-fuzz gives up on before its first input (the replay build's, not instrumented): no hunt
# ran, so not "no crash found" and exit 0, but afl-fuzz's own reason and exit 3
expect_status 3 "$QMPRACE" hunt --time 30 --harness "$(dirname "$QMPRACE")/harness/qmprace-harness" --out "$tmp/h3h" -q
expect_grep "$tmp/err" "afl-fuzz stopped before it ran an input (status 1): No instrumentation detected"
expect_no_leftovers "$tmp/h3h" "after afl-fuzz gave up"

# 4. Ctrl-C: exit 130, a summary marked interrupted, nothing of the hunt left running
"$QMPRACE" hunt --time 120 --without params --out "$tmp/h4" -q >"$tmp/out" 2>"$tmp/err" &
pid=$!
for _ in $(seq 100); do [ -d "$tmp/h4/afl" ] && break; sleep 0.1; done
sleep 3
kill -INT "$pid"
set +e; wait "$pid"; rc=$?; set -e
[ "$rc" -eq 130 ] && pass || { fail "hunt exit status $rc after SIGINT, expected 130"; cat "$tmp/err" >&2; }
expect_grep "$tmp/h4/summary.json" '"interrupted":true'
sleep 0.5
expect_no_leftovers "$tmp/h4" "after SIGINT"

# 5. two hunts on one directory (as machines sharing it would): a main one with --jobs 2, and one that
#    --join-s it with its own, uniquely named instance and its own triage files
"$QMPRACE" hunt --jobs 2 --time 20 --without params --out "$tmp/h5" -q --no-minimize --triage-trials 3 \
  >"$tmp/h5.out" 2>"$tmp/h5.err" &
main_pid=$!
for _ in $(seq 100); do [ -d "$tmp/h5/afl" ] && break; sleep 0.1; done
set +e
"$QMPRACE" hunt --join "$tmp/h5" --time 8 --without params -q --no-minimize --triage-trials 3 >"$tmp/out" 2>"$tmp/err"
rc=$?
wait "$main_pid"
main_rc=$?
set -e
[ $rc -le 1 ] && [ $main_rc -le 1 ] && pass || fail "joined hunt exit $rc, main hunt exit $main_rc"
expect_no_leftovers "$tmp/h5" "after two hunts on one directory"
ls -d "$tmp"/h5/afl/*-1 >/dev/null 2>&1 && pass || fail "no joined instance in $tmp/h5/afl: $(ls "$tmp/h5/afl")"
[ -d "$tmp/h5/afl/main" ] && [ -d "$tmp/h5/afl/secondary1" ] && pass || fail "the main hunt's instances are missing"
ls "$tmp"/h5/summary-*.json >/dev/null 2>&1 && pass || fail "the joined hunt wrote no summary of its own"
expect_status 2 "$QMPRACE" hunt --join "$tmp/nothing-here" --time 5
expect_grep "$tmp/err" "is not a running hunt's directory"

# 6. fuzz/ci-job: crashes in the allow-list pass, any other fails the job; reports are written either way
# (the model's other findings too, which a faster hunt may reach within the 15 s: the one-vm violation,
# 7.2's failure with no error (docs/findings/failed-without-error.md, seen once in a clean-clone CI run)
# and the cancel's hang (docs/findings/cancel-hang-multifd.md))
printf '# known\n%s\nSIGSEGV\ncompleted: %s\n%s\n%s\n%s\n' "$yank" "$yank" \
  'violation: one-vm: both sides run the guest after completed (source running, the modelled destination running)' \
  'violation: failure-reported: failed, ended failed without its error' \
  'hang: multifdsend_N in qio_channel_socket_writev (did not settle: migration cancelling)' >"$tmp/allow"
expect_status 0 env QMPRACE="$QMPRACE" "$QMPRACE_SOURCE_DIR/fuzz/ci-job" --time 15 --allow "$tmp/allow" \
  --out "$tmp/ci" --without params -- --no-minimize --triage-trials 3 -q
expect_grep "$tmp/ci/junit.xml" "<testsuite"
expect_grep "$tmp/ci/results.sarif" '"version":"2.1.0"'
expect_grep "$tmp/ci/junit.xml" 'name="qmprace hunt on sim:qemu-7.2"'
# a real hunt's reports read by real parsers, when they are installed (tests/e2e/e2e_ci_formats.sh)
py=$(command -v /usr/bin/python3 || true)
schema=${QMPRACE_SARIF_SCHEMA:-$HOME/.cache/qmprace/sarif-2.1.0-rtm.4.json}
if [ -n "$py" ] && "$py" -c 'import jsonschema' 2>/dev/null && [ -r "$schema" ]; then
  expect_status 0 "$py" "$QMPRACE_SOURCE_DIR/tests/e2e/ci_formats.py" junit "$tmp/ci/junit.xml"
  expect_status 0 "$py" "$QMPRACE_SOURCE_DIR/tests/e2e/ci_formats.py" sarif "$tmp/ci/results.sarif" "$schema"
else
  skip "ci-job's JUnit and SARIF not read by real parsers (needs python3-jsonschema and the schema at $schema)"
fi
# a missing allow-list is refused before the hunt starts
expect_status 2 "$QMPRACE" hunt --time 5 --allow "$tmp/no-such-allow" --out "$tmp/h6"
expect_grep "$tmp/err" "--allow: $tmp/no-such-allow: No such file or directory"
[ ! -e "$tmp/h6" ] && pass || fail "a hunt refused for its --allow left $tmp/h6 behind"
printf '# nothing is known\n' >"$tmp/allow-none"
set +e
env QMPRACE="$QMPRACE" "$QMPRACE_SOURCE_DIR/fuzz/ci-job" --time 15 --allow "$tmp/allow-none" --out "$tmp/ci2" \
  --without params -- --no-minimize --triage-trials 3 -q >"$tmp/out" 2>"$tmp/err"
rc=$?
set -e
if [ -s "$tmp/ci2/hunt/signatures.txt" ]; then
  # a finding is a crash or a violation (the walk can land `cont` after `completed` within the 15 s)
  [ $rc -eq 1 ] && pass || fail "ci-job found something outside an empty allow-list but exited $rc"
  expect_grep "$tmp/ci2/junit.xml" "<failure type=\""
  expect_grep "$tmp/ci2/junit.xml" "message=\"new "
else
  [ $rc -eq 0 ] && pass || fail "ci-job found nothing but exited $rc"
fi

# every reproducer the hunts triaged with 20 trials wrote replays, with no option but --repeat, as its
# header states (the joined and ci-job hunts triage with 3: a natural race on the simulated VMM, whose
# timers run on real time, showed 3/3 under a hunt's load and 2/20 beside another test, so a 3-trial rate
# is not held to a 20-trial replay)
for sigs in "$tmp"/h1/signatures.txt "$tmp"/h2/signatures.txt; do
  [ -f "$sigs" ] || continue
  while IFS=$'\t' read -r _ _ file _; do [ -n "$file" ] && expect_replays_as_stated "$file"; done <"$sigs"
done

e2e_done
