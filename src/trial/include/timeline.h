/* timeline: the one record of a trial. Every fault, command, reply, event, trace point, thread hold,
 * stderr line and death goes here with its time in microseconds since the trial started, so a report
 * can show exactly how the race went. Bounded: past the limit entries are counted, not stored (a hostile
 * peer cannot make it grow without end). */
#ifndef QMPRACE_TIMELINE_H
#define QMPRACE_TIMELINE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include <json-c/json.h>

enum tl_kind {
    TL_NOTE,     /* what the engine did or decided */
    TL_STEP,     /* a schedule line started (trigger fired) */
    TL_QMP_OUT,  /* a QMP command sent */
    TL_QMP_IN,   /* a QMP reply received */
    TL_EVENT,    /* a QMP event received */
    TL_CHANNEL,  /* a migration channel opened, was identified or ended */
    TL_FAULT,    /* a fault injected by the proxy */
    TL_THREAD,   /* a target thread held or released */
    TL_TRACE,    /* a trace point of the target */
    TL_OUTPUT,   /* a line on the target's stderr */
    TL_DEATH,    /* the target died */
    TL_VERDICT,  /* the trial's verdict */
    TL_STACK,    /* a thread's stack when the trial hung: code 1 blocked, 0 idle */
    TL_KIND_COUNT
};

/* Besides its text, an entry may carry a code for programs that read timelines (the fuzzing harnesses'
 * state feedback, minimization): -1 when it has none.
 *   TL_EVENT   code: the MIGRATION status (enum mig_status)
 *   TL_QMP_OUT code: the action kind (enum sched_action_kind); arg: the schedule line's index
 *   TL_QMP_IN  code: the action kind; arg: TL_ACCEPTED, TL_REFUSED or TL_NO_REPLY
 *   TL_TRACE   code: the index in vocab_trace_names() or -1; arg: for migrate_set_state, the new status
 *   TL_THREAD  code: the thread kind (enum thread_kind); arg: 1 held, 0 released
 *   TL_FAULT   code: the action kind; arg: channels hit
 *   TL_STEP    code: the trigger kind; arg: the schedule line's index
 *   TL_DEATH   code: the signal (0: a normal exit) */
enum { TL_REFUSED = 0, TL_ACCEPTED = 1, TL_NO_REPLY = 2 };

struct tl_entry {
    uint64_t t_us; /* since the trial's start */
    enum tl_kind kind;
    int code, arg;
    char *text;
};

struct timeline;

/* `t0_us` is the trial's start on the mono clock; `max_entries` 0 means 4096. */
struct timeline *timeline_new(uint64_t t0_us, size_t max_entries);
void timeline_free(struct timeline *tl);

/* Adds an entry at mono time now. */
void timeline_add(struct timeline *tl, enum tl_kind kind, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
/* Adds an entry at a given mono time (e.g. a trace point's own timestamp). */
void timeline_add_at(struct timeline *tl, uint64_t mono_us, enum tl_kind kind, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));
/* Adds an entry with a code and argument (see above); `mono_us` 0 means now. */
void timeline_add_coded(struct timeline *tl, uint64_t mono_us, enum tl_kind kind, int code, int arg,
                        const char *fmt, ...) __attribute__((format(printf, 6, 7)));

/* The migration status an entry says the migration moved to (a MIGRATION event, or QEMU's own
 * migrate_set_state trace point), or -1. */
int timeline_entry_status(const struct tl_entry *e);

size_t timeline_count(const struct timeline *tl);
size_t timeline_dropped(const struct timeline *tl);
/* Entries in time order (stable for equal times). */
const struct tl_entry *timeline_get(const struct timeline *tl, size_t i);
uint64_t timeline_t0(const struct timeline *tl);

const char *timeline_kind_name(enum tl_kind k);

/* The race window of a trial, as the fuzzing feedback rewards it and the report shades it: from the first
 * failure status (failing or failed: its trace point, else its event) to the first savevm_state_cleanup
 * after it, else the death, else the last entry. Entry indexes. */
enum tl_window_end { TL_WINDOW_CLEANUP, TL_WINDOW_DEATH, TL_WINDOW_LAST };
struct tl_window {
    bool open; /* a failure status came */
    size_t from, to;
    enum tl_window_end until;
};
void timeline_window(const struct timeline *tl, struct tl_window *w);

/* One entry per line: "   12345us  qmp>     {...}". */
int timeline_write_text(const struct timeline *tl, FILE *f);
/* [{"t_us": N, "kind": "...", "text": "..."}, ...] (new reference). */
json_object *timeline_to_json(const struct timeline *tl);
/* The whole timeline for another qmprace process (explore's workers): every field of every entry, so
 * timeline_from_wire gives back an equal one. {"t0":N,"dropped":N,"e":[[t_us,kind,code,arg,"text"],...]} */
json_object *timeline_to_wire(const struct timeline *tl);
/* NULL when `j` is not what timeline_to_wire writes (or memory ran out). */
struct timeline *timeline_from_wire(json_object *j);

#endif
