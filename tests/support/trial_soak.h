/* trial_soak: what the soak tests (tests/trial/test_trial_soak_*.c) measure of their own process between
 * trials: open file descriptors, threads, child processes (and zombies among them), resident memory, and
 * heap bytes in use (glibc's count, or the sanitizer allocator's under ASan, where freed memory sits in a
 * quarantine and RSS says nothing). Also parses the schedules they run. Never used outside tests. */
#ifndef QMPRACE_TEST_TRIAL_SOAK_H
#define QMPRACE_TEST_TRIAL_SOAK_H

#include "schedule.h"

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

#endif
