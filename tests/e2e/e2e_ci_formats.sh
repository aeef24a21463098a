#!/usr/bin/env bash
# The CI reports qmprace writes, read by real parsers: the JUnit XML parses (Python's ElementTree) and the
# SARIF log validates against the SARIF 2.1.0 JSON schema (python3-jsonschema), and a signature with
# quotes, <, &, a control character and a byte that is not UTF-8 survives both. The sample reports come
# from tests/report/test_report_ci (no hunt needed); e2e_hunt checks a real hunt's the same way.
# The schema is the one Debian's python-sarif-python-om source carries; `bash setup.sh test` fetches it
# to ~/.cache/qmprace (or name one with QMPRACE_SARIF_SCHEMA).
source "$(dirname "$0")/e2e-lib.sh"
here=$(cd "$(dirname "$0")" && pwd)

# the workflow docs/hunting.md shows is the example's own (every line of its block is in the file)
sed -n '/^```yaml$/,/^```$/p' "$QMPRACE_SOURCE_DIR/docs/hunting.md" | sed '1d;$d' >"$tmp/readme.yml"
[ -s "$tmp/readme.yml" ] && pass || fail "docs/hunting.md shows no workflow"
while IFS= read -r line; do
  grep -qxF -- "$line" "$QMPRACE_SOURCE_DIR/examples/qmprace-hunt.yml" || fail "docs/hunting.md workflow line not in the example: $line"
done <"$tmp/readme.yml"

py=$(command -v /usr/bin/python3 || command -v python3 || true)
schema=${QMPRACE_SARIF_SCHEMA:-$HOME/.cache/qmprace/sarif-2.1.0-rtm.4.json}
sample=$(dirname "$QMPRACE")/tests/test_report_ci
if [ -z "$py" ] || ! "$py" -c 'import jsonschema' 2>/dev/null || [ ! -r "$schema" ]; then
  echo "SKIP: needs python3 with jsonschema (apt-get install python3-jsonschema) and the SARIF schema at $schema (bash setup.sh test fetches it)"
  exit 77
fi
[ -x "$sample" ] || { echo "FAIL: no $sample (build the tests)" >&2; exit 1; }

QMPRACE_CI_SAMPLE_DIR=$tmp "$sample" >"$tmp/out" 2>&1 && pass || fail "test_report_ci: $(cat "$tmp/out")"
# the signature as written, and as XML 1.0 can carry it (the control character and the stray byte visible)
sig=$(printf 'SIGABRT f: "quoted" <tag> & '"'"'apos'"'"'\001 end \377')
xml_sig=$(printf '%s' 'failed: SIGABRT f: "quoted" <tag> & '"'"'apos'"'"'\x01 end \xff')
expect_status 0 "$py" "$here/ci_formats.py" junit "$tmp/junit.xml" "$xml_sig"
# (in JSON the control character is itself; the stray byte, which JSON cannot carry, is the text \xff)
expect_status 0 "$py" "$here/ci_formats.py" sarif "$tmp/results.sarif" "$schema" "${sig%?}\\xff"
# the checks can fail: a result with a level SARIF does not have is refused by the schema
sed 's/"level":"error"/"level":"fatal"/; s/"level": "error"/"level": "fatal"/' "$tmp/results.sarif" >"$tmp/bad.sarif"
expect_status 1 "$py" "$here/ci_formats.py" sarif "$tmp/bad.sarif" "$schema"
expect_grep "$tmp/err" "not valid SARIF"
printf '<testsuites><testcase name="a & b"/></testsuites>' >"$tmp/bad.xml"
expect_status 1 "$py" "$here/ci_formats.py" junit "$tmp/bad.xml"
expect_grep "$tmp/err" "not well-formed XML"
e2e_done
