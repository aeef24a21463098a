/* report: text and JSON summaries of a schedule's trials (see report.h). */
#include "report.h"

#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

void report_text(FILE *f, const struct report *r, bool with_timeline)
{
    const struct verdict_stats *s = r->stats;
    double lo, hi;
    verdict_wilson(s->crashes, s->trials, &lo, &hi);
    char not_run[64] = "", violated[64] = "";
    if (s->unexercised)
        snprintf(not_run, sizeof not_run, ", %u did not run as written", s->unexercised);
    if (s->violations)
        snprintf(violated, sizeof violated, ", %u violated a property", s->violations);
    fprintf(f, "%s on %s: %u/%u crashed (%.1f%%, 95%% CI %.1f-%.1f%%)%s, %u hung%s, median trial %.2f ms%s\n",
            r->schedule, r->target, s->crashes, s->trials, s->trials ? 100.0 * s->crashes / s->trials : 0.0,
            100 * lo, 100 * hi, violated, s->hangs, not_run, verdict_stats_median_us(s) / 1000.0,
            r->partial ? " (interrupted: partial)" : "");
    char *prof = r->profile ? profile_print(r->profile) : NULL;
    if (prof)
        fprintf(f, "  profile: %s\n", prof);
    free(prof);
    for (size_t i = 0; i < s->nsigs; i++) /* a violation's signature says so itself */
        fprintf(f, "  %5u  %s%s\n", s->sigs[i].count,
                verdict_of_signature(s->sigs[i].key) == VERDICT_CRASH ? "crash: " : "",
                s->sigs[i].key);
    for (size_t i = 0; i < s->nhang; i++)
        fprintf(f, "  %5u  hang: %s\n", s->hang_reasons[i].count, s->hang_reasons[i].key);
    for (size_t i = 0; i < s->nmisses; i++)
        fprintf(f, "  %5u  not as written: %s\n", s->misses[i].count, s->misses[i].key);
    for (size_t i = 0; i < s->nnever; i++)
        fprintf(f, "  %5u  never fired (as expected): %s\n", s->never_fired[i].count, s->never_fired[i].key);
    if (with_timeline && r->timeline) {
        fprintf(f, "\ntimeline of trial %u (%s):\n", r->timeline_trial, r->timeline_verdict);
        timeline_write_text(r->timeline, f);
        fputc('\n', f);
    }
}

json_object *report_counts_json(const struct verdict_count *v, size_t n, const char *key)
{
    json_object *arr = json_object_new_array();
    for (size_t i = 0; i < n; i++) {
        json_object *o = json_object_new_object();
        json_object_object_add(o, key, json_object_new_string(v[i].key));
        json_object_object_add(o, "count", json_object_new_int64(v[i].count));
        json_object_array_add(arr, o);
    }
    return arr;
}

json_object *report_json(const struct report *r, bool with_timeline)
{
    const struct verdict_stats *s = r->stats;
    double lo, hi;
    verdict_wilson(s->crashes, s->trials, &lo, &hi);
    json_object *o = json_object_new_object();
    json_object_object_add(o, "schedule", json_object_new_string(r->schedule));
    json_object_object_add(o, "target", json_object_new_string(r->target));
    if (r->profile)
        json_object_object_add(o, "profile", profile_json(r->profile));
    json_object_object_add(o, "trials", json_object_new_int64(s->trials));
    json_object_object_add(o, "crashes", json_object_new_int64(s->crashes));
    json_object_object_add(o, "hangs", json_object_new_int64(s->hangs));
    json_object_object_add(o, "violations", json_object_new_int64(s->violations));
    json_object_object_add(o, "rate", json_object_new_double(s->trials ? (double)s->crashes / s->trials : 0.0));
    json_object *ci = json_object_new_array();
    json_object_array_add(ci, json_object_new_double(lo));
    json_object_array_add(ci, json_object_new_double(hi));
    json_object_object_add(o, "ci95", ci);
    json_object_object_add(o, "signatures", report_counts_json(s->sigs, s->nsigs, "signature"));
    json_object_object_add(o, "hang_reasons", report_counts_json(s->hang_reasons, s->nhang, "reason"));
    json_object_object_add(o, "unexercised", json_object_new_int64(s->unexercised));
    json_object_object_add(o, "unexercised_reasons", report_counts_json(s->misses, s->nmisses, "reason"));
    json_object_object_add(o, "never_fired", report_counts_json(s->never_fired, s->nnever, "line"));
    json_object_object_add(o, "trial_ms_median", json_object_new_double(verdict_stats_median_us(s) / 1000.0));
    json_object_object_add(o, "partial", json_object_new_boolean(r->partial));
    if (with_timeline && r->timeline) {
        json_object *tl = json_object_new_object();
        json_object_object_add(tl, "trial", json_object_new_int64(r->timeline_trial));
        json_object_object_add(tl, "verdict", json_object_new_string(r->timeline_verdict));
        json_object_object_add(tl, "entries", timeline_to_json(r->timeline));
        json_object_object_add(o, "timeline", tl);
    }
    return o;
}
