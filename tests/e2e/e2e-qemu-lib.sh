# e2e-qemu-lib.sh: what the real-QEMU end-to-end scripts share, sourced after e2e-lib.sh: the QEMU binary
# (or a clear skip, exit 77, where there is none at all), schedules that only these tests need, and
# readers for `run --json`. Installs nothing (setup.sh installs qemu-system-x86).
qemu_bin=${QMPRACE_QEMU:-$(command -v qemu-system-x86_64 || true)}
if [ -z "$qemu_bin" ] || [ ! -x "$qemu_bin" ]; then
  echo "SKIP: no qemu-system-x86_64 on PATH (Debian: apt-get install qemu-system-x86, as setup.sh does)"
  exit 77
fi
qemu="qemu:$qemu_bin"

# The window held open on a stalled network (corpus/libvirt-reset-stalled-held.sched says how), and the
# same without the capability change: QEMU must survive that.
cp "$QMPRACE_SOURCE_DIR/corpus/libvirt-reset-stalled-held.sched" "$tmp/stalled-held.sched"
grep -v '^on fail' "$tmp/stalled-held.sched" >"$tmp/stalled-control.sched"


# only_signature FILE SIGNATURE: every crash in FILE has that signature
only_signature() {
  local crashes; crashes=$(json_num "$1" crashes)
  if [ "$crashes" -eq 0 ] || grep -qF "\"signatures\":[{\"signature\":\"$2\",\"count\":$crashes}]" "$1"; then
    pass
  else
    fail "$3: crashes other than '$2'"; sed 's/^/  /' "$1" | cut -c1-400 >&2
  fi
}

# at_least FILE KEY MIN WHAT
at_least() {
  local v; v=$(json_num "$1" "$2")
  if [ -n "$v" ] && [ "$v" -ge "$3" ]; then pass; else fail "$4: $2 = ${v:-?}, expected at least $3"; fi
}
at_most() {
  local v; v=$(json_num "$1" "$2")
  if [ -n "$v" ] && [ "$v" -le "$3" ]; then pass; else fail "$4: $2 = ${v:-?}, expected at most $3"; fi
}
