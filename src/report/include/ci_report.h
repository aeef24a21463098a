/* ci_report: what a hunt found, in the formats CI systems read. JUnit XML: a test case for the hunt and one
 * per crash, a failure for each crash outside the allow-list. SARIF 2.1.0 (code scanning, CIFuzz-style): a
 * result per crash with a stable rule id made from its signature, a fingerprint so that the same crash
 * is one alert across runs, the reproducer attached as an artifact with its text, the trial profile in
 * the invocation. Any signature (quotes, <, &, control characters, bytes that are not UTF-8) comes out
 * well-formed in both. Files are written whole or not at all (a temporary file renamed). */
#ifndef QMPRACE_CI_REPORT_H
#define QMPRACE_CI_REPORT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <json-c/json.h>

#include "err.h"
#include "profile.h"

struct ci_finding {
    const char *signature;
    const char *phase;      /* the migration status before the crash ("failed", "completed", ...) */
    const char *reproducer; /* its file, or NULL when none was written */
    unsigned crashes, trials; /* the reproducer's replays */
    bool allowed;           /* in the allow-list: reported, but not a failure */
};

struct ci_run {
    const char *command;  /* "hunt" */
    const char *version;  /* qmprace's */
    const struct trial_profile *profile;
    const char *duration; /* what was asked for, as given ("2m") */
    uint64_t elapsed_us;
    bool interrupted;
    const struct ci_finding *findings;
    size_t n;
};

/* "sigabrt-yank-unregister-instance-assertion-qlist-empty-entry/5f0c3a1e": the signature's slug (as in
 * the reproducers' file names: triage_slug) and 32 bits of its hash, the same in every run. */
void ci_rule_id(const char *signature, char *out, size_t n);
/* 16 hex digits from the signature and the phase: one alert per crash across runs. */
void ci_fingerprint(const char *signature, const char *phase, char *out, size_t n);

/* The SARIF log (new reference), and the same written to `path`. */
json_object *ci_sarif(const struct ci_run *r);
int ci_sarif_write(const char *path, const struct ci_run *r, struct err *e);
/* The JUnit XML text (malloc'ed), and the same written to `path`. */
char *ci_junit(const struct ci_run *r);
int ci_junit_write(const char *path, const struct ci_run *r, struct err *e);

/* `s` as XML character data or attribute text (malloc'ed): & < > " ' as entities, tab/newline/return as
 * character references, other control characters and bytes that are not UTF-8 as visible \xNN (XML 1.0
 * cannot carry them at all). */
char *ci_xml_escape(const char *s);
/* `s` with every byte that is not UTF-8 as visible \xNN, for JSON (malloc'ed); json-c escapes the rest. */
char *ci_utf8_clean(const char *s);

#endif
