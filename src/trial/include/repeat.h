/* repeat: one schedule, N trials on one target, their verdicts added up, and the one trial worth showing
 * kept (the first crash, else the first hang, else the first). What `run`, hunt's triage and `minimize`
 * all need, written once. */
#ifndef QMPRACE_REPEAT_H
#define QMPRACE_REPEAT_H

#include <stdbool.h>

#include "session.h"
#include "trial.h"
#include "verdict.h"

struct repeat {
    struct verdict_stats stats;
    struct trial_result shown; /* its timeline is owned here */
    unsigned shown_trial;      /* 1-based; 0 when no trial ran */
    bool interrupted;          /* trial_env_interrupt() stopped it: the stats hold the trials before */
    char top_hang[600];        /* repeat_top_signature's answer when it is a hang */
};

/* Called after each trial. */
typedef void (*repeat_progress_fn)(void *arg, unsigned done, unsigned total, const struct verdict_stats *s);

void repeat_init(struct repeat *r);
void repeat_clear(struct repeat *r);

/* Runs `n` trials through session_trial (adding to what `r` already holds). 0: done or interrupted (see
 * r->interrupted); -1: the target could not be started or reached (e says why; the trials before it are
 * kept); SESSION_REFUSED: the schedule cannot run on this target. */
int repeat_run(struct session *ses, struct schedule *s, unsigned n, struct repeat *r, repeat_progress_fn progress,
               void *arg, struct err *e);

/* The same, showing each trial's result to `each` before it is added up (and its timeline kept or freed). */
typedef void (*repeat_each_fn)(void *arg, const struct trial_result *t);
int repeat_run_each(struct session *ses, struct schedule *s, unsigned n, struct repeat *r, repeat_each_fn each,
                    void *arg, struct err *e);
/* Adds one trial made elsewhere (another process's, trial_result_from_wire) as repeat_run adds its own,
 * taking its timeline. Sort the stats (verdict_stats_sort) once every trial is in. */
void repeat_add(struct repeat *r, struct trial_result *t);
/* The most frequent finding's signature, after verdict_stats_sort: a crash's or a violation's, else the
 * most frequent hang's that is a finding (VERDICT_HANG_PREFIX + its reason, verdict_hang_is_finding), so a
 * hang of the target is triaged and minimized as a crash is;
 * NULL when every trial passed. */
const char *repeat_top_signature(struct repeat *r);
/* How many trials ended with exactly this signature (a hang's with its prefix). */
unsigned repeat_signature_count(const struct repeat *r, const char *signature);

#endif
