"""ci_formats: checks qmprace's CI reports with real parsers, for the end-to-end tests.

  ci_formats.py junit FILE [SIGNATURE_AS_XML_TEXT]   the JUnit XML parses; a test case names the signature
  ci_formats.py sarif FILE SCHEMA [SIGNATURE]        the SARIF log validates against the schema; a result's
                                                     message contains the signature, unchanged
Exit status 0 when it holds, 1 (saying why) when not.
"""
import json
import sys
import xml.etree.ElementTree as ET


def junit(path, want=None):
    try:
        root = ET.parse(path).getroot()
    except ET.ParseError as e:
        return "not well-formed XML: %s" % e
    names = [tc.get("name", "") for tc in root.iter("testcase")]
    if not names:
        return "no test case"
    if want is not None and not any(want in n for n in names):
        return "no test case names %r; names: %r" % (want, names)
    return None


def sarif(path, schema_path, want=None):
    import jsonschema  # Debian: python3-jsonschema

    try:
        with open(path, encoding="utf-8") as f:
            log = json.load(f)
    except ValueError as e:
        return "not JSON: %s" % e
    with open(schema_path, encoding="utf-8") as f:
        schema = json.load(f)
    try:
        jsonschema.validate(log, schema)
    except jsonschema.ValidationError as e:
        return "not valid SARIF: %s at %s" % (e.message, "/".join(str(p) for p in e.absolute_path))
    results = [r for run in log["runs"] for r in run.get("results", [])]
    if want is not None and not any(want in r["message"]["text"] for r in results):
        return "no result's message contains %r" % want
    return None


def main(argv):
    kind = argv[1]
    want = None
    if kind == "junit":
        if len(argv) > 3:
            want = argv[3]
        why = junit(argv[2], want)
    else:
        if len(argv) > 4:
            want = argv[4]
        why = sarif(argv[2], argv[3], want)
    if why:
        print("%s: %s" % (argv[2], why), file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
