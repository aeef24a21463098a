/* report: how the outcome of many trials of one schedule is shown: a few lines of text for people, or one
 * JSON object per schedule for scripts and CI. Writes only to the stream the caller gives. */
#ifndef QMPRACE_REPORT_H
#define QMPRACE_REPORT_H

#include <stdbool.h>
#include <stdio.h>

#include <json-c/json.h>

#include "profile.h"
#include "timeline.h"
#include "verdict.h"

struct report {
    const char *schedule; /* its name (file) */
    const char *target;   /* target spec */
    struct verdict_stats *stats;
    const struct timeline *timeline; /* a trial worth showing (first crash, else first hang, else first), or NULL */
    unsigned timeline_trial;         /* its number, 1-based */
    const char *timeline_verdict;    /* "crash", "hang", "pass" */
    bool partial;                    /* interrupted before all trials ran */
    const struct trial_profile *profile; /* the conditions the trials ran under, or NULL */
};

/* "SCHED on TARGET: 100/100 crashed (100.0%, 95% CI 96.3-100.0%), ...", the profile, and one line per
 * signature. */
void report_text(FILE *f, const struct report *r, bool with_timeline);
/* [{KEY: text, "count": N}, ...] of counted texts (signatures, reasons), new reference. */
json_object *report_counts_json(const struct verdict_count *v, size_t n, const char *key);
/* The JSON object described in the README (new reference). */
json_object *report_json(const struct report *r, bool with_timeline);

#endif
