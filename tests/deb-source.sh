#!/usr/bin/env bash
# deb-source.sh DIR PACKAGE: downloads Debian source package PACKAGE's files (.dsc, .orig.tar.*, ...) into
# DIR through apt, with a private apt configuration whose deb-src lines are derived from the system's own
# apt sources, so no archive host is written in this repository and the system's apt state is untouched.
# apt checks each file against the hashes its signed index states. Exits 0 when at least the upstream
# tarball (*.orig.tar.*) arrived (a mirror may lack the Debian part, which the callers do not need).
set -euo pipefail
dir=$1 pkg=$2
mkdir -p "$dir"
a=$(mktemp -d)
trap 'rm -rf "$a"' EXIT
mkdir -p "$a/lists/partial" "$a/cache/archives/partial"
if [ -f /etc/apt/sources.list.d/debian.sources ]; then
  awk '/^URIs:/{u=$2} /^Suites:/{n=split($0,s," ")} /^Components:/{for(i=2;i<=n;i++) print "deb-src", u, s[i], $2}' \
    /etc/apt/sources.list.d/debian.sources >"$a/sources.list"
fi
if [ -f /etc/apt/sources.list ]; then
  awk '$1 == "deb" { sub(/\[[^]]*\] */, ""); $1 = "deb-src"; print }' /etc/apt/sources.list >>"$a/sources.list"
fi
[ -s "$a/sources.list" ] || { echo "deb-source.sh: no apt sources on this system to derive deb-src lines from" >&2; exit 1; }
opts=(-o "Dir::Etc::SourceList=$a/sources.list" -o Dir::Etc::SourceParts=- -o "Dir::State::Lists=$a/lists"
  -o "Dir::Cache=$a/cache" -o Acquire::Retries=2)
apt-get "${opts[@]}" update >/dev/null 2>&1 || true
(cd "$dir" && apt-get "${opts[@]}" source --download-only "$pkg" >/dev/null 2>&1) || true
ls "$dir"/*.orig.tar.* >/dev/null 2>&1 || { echo "deb-source.sh: apt could not download the source of $pkg" >&2; exit 1; }
