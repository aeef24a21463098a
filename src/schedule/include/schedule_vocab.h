/* schedule_vocab: a schedule against what one target knows (vocab_target.h): the capabilities,
 * parameters and commands its actions send, and (asked for) the statuses and trace points its triggers
 * wait for. The trial engine refuses a schedule that sends a name its target lacks; the hunt's mutator
 * keeps to the names its target has, so its inputs are not refused. */
#ifndef QMPRACE_SCHEDULE_VOCAB_H
#define QMPRACE_SCHEDULE_VOCAB_H

#include "err.h"
#include "schedule.h"
#include "vocab_target.h"

enum {
    /* also a status trigger for a status the target never reports. Off for a schedule a user wrote: one
     * schedule with `on failing` runs unchanged on builds with and without the fix, and its report says
     * which lines never fired. */
    SCHEDULE_VOCAB_STATUSES = 1 << 0,
    /* also a trace trigger for one of the fuzzers' trace points the target lacks */
    SCHEDULE_VOCAB_TRACES = 1 << 1,
};

/* 0, or -1 with "FILE:LINE:COL: capability 'x' does not exist in TARGET (QEMU 7.2.0)". `target` names the
 * target in the message. A target that did not say what it knows (vt->known false) takes everything. */
int schedule_check_vocab(const struct schedule *s, const struct vocab_target *vt, const char *target,
                         unsigned flags, struct err *e);

#endif
