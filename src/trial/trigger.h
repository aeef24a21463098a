/* trigger: the one matcher of a schedule's triggers. It is offered every observation of a trial once, in
 * order, and answers which triggered lines fire now and after what delay:
 *   at +DUR            when `migrate` was sent (the first time), after DUR
 *   after SIZE on CH   once SIZE bytes went through channel CH (`any`: all channels counted together)
 *   on STATUS #N +DUR  at the Nth MIGRATION event with that status, after DUR
 *   on trace EV #N +DUR at the Nth time the target hit trace point EV, after DUR
 * A line fires at most once. Untriggered lines are not its business: they run in order from the start.
 * Pure: no clock, no I/O, so its semantics are tested alone (tests/trial/test_trial_triggers.c).
 * Private to the trial library. */
#ifndef QMPRACE_TRIGGER_H
#define QMPRACE_TRIGGER_H

#include <stddef.h>
#include <stdint.h>

#include "observe.h"
#include "schedule.h"

struct trigger_fire {
    size_t line;       /* index in the schedule */
    uint64_t delay_us; /* run the line this long from now */
};

struct triggers;

/* NULL when memory runs out. The schedule must outlive the matcher. */
struct triggers *triggers_new(const struct schedule *s);
void triggers_free(struct triggers *m);

/* The lines this observation fires, in schedule order; valid until the next call. */
const struct trigger_fire *triggers_offer(struct triggers *m, const struct obs *o, size_t *n);

/* Whether a line that has not fired waits for the next event of `status` (the target may be in it
 * already, its event on the way). */
bool triggers_wait_status(const struct triggers *m, int status);

#endif
