/* repeat: N trials of one schedule and their sum (see repeat.h). */
#include "repeat.h"

#include <stdio.h>
#include <string.h>

void repeat_init(struct repeat *r)
{
    memset(r, 0, sizeof *r);
    verdict_stats_init(&r->stats);
}

void repeat_clear(struct repeat *r)
{
    verdict_stats_free(&r->stats);
    trial_result_clear(&r->shown);
    memset(r, 0, sizeof *r);
}

static int rank(enum verdict v)
{
    return v == VERDICT_CRASH ? 3 : v == VERDICT_VIOLATION ? 2 : v == VERDICT_HANG ? 1 : 0;
}

static void keep_shown(struct repeat *r, struct trial_result *t, unsigned trial)
{
    if (!r->shown.timeline || rank(t->verdict) > rank(r->shown.verdict)) {
        trial_result_clear(&r->shown);
        r->shown = *t;
        r->shown_trial = trial;
        memset(t, 0, sizeof *t);
    } else {
        trial_result_clear(t);
    }
}

void repeat_add(struct repeat *r, struct trial_result *t)
{
    verdict_stats_add(&r->stats, t->verdict, t->signature, t->duration_us);
    for (unsigned i = 0; i < t->nmisses && i < TRIAL_MAX_MISSES; i++)
        verdict_stats_add_miss(&r->stats, t->misses[i].what, t->misses[i].expected);
    if (!trial_result_exercised(t))
        verdict_stats_unexercised(&r->stats);
    keep_shown(r, t, r->stats.trials);
}

static int run(struct session *ses, struct schedule *s, unsigned n, struct repeat *r, repeat_progress_fn progress,
               repeat_each_fn each, void *arg, struct err *e)
{
    for (unsigned k = 1; k <= n; k++) {
        struct trial_result t;
        int rc = session_trial(ses, s, &t, e);
        if (rc == TRIAL_INTERRUPTED) {
            r->interrupted = true;
            break;
        }
        if (rc < 0) {
            trial_result_clear(&t);
            return rc;
        }
        if (each)
            each(arg, &t);
        repeat_add(r, &t);
        if (progress)
            progress(arg, k, n, &r->stats);
    }
    verdict_stats_sort(&r->stats);
    return 0;
}

int repeat_run(struct session *ses, struct schedule *s, unsigned n, struct repeat *r, repeat_progress_fn progress,
               void *arg, struct err *e)
{
    return run(ses, s, n, r, progress, NULL, arg, e);
}

int repeat_run_each(struct session *ses, struct schedule *s, unsigned n, struct repeat *r, repeat_each_fn each,
                    void *arg, struct err *e)
{
    return run(ses, s, n, r, NULL, each, arg, e);
}

const char *repeat_top_signature(struct repeat *r)
{
    if (r->stats.nsigs)
        return r->stats.sigs[0].key;
    for (size_t i = 0; i < r->stats.nhang; i++) /* most frequent first */
        if (verdict_hang_is_finding(r->stats.hang_reasons[i].key)) {
            snprintf(r->top_hang, sizeof r->top_hang, VERDICT_HANG_PREFIX "%s", r->stats.hang_reasons[i].key);
            return r->top_hang;
        }
    return NULL;
}

unsigned repeat_signature_count(const struct repeat *r, const char *signature)
{
    size_t hp = strlen(VERDICT_HANG_PREFIX);
    if (signature && strncmp(signature, VERDICT_HANG_PREFIX, hp) == 0) {
        for (size_t i = 0; i < r->stats.nhang; i++)
            if (strcmp(r->stats.hang_reasons[i].key, signature + hp) == 0)
                return r->stats.hang_reasons[i].count;
        return 0;
    }
    for (size_t i = 0; signature && i < r->stats.nsigs; i++)
        if (strcmp(r->stats.sigs[i].key, signature) == 0)
            return r->stats.sigs[i].count;
    return 0;
}
