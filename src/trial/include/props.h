/* props: what must hold after every trial that did not crash or hang, whatever the schedule: harm a race
 * does without killing QEMU. Each property is one small, named check over what the trial saw (its
 * timeline) and what the target says at its end (query-migrate, query-migrate-capabilities,
 * query-migrate-parameters):
 *   status-machine    every status change is one QEMU's own migration code makes (migrate_set_state's
 *                     transitions in migration.c/multifd.c; the fix's `failing` included)
 *   failure-reported  a migration that entered `failing` or `failed` ends `failed`, with its error
 *                     (`error-desc`) in query-migrate: a failure is not turned into a cancel or a success
 *   settings-kept     every capability and parameter QEMU accepted in the trial still has the value it
 *                     accepted last
 *   events-agree      the last MIGRATION event and query-migrate's status agree once the target settled
 *                     (when the events capability is on at the end and was never turned off in the trial)
 *   one-vm            after the migration ends the guest runs on exactly one side (query-status on each):
 *                     the destination after `completed`, the source after `failed` or `cancelled` (unless the
 *                     schedule itself stopped it); never both (split brain), never neither (a lost VM). Checked
 *                     where there is a destination to ask (--dest qemu), or one the target models (the
 *                     simulated VMM's runs the guest exactly when the migration completed); not into the sink
 * A property that is violated makes the trial's verdict `violation`, with a signature of the property and
 * the statuses involved, counted and reported wherever crashes are. */
#ifndef QMPRACE_PROPS_H
#define QMPRACE_PROPS_H

#include <stdbool.h>
#include <stddef.h>

#include <json-c/json.h>

#include "err.h"
#include "propnames.h"
#include "timeline.h"

/* What a settled trial's end gives the properties. Replies are query-migrate's,
 * query-migrate-capabilities' and query-migrate-parameters' `return` (NULL: not asked or not answered: a
 * property that needs one holds vacuously). `accepted_caps` maps a capability to the bool QEMU accepted
 * last in the trial, `accepted_params` a parameter to its value (NULL: none set). */
struct prop_facts {
    const struct timeline *tl;
    json_object *migrate, *caps, *params;
    json_object *accepted_caps, *accepted_params;
    bool events_gap; /* QEMU accepted events=off in the trial: some MIGRATION events may never have come */
    json_object *run_status; /* the source's query-status at the end (NULL: not asked or not answered) */
    int dest_running;        /* the destination VMM's guest at the end: 1 running, 0 not (or the VMM is
                              * gone), -1 no destination to ask */
    bool dest_modelled;      /* no destination to ask, but the target models one: it runs the guest exactly
                              * when the migration completed */
};

/* Checks the properties of `mask`. 0: all hold. 1: the first violated one, its signature in `sig`
 * ("failure-reported: failing > cancelling > cancelled, ended cancelled") and what was seen in `why`. */
int props_check(unsigned mask, const struct prop_facts *f, char *sig, size_t n, char *why, size_t nwhy);

/* Whether status `to` may follow status `from` in QEMU's migration code (status-machine). */
bool props_transition_allowed(int from, int to);

#endif
