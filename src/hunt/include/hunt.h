/* hunt: `qmprace hunt` without the command line. In the hunt's directory: the seeds that do not already
 * crash the target, encoded (seeds/); the dictionary from schedule lines (dict); afl-fuzz on the schedule
 * harness (afl/, logs/), polled, with every new crash input replayed once as it appears; at the end (time
 * limit, --until-crash, or a signal of the session) the crash inputs triaged into reproducers (crashes/),
 * and summary.json and signatures.txt. It says what happens through hooks, and leaves printing, option
 * parsing and exit statuses to the caller. */
#ifndef QMPRACE_HUNT_H
#define QMPRACE_HUNT_H

#include <stdbool.h>
#include <stdint.h>

#include "afl_fuzz.h"
#include "err.h"
#include "profile.h"
#include "session.h"
#include "triage.h"

struct hunt_progress {
    uint64_t elapsed_us; /* since afl-fuzz started */
    struct afl_progress afl;
    bool final; /* afl-fuzz has stopped: the last progress of this hunt */
};

/* What a hunt says as it goes, for the caller to show (or not). Texts have no prefix and no newline. Each
 * hook may be NULL. */
struct hunt_hooks {
    /* About every 200 ms while afl-fuzz runs, and once (final) when it has stopped. */
    void (*progress)(void *arg, const struct hunt_progress *p);
    /* Something left out or not written; the hunt goes on ("seed left out: ..."). */
    void (*warning)(void *arg, const char *text);
    /* A failure after which the hunt still writes its summary (see hunt_result.failure). */
    void (*error)(void *arg, const char *text);
    /* A new crash input, replayed as it appeared ("crash 1: SIGABRT ..."). */
    void (*crash)(void *arg, const char *text);
    /* Triage's progress ("input 3/7: ..."). */
    triage_progress_fn triage;
    void *arg;
};

/* Why a hunt stopped early or went wrong, for the caller to choose an exit status and a way to say it. */
enum hunt_failure {
    HUNT_OK,
    HUNT_BAD_OPTION,   /* an option's value does not fit: --out not new or empty, --join not a hunt's directory */
    HUNT_BAD_INPUT,    /* no usable seed, a directory or reproducer that cannot be written */
    HUNT_BAD_SCHEDULE, /* a seed that does not parse; the error is the schedule's own (FILE:LINE:COL: ...) */
    HUNT_TARGET,       /* the target could not be started or reached, or afl-fuzz could not be started */
};

struct hunt_options {
    const char *out; /* the hunt's directory: new or empty (it is made), or with join_name a running hunt's */
    /* Joining the hunt in `out` (whose seeds and dictionary are used) as secondaries "JOIN_NAME-N", unique
     * among the machines sharing it; the triage goes to crashes-JOIN_NAME/, summary-JOIN_NAME.json and
     * signatures-JOIN_NAME.txt. NULL: this hunt owns `out`. */
    const char *join_name;
    const char *seeds;        /* a directory of text schedules (*.sched) to start from; NULL: generated
                               * from the target's windows (hunt_seeds.c) */
    const char *dict;         /* a schedule whose lines become the dictionary; NULL or unreadable: none */
    const char *afl_fuzz;     /* the afl-fuzz binary */
    const char *harness;      /* the AFL++ schedule harness */
    const char *mutator;      /* the structure-aware AFL++ custom mutator; NULL: AFL++'s own mutations only */
    uint64_t time_us;         /* how long afl-fuzz runs */
    unsigned jobs;            /* afl-fuzz instances, >= 1 */
    unsigned triage_trials;   /* replays per crash input; 0: 20 */
    bool until_crash;         /* stop at the first crash ... */
    const char *until_text;   /* ... whose signature contains this (NULL: any) */
    bool minimize;            /* minimize the reproducers */
};

/* The paths of a hunt's directory. */
struct hunt_dirs {
    char out[4096];
    char seeds[4200], afl[4200], logs[4200], dict[4200];
    char vocab[4200]; /* the target's vocabulary, as AFL++'s mutator reads it (QMPRACE_HARNESS_VOCAB) */
    char crashes[4200], summary[4200], signatures[4200]; /* suffixed with -JOIN_NAME when joining */
};

struct hunt_result {
    struct afl_progress afl; /* AFL++'s counts when it stopped */
    struct triage triage;    /* the crashes found, as reproducers */
    /* When hunt_run returned 0: the last failure it went on after (said through the error hook),
     * or HUNT_OK. When it returned -1: why it stopped. */
    enum hunt_failure failure;
    struct hunt_dirs dirs; /* where it all went */
};

/* Runs a hunt on the session's target; the session must be started (session_start), with signals if
 * SIGINT/SIGTERM should end the hunt (what was found so far is then still triaged and written). `hooks`
 * may be NULL: nothing is said. Returns 0 when the summary was written (or tried: the warning hook says
 * when it could not be), or -1 when the hunt stopped before (e says why, r->failure what kind of failure).
 * Clear r with hunt_result_clear either way. */
int hunt_run(struct session *s, const struct hunt_options *o, const struct hunt_hooks *hooks,
             struct hunt_result *r, struct err *e);
void hunt_result_clear(struct hunt_result *r);

/* The steps of a hunt that run without AFL++. */

void hunt_dirs_init(struct hunt_dirs *d, const char *out, const char *join_name);
/* Checks that `out` is new or empty (or, joining, a hunt's directory) and makes it, seeds/ and logs/. */
int hunt_dirs_make(const struct hunt_dirs *d, bool join, enum hunt_failure *why, struct err *e);

/* A schedule whose leading comments hold this line is a known case, never a seed: it carries a reaction
 * a hunt is meant to find by itself (e.g. corpus/libvirt-reset.sched). */
#define HUNT_NOT_A_SEED "# hunt: not a seed"

/* Encodes each text schedule of o->seeds (*.sched, in name order, at most 256) into SEED_DIR/NAME.bin,
 * as the session readies it for a trial (session_admit: the profile's actions left out, as in the
 * harness), after one trial on the session's target: a seed
 * that already crashes the target (a known crash, not a starting point), or that the target cannot run,
 * is left out, said through the warning hook (`hooks` may be NULL); known cases (HUNT_NOT_A_SEED) are
 * left out without a trial, said in one line. Returns how many were kept (0 only
 * when a signal came), or -1: no seed, or none usable (HUNT_BAD_INPUT); a seed that does not parse
 * (HUNT_BAD_SCHEDULE); the target failed (HUNT_TARGET). */
int hunt_seeds_prepare(struct session *s, const struct hunt_options *o, const char *seed_dir,
                       const struct hunt_hooks *hooks, enum hunt_failure *why, struct err *e);

/* Writes each line of the schedule `src` that the session's target can run (session_admit: the profile's
 * actions left out, names it lacks refused) as one AFL++ dictionary token to `path`. Returns the number of
 * tokens (0 when `src` is NULL or cannot be read: no dictionary), or -1 when `src` does not parse or
 * `path` cannot be written. */
int hunt_dict_write(struct session *s, const char *src, const char *path, struct err *e);

/* summary.json: the target, jobs, actions left out, AFL++'s counts, triage's cases, and whether the hunt
 * was interrupted. */
int hunt_summary_write(const char *path, const struct trial_profile *prof, const struct hunt_options *o,
                       const struct afl_progress *p, const struct triage *t, bool interrupted, struct err *e);
/* signatures.txt: one "SIGNATURE<TAB>CRASHES/TRIALS<TAB>REPRODUCER<TAB>PHASE" line per case, for scripts. */
int hunt_signatures_write(const char *path, const struct triage *t, struct err *e);

#endif
