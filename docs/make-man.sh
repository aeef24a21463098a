#!/usr/bin/env bash
# make-man.sh QMPRACE OUT: writes the manual page qmprace.1 to OUT from the same text as --help: the
# program's own usage, then each command's `qmprace COMMAND --help`, verbatim. Run by the build (CMake),
# so the page never says something else than the binary it ships with.
set -euo pipefail
qmprace=$1 out=$2
version=$("$qmprace" --version | awk '{print $2}')
# roff: a backslash is \e, and a line may not start with . or ' (it would be a request)
roff() { sed -e 's/\\/\\e/g' -e "s/^\\([.']\\)/\\\\\\&\\1/"; }
{
  printf '.TH QMPRACE 1 "" "qmprace %s" "User Commands"\n' "$version"
  printf '.SH NAME\nqmprace \\- reproduce and fuzz races between QMP commands and QEMU'"'"'s failed-migration handling\n'
  printf '.SH SYNOPSIS\n.B qmprace\n.I COMMAND\n[\\fIoptions\\fR]\n'
  printf '.SH DESCRIPTION\n.nf\n'
  "$qmprace" --help | roff
  printf '.fi\n.SH COMMANDS\n'
  for cmd in run hunt explore minimize schedule sim; do
    printf '.SS "qmprace %s"\n.nf\n' "$cmd"
    "$qmprace" "$cmd" --help | roff
    printf '.fi\n'
  done
  printf '.SH SEE ALSO\nThe README and docs/ of qmprace: the schedule language, targets, hunting, explore, CI use.\n'
} >"$out.tmp"
mv "$out.tmp" "$out"
