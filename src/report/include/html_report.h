/* html_report: one self-contained HTML page (inline CSS and SVG; no script, no network) that a person
 * attaches to a bug report: the target (spec, QEMU version, host), the trial profile, the crash rate with
 * its interval and the signatures, the schedule or reproducer text, and the crashing trial's timeline as
 * a sequence diagram (diagram.h) with the race window shaded. One page per command: `run` (a section per
 * schedule), `hunt` (the crashes found, grouped as in signatures.txt), `explore` (the window x command
 * matrix as a coloured grid, a link per crashing cell to its reproducer; with --compare, each cell by what
 * the second build changed). Written whole or not at all. */
#ifndef QMPRACE_HTML_REPORT_H
#define QMPRACE_HTML_REPORT_H

#include <stddef.h>

#include "afl_fuzz.h"
#include "err.h"
#include "explore.h"
#include "profile.h"
#include "report.h"
#include "triage.h"

/* What the page says about where the trials ran. */
struct html_target {
    const char *spec;    /* the target spec */
    const char *version; /* the VMM's version as it said it ("7.2.22"), or NULL */
    const char *qmprace; /* qmprace's version */
};

/* `run`: a section per schedule (its report; the schedule's text is read from its file). */
int html_report_run(const char *path, const struct html_target *t, const struct trial_profile *p,
                    const struct report *items, size_t n, struct err *e);
/* `hunt`: the crashes found (each case's reproducer text, rate and a crashing replay's diagram). */
int html_report_hunt(const char *path, const struct html_target *t, const struct trial_profile *p,
                     const struct triage *tr, const struct afl_progress *afl, struct err *e);
/* `explore`: the matrix, and a section per crashing cell. */
int html_report_explore(const char *path, const struct html_target *t, const struct trial_profile *p,
                        const struct explore_result *r, struct err *e);
/* `explore --compare`: the matrix with each cell coloured by its class (closed, left open, new, the same;
 * compare.h), and a section per cell that differs with both builds' rates and reproducers. */
int html_report_compare(const char *path, const struct html_target *a, const struct html_target *b,
                        const struct trial_profile *p, const struct explore_result *ra, const struct explore_result *rb,
                        struct err *e);

#endif
