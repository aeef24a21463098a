/* afl_fuzz: runs afl-fuzz for a hunt: one instance, or a main (-M) and secondaries (-S) on one sync
 * directory, each in its own process group with its output in a log file, and reads their progress
 * (execs, paths, crashes) from what they write. Only processes it started are signalled, by pid. */
#ifndef QMPRACE_AFL_FUZZ_H
#define QMPRACE_AFL_FUZZ_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "err.h"
#include "tally.h"

struct afl_job_options {
    const char *afl_fuzz; /* the afl-fuzz binary */
    const char *harness;
    const char *seeds_dir, *sync_dir, *log_dir;
    const char *dict;        /* may be NULL */
    const char *mutator;     /* a custom mutator for AFL_CUSTOM_MUTATOR_LIBRARY; may be NULL */
    unsigned jobs;           /* instances, >= 1 */
    unsigned seconds;        /* afl-fuzz -V */
    unsigned timeout_ms;     /* afl-fuzz -t */
    bool until_crash;        /* AFL_BENCH_UNTIL_CRASH (each instance stops at its first crash) */
    bool noisy;              /* the target does not repeat an input exactly (a real QEMU): see exec_instance */
    const char *const *env;  /* extra "NAME=VALUE" for the harness, NULL-terminated; may be NULL */
    /* Joining a sync directory that another hunt (on this or another machine) runs its main instance
     * in: every instance here is a secondary (-S) named "JOIN_NAME-N", which must be unique among all
     * machines sharing the directory. NULL: this hunt owns the directory. */
    const char *join_name;
};

struct afl_progress {
    unsigned running;   /* instances still alive */
    uint64_t execs;     /* summed over instances */
    double execs_per_sec;
    unsigned paths;     /* queue entries of the main instance */
    unsigned crashes;   /* crash inputs saved, all instances */
    struct tally tally; /* what the harnesses' inputs became, all instances (tally.h) */
    uint64_t elapsed_us; /* since the instances were started */
    int exit_status;    /* the first instance's exit status once all ended (-1 before) */
};

struct afl_jobs;

/* Finds afl-fuzz on PATH; NULL when AFL++ is not installed. Returns a malloc'd path. */
char *afl_fuzz_find(void);

struct afl_jobs *afl_jobs_start(const struct afl_job_options *o, struct err *e);
/* Reaps instances that ended and reads their progress; never blocks. */
void afl_jobs_poll(struct afl_jobs *j, struct afl_progress *p);
/* Asks every running instance to stop (SIGINT), waits up to `grace_ms`, then kills what is left. */
void afl_jobs_stop(struct afl_jobs *j, unsigned grace_ms);
/* Why an instance gave up, as afl-fuzz said it in its log ("PROGRAM ABORT : ..."), into `buf`; false
 * when no log says. */
bool afl_jobs_abort_reason(const struct afl_jobs *j, char *buf, size_t n);
/* Stops what still runs, then frees. */
void afl_jobs_free(struct afl_jobs *j);

/* The crash inputs saved under a sync directory (every instance's crashes/id:*), sorted; caller frees
 * each and the array. At most `max`. */
size_t afl_crash_files(const char *sync_dir, size_t max, char ***files);

#endif
