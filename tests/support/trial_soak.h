/* trial_soak: what the soak tests (tests/trial/test_trial_soak_*.c) measure of their own process between
 * trials: open file descriptors, threads, child processes (and zombies among them), resident memory, and
 * heap bytes in use (glibc's count, or the sanitizer allocator's under ASan, where freed memory sits in a
 * quarantine and RSS says nothing). Also parses the schedules they run. Never used outside tests. */
#ifndef QMPRACE_TEST_TRIAL_SOAK_H
#define QMPRACE_TEST_TRIAL_SOAK_H

#include <stdint.h>

#include "schedule.h"
#include "trial.h"

struct soak_snap {
    long fds, threads, children, zombies;
    long rss_kib;
    long heap; /* bytes in use */
};

/* The process as it is now. */
struct soak_snap soak_snap(void);

/* One line to stderr: `when`, then every count. */
void soak_print(const char *when, const struct soak_snap *s);

/* The end against the warmed-up process: nothing may grow past its tolerance (heap in bytes, RSS in
 * KiB; RSS is not compared under ASan). Each excess is a failed check. */
void soak_compare(const struct soak_snap *warm, const struct soak_snap *end, long heap_slack, long rss_slack_kib);

/* glibc's per-thread cache keeps up to 7 freed chunks of each size and mallinfo2() counts them as in
 * use, so the heap count creeps up by some 10 KiB over thousands of trials and then stops. With the cache
 * off the count is exact and a soak can allow (almost) nothing: re-executes the test once so (call it
 * first thing in main). */
void soak_exact_heap(char **argv);

/* Parses `text` (a schedule) or fails the test (NULL). */
struct schedule *soak_schedule(const char *text, const char *name);

/* The soaks mix three kinds of schedule (one meant to crash, one to pass, one to hang) and count the
 * verdicts of each kind. */
#define SOAK_KINDS 3
struct soak_tally {
    unsigned trials;                            /* run so far */
    unsigned ran[SOAK_KINDS];                   /* that returned a verdict, by kind */
    unsigned got[SOAK_KINDS][VERDICT_HANG + 1]; /* the verdicts, by kind */
    unsigned errors;                            /* that did not return one */
};

/* Runs one trial of `s`, a schedule of kind `k`, with `deadline_us` (0: the default), and counts what it
 * came to in `t`; of the trials that return an error, the first three are failed checks saying why. */
void soak_trial(struct soak_tally *t, struct trial_env *env, const struct schedule *s, unsigned k,
                uint64_t deadline_us);

#endif
