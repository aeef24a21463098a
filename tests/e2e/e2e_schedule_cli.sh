#!/usr/bin/env bash
# `qmprace schedule` as a user drives it: check, print, encode, decode, their exit statuses and
# messages, and that a failed write never leaves a half-written or stray file. Runs $QMPRACE.
set -euo pipefail

: "${QMPRACE:?set QMPRACE to the qmprace binary}"
dir=$(mktemp -d)
trap 'rm -rf "$dir"' EXIT
cd "$dir"

fails=0
fail() {
    echo "FAIL: $*" >&2
    fails=$((fails + 1))
}

# run EXPECTED_STATUS CMD...: runs CMD with stdout/stderr in out/err, checks the exit status.
run() {
    local want=$1 got=0
    shift
    "$@" >out 2>err || got=$?
    if [ "$got" != "$want" ]; then
        fail "'$*' exited $got, expected $want; stderr: $(cat err)"
    fi
}

# same FILE TEXT: FILE holds exactly TEXT (plus the final newline a here-doc adds).
same() {
    if ! diff -u <(printf '%s\n' "$2") "$1" >diff.txt; then
        fail "unexpected $1: $(cat diff.txt)"
    fi
}

cat >libvirt.sched <<'EOF'
# libvirt's reaction to a failed migration: reset the capabilities it had set
caps events=on multifd=on
params multifd-channels=2
migrate
after 8MiB on any: reset all
on failed: caps multifd=off
EOF
printf 'caps events=on multifd=on\r\nparams multifd-channels=2\r\nmigrate\r\n# hold the thread\r\nafter 8MiB on any:reset all;freeze live_migration 50ms\r\non failed +1.0ms: caps multifd=false; query\r\n' >held.sched
held_canon='caps events=on multifd=on
params multifd-channels=2
migrate
after 8MiB on any: reset all; freeze live_migration 50ms
on failed +1ms: caps multifd=off; query'
printf 'caps multifd=on\non faild: caps multifd=off\n' >typo.sched
printf 'migrate\nqmp {"execute":"quit"}\n' >quit.sched

# help and usage
run 0 "$QMPRACE" schedule --help
for verb in check print encode decode; do
    grep -q "qmprace schedule $verb" out || fail "--help does not list '$verb'"
done
run 0 "$QMPRACE" schedule -h
[ -s out ] || fail "-h printed nothing"
run 2 "$QMPRACE" schedule
grep -q "usage:" err || fail "no verb: no usage on stderr"
[ ! -s out ] || fail "no verb: usage went to stdout"
run 2 "$QMPRACE" schedule frobnicate libvirt.sched
grep -q "unknown verb 'frobnicate'" err || fail "unknown verb not named: $(cat err)"
run 2 "$QMPRACE" schedule print libvirt.sched --bogus
grep -q "unknown option '--bogus'" err || fail "unknown option not named: $(cat err)"
run 2 "$QMPRACE" schedule check -o x libvirt.sched
run 2 "$QMPRACE" schedule print
run 2 "$QMPRACE" schedule print libvirt.sched held.sched

# check
run 0 "$QMPRACE" schedule check libvirt.sched held.sched
same out "libvirt.sched: ok, 5 lines
held.sched: ok, 5 lines"
run 2 "$QMPRACE" schedule check libvirt.sched typo.sched
same out "libvirt.sched: ok, 5 lines"
same err "typo.sched:2:4: unknown status 'faild' (did you mean 'failed'?)"
run 2 "$QMPRACE" schedule check missing.sched
same err "missing.sched: No such file or directory"
printf '' >empty.sched
run 0 "$QMPRACE" schedule check empty.sched
same out "empty.sched: ok, 0 lines"

# print: canonical text, from a file or standard input
run 0 "$QMPRACE" schedule print held.sched
same out "$held_canon"
run 0 "$QMPRACE" schedule print - <held.sched
same out "$held_canon"
run 2 "$QMPRACE" schedule print - <typo.sched
same err "<stdin>:2:4: unknown status 'faild' (did you mean 'failed'?)"

# encode and decode: text -> bytes -> the same canonical text
run 0 "$QMPRACE" schedule encode held.sched -o held.bin
[ ! -s out ] || fail "encode -o wrote to stdout"
[ "$(od -An -tx1 held.bin | tr -d ' \n')" = "0000011a210001001300020002076c0000060009004c3508090003e800000c04" ] ||
    fail "held.bin is not the documented encoding: $(od -An -tx1 held.bin)"
run 0 "$QMPRACE" schedule decode held.bin
same out "$held_canon"
run 0 "$QMPRACE" schedule decode - <held.bin
same out "$held_canon"
run 0 "$QMPRACE" schedule decode held.bin -o held.txt
same held.txt "$held_canon"
"$QMPRACE" schedule encode held.sched >piped.bin
cmp -s piped.bin held.bin || fail "encode to a pipe differs from encode -o"
run 0 "$QMPRACE" schedule encode -o - held.sched
cmp -s out held.bin || fail "encode -o - differs from encode -o FILE"
# Any bytes decode; one byte is one line.
printf '\x02' >one.bin
run 0 "$QMPRACE" schedule decode one.bin
same out "after 0B on any: caps xbzrle=off"
run 0 "$QMPRACE" schedule decode empty.sched
[ ! -s out ] || fail "an empty binary decoded to something: $(cat out)"
head -c 3000 /dev/urandom >random.bin
run 0 "$QMPRACE" schedule decode random.bin -o random.sched
run 0 "$QMPRACE" schedule check random.sched
run 0 "$QMPRACE" schedule encode random.sched -o random2.bin
run 0 "$QMPRACE" schedule decode random2.bin
cmp -s out random.sched || fail "decode(encode(decode(x))) differs from decode(x)"

# a failure leaves OUT as it was, and no temporary file behind
printf 'old\n' >keep.bin
run 2 "$QMPRACE" schedule encode quit.sched -o keep.bin
grep -q '^quit.sched:2:1: cannot be encoded: qmp {"execute":"quit"} is not in the binary form' err ||
    fail "unencodable schedule: $(cat err)"
same keep.bin "old"
run 2 "$QMPRACE" schedule encode typo.sched -o keep.bin
same keep.bin "old"
run 2 "$QMPRACE" schedule decode held.bin -o no/such/dir/out.txt
grep -q "no/such/dir/out.txt" err || fail "unwritable -o not named: $(cat err)"
for f in ./*.tmp*; do
    [ ! -e "$f" ] || fail "temporary file left behind: $f"
done

# binary never goes to a terminal
if command -v script >/dev/null 2>&1; then
    got=0
    script -qec "'$QMPRACE' schedule encode held.sched" /dev/null >tty.out 2>&1 </dev/null || got=$?
    [ "$got" = 2 ] || fail "encode to a terminal exited $got, expected 2"
    grep -q "refusing to write binary to a terminal" tty.out || fail "encode to a terminal: $(cat tty.out)"
fi

if [ "$fails" -ne 0 ]; then
    echo "$fails check(s) failed" >&2
    exit 1
fi
echo "e2e_schedule_cli: ok"
