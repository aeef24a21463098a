/* feedback: what happened inside the target during a trial, as coverage for AFL++. The target's own code
 * is not instrumented (real QEMU) or is only a model (the simulated VMM), so qmprace turns the trial's
 * timeline into features: the status transitions seen, each command's outcome in each status, which
 * thread was held in which status, how close each command landed to the race window (from FAILED to the
 * start of cleanup: inside it, or before/after it by a log2 bucket of microseconds), the trace points
 * hit, faults, the verdict and a finding's signature. A new feature is new coverage, which is what lets AFL++ climb toward the window.
 * Pure: it reads a result and calls `emit`; feedback_map.c puts features into AFL++'s map. */
#ifndef QMPRACE_FEEDBACK_H
#define QMPRACE_FEEDBACK_H

#include "trial.h"

/* Feature keys fall in [0, FEEDBACK_KEYS). */
#define FEEDBACK_KEYS 2048

/* The key ranges, for tests and for reading a feature back; sized by the vocabulary they count, so a new
 * action, status or trace point gets its keys without a renumbering by hand. */
#define FB_NSTATUS (MIG_STATUS_COUNT + 1) /* status slots: every status and "none yet" */
#define FB_NBUCKET 4   /* distance buckets per action */
/* Buckets of a finding's signature: AFL++ keeps a crashing input only when its features are new to the
 * crashes it has, so two findings that differ only in what the target said (two assertions after one
 * command in one window) would be one crash to it, and the second never triaged. */
#define FB_NSIGNATURE 128
/* The windows a command can land in, by how the migration ends: from its first failing/failed,
 * cancelling/cancelled or completed to the cleanup that follows (or the target's death). */
enum fb_window { FB_WINDOW_FAILURE, FB_WINDOW_CANCEL, FB_WINDOW_COMPLETION, FB_NWINDOW };
enum {
    FB_STATUS_NONE = FB_NSTATUS - 1, /* "no status seen yet" in the status slot */
    FB_TRANS = 0,                                          /* status a -> b */
    FB_OUTCOME = FB_TRANS + FB_NSTATUS * FB_NSTATUS,       /* action x phase x (refused, accepted, no reply) */
    FB_HOLD = FB_OUTCOME + ACT_KIND_COUNT * FB_NSTATUS * 3, /* thread kind x phase: a thread held */
    FB_INSIDE = FB_HOLD + THR_KIND_COUNT * FB_NSTATUS,     /* window kind x action x outcome: answered inside */
    FB_HELD_STATUS = FB_INSIDE + FB_NWINDOW * ACT_KIND_COUNT * 3, /* thread kind x status reached while it was held */
    FB_STALLED_STATUS = FB_HELD_STATUS + THR_KIND_COUNT * FB_NSTATUS, /* status reached on a stalled network */
    FB_BEFORE = FB_STALLED_STATUS + FB_NSTATUS,            /* window kind x action x distance: before it opened */
    FB_AFTER = FB_BEFORE + FB_NWINDOW * ACT_KIND_COUNT * FB_NBUCKET, /* window kind x action x distance: after */
    FB_TRACE = FB_AFTER + FB_NWINDOW * ACT_KIND_COUNT * FB_NBUCKET,  /* one of the race's trace points hit */
    FB_VERDICT = FB_TRACE + TRACE_COUNT + 1,               /* verdict x (signal & 7) */
    FB_FAULT = FB_VERDICT + 3 * 8,                         /* fault action x channels open then (0..3+) */
    FB_SIGNATURE = FB_FAULT + ACT_KIND_COUNT * 4,          /* a finding's signature, hashed into FB_NSIGNATURE */
    FB_END = FB_SIGNATURE + FB_NSIGNATURE
};
_Static_assert(MIG_STATUS_COUNT < FB_NSTATUS, "a status slot for every status and one for none");
_Static_assert(FB_END <= FEEDBACK_KEYS, "the feature keys fit the map");

/* Calls emit(arg, key, 1) once per distinct feature (presence only: counts vary from run to run). */
/* `timing`: also how far a command landed from the window and how many channels a fault found, which a
 * deterministic target (the simulated VMM) repeats exactly and a real QEMU does not: there they would only
 * make AFL++ see one input's coverage change from run to run. */
void feedback_features(const struct trial_result *r, bool timing, void (*emit)(void *arg, unsigned key, unsigned count),
                       void *arg);

/* The family a feature key belongs to ("trans", "outcome", "hold", ...; "?" past the last), for the
 * harness's replay mode, which lists features so that a person can see which ones change between runs. */
const char *feedback_key_family(unsigned key);

/* Puts one trial's features (present[key] nonzero) into AFL++'s coverage map, once per input (a no-op
 * outside an AFL++ build). */
void feedback_map_put(const unsigned char present[FEEDBACK_KEYS]);

#endif
