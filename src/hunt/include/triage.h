/* triage: what a hunt found, made usable. Each crash input AFL++ saved is decoded to a text schedule,
 * replayed (through the same session path as the harness, so the same actions are left out) N times for its crash rate, and grouped by
 * signature and phase (the migration status before the crash); the best input of each group (highest rate, then shortest) is minimized and written as a
 * reproducer (`SLUG.sched`, readable and runnable with `qmprace run`) with a report (`SLUG.txt`: the
 * signature, the rate with its interval, the timeline of a crashing trial). */
#ifndef QMPRACE_TRIAGE_H
#define QMPRACE_TRIAGE_H

#include <json-c/json.h>

#include "minimize.h"
#include "profile.h"
#include "repeat.h"

struct triage_case {
    char *signature;
    const char *phase;       /* the migration status last reported before the crash ("failed",
                              * "completed", ...): the same assertion after a failure and after a
                              * completion are different races, so they are different cases */
    char *source;            /* the AFL++ input it came from (or, for another origin, a description) */
    unsigned inputs;         /* how many inputs crashed with this signature */
    double first_found_s;    /* the earliest of its inputs, seconds into the hunt (AFL++'s `time:` in the
                              * input's name); < 0 when no input's name says */
    struct schedule *sched;  /* the reproducer (minimized unless minimization was off or failed) */
    struct repeat rate;      /* the reproducer's replays */
    struct minimize_stats min;
    char *file;              /* where it was written (after triage_write) */
    const char *name;        /* the file's name without .sched (NULL: one made from the signature and phase) */
};

struct triage {
    const char *origin; /* who wrote the reproducers ("explore"), for their header; NULL: a hunt, from AFL++ inputs */
    struct triage_case *cases;
    size_t n;
    unsigned inputs;     /* crash inputs looked at */
    unsigned unreproduced; /* inputs that did not crash again in their replays */
    bool interrupted;
};

struct triage_options {
    unsigned trials;      /* replays per input and for the final rate; 0: 20 */
    bool minimize;
    struct minimize_options min;
};

/* Progress messages ("input 3/7: SIGABRT ... 20/20"), for the caller to show. */
typedef void (*triage_progress_fn)(void *arg, const char *message);

/* 0, or -1 when the target failed (e says why; what was triaged before is kept). Interrupts set
 * t->interrupted and return 0 with the cases so far. */
/* Seconds into the fuzzing session at which AFL++ saved the input PATH (its name's `,time:MS`), or -1. */
double triage_input_time(const char *path);

int triage_run(struct session *ses, char *const *files, size_t nfiles, const struct triage_options *o,
               triage_progress_fn progress, void *arg, struct triage *t, struct err *e);
/* Shrinks one case's reproducer (minimize_run with o->min), keeps it only when it still crashes with the
 * signature in o->trials replays, and takes those replays as its rate. -1 when the target failed;
 * *interrupted set when a signal stopped it. */
int triage_minimize_case(struct session *ses, struct triage_case *c, const struct triage_options *o,
                         triage_progress_fn progress, void *arg, bool *interrupted, struct err *e);
/* Writes DIR/SLUG.sched and DIR/SLUG.txt per case (DIR is created). Each reproducer's header carries the
 * profile its rate was measured under, which `qmprace run` reads back. */
int triage_write(struct triage *t, const char *dir, const struct trial_profile *prof, struct err *e);
/* [{"signature", "phase", "crashes", "trials", "rate", "ci95", "inputs", "reproducer", "source"}] */
json_object *triage_json(const struct triage *t);
void triage_free(struct triage *t);

/* An AFL++ input, decoded and named after its file (its trials, like the harness's, go through
 * session_trial, which leaves out the profile's actions). NULL when it cannot be read. Live replays and
 * triage both read inputs this way. */
struct schedule *triage_load_input(const char *path);

/* The migration status the target last reported (event or trace point) before it died, in a crash's
 * timeline: the same assertion after a failure and after a completion are different races. */
const char *triage_phase(const struct timeline *tl);
/* "SIGABRT yank_unregister_instance: ..." -> "sigabrt-yank-unregister-instance-..." (at most 64 chars). */
void triage_slug(const char *signature, char *out, size_t n);

#endif
