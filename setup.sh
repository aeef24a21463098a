#!/usr/bin/env bash
# setup.sh: make a Debian 12 machine ready for qmprace, build it, and run its main job or its tests.
#
#   bash setup.sh run    install what is missing, build, reproduce the race on the simulated VMM, then
#                        let AFL++ find it again from schedules that do not crash by themselves
#   bash setup.sh test   install what is missing, build (warnings are errors), build QEMU 10.2 with and
#                        without the fix and 7.2 with it (tests/qemu-fixed; cached) and 7.2 with the
#                        injected races of bench/injected (cached), run the whole test
#                        suite, then build it again with ASan+UBSan+LSan (into BUILD-asan) and run it there too
#
# Debian packages are installed with apt-get when run as root; otherwise the apt-get line is printed
# and nothing else happens. The build goes to ./build (override with QMPRACE_BUILD_DIR).
set -euo pipefail
cd "$(dirname "$0")"

mode=${1:-}
case "$mode" in
  run|test) ;;
  -h|--help) sed -n '2,12p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
  *) echo "usage: bash setup.sh run|test" >&2; exit 2 ;;
esac

packages=(build-essential cmake pkg-config libjson-c-dev libevent-dev libdw-dev)
packages+=(afl++) # AFL++ builds and short runs of the fuzz targets (fuzz/); ctest skips them without it
packages+=(qemu-system-x86) # the real-QEMU target (--target qemu) and its end-to-end tests
packages+=(elfutils)        # eu-stack: where a hung QEMU's threads wait (the hang's stacks and signature)
if [ "$mode" = test ]; then
  # the CI reports read by real parsers (tests/e2e/e2e_ci_formats.sh); the HTML report rendered by a real
  # browser (tests/e2e/e2e_report_html.sh)
  packages+=(python3 python3-jsonschema chromium)
  packages+=(man-db) # the installed manual page, rendered (tests/e2e/e2e_install.sh)
fi
missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
  if [ "$(id -u)" -ne 0 ]; then
    echo "qmprace needs these Debian packages: ${missing[*]}" >&2
    echo "install them with:  sudo apt-get install -y --no-install-recommends ${missing[*]}" >&2
    exit 2
  fi
  echo "installing: ${missing[*]}"
  export DEBIAN_FRONTEND=noninteractive
  apt-get -o DPkg::Lock::Timeout=600 update -qq
  apt-get -o DPkg::Lock::Timeout=600 install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

build=${QMPRACE_BUILD_DIR:-build}
werror=OFF
[ "$mode" = test ] && werror=ON
cmake -S . -B "$build" -DCMAKE_BUILD_TYPE=RelWithDebInfo -DQMPRACE_WERROR=$werror >/dev/null
cmake --build "$build" -j"$(nproc)" >/dev/null

if [ "$mode" = run ]; then
  # The main job on the default target: libvirt's reaction to a failed migration, 20 times, on the
  # simulated QEMU 7.2; prints the crash rate, the signature and the first crash's timeline.
  # Exit status 1 means "the target crashed": here that is the expected, successful outcome.
  set +e
  "$build/qmprace" run corpus/libvirt-reset.sched --target sim:qemu-7.2 --repeat 20 --timeline
  rc=$?
  set -e
  [ $rc -eq 1 ] || exit $rc
  # Then the hunt: AFL++ mutates seeds generated from the target's windows until the yank assertion comes
  # back, and writes a minimized reproducer (usually well within two minutes).
  echo
  echo "== qmprace hunt: finding the same crash from schedules that do not crash by themselves"
  rm -rf "$build/quickstart-hunt"
  set +e
  "$build/qmprace" hunt --target sim:qemu-7.2 --time 120 --until-crash=yank_unregister_instance \
    --without params --out "$build/quickstart-hunt"
  rc=$?
  set -e
  [ $rc -eq 1 ] || exit $rc
  for f in "$build"/quickstart-hunt/crashes/*yank*.sched; do
    [ -f "$f" ] || continue
    echo
    echo "== the reproducer the hunt wrote for the yank assertion ($f):"
    cat "$f"
    break
  done
  exit 0
fi
# The SARIF 2.1.0 JSON schema the CI-report test validates against: the copy in the upstream tarball of
# Debian's python-sarif-python-om source package, fetched through apt (tests/deb-source.sh: the system's own
# sources, hashes checked by apt) once into ~/.cache/qmprace.
schema=$HOME/.cache/qmprace/sarif-2.1.0-rtm.4.json
if [ ! -s "$schema" ]; then
  echo "== fetching the SARIF 2.1.0 schema through apt (source package python-sarif-python-om)"
  mkdir -p "$(dirname "$schema")"
  src=$(mktemp -d)
  if ! bash tests/deb-source.sh "$src" python-sarif-python-om ||
    ! tar -xzf "$src"/python-sarif-python-om_*.orig.tar.gz -C "$src" --wildcards '*/sarif-2.1.0-rtm.4.json'; then
    rm -rf "$src"
    echo "setup.sh: could not fetch the SARIF schema through apt" >&2
    exit 1
  fi
  mv "$(find "$src" -name sarif-2.1.0-rtm.4.json | head -1)" "$schema"
  rm -rf "$src"
fi

# QEMU as people run it today, with and without the fix: upstream 10.2.2 built twice and Debian's 7.2 with
# the fix (its own package is 7.2 without it) by tests/qemu-fixed (or QMPRACE_QEMU_FIXED), for
# tests/e2e/e2e_qemu_versions.sh. About 15 minutes on 2 cores the first time, cached under ~/.cache
# (seconds after that). As root only: they install their build dependencies.
qemu_fixed=${QMPRACE_QEMU_FIXED:-tests/qemu-fixed}
if [ "$(id -u)" -eq 0 ]; then
  for step in "build-upstream.sh 10.2" "build.sh fixed"; do
    log=$build/qemu-${step%% *}.log
    echo "== QEMU with and without the fix: $qemu_fixed/$step (log: $log)"
    # shellcheck disable=SC2086 # the step is a script and its argument
    if ! bash "$qemu_fixed"/$step >"$log" 2>&1; then
      tail -n 30 "$log" >&2
      echo "setup.sh: $qemu_fixed/$step failed (log: $log)" >&2
      exit 1
    fi
  done
  # the injected-race build of bench/injected (the fixed 7.2 plus six races; about 10 seconds from the
  # fixed tree), for tests/e2e/e2e_qemu_injected.sh
  log=$build/qemu-injected.log
  echo "== QEMU 7.2 with injected races: bench/injected/build.sh (log: $log)"
  if ! bash bench/injected/build.sh >"$log" 2>&1; then
    tail -n 30 "$log" >&2
    echo "setup.sh: bench/injected/build.sh failed (log: $log)" >&2
    exit 1
  fi
fi

set +e
ctest --test-dir "$build" --output-on-failure -j2 2>&1 | tee "$build/ctest.log"
rc=${PIPESTATUS[0]}
set -e

# The same suite again on an AddressSanitizer+UndefinedBehaviorSanitizer build, LeakSanitizer on (all but
# the AFL++ hunt, whose harness that build does not make; minimization has its own test and runs). Each
# process writes any report to a file under $logs, so a report from a helper or a background process
# fails CI too, not only one that changes an exit status a test checks.
asan=${build}-asan
echo "== the test suite under ASan+UBSan+LSan ($asan)"
cmake -S . -B "$asan" -DCMAKE_BUILD_TYPE=RelWithDebInfo -DQMPRACE_SANITIZE=ON -DQMPRACE_AFL=OFF >/dev/null
cmake --build "$asan" -j"$(nproc)" >/dev/null
logs=$(cd "$asan" && pwd)/sanitizer-logs
rm -rf "$logs"
mkdir -p "$logs"
set +e
QMPRACE_SANITIZED=1 ASAN_OPTIONS="detect_leaks=1:halt_on_error=1:log_path=$logs/asan" \
  UBSAN_OPTIONS="halt_on_error=1:print_stacktrace=1:log_path=$logs/ubsan" \
  ctest --test-dir "$asan" --output-on-failure -j2 -E '^(e2e_hunt|e2e_qemu_versions)$' 2>&1 | tee "$asan/ctest.log"
asan_rc=${PIPESTATUS[0]}
set -e
if [ -n "$(ls -A "$logs")" ]; then
  echo "sanitizer reports (in $logs):"
  for f in "$logs"/*; do echo "--- $f"; head -60 "$f"; done
  exit 1
fi

# ctest ends its output with the tests it did not run; the count of each pass closes the run instead
summary() {
  local count skipped
  count=$(grep -E '^[0-9]+% tests passed' "$2/ctest.log" | tail -1)
  skipped=$(grep -c '(Skipped)$' "$2/ctest.log" || true)
  if [ "$skipped" -gt 0 ]; then
    echo "$1: ${count:-no ctest summary}, $skipped skipped (listed above)"
  else
    echo "$1: ${count:-no ctest summary}, none skipped"
  fi
}
echo "== ctest's summaries"
summary "the test suite" "$build"
summary "ASan+UBSan+LSan" "$asan"
[ $rc -eq 0 ] && [ $asan_rc -eq 0 ]
