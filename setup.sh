#!/usr/bin/env bash
# setup.sh: make a Debian 12 machine ready for qmprace, build it, and run its main job or its tests.
#
#   bash setup.sh run    install what is missing, build, reproduce the race on the simulated VMM
#   bash setup.sh test   install what is missing, build (warnings are errors), run the whole test suite
#
# Debian packages are installed with apt-get when run as root; otherwise the apt-get line is printed
# and nothing else happens. The build goes to ./build (override with QMPRACE_BUILD_DIR).
set -euo pipefail
cd "$(dirname "$0")"

mode=${1:-}
case "$mode" in
  run|test) ;;
  -h|--help) sed -n '2,9p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
  *) echo "usage: bash setup.sh run|test" >&2; exit 2 ;;
esac

packages=(build-essential cmake pkg-config libjson-c-dev libevent-dev)
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
  set +e
  "$build/qmprace" run corpus/libvirt-reset.sched --target sim:qemu-7.2 --repeat 20 --timeline
  rc=$?
  set -e
  # exit status 1 means "the target crashed": here that is the expected, successful outcome
  [ $rc -eq 1 ] && exit 0
  exit $rc
fi
exec ctest --test-dir "$build" --output-on-failure -j2
