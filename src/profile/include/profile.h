/* profile: the conditions a trial runs under that change its verdict (the target, the guest's RAM, the
 * deadline, the actions left out, and for a QEMU: a fresh one per trial or not, the destination, extra
 * arguments), as one value with one parser and one printer. Every command that runs trials fills one from
 * its options and hands it whole to its session (session.h), which alone takes it apart; the hunt hands
 * one to its harness and its mutator, and every reproducer carries the one it was measured under, as a
 * header line `# profile: {...}` that `qmprace run` reads back, so a reproducer replays under the
 * conditions its stated rate comes from. The printed form is one line of JSON (json-c). Pure data: it
 * knows no target and runs nothing, so the AFL++ mutator can read a profile without the trial engine. */
#ifndef QMPRACE_PROFILE_H
#define QMPRACE_PROFILE_H

#include <stdbool.h>
#include <stdint.h>

#include <json-c/json.h>

#include "err.h"

#define PROFILE_MAX_ARGS 32
#define PROFILE_DEFAULT_TARGET "sim:qemu-7.2"

/* Which fields were given (on the command line, in a header): the rest may be filled by defaults, and
 * only these override another profile. */
enum {
    PROFILE_TARGET = 1 << 0,
    PROFILE_RAM = 1 << 1,
    PROFILE_DEADLINE = 1 << 2,
    PROFILE_WITHOUT = 1 << 3,
    PROFILE_FRESH = 1 << 4,
    PROFILE_DEST = 1 << 5,
    PROFILE_ARGS = 1 << 6,
    PROFILE_PROPS = 1 << 7,
};

struct trial_profile {
    char target[1024];    /* the target spec */
    uint64_t ram;         /* guest RAM; 0: the target's default */
    uint64_t deadline_us; /* a trial that takes longer is a hang; > 0 once defaults are applied */
    unsigned without;     /* actions left out of every schedule (schedule_without's mask) */
    bool fresh;           /* qemu: a new QEMU for every trial (else one reused after each trial) */
    bool dest_vmm;        /* qemu: migrate into a real destination QEMU (else the sink) */
    unsigned props_off;   /* properties a settled trial is not held to (propnames.h); 0: every one */
    char *args[PROFILE_MAX_ARGS]; /* qemu: extra QEMU arguments, owned */
    size_t nargs;
    unsigned set; /* PROFILE_* */
};

/* What the defaults are for: `run`, `minimize` and `explore` take a target as it comes (a long deadline;
 * explore's 2 s), a hunt runs short trials on a small guest (the target kind's own sizes: session_defaults
 * in session.h knows them). */
enum profile_use { PROFILE_FOR_RUN, PROFILE_FOR_EXPLORE, PROFILE_FOR_HUNT };

/* An empty profile (nothing set). */
void profile_init(struct trial_profile *p);
/* Frees the arguments; the profile is empty again. */
void profile_clear(struct trial_profile *p);
/* Sets one field from its text, as an option or the printed form says it: "target" SPEC, "ram" SIZE ("0":
 * the target's default), "deadline" DUR (> 0), "without" ACTIONS ("params,qmp"), "properties" all|none|LIST,
 * "fresh" yes|no, "dest"
 * sink|qemu, "arg" ARG (appended). Errors say what is wrong with the value, without the key. */
int profile_set(struct trial_profile *p, const char *key, const char *value, struct err *e);
/* Fills the fields still empty (not set, and not filled before): the target (PROFILE_DEFAULT_TARGET), the RAM (`ram`; 0: the target's own) and
 * the deadline (`deadline_us`). */
void profile_fill(struct trial_profile *p, uint64_t ram, uint64_t deadline_us);
/* The deadline `use` gets when none is given (run: 10 s, explore: 2 s; a hunt's is its target kind's). */
uint64_t profile_default_deadline(enum profile_use use);
/* A copy of `src` in `dst` (empty or cleared before), arguments included. */
int profile_copy(struct trial_profile *dst, const struct trial_profile *src, struct err *e);
/* Fields set in `over` replace those of `p`. */
int profile_merge(struct trial_profile *p, const struct trial_profile *over, struct err *e);
/* True when both say the same in every field either of them set. */
bool profile_same(const struct trial_profile *a, const struct trial_profile *b);

/* The printed form: {"target":"sim:qemu-7.2","ram":"32MiB","deadline":"200ms",...} with every field set
 * (new reference; NULL when memory runs out). */
json_object *profile_json(const struct trial_profile *p);
/* The same, as one line (malloc'ed; NULL when memory runs out). */
char *profile_print(const struct trial_profile *p);
/* Reads the printed form into `p` (fields it names are set); errors name the field. */
int profile_parse(struct trial_profile *p, const char *text, struct err *e);

/* The header line a reproducer carries: "# profile: " + profile_print. */
#define PROFILE_HEADER "# profile: "
/* Reads the profile from a schedule file's leading comment lines, if one is there (*found). Errors are
 * "FILE:LINE:COL: profile: why". */
int profile_read_file(const char *path, struct trial_profile *p, bool *found, struct err *e);

#endif
