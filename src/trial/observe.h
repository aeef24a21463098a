/* observe: what a trial sees happen, as one coded value. Every hook of the target, the proxy and the QMP
 * client turns its callback into an observation; the engine writes it to the timeline once (obs_record)
 * and offers it once to the trigger matcher (trigger.h). Private to the trial library. */
#ifndef QMPRACE_OBSERVE_H
#define QMPRACE_OBSERVE_H

#include <stdbool.h>
#include <stdint.h>

#include "timeline.h"

enum obs_kind {
    OBS_EVENT,           /* a QMP event (a MIGRATION event carries its status) */
    OBS_TRACE,           /* a trace point of the target */
    OBS_OUTPUT,          /* a line on the target's stderr */
    OBS_DEATH,           /* the target process ended */
    OBS_HOLD,            /* a target thread was held or released */
    OBS_CHAN_OPENED,     /* a migration channel connected to the proxy */
    OBS_CHAN_IDENTIFIED, /* ... and its first bytes said which channel it is */
    OBS_CHAN_BYTES,      /* ... bytes went through it (not written to the timeline: too many) */
    OBS_CHAN_ENDED,      /* ... it ended */
    OBS_FAULT,           /* the proxy injected a fault the schedule asked for */
    OBS_MIGRATE_SENT,    /* the schedule's `migrate` went out (`at +DUR` counts from here) */
};

struct obs {
    enum obs_kind kind;
    uint64_t mono_us;   /* when the target says it happened on the mono clock; 0: now */
    const char *name;   /* EVENT: the event; TRACE: the trace point; HOLD: the thread */
    const char *thread; /* TRACE: the thread that hit it */
    const char *text;   /* EVENT: its data as JSON; TRACE: its arguments; OUTPUT: the line; DEATH: the fatal
                         * message; CHAN_ENDED: why; FAULT: what was done */
    /* EVENT: the MIGRATION status (enum mig_status), -1 for other events, -2 for a status this build
     * does not know (`status_name` holds it); TRACE: the status a migrate_set_state sets, or -1 */
    int status;
    const char *status_name;
    int signo;          /* DEATH: the signal, 0 for a normal exit */
    bool held;          /* HOLD */
    int fault_kind;     /* FAULT: the action kind */
    unsigned chan_index; /* CHAN_*: 0, 1, ... in order of connection; FAULT: channels open */
    int chan;            /* CHAN_IDENTIFIED, CHAN_BYTES: CHAN_MAIN, multifd N or PROXY_CH_UNKNOWN */
    uint64_t chan_bytes, all_bytes; /* CHAN_BYTES, CHAN_ENDED: this channel's bytes; all channels' */
};

/* Writes the observation to the timeline, in its one format. */
void obs_record(struct timeline *tl, const struct obs *o);

#endif
