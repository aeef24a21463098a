/* feedback: what happened inside the target during a trial, as coverage for AFL++. The target's own code
 * is not instrumented (real QEMU) or is only a model (the simulated VMM), so qmprace turns the trial's
 * timeline into features: the status transitions seen, each command's outcome in each status, which
 * thread was held in which status, how close each command landed to the race window (from FAILED to the
 * start of cleanup: inside it, or before/after it by a log2 bucket of microseconds), the trace points
 * hit, faults and the verdict. A new feature is new coverage, which is what lets AFL++ climb toward the window.
 * Pure: it reads a result and calls `emit`; feedback_map.c puts features into AFL++'s map. */
#ifndef QMPRACE_FEEDBACK_H
#define QMPRACE_FEEDBACK_H

#include "trial.h"

/* Feature keys fall in [0, FEEDBACK_KEYS). */
#define FEEDBACK_KEYS 2048

/* The key ranges, for tests and for reading a feature back. */
enum {
    FB_STATUS_NONE = 15, /* "no status seen yet" in the 16-value status slot (MIG_STATUS_COUNT is 15) */
    FB_TRANS = 0,        /* 16 x 16: MIGRATION status a -> b */
    FB_OUTCOME = 256,    /* 11 actions x 16 statuses x 3 outcomes (refused, accepted, no reply) */
    FB_HOLD = 784,       /* 3 thread kinds x 16 statuses */
    FB_INSIDE = 832,     /* 11 actions: a command answered inside the window */
    FB_BEFORE = 843,     /* 11 actions x 24 (9 used): answered before the window opened, by distance */
    FB_AFTER = 1107,     /* 11 actions x 24 (9 used): answered after cleanup started, by distance */
    FB_TRACE = 1371,     /* TRACE_COUNT + 1: trace points hit (enum vocab_trace; TRACE_COUNT: any other) */
    FB_VERDICT = 1452,   /* 3 verdicts x 8 (signal & 7) */
    FB_FAULT = 1476,     /* 3 fault kinds x 4 (channels open then: 0, 1, 2, 3+) */
    FB_END = 1488
};

/* Calls emit(arg, key, count) once per distinct feature; count (1..255) is how often it happened. */
void feedback_features(const struct trial_result *r, void (*emit)(void *arg, unsigned key, unsigned count),
                       void *arg);

/* Puts one feature into AFL++'s coverage map (a no-op outside an AFL++ build). */
void feedback_map_hit(unsigned key, unsigned count);

#endif
