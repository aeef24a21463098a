/* minimize: makes a crashing schedule as small as it can be while it keeps crashing the same way: drops
 * lines, actions and capability/parameter items, removes delays and `#N`, halves sizes and durations,
 * keeping each change only while the same signature still crashes at a similar rate (at least `keep`
 * times the original rate; every time, when the original crashed every time). Greedy and bounded in candidates and time; every candidate runs through
 * repeat_run, so it is judged exactly as `run` judges. What a bug report wants: the shortest reproducer. */
#ifndef QMPRACE_MINIMIZE_H
#define QMPRACE_MINIMIZE_H

#include "repeat.h"
#include "schedule.h"
#include "trial.h"

struct minimize_options {
    unsigned trials;         /* per candidate; 0: 10 */
    unsigned max_candidates; /* 0: 150 */
    uint64_t max_time_us;    /* 0: 5 minutes */
    double keep;             /* 0: 0.8 */
};

struct minimize_stats {
    unsigned candidates, accepted;
    bool out_of_budget; /* stopped by max_candidates or max_time_us before no change helped */
};

/* Called after each candidate: `what` says what it tried ("drop line 3"), `kept` whether it stayed. */
typedef void (*minimize_progress_fn)(void *arg, const char *what, bool kept, unsigned crashes, unsigned trials);

/* `signature` is the crash to keep, and base_crashes/base_trials the rate it had. *out gets the smallest
 * schedule found (a copy; the input is not touched). Returns 0, TRIAL_INTERRUPTED (then *out is the best
 * so far), or -1 when the target failed (e says why; *out is NULL). */
int minimize_run(struct session *ses, const struct schedule *s, const char *signature, unsigned base_crashes,
                 unsigned base_trials, const struct minimize_options *mo,
                 minimize_progress_fn progress, void *arg, struct schedule **out, struct minimize_stats *st,
                 struct err *e);

#endif
