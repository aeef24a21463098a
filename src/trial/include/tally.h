/* tally: what became of the inputs a fuzzing harness was given, so a hunt can say how many migration
 * trials it ran, not only how many times AFL++ called the harness: an input may be refused before it runs
 * (a name the target lacks), run without a migration (no `migrate` accepted: a trial of a few QMP round
 * trips), or run a migration. The harness keeps its tally in a small text file of "key : value" lines,
 * as AFL++'s fuzzer_stats, which the hunt reads while it runs. */
#ifndef QMPRACE_TALLY_H
#define QMPRACE_TALLY_H

#include <stdint.h>

#include "err.h"
#include "trial.h"

/* Where the harness keeps its tally: the hunt sets it for each AFL++ instance. */
#define TALLY_ENV "QMPRACE_HARNESS_TALLY"
/* Its name in an AFL++ instance's directory. */
#define TALLY_FILE "qmprace_tally"

struct tally {
    uint64_t migrations;   /* trials that ran a migration (to any verdict) */
    uint64_t no_migration; /* trials in which no `migrate` was accepted */
    uint64_t refused;      /* inputs not run: a name, trace point or action this target lacks */
    uint64_t findings;     /* of the trials, those that found a crash, a violation or a hang of the target */
    uint64_t hangs;        /* of the trials, hangs that are not findings (what the schedule holds, a command
                            * it never sends): each costs its deadline, or the early judgment's wait */
    /* Where the harness's time went, in microseconds: the inputs of each kind (a finding's time counts as
     * a finding's only: its deadline, its stacks, what replaced its target; a hang that is no finding's as
     * a hang's only), and its set-ups (a process AFL++ started, after a finding ended the last one: the
     * target started and asked what it knows). */
    uint64_t us_migrations, us_no_migration, us_refused, us_findings, us_hangs;
    uint64_t starts, us_starts;
};

/* One input: session_trial's return code and, when it is 0, its result, and how long it took. */
void tally_add(struct tally *t, int rc, const struct trial_result *r, uint64_t us);
/* One set-up of the harness, and how long it took. */
void tally_start(struct tally *t, uint64_t us);
/* Adds what the file at `path` says to `t` (a missing or unreadable file adds nothing). */
void tally_read(const char *path, struct tally *t);
/* Writes `t` to `path` atomically. */
int tally_write(const char *path, const struct tally *t, struct err *e);

#endif
