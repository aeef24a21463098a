#!/usr/bin/env bash
# Builds QEMU 7.2 with the seed's fix (tests/qemu-fixed/build.sh's `fixed` tree) plus every injected race
# in patches/ (README.md there: what each one is and why it is a benchmark, never a target of the search).
# Output: $QEMU_FIXED_DIR/injected/build/qemu-system-x86_64 (default ~/.cache/qemu-7.2-failing), its path
# printed last. Cached: rebuilt only when a patch changes.
#
# The injected tree is a copy of the `fixed` tree, objects included. Built in place of `fixed` inside a
# private mount namespace (the copy bind-mounted over it), every compiler command stays byte for byte what
# ninja recorded, so only the patched files are compiled again: about a minute instead of five. Where a
# mount namespace is not allowed, it configures and builds the copy from nothing instead.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
repo=$(cd "$here/../.." && pwd)
base=${QEMU_FIXED_DIR:-${XDG_CACHE_HOME:-$HOME/.cache}/qemu-7.2-failing}
log() { printf '[%(%H:%M:%S)T] %s\n' -1 "$*"; }

if [ ! -x "$base/fixed/build/qemu-system-x86_64" ]; then
  log "the fixed 7.2 tree first (tests/qemu-fixed/build.sh)"
  QEMU_FIXED_DIR=$base bash "$repo/tests/qemu-fixed/build.sh" fixed >/dev/null
fi
base=$(cd "$base" && pwd)
out=$base/injected
key=$(cat "$repo/tests/qemu-fixed/failing-7.2.patch" "$here"/patches/*.patch | sha256sum | cut -d' ' -f1)
if [ -x "$out/build/qemu-system-x86_64" ] && [ "$(cat "$out/.key" 2>/dev/null)" = "$key" ]; then
  log "injected: already built"
  echo "$out/build/qemu-system-x86_64"
  exit 0
fi

log "injected: copy of the fixed tree"
rm -rf "$out" "$out.tmp"
cp -a "$base/fixed" "$out.tmp"
for p in "$here"/patches/*.patch; do
  (cd "$out.tmp" && patch -p1 -s --no-backup-if-mismatch <"$p")
done
mv "$out.tmp" "$out"

if unshare --mount true 2>/dev/null; then
  log "injected: ninja, in place of the fixed tree"
  # shellcheck disable=SC2016 # expanded by the inner shell
  unshare --mount bash -c 'mount --bind "$1" "$2" && cd "$2/build" && nice ninja -j"$(nproc)" qemu-system-x86_64' \
    _ "$out" "$base/fixed" >"$base/injected.build.log" 2>&1
else
  log "injected: no mount namespace here; configure and build from nothing (about 5 minutes)"
  rm -rf "$out/build"
  mkdir -p "$out/build"
  (cd "$out/build" && nice ../configure --target-list=x86_64-softmmu --disable-docs --disable-werror \
    --without-default-features --enable-tcg --disable-tools --disable-guest-agent \
    --disable-install-blobs --meson=meson \
    --firmwarepath=/usr/share/qemu:/usr/share/seabios:/usr/lib/ipxe/qemu >"$base/injected.configure.log" 2>&1)
  (cd "$out/build" && nice ninja -j"$(nproc)" qemu-system-x86_64 >"$base/injected.build.log" 2>&1)
  mkdir -p "$out/build/qemu-bundle/usr/share"
  ln -sfn /usr/share/seabios "$out/build/qemu-bundle/usr/share/seabios"
  ln -sfn /usr/share/qemu "$out/build/qemu-bundle/usr/share/qemu"
fi
echo "$key" >"$out/.key"
log "injected: $("$out/build/qemu-system-x86_64" --version | head -n1)"
echo "$out/build/qemu-system-x86_64"
